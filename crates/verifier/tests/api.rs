//! The verifier's HTTP behaviour, as the W3C suites and real clients exercise it: status codes
//! (200 verified, 422 not, 400 malformed; never 415 or 500 for a failed credential), problem
//! details, `options.checks`, presentations with challenge and domain, trust list reloads,
//! the page API (JSON, upload, URL), limits, and status lists fetched from a real issuer on
//! 127.0.0.1 with revocation seen within the cache bound.

use std::path::PathBuf;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use hallmark_core::badge;
use hallmark_core::did::{Did, Relationship};
use hallmark_core::keys::{KeyFile, SecretKey};
use hallmark_core::proof::{self, Cryptosuite, ProofOptions};
use hallmark_testkit::{Tripwire, LOOPBACK_SPELLINGS};
use hallmark_verifier::{router, VerifierConfig, VerifierState};
use serde_json::{json, Value};
use tower::ServiceExt;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn key() -> KeyFile {
    KeyFile::from_json(&std::fs::read(root().join("keys.example/issuer.json")).unwrap()).unwrap()
}

/// A signed example badge valid now (no status entry).
fn badge(purpose: Relationship) -> Value {
    let key = key();
    let mut b = badge::example(&Did::key(&key.public_key()));
    b.valid_from = time::OffsetDateTime::now_utc() - time::Duration::days(10);
    b.valid_until = time::OffsetDateTime::now_utc() + time::Duration::days(300);
    let mut options = ProofOptions::did_key(&key.public_key(), Cryptosuite::EddsaJcs2022, None);
    options.proof_purpose = purpose;
    Value::Object(proof::sign(b.build().unwrap().into_map(), &options, key.secret_key()).unwrap())
}

struct Reply {
    status: StatusCode,
    content_type: String,
    body: Value,
}

async fn send(state: &VerifierState, path: &str, content_type: &str, body: Vec<u8>) -> Reply {
    let req = Request::post(path)
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap();
    let res = router(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 22)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Reply {
        status,
        content_type,
        body,
    }
}

async fn verify(state: &VerifierState, body: Value) -> Reply {
    send(
        state,
        "/credentials/verify",
        "application/json",
        body.to_string().into_bytes(),
    )
    .await
}

fn state(config: VerifierConfig) -> VerifierState {
    VerifierState::new(config).unwrap()
}

fn outcome(reply: &Reply, check: &str) -> String {
    let c = reply.body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == check)
        .unwrap();
    match c["code"].as_str() {
        Some(code) => format!("{}:{code}", c["outcome"].as_str().unwrap()),
        None => c["outcome"].as_str().unwrap().to_owned(),
    }
}

#[tokio::test]
async fn verified_is_200_not_verified_is_422_with_problem_details() {
    let s = state(VerifierConfig::default());
    let good = badge(Relationship::AssertionMethod);
    let r = verify(&s, json!({"verifiableCredential": good})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["verified"], true);
    assert_eq!(r.body["problemDetails"], json!([]));
    assert_eq!(outcome(&r, "trust"), "warning");

    let mut tampered = good.clone();
    tampered["credentialSubject"]["achievement"]["name"] = json!("Platinum Partner");
    let r = verify(&s, json!({"verifiableCredential": tampered})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["verified"], false);
    assert_eq!(
        r.body["problemDetails"][0]["title"],
        "PROOF_VERIFICATION_ERROR"
    );
    assert_eq!(
        r.body["problemDetails"][0]["type"],
        "https://www.w3.org/TR/vc-data-model#PROOF_VERIFICATION_ERROR"
    );
    assert_eq!(r.body["problemDetails"][0]["check"], "proof");
}

#[tokio::test]
async fn options_checks_proof_alone_for_the_w3c_vectors() {
    let s = state(VerifierConfig::default());
    let vector: Value = serde_json::from_slice(
        &std::fs::read(root().join("tests/vectors/w3c/vc-di-eddsa/eddsa-jcs-2022/signedJCS.json"))
            .unwrap(),
    )
    .unwrap();
    // Its issuer does not control the signing key: not verified as a whole…
    let r = verify(&s, json!({"verifiableCredential": vector})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(outcome(&r, "issuer"), "failed:INVALID_VERIFICATION_METHOD");
    // …but its proof verifies, which is what the suites ask.
    let r = verify(
        &s,
        json!({"verifiableCredential": vector, "options": {"checks": ["proof"]}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(outcome(&r, "proof"), "passed");
    assert_eq!(outcome(&r, "issuer"), "skipped");
    let mut tampered = vector.clone();
    tampered["name"] = json!("Tampered");
    let r = verify(
        &s,
        json!({"verifiableCredential": tampered, "options": {"checks": ["proof"]}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = verify(
        &s,
        json!({"verifiableCredential": vector, "options": {"checks": ["telepathy"]}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn malformed_requests_are_400_and_bad_credentials_never_415_or_500() {
    let s = state(VerifierConfig {
        max_body_bytes: 16 * 1024,
        ..VerifierConfig::default()
    });
    let r = send(
        &s,
        "/credentials/verify",
        "application/json",
        b"{\"verifiableCredential\": ".to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.content_type, "application/problem+json");
    assert!(r.body["detail"].as_str().unwrap().contains("PARSING_ERROR"));
    let r = send(
        &s,
        "/credentials/verify",
        "application/json",
        b"{\"credential\": {}}".to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // A credential with a duplicate key is a failed verification, not a malformed request.
    let text = json!({"verifiableCredential": badge(Relationship::AssertionMethod)})
        .to_string()
        .replacen("\"name\":", "\"name\": \"x\", \"name\":", 1);
    let r = send(
        &s,
        "/credentials/verify",
        "application/json",
        text.into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(outcome(&r, "parse"), "failed:PARSING_ERROR");
    // Any content type is read as JSON: no 415.
    let body = json!({"verifiableCredential": badge(Relationship::AssertionMethod)}).to_string();
    let r = send(&s, "/credentials/verify", "text/plain", body.into_bytes()).await;
    assert_eq!(r.status, StatusCode::OK);
    // Garbage inside a well-formed request: 422 with the parse check failed.
    for garbage in [
        json!("not a credential"),
        json!(42),
        json!({"@context": 7}),
        json!([]),
    ] {
        let r = verify(&s, json!({"verifiableCredential": garbage})).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{garbage}: {}",
            r.body
        );
    }
    // Deep nesting is refused by the strict parser, not the stack.
    let deep = format!(
        "{{\"verifiableCredential\": {}{}}}",
        "[".repeat(100_000 / 100),
        "]".repeat(100_000 / 100)
    );
    let r = send(
        &s,
        "/credentials/verify",
        "application/json",
        deep.into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Oversized bodies.
    let big = json!({"verifiableCredential": {"x": "y".repeat(20_000)}}).to_string();
    let r = send(
        &s,
        "/credentials/verify",
        "application/json",
        big.into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn presentations_check_holder_challenge_and_domain() {
    let s = state(VerifierConfig::default());
    let key = key();
    let holder = Did::key(&key.public_key()).to_string();
    let vp = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder,
        "verifiableCredential": [badge(Relationship::AssertionMethod)]
    });
    let mut options = ProofOptions::did_key(&key.public_key(), Cryptosuite::EddsaJcs2022, None);
    options.proof_purpose = Relationship::Authentication;
    let signed = Value::Object(
        proof::sign(vp.as_object().unwrap().clone(), &options, key.secret_key()).unwrap(),
    );
    let present = |vp: Value, options: Value| {
        let s = s.clone();
        async move {
            send(
                &s,
                "/presentations/verify",
                "application/json",
                json!({"verifiablePresentation": vp, "options": options})
                    .to_string()
                    .into_bytes(),
            )
            .await
        }
    };
    let r = present(signed.clone(), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["credentialResults"][0]["verified"], true);
    assert!(
        r.body["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["check"] == "holder" && c["outcome"] == "passed"),
        "{}",
        r.body
    );
    // A challenge the proof does not carry.
    let r = present(signed.clone(), json!({"challenge": "abc123"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body["problemDetails"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["title"] == "INVALID_CHALLENGE_ERROR"),
        "{}",
        r.body
    );
    let r = present(signed.clone(), json!({"domain": "verifier.example"})).await;
    assert!(
        r.body["problemDetails"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["title"] == "INVALID_DOMAIN_ERROR"),
        "{}",
        r.body
    );
    // A presentation signed for assertionMethod is not an authentication.
    let mut assertion = options.clone();
    assertion.proof_purpose = Relationship::AssertionMethod;
    let wrong = Value::Object(
        proof::sign(
            vp.as_object().unwrap().clone(),
            &assertion,
            key.secret_key(),
        )
        .unwrap(),
    );
    assert_eq!(
        present(wrong, json!({})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // A holder who did not sign it.
    let mut other = vp.clone();
    other["holder"] = json!(Did::key(&SecretKey::from_seed(&[4; 32]).public_key()).to_string());
    let forged = Value::Object(
        proof::sign(
            other.as_object().unwrap().clone(),
            &options,
            key.secret_key(),
        )
        .unwrap(),
    );
    assert_eq!(
        present(forged, json!({})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // A tampered embedded credential fails the presentation.
    let mut inner = signed.clone();
    inner["verifiableCredential"][0]["name"] = json!("x");
    assert_eq!(
        present(inner, json!({})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Unsigned presentations are judged by their credentials, unless a challenge was asked.
    assert_eq!(present(vp.clone(), json!({})).await.status, StatusCode::OK);
    assert_eq!(
        present(vp, json!({"challenge": "x"})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn trust_list_file_reloads_without_restart() {
    let dir = std::env::temp_dir().join(format!("hallmark-verifier-trust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("trust.json");
    let issuer = Did::key(&key().public_key()).to_string();
    std::fs::write(
        &file,
        format!(r#"{{"issuers": [{{"id": "{issuer}", "name": "Acme"}}]}}"#),
    )
    .unwrap();
    // The verifier's clock: the test moves it past the reload interval instead of sleeping.
    let clock = hallmark_core::clock::ManualClock::new();
    let s = state(VerifierConfig {
        trust_files: vec![file.clone()],
        clock: std::sync::Arc::new(clock.clone()),
        ..VerifierConfig::default()
    });
    let body = json!({"verifiableCredential": badge(Relationship::AssertionMethod)});
    let r = verify(&s, body.clone()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["checks"][3]["detail"]
        .as_str()
        .unwrap()
        .contains("Acme"));
    // The operator removes the issuer; within a second the verifier stops trusting it (not
    // before: the files are looked at once a second).
    std::fs::write(
        &file,
        r#"{"issuers": [{"id": "did:web:someone-else.example"}]}"#,
    )
    .unwrap();
    clock.advance(Duration::from_millis(999));
    assert_eq!(outcome(&verify(&s, body.clone()).await, "trust"), "passed");
    clock.advance(Duration::from_millis(1));
    let r = verify(&s, body.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(outcome(&r, "trust"), "failed");
    // A broken edit keeps the previous list.
    std::fs::write(&file, "{ not json").unwrap();
    clock.advance(Duration::from_secs(1));
    assert_eq!(outcome(&verify(&s, body).await, "trust"), "failed");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn rate_limit_answers_429() {
    let s = state(VerifierConfig {
        rate_limit_per_second: 1,
        rate_limit_burst: 2,
        ..VerifierConfig::default()
    });
    let body = json!({"verifiableCredential": badge(Relationship::AssertionMethod)});
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(verify(&s, body.clone()).await.status);
    }
    assert_eq!(statuses[..2], [StatusCode::OK, StatusCode::OK]);
    assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS);
}

/// A client over its rate limit is told to wait at least a second: `Retry-After` is the wait
/// rounded up, never `0` (attacker check: with under a second to wait, the answer said
/// `Retry-After: 0`, inviting an immediate retry).
#[tokio::test]
async fn rate_limit_retry_after_is_at_least_one_second() {
    for per_second in [1, 2, 1000] {
        let s = state(VerifierConfig {
            rate_limit_per_second: per_second,
            rate_limit_burst: 1,
            ..VerifierConfig::default()
        });
        let get = || Request::get("/healthz").body(Body::empty()).unwrap();
        let (status, _, _) = raw(&s, get()).await;
        assert_eq!(status, StatusCode::OK);
        // Well within the interval (1 s, 500 ms) of the slower two; at 1000 a second, until
        // one request comes within a millisecond of the one before.
        let mut limited = None;
        for _ in 0..1000 {
            let (status, headers, body) = raw(&s, get()).await;
            if status == StatusCode::TOO_MANY_REQUESTS {
                limited = Some((status, headers, body));
                break;
            }
        }
        let Some((status, headers, body)) = limited else {
            assert_eq!(per_second, 1000, "no 429 at {per_second} a second");
            continue;
        };
        assert_problem(status, &headers, &body, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(headers["retry-after"], "1", "{per_second}/s: {body}");
        assert_eq!(body["type"], "urn:hallmark:problem:rate-limited");
        assert_eq!(
            body["detail"],
            "too many requests from this address; retry after 1 s"
        );
    }
}

/// An issuer on 127.0.0.1 with a token, for status tests.
async fn issuer() -> (u16, String, hallmark_issuer::Issuer) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let key = std::fs::read_to_string(root().join("keys.example/issuer.json")).unwrap();
    let dir = hallmark_testkit::issuer_folder(
        "verifier-issuer",
        &key,
        hallmark_issuer::program::DEMO_PROGRAM,
        &format!("issuer_name = \"Acme\"\nbase_url = \"http://127.0.0.1:{port}\"\nstatus_ttl_seconds = 1\n"),
    );
    let config = hallmark_issuer::Config::load(
        &dir.join("config.toml"),
        &hallmark_issuer::Overrides::default(),
    )
    .unwrap();
    let state = hallmark_issuer::Issuer::open(config).await.unwrap();
    let token = hallmark_issuer::create_token(state.store(), "t")
        .await
        .unwrap();
    tokio::spawn(hallmark_issuer::serve(
        state.clone(),
        listener,
        std::future::pending(),
    ));
    (port, token, state)
}

async fn issuer_call(port: u16, token: &str, path: &str, body: Value) -> Value {
    let req = format!(
        "POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-type: application/json\r\nauthorization: Bearer {token}\r\ncontent-length: {}\r\n\r\n{body}",
        body.to_string().len()
    );
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).await.unwrap();
    serde_json::from_str(out.split_once("\r\n\r\n").unwrap().1).unwrap()
}

#[tokio::test]
async fn status_lists_are_fetched_cached_and_revocation_shows_within_the_bound() {
    let (port, token, _issuer) = issuer().await;
    let partner = issuer_call(
        port,
        &token,
        "/api/v1/partners",
        json!({"name": "Northwind", "url": "https://northwind.example"}),
    )
    .await;
    let issued = issuer_call(port, &token, "/api/v1/approvals", json!({
        "partner_id": partner["id"], "tier": "registered", "role": "sales", "competencies": ["CLOUD-FUND"], "approver": "T"
    }))
    .await;
    let badge = issued["credential"]["document"].clone();
    let uuid = issued["credential"]["uuid"].as_str().unwrap().to_owned();
    let bound = Duration::from_secs(2);
    // The verifier's clock: the cache's bound passes when the test moves it, not by sleeping.
    let clock = hallmark_core::clock::ManualClock::new();
    let s = state(VerifierConfig {
        insecure_hosts: vec![format!("127.0.0.1:{port}")],
        cache_max_age: bound,
        clock: std::sync::Arc::new(clock.clone()),
        ..VerifierConfig::default()
    });
    let r = verify(&s, json!({"verifiableCredential": badge})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(outcome(&r, "status"), "passed");

    // The page API: by URL (fetched with the guarded fetcher), by upload, by form, by JSON.
    let url = issued["credential"]["id"].as_str().unwrap();
    let r = send(
        &s,
        "/verify",
        "application/json",
        json!({"url": url}).to_string().into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let boundary = "XyZ";
    let upload = format!("--{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"badge.json\"\r\ncontent-type: application/json\r\n\r\n{badge}\r\n--{boundary}--\r\n");
    let r = send(
        &s,
        "/verify",
        &format!("multipart/form-data; boundary={boundary}"),
        upload.into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let form = format!("url={}", url.replace(':', "%3A").replace('/', "%2F"));
    assert_eq!(
        send(
            &s,
            "/verify",
            "application/x-www-form-urlencoded",
            form.into_bytes()
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        send(
            &s,
            "/verify",
            "application/json",
            badge.to_string().into_bytes()
        )
        .await
        .status,
        StatusCode::OK
    );
    // A URL on an internal address is refused by default.
    let plain = state(VerifierConfig::default());
    let r = send(
        &plain,
        "/verify",
        "application/json",
        json!({"url": url}).to_string().into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("refused to fetch"),
        "{}",
        r.body
    );
    let https = url.replace("http://", "https://");
    let r = send(
        &plain,
        "/verify",
        "application/json",
        json!({"url": https}).to_string().into_bytes(),
    )
    .await;
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .ends_with("127.0.0.1 is not a public address"),
        "{}",
        r.body
    );

    // Revoke; the verifier's cached list expires within the bound.
    issuer_call(
        port,
        &token,
        &format!("/api/v1/credentials/{uuid}/revoke"),
        json!({"reason": "test"}),
    )
    .await;
    // Until the bound has passed, the cached list answers (the list fetched before the
    // revocation); once it has, the list is fetched again and the revocation is seen.
    let r = verify(&s, json!({"verifiableCredential": badge.clone()})).await;
    assert_eq!(outcome(&r, "status"), "passed", "{}", r.body);
    clock.advance(bound);
    let r = verify(&s, json!({"verifiableCredential": badge})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body["checks"][5]["detail"]
            .as_str()
            .unwrap()
            .starts_with("REVOKED"),
        "{}",
        r.body
    );
    // A machine-readable code, and not a W3C one.
    assert_eq!(outcome(&r, "status"), "failed:STATUS_REVOKED");
    assert_eq!(
        r.body["problemDetails"][0]["type"],
        "urn:hallmark:code:STATUS_REVOKED"
    );
}

/// A "message" status entry (statusSize 2) issued through the VC API: the verifier fetches
/// the multi-bit list and reports the message; a new value shows once the cache expires.
#[tokio::test]
async fn message_status_is_reported_and_follows_the_issuer() {
    let (port, token, issuer_state) = issuer().await;
    let messages = json!([
        {"status": "0x0", "message": "active"}, {"status": "0x1", "message": "under review"},
        {"status": "0x2", "message": "lapsed"}, {"status": "0x3", "message": "withdrawn"}
    ]);
    let issued = issuer_call(port, &token, "/credentials/issue", json!({
        "credential": {
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
            "type": ["VerifiableCredential", "ExampleCredential"],
            "issuer": issuer_state.keys().issuer(),
            "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:alice"}
        },
        "options": {"credentialStatus": {
            "statusPurpose": "message", "statusSize": 2, "statusMessage": messages
        }}
    }))
    .await;
    let vc = issued["verifiableCredential"].clone();
    assert_eq!(vc["credentialStatus"]["statusSize"], 2, "{issued}");
    let bound = Duration::from_secs(1);
    let clock = hallmark_core::clock::ManualClock::new();
    let s = state(VerifierConfig {
        insecure_hosts: vec![format!("127.0.0.1:{port}")],
        cache_max_age: bound,
        clock: std::sync::Arc::new(clock.clone()),
        ..VerifierConfig::default()
    });
    let status_detail = |r: &Reply| {
        r.body["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == "status")
            .unwrap()["detail"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let r = verify(&s, json!({"verifiableCredential": vc})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(status_detail(&r).contains("message: active"), "{}", r.body);

    let listed = issuer_state
        .store()
        .credentials(&Default::default(), &Default::default())
        .await
        .unwrap()
        .items;
    let uuid = listed
        .iter()
        .find(|c| c.message.is_some())
        .unwrap()
        .id
        .clone();
    issuer_call(
        port,
        &token,
        &format!("/api/v1/credentials/{uuid}/status"),
        json!({"status": "0x3"}),
    )
    .await;
    // The cached list answers until the bound has passed, then the new message is read.
    let r = verify(&s, json!({"verifiableCredential": vc.clone()})).await;
    assert!(status_detail(&r).contains("message: active"), "{}", r.body);
    clock.advance(bound);
    let r = verify(&s, json!({"verifiableCredential": vc})).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "a message is not a failure: {}",
        r.body
    );
    assert!(
        status_detail(&r).contains("message: withdrawn"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn verify_by_url_never_reaches_loopback_however_spelled() {
    let trip = Tripwire::new();
    let port = trip.port;
    // The allow lists hold the listener's port, for other hosts.
    let s = state(VerifierConfig {
        insecure_hosts: vec![format!("allowed.example:{port}")],
        private_hosts: vec![format!("private.example:{port}")],
        ..VerifierConfig::default()
    });
    for host in LOOPBACK_SPELLINGS {
        for scheme in ["https", "http"] {
            let url = format!("{scheme}://{host}:{port}/x");
            let r = send(
                &s,
                "/verify",
                "application/json",
                json!({ "url": url }).to_string().into_bytes(),
            )
            .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{url}: {}", r.body);
            assert_eq!(r.content_type, "application/problem+json", "{url}");
            let detail = r.body["detail"].as_str().unwrap();
            assert!(detail.contains("refused to fetch"), "{url}: {detail}");
        }
    }
    assert_eq!(trip.connections(), 0);
}

/// A signed badge valid now whose revocation entry points at `list_url`.
fn badge_with_status(list_url: &str) -> Value {
    let key = key();
    let mut b = badge::example(&Did::key(&key.public_key()));
    b.valid_from = time::OffsetDateTime::now_utc() - time::Duration::days(10);
    b.valid_until = time::OffsetDateTime::now_utc() + time::Duration::days(300);
    b.credential_status = vec![hallmark_core::status::StatusEntry {
        purpose: hallmark_core::status::StatusPurpose::Revocation,
        index: 5,
        list_url: list_url.to_owned(),
        status_size: 1,
        messages: vec![],
        reference: vec![],
    }
    .to_json()];
    let options = ProofOptions::did_key(&key.public_key(), Cryptosuite::EddsaJcs2022, None);
    Value::Object(proof::sign(b.build().unwrap().into_map(), &options, key.secret_key()).unwrap())
}

/// Attacker check: what a remote caller reads of a refused fetch — the verify page's
/// `{"url": …}` and a status list in a report — names the host as given, not the address it
/// resolves to (`localhost` is 127.0.0.1), and is the same bytes whether a port there is open
/// or closed.
#[tokio::test]
async fn refused_fetches_read_the_same_for_open_and_closed_ports() {
    let s = state(VerifierConfig::default());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let mut listener = Some(listener);
    let mut seen = Vec::new();
    for _open in [true, false] {
        let mut details = Vec::new();
        for host in ["localhost", "127.0.0.1"] {
            let url = format!("https://{host}:{port}/badge");
            let r = send(
                &s,
                "/verify",
                "application/json",
                json!({ "url": url }).to_string().into_bytes(),
            )
            .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
            assert_eq!(r.content_type, "application/problem+json");
            details.push(r.body["detail"].as_str().unwrap().to_owned());
            let list = format!("https://{host}:{port}/status/1");
            let r = verify(
                &s,
                json!({ "verifiableCredential": badge_with_status(&list) }),
            )
            .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
            assert_eq!(outcome(&r, "status"), "unknown:STATUS_RETRIEVAL_ERROR");
            details.push(r.body["checks"][5]["detail"].as_str().unwrap().to_owned());
        }
        if let Some(l) = listener.take() {
            assert!(l.accept().is_err(), "nothing connected");
        }
        seen.push(details);
    }
    assert_eq!(seen[0], seen[1], "open and closed ports read alike");
    let details = &seen[0];
    assert_eq!(
        details[0],
        format!(
            "refused to fetch https://localhost:{port}/badge: localhost is not a public address"
        )
    );
    assert!(
        details[1].contains(&format!(
            "refused to fetch https://localhost:{port}/status/1: localhost is not a public address"
        )),
        "{}",
        details[1]
    );
    for d in &details[..2] {
        assert!(!d.contains("127.0.0.1") && !d.contains("loopback"), "{d}");
    }
    // An address in the URL is the caller's own text, named without its range.
    assert!(
        details[2].ends_with("127.0.0.1 is not a public address"),
        "{}",
        details[2]
    );
}

/// Attacker check: a presentation of 40 credentials, each naming its own status list, fetches
/// at most `max_fetches` (32) URLs for the whole request — not 32 per credential — and the
/// credentials past the bound say their list was not fetched, and why.
#[tokio::test]
async fn a_presentation_shares_one_fetch_bound_across_its_credentials() {
    let trip = Tripwire::new();
    let port = trip.port;
    let s = state(VerifierConfig {
        insecure_hosts: vec![format!("127.0.0.1:{port}")],
        ..VerifierConfig::default()
    });
    let credentials: Vec<Value> = (0..40)
        .map(|i| badge_with_status(&format!("https://127.0.0.1:{port}/status/{i}")))
        .collect();
    let vp = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": credentials,
    });
    let r = send(
        &s,
        "/presentations/verify",
        "application/json",
        json!({ "verifiablePresentation": vp })
            .to_string()
            .into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(trip.connections(), 32);
    let results = r.body["credentialResults"].as_array().unwrap();
    assert_eq!(results.len(), 40);
    for (i, result) in results.iter().enumerate() {
        let status = result["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == "status")
            .unwrap();
        assert_eq!(status["outcome"], "unknown", "{i}: {status}");
        let detail = status["detail"].as_str().unwrap();
        let not_fetched = format!(
            "https://127.0.0.1:{port}/status/{i} was not fetched: one verification fetches \
             at most 32 distinct URLs (a presentation and every credential in it together)"
        );
        assert_eq!(detail.contains(&not_fetched), i >= 32, "{i}: {detail}");
    }
}

/// Sends any request through the router; the status, headers and body.
async fn raw(
    state: &VerifierState,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let res = router(state.clone()).oneshot(request).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 22)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, headers, body)
}

fn assert_problem(
    status: StatusCode,
    headers: &axum::http::HeaderMap,
    body: &Value,
    want: StatusCode,
) {
    assert_eq!(status, want, "{body}");
    assert_eq!(
        headers["content-type"], "application/problem+json",
        "{body}"
    );
    assert_eq!(body["status"], want.as_u16(), "{body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    assert!(headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn every_error_is_problem_json_405_413_404() {
    let s = state(VerifierConfig {
        max_body_bytes: 1024,
        ..VerifierConfig::default()
    });
    let (status, headers, body) = raw(
        &s,
        Request::get("/credentials/verify")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_problem(status, &headers, &body, StatusCode::METHOD_NOT_ALLOWED);
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("GET is not allowed"));
    assert_eq!(headers["allow"], "POST");
    for path in ["/credentials/verify", "/presentations/verify", "/verify"] {
        let big = json!({"verifiableCredential": {"name": "x".repeat(4096)}});
        let (status, headers, body) = raw(
            &s,
            Request::post(path)
                .header("content-type", "application/json")
                .body(Body::from(big.to_string()))
                .unwrap(),
        )
        .await;
        assert_problem(status, &headers, &body, StatusCode::PAYLOAD_TOO_LARGE);
    }
    // The verifier takes no query or path parameters: anything else is a 404 problem.
    for path in ["/nope", "/credentials/verify/%FF"] {
        let (status, headers, body) =
            raw(&s, Request::get(path).body(Body::empty()).unwrap()).await;
        assert_problem(status, &headers, &body, StatusCode::NOT_FOUND);
    }
}

/// A body over `max_body_bytes` posted to the verify page, as a multipart upload or a form,
/// with or without a `Content-Length`, is `413` problem details naming the limit, not `400`
/// (attacker check: an oversized upload was "400 Invalid upload").
#[tokio::test]
async fn oversized_uploads_and_forms_on_the_verify_page_are_413() {
    let s = state(VerifierConfig {
        max_body_bytes: 1024,
        ..VerifierConfig::default()
    });
    let boundary = "XyZ";
    let multipart = format!("multipart/form-data; boundary={boundary}");
    let big = "x".repeat(4096);
    let upload = |field: &str| {
        format!("--{boundary}\r\ncontent-disposition: form-data; name=\"{field}\"; filename=\"badge.json\"\r\ncontent-type: application/json\r\n\r\n{{\"name\": \"{big}\"}}\r\n--{boundary}--\r\n")
    };
    let form = format!("credential=%7B%22name%22%3A%22{big}%22%7D");
    for (content_type, body) in [
        (multipart.as_str(), upload("file")),
        (multipart.as_str(), upload("credential")),
        (multipart.as_str(), upload("url")),
        ("application/x-www-form-urlencoded", form.clone()),
        ("application/json", format!("{{\"url\": \"{big}\"}}")),
    ] {
        for with_length in [true, false] {
            let body = if with_length {
                Body::from(body.clone())
            } else {
                // No Content-Length: the limit is met while reading.
                Body::new(Chunked(
                    body.as_bytes()
                        .chunks(512)
                        .map(axum::body::Bytes::copy_from_slice)
                        .collect(),
                ))
            };
            let (status, headers, reply) = raw(
                &s,
                Request::post("/verify")
                    .header("content-type", content_type)
                    .body(body)
                    .unwrap(),
            )
            .await;
            assert_problem(status, &headers, &reply, StatusCode::PAYLOAD_TOO_LARGE);
            assert_eq!(reply["type"], "urn:hallmark:problem:too-large", "{reply}");
            assert!(
                reply["detail"].as_str().unwrap().contains("1024 bytes"),
                "{content_type} (length {with_length}): {reply}"
            );
        }
    }
    // Within the limit, a malformed upload is still a 400.
    let (status, headers, reply) = raw(
        &s,
        Request::post("/verify")
            .header("content-type", &multipart)
            .body(Body::from(format!(
                "--{boundary}\r\ncontent-disposition: form-data; name=\"file\"\r\n\r\n{{}}"
            )))
            .unwrap(),
    )
    .await;
    assert_problem(status, &headers, &reply, StatusCode::BAD_REQUEST);
}

/// A body sent in chunks, of no announced length (no `Content-Length`).
struct Chunked(std::collections::VecDeque<axum::body::Bytes>);

impl http_body::Body for Chunked {
    type Data = axum::body::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::task::Poll::Ready(self.0.pop_front().map(|c| Ok(http_body::Frame::data(c))))
    }
}

#[tokio::test]
async fn duplicate_keys_are_named_on_both_vc_api_endpoints() {
    let s = state(VerifierConfig::default());
    for (path, body, key) in [
        (
            "/credentials/verify",
            r#"{"verifiableCredential": {"id": "urn:a", "id": "urn:b"}}"#,
            "id",
        ),
        (
            "/credentials/verify",
            r#"{"verifiableCredential": {}, "verifiableCredential": {}}"#,
            "verifiableCredential",
        ),
        (
            "/presentations/verify",
            r#"{"verifiablePresentation": {"holder": "did:example:a", "holder": "did:example:b"}}"#,
            "holder",
        ),
    ] {
        let r = send(&s, path, "application/json", body.as_bytes().to_vec()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["verified"], false);
        let parse = &r.body["checks"][0];
        assert_eq!(parse["check"], "parse", "{}", r.body);
        assert_eq!(parse["outcome"], "failed", "{}", r.body);
        let detail = parse["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("duplicate key \"{key}\"")),
            "{path}: {detail}"
        );
        assert!(!detail.contains("line 1 column"), "{path}: {detail}");
    }
}

#[tokio::test]
async fn heavy_verification_runs_on_the_bounded_pool_and_a_full_pool_answers_503() {
    let s = state(VerifierConfig {
        verify_workers: 1,
        max_concurrency: 1,
        ..VerifierConfig::default()
    });
    let good = badge(Relationship::AssertionMethod);
    // Hold the one worker.
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let (started_tx, started) = tokio::sync::oneshot::channel();
    let pool = s.pool().clone();
    let held = tokio::spawn(async move {
        let far = tokio::time::Instant::now() + Duration::from_secs(3600);
        pool.run(far, move || {
            let _ = started_tx.send(());
            let _ = wait.recv();
        })
        .await
    });
    started.await.unwrap();
    // Heavy: past the in-place canonicalization steps (the K(6,6) blank-node graph), or too
    // large to start in place (20 KB).
    let bipartite: Value = serde_json::from_slice(
        &std::fs::read(root().join("tests/vectors/hostile/bipartite-6x6.json")).unwrap(),
    )
    .unwrap();
    let mut large = good.clone();
    large["credentialSubject"]["padding"] = json!("x".repeat(20_000));
    let vp = |c: &Value| {
        json!({"verifiablePresentation": {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": [c],
        }})
    };
    for (path, body) in [
        (
            "/credentials/verify",
            json!({"verifiableCredential": bipartite}),
        ),
        (
            "/credentials/verify",
            json!({"verifiableCredential": large}),
        ),
        ("/presentations/verify", vp(&bipartite)),
        ("/presentations/verify", vp(&large)),
        ("/verify", bipartite.clone()),
        ("/verify", large.clone()),
    ] {
        let (status, headers, body) = raw(
            &s,
            Request::post(path)
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await;
        assert_problem(status, &headers, &body, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(headers["retry-after"], "1", "{path}");
    }
    // An ordinary badge is checked in place, pool or no pool.
    for (path, body) in [
        ("/credentials/verify", json!({"verifiableCredential": good})),
        ("/presentations/verify", vp(&good)),
        ("/verify", good.clone()),
    ] {
        let r = send(&s, path, "application/json", body.to_string().into_bytes()).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    }
    release.send(()).unwrap();
    held.await.unwrap().unwrap();
    let r = verify(&s, json!({"verifiableCredential": bipartite})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(outcome(&r, "proof"), "failed:PROOF_TRANSFORMATION_ERROR");
}

/// A challenge or domain option of another type is a 400, never "nothing asked" (a relying
/// party's nonce sent as a number must not let a replay through); and the plan fetches what
/// the presentation names, not what the rest of the request names (attacker checks).
#[tokio::test]
async fn presentation_options_are_typed_and_only_the_presentation_is_planned() {
    let trip = Tripwire::new();
    let s = state(VerifierConfig {
        insecure_hosts: vec![format!("127.0.0.1:{}", trip.port)],
        ..VerifierConfig::default()
    });
    let vp = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"]
    });
    for options in [
        json!({"challenge": 5}),
        json!({"challenge": null}),
        json!({"challenge": ["c1"]}),
        json!({"domain": ["a.example", 1]}),
    ] {
        let r = send(
            &s,
            "/presentations/verify",
            "application/json",
            json!({"verifiablePresentation": vp, "options": options})
                .to_string()
                .into_bytes(),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{options}: {}", r.body);
        assert_eq!(r.content_type, "application/problem+json");
    }
    let sibling = format!("http://127.0.0.1:{}/sibling", trip.port);
    let r = send(
        &s,
        "/presentations/verify",
        "application/json",
        json!({
            "verifiablePresentation": vp,
            "proof": {"verificationMethod": format!("{sibling}#k")},
            "verifiableCredential": [{"proof": {"verificationMethod": format!("{sibling}2#k")}}]
        })
        .to_string()
        .into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(trip.connections(), 0);
}

/// `POST /verify` takes a credential: a presentation (which holds its credentials under the
/// wrapper's key) is answered with where to send it, not misread as a wrapper (newcomer check).
#[tokio::test]
async fn the_verify_page_points_a_presentation_elsewhere() {
    let s = state(VerifierConfig::default());
    let vp = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [badge(Relationship::AssertionMethod)]
    });
    let r = send(
        &s,
        "/verify",
        "application/json",
        vp.to_string().into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.content_type, "application/problem+json");
    assert!(r.body["detail"]
        .as_str()
        .unwrap()
        .contains("POST /presentations/verify"));
    // The VC API's wrapper still works.
    let wrapped = json!({"verifiableCredential": badge(Relationship::AssertionMethod)});
    let r = send(
        &s,
        "/verify",
        "application/json",
        wrapped.to_string().into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}
