//! VC Data Model 1.1 credentials (the `https://www.w3.org/2018/credentials/v1` context,
//! `issuanceDate` / `expirationDate`) with Data Integrity proofs are verified; Hallmark never
//! issues them.

use hallmark_core::credential::{DataModel, Shape, UnsignedCredential};
use hallmark_core::did::Did;
use hallmark_core::keys::SecretKey;
use hallmark_core::proof::{self, Cryptosuite, ProofOptions};
use hallmark_core::verify::{Offline, Verifier};
use hallmark_core::{CheckId, ErrorCode, Outcome};
use serde_json::{json, Value};
use time::macros::datetime;

fn vc11(issuer: &Did) -> Value {
    json!({
        "@context": [
            "https://www.w3.org/2018/credentials/v1",
            "https://w3id.org/security/data-integrity/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ],
        "id": "https://acme.example/credentials/1",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer.to_string(), "type": ["Profile"], "name": "Acme"},
        "issuanceDate": "2024-01-01T00:00:00Z",
        "expirationDate": "2027-01-01T00:00:00Z",
        "name": "Gold Partner",
        "credentialSubject": {
            "id": "https://northwind.example",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://acme.example/program/tiers/gold",
                "type": ["Achievement"],
                "name": "Gold Partner",
                "description": "Gold tier.",
                "criteria": {"narrative": "Be excellent."}
            }
        }
    })
}

#[test]
fn vc11_credentials_with_either_suite_verify() {
    let key = SecretKey::from_seed(&[11; 32]);
    let issuer = Did::key(&key.public_key());
    let doc = vc11(&issuer);
    let shape_doc = doc.as_object().unwrap().clone();
    let shape = Shape::read(&shape_doc);
    assert_eq!(shape.data_model, DataModel::V1_1);
    assert_eq!(shape.validity_names, ("issuanceDate", "expirationDate"));
    assert!(shape.problem.is_none(), "{:?}", shape.problem);
    for suite in [Cryptosuite::EddsaRdfc2022, Cryptosuite::EddsaJcs2022] {
        let options = ProofOptions::did_key(
            &key.public_key(),
            suite,
            Some(datetime!(2024-01-01 00:00 UTC)),
        );
        let signed =
            Value::Object(proof::sign(doc.as_object().unwrap().clone(), &options, &key).unwrap());
        let report = Verifier::new(datetime!(2025-01-01 00:00 UTC)).verify_value(&signed, &Offline);
        assert!(report.verified(), "{suite}: {report:#?}");
        assert!(report
            .check(CheckId::Parse)
            .unwrap()
            .detail
            .contains("VC 1.1"));
        // expirationDate is the validity end.
        let report = Verifier::new(datetime!(2027-06-01 00:00 UTC)).verify_value(&signed, &Offline);
        let validity = report.check(CheckId::Validity).unwrap();
        assert_eq!(validity.outcome, Outcome::Failed);
        assert_eq!(validity.code, Some(ErrorCode::RangeError));
        assert!(
            validity.detail.contains("expirationDate"),
            "{}",
            validity.detail
        );
        // Tampered.
        let mut tampered = signed.clone();
        tampered["expirationDate"] = "2099-01-01T00:00:00Z".into();
        let report =
            Verifier::new(datetime!(2025-01-01 00:00 UTC)).verify_value(&tampered, &Offline);
        assert_eq!(
            report.check(CheckId::Proof).unwrap().outcome,
            Outcome::Failed,
            "{suite}"
        );
    }
}

#[test]
fn vc11_needs_an_issuance_date_and_is_never_signed_by_hallmark() {
    let issuer = Did::key(&SecretKey::from_seed(&[11; 32]).public_key());
    let mut doc = vc11(&issuer);
    assert!(UnsignedCredential::try_from(doc.clone())
        .unwrap_err()
        .to_string()
        .contains("VC 2.0 credentials only"));
    doc.as_object_mut().unwrap().remove("issuanceDate");
    let map = doc.as_object().unwrap().clone();
    let (code, problem) = Shape::read(&map).problem.unwrap();
    assert_eq!(code, ErrorCode::MalformedValueError);
    assert!(problem.contains("issuanceDate"), "{problem}");
}

#[test]
fn vc11_without_a_data_integrity_context_is_data_loss() {
    // The 1.1 base context does not define DataIntegrityProof's terms: a proof over it would
    // lose them, so signing refuses.
    let key = SecretKey::from_seed(&[11; 32]);
    let issuer = Did::key(&key.public_key());
    let mut doc = vc11(&issuer);
    doc["@context"] = json!([
        "https://www.w3.org/2018/credentials/v1",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
    ]);
    let options = ProofOptions::did_key(&key.public_key(), Cryptosuite::EddsaRdfc2022, None);
    let err = proof::sign(doc.as_object().unwrap().clone(), &options, &key).unwrap_err();
    assert_eq!(err.code(), ErrorCode::DataLossDetectionError, "{err}");
}
