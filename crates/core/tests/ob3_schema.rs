//! Every kind of badge Hallmark issues passes the Open Badges 3.0 AchievementCredential JSON
//! Schema (crates/core/schemas), with either cryptosuite, once its proof is written as a proof
//! set (the schema's quirk); and what the schema refuses, it refuses.

use hallmark_core::badge::{self, PartnerBadge};
use hallmark_core::did::Did;
use hallmark_core::keys::SecretKey;
use hallmark_core::ob3_schema::{self, SchemaError};
use hallmark_core::proof::{self, Cryptosuite, ProofOptions};
use hallmark_core::status::{StatusEntry, StatusPurpose};
use serde_json::Value;
use time::macros::datetime;

fn issued(spec: &PartnerBadge, key: &SecretKey, suite: Cryptosuite) -> Value {
    let options = ProofOptions::did_key(
        &key.public_key(),
        suite,
        Some(datetime!(2026-01-15 09:00 UTC)),
    );
    let mut signed = proof::sign(spec.build().unwrap().into_map(), &options, key).unwrap();
    proof::into_proof_set(&mut signed);
    Value::Object(signed)
}

fn revocation(index: u64) -> Value {
    StatusEntry {
        purpose: StatusPurpose::Revocation,
        index,
        list_url: "https://acme.example/status/1".into(),
        status_size: 1,
        messages: Vec::new(),
        reference: Vec::new(),
    }
    .to_json()
}

/// The badge variants Hallmark issues: the full example, the minimal one (no competencies, no
/// results, no evidence), with a revocation entry, a did:web issuer without url.
fn variants(issuer: &Did) -> Vec<(&'static str, PartnerBadge)> {
    let full = badge::example(issuer);
    let mut minimal = badge::example(issuer);
    minimal.competencies.clear();
    minimal.exam = None;
    minimal.demo = None;
    minimal.evidence.clear();
    let mut revocable = badge::example(issuer);
    revocable.credential_status = vec![revocation(94567)];
    let mut web = badge::example(issuer);
    web.issuer.id = "did:web:acme.example".into();
    web.issuer.url = None;
    vec![
        ("full", full),
        ("minimal", minimal),
        ("revocable", revocable),
        ("did:web issuer", web),
    ]
}

#[test]
fn every_badge_hallmark_issues_passes_the_ob3_schema() {
    let key = SecretKey::from_seed(&[5; 32]);
    let issuer = Did::key(&key.public_key());
    for (name, spec) in variants(&issuer) {
        for suite in [Cryptosuite::EddsaRdfc2022, Cryptosuite::EddsaJcs2022] {
            let badge = issued(&spec, &key, suite);
            assert_eq!(ob3_schema::check(&badge), Ok(()), "{name}, {suite}");
        }
    }
}

#[test]
fn the_schema_quirks_hold() {
    let key = SecretKey::from_seed(&[5; 32]);
    let issuer = Did::key(&key.public_key());
    let spec = badge::example(&issuer);
    // A single proof object fails: the schema wants an array.
    let options = ProofOptions::did_key(&key.public_key(), Cryptosuite::EddsaRdfc2022, None);
    let single = proof::sign(spec.build().unwrap().into_map(), &options, &key).unwrap();
    let Err(SchemaError::Invalid(problems)) = ob3_schema::check(&Value::Object(single)) else {
        panic!("a single proof object passed");
    };
    assert!(
        problems.iter().any(|p| p.contains("/proof")),
        "{problems:?}"
    );
    // Two status entries (revocation and suspension, docs/design.md §2) are an array: refused.
    let mut both = spec.clone();
    both.credential_status = vec![revocation(1), {
        let mut s = revocation(2);
        s["statusPurpose"] = "suspension".into();
        s
    }];
    assert!(ob3_schema::check(&issued(&both, &key, Cryptosuite::EddsaRdfc2022)).is_err());
    // Missing what the schema requires.
    let mut badge = issued(&spec, &key, Cryptosuite::EddsaRdfc2022);
    badge.as_object_mut().unwrap().remove("issuer");
    assert!(ob3_schema::check(&badge).is_err());
}

#[test]
fn the_1edtech_examples_pass_and_its_vector_passes_as_a_proof_set() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors/ob3/1edtech-eddsa-rdfc-2022/credential-signed.json");
    let mut vector: Value = serde_json::from_slice(&std::fs::read(dir).unwrap()).unwrap();
    assert!(ob3_schema::check(&vector).is_err());
    proof::into_proof_set(vector.as_object_mut().unwrap());
    assert_eq!(ob3_schema::check(&vector), Ok(()));
}
