//! Issue 10 item 1 over HTTP: credentials built to make RDFC-1.0 explode — the complete
//! bipartite graphs K(7, 6) and K(6, 6) of blank nodes (`tests/vectors/hostile/`), a chain of
//! 20 such proofs, a presentation of 8 such credentials — from 8 clients at once while valid
//! badges keep being verified. Each hostile request is refused (422, the proof check failed
//! with PROOF_TRANSFORMATION_ERROR, or 503 when the pool is full) and every valid one is
//! verified. On the code before (oxrdf's RDFC-1.0 on the async threads) one such request ran for
//! minutes. Latencies are printed (`--nocapture`), not asserted: see the closing note / README.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use hallmark_core::badge;
use hallmark_core::did::Did;
use hallmark_core::keys::KeyFile;
use hallmark_core::proof::{self, Cryptosuite, ProofOptions};
use hallmark_verifier::{router, VerifierConfig, VerifierState};
use serde_json::{json, Value};
use tower::ServiceExt;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// K(6, 6), its predicate renamed by `tag` (remembered refusals would make repeats free).
fn bipartite(tag: &str) -> Value {
    vector("bipartite-6x6.json", tag)
}

fn vector(file: &str, tag: &str) -> Value {
    let text = std::fs::read_to_string(root().join("tests/vectors/hostile").join(file))
        .unwrap()
        .replace(
            "https://attacker.example/k",
            &format!("https://attacker.example/{tag}"),
        );
    serde_json::from_str(&text).unwrap()
}

fn chain(tag: &str) -> Value {
    let mut credential = bipartite(tag);
    let first = credential["proof"].clone();
    let proofs: Vec<Value> = (0..20)
        .map(|i| {
            let mut p = first.clone();
            p["id"] = json!(format!("urn:uuid:00000000-0000-4000-8000-{i:012}"));
            if i > 0 {
                p["previousProof"] =
                    json!(format!("urn:uuid:00000000-0000-4000-8000-{:012}", i - 1));
            }
            p
        })
        .collect();
    credential["proof"] = Value::Array(proofs);
    credential
}

fn valid_badge() -> Value {
    let key = KeyFile::from_json(&std::fs::read(root().join("keys.example/issuer.json")).unwrap())
        .unwrap();
    let mut b = badge::example(&Did::key(&key.public_key()));
    b.valid_from = time::OffsetDateTime::now_utc() - time::Duration::days(10);
    b.valid_until = time::OffsetDateTime::now_utc() + time::Duration::days(300);
    let options = ProofOptions::did_key(&key.public_key(), Cryptosuite::EddsaRdfc2022, None);
    Value::Object(proof::sign(b.build().unwrap().into_map(), &options, key.secret_key()).unwrap())
}

async fn post(state: &VerifierState, path: &str, body: &Value) -> (StatusCode, Value, Duration) {
    let start = Instant::now();
    let req = Request::post(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let res = router(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 22)
        .await
        .unwrap();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, value, start.elapsed())
}

fn refused(status: StatusCode, body: &Value) -> bool {
    if status == StatusCode::SERVICE_UNAVAILABLE {
        return true;
    }
    let transformation_failed = |checks: &Value| {
        checks.as_array().is_some_and(|checks| {
            checks.iter().any(|c| {
                c["check"] == "proof"
                    && c["outcome"] == "failed"
                    && c["code"] == "PROOF_TRANSFORMATION_ERROR"
            })
        })
    };
    let credentials_failed = body["credentialResults"]
        .as_array()
        .is_some_and(|r| !r.is_empty() && r.iter().all(|r| transformation_failed(&r["checks"])));
    status == StatusCode::UNPROCESSABLE_ENTITY
        && body["verified"] == false
        && (transformation_failed(&body["checks"]) || credentials_failed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poisoned_requests_are_refused_while_valid_ones_flow() {
    let state = VerifierState::new(VerifierConfig {
        verify_workers: 64,
        ..VerifierConfig::default()
    })
    .unwrap();
    let valid = json!({"verifiableCredential": valid_badge()});
    let (status, _, _) = post(&state, "/credentials/verify", &valid).await;
    assert_eq!(status, StatusCode::OK);

    // The attack: 8 clients at once, each sending every kind one after another.
    let attackers: Vec<_> = (0..8)
        .map(|i| {
            let state = state.clone();
            let credentials: Vec<Value> = (0..8).map(|j| bipartite(&format!("vp{i}-{j}"))).collect();
            let requests = vec![
                ("7x6", "/credentials/verify", json!({"verifiableCredential": vector("bipartite-7x6.json", &format!("big{i}"))})),
                ("6x6", "/credentials/verify", json!({"verifiableCredential": bipartite(&format!("single{i}"))})),
                ("chain", "/credentials/verify", json!({"verifiableCredential": chain(&format!("chain{i}"))})),
                (
                    "presentation",
                    "/presentations/verify",
                    json!({"verifiablePresentation": {
                        "@context": ["https://www.w3.org/ns/credentials/v2"],
                        "type": ["VerifiablePresentation"],
                        "verifiableCredential": credentials,
                    }}),
                ),
            ];
            tokio::spawn(async move {
                let mut answers = Vec::new();
                for (kind, path, body) in requests {
                    let (status, body, took) = post(&state, path, &body).await;
                    answers.push((kind, status, body, took));
                }
                answers
            })
        })
        .collect();

    // Meanwhile, valid verifications, one after another.
    let mut latencies = Vec::new();
    // Until every attacker has its answers (bounded: the attack ends in about a second).
    for _ in 0..5_000 {
        if latencies.len() >= 20 && attackers.iter().all(|a| a.is_finished()) {
            break;
        }
        let (status, body, took) = post(&state, "/credentials/verify", &valid).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "a valid badge during the attack: {body}"
        );
        latencies.push(took);
    }
    let mut worst_attack = Duration::ZERO;
    for handle in attackers {
        for (kind, status, body, took) in handle.await.unwrap() {
            assert!(refused(status, &body), "{kind}: {status} {body}");
            worst_attack = worst_attack.max(took);
        }
    }
    latencies.sort();
    eprintln!(
        "{} valid during the attack: p50 {:?}, p99 {:?}, max {:?}; slowest hostile answer {:?}",
        latencies.len(),
        latencies[latencies.len() / 2],
        latencies[latencies.len() * 99 / 100],
        latencies[latencies.len() - 1],
        worst_attack
    );
}
