//! Presentations an attacker shaped (attacker check of this session): each must fail, never
//! pass by a check going missing or an option being read as "nothing asked".

use hallmark_core::presentation::{PresentationOptions, MAX_CREDENTIALS};
use hallmark_core::report::{CheckId, ErrorCode, Outcome, PresentationReport};
use hallmark_core::verify::{Offline, Verifier};
use serde_json::{json, Value};

fn verify(vp: Value, options: &PresentationOptions) -> PresentationReport {
    let verifier = Verifier::new(time::OffsetDateTime::UNIX_EPOCH);
    verifier.verify_presentation(vp.as_object().unwrap(), options, &Offline)
}

fn check(report: &PresentationReport, id: CheckId) -> Option<(Outcome, Option<ErrorCode>)> {
    report
        .checks
        .iter()
        .find(|c| c.check == id)
        .map(|c| (c.outcome, c.code))
}

fn presentation() -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022",
                  "proofPurpose": "authentication", "challenge": "c0ffee",
                  "verificationMethod": "did:key:z6Mkp3FgNPqLE1ENsdNCiQEBgePypXrKPCeqSFkXN3g6Y6Wq#z6Mkp3FgNPqLE1ENsdNCiQEBgePypXrKPCeqSFkXN3g6Y6Wq",
                  "proofValue": "z1"}
    })
}

#[test]
fn a_holder_in_another_shape_fails_the_holder_check() {
    for holder in [
        json!(["did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"]),
        json!({"id": ["did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"]}),
        json!({"id": 5}),
        json!(5),
        json!(null),
        json!({"type": "X"}),
        json!({"id": "did:example:a", "@id": "did:example:b"}),
    ] {
        let mut vp = presentation();
        vp["holder"] = holder.clone();
        let report = verify(vp, &PresentationOptions::default());
        assert_eq!(
            check(&report, CheckId::Holder),
            Some((Outcome::Failed, Some(ErrorCode::MalformedValueError))),
            "{holder}"
        );
        assert!(!report.verified());
    }
}

#[test]
fn credentials_under_the_iri_key_are_verified_too() {
    let mut vp = presentation();
    vp.as_object_mut().unwrap().remove("proof");
    vp["https://www.w3.org/2018/credentials#verifiableCredential"] =
        json!([{"not": "a credential"}]);
    let report = verify(vp, &PresentationOptions::default());
    assert_eq!(report.credentials.len(), 1);
    assert!(!report.verified());
}

#[test]
fn a_presentation_holds_a_bounded_number_of_credentials() {
    let mut vp = presentation();
    vp.as_object_mut().unwrap().remove("proof");
    vp["verifiableCredential"] = json!(vec![0; MAX_CREDENTIALS + 1]);
    let report = verify(vp, &PresentationOptions::default());
    assert_eq!(
        check(&report, CheckId::Parse),
        Some((Outcome::Failed, Some(ErrorCode::MalformedValueError)))
    );
    assert!(report.credentials.is_empty(), "none is verified");
    assert!(!report.verified());
}

#[test]
fn a_proof_domain_entry_that_is_not_a_string_matches_nothing() {
    for domain in [
        json!(["verifier.example", 5]),
        json!(["verifier.example", {"@id": "https://evil.example"}]),
        json!(7),
    ] {
        let mut vp = presentation();
        vp["proof"]["domain"] = domain.clone();
        let options = PresentationOptions::default().with_domain(["verifier.example"]);
        let report = verify(vp, &options);
        assert_eq!(
            check(&report, CheckId::Challenge),
            Some((Outcome::Failed, Some(ErrorCode::InvalidDomainError))),
            "{domain}"
        );
    }
}

#[test]
fn a_credential_given_where_a_challenge_was_asked_fails() {
    let options = PresentationOptions::default().with_challenge("c0ffee");
    let check = hallmark_core::presentation::credential_given_check(&options).unwrap();
    assert_eq!(check.outcome, Outcome::Failed);
    assert_eq!(check.code, Some(ErrorCode::InvalidChallengeError));
    assert!(
        hallmark_core::presentation::credential_given_check(&PresentationOptions::default())
            .is_none()
    );
}
