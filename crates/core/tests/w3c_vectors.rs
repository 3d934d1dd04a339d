//! The W3C VC-DI-EdDSA `eddsa-jcs-2022` test vectors (tests/vectors/w3c/vc-di-eddsa), byte for
//! byte: canonical forms, hashes, signature, proofValue, and the verdict on the signed copy.

use std::path::PathBuf;

use hallmark_core::did::{Relationship, VerificationMethodId};
use hallmark_core::keys::KeyFile;
use hallmark_core::proof::{self, Cryptosuite, ProofOptions};
use hallmark_core::verify::{Offline, Verifier};
use hallmark_core::{jcs, json, CheckId, ErrorCode, Outcome};
use sha2::{Digest, Sha256};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/w3c/vc-di-eddsa")
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn text(name: &str) -> String {
    String::from_utf8(read(name)).unwrap().trim_end().to_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn eddsa_jcs_2022_intermediates_reproduce() {
    let unsigned = json::parse(&read("unsigned.json")).unwrap();
    let canon_doc = jcs::to_vec(&unsigned);
    assert_eq!(
        String::from_utf8(canon_doc.clone()).unwrap(),
        text("eddsa-jcs-2022/canonDocJCS.txt")
    );
    let doc_hash = Sha256::digest(&canon_doc);
    assert_eq!(hex(&doc_hash), text("eddsa-jcs-2022/docHashJCS.txt"));

    let config = json::parse(&read("eddsa-jcs-2022/proofConfigJCS.json")).unwrap();
    let canon_proof = jcs::to_vec(&config);
    assert_eq!(
        String::from_utf8(canon_proof.clone()).unwrap(),
        text("eddsa-jcs-2022/proofCanonJCS.txt")
    );
    let proof_hash = Sha256::digest(&canon_proof);
    assert_eq!(hex(&proof_hash), text("eddsa-jcs-2022/proofHashJCS.txt"));

    let combined = [proof_hash.as_slice(), doc_hash.as_slice()].concat();
    assert_eq!(hex(&combined), text("eddsa-jcs-2022/combinedHashJCS.txt"));

    let key = KeyFile::from_json(&read("keyPair.json")).unwrap();
    assert_eq!(
        hex(&key.secret_key().sign(&combined)),
        text("eddsa-jcs-2022/sigHexJCS.txt")
    );
}

#[test]
fn eddsa_jcs_2022_proof_value_reproduces() {
    let key = KeyFile::from_json(&read("keyPair.json")).unwrap();
    let unsigned = json::parse(&read("unsigned.json")).unwrap();
    let config = json::parse(&read("eddsa-jcs-2022/proofConfigJCS.json")).unwrap();
    let options = ProofOptions {
        cryptosuite: Cryptosuite::EddsaJcs2022,
        verification_method: VerificationMethodId::parse(
            config["verificationMethod"].as_str().unwrap(),
        )
        .unwrap(),
        proof_purpose: Relationship::AssertionMethod,
        created: Some(hallmark_core::datetime::parse("2023-02-24T23:36:38Z").unwrap()),
    };
    let signed = proof::sign(
        unsigned.as_object().unwrap().clone(),
        &options,
        key.secret_key(),
    )
    .unwrap();
    assert_eq!(
        signed["proof"]["proofValue"],
        text("eddsa-jcs-2022/sigBTC58JCS.txt").as_str()
    );
    // The whole signed document equals the vector's, member for member.
    assert_eq!(
        serde_json::Value::Object(signed),
        json::parse(&read("eddsa-jcs-2022/signedJCS.json")).unwrap()
    );
}

#[test]
fn signed_vector_passes_proof_and_fails_issuer_binding() {
    let at = hallmark_core::datetime::parse("2024-01-01T00:00:00Z").unwrap();
    let report = Verifier::new(at).verify_bytes(&read("eddsa-jcs-2022/signedJCS.json"), &Offline);
    let proof = report.check(CheckId::Proof).unwrap();
    assert_eq!(proof.outcome, Outcome::Passed, "{proof:?}");
    let issuer = report.check(CheckId::Issuer).unwrap();
    assert_eq!(issuer.outcome, Outcome::Failed);
    assert_eq!(issuer.code, Some(ErrorCode::InvalidVerificationMethod));
    assert!(
        issuer.detail.contains("https://vc.example/issuers/5678"),
        "{}",
        issuer.detail
    );
    assert!(!report.verified);
}
