//! Issue 17: `hallmark verify` for procurement — many inputs (directories, globs), a CSV of
//! vendors' claims checked against their badges (subject, tier by the issuer's program,
//! issuer, role, supersession), table/JSON Lines/CSV output, the HTML report, and the signed
//! JSON report that `hallmark verify` checks later.
//!
//! Everything the verifier fetches is served from files (`--resolve`, `--offline`), except in
//! the test that counts requests, which serves them from a local TCP server.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hallmark_testkit::process::{fresh_dir, run, stderr, stdout};
use hallmark_testkit::Tripwire;
use serde_json::{json, Value};

const ISSUER: &str = "did:web:issuer.example";
const VM: &str = "did:web:issuer.example#key-1";
const AT: &str = "2026-06-01T00:00:00Z";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn key_path() -> String {
    root()
        .join("keys.example/issuer.json")
        .to_string_lossy()
        .into_owned()
}

fn hallmark(args: &[&str]) -> Output {
    run(env!("CARGO_BIN_EXE_hallmark"), args)
}

fn ok(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    stdout(out)
}

fn temp_dir(name: &str) -> PathBuf {
    fresh_dir(&format!("procure-{name}"))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A did:web issuer at `host` (its DID document, status lists and program served by
/// `--resolve`), and badges it issues.
struct Issuer {
    dir: PathBuf,
    host: String,
    did: String,
    vm: String,
}

impl Issuer {
    /// An issuer with a revocation list (`/status/rev`) and a message list (`/status/msg`,
    /// three bits an entry), and a program of Silver (1), Gold (2), Platinum (3).
    fn new(name: &str) -> Self {
        Self::at(name, "issuer.example", ISSUER, VM)
    }

    fn at(name: &str, host: &str, did: &str, vm: &str) -> Self {
        let dir = temp_dir(name);
        let issuer = Self {
            dir,
            host: host.into(),
            did: did.into(),
            vm: vm.into(),
        };
        let key: Value = serde_json::from_slice(&std::fs::read(key_path()).unwrap()).unwrap();
        let doc = json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": did,
            "verificationMethod": [{
                "id": vm, "type": "Multikey", "controller": did,
                "publicKeyMultibase": key["publicKeyMultibase"],
            }],
            "assertionMethod": [vm],
        });
        std::fs::write(issuer.dir.join("did.json"), doc.to_string()).unwrap();
        for (file, purpose, size) in [
            ("rev.json", "revocation", "1"),
            ("msg.json", "message", "3"),
        ] {
            let url = format!("https://{host}/status/{}", &file[..3]);
            ok(&hallmark(&[
                "status-list",
                "create",
                "--key",
                &key_path(),
                "--url",
                &url,
                "--purpose",
                purpose,
                "--status-size",
                size,
                "--issuer",
                did,
                "--verification-method",
                vm,
                "--valid-from",
                "2026-01-01T00:00:00Z",
                "--cryptosuite",
                "eddsa-jcs-2022",
                "--out",
                s(&issuer.dir.join(file)),
            ]));
        }
        let tiers: Vec<Value> = [("silver", "Silver", 1), ("gold", "Gold", 2), ("platinum", "Platinum", 3)]
            .iter()
            .map(|(slug, name, rank)| json!({"id": format!("https://{host}/program/tiers/{slug}"), "name": name, "rank": rank}))
            .collect();
        let program = json!({"id": did, "type": "Profile", "name": "Issuer", "program": {"id": format!("https://{host}/program"), "tiers": tiers}});
        std::fs::write(issuer.dir.join("program.json"), program.to_string()).unwrap();
        issuer
    }

    /// Puts the issuer's documents (DID document, lists, program) on `routes`, as its host
    /// serves them.
    fn serve_on(&self, routes: &Routes) {
        let mut r = routes.lock().unwrap();
        for (path, file) in [
            ("/.well-known/did.json", "did.json"),
            ("/status/rev", "rev.json"),
            ("/status/msg", "msg.json"),
            ("/program", "program.json"),
        ] {
            r.push((path.to_owned(), std::fs::read(self.dir.join(file)).unwrap()));
        }
    }

    /// `hallmark verify --at AT` of `claims` over plain http to this issuer's `host`, which
    /// the buyer trusts, and `more` flags.
    fn verify_over_http(&self, claims: &Path, more: &[&str]) -> Output {
        let mut args = vec![
            "verify",
            "--at",
            AT,
            "--insecure-host",
            &self.host,
            "--trust",
            &self.did,
            "--claims",
            s(claims),
            "--json",
        ];
        args.extend(more);
        hallmark(&args)
    }

    /// The `--resolve` flags serving the issuer's documents.
    fn resolve(&self) -> Vec<String> {
        let h = &self.host;
        let d = s(&self.dir);
        vec![
            "--resolve".into(),
            format!("https://{h}/.well-known/did.json={d}/did.json"),
            "--resolve".into(),
            format!("https://{h}/status/rev={d}/rev.json"),
            "--resolve".into(),
            format!("https://{h}/status/msg={d}/msg.json"),
            "--resolve".into(),
            format!("https://{h}/program={d}/program.json"),
        ]
    }

    /// A badge for `partner` at `tier` in `role`, with status index `index`, written to
    /// `file` in the issuer's folder.
    fn badge(&self, file: &str, partner: &str, tier: &str, role: &str, index: u32) -> PathBuf {
        self.badge_with(file, partner, tier, role, index, &[])
    }

    /// [`Issuer::badge`] with more `hallmark issue` flags (e.g. `--id`).
    fn badge_with(
        &self,
        file: &str,
        partner: &str,
        tier: &str,
        role: &str,
        index: u32,
        more: &[&str],
    ) -> PathBuf {
        let name = format!("{}{}", tier[..1].to_uppercase(), &tier[1..]);
        let key = key_path();
        let rev = format!("https://{}/status/rev", self.host);
        let index_text = index.to_string();
        let base = format!("https://{}", self.host);
        let mut args = vec![
            "issue",
            "--key",
            &key,
            "--issuer",
            &self.did,
            "--verification-method",
            &self.vm,
            "--issuer-name",
            "Issuer",
            "--base-url",
            &base,
            "--partner-id",
            partner,
            "--partner-name",
            "Partner",
            "--role",
            role,
            "--tier",
            tier,
            "--tier-name",
            &name,
            "--tier-description",
            "A tier.",
            "--criteria",
            "Criteria.",
            "--valid-from",
            "2026-01-15T00:00:00Z",
            "--valid-until",
            "2027-01-15T00:00:00Z",
            "--status-list",
            &rev,
            "--status-index",
            &index_text,
            "--cryptosuite",
            "eddsa-jcs-2022",
            "--created",
            "2026-01-15T00:00:00Z",
        ];
        args.extend(more);
        let out = ok(&hallmark(&args));
        // Add the issuer's "message" entry (statusSize 3: 1 = superseded) and sign again.
        let mut badge: Value = serde_json::from_str(&out).unwrap();
        let map = badge.as_object_mut().unwrap();
        map.remove("proof");
        let texts = [
            "active",
            "superseded",
            "lapsed",
            "withdrawn",
            "under review",
        ];
        let messages: Vec<Value> = (0..8usize)
            .map(|v| json!({"status": format!("0x{v:x}"), "message": texts.get(v).copied().unwrap_or("unused")}))
            .collect();
        let message = json!({
            "id": format!("https://{}/status/msg#{index}", self.host),
            "type": "BitstringStatusListEntry", "statusPurpose": "message",
            "statusListIndex": index.to_string(),
            "statusListCredential": format!("https://{}/status/msg", self.host),
            "statusSize": 3,
            "statusMessage": messages,
        });
        let status = map.remove("credentialStatus").unwrap();
        let mut entries = match status {
            Value::Array(a) => a,
            one => vec![one],
        };
        entries.push(message);
        map.insert("credentialStatus".into(), Value::Array(entries));
        let path = self.dir.join(file);
        std::fs::write(&path, badge.to_string()).unwrap();
        let signed = ok(&hallmark(&[
            "sign",
            "--key",
            &key_path(),
            "--verification-method",
            &self.vm,
            "--cryptosuite",
            "eddsa-jcs-2022",
            "--created",
            "2026-01-15T00:00:00Z",
            s(&path),
        ]));
        std::fs::write(&path, signed).unwrap();
        path
    }

    fn revoke(&self, index: u32) {
        ok(&hallmark(&[
            "status-list",
            "set",
            "--key",
            &key_path(),
            "--verification-method",
            &self.vm,
            s(&self.dir.join("rev.json")),
            &index.to_string(),
        ]));
    }

    fn supersede(&self, index: u32) {
        self.revoke(index);
        ok(&hallmark(&[
            "status-list",
            "set",
            "--key",
            &key_path(),
            "--verification-method",
            &self.vm,
            "--status",
            "1",
            "--status-size",
            "3",
            s(&self.dir.join("msg.json")),
            &index.to_string(),
        ]));
    }

    /// `hallmark verify --offline --at AT <resolve flags> ARGS…`.
    fn verify(&self, args: &[&str]) -> Output {
        let resolve = self.resolve();
        // The buyer trusts the issuer's program (without it no claim can be met).
        let mut all: Vec<&str> = vec!["verify", "--offline", "--at", AT, "--trust", &self.did];
        all.extend(resolve.iter().map(String::as_str));
        all.extend(args);
        hallmark(&all)
    }
}

fn jsonl(out: &Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn claim_check<'a>(row: &'a Value, id: &str) -> (&'a str, &'a str) {
    let c = row["claim"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {row}"));
    (
        c["outcome"].as_str().unwrap(),
        c["detail"].as_str().unwrap(),
    )
}

/// The claims file of the main scenario, with the badges it names.
fn scenario(issuer: &Issuer) -> PathBuf {
    issuer.badge("acme.json", "https://acme.example", "gold", "sales", 1);
    issuer.badge(
        "bee.json",
        "https://www.bee.example",
        "platinum",
        "sales",
        2,
    );
    issuer.badge("cee.json", "https://cee.example", "silver", "sales", 3);
    issuer.badge("dee.json", "https://dee.example", "gold", "sales", 4);
    issuer.badge("eee.json", "https://eee.example", "gold", "sales", 5);
    issuer.badge("fff.json", "https://fff.example", "gold", "sales", 6);
    issuer.supersede(4);
    issuer.revoke(5);
    let csv = "\u{feff}vendor,vendor_url,claimed_tier,badge,expected_issuer,role\r\n\
        Acme,https://acme.example,Gold,acme.json,https://issuer.example,sales\r\n\
        \"Bee, Inc.\",https://bee.example/,gold,bee.json,,\r\n\
        Cee,https://cee.example,Gold,cee.json,,\r\n\
        Dee,https://dee.example,Gold,dee.json,,\r\n\
        Eee,https://eee.example,Gold,eee.json,,\r\n\
        Impostor,https://impostor.example,Gold,fff.json,did:web:other.example,delivery\r\n\
        <script>alert(1)</script>,https://ggg.example,Gold,,,\r\n\
        Diamond,https://acme.example,Diamond,acme.json,,\r\n";
    let path = issuer.dir.join("claims.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

#[test]
fn every_claim_check_passes_fails_or_is_unknown_with_its_reason() {
    let issuer = Issuer::new("claims");
    let claims = scenario(&issuer);
    let out = issuer.verify(&[
        "--claims",
        s(&claims),
        "--trust",
        ISSUER,
        "--format",
        "jsonl",
    ]);
    // Row 7 has no badge: a row with an error, exit 2, and the run went on.
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let rows = jsonl(&out);
    assert_eq!(rows.len(), 8, "{}", stdout(&out));
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["row"], i + 1);
    }
    // Acme: every check passed, the expected issuer given as its https URL, the role sales.
    let acme = &rows[0];
    assert_eq!(acme["vendor"], "Acme");
    assert_eq!(acme["verified"], true, "{acme}");
    assert_eq!(acme["standing"], "valid");
    assert_eq!(acme["claim"]["met"], true, "{acme}");
    assert_eq!(acme["claim"]["reasons"], json!([]));
    for id in ["verdict", "subject", "tier", "issuer", "role", "superseded"] {
        assert_eq!(claim_check(acme, id).0, "passed", "{id}: {acme}");
    }
    assert!(acme["checks"].as_array().unwrap().len() >= 6);
    // Bee: www. and a trailing slash ignored; Platinum is higher than the claimed gold.
    let bee = &rows[1];
    assert_eq!(bee["vendor"], "Bee, Inc.");
    assert_eq!(bee["claim"]["met"], true, "{bee}");
    assert_eq!(
        claim_check(bee, "tier"),
        ("passed", "holds Platinum, higher than the claimed Gold")
    );
    // No expected issuer: the trust list says who issued it.
    assert_eq!(
        claim_check(bee, "issuer"),
        (
            "passed",
            "issued by did:web:issuer.example, in the trust list"
        )
    );
    assert_eq!(claim_check(bee, "role").0, "skipped");
    // Cee: Silver is lower.
    let cee = &rows[2];
    assert_eq!(cee["verified"], true);
    assert_eq!(cee["claim"]["met"], false);
    assert_eq!(
        claim_check(cee, "tier"),
        ("failed", "holds Silver, lower than the claimed Gold")
    );
    assert_eq!(
        cee["claim"]["reasons"],
        json!(["holds Silver, lower than the claimed Gold"])
    );
    // Dee: superseded (and so revoked).
    let dee = &rows[3];
    assert_eq!(dee["standing"], "revoked");
    assert_eq!(claim_check(dee, "verdict"), ("failed", "revoked"));
    assert_eq!(
        claim_check(dee, "superseded"),
        (
            "failed",
            "superseded: replaced by a renewal, upgrade or downgrade"
        )
    );
    assert_eq!(dee["claim"]["reasons"].as_array().unwrap().len(), 2);
    // Eee: revoked, not superseded.
    let eee = &rows[4];
    assert_eq!(claim_check(eee, "verdict"), ("failed", "revoked"));
    assert_eq!(claim_check(eee, "superseded").0, "passed");
    assert_eq!(eee["claim"]["reasons"], json!(["revoked"]));
    // The impostor shows another vendor's badge, from another issuer, for another role.
    let imp = &rows[5];
    assert_eq!(imp["verified"], true);
    assert_eq!(
        claim_check(imp, "subject"),
        (
            "failed",
            "the badge is for https://fff.example, not for the vendor's impostor.example"
        )
    );
    assert_eq!(
        claim_check(imp, "issuer"),
        (
            "failed",
            "issued by did:web:issuer.example, not by the expected did:web:other.example"
        )
    );
    assert_eq!(
        claim_check(imp, "role"),
        ("failed", "certifies the sales role, not delivery")
    );
    assert_eq!(imp["claim"]["reasons"].as_array().unwrap().len(), 3);
    // Row 7: no badge.
    let bad = &rows[6];
    assert_eq!(bad["verified"], false);
    assert_eq!(bad["error"], "row 7: the badge cell is empty");
    assert_eq!(bad["claim"]["met"], false);
    // Diamond is no tier of the program.
    assert_eq!(
        claim_check(&rows[7], "tier"),
        (
            "failed",
            "holds Gold; the issuer's program has no tier Diamond"
        )
    );
}

#[test]
fn an_unreadable_program_leaves_a_higher_tier_unknown_and_an_exact_one_passes() {
    let issuer = Issuer::new("noprogram");
    issuer.badge("bee.json", "https://bee.example", "platinum", "sales", 2);
    issuer.badge("acme.json", "https://acme.example", "gold", "sales", 1);
    let claims = issuer.dir.join("claims.csv");
    std::fs::write(
        &claims,
        "vendor,vendor_url,claimed_tier,badge\nBee,https://bee.example,Gold,bee.json\nAcme,https://acme.example,gold,acme.json\n",
    )
    .unwrap();
    std::fs::remove_file(issuer.dir.join("program.json")).unwrap();
    // The program's --resolve file is gone: not resolved, and --offline fetches nothing.
    let d = s(&issuer.dir);
    let h = &issuer.host;
    let out = hallmark(&[
        "verify",
        "--offline",
        "--at",
        AT,
        "--resolve",
        &format!("https://{h}/.well-known/did.json={d}/did.json"),
        "--resolve",
        &format!("https://{h}/status/rev={d}/rev.json"),
        "--resolve",
        &format!("https://{h}/status/msg={d}/msg.json"),
        "--trust",
        &issuer.did,
        "--claims",
        s(&claims),
        "--trust",
        ISSUER,
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rows = jsonl(&out);
    let (outcome, detail) = claim_check(&rows[0], "tier");
    assert_eq!(outcome, "unknown");
    assert!(
        detail.starts_with(
            "holds Platinum, not the claimed Gold; the issuer's program could not be read"
        ),
        "{detail}"
    );
    assert_eq!(rows[0]["claim"]["met"], false);
    assert_eq!(
        claim_check(&rows[1], "tier"),
        ("passed", "holds Gold, as claimed")
    );
    assert_eq!(rows[1]["claim"]["met"], true);
}

#[test]
fn table_and_csv_shapes() {
    let issuer = Issuer::new("table");
    let claims = scenario(&issuer);
    let out = issuer.verify(&["--claims", s(&claims), "--trust", ISSUER]);
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 10, "{text}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        ["ROW", "VENDOR", "TIER", "VERDICT", "CLAIM", "REASON"]
    );
    // Aligned: every column starts where its header does.
    let verdict_at = lines[0].find("VERDICT").unwrap();
    assert_eq!(&lines[1][verdict_at..verdict_at + 5], "valid", "{text}");
    assert_eq!(&lines[4][verdict_at..verdict_at + 7], "revoked", "{text}");
    assert!(lines[1].starts_with("1 ") && lines[1].contains("Acme") && lines[1].contains(" met"));
    assert!(
        lines[3].contains("not met")
            && lines[3].ends_with("holds Silver, lower than the claimed Gold"),
        "{}",
        lines[3]
    );
    assert_eq!(lines[9], "8 rows: 5 verified, 2 claims met, 6 not met");

    let out = issuer.verify(&["--claims", s(&claims), "--trust", ISSUER, "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "row",
            "vendor",
            "vendor_url",
            "claimed_tier",
            "badge",
            "verdict",
            "claim",
            "reasons"
        ]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 8);
    assert_eq!(&records[1][1], "Bee, Inc.");
    assert_eq!(&records[1][6], "met");
    assert_eq!(&records[3][5], "revoked");
    assert_eq!(
        &records[3][7],
        "superseded: replaced by a renewal, upgrade or downgrade; revoked"
    );
    assert_eq!(&records[6][5], "error");
    assert_eq!(&records[6][7], "row 7: the badge cell is empty");
    assert!(records[0][4].ends_with("acme.json"));
}

#[test]
fn directories_and_globs_expand_sorted_and_an_empty_one_is_an_error() {
    let issuer = Issuer::new("globs");
    let sub = issuer.dir.join("badges/deeper");
    std::fs::create_dir_all(&sub).unwrap();
    let a = issuer.badge("a.json", "https://a.example", "gold", "sales", 1);
    let b = issuer.badge("b.json", "https://b.example", "gold", "sales", 2);
    std::fs::rename(&a, issuer.dir.join("badges/a.json")).unwrap();
    std::fs::rename(&b, sub.join("b.json")).unwrap();
    std::fs::write(issuer.dir.join("badges/notes.txt"), "not a badge").unwrap();
    let out = issuer.verify(&["--json", s(&issuer.dir.join("badges"))]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let inputs: Vec<String> = jsonl(&out)
        .iter()
        .map(|r| r["input"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        inputs,
        [s(&issuer.dir.join("badges/a.json")), s(&sub.join("b.json"))]
    );
    let pattern = format!("{}/badges/*/*.json", s(&issuer.dir));
    let out = issuer.verify(&["--format", "jsonl", &pattern]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = jsonl(&out);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["input"], s(&sub.join("b.json")));
    assert!(rows[0].get("claim").is_none() && rows[0].get("row").is_none());
    // A table of inputs without claims: no vendor, tier or claim columns.
    let out = issuer.verify(&["--format", "table", s(&issuer.dir.join("badges"))]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = stdout(&out);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["INPUT", "VERDICT", "REASON"]
    );
    assert!(
        lines[1].starts_with(s(&issuer.dir.join("badges/a.json"))),
        "{table}"
    );
    assert!(lines[1].contains("valid"), "{table}");
    assert_eq!(lines[3], "2 inputs: 2 verified, 0 not");
    let none = format!("{}/badges/*.png", s(&issuer.dir));
    let out = issuer.verify(&[&none]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!("{none}: no file matches the pattern")),
        "{}",
        stderr(&out)
    );
    let empty = issuer.dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = issuer.verify(&[s(&empty)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("holds no .json, .png or .svg file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_html_report_holds_every_row_escaped_and_the_signed_report_verifies() {
    let issuer = Issuer::new("report");
    let claims = scenario(&issuer);
    let html = issuer.dir.join("report.html");
    let json = issuer.dir.join("report.json");
    let key = key_path();
    let out = issuer.verify(&[
        "--claims",
        s(&claims),
        "--trust",
        ISSUER,
        "--report",
        s(&html),
        "--report",
        s(&json),
        "--sign-report",
        &key,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        !page.contains("<script"),
        "no script, and the vendor's name escaped"
    );
    assert!(page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    for vendor in [
        "Acme",
        "Bee, Inc.",
        "Cee",
        "Dee",
        "Eee",
        "Impostor",
        "Diamond",
    ] {
        assert!(page.contains(&format!(": {vendor}</h2>")), "{vendor}");
    }
    assert!(page.contains(AT));
    assert!(page.contains(ISSUER));
    assert!(page.contains("holds Silver, lower than the claimed Gold"));
    assert!(
        page.contains("8 rows")
            && page.contains("2 claims met")
            && page.contains("6 claims not met")
    );
    assert!(
        page.contains("report.json")
            && page.contains("did:key:z6Mkp3FgNPqLE1ENsdNCiQEBgePypXrKPCeqSFkXN3g6Y6Wq")
    );
    assert!(
        !page.contains("http://") || !page.contains("<link"),
        "self-contained"
    );

    // The page names the signed report by its digest, and how to check it against its signer.
    let digest: String = {
        use sha2::Digest;
        sha2::Sha256::digest(std::fs::read(&json).unwrap())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    assert!(
        page.contains(&digest),
        "the signed report's SHA-256 on the page"
    );
    assert!(page.contains(
        "hallmark verify --trust did:key:z6Mkp3FgNPqLE1ENsdNCiQEBgePypXrKPCeqSFkXN3g6Y6Wq report.json"
    ));
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(
        report["type"],
        json!(["VerifiableCredential", "VerificationReport"])
    );
    assert_eq!(
        report["@context"],
        json!(["https://www.w3.org/ns/credentials/v2"])
    );
    // Signed when made, not at the instant the checks were evaluated (--at): never backdated.
    assert_ne!(report["validFrom"], AT);
    assert_eq!(
        report["validFrom"],
        report["credentialSubject"]["generated"]
    );
    assert_eq!(report["proof"]["cryptosuite"], "eddsa-jcs-2022");
    let subject = &report["credentialSubject"];
    assert_eq!(subject["type"], "ClaimsReport");
    assert_eq!(subject["at"], AT);
    assert_eq!(subject["trust"], json!([ISSUER]));
    assert_eq!(subject["rows"].as_array().unwrap().len(), 8);
    // The rows are the JSON Lines' rows.
    let lines = jsonl(&issuer.verify(&["--claims", s(&claims), "--trust", ISSUER, "--json"]));
    assert_eq!(subject["rows"].as_array().unwrap(), &lines);

    // The signed report verifies (offline: its issuer is a did:key), later.
    let out = hallmark(&["verify", "--offline", "--json", s(&json)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    // A changed row fails its proof.
    let mut changed = report.clone();
    changed["credentialSubject"]["rows"][2]["claim"]["met"] = true.into();
    let forged = issuer.dir.join("forged.json");
    std::fs::write(&forged, serde_json::to_vec_pretty(&changed).unwrap()).unwrap();
    let out = hallmark(&["verify", "--offline", "--json", s(&forged)]);
    assert_eq!(out.status.code(), Some(1));
    let line: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(line["checks"][1]["check"], "proof");
    assert_eq!(line["checks"][1]["outcome"], "failed");
}

/// Runs `hallmark ARGS` and asserts it is refused before anything runs: exit 2, `message` on
/// stderr.
fn refused(args: &[&str], message: &str) {
    let out = hallmark(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    assert!(stderr(&out).contains(message), "{}", stderr(&out));
}

#[test]
fn report_flags_are_checked_before_anything_runs() {
    let dir = temp_dir("flags");
    refused(
        &["verify", "--report", s(&dir.join("r.pdf")), "x.json"],
        "r.pdf: a report is .html (a page) or .json (the rows)",
    );
    let html = dir.join("r.html");
    refused(
        &[
            "verify",
            "--report",
            s(&html),
            "--sign-report",
            &key_path(),
            "x.json",
        ],
        "--sign-report: it signs the JSON report: add --report FILE.json",
    );
    assert!(!html.exists());
    let csv = dir.join("c.csv");
    std::fs::write(&csv, "vendor,vendor_url,badge,colour\n").unwrap();
    refused(
        &["verify", "--claims", s(&csv)],
        "the header has no claimed_tier column",
    );
    // A key file that is not there: how to make one.
    let (json, key) = (dir.join("r.json"), dir.join("buyer-key.json"));
    refused(
        &[
            "verify",
            "--report",
            s(&json),
            "--sign-report",
            s(&key),
            "x.json",
        ],
        "no such key file; make one with hallmark keygen --out",
    );
    refused(&["verify", "--jobs", "0", "x.json"], "--jobs");
}

type Routes = std::sync::Arc<std::sync::Mutex<Vec<(String, Vec<u8>)>>>;
type Seen = std::sync::Arc<std::sync::Mutex<Vec<String>>>;
/// Paths whose answer names a successor: path → `Link` target.
type Links = std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// Serves `routes` (path → body, filled in later) over plain HTTP on 127.0.0.1, logging each
/// request as `METHOD PATH`; returns the port. Bodies are sent `no-store`.
fn count_server(routes: Routes) -> (u16, Seen) {
    count_server_with(routes, Links::default())
}

/// [`count_server`], answering the paths in `links` with `Link: <…>; rel="successor-version"`.
fn count_server_with(routes: Routes, links: Links) -> (u16, Seen) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Seen = Default::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let routes = routes.clone();
            let links = links.clone();
            let log = log.clone();
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let mut words = head.split_whitespace();
                let method = words.next().unwrap_or_default().to_owned();
                let path = words.next().unwrap_or_default().to_owned();
                log.lock().unwrap().push(format!("{method} {path}"));
                let body = routes
                    .lock()
                    .unwrap()
                    .iter()
                    .find(|(p, _)| *p == path)
                    .map(|(_, b)| b.clone());
                let (status, body) = match body {
                    Some(b) => ("200 OK", b),
                    None => ("404 Not Found", b"{}".to_vec()),
                };
                let link = links
                    .lock()
                    .unwrap()
                    .iter()
                    .find(|(p, _)| *p == path)
                    .map(|(_, to)| format!("link: <{to}>; rel=\"successor-version\"\r\n"))
                    .unwrap_or_default();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncache-control: no-store\r\n{link}content-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                if method != "HEAD" {
                    let _ = stream.write_all(&body);
                }
            });
        }
    });
    (port, seen)
}

#[test]
fn each_url_is_fetched_once_per_run() {
    // The issuer is did:web:127.0.0.1%3APORT; its documents are served by a local server
    // that says `no-store`, so only the run's memo keeps a second request away.
    let routes: Routes = Default::default();
    let (port, seen) = count_server(routes.clone());
    let host = format!("127.0.0.1:{port}");
    let did = format!("did:web:127.0.0.1%3A{port}");
    let vm = format!("{did}#key-1");
    let issuer = Issuer::at("once", &host, &did, &vm);
    let mut rows = String::from("vendor,vendor_url,claimed_tier,badge\n");
    for i in 1..=6u32 {
        let partner = format!("https://v{i}.example");
        let tier = if i % 2 == 0 { "platinum" } else { "gold" };
        let badge = issuer.badge(&format!("b{i}.json"), &partner, tier, "sales", i);
        routes
            .lock()
            .unwrap()
            .push((format!("/badges/{i}"), std::fs::read(&badge).unwrap()));
        // Two rows for the same badge: still one request for it.
        rows.push_str(&format!("V{i},{partner},Gold,https://{host}/badges/{i}\n"));
        rows.push_str(&format!(
            "V{i}bis,{partner},Gold,https://{host}/badges/{i}\n"
        ));
    }
    issuer.serve_on(&routes);
    let claims = issuer.dir.join("claims.csv");
    std::fs::write(&claims, rows).unwrap();
    let out = issuer.verify_over_http(&claims, &["--jobs", "4"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let lines = jsonl(&out);
    assert_eq!(lines.len(), 12);
    assert!(
        lines.iter().all(|l| l["claim"]["met"] == true),
        "{}",
        stdout(&out)
    );
    let mut seen = seen.lock().unwrap().clone();
    seen.sort();
    let mut expected: Vec<String> = (1..=6).map(|i| format!("GET /badges/{i}")).collect();
    expected.extend(
        [
            "GET /.well-known/did.json",
            "GET /program",
            "GET /status/msg",
            "GET /status/rev",
        ]
        .map(String::from),
    );
    expected.sort();
    assert_eq!(seen, expected);
}

#[test]
fn a_superseded_badge_names_its_successor() {
    let routes: Routes = Default::default();
    let links: Links = Default::default();
    let (port, seen) = count_server_with(routes.clone(), links.clone());
    let host = format!("127.0.0.1:{port}");
    let did = format!("did:web:127.0.0.1%3A{port}");
    let issuer = Issuer::at("successor", &host, &did, &format!("{did}#key-1"));
    let (old, new) = (
        "00000000-0000-4000-8000-000000000001",
        "00000000-0000-4000-8000-000000000002",
    );
    let old_badge = issuer.badge_with(
        "old.json",
        "https://acme.example",
        "gold",
        "sales",
        1,
        &["--id", old],
    );
    let new_badge = issuer.badge_with(
        "new.json",
        "https://acme.example",
        "platinum",
        "sales",
        2,
        &["--id", new],
    );
    issuer.supersede(1);
    let new_url = format!("https://{host}/credentials/{new}");
    {
        let mut r = routes.lock().unwrap();
        r.push((
            format!("/credentials/{old}"),
            std::fs::read(&old_badge).unwrap(),
        ));
        r.push((
            format!("/credentials/{new}"),
            std::fs::read(&new_badge).unwrap(),
        ));
    }
    issuer.serve_on(&routes);
    links
        .lock()
        .unwrap()
        .push((format!("/credentials/{old}"), new_url.clone()));
    let claims = issuer.dir.join("claims.csv");
    std::fs::write(
        &claims,
        format!("vendor,vendor_url,claimed_tier,badge\nAcme,https://acme.example,Gold,https://{host}/credentials/{old}\n"),
    )
    .unwrap();
    let out = issuer.verify_over_http(&claims, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let row = &jsonl(&out)[0];
    assert_eq!(row["standing"], "revoked");
    assert_eq!(
        claim_check(row, "superseded"),
        (
            "failed",
            format!("superseded: replaced by a renewal, upgrade or downgrade; the issuer names {new_url} as its successor").as_str()
        )
    );
    assert_eq!(
        row["successor"],
        json!({"id": new_url, "standing": "valid"})
    );
    // The old badge and its successor each fetched once; one HEAD for the successor's name.
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.iter()
            .filter(|r| **r == format!("GET /credentials/{old}"))
            .count(),
        1,
        "{seen:?}"
    );
    assert_eq!(
        seen.iter()
            .filter(|r| **r == format!("HEAD /credentials/{old}"))
            .count(),
        1,
        "{seen:?}"
    );
    assert_eq!(
        seen.iter()
            .filter(|r| **r == format!("GET /credentials/{new}"))
            .count(),
        1,
        "{seen:?}"
    );
    assert_eq!(
        seen.iter()
            .filter(|r| **r == "GET /.well-known/did.json")
            .count(),
        1,
        "{seen:?}"
    );
}

/// `hallmark serve` (SQLite) on 127.0.0.1; killed and its folder removed when dropped.
struct Served {
    child: std::process::Child,
    port: u16,
    token: String,
    dir: PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn serve() -> Served {
    use hallmark_testkit::process::{example_issuer_folder, free_port, spawn_listening, stdout_of};
    let port = free_port();
    let dir = example_issuer_folder(
        &format!("procure-{port}"),
        &format!(
            "issuer_id = \"did:web:127.0.0.1%3A{port}\"\nissuer_name = \"Acme\"\nbase_url = \"http://127.0.0.1:{port}\"\nlisten = \"127.0.0.1:{port}\"\ndatabase_url = \"sqlite:hallmark.db\"\n"
        ),
    );
    let config = dir.join("config.toml");
    let token = stdout_of(Command::new(env!("CARGO_BIN_EXE_hallmark")).args([
        "token",
        "create",
        "--config",
        s(&config),
        "--name",
        "e2e",
    ]));
    let (child, _, _) = spawn_listening(Command::new(env!("CARGO_BIN_EXE_hallmark")).args([
        "serve",
        "--config",
        s(&config),
    ]));
    Served {
        child,
        port,
        token,
        dir,
    }
}

/// Against the issuer service itself: its badges, its status lists (an upgrade supersedes
/// the Silver badge) and its published program (`GET /program`, JSON) decide the claims.
#[test]
fn claims_against_a_running_issuer() {
    use hallmark_testkit::process::http;
    let server = serve();
    let (port, token) = (server.port, Some(server.token.as_str()));
    let references: Vec<Value> = (0..3)
        .map(|i| json!({"name": format!("Customer {i}"), "validated": true}))
        .collect();
    let mut urls = Vec::new();
    for (name, tiers) in [
        ("Fabrikam", &["silver", "gold"][..]),
        ("Contoso", &["gold"][..]),
    ] {
        let (status, partner) = http(
            port,
            "POST",
            "/api/v1/partners",
            token,
            Some(&json!({"name": name, "url": format!("https://{}.example", name.to_lowercase())})),
        );
        assert_eq!(status, 201, "{partner}");
        for tier in tiers {
            let approval = json!({
                "partner_id": partner["id"], "tier": tier, "role": "solutions",
                "competencies": ["CLOUD-FUND", "CLOUD-ARCH", "SEC-IAM", "DATA-MIG"], "exam_score": 88,
                "demo_level": "Advanced", "approver": "E2E", "references": references,
            });
            let (status, approved) =
                http(port, "POST", "/api/v1/approvals", token, Some(&approval));
            assert_eq!(status, 201, "{approved}");
            urls.push(approved["credential"]["id"].as_str().unwrap().to_owned());
        }
    }
    let (silver, gold, contoso) = (&urls[0], &urls[1], &urls[2]);
    let dir = temp_dir("served");
    let claims = dir.join("claims.csv");
    let issuer = format!("did:web:127.0.0.1%3A{port}");
    std::fs::write(
        &claims,
        format!(
            "vendor,vendor_url,claimed_tier,badge,expected_issuer,role\n\
             Fabrikam,https://fabrikam.example,Gold,{gold},{issuer},solutions\n\
             Fabrikam (old),https://fabrikam.example,Silver,{silver},,\n\
             Contoso,https://www.contoso.example,silver,{contoso},,\n\
             Contoso,https://contoso.example,Platinum,{contoso},,\n"
        ),
    )
    .unwrap();
    let host = format!("127.0.0.1:{port}");
    let out = hallmark(&[
        "verify",
        "--insecure-host",
        &host,
        "--trust",
        &issuer,
        "--claims",
        s(&claims),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rows = jsonl(&out);
    assert_eq!(rows[0]["claim"]["met"], true, "{}", rows[0]);
    assert_eq!(
        claim_check(&rows[0], "tier").1,
        "holds Gold Partner, as claimed"
    );
    assert_eq!(rows[1]["standing"], "revoked");
    let (outcome, detail) = claim_check(&rows[1], "superseded");
    assert_eq!(outcome, "failed");
    assert_eq!(
        detail,
        format!("superseded: replaced by a renewal, upgrade or downgrade; the issuer names {gold} as its successor")
    );
    assert_eq!(rows[2]["claim"]["met"], true, "{}", rows[2]);
    assert_eq!(
        claim_check(&rows[2], "tier"),
        (
            "passed",
            "holds Gold Partner, higher than the claimed Silver Partner"
        )
    );
    assert_eq!(
        claim_check(&rows[3], "tier"),
        (
            "failed",
            "holds Gold Partner, lower than the claimed Platinum Partner"
        )
    );
}

#[test]
fn a_forged_badge_of_an_untrusted_issuer_makes_no_request_to_the_host_it_names() {
    // A vendor's self-signed badge (a did:key issuer nobody trusts) whose id names a host the
    // vendor chose: the run asks that host nothing, not even for a successor (newcomer's
    // finding: each such row waited on DNS for a host of the forger's choosing).
    let trip = Tripwire::new();
    let host = format!("127.0.0.1:{}", trip.port);
    let dir = temp_dir("forged");
    let badge = dir.join("forged.json");
    let signed = ok(&hallmark(&[
        "issue",
        "--key",
        &key_path(),
        "--issuer-name",
        "Acme Cloud Partner Program",
        "--base-url",
        &format!("http://{host}"),
        "--partner-id",
        "https://tailspin.example",
        "--partner-name",
        "Tailspin Toys",
        "--role",
        "sales",
        "--tier",
        "gold",
        "--tier-name",
        "Gold",
        "--tier-description",
        "Gold partners.",
        "--criteria",
        "An exam.",
        "--cryptosuite",
        "eddsa-jcs-2022",
    ]));
    std::fs::write(&badge, signed).unwrap();
    let claims = dir.join("claims.csv");
    std::fs::write(
        &claims,
        "vendor,vendor_url,claimed_tier,badge\nTailspin,https://tailspin.example,Gold,forged.json\n",
    )
    .unwrap();
    for trust in [&["--trust", ISSUER][..], &[]] {
        let mut args = vec![
            "verify",
            "--insecure-host",
            &host,
            "--claims",
            s(&claims),
            "--json",
        ];
        args.extend(trust);
        let out = hallmark(&args);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let row = &jsonl(&out)[0];
        assert_eq!(row["claim"]["met"], false, "{row}");
        let (outcome, detail) = claim_check(row, "issuer");
        if trust.is_empty() {
            // Valid as a signature, but nobody vouched for its issuer: unknown, not met.
            assert_eq!(row["standing"], "valid", "{row}");
            assert_eq!(outcome, "unknown", "{detail}");
            assert!(detail.contains("give --trust"), "{detail}");
        } else {
            assert_eq!(row["standing"], "invalid", "{row}");
            assert_eq!(outcome, "failed", "{detail}");
        }
    }
    assert_eq!(trip.connections(), 0, "the forger's host was asked");
}

/// A claims file a dishonest vendor filled: its own self-signed badge, a device and `-` as
/// badges, a formula as its name, escape sequences in its name.
#[test]
fn a_hostile_claims_file_meets_no_claim_and_runs_nothing() {
    let dir = temp_dir("hostile");
    let key = dir.join("vendor-key.json");
    let did = stdout(&hallmark(&["keygen", "--out", s(&key)]));
    let did = did.trim();
    // The vendor signs its own Platinum badge naming itself.
    let badge = ok(&hallmark(&[
        "issue",
        "--key",
        s(&key),
        "--issuer-name",
        "Acme Partner Program",
        "--base-url",
        "https://partners.acme.example",
        "--partner-id",
        "https://vendor.example",
        "--partner-name",
        "Vendor\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}",
        "--role",
        "sales",
        "--tier",
        "platinum",
        "--tier-name",
        "Platinum",
        "--tier-description",
        "x",
        "--criteria",
        "x",
        "--cryptosuite",
        "eddsa-jcs-2022",
        "--valid-from",
        "2026-01-15T00:00:00Z",
    ]));
    std::fs::write(dir.join("own.json"), badge).unwrap();
    let claims = dir.join("claims.csv");
    std::fs::write(
        &claims,
        "vendor,vendor_url,claimed_tier,badge\n\
         Vendor,https://vendor.example,Platinum,own.json\n\
         \"=HYPERLINK(\"\"https://evil.example\"\";\"\"x\"\")\",https://vendor.example,Gold,/dev/zero\n\
         \"Dash\u{1b}[2J\",https://vendor.example,Gold,-\n",
    )
    .unwrap();
    let out = hallmark(&[
        "verify",
        "--offline",
        "--at",
        AT,
        "--claims",
        s(&claims),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let rows = jsonl(&out);
    assert_eq!(rows[0]["standing"], "valid");
    assert_eq!(rows[0]["claim"]["met"], false, "{}", rows[0]);
    assert_eq!(
        claim_check(&rows[0], "issuer"),
        (
            "unknown",
            format!(
                "issued by {did}, but no expected issuer is given and no trust list: anyone \
                 can sign a badge naming the vendor (give --trust, or an expected_issuer column)"
            )
            .as_str()
        )
    );
    assert_eq!(
        rows[1]["error"],
        "/dev/zero: the badge is not a regular file"
    );
    assert!(
        stderr(&out).contains("warning: no --trust: a badge's issuer is checked only against"),
        "{}",
        stderr(&out)
    );
    // `-` is a file of that name (none here), never standard input.
    let dash = format!("{}/-", s(&dir));
    assert_eq!(rows[2]["input"], dash.as_str());
    assert!(
        rows[2]["error"]
            .as_str()
            .unwrap()
            .starts_with(&format!("cannot read {dash}: ")),
        "{}",
        rows[2]
    );
    // With the real issuer trusted, the vendor's own badge is invalid.
    let out = hallmark(&[
        "verify",
        "--offline",
        "--at",
        AT,
        "--trust",
        ISSUER,
        "--claims",
        s(&claims),
        "--json",
    ]);
    assert_eq!(jsonl(&out)[0]["standing"], "invalid");
    // CSV: the formula is text; the table and the human report print no escape sequence.
    let out = hallmark(&[
        "verify",
        "--offline",
        "--at",
        AT,
        "--claims",
        s(&claims),
        "--format",
        "csv",
    ]);
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(
        &records[1][1],
        "'=HYPERLINK(\"https://evil.example\";\"x\")"
    );
    // Plain verify of the badge, whose subject's name carries escape sequences.
    let out = hallmark(&["verify", "--offline", "--at", AT, s(&dir.join("own.json"))]);
    let all = stderr(&out);
    assert!(
        all.contains("Vendor\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{202e}"),
        "{all}"
    );
    assert!(
        !all.contains('\u{1b}') && !all.contains('\u{202e}'),
        "{all}"
    );
    for format in ["table", "human"] {
        let out = hallmark(&[
            "verify",
            "--offline",
            "--at",
            AT,
            "--claims",
            s(&claims),
            "--format",
            format,
        ]);
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!all.contains('\u{1b}'), "{format}: {all}");
    }
}

/// Every row of a batch run says what plain `hallmark verify` says of the same file: here the
/// verify vectors (a duplicate key, S + L, tampered, another issuer's key…) among 300 valid
/// badges, verified together (a table run) and one by one (`--json`).
#[test]
fn a_batch_run_reports_every_file_as_plain_verify_does() {
    let dir = temp_dir("batch-vs-plain");
    let vectors = root().join("tests/vectors/verify");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&vectors).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "txt") {
            let text = std::fs::read_to_string(&path).unwrap();
            let body: String = text
                .lines()
                .filter(|l| !l.starts_with('#'))
                .map(|l| format!("{l}\n"))
                .collect();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            std::fs::write(dir.join(format!("{name}.json")), body).unwrap();
            names.push(name);
        }
    }
    assert!(names.contains(&"duplicate-key".to_owned()), "{names:?}");
    let valid = std::fs::read(dir.join("valid.json")).unwrap();
    for i in 0..300 {
        std::fs::write(dir.join(format!("zz-valid-{i:03}.json")), &valid).unwrap();
    }
    let report = temp_dir("batch-vs-plain-report").join("run.json");
    let args = |more: &[&str]| {
        let mut all = vec!["verify", "--offline", "--at", AT];
        all.extend(more);
        hallmark(&all)
    };
    let batch = args(&["--format", "jsonl", "--report", s(&report), s(&dir)]);
    let plain = args(&["--json", s(&dir)]);
    assert_eq!(batch.status.code(), plain.status.code());
    let (batch, plain) = (jsonl(&batch), jsonl(&plain));
    assert_eq!(batch.len(), names.len() + 300);
    assert_eq!(batch.len(), plain.len());
    for (b, p) in batch.iter().zip(&plain) {
        assert_eq!(b["input"], p["input"]);
        if b.get("error").is_some() {
            // Not JSON at all: an unreadable input either way (exit 2).
            assert_eq!(p["checks"][0]["code"], "PARSING_ERROR", "{p}");
            continue;
        }
        assert_eq!(b["verified"], p["verified"], "{}", b["input"]);
        assert_eq!(b["checks"], p["checks"], "{}", b["input"]);
    }
    let duplicate = batch
        .iter()
        .find(|b| b["input"].as_str().unwrap().ends_with("duplicate-key.json"))
        .unwrap();
    assert_eq!(duplicate["standing"], "invalid", "{duplicate}");
    assert!(duplicate.get("error").is_none(), "{duplicate}");
}

/// A superseded badge wrapped in a presentation is still superseded; a badge held enveloped
/// (its message status not read) leaves it unknown.
#[test]
fn a_presentation_does_not_hide_a_superseded_badge() {
    let issuer = Issuer::new("wrapped");
    let badge = issuer.badge("old.json", "https://acme.example", "gold", "sales", 4);
    issuer.supersede(4);
    let credential: Value = serde_json::from_slice(&std::fs::read(&badge).unwrap()).unwrap();
    let vp = |held: Value| {
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": [held],
        })
    };
    std::fs::write(issuer.dir.join("vp.json"), vp(credential).to_string()).unwrap();
    let enveloped = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["EnvelopedVerifiableCredential"],
        "id": "data:application/vc+jwt,eyJhbGciOiJFZERTQSJ9.e30.AA",
    });
    std::fs::write(issuer.dir.join("env.json"), vp(enveloped).to_string()).unwrap();
    let claims = issuer.dir.join("claims.csv");
    std::fs::write(
        &claims,
        "vendor,vendor_url,claimed_tier,badge\n\
         Acme,https://acme.example,Gold,vp.json\n\
         Acme,https://acme.example,Gold,env.json\n",
    )
    .unwrap();
    let out = issuer.verify(&["--claims", s(&claims), "--trust", ISSUER, "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rows = jsonl(&out);
    assert_eq!(
        claim_check(&rows[0], "superseded"),
        (
            "failed",
            "superseded: replaced by a renewal, upgrade or downgrade"
        ),
        "{}",
        rows[0]
    );
    assert_eq!(
        claim_check(&rows[1], "superseded"),
        ("unknown", "the badge's message status could not be read"),
        "{}",
        rows[1]
    );
}
