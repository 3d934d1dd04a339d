//! The W3C VC-DI-EdDSA `eddsa-jcs-2022` test vectors (tests/vectors/w3c/vc-di-eddsa), byte for
//! byte: canonical forms, hashes, signature, proofValue, and the verdict on the signed copy.

mod common;

use common::{hex, options_from, Vectors};

use hallmark_core::keys::KeyFile;
use hallmark_core::proof::{self, Cryptosuite};
use hallmark_core::verify::{Offline, Verifier};
use hallmark_core::{jcs, json, CheckId, ErrorCode, Outcome};
use sha2::{Digest, Sha256};

const VECTORS: Vectors = Vectors("w3c/vc-di-eddsa");

#[test]
fn eddsa_jcs_2022_intermediates_reproduce() {
    let unsigned = json::parse(&VECTORS.read("unsigned.json")).unwrap();
    let canon_doc = jcs::to_vec(&unsigned);
    assert_eq!(
        String::from_utf8(canon_doc.clone()).unwrap(),
        VECTORS.text("eddsa-jcs-2022/canonDocJCS.txt").trim_end()
    );
    let doc_hash = Sha256::digest(&canon_doc);
    assert_eq!(
        hex(&doc_hash),
        VECTORS.text("eddsa-jcs-2022/docHashJCS.txt").trim_end()
    );

    let config = json::parse(&VECTORS.read("eddsa-jcs-2022/proofConfigJCS.json")).unwrap();
    let canon_proof = jcs::to_vec(&config);
    assert_eq!(
        String::from_utf8(canon_proof.clone()).unwrap(),
        VECTORS.text("eddsa-jcs-2022/proofCanonJCS.txt").trim_end()
    );
    let proof_hash = Sha256::digest(&canon_proof);
    assert_eq!(
        hex(&proof_hash),
        VECTORS.text("eddsa-jcs-2022/proofHashJCS.txt").trim_end()
    );

    let combined = [proof_hash.as_slice(), doc_hash.as_slice()].concat();
    assert_eq!(
        hex(&combined),
        VECTORS
            .text("eddsa-jcs-2022/combinedHashJCS.txt")
            .trim_end()
    );

    let key = KeyFile::from_json(&VECTORS.read("keyPair.json")).unwrap();
    assert_eq!(
        hex(&key.secret_key().sign(&combined)),
        VECTORS.text("eddsa-jcs-2022/sigHexJCS.txt").trim_end()
    );
}

#[test]
fn eddsa_jcs_2022_proof_value_reproduces() {
    let key = KeyFile::from_json(&VECTORS.read("keyPair.json")).unwrap();
    let unsigned = json::parse(&VECTORS.read("unsigned.json")).unwrap();
    let config = json::parse(&VECTORS.read("eddsa-jcs-2022/proofConfigJCS.json")).unwrap();
    let options = options_from(
        config["verificationMethod"].as_str().unwrap(),
        Cryptosuite::EddsaJcs2022,
        "2023-02-24T23:36:38Z",
    );
    let signed = proof::sign(
        unsigned.as_object().unwrap().clone(),
        &options,
        key.secret_key(),
    )
    .unwrap();
    assert_eq!(
        signed["proof"]["proofValue"],
        VECTORS.text("eddsa-jcs-2022/sigBTC58JCS.txt").trim_end()
    );
    // The whole signed document equals the vector's, member for member.
    assert_eq!(
        serde_json::Value::Object(signed),
        json::parse(&VECTORS.read("eddsa-jcs-2022/signedJCS.json")).unwrap()
    );
}

#[test]
fn signed_vector_passes_proof_and_fails_issuer_binding() {
    let at = hallmark_core::datetime::parse("2024-01-01T00:00:00Z").unwrap();
    let report =
        Verifier::new(at).verify_bytes(&VECTORS.read("eddsa-jcs-2022/signedJCS.json"), &Offline);
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
    assert!(!report.verified());
}
