//! `eddsa-rdfc-2022` byte for byte: the W3C VC-DI-EdDSA vectors (canonical N-Quads, hashes,
//! signature, proofValue, signed document), the W3C proof-set vector, and the Bitstring Status
//! List spec's signed examples (tests/vectors/w3c).

mod common;

use common::{hex, options_from, Vectors};

use hallmark_core::jsonld::{self, Limits};
use hallmark_core::keys::KeyFile;
use hallmark_core::proof::{self, Cryptosuite};
use hallmark_core::verify::{Offline, Verifier};
use hallmark_core::{CheckId, ErrorCode, Outcome};
use serde_json::Value;
use sha2::{Digest, Sha256};

const VECTORS: Vectors = Vectors("w3c");

const RDFC: &str = "vc-di-eddsa/eddsa-rdfc-2022";

#[test]
fn eddsa_rdfc_2022_intermediates_reproduce() {
    let unsigned = VECTORS.object("vc-di-eddsa/unsigned.json");
    let canon_doc = jsonld::canonical_nquads(&unsigned, None, None, &Limits::default()).unwrap();
    // The N-Quads end with their final newline, and are hashed with it.
    assert_eq!(
        canon_doc,
        VECTORS.text(&format!("{RDFC}/canonDocDataInt.txt"))
    );
    let doc_hash = Sha256::digest(canon_doc.as_bytes());
    assert_eq!(
        hex(&doc_hash),
        VECTORS
            .text(&format!("{RDFC}/docHashDataInt.txt"))
            .trim_end()
    );

    let config = VECTORS.object(&format!("{RDFC}/proofConfigDataInt.json"));
    let canon_proof = jsonld::canonical_nquads(&config, None, None, &Limits::default()).unwrap();
    assert_eq!(
        canon_proof,
        VECTORS.text(&format!("{RDFC}/proofCanonDataInt.txt"))
    );
    let proof_hash = Sha256::digest(canon_proof.as_bytes());
    assert_eq!(
        hex(&proof_hash),
        VECTORS
            .text(&format!("{RDFC}/proofHashDataInt.txt"))
            .trim_end()
    );
    let combined = [proof_hash.as_slice(), doc_hash.as_slice()].concat();
    assert_eq!(
        hex(&combined),
        VECTORS
            .text(&format!("{RDFC}/combinedHashDataInt.txt"))
            .trim_end()
    );
    let key = KeyFile::from_json(&VECTORS.read("vc-di-eddsa/keyPair.json")).unwrap();
    assert_eq!(
        hex(&key.secret_key().sign(&combined)),
        VECTORS
            .text(&format!("{RDFC}/sigHexDataInt.txt"))
            .trim_end()
    );
}

#[test]
fn eddsa_rdfc_2022_proof_value_and_signed_document_reproduce() {
    let key = KeyFile::from_json(&VECTORS.read("vc-di-eddsa/keyPair.json")).unwrap();
    let config = VECTORS.object(&format!("{RDFC}/proofConfigDataInt.json"));
    let options = options_from(
        config["verificationMethod"].as_str().unwrap(),
        Cryptosuite::EddsaRdfc2022,
        "2023-02-24T23:36:38Z",
    );
    let signed = proof::sign(
        VECTORS.object("vc-di-eddsa/unsigned.json"),
        &options,
        key.secret_key(),
    )
    .unwrap();
    assert_eq!(
        signed["proof"]["proofValue"],
        VECTORS
            .text(&format!("{RDFC}/sigBTC58DataInt.txt"))
            .trim_end()
    );
    // The stored proof has no @context (VC-DI-EdDSA §3.2.1); the whole document equals the
    // vector's, member for member.
    assert!(signed["proof"].get("@context").is_none());
    assert_eq!(
        Value::Object(signed),
        Value::Object(VECTORS.object(&format!("{RDFC}/signedDataInt.json")))
    );
}

#[test]
fn signed_rdfc_vector_passes_proof_and_fails_issuer_binding() {
    let at = hallmark_core::datetime::parse("2024-01-01T00:00:00Z").unwrap();
    let report = Verifier::new(at).verify_bytes(
        &VECTORS.read(&format!("{RDFC}/signedDataInt.json")),
        &Offline,
    );
    let proof = report.check(CheckId::Proof).unwrap();
    assert_eq!(proof.outcome, Outcome::Passed, "{proof:?}");
    assert!(proof.detail.contains("eddsa-rdfc-2022"), "{}", proof.detail);
    assert_eq!(
        report.check(CheckId::Issuer).unwrap().outcome,
        Outcome::Failed
    );
    assert!(!report.verified());
}

#[test]
fn tampering_with_the_rdfc_vector_fails_the_proof() {
    let mut doc = VECTORS.object(&format!("{RDFC}/signedDataInt.json"));
    doc["credentialSubject"]["alumniOf"] = "The School of Counterfeits".into();
    let at = hallmark_core::datetime::parse("2024-01-01T00:00:00Z").unwrap();
    let report = Verifier::new(at).verify_value(&Value::Object(doc), &Offline);
    let proof = report.check(CheckId::Proof).unwrap();
    assert_eq!(proof.outcome, Outcome::Failed);
    assert_eq!(proof.code, Some(ErrorCode::ProofVerificationError));
}

#[test]
fn w3c_proof_set_verifies_every_proof() {
    let at = hallmark_core::datetime::parse("2024-01-01T00:00:00Z").unwrap();
    for name in ["signedProofSet1.json", "signedProofSet2.json"] {
        let report = Verifier::new(at).verify_bytes(
            &VECTORS.read(&format!("vc-di-eddsa/proof-set/{name}")),
            &Offline,
        );
        let proof = report.check(CheckId::Proof).unwrap();
        assert_eq!(proof.outcome, Outcome::Passed, "{name}: {proof:?}");
    }
}

#[test]
fn status_list_spec_examples_reproduce_and_verify() {
    let at = hallmark_core::datetime::parse("2025-06-01T00:00:00Z").unwrap();
    for (signed, derived) in [
        ("exampleA1-revocable-credential-eddsa-rdfc-2022.json", "A1"),
        (
            "exampleA2-status-list-credential-eddsa-rdfc-2022.json",
            "A2",
        ),
    ] {
        let doc = VECTORS.object(&format!("bitstring-status-list/{signed}"));
        let canon =
            jsonld::canonical_nquads(&doc, Some("proof"), None, &Limits::default()).unwrap();
        assert_eq!(
            canon,
            VECTORS.text(&format!(
                "bitstring-status-list/derived/{derived}-canonDoc.nq"
            )),
            "{signed}"
        );
        let proof = doc["proof"].as_object().unwrap();
        let proof_canon = jsonld::canonical_nquads(
            proof,
            Some("proofValue"),
            doc.get("@context"),
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(
            proof_canon,
            VECTORS.text(&format!(
                "bitstring-status-list/derived/{derived}-proofCanon.nq"
            )),
            "{signed}"
        );
        let combined = [
            Sha256::digest(proof_canon.as_bytes()).as_slice(),
            Sha256::digest(canon.as_bytes()).as_slice(),
        ]
        .concat();
        assert_eq!(
            hex(&combined),
            VECTORS
                .text(&format!(
                    "bitstring-status-list/derived/{derived}-combinedHash.txt"
                ))
                .trim_end()
        );
        // The bare did:key verificationMethod stands for did:key:X#X.
        let report = Verifier::new(at).verify_bytes(
            &VECTORS.read(&format!("bitstring-status-list/{signed}")),
            &Offline,
        );
        let check = report.check(CheckId::Proof).unwrap();
        assert_eq!(check.outcome, Outcome::Passed, "{signed}: {check:?}");
    }
}
