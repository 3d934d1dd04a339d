//! Issue 17's corpus: 1,000 vendor claims over badges of every kind a procurement run meets —
//! valid, revoked, expired, suspended, superseded, tampered, a lower tier than claimed, another
//! vendor's badge, an untrusted issuer and an unreachable status list — generated here with the
//! core (two did:web agencies, their DID documents, status lists and published programs), then
//! checked in one `hallmark verify --claims` run with nothing fetched from a network
//! (`--resolve`, `--offline`). Every row must carry the right verdict and claim result, and the
//! CSV and table outputs must count the same.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use hallmark_core::badge::{Issuer, Partner, PartnerBadge, Tier};
use hallmark_core::did::{Did, VerificationMethodId};
use hallmark_core::keys::SecretKey;
use hallmark_core::proof::{self, Cryptosuite, ProofOptions};
use hallmark_core::status::{Bitstring, StatusEntry, StatusListSpec, StatusPurpose};
use serde_json::{json, Value};
use time::macros::datetime;

/// The instant every row is checked at (`--at`).
const AT: &str = "2026-06-01T00:00:00Z";
/// How many claims the corpus holds.
const CLAIMS: usize = 1000;
/// Entries in each status list.
const LIST_ENTRIES: usize = 131_072;

/// What a claim's badge is, one kind in ten rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Valid,
    Revoked,
    Expired,
    Suspended,
    Superseded,
    Tampered,
    LowerTier,
    OtherVendor,
    UntrustedIssuer,
    UnreachableList,
}

const KINDS: [Kind; 10] = [
    Kind::Valid,
    Kind::Revoked,
    Kind::Expired,
    Kind::Suspended,
    Kind::Superseded,
    Kind::Tampered,
    Kind::LowerTier,
    Kind::OtherVendor,
    Kind::UntrustedIssuer,
    Kind::UnreachableList,
];

impl Kind {
    /// The verdict the row must carry: (verified, standing).
    fn verdict(self) -> (bool, &'static str) {
        match self {
            Kind::Valid | Kind::LowerTier | Kind::OtherVendor => (true, "valid"),
            Kind::Revoked | Kind::Superseded => (false, "revoked"),
            Kind::Expired => (false, "expired"),
            Kind::Suspended => (false, "suspended"),
            Kind::Tampered | Kind::UntrustedIssuer => (false, "invalid"),
            Kind::UnreachableList => (false, "unknown"),
        }
    }

    /// The claim checks that must fail (each by its id).
    fn failing_claim_checks(self) -> &'static [&'static str] {
        match self {
            Kind::Valid => &[],
            Kind::LowerTier => &["tier"],
            Kind::OtherVendor => &["subject"],
            Kind::Superseded => &["verdict", "superseded"],
            _ => &["verdict"],
        }
    }
}

/// A did:web agency: its key, DID, and the files a verifier would fetch from it.
struct Agency {
    key: SecretKey,
    did: Did,
    host: &'static str,
    name: &'static str,
}

impl Agency {
    fn new(seed: u8, host: &'static str, name: &'static str) -> Self {
        let key = SecretKey::from_seed(&[seed; 32]);
        let did = Did::parse(&format!("did:web:{host}")).unwrap();
        Self {
            key,
            did,
            host,
            name,
        }
    }

    fn method(&self) -> String {
        format!("{}#key-1", self.did)
    }

    fn options(&self, cryptosuite: Cryptosuite) -> ProofOptions {
        ProofOptions {
            cryptosuite,
            verification_method: VerificationMethodId::parse(&self.method()).unwrap(),
            proof_purpose: hallmark_core::did::Relationship::AssertionMethod,
            created: Some(datetime!(2026-01-15 09:00 UTC)),
        }
    }

    fn did_document(&self) -> Value {
        let method = self.method();
        json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": self.did.to_string(),
            "verificationMethod": [{
                "id": method,
                "type": "Multikey",
                "controller": self.did.to_string(),
                "publicKeyMultibase": self.key.public_key().to_multibase().as_str(),
            }],
            "assertionMethod": [method],
            "authentication": [method],
        })
    }

    /// The issuer profile with its program, as `GET {base}/program` answers JSON.
    fn program(&self) -> Value {
        let base = format!("https://{}", self.host);
        let tier = |slug: &str, name: &str, rank: u32| json!({"id": format!("{base}/program/tiers/{slug}"), "name": name, "rank": rank});
        json!({
            "id": self.did.to_string(),
            "type": "Profile",
            "name": self.name,
            "program": {
                "id": format!("{base}/program"),
                "name": format!("{} Partner Program", self.name),
                "tiers": [
                    tier("platinum", "Platinum Partner", 3),
                    tier("gold", "Gold Partner", 2),
                    tier("silver", "Silver Partner", 1),
                ],
            },
        })
    }

    fn list_url(&self, name: &str) -> String {
        format!("https://{}/status/{name}", self.host)
    }

    /// The signed status list credential at `list_url(name)`.
    fn list(&self, name: &str, purpose: StatusPurpose, bits: &Bitstring) -> Value {
        let unsigned = StatusListSpec {
            url: self.list_url(name),
            issuer: self.did.to_string(),
            purpose,
            valid_from: datetime!(2026-01-01 00:00 UTC),
            valid_until: None,
            ttl_ms: None,
        }
        .build(bits)
        .unwrap();
        Value::Object(
            proof::sign(
                unsigned.into_map(),
                &self.options(Cryptosuite::EddsaJcs2022),
                &self.key,
            )
            .unwrap(),
        )
    }
}

fn entry(list_url: String, purpose: StatusPurpose, index: usize, message: bool) -> Value {
    let messages = if message {
        [
            "active",
            "superseded",
            "lapsed",
            "withdrawn",
            "under review",
        ]
        .iter()
        .map(|m| (*m).to_owned())
        .chain(std::iter::repeat("unused".to_owned()))
        .take(8)
        .enumerate()
        .map(|(v, m)| (v as u8, m))
        .collect()
    } else {
        Vec::new()
    };
    StatusEntry {
        purpose,
        index: index as u64,
        list_url,
        status_size: if message { 3 } else { 1 },
        messages,
        reference: Vec::new(),
    }
    .to_json()
}

fn tier(slug: &str) -> Tier {
    let name = match slug {
        "silver" => "Silver Partner",
        "gold" => "Gold Partner",
        _ => "Platinum Partner",
    };
    Tier {
        slug: slug.into(),
        name: name.into(),
        description: format!("The {name} tier."),
        criteria: "Exam, live demo and customer references.".into(),
        specialization: false,
    }
}

/// One row of the corpus: what was generated, and what the run must say of it.
struct Row {
    kind: Kind,
    vendor: String,
}

/// Writes the corpus into `dir`: badges/, lists, DID documents, programs and claims.csv.
/// Returns the rows (in CSV order) and the `--resolve` flags.
fn generate(dir: &Path) -> (Vec<Row>, Vec<String>) {
    let trusted = Agency::new(1, "agency-a.example", "Acme Cloud");
    let untrusted = Agency::new(2, "agency-b.example", "Bogus Cloud");
    let mut revoked = Bitstring::new(LIST_ENTRIES, 1).unwrap();
    let mut suspended = Bitstring::new(LIST_ENTRIES, 1).unwrap();
    let mut messages = Bitstring::new(LIST_ENTRIES, 3).unwrap();
    std::fs::create_dir_all(dir.join("badges")).unwrap();
    let mut csv = String::from("vendor,vendor_url,claimed_tier,badge,expected_issuer,role\n");
    let mut rows = Vec::with_capacity(CLAIMS);
    for i in 0..CLAIMS {
        let kind = KINDS[i % KINDS.len()];
        let vendor = format!("Vendor {i}, Ltd");
        let vendor_url = format!("https://www.vendor-{i}.example");
        let agency = if kind == Kind::UntrustedIssuer {
            &untrusted
        } else {
            &trusted
        };
        // Some valid rows claim less than they hold (met: a higher tier by the program).
        let (held, claimed) = match kind {
            Kind::LowerTier => ("silver", "Gold"),
            Kind::Valid if i % 30 == 0 => ("platinum", "gold"),
            Kind::Valid if i % 20 == 0 => ("gold", "Gold Partner"),
            _ => ("gold", "gold"),
        };
        let subject = match kind {
            Kind::OtherVendor => format!("https://vendor-{}.example", i + 1),
            _ if i % 7 == 0 => format!("did:web:vendor-{i}.example"),
            _ => format!("https://vendor-{i}.example"),
        };
        let revocation_list = if kind == Kind::UnreachableList {
            agency.list_url("gone")
        } else {
            agency.list_url("revocation")
        };
        let unsigned = PartnerBadge {
            base_url: format!("https://{}", agency.host),
            credential_uuid: format!("00000000-0000-4000-8000-{i:012}"),
            issuer: Issuer {
                id: agency.did.to_string(),
                name: agency.name.into(),
                url: Some(format!("https://{}", agency.host)),
            },
            partner: Partner {
                id: subject,
                name: vendor.clone(),
            },
            role: "solutions".into(),
            tier: tier(held),
            competencies: Vec::new(),
            exam: None,
            demo: None,
            evidence: Vec::new(),
            valid_from: datetime!(2026-01-15 00:00 UTC),
            valid_until: if kind == Kind::Expired {
                datetime!(2026-03-01 00:00 UTC)
            } else {
                datetime!(2027-01-15 00:00 UTC)
            },
            credential_status: vec![
                entry(revocation_list, StatusPurpose::Revocation, i, false),
                entry(
                    agency.list_url("suspension"),
                    StatusPurpose::Suspension,
                    i,
                    false,
                ),
                entry(agency.list_url("message"), StatusPurpose::Message, i, true),
            ],
        };
        match kind {
            Kind::Revoked => revoked.set(i as u64, 1, 1).unwrap(),
            Kind::Suspended => suspended.set(i as u64, 1, 1).unwrap(),
            Kind::Superseded => {
                revoked.set(i as u64, 1, 1).unwrap();
                messages.set(i as u64, 3, 1).unwrap();
            }
            _ => {}
        }
        // Every 25th badge is secured with eddsa-rdfc-2022, the rest with eddsa-jcs-2022.
        let suite = if i % 25 == 3 {
            Cryptosuite::EddsaRdfc2022
        } else {
            Cryptosuite::EddsaJcs2022
        };
        let mut signed = proof::sign(
            unsigned.build().unwrap().into_map(),
            &agency.options(suite),
            &agency.key,
        )
        .unwrap();
        if kind == Kind::Tampered {
            signed.insert("validUntil".into(), "2030-01-15T00:00:00Z".into());
        }
        let file = format!("badges/{i:04}.json");
        std::fs::write(dir.join(&file), serde_json::to_vec_pretty(&signed).unwrap()).unwrap();
        let expected_issuer = match i % 3 {
            0 => trusted.did.to_string(),
            1 => String::new(),
            _ => format!("https://{}", trusted.host),
        };
        let role = if i % 2 == 0 { "solutions" } else { "" };
        csv.push_str(&format!(
            "\"{vendor}\",{vendor_url},{claimed},{file},{expected_issuer},{role}\n"
        ));
        rows.push(Row { kind, vendor });
    }
    std::fs::write(dir.join("claims.csv"), csv).unwrap();

    let mut resolve = Vec::new();
    let mut serve = |url: String, value: Value, name: &str| {
        let path = dir.join(name);
        std::fs::write(&path, serde_json::to_vec(&value).unwrap()).unwrap();
        resolve.push(format!("{url}={}", path.display()));
    };
    for agency in [&trusted, &untrusted] {
        let host = agency.host;
        serve(
            format!("https://{host}/.well-known/did.json"),
            agency.did_document(),
            &format!("{host}-did.json"),
        );
        serve(
            format!("https://{host}/program"),
            agency.program(),
            &format!("{host}-program.json"),
        );
        let empty = |size| Bitstring::new(LIST_ENTRIES, size).unwrap();
        let lists: [(&str, StatusPurpose, Bitstring); 3] = if agency.host == trusted.host {
            [
                ("revocation", StatusPurpose::Revocation, revoked.clone()),
                ("suspension", StatusPurpose::Suspension, suspended.clone()),
                ("message", StatusPurpose::Message, messages.clone()),
            ]
        } else {
            [
                ("revocation", StatusPurpose::Revocation, empty(1)),
                ("suspension", StatusPurpose::Suspension, empty(1)),
                ("message", StatusPurpose::Message, empty(3)),
            ]
        };
        for (name, purpose, bits) in lists {
            serve(
                agency.list_url(name),
                agency.list(name, purpose, &bits),
                &format!("{host}-{name}.json"),
            );
        }
    }
    (rows, resolve)
}

fn run(dir: &Path, resolve: &[String], format: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hallmark"))
        .args(args(dir, resolve, format))
        .stdin(Stdio::null())
        .output()
        .expect("hallmark runs")
}

/// The run's arguments: the claims, `format`, the instant, offline, agency A trusted.
fn args(dir: &Path, resolve: &[String], format: &str) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "verify".into(),
        "--claims".into(),
        dir.join("claims.csv").display().to_string(),
        "--format".into(),
        format.into(),
        "--at".into(),
        AT.into(),
        "--offline".into(),
        "--trust".into(),
        "did:web:agency-a.example".into(),
    ];
    for r in resolve {
        args.push("--resolve".into());
        args.push(r.clone());
    }
    args
}

#[test]
fn a_thousand_claims_each_get_the_right_verdict_and_claim_result() {
    // HALLMARK_KEEP_CORPUS=DIR writes the corpus there and keeps it (to look at the table,
    // the reports, or to time a run by hand).
    let keep = std::env::var_os("HALLMARK_KEEP_CORPUS").map(PathBuf::from);
    let dir = match &keep {
        Some(dir) => {
            std::fs::create_dir_all(dir).unwrap();
            dir.clone()
        }
        None => hallmark_testkit::process::fresh_dir("claims-corpus"),
    };
    let (rows, resolve) = generate(&dir);

    let out = run(&dir, &resolve, "jsonl");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "some claims fail: {stderr}");
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), CLAIMS, "one line a claim");

    let mut tally: BTreeMap<String, usize> = BTreeMap::new();
    for line in &lines {
        let n = line["row"].as_u64().expect("row number") as usize;
        let row = &rows[n - 1];
        let what = format!("row {n} ({:?}): {line}", row.kind);
        assert_eq!(line["vendor"], row.vendor.as_str(), "{what}");
        let (verified, standing) = row.kind.verdict();
        assert_eq!(line["verified"], verified, "{what}");
        assert_eq!(line["standing"], standing, "{what}");
        let claim = &line["claim"];
        let failing = row.kind.failing_claim_checks();
        assert_eq!(claim["met"], failing.is_empty(), "{what}");
        let checks = claim["checks"].as_array().expect("claim checks");
        let outcome = |id: &str| {
            checks
                .iter()
                .find(|c| c["id"] == id)
                .map(|c| c["outcome"].as_str().unwrap_or_default().to_owned())
        };
        for id in failing {
            assert_eq!(outcome(id).as_deref(), Some("failed"), "{id}: {what}");
        }
        if row.kind == Kind::Superseded {
            let first = claim["reasons"][0].as_str().unwrap_or_default();
            assert!(first.starts_with("superseded"), "{what}");
        }
        if failing.is_empty() {
            assert!(
                claim["reasons"].as_array().is_none_or(|r| r.is_empty()),
                "{what}"
            );
            for id in ["verdict", "subject", "tier", "superseded"] {
                assert_eq!(outcome(id).as_deref(), Some("passed"), "{id}: {what}");
            }
        } else {
            let reasons = claim["reasons"].as_array().expect("reasons");
            assert!(!reasons.is_empty(), "a claim not met says why: {what}");
        }
        // Valid badges of the trusted agency pass every check the claim names.
        if row.kind == Kind::Valid {
            for id in ["issuer", "role"] {
                let o = outcome(id);
                assert!(
                    matches!(o.as_deref(), Some("passed" | "skipped")),
                    "{id}: {what}"
                );
            }
        }
        let key = format!(
            "{:?} verified={} claim={}",
            row.kind, line["verified"], claim["met"]
        );
        *tally.entry(key).or_default() += 1;
    }
    // A hundred of each kind, each with one verdict and one claim result.
    assert_eq!(tally.len(), KINDS.len(), "{tally:#?}");
    assert!(
        tally.values().all(|&n| n == CLAIMS / KINDS.len()),
        "{tally:#?}"
    );

    // The CSV output says the same of every row.
    let out = run(&dir, &resolve, "csv");
    assert_eq!(out.status.code(), Some(1));
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (row_col, verdict_col, claim_col) = (col("row"), col("verdict"), col("claim"));
    let mut records = 0;
    for record in reader.records() {
        let record = record.unwrap();
        let n: usize = record[row_col].parse().unwrap();
        let kind = rows[n - 1].kind;
        assert_eq!(&record[verdict_col], kind.verdict().1, "row {n}");
        let met = if kind.failing_claim_checks().is_empty() {
            "met"
        } else {
            "not met"
        };
        assert_eq!(&record[claim_col], met, "row {n}");
        records += 1;
    }
    assert_eq!(records, CLAIMS);

    // The table ends with the run's counts.
    let out = run(&dir, &resolve, "table");
    let table = String::from_utf8(out.stdout).unwrap();
    let summary = table.lines().last().unwrap_or_default();
    assert!(
        summary.contains("1000 rows")
            && summary.contains("300 verified")
            && summary.contains("100 claims met")
            && summary.contains("900 not met"),
        "{summary}"
    );
    // Reports, with stdout closed at once (`| head -0`): the rows end, the run does not; the
    // JSON report is signed and verifies, all 1,000 rows in it.
    let key = hallmark_core::keys::KeyFile::new(SecretKey::from_seed(&[3; 32]));
    std::fs::write(dir.join("auditor.json"), key.to_json().expose()).unwrap();
    let (html, json) = (dir.join("report.html"), dir.join("report.json"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_hallmark"))
        .args(args(&dir, &resolve, "table"))
        .args([
            "--report",
            html.to_str().unwrap(),
            "--report",
            json.to_str().unwrap(),
        ])
        .args(["--sign-report", dir.join("auditor.json").to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    assert_eq!(child.wait().unwrap().code(), Some(1));
    let page = std::fs::read_to_string(&html).expect("the HTML report is written");
    for row in &rows {
        assert!(page.contains(&row.vendor), "{} in the page", row.vendor);
    }
    let signed: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(
        signed["credentialSubject"]["rows"].as_array().map(Vec::len),
        Some(CLAIMS)
    );
    // Signed when made (today), though its checks were evaluated `--at` 2026-06-01; checked
    // against the auditor's key.
    assert_eq!(signed["credentialSubject"]["at"], AT);
    let auditor = hallmark_core::did::Did::key(&key.public_key()).to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_hallmark"))
        .args([
            "verify",
            "--json",
            "--trust",
            &auditor,
            json.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verified"], true, "{report}");
    assert_eq!(out.status.code(), Some(0));

    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
