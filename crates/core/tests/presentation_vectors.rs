//! Presentation vectors (tests/vectors/presentations/*.txt): each file states what it is, what
//! the verifier asks (`challenge`, `domain`), the status lists it may use (`resolve`, files
//! relative to the folder) and the expected outcome of every check — the presentation's own,
//! then, after each ` | `, one embedded credential's — then holds the presentation's bytes.
//!
//! `w3c-*` files are presentations of the W3C VC Data Model 2.0 test suite, copied as they
//! are. The others are made here from the example key (keys.example/issuer.json); one test
//! fails if the committed copies are stale (`UPDATE_VECTORS=1 cargo test -p hallmark-core
//! --test presentation_vectors` rewrites them). They hold at any instant from 2026-01-15 to
//! 2099 (the badges' validity), so the end-to-end test (tests/presentations.rs) can verify
//! them at the real clock through `hallmark verify` and `POST /presentations/verify`.

mod common;

use common::Files;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use hallmark_core::badge;
use hallmark_core::did::{Did, Relationship};
use hallmark_core::keys::{KeyFile, SecretKey};
use hallmark_core::multibase::Multibase;
use hallmark_core::presentation::PresentationOptions;
use hallmark_core::proof::{self, Cryptosuite, ProofOptions};
use hallmark_core::report::{Check, PresentationReport};
use hallmark_core::status::{StatusEntry, StatusPurpose};
use hallmark_core::verify::Verifier;
use hallmark_testkit::VectorFile;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use time::macros::datetime;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn vectors_dir() -> PathBuf {
    root().join("tests/vectors/presentations")
}

/// One vector: its header and body.
#[derive(Debug, PartialEq)]
struct Vector {
    about: String,
    at: String,
    challenge: Option<String>,
    domain: Option<String>,
    /// `URL=FILE`, FILE relative to the vectors folder.
    resolve: Vec<String>,
    expect: String,
    exit: u8,
    body: Vec<u8>,
}

impl Vector {
    fn render(&self) -> Vec<u8> {
        let mut headers = vec![("at".to_owned(), self.at.clone())];
        if let Some(x) = &self.challenge {
            headers.push(("challenge".to_owned(), x.clone()));
        }
        if let Some(x) = &self.domain {
            headers.push(("domain".to_owned(), x.clone()));
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
            challenge: file.get("challenge").map(str::to_owned),
            domain: file.get("domain").map(str::to_owned),
            resolve: file.all("resolve").map(str::to_owned).collect(),
            expect: one("expect"),
            exit: one("exit").parse().expect("exit is a number"),
            body: file.body.clone(),
        }
    }
}

/// `check=outcome[:CODE]` for each check.
fn line(checks: &[Check]) -> String {
    checks
        .iter()
        .map(|c| match c.code {
            Some(code) => format!("{}={}:{code}", c.check, c.outcome.as_str()),
            None => format!("{}={}", c.check, c.outcome.as_str()),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `expect:` form of a report.
fn expect_of(report: &PresentationReport) -> String {
    let mut parts = vec![format!(
        "verified={} {}",
        report.verified(),
        line(&report.checks)
    )];
    for c in &report.credentials {
        parts.push(format!("verified={} {}", c.verified(), line(&c.checks)));
    }
    parts.join(" | ")
}

fn example_key() -> KeyFile {
    KeyFile::from_json(&std::fs::read(root().join("keys.example/issuer.json")).unwrap()).unwrap()
}

fn options(purpose: Relationship, key: &KeyFile) -> ProofOptions {
    let mut options = ProofOptions::did_key(
        &key.public_key(),
        Cryptosuite::EddsaJcs2022,
        Some(datetime!(2026-01-15 09:00 UTC)),
    );
    options.proof_purpose = purpose;
    options
}

/// A badge of the example issuer valid from 2026-01-15 until 2099, with these status entries.
fn badge(key: &KeyFile, status: Option<Value>) -> Value {
    let mut b = badge::example(&Did::key(&key.public_key()));
    b.valid_until = datetime!(2099-01-01 00:00 UTC);
    let mut map = b.build().unwrap().into_map();
    if let Some(status) = status {
        map.insert("credentialStatus".into(), status);
    }
    Value::Object(
        proof::sign(
            map,
            &options(Relationship::AssertionMethod, key),
            key.secret_key(),
        )
        .unwrap(),
    )
}

/// The holder's `eddsa-jcs-2022` proof (VC-DI-EdDSA §3.3) for `authentication`, with a
/// challenge and domain in its configuration (hashed with it, VC-DI-EdDSA §3.3.4–5).
fn sign_presentation(
    vp: Map<String, Value>,
    key: &KeyFile,
    challenge: Option<&str>,
    domain: Option<&str>,
) -> Map<String, Value> {
    let mut signed = proof::sign(
        vp.clone(),
        &options(Relationship::Authentication, key),
        key.secret_key(),
    )
    .unwrap();
    if challenge.is_none() && domain.is_none() {
        return signed;
    }
    let mut config = signed["proof"].as_object().unwrap().clone();
    config.remove("proofValue");
    if let Some(c) = challenge {
        config.insert("challenge".into(), c.into());
    }
    if let Some(d) = domain {
        config.insert("domain".into(), d.into());
    }
    let mut hash = [0u8; 64];
    let jcs = hallmark_core::jcs::object_to_vec;
    hash[..32].copy_from_slice(&Sha256::digest(jcs(&config, Some("proofValue"), None)));
    hash[32..].copy_from_slice(&Sha256::digest(jcs(&vp, Some("proof"), None)));
    let signature = key.secret_key().sign(&hash);
    config.insert(
        "proofValue".into(),
        Multibase::encode_base58btc(&signature).as_str().into(),
    );
    signed.insert("proof".into(), Value::Object(config));
    signed
}

fn pretty(value: &Value) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(value).unwrap();
    v.push(b'\n');
    v
}

const AT: &str = "2026-06-01T00:00:00Z";
const BADGE_OK: &str = "verified=true parse=passed proof=passed issuer=passed trust=warning validity=passed status=skipped";
const STATUS: &str = "https://acme.example/status";

fn generate() -> BTreeMap<&'static str, Vector> {
    let key = example_key();
    let holder = Did::key(&key.public_key()).to_string();
    let good = badge(&key, None);
    let vp = |holder: Option<&str>, credentials: Vec<Value>| {
        let mut vp = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": credentials,
        });
        if let Some(h) = holder {
            vp["holder"] = h.into();
        }
        vp.as_object().unwrap().clone()
    };
    let mut out = BTreeMap::new();
    let mut add = |name: &'static str,
                   about: &str,
                   ask: (Option<&str>, Option<&str>),
                   resolve: &[&str],
                   expect: &str,
                   body: Vec<u8>| {
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
                challenge: ask.0.map(str::to_owned),
                domain: ask.1.map(str::to_owned),
                resolve: resolve.iter().map(|s| s.to_string()).collect(),
                expect: expect.into(),
                exit,
                body,
            },
        );
    };

    add(
        "unsigned-one-badge",
        "An unsigned presentation of a valid badge: judged by its credential.",
        (None, None),
        &[],
        &format!("verified=true parse=passed proof=skipped | {BADGE_OK}"),
        pretty(&Value::Object(vp(None, vec![good.clone()]))),
    );
    add(
        "unsigned-with-challenge",
        "The same, when the verifier asked for a challenge, which only a proof carries.",
        (Some("c0ffee"), None),
        &[],
        &format!("verified=false parse=passed proof=failed:PROOF_VERIFICATION_ERROR | {BADGE_OK}"),
        pretty(&Value::Object(vp(None, vec![good.clone()]))),
    );
    let signed = Value::Object(sign_presentation(
        vp(Some(&holder), vec![good.clone()]),
        &key,
        Some("c0ffee"),
        Some("verifier.example"),
    ));
    let all_passed = format!(
        "verified=true parse=passed proof=passed holder=passed challenge=passed | {BADGE_OK}"
    );
    add(
        "signed-challenge-domain",
        "Signed by its holder for authentication, with the challenge and domain asked for.",
        (Some("c0ffee"), Some("verifier.example")),
        &[],
        &all_passed,
        pretty(&signed),
    );
    add(
        "signed-nothing-asked",
        "The same presentation when the verifier asks no challenge or domain.",
        (None, None),
        &[],
        &all_passed,
        pretty(&signed),
    );
    add(
        "wrong-challenge",
        "The same presentation, checked against another challenge (a replay).",
        (Some("another"), Some("verifier.example")),
        &[],
        &format!("verified=false parse=passed proof=passed holder=passed challenge=failed:INVALID_CHALLENGE_ERROR | {BADGE_OK}"),
        pretty(&signed),
    );
    add(
        "wrong-domain",
        "The same presentation, checked by a verifier of another domain.",
        (Some("c0ffee"), Some("elsewhere.example")),
        &[],
        &format!("verified=false parse=passed proof=passed holder=passed challenge=failed:INVALID_DOMAIN_ERROR | {BADGE_OK}"),
        pretty(&signed),
    );
    let mut tampered_signed = signed.clone();
    tampered_signed["proof"]["challenge"] = "another".into();
    add(
        "challenge-changed-after-signing",
        "The proof's challenge was rewritten to the one asked for: the holder's proof fails.",
        (Some("another"), None),
        &[],
        &format!("verified=false parse=passed proof=failed:PROOF_VERIFICATION_ERROR holder=passed challenge=passed | {BADGE_OK}"),
        pretty(&tampered_signed),
    );
    let someone = Did::key(&SecretKey::from_seed(&[4; 32]).public_key()).to_string();
    add(
        "holder-mismatch",
        "Names another holder than the key that signed it.",
        (None, None),
        &[],
        &format!("verified=false parse=passed proof=passed holder=failed:INVALID_VERIFICATION_METHOD challenge=passed | {BADGE_OK}"),
        pretty(&Value::Object(sign_presentation(
            vp(Some(&someone), vec![good.clone()]),
            &key,
            None,
            None,
        ))),
    );
    add(
        "signed-for-assertion",
        "The holder signed it for assertionMethod, not authentication.",
        (None, None),
        &[],
        &format!("verified=false parse=passed proof=failed:PROOF_VERIFICATION_ERROR holder=passed challenge=passed | {BADGE_OK}"),
        pretty(&Value::Object(
            proof::sign(
                vp(Some(&holder), vec![good.clone()]),
                &options(Relationship::AssertionMethod, &key),
                key.secret_key(),
            )
            .unwrap(),
        )),
    );
    let mut untyped = vp(Some(&holder), vec![good.clone()]);
    untyped.insert("type".into(), json!(["CredentialManagerPresentation"]));
    add(
        "signed-without-presentation-type",
        "Signed, but its type lacks VerifiablePresentation.",
        (None, None),
        &[],
        &format!("verified=false parse=failed:MALFORMED_VALUE_ERROR proof=passed holder=passed challenge=passed | {BADGE_OK}"),
        pretty(&Value::Object(sign_presentation(untyped, &key, None, None))),
    );
    let mut tampered = good.clone();
    tampered["credentialSubject"]["achievement"]["name"] = "Platinum Partner".into();
    add(
        "embedded-tampered-badge",
        "Signed by its holder over a badge whose tier was changed after the issuer signed it.",
        (None, None),
        &[],
        "verified=false parse=passed proof=passed holder=passed challenge=passed | verified=false parse=passed proof=failed:PROOF_VERIFICATION_ERROR issuer=passed trust=warning validity=passed status=skipped",
        pretty(&Value::Object(sign_presentation(
            vp(Some(&holder), vec![tampered]),
            &key,
            None,
            None,
        ))),
    );
    let entry = |purpose, list: &str, index| {
        StatusEntry {
            purpose,
            index,
            list_url: format!("{STATUS}/{list}"),
            status_size: 1,
            messages: vec![],
            reference: Vec::new(),
        }
        .to_json()
    };
    let revoked = badge(
        &key,
        Some(json!([
            entry(StatusPurpose::Revocation, "revocation-94567-set", 94_567),
            entry(StatusPurpose::Suspension, "suspension-clear", 12)
        ])),
    );
    add(
        "embedded-revoked-badge",
        "A valid badge and a revoked one: the presentation is not verified.",
        (None, None),
        &[
            "https://acme.example/status/revocation-94567-set=../verify/lists/revocation-94567-set.json",
            "https://acme.example/status/suspension-clear=../verify/lists/suspension-clear.json",
        ],
        &format!("verified=false parse=passed proof=skipped | {BADGE_OK} | verified=false parse=passed proof=passed issuer=passed trust=warning validity=passed status=failed:STATUS_REVOKED"),
        pretty(&Value::Object(vp(None, vec![good, revoked]))),
    );
    out
}

/// The local copies a vector names, read from the folder.
fn files(v: &Vector) -> Files {
    let mut map = HashMap::new();
    for r in &v.resolve {
        let (url, file) = r.split_once('=').unwrap();
        map.insert(
            url.to_owned(),
            std::fs::read(vectors_dir().join(file)).unwrap().into(),
        );
    }
    Files(map)
}

#[test]
fn committed_presentation_vectors_are_current() {
    let update = std::env::var_os("UPDATE_VECTORS").is_some();
    for (name, vector) in generate() {
        let path = vectors_dir().join(format!("{name}.txt"));
        if update {
            std::fs::create_dir_all(vectors_dir()).unwrap();
            std::fs::write(&path, vector.render()).unwrap();
            continue;
        }
        let committed = std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            committed == vector.render(),
            "{name} is stale: UPDATE_VECTORS=1 cargo test -p hallmark-core --test presentation_vectors"
        );
    }
}

#[test]
fn every_presentation_vector_verifies_as_stated() {
    let mut seen = 0;
    for entry in std::fs::read_dir(vectors_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("txt") {
            continue;
        }
        let v = Vector::parse(&std::fs::read(&path).unwrap());
        let at = hallmark_core::datetime::parse(&v.at).unwrap();
        let mut options = PresentationOptions::default();
        if let Some(c) = &v.challenge {
            options = options.with_challenge(c.clone());
        }
        if let Some(d) = &v.domain {
            options = options.with_domain([d.clone()]);
        }
        let value = hallmark_core::json::parse(&v.body).unwrap();
        assert!(
            hallmark_core::presentation::is_presentation(&value),
            "{}",
            path.display()
        );
        let report =
            Verifier::new(at).verify_presentation(value.as_object().unwrap(), &options, &files(&v));
        assert_eq!(expect_of(&report), v.expect, "{}", path.display());
        assert_eq!(u8::from(!report.verified()), v.exit, "{}", path.display());
        // The JSON form carries the same verdict.
        assert_eq!(report.to_json()["verified"], report.verified());
        seen += 1;
    }
    assert!(seen >= 15, "{seen}");
}

/// The verdict is derived from the checks: a presentation is verified only when its own
/// checks and every credential's are.
#[test]
fn one_verdict_for_a_presentation_and_its_credentials() {
    let key = example_key();
    let vp = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [badge(&key, None)],
    });
    let verifier = Verifier::new(datetime!(2026-06-01 00:00 UTC));
    let offline = hallmark_core::verify::Offline;
    let mut report =
        verifier.verify_presentation(vp.as_object().unwrap(), &Default::default(), &offline);
    assert!(report.verified(), "{report:?}");
    report.credentials[0].checks[1].outcome = hallmark_core::Outcome::Unknown;
    assert!(!report.verified());
    assert_eq!(report.to_json()["verified"], false);
    assert_eq!(report.to_json()["credentialResults"][0]["verified"], false);
}
