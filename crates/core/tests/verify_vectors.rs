//! Verification vectors (tests/vectors/verify/*.txt): each file states what it is, the instant
//! and trust list to verify with, and the expected outcome of every check, then holds the
//! credential bytes. One test walks the folder; another regenerates the files from the
//! example key (keys.example/issuer.json) and fails if the committed copies are stale
//! (`UPDATE_VECTORS=1 cargo test -p hallmark-core --test verify_vectors` rewrites them).

mod common;

use common::Files;

use std::collections::BTreeMap;
use std::path::PathBuf;

use hallmark_core::badge;
use hallmark_core::did::{Did, Relationship};
use hallmark_core::keys::KeyFile;
use hallmark_core::multibase::Multibase;
use hallmark_core::proof::{self, Cryptosuite, ProofOptions};
use hallmark_core::status::{Bitstring, StatusEntry, StatusListSpec, StatusPurpose, MIN_ENTRIES};
use hallmark_core::trust::{TrustList, TrustedIssuer};
use hallmark_core::verify::Verifier;
use hallmark_testkit::VectorFile;
use serde_json::{json, Map, Value};
use time::macros::datetime;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn vectors_dir() -> PathBuf {
    root().join("tests/vectors/verify")
}

/// One vector: its header and body.
struct Vector {
    about: String,
    at: String,
    trust: Vec<String>,
    /// `URL=FILE`, FILE relative to the vectors folder.
    resolve: Vec<String>,
    expect: String,
    exit: u8,
    body: Vec<u8>,
}

impl Vector {
    fn render(&self) -> Vec<u8> {
        let mut headers = vec![("at".to_owned(), self.at.clone())];
        for x in &self.trust {
            headers.push(("trust".to_owned(), x.clone()));
        }
        for x in &self.resolve {
            headers.push(("resolve".to_owned(), x.clone()));
        }
        headers.push(("expect".to_owned(), self.expect.clone()));
        headers.push(("exit".to_owned(), self.exit.to_string()));
        VectorFile {
            about: self.about.clone(),
            headers,
            body: self.body.clone(),
        }
        .render()
    }

    fn parse(bytes: &[u8]) -> Self {
        let file = VectorFile::parse(bytes);
        let one = |key| file.get(key).unwrap_or_default().to_owned();
        Vector {
            about: file.about.clone(),
            at: one("at"),
            trust: file.all("trust").map(str::to_owned).collect(),
            resolve: file.all("resolve").map(str::to_owned).collect(),
            expect: one("expect"),
            exit: one("exit").parse().expect("exit is a number"),
            body: file.body.clone(),
        }
    }
}

fn example_key() -> KeyFile {
    KeyFile::from_json(&std::fs::read(root().join("keys.example/issuer.json")).unwrap()).unwrap()
}

fn sign_with(map: Map<String, Value>, key: &KeyFile, purpose: Relationship) -> Map<String, Value> {
    let mut options = ProofOptions::did_key(
        &key.public_key(),
        Cryptosuite::EddsaJcs2022,
        Some(datetime!(2026-01-15 09:00 UTC)),
    );
    options.proof_purpose = purpose;
    proof::sign(map, &options, key.secret_key()).unwrap()
}

fn pretty(map: &Map<String, Value>) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(map).unwrap();
    v.push(b'\n');
    v
}

const AT: &str = "2026-06-01T00:00:00Z";
const OK: &str = "verified=true parse=passed proof=passed issuer=passed trust=warning validity=passed status=skipped";

fn expect(changes: &[(&str, &str)]) -> String {
    let mut parts: BTreeMap<&str, String> = OK
        .split(' ')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k, v.to_owned()))
        .collect();
    for (k, v) in changes {
        parts.insert(k, (*v).to_owned());
    }
    let verified = parts
        .iter()
        .all(|(k, v)| *k == "verified" || !(v.starts_with("failed") || v.starts_with("unknown")));
    parts.insert("verified", verified.to_string());
    [
        "verified", "parse", "proof", "issuer", "trust", "validity", "status",
    ]
    .iter()
    .map(|k| format!("{k}={}", parts[k]))
    .collect::<Vec<_>>()
    .join(" ")
}

/// Files the vectors refer to (status lists), by path relative to the vectors folder.
type FileMap = BTreeMap<String, Vec<u8>>;

fn generate() -> (BTreeMap<&'static str, Vector>, FileMap) {
    let key = example_key();
    let did = Did::key(&key.public_key());
    let unsigned = badge::example(&did).build().unwrap().into_map();
    let signed = sign_with(unsigned.clone(), &key, Relationship::AssertionMethod);
    let mut out = BTreeMap::new();
    let mut add = |name: &'static str,
                   about: &str,
                   at: &str,
                   trust: &[&str],
                   changes: &[(&str, &str)],
                   body: Vec<u8>| {
        let expect = expect(changes);
        let exit = if expect.starts_with("verified=true") {
            0
        } else if changes.iter().any(|(_, v)| v.contains("PARSING_ERROR")) && name == "not-json" {
            2
        } else {
            1
        };
        out.insert(
            name,
            Vector {
                about: about.into(),
                at: at.into(),
                trust: trust.iter().map(|s| s.to_string()).collect(),
                resolve: vec![],
                expect,
                exit,
                body,
            },
        );
    };
    let did_s = did.to_string();

    add(
        "valid",
        "A partner badge from the example issuer, no trust list: verified, trust warns.",
        AT,
        &[],
        &[],
        pretty(&signed),
    );
    add(
        "valid-trusted",
        "The same badge with its issuer in the trust list.",
        AT,
        &[&did_s],
        &[("trust", "passed")],
        pretty(&signed),
    );
    add(
        "untrusted-issuer",
        "A valid badge whose issuer is not in the trust list.",
        AT,
        &["did:web:someone-else.example"],
        &[("trust", "failed")],
        pretty(&signed),
    );
    add(
        "expired",
        "Checked a fortnight after validUntil (2027-01-15T00:00:00Z).",
        "2027-02-01T00:00:00Z",
        &[],
        &[("validity", "failed:RANGE_ERROR")],
        pretty(&signed),
    );
    add(
        "not-yet-valid",
        "Checked before validFrom (2026-01-15T00:00:00Z).",
        "2025-12-01T00:00:00Z",
        &[],
        &[("validity", "failed:RANGE_ERROR")],
        pretty(&signed),
    );
    add(
        "within-clock-skew",
        "Checked two minutes after validUntil: within the default five-minute skew.",
        "2027-01-15T00:02:00Z",
        &[],
        &[],
        pretty(&signed),
    );

    let mut bad_date = unsigned.clone();
    bad_date.insert("validUntil".into(), "2027-02-30T00:00:00Z".into());
    add(
        "unparseable-valid-until",
        "validUntil names February 30th (signed that way): the parse and validity checks fail.",
        AT,
        &[],
        &[
            ("parse", "failed:MALFORMED_VALUE_ERROR"),
            ("validity", "failed:MALFORMED_VALUE_ERROR"),
        ],
        pretty(&sign_with(bad_date, &key, Relationship::AssertionMethod)),
    );

    let mut no_type = unsigned.clone();
    no_type["evidence"][0]
        .as_object_mut()
        .unwrap()
        .remove("type");
    add(
        "evidence-without-type",
        "An evidence object with no type (VC 2.0 §5.2), signed that way.",
        AT,
        &[],
        &[("parse", "failed:MALFORMED_VALUE_ERROR")],
        pretty(&sign_with(no_type, &key, Relationship::AssertionMethod)),
    );

    let mut reversed = unsigned.clone();
    reversed.insert("validFrom".into(), "2027-02-01T00:00:00Z".into());
    add(
        "valid-from-after-valid-until",
        "validFrom is later than validUntil (VC 2.0 §4.9), signed that way.",
        AT,
        &[],
        &[
            ("parse", "failed:RANGE_ERROR"),
            ("validity", "failed:RANGE_ERROR"),
        ],
        pretty(&sign_with(reversed, &key, Relationship::AssertionMethod)),
    );

    let mut offset = unsigned.clone();
    offset.insert("validUntil".into(), "2027-01-15T01:00:00+02:00".into());
    let offset_signed = sign_with(offset, &key, Relationship::AssertionMethod);
    add("offset-valid-until-expired", "validUntil 2027-01-15T01:00:00+02:00 is 2027-01-14T23:00Z; at 23:30Z it has expired, though the text compares later.", "2027-01-14T23:30:00Z", &[], &[("validity", "failed:RANGE_ERROR")], pretty(&offset_signed));
    add(
        "offset-valid-until-valid",
        "The same badge at 22:50Z, still valid.",
        "2027-01-14T22:50:00Z",
        &[],
        &[],
        pretty(&offset_signed),
    );

    let mut tampered = signed.clone();
    tampered["credentialSubject"]["achievement"]["name"] = "Platinum Partner".into();
    add(
        "tampered-field",
        "The tier's name was changed after signing.",
        AT,
        &[],
        &[("proof", "failed:PROOF_VERIFICATION_ERROR")],
        pretty(&tampered),
    );

    let text = String::from_utf8(pretty(&signed)).unwrap();
    let duplicate = text.replacen(
        "{\n",
        "{\n  \"name\": \"Platinum Partner — Solutions\",\n",
        1,
    );
    add(
        "duplicate-key",
        "\"name\" appears twice at the top level: refused before any check.",
        AT,
        &[],
        &[
            ("parse", "failed:PARSING_ERROR"),
            ("proof", "skipped"),
            ("issuer", "skipped"),
            ("trust", "skipped"),
            ("validity", "skipped"),
            ("status", "skipped"),
        ],
        duplicate.into_bytes(),
    );
    add(
        "not-json",
        "Not JSON at all (the CLI exits 2).",
        AT,
        &[],
        &[
            ("parse", "failed:PARSING_ERROR"),
            ("proof", "skipped"),
            ("issuer", "skipped"),
            ("trust", "skipped"),
            ("validity", "skipped"),
            ("status", "skipped"),
        ],
        b"Gold Partner, trust me.\n".to_vec(),
    );

    // RFC 8785 §3.2.2 numbers and §3.2.3 names, written as the RFC writes them (not canonical).
    let raw_subject = r#"{
    "id": "did:example:rfc8785",
    "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    "literals": [null, true, false],
    "\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis"
  }"#;
    let raw = format!(
        "{{\n  \"@context\": [\"https://www.w3.org/ns/credentials/v2\", \"https://www.w3.org/ns/credentials/examples/v2\"],\n  \"type\": [\"VerifiableCredential\"],\n  \"issuer\": \"{did_s}\",\n  \"validFrom\": \"2026-01-15T00:00:00Z\",\n  \"credentialSubject\": {raw_subject}\n}}\n"
    );
    let parsed = hallmark_core::json::parse(raw.as_bytes()).unwrap();
    let rfc_signed = sign_with(
        parsed.as_object().unwrap().clone(),
        &key,
        Relationship::AssertionMethod,
    );
    let proof_text = serde_json::to_string_pretty(&rfc_signed["proof"])
        .unwrap()
        .replace('\n', "\n  ");
    let body = format!(
        "{},\n  \"proof\": {proof_text}\n}}\n",
        raw.trim_end().trim_end_matches('}').trim_end()
    );
    add(
        "rfc8785-numbers-and-names",
        "RFC 8785's number and member-name examples, written non-canonically, signed and verified.",
        AT,
        &[],
        &[],
        body.into_bytes(),
    );

    // S + L: the same signature with a non-canonical scalar, which verify_strict refuses.
    let mut high_s = signed.clone();
    let sig = Multibase::decode_base58btc(signed["proof"]["proofValue"].as_str().unwrap()).unwrap();
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut s = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(sig[32 + i]) + u16::from(L[i]) + carry;
        s[i] = sum as u8;
        carry = sum >> 8;
    }
    let forged = [&sig[..32], &s[..]].concat();
    high_s["proof"]["proofValue"] = Multibase::encode_base58btc(&forged).as_str().into();
    add(
        "signature-s-not-reduced",
        "The valid signature with S replaced by S + L (non-canonical): verify_strict refuses it.",
        AT,
        &[],
        &[("proof", "failed:PROOF_VERIFICATION_ERROR")],
        pretty(&high_s),
    );

    let mut suite = signed.clone();
    suite["proof"]["cryptosuite"] = "eddsa-2099".into();
    add(
        "unknown-cryptosuite",
        "The proof names a cryptosuite nobody implements.",
        AT,
        &[],
        &[("proof", "failed:PROOF_VERIFICATION_ERROR")],
        pretty(&suite),
    );

    let mut no_vm = signed.clone();
    no_vm["proof"]
        .as_object_mut()
        .unwrap()
        .remove("verificationMethod");
    add("missing-verification-method", "The proof has no verificationMethod: nothing to verify with, nothing ties it to the issuer.", AT, &[], &[("proof", "failed:PROOF_VERIFICATION_ERROR"), ("issuer", "failed:INVALID_VERIFICATION_METHOD")], pretty(&no_vm));

    add(
        "wrong-proof-purpose",
        "Signed for authentication, not assertionMethod.",
        AT,
        &[],
        &[("proof", "failed:PROOF_VERIFICATION_ERROR")],
        pretty(&sign_with(
            unsigned.clone(),
            &key,
            Relationship::Authentication,
        )),
    );

    let mut not_multibase = signed.clone();
    not_multibase["proof"]["proofValue"] = "uMEUCIQDnot-base58btc".into();
    add(
        "non-multibase-proof-value",
        "proofValue is base64url-prefixed, not base58btc.",
        AT,
        &[],
        &[("proof", "failed:PROOF_VERIFICATION_ERROR")],
        pretty(&not_multibase),
    );

    let mut other = unsigned.clone();
    other["issuer"]["id"] = "did:web:acme.example".into();
    add(
        "other-issuer",
        "Names did:web:acme.example as issuer but is signed by the example did:key.",
        AT,
        &[],
        &[("issuer", "failed:INVALID_VERIFICATION_METHOD")],
        pretty(&sign_with(other, &key, Relationship::AssertionMethod)),
    );

    let mut set = signed.clone();
    let mut second_options = ProofOptions::did_key(
        &key.public_key(),
        Cryptosuite::EddsaJcs2022,
        Some(datetime!(2026-02-01 12:00 UTC)),
    );
    second_options.proof_purpose = Relationship::AssertionMethod;
    let second = proof::sign(unsigned.clone(), &second_options, key.secret_key()).unwrap();
    set.insert("proof".into(), json!([signed["proof"], second["proof"]]));
    add(
        "proof-set",
        "Two proofs by the issuer (a proof set): both verify.",
        AT,
        &[],
        &[],
        pretty(&set),
    );
    let mut bad_set = set.clone();
    bad_set["proof"][1]["proofValue"] = tampered_signature(&bad_set["proof"][1]["proofValue"]);
    add(
        "proof-set-one-bad",
        "A proof set whose second proof's signature was altered: every proof must verify.",
        AT,
        &[],
        &[("proof", "failed:PROOF_VERIFICATION_ERROR")],
        pretty(&bad_set),
    );

    let mut ctx = signed.clone();
    ctx["proof"]["@context"] = json!([
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2"
    ]);
    add(
        "proof-context-not-a-prefix",
        "The proof's @context is not a prefix of the document's (VC-DI-EdDSA §3.3.2 step 4).",
        AT,
        &[],
        &[("proof", "failed:PROOF_VERIFICATION_ERROR")],
        pretty(&ctx),
    );

    let mut files = FileMap::new();
    status_vectors(&key, &unsigned, &mut out, &mut files);
    (out, files)
}

const STATUS_BASE: &str = "https://acme.example/status";

/// A signed status list credential with `set` entries set, and its URL and file name.
fn list(
    name: &str,
    purpose: StatusPurpose,
    entries: usize,
    set: &[u64],
    signer: &KeyFile,
    issuer: &str,
    files: &mut FileMap,
) -> (String, String) {
    let url = format!("{STATUS_BASE}/{name}");
    let spec = StatusListSpec {
        url: url.clone(),
        issuer: issuer.to_owned(),
        purpose,
        valid_from: datetime!(2026-01-01 00:00 UTC),
        valid_until: None,
        ttl_ms: Some(300_000),
    };
    let bits = if entries >= MIN_ENTRIES {
        let mut b = Bitstring::new(entries, 1).unwrap();
        for i in set {
            b.set(*i, 1, 1).unwrap();
        }
        b
    } else {
        // Below the minimum Hallmark will not build one: take the 100,000-bit list from the
        // digitalbazaar vectors.
        Bitstring::decode(
            "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQsvoAAAAAAAAAAAAAAAAP4GcwM92tQwAAA",
            1 << 20,
        )
        .unwrap()
    };
    let signed = sign_with(
        spec.build(&bits).unwrap().into_map(),
        signer,
        Relationship::AssertionMethod,
    );
    let file = format!("lists/{name}.json");
    files.insert(file.clone(), pretty(&signed));
    (url.clone(), format!("{url}={file}"))
}

fn entry(purpose: StatusPurpose, url: &str, index: u64) -> Value {
    StatusEntry {
        purpose,
        index,
        list_url: url.to_owned(),
        status_size: 1,
        messages: vec![],
        reference: Vec::new(),
    }
    .to_json()
}

fn status_vectors(
    key: &KeyFile,
    unsigned: &Map<String, Value>,
    out: &mut BTreeMap<&'static str, Vector>,
    files: &mut FileMap,
) {
    let issuer = Did::key(&key.public_key()).to_string();
    let other_key = KeyFile::new(hallmark_core::keys::SecretKey::from_seed(&[5; 32]));
    let other = Did::key(&other_key.public_key()).to_string();
    let (rev_clear, r1) = list(
        "revocation-clear",
        StatusPurpose::Revocation,
        MIN_ENTRIES,
        &[],
        key,
        &issuer,
        files,
    );
    let (sus_clear, r2) = list(
        "suspension-clear",
        StatusPurpose::Suspension,
        MIN_ENTRIES,
        &[],
        key,
        &issuer,
        files,
    );
    let (rev_set, r3) = list(
        "revocation-94567-set",
        StatusPurpose::Revocation,
        MIN_ENTRIES,
        &[94_567],
        key,
        &issuer,
        files,
    );
    let (sus_set, r4) = list(
        "suspension-12-set",
        StatusPurpose::Suspension,
        MIN_ENTRIES,
        &[12],
        key,
        &issuer,
        files,
    );
    let (short, r5) = list(
        "revocation-100000-bits",
        StatusPurpose::Revocation,
        100_000,
        &[],
        key,
        &issuer,
        files,
    );
    let (by_other, r6) = list(
        "revocation-by-another-issuer",
        StatusPurpose::Revocation,
        MIN_ENTRIES,
        &[],
        &other_key,
        &other,
        files,
    );
    let (wrong_signer, r7) = list(
        "revocation-wrong-signer",
        StatusPurpose::Revocation,
        MIN_ENTRIES,
        &[],
        &other_key,
        &issuer,
        files,
    );
    // A list whose encodedList was swapped after signing (bit 94567 set without re-signing).
    let tampered_url = format!("{STATUS_BASE}/revocation-tampered");
    let mut tampered: Map<String, Value> =
        serde_json::from_slice(&files["lists/revocation-clear.json"]).unwrap();
    let set_list: Map<String, Value> =
        serde_json::from_slice(&files["lists/revocation-94567-set.json"]).unwrap();
    tampered["credentialSubject"]["encodedList"] =
        set_list["credentialSubject"]["encodedList"].clone();
    files.insert("lists/revocation-tampered.json".into(), pretty(&tampered));
    let r8 = format!("{tampered_url}=lists/revocation-tampered.json");

    let badge = |status: Value| {
        let mut b = unsigned.clone();
        b.insert("credentialStatus".into(), status);
        pretty(&sign_with(b, key, Relationship::AssertionMethod))
    };
    let mut add = |name: &'static str,
                   about: &str,
                   resolve: &[&String],
                   changes: &[(&str, &str)],
                   body: Vec<u8>| {
        let expect = expect(changes);
        let exit = if expect.starts_with("verified=true") {
            0
        } else {
            1
        };
        out.insert(
            name,
            Vector {
                about: about.into(),
                at: AT.into(),
                trust: vec![],
                resolve: resolve.iter().map(|s| s.to_string()).collect(),
                expect,
                exit,
                body,
            },
        );
    };
    let both = |rev: &str, rev_i: u64, sus: &str, sus_i: u64| {
        json!([
            entry(StatusPurpose::Revocation, rev, rev_i),
            entry(StatusPurpose::Suspension, sus, sus_i)
        ])
    };

    add(
        "status-clear",
        "Revocation and suspension entries, both lists clear.",
        &[&r1, &r2],
        &[("status", "passed")],
        badge(both(&rev_clear, 94_567, &sus_clear, 12)),
    );
    add(
        "status-revoked",
        "The revocation bit is set.",
        &[&r3, &r2],
        &[("status", "failed:STATUS_REVOKED")],
        badge(both(&rev_set, 94_567, &sus_clear, 12)),
    );
    add(
        "status-suspended",
        "The suspension bit is set; the suspension entry comes second.",
        &[&r1, &r4],
        &[("status", "failed:STATUS_SUSPENDED")],
        badge(both(&rev_clear, 94_567, &sus_set, 12)),
    );
    add(
        "status-suspended-listed-first",
        "The suspension bit is set; the suspension entry comes first.",
        &[&r1, &r4],
        &[("status", "failed:STATUS_SUSPENDED")],
        badge(json!([
            entry(StatusPurpose::Suspension, &sus_set, 12),
            entry(StatusPurpose::Revocation, &rev_clear, 94_567)
        ])),
    );
    add(
        "status-revoked-other-list-unreachable",
        "Revoked, while the suspension list cannot be had: revoked wins over unknown.",
        &[&r3],
        &[("status", "failed:STATUS_REVOKED")],
        badge(both(&rev_set, 94_567, &sus_clear, 12)),
    );
    add(
        "status-list-unreachable",
        "The status list cannot be had: the status is unknown, so the badge is not verified.",
        &[],
        &[("status", "unknown:STATUS_RETRIEVAL_ERROR")],
        badge(entry(StatusPurpose::Revocation, &rev_clear, 94_567)),
    );
    add(
        "status-list-tampered",
        "The list's encodedList was changed after signing.",
        &[&r8],
        &[("status", "failed:STATUS_VERIFICATION_ERROR")],
        badge(entry(StatusPurpose::Revocation, &tampered_url, 5)),
    );
    // The issuer's own clear list, genuine and signed, served at the URL of the list in which
    // the badge is revoked: its id names where it really belongs.
    let in_place = format!("{rev_set}=lists/revocation-clear.json");
    add(
        "status-list-served-in-place",
        "A genuine list of the same issuer whose id is another URL, served in place of the list the entry names.",
        &[&in_place],
        &[("status", "failed:STATUS_VERIFICATION_ERROR")],
        badge(entry(StatusPurpose::Revocation, &rev_set, 94_567)),
    );
    add(
        "status-index-out-of-range",
        "statusListIndex 131072 in a list of 131,072 entries.",
        &[&r1],
        &[("status", "failed:RANGE_ERROR")],
        badge(entry(StatusPurpose::Revocation, &rev_clear, 131_072)),
    );
    add(
        "status-list-too-short",
        "A list of 100,000 bits, under the 131,072 minimum.",
        &[&r5],
        &[("status", "failed:STATUS_LIST_LENGTH_ERROR")],
        badge(entry(StatusPurpose::Revocation, &short, 5)),
    );
    add(
        "status-purpose-mismatch",
        "A revocation entry pointing at a suspension list.",
        &[&r2],
        &[("status", "failed:STATUS_VERIFICATION_ERROR")],
        badge(entry(StatusPurpose::Revocation, &sus_clear, 5)),
    );
    add(
        "status-list-by-another-issuer",
        "The list is issued and signed by another issuer, not a trusted one: its proof checks out, but whoever serves the URL could have made it.",
        &[&r6],
        &[("status", "failed:STATUS_VERIFICATION_ERROR")],
        badge(entry(StatusPurpose::Revocation, &by_other, 5)),
    );
    add(
        "status-list-wrong-signer",
        "The list names the badge's issuer but is signed by another key.",
        &[&r7],
        &[("status", "failed:STATUS_VERIFICATION_ERROR")],
        badge(entry(StatusPurpose::Revocation, &wrong_signer, 5)),
    );
    let mut bad_index = entry(StatusPurpose::Revocation, &rev_clear, 5);
    bad_index["statusListIndex"] = "five".into();
    add(
        "status-malformed-index",
        "statusListIndex is not a base-10 integer: a malformed value, and no status to read.",
        &[&r1],
        &[
            ("parse", "failed:MALFORMED_VALUE_ERROR"),
            ("status", "failed:MALFORMED_VALUE_ERROR"),
        ],
        badge(bad_index),
    );
    add(
        "status-list-by-a-trusted-issuer",
        "The list is issued by another issuer the verifier trusts (one list for a federation): allowed.",
        &[&r6],
        &[("trust", "passed"), ("status", "passed")],
        badge(entry(StatusPurpose::Revocation, &by_other, 5)),
    );
    out.get_mut("status-list-by-a-trusted-issuer")
        .expect("added above")
        .trust = vec![issuer, other];
}

fn tampered_signature(value: &Value) -> Value {
    let mut sig = Multibase::decode_base58btc(value.as_str().unwrap()).unwrap();
    sig[5] ^= 1;
    Multibase::encode_base58btc(&sig).as_str().into()
}

#[test]
fn committed_vectors_are_current() {
    let dir = vectors_dir();
    let update = std::env::var_os("UPDATE_VECTORS").is_some();
    if update {
        std::fs::create_dir_all(&dir).unwrap();
    }
    let (vectors, files) = generate();
    for (name, bytes) in files {
        let path = dir.join(name);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        } else {
            assert!(std::fs::read(&path).ok() == Some(bytes), "{} is stale: run UPDATE_VECTORS=1 cargo test -p hallmark-core --test verify_vectors", path.display());
        }
    }
    for (name, vector) in vectors {
        let path = dir.join(format!("{name}.txt"));
        let bytes = vector.render();
        if update {
            std::fs::write(&path, &bytes).unwrap();
        } else {
            let committed = std::fs::read(&path)
                .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_VECTORS=1)", path.display()));
            assert!(committed == bytes, "{} is stale: run UPDATE_VECTORS=1 cargo test -p hallmark-core --test verify_vectors", path.display());
        }
    }
}

#[test]
fn every_vector_meets_its_expectation() {
    let mut seen = 0;
    for entry in std::fs::read_dir(vectors_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("txt") {
            continue;
        }
        let v = Vector::parse(&std::fs::read(&path).unwrap());
        let at = hallmark_core::datetime::parse(&v.at).unwrap();
        let mut verifier = Verifier::new(at);
        if !v.trust.is_empty() {
            let mut list = TrustList::new();
            for t in &v.trust {
                list.add(TrustedIssuer {
                    id: t.clone(),
                    name: None,
                });
            }
            verifier = verifier.trust(list);
        }
        let files = Files(
            v.resolve
                .iter()
                .map(|r| {
                    let (url, file) = r.split_once('=').unwrap();
                    (
                        url.to_owned(),
                        std::fs::read(vectors_dir().join(file)).unwrap().into(),
                    )
                })
                .collect(),
        );
        let report = verifier.verify_bytes(&v.body, &files);
        let mut got = vec![format!("verified={}", report.verified())];
        for c in &report.checks {
            got.push(match c.code {
                Some(code) if c.outcome.as_str() != "passed" => {
                    format!("{}={}:{}", c.check, c.outcome.as_str(), code)
                }
                _ => format!("{}={}", c.check, c.outcome.as_str()),
            });
        }
        assert_eq!(
            got.join(" "),
            v.expect,
            "{}: {}\n{:#?}",
            path.display(),
            v.about,
            report.checks
        );
        seen += 1;
    }
    assert!(seen >= 20, "only {seen} vectors");
}
