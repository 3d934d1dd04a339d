//! Issue 10 item 1: credentials built to make RDFC-1.0 explode (`tests/vectors/hostile/`: the
//! complete bipartite graphs K(7, 6) and K(6, 6) of blank nodes, 1 KB) are refused — by the
//! estimate, or once the work meter reaches the cap — and one budget covers every proof of a
//! verification, chained proofs included. On the code before Hallmark's own RDFC-1.0 these ran
//! for minutes and ~19 s (oxrdf cannot be stopped).

use hallmark_core::jsonld::WorkBudget;
use hallmark_core::report::{CheckId, Outcome};
use hallmark_core::verify::{Offline, Verifier, DEFAULT_WORK_BUDGET};
use serde_json::{json, Value};

/// The vector, its predicate renamed by `tag`: canonicalization results are remembered by
/// document, so each test (and each credential of one) needs a document of its own.
fn bipartite(tag: &str) -> Value {
    vector("bipartite-6x6.json", tag)
}

fn vector(file: &str, tag: &str) -> Value {
    let path = format!(
        "{}/../../tests/vectors/hostile/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.replace(
        "https://attacker.example/k",
        &format!("https://attacker.example/{tag}"),
    );
    serde_json::from_str(&text).unwrap()
}

fn proof_check(report: &hallmark_core::report::Report) -> &hallmark_core::report::Check {
    report
        .checks
        .iter()
        .find(|c| c.check == CheckId::Proof)
        .expect("a proof check")
}

#[test]
fn the_bipartite_credential_is_refused_within_its_budget() {
    let verifier = Verifier::new(time::OffsetDateTime::now_utc());
    let budget = verifier.new_work_budget();
    let report = verifier.verify_value_within(&bipartite("alone"), &Offline, &budget);
    assert!(!report.verified());
    let proof = proof_check(&report);
    assert_eq!(proof.outcome, Outcome::Failed);
    assert_eq!(
        proof.code.map(|c| c.as_str()),
        Some("PROOF_TRANSFORMATION_ERROR")
    );
    assert!(proof.detail.contains("work budget"), "{}", proof.detail);
    // Stopped at the document's cap (25,000 steps), within the verification's budget.
    assert!(
        budget.spent() > 25_000 && budget.spent() <= DEFAULT_WORK_BUDGET,
        "{}",
        budget.spent()
    );

    // The same document again: its refusal is remembered, so it costs nothing more.
    let again = verifier.new_work_budget();
    let report = verifier.verify_value_within(&bipartite("alone"), &Offline, &again);
    assert!(!report.verified());
    assert_eq!(again.spent(), 0);
}

/// A chain of proofs, each naming the last in `previousProof`: each covers a different
/// document (the proofs before it included), so each would canonicalize K(7, 6) anew.
#[test]
fn a_chain_of_poisoned_proofs_shares_one_budget() {
    let mut credential = bipartite("chain");
    let first = credential["proof"].clone();
    let mut proofs = Vec::new();
    for i in 0..20 {
        let mut p = first.clone();
        p["id"] = json!(format!("urn:uuid:00000000-0000-4000-8000-{i:012}"));
        if i > 0 {
            p["previousProof"] = json!(format!("urn:uuid:00000000-0000-4000-8000-{:012}", i - 1));
        }
        proofs.push(p);
    }
    credential["proof"] = Value::Array(proofs);
    let verifier = Verifier::new(time::OffsetDateTime::now_utc());
    let budget = WorkBudget::new(DEFAULT_WORK_BUDGET);
    let report = verifier.verify_value_within(&credential, &Offline, &budget);
    assert!(!report.verified());
    assert_eq!(proof_check(&report).outcome, Outcome::Failed);
    // Twenty documents of 25,000 steps each did not get 500,000 steps: the budget ran out.
    assert_eq!(budget.spent(), DEFAULT_WORK_BUDGET);
}

/// Several credentials (a presentation's) verified against one budget: once it is spent, the
/// rest are refused at once.
#[test]
fn one_budget_for_several_credentials() {
    let verifier = Verifier::new(time::OffsetDateTime::now_utc());
    let budget = WorkBudget::new(DEFAULT_WORK_BUDGET);
    let reports: Vec<_> = (0..8)
        .map(|i| verifier.verify_value_within(&bipartite(&format!("vp{i}")), &Offline, &budget))
        .collect();
    assert!(reports.iter().all(|r| !r.verified()));
    assert_eq!(budget.spent(), DEFAULT_WORK_BUDGET);
    let last = proof_check(reports.last().unwrap());
    assert!(
        last.detail.contains("budget"),
        "the last is refused for the spent budget: {}",
        last.detail
    );
}

/// K(7, 6), the request: its estimate is over the cap, so nothing is spent at all.
#[test]
fn the_seven_by_six_credential_is_refused_by_the_estimate() {
    let verifier = Verifier::new(time::OffsetDateTime::now_utc());
    let budget = verifier.new_work_budget();
    let report =
        verifier.verify_value_within(&vector("bipartite-7x6.json", "7x6"), &Offline, &budget);
    let proof = proof_check(&report);
    assert_eq!(proof.outcome, Outcome::Failed);
    assert!(
        proof.detail.contains("74880 hash steps"),
        "{}",
        proof.detail
    );
    // A few steps for the proof configuration; none for the poisoned document.
    assert!(budget.spent() < 100, "{}", budget.spent());
}
