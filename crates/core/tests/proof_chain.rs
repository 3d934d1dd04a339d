//! Proof chains (VC-DI §4.4): the W3C vectors in tests/vectors/w3c/vc-di-eddsa/proof-chain.

use std::path::PathBuf;

use hallmark_core::did::Relationship;
use hallmark_core::verify::{Offline, Verifier};
use hallmark_core::{json, CheckId, ErrorCode, Outcome};
use serde_json::Value;

fn read(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors/w3c/vc-di-eddsa/proof-chain")
        .join(name);
    json::parse(&std::fs::read(path).unwrap()).unwrap()
}

fn proof_check(doc: &Value) -> (Outcome, Option<ErrorCode>, String) {
    let verifier = Verifier::new(hallmark_core::datetime::parse("2024-01-01T00:00:00Z").unwrap());
    let (proof, _) = verifier.verify_proofs(
        doc.as_object().unwrap(),
        Relationship::AssertionMethod,
        None,
        &Offline,
    );
    (proof.outcome, proof.code, proof.detail)
}

#[test]
fn the_w3c_chain_verifies() {
    let chain = read("signedProofChain2.json");
    // Two set proofs, a third chained on both, a fourth chained on the third.
    assert_eq!(chain["proof"].as_array().unwrap().len(), 4);
    let (outcome, _, detail) = proof_check(&chain);
    assert_eq!(outcome, Outcome::Passed, "{detail}");
    // Through the whole pipeline, the proof check passes the same way.
    let report = Verifier::new(hallmark_core::datetime::parse("2024-01-01T00:00:00Z").unwrap())
        .verify_value(&chain, &Offline);
    assert_eq!(
        report.check(CheckId::Proof).unwrap().outcome,
        Outcome::Passed
    );
}

#[test]
fn a_broken_chain_fails() {
    let mut missing = read("signedProofChain2.json");
    missing["proof"][1]["previousProof"] = "urn:uuid:not-in-this-document".into();
    let (outcome, code, detail) = proof_check(&missing);
    assert_eq!(
        (outcome, code),
        (Outcome::Failed, Some(ErrorCode::ProofVerificationError)),
        "{detail}"
    );
    assert!(detail.contains("not a proof of this document"), "{detail}");

    // A set proof that the chain covers was altered: it fails.
    let mut altered = read("signedProofChain2.json");
    altered["proof"][0]["created"] = "2023-02-26T22:06:39Z".into();
    assert_eq!(proof_check(&altered).0, Outcome::Failed);

    // The chained proof without its previousProof is checked as a set member, over a
    // document without the proofs it signed: it fails.
    let mut unchained = read("signedProofChain2.json");
    unchained["proof"][3]
        .as_object_mut()
        .unwrap()
        .remove("previousProof");
    let (outcome, _, detail) = proof_check(&unchained);
    assert_eq!(outcome, Outcome::Failed, "{detail}");
    assert!(detail.starts_with("proof 4 of 4"), "{detail}");
}

/// The W3C eddsa suite's `previousProof` inputs: each `…Ok…` passes, each `…Fail…` fails.
#[test]
fn the_suite_previous_proof_inputs_meet_their_names() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors/w3c/data-integrity-test-suite-assertion/eddsa-rdfc-2022");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let doc = json::parse(&std::fs::read(&path).unwrap()).unwrap();
        let (outcome, code, detail) = proof_check(&doc);
        let expected = if name.contains("Ok") {
            Outcome::Passed
        } else {
            Outcome::Failed
        };
        assert_eq!(outcome, expected, "{name}: {code:?} {detail}");
        seen += 1;
    }
    assert_eq!(seen, 12);
}
