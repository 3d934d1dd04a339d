//! The issuer API driven through `router()` (no socket), on SQLite and on PostgreSQL: the
//! same scenarios run on both. PostgreSQL runs use a fresh database per test on the server
//! named by HALLMARK_TEST_POSTGRES_URL (scripts/test.sh starts one); without it they are
//! skipped locally and fail under CI.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use hallmark_core::keys::{KeyFile, SecretKey};
use hallmark_core::verify::{ResolveError, Resources, Verifier};
use hallmark_core::{CheckId, Outcome, Report};
use hallmark_issuer::{router, Config, Issuer, Overrides};
use serde_json::{json, Value};
use tower::ServiceExt;

struct Harness {
    state: Issuer,
    token: String,
    _dir: PathBuf,
}

use common::{postgres_url, Backend};

async fn harness(backend: Backend, issuer_id: Option<&str>, extra: &str) -> Option<Harness> {
    let database_url = match backend {
        Backend::Sqlite => "sqlite:hallmark.db".to_owned(),
        Backend::Postgres => postgres_url().await?,
    };
    let issuer = issuer_id
        .map(|i| format!("issuer_id = \"{i}\"\n"))
        .unwrap_or_default();
    let key = KeyFile::new(SecretKey::from_seed(&[11; 32]));
    let dir = hallmark_testkit::issuer_folder(
        &format!("api-{backend:?}"),
        key.to_json().expose(),
        hallmark_issuer::program::DEMO_PROGRAM,
        &format!("{issuer}issuer_name = \"Acme\"\nbase_url = \"https://partners.acme.example\"\ndatabase_url = \"{database_url}\"\n{extra}"),
    );
    let config = Config::load(&dir.join("config.toml"), &Overrides::default()).unwrap();
    let state = Issuer::open(config).await.unwrap();
    let token = hallmark_issuer::create_token(state.store(), "test-admin")
        .await
        .unwrap();
    Some(Harness {
        state,
        token,
        _dir: dir,
    })
}

struct Reply {
    status: StatusCode,
    content_type: String,
    location: Option<String>,
    body: Value,
}

impl Harness {
    async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
        content_type: &str,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if body.is_some() {
            req = req.header("content-type", content_type);
        }
        let req = req.body(body.map_or_else(Body::empty, Body::from)).unwrap();
        let res = router(self.state.clone()).oneshot(req).await.unwrap();
        let status = res.status();
        let content_type = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let location = res
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 22)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes)
            .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Reply {
            status,
            content_type,
            location,
            body,
        }
    }

    /// POSTs JSON without a token.
    async fn post_anonymously(&self, path: &str, body: &Value) -> Reply {
        self.send(
            "POST",
            path,
            None,
            Some(body.to_string().into_bytes()),
            "application/json",
        )
        .await
    }

    /// `POST /api/v1/credentials/{uuid}/status` with `status`.
    async fn set_status(&self, uuid: &str, status: Value) -> Reply {
        self.post(
            &format!("/api/v1/credentials/{uuid}/status"),
            json!({ "status": status }),
        )
        .await
    }

    async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(
            "POST",
            path,
            Some(&self.token),
            Some(body.to_string().into_bytes()),
            "application/json",
        )
        .await
    }

    async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, Some(&self.token), None, "").await
    }

    /// Creates partner `name` at https://northwind.example, or (one partner per URL) at a
    /// path of its own there when that URL is taken.
    async fn partner(&self, name: &str) -> String {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let mut r = self
            .post(
                "/api/v1/partners",
                json!({"name": name, "url": "https://northwind.example"}),
            )
            .await;
        if r.status == StatusCode::CONFLICT {
            let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let url = format!("https://northwind.example/{n}");
            r = self
                .post("/api/v1/partners", json!({"name": name, "url": url}))
                .await;
        }
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["id"].as_str().unwrap().to_owned()
    }

    fn gold(&self, partner: &str) -> Value {
        json!({
            "partner_id": partner, "tier": "gold", "role": "solutions",
            "competencies": ["CLOUD-FUND", "CLOUD-ARCH", "SEC-IAM", "DATA-MIG"],
            "exam_score": 87, "demo_level": "Advanced", "approver": "Jane Approver",
            "approved_at": approved_at(),
            "references": [
                {"name": "Contoso", "description": "Migration", "validated": true, "public": true},
                {"name": "Fabrikam", "validated": true, "public": true},
                {"name": "Secret bank", "validated": true, "public": false}
            ]
        })
    }

    /// Verifies a badge as a verifier would, fetching status lists and the DID document from
    /// the service.
    async fn verify(&self, badge: &Value) -> Report {
        let mut docs = HashMap::new();
        for path in [
            "/status/revocation-1",
            "/status/suspension-1",
            "/status/message-2bit-1",
            "/status/message-3bit-1",
            "/.well-known/did.json",
        ] {
            let r = self.send("GET", path, None, None, "").await;
            if r.status == StatusCode::OK {
                let url = if path.starts_with("/.well-known") {
                    "https://partners.acme.example/.well-known/did.json".to_owned()
                } else {
                    format!("{}{path}", self.state.config().base_url)
                };
                docs.insert(url, Arc::<[u8]>::from(r.body.to_string().into_bytes()));
            }
        }
        Verifier::new(time::OffsetDateTime::now_utc()).verify_value(badge, &Served(docs))
    }
}

/// A 422 whose detail contains `expected`.
fn assert_refused(r: &Reply, expected: &str) {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let detail = r.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(expected), "{expected:?} not in {}", r.body);
}

/// A VC 2.0 credential for the VC API, as `issuer`, valid for thirty days already.
fn example_credential(issuer: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleCredential"],
        "issuer": issuer,
        "validFrom": approved_at(),
        "credentialSubject": {"id": "did:example:alice", "name": "Alice"}
    })
}

/// Thirty days ago: badges are valid now, whenever the tests run.
fn approved_at() -> String {
    hallmark_core::datetime::format(time::OffsetDateTime::now_utc() - time::Duration::days(30))
}

struct Served(HashMap<String, Arc<[u8]>>);

impl Resources for Served {
    fn fetch(&self, url: &str) -> Result<Arc<[u8]>, ResolveError> {
        self.0.get(url).cloned().ok_or_else(|| ResolveError {
            undecided: true,
            detail: format!("{url} not served"),
        })
    }
}

fn status(report: &Report) -> (Outcome, String) {
    let c = report.check(CheckId::Status).unwrap();
    (c.outcome, c.detail.clone())
}

on_both!(approval_issues_a_badge_that_verifies_and_revocation_shows_at_once);
async fn approval_issues_a_badge_that_verifies_and_revocation_shows_at_once(backend: Backend) {
    let Some(h) = harness(backend, None, "").await else {
        return;
    };
    let html = "<script>alert('x')</script> & Sons \"Ltd\"";
    let partner = h.partner(html).await;
    let r = h.post("/api/v1/approvals", h.gold(&partner)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let uuid = r.body["credential"]["uuid"].as_str().unwrap().to_owned();
    let badge = r.body["credential"]["document"].clone();
    assert_eq!(
        badge["credentialSubject"]["identifier"][0]["identityHash"], html,
        "the name is kept as text"
    );
    assert_eq!(
        badge["credentialSubject"]["achievement"]["id"],
        "https://partners.acme.example/program/tiers/gold"
    );
    let from = hallmark_core::datetime::parse(badge["validFrom"].as_str().unwrap()).unwrap();
    let until = hallmark_core::datetime::parse(badge["validUntil"].as_str().unwrap()).unwrap();
    assert_eq!(
        until - from,
        time::Duration::days(365),
        "Gold's validity period"
    );
    // Only validated, public references become evidence.
    assert_eq!(badge["evidence"].as_array().unwrap().len(), 2);
    let purposes: Vec<&str> = badge["credentialStatus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["statusPurpose"].as_str().unwrap())
        .collect();
    // Revocation first: some verifiers read only the first entry.
    assert_eq!(purposes, ["revocation", "suspension", "message"]);
    let message = &badge["credentialStatus"][2];
    assert_eq!(message["statusSize"], 3);
    assert_eq!(
        message["statusMessage"][1],
        json!({"status": "0x1", "message": "superseded"})
    );
    assert!(message["statusListCredential"]
        .as_str()
        .unwrap()
        .ends_with("/status/message-3bit-1"));

    // Committed before the response: the public endpoint serves the same document.
    let public = h
        .send("GET", &format!("/credentials/{uuid}"), None, None, "")
        .await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(public.body, badge);
    let report = h.verify(&badge).await;
    assert!(report.verified(), "{:#?}", report.checks);

    // Revoke: the list served next shows it.
    let r = h
        .post(
            &format!("/api/v1/credentials/{uuid}/revoke"),
            json!({"reason": "contract ended"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["revocationReason"], "contract ended");
    let report = h.verify(&badge).await;
    assert!(!report.verified());
    let (outcome, detail) = status(&report);
    assert_eq!(outcome, Outcome::Failed);
    assert!(detail.starts_with("REVOKED"), "{detail}");
    // The reason is private: not in the list, not in the badge.
    let list = h.send("GET", "/status/revocation-1", None, None, "").await;
    assert!(!list.body.to_string().contains("contract ended"));
    // Irreversible.
    let again = h
        .post(
            &format!("/api/v1/credentials/{uuid}/revoke"),
            json!({"reason": "again"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let reinstate = h
        .post(&format!("/api/v1/credentials/{uuid}/reinstate"), json!({}))
        .await;
    assert_eq!(reinstate.status, StatusCode::CONFLICT);

    // Every change is in the audit log, by token name.
    let audit = h.get("/api/v1/audit").await;
    let actions: Vec<&str> = audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "token.create",
        "partner.create",
        "credential.issue",
        "credential.revoke",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    assert!(audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["actor"] == "test-admin"));
}

on_both!(suspension_then_reinstatement);
async fn suspension_then_reinstatement(backend: Backend) {
    let Some(h) = harness(backend, None, "").await else {
        return;
    };
    let partner = h.partner("Northwind").await;
    let r = h.post("/api/v1/approvals", h.gold(&partner)).await;
    let uuid = r.body["credential"]["uuid"].as_str().unwrap().to_owned();
    let badge = r.body["credential"]["document"].clone();
    assert_eq!(
        h.post(&format!("/api/v1/credentials/{uuid}/suspend"), json!({}))
            .await
            .status,
        StatusCode::OK
    );
    let (outcome, detail) = status(&h.verify(&badge).await);
    assert_eq!(outcome, Outcome::Failed);
    assert!(detail.starts_with("SUSPENDED"), "{detail}");
    assert_eq!(
        h.post(&format!("/api/v1/credentials/{uuid}/suspend"), json!({}))
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        h.post(&format!("/api/v1/credentials/{uuid}/reinstate"), json!({}))
            .await
            .status,
        StatusCode::OK
    );
    assert!(h.verify(&badge).await.verified());
}

on_both!(message_status_entries_are_issued_set_and_verified);
async fn message_status_entries_are_issued_set_and_verified(backend: Backend) {
    let Some(h) = harness(backend, None, "").await else {
        return;
    };
    let credential = example_credential(h.state.keys().issuer());
    let messages = json!([
        {"status": "0x0", "message": "active"}, {"status": "0x1", "message": "under review"},
        {"status": "0x2", "message": "lapsed"}, {"status": "0x3", "message": "withdrawn"}
    ]);
    let message = json!({
        "type": "BitstringStatusListEntry", "statusPurpose": "message", "statusSize": 2,
        "statusMessage": messages, "statusReference": "https://acme.example/program/status"
    });
    let issue =
        |status: Value| json!({"credential": credential, "options": {"credentialStatus": status}});
    let r = h
        .post(
            "/credentials/issue",
            issue(json!([{"statusPurpose": "revocation"}, message])),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let vc = r.body["verifiableCredential"].clone();
    let entry = &vc["credentialStatus"][1];
    assert_eq!(entry["statusPurpose"], "message");
    assert_eq!(entry["statusSize"], 2);
    assert_eq!(entry["statusMessage"], messages);
    assert_eq!(
        entry["statusReference"],
        "https://acme.example/program/status"
    );
    assert!(entry["statusListCredential"]
        .as_str()
        .unwrap()
        .ends_with("/status/message-2bit-1"));
    let report = h.verify(&vc).await;
    assert!(report.verified(), "{:#?}", report.checks);
    assert!(
        status(&report).1.contains("message: active"),
        "{}",
        status(&report).1
    );

    // The admin sets the value; the list is re-signed and verifiers read the new message.
    // The 201's Location is the credential's public URL, ending in the uuid the admin API takes.
    let location = r.location.clone().expect("a Location header");
    let uuid = location.rsplit('/').next().unwrap().to_owned();
    let listed = h.get("/api/v1/credentials").await;
    let index: i64 = entry["statusListIndex"].as_str().unwrap().parse().unwrap();
    assert!(listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["uuid"] == uuid.as_str()
            && c["message"]["index"] == index
            && c["message"]["status"] == "0x0"));
    let r = h.set_status(&uuid, json!("0x2")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["message"]["status"], "0x2");
    let report = h.verify(&vc).await;
    assert!(report.verified(), "a message is information, not a failure");
    assert!(
        status(&report).1.contains("message: lapsed"),
        "{}",
        status(&report).1
    );
    // A value that does not fit in two bits changes nothing.
    assert_refused(
        &h.set_status(&uuid, json!(4)).await,
        "does not fit in 2 bit",
    );
    assert!(status(&h.verify(&vc).await).1.contains("message: lapsed"));
    assert_refused(&h.set_status(&uuid, json!("two")).await, "hexadecimal");

    // Requests that would make a malformed entry are refused, naming what is wrong.
    let mut two = message.clone();
    two["statusMessage"] =
        json!([{"status": "0x0", "message": "a"}, {"status": "0x1", "message": "b"}]);
    for (status, expected) in [
        (two, "needs 4"),
        (
            json!({"statusPurpose": "message", "statusSize": 2}),
            "requires statusMessage",
        ),
        (
            json!({"statusPurpose": "revocation", "statusSize": 2, "statusMessage": messages}),
            "for the \"message\" purpose",
        ),
        (json!({"statusPurpose": "bogus"}), "not offered"),
        (
            json!({"statusPurpose": "message", "statusSize": 9}),
            "statusSize",
        ),
        (
            json!({"statusPurpose": "message", "colour": "red"}),
            "colour",
        ),
        (
            json!([{"statusPurpose": "message"}, {"statusPurpose": "message"}]),
            "twice",
        ),
    ] {
        assert_refused(&h.post("/credentials/issue", issue(status)).await, expected);
    }
    // A credential issued without a message entry has none to set.
    let r = h
        .post(
            "/credentials/issue",
            issue(json!({"statusPurpose": "revocation"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let location = r.location.clone().expect("a Location header");
    let plain = location.rsplit('/').next().unwrap().to_owned();
    assert_refused(&h.set_status(&plain, json!(1)).await, "no message entry");
    // A badge carries the public message (three bits), read by any verifier.
    let partner = h.partner("Northwind").await;
    let r = h.post("/api/v1/approvals", h.gold(&partner)).await;
    let uuid = r.body["credential"]["uuid"].as_str().unwrap().to_owned();
    let badge = r.body["credential"]["document"].clone();
    assert!(status(&h.verify(&badge).await)
        .1
        .contains("message: active"));
    let r = h.set_status(&uuid, json!("0x4")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let report = h.verify(&badge).await;
    assert!(report.verified(), "{:#?}", report.checks);
    assert!(
        status(&report).1.contains("message: under review"),
        "{}",
        status(&report).1
    );
}

on_both!(shortfalls_are_422_naming_the_requirement);
async fn shortfalls_are_422_naming_the_requirement(backend: Backend) {
    let Some(h) = harness(backend, None, "").await else {
        return;
    };
    let partner = h.partner("Northwind").await;
    let mut low = h.gold(&partner);
    low["exam_score"] = json!(72);
    let r = h.post("/api/v1/approvals", low).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.content_type, "application/problem+json");
    assert_eq!(r.body["shortfalls"][0]["requirement"], "exam_score");
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("72% is below Gold Partner's minimum of 80%"),
        "{}",
        r.body
    );

    let mut gap = h.gold(&partner);
    gap["competencies"] = json!(["CLOUD-FUND", "CLOUD-ARCH", "SEC-IAM"]);
    let r = h.post("/api/v1/approvals", gap).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.body["shortfalls"][0]["requirement"],
        "required_competency"
    );
    assert!(
        r.body["detail"].as_str().unwrap().contains("DATA-MIG"),
        "{}",
        r.body
    );

    let mut few = h.gold(&partner);
    few["references"] =
        json!([{"name": "Only one", "validated": true}, {"name": "Unchecked", "validated": false}]);
    let r = h.post("/api/v1/approvals", few).await;
    assert_eq!(r.body["shortfalls"][0]["requirement"], "references");

    // Nothing was issued.
    assert_eq!(h.get("/api/v1/credentials").await.body, json!([]));
}

on_both!(bad_input_is_4xx_problem_json_never_500);
async fn bad_input_is_4xx_problem_json_never_500(backend: Backend) {
    let Some(h) = harness(backend, None, "max_body_bytes = 4096\n").await else {
        return;
    };
    let partner = h.partner("Northwind").await;
    let problem = |r: &Reply, status: StatusCode| {
        assert_eq!(r.status, status, "{}", r.body);
        assert_eq!(r.content_type, "application/problem+json", "{}", r.body);
        assert!(
            r.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{}",
            r.body
        );
    };
    let malformed = h
        .send(
            "POST",
            "/api/v1/approvals",
            Some(&h.token),
            Some(b"{\"tier\": ".to_vec()),
            "application/json",
        )
        .await;
    problem(&malformed, StatusCode::BAD_REQUEST);
    let mut unknown = h.gold(&partner);
    unknown["tier"] = json!("diamond");
    let r = h.post("/api/v1/approvals", unknown).await;
    problem(&r, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("unknown tier \"diamond\""),
        "{}",
        r.body
    );
    let big = json!({"name": "x".repeat(10_000), "url": "https://a.example"});
    problem(
        &h.post("/api/v1/partners", big).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    );
    problem(
        &h.send(
            "POST",
            "/api/v1/partners",
            None,
            Some(b"{}".to_vec()),
            "application/json",
        )
        .await,
        StatusCode::UNAUTHORIZED,
    );
    problem(
        &h.send(
            "POST",
            "/api/v1/partners",
            Some("hm_wrong"),
            Some(b"{}".to_vec()),
            "application/json",
        )
        .await,
        StatusCode::UNAUTHORIZED,
    );
    problem(
        &h.send("GET", "/api/v1/partners", Some("hm_wrong"), None, "")
            .await,
        StatusCode::UNAUTHORIZED,
    );
    problem(
        &h.send(
            "POST",
            "/api/v1/partners",
            Some(&h.token),
            Some(b"name=x".to_vec()),
            "text/plain",
        )
        .await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    );
    problem(
        &h.post("/api/v1/partners", json!({"name": "x"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    problem(
        &h.post("/api/v1/partners", json!({"name": "x", "url": "not a url"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    let mut nobody = h.gold(&partner);
    nobody["partner_id"] = json!("00000000-0000-0000-0000-000000000000");
    problem(
        &h.post("/api/v1/approvals", nobody).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    problem(
        &h.send("GET", "/credentials/nope", None, None, "").await,
        StatusCode::NOT_FOUND,
    );
    problem(
        &h.send("GET", "/status/nope", None, None, "").await,
        StatusCode::NOT_FOUND,
    );
    problem(
        &h.send("GET", "/no/such/path", None, None, "").await,
        StatusCode::NOT_FOUND,
    );
    problem(
        &h.post("/api/v1/credentials/nope/revoke", json!({"reason": "x"}))
            .await,
        StatusCode::NOT_FOUND,
    );
    // Public endpoints are read-only.
    assert_eq!(
        h.send(
            "POST",
            "/status/revocation-1",
            None,
            Some(b"{}".to_vec()),
            "application/json"
        )
        .await
        .status,
        StatusCode::METHOD_NOT_ALLOWED
    );
}

on_both!(vc_api_issue_honours_options_and_tokens);
async fn vc_api_issue_honours_options_and_tokens(backend: Backend) {
    let Some(h) = harness(backend, None, "").await else {
        return;
    };
    let issuer = h.state.keys().issuer().to_owned();
    let credential = example_credential(&issuer);
    let body = json!({"credential": credential, "options": {"credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}}});
    let anonymous = h.post_anonymously("/credentials/issue", &body).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let r = h.post("/credentials/issue", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let vc = r.body["verifiableCredential"].clone();
    assert_eq!(vc["credentialStatus"]["statusPurpose"], "revocation");
    assert_eq!(
        vc["proof"]["cryptosuite"], "eddsa-rdfc-2022",
        "the default (docs/design.md §2)"
    );
    assert!(h.verify(&vc).await.verified());
    let jcs = json!({"credential": credential, "options": {"cryptosuite": "eddsa-jcs-2022"}});
    let r = h.post("/credentials/issue", jcs).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        r.body["verifiableCredential"]["proof"]["cryptosuite"],
        "eddsa-jcs-2022"
    );
    assert!(h.verify(&r.body["verifiableCredential"]).await.verified());
    // VC 1.1 credentials are signed too (the W3C suites send them), with either suite.
    for suite in ["eddsa-rdfc-2022", "eddsa-jcs-2022"] {
        let v11 = json!({
            "@context": ["https://www.w3.org/2018/credentials/v1"],
            "id": "urn:uuid:2f7b6c1e-0000-4000-8000-000000000001",
            "type": ["VerifiableCredential"],
            "issuer": issuer,
            "issuanceDate": approved_at(),
            "credentialSubject": {"id": "did:example:alice"}
        });
        let r = h
            .post(
                "/credentials/issue",
                json!({"credential": v11, "options": {"cryptosuite": suite}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{suite}: {}", r.body);
        assert!(
            h.verify(&r.body["verifiableCredential"]).await.verified(),
            "{suite}"
        );
    }
    let r = h
        .post(
            "/credentials/issue",
            json!({"credential": credential, "options": {"cryptosuite": "bogus-2099"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut other = credential.clone();
    other["issuer"] = json!("did:example:someone-else");
    assert_eq!(
        h.post("/credentials/issue", json!({"credential": other}))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // With the endpoint opened by configuration, no token is needed.
    let Some(open) = harness(backend, None, "open_issue_endpoint = true\n").await else {
        return;
    };
    let body = json!({"credential": credential.clone()});
    let mut c = body.clone();
    c["credential"]["issuer"] = json!(open.state.keys().issuer());
    let r = open.post_anonymously("/credentials/issue", &c).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

on_both!(did_web_document_and_concurrent_issuance);
async fn did_web_document_and_concurrent_issuance(backend: Backend) {
    let Some(h) = harness(backend, Some("did:web:partners.acme.example"), "").await else {
        return;
    };
    let doc = h.send("GET", "/.well-known/did.json", None, None, "").await;
    assert_eq!(doc.status, StatusCode::OK);
    assert_eq!(doc.body["id"], "did:web:partners.acme.example");
    let vm = doc.body["assertionMethod"][0].as_str().unwrap().to_owned();
    assert!(vm.starts_with("did:web:partners.acme.example#z6Mk"), "{vm}");
    // Twelve approvals at once (for twelve partners: one would supersede its own badges):
    // every badge gets its own status index.
    let mut tasks = Vec::new();
    for i in 0..12 {
        let partner = h.partner(&format!("Northwind {i}")).await;
        let h2 = Harness {
            state: h.state.clone(),
            token: h.token.clone(),
            _dir: PathBuf::new(),
        };
        let body = h.gold(&partner);
        tasks.push(tokio::spawn(async move {
            h2.post("/api/v1/approvals", body).await
        }));
    }
    let mut indexes = std::collections::HashSet::new();
    let mut badge = Value::Null;
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        badge = r.body["credential"]["document"].clone();
        let entry = &badge["credentialStatus"][0];
        assert!(
            indexes.insert(entry["statusListIndex"].as_str().unwrap().to_owned()),
            "index reused"
        );
    }
    assert_eq!(badge["proof"][0]["verificationMethod"], vm);
    let report = h.verify(&badge).await;
    assert!(report.verified(), "{:#?}", report.checks);

    // A did:key issuer has no DID document to serve.
    let Some(k) = harness(backend, None, "").await else {
        return;
    };
    assert_eq!(
        k.send("GET", "/.well-known/did.json", None, None, "")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// A VC API request for a credential with one 2-bit "message" entry (and nothing else).
fn message_request(issuer: &str) -> Value {
    json!({"credential": example_credential(issuer), "options": {"credentialStatus": {
        "type": "BitstringStatusListEntry", "statusPurpose": "message", "statusSize": 2,
        "statusMessage": [
            {"status": "0x0", "message": "active"}, {"status": "0x1", "message": "under review"},
            {"status": "0x2", "message": "lapsed"}, {"status": "0x3", "message": "withdrawn"}
        ]
    }}})
}

/// Issues `request`; the credential and its uuid.
async fn issue_message(h: &Harness, request: &Value) -> (Value, String) {
    let r = h.post("/credentials/issue", request.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let uuid = r.location.unwrap().rsplit('/').next().unwrap().to_owned();
    (r.body["verifiableCredential"].clone(), uuid)
}

fn message_index(vc: &Value) -> &str {
    vc["credentialStatus"]["statusListIndex"].as_str().unwrap()
}

/// The message a verifier reads for `vc`.
async fn message_read(h: &Harness, vc: &Value) -> String {
    let report = h.verify(vc).await;
    assert!(report.verified(), "{:#?}", report.checks);
    status(&report).1
}

on_both!(a_message_index_already_taken_is_drawn_again);
async fn a_message_index_already_taken_is_drawn_again(backend: Backend) {
    let Some(h) = harness(backend, None, "").await else {
        return;
    };
    let request = message_request(h.state.keys().issuer());
    // Both issuances draw index 5 first; the second must find it taken and draw again.
    h.state.script_status_indexes([5, 5, 9]);
    let (first, first_uuid) = issue_message(&h, &request).await;
    let (second, second_uuid) = issue_message(&h, &request).await;
    assert_eq!(message_index(&first), "5");
    assert_eq!(
        message_index(&second),
        "9",
        "the taken index was drawn again"
    );
    // Setting one credential's message leaves the other's as it was.
    let r = h.set_status(&first_uuid, json!("0x2")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(message_read(&h, &first).await.contains("message: lapsed"));
    assert!(message_read(&h, &second).await.contains("message: active"));
    let other = h.get(&format!("/api/v1/credentials/{second_uuid}")).await;
    assert_eq!(other.body["message"]["status"], "0x0", "{}", other.body);
}

/// Runs `sql` on the harness's database.
async fn execute(h: &Harness, sql: &str) {
    match h.state.store() {
        hallmark_store::Store::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
        hallmark_store::Store::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
    }
    .unwrap();
}

on_both!(credentials_sharing_a_message_slot_are_moved_on_open);
async fn credentials_sharing_a_message_slot_are_moved_on_open(backend: Backend) {
    let Some(h) = harness(backend, None, "").await else {
        return;
    };
    // A database from before migration 0003, where two issuances could land on one slot.
    execute(&h, "DROP INDEX credentials_message_slot").await;
    execute(&h, "DELETE FROM _sqlx_migrations WHERE version = 3").await;
    let request = message_request(h.state.keys().issuer());
    h.state.script_status_indexes([5, 5]);
    let (older, older_uuid) = issue_message(&h, &request).await;
    let (newer, newer_uuid) = issue_message(&h, &request).await;
    assert_eq!(message_index(&older), message_index(&newer));
    execute(
        &h,
        &format!("UPDATE credentials SET issued_at = issued_at - 60 WHERE id = '{older_uuid}'"),
    )
    .await;
    // The bug: setting one credential's message sets the other's.
    assert_eq!(
        h.set_status(&older_uuid, json!("0x1")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        h.set_status(&newer_uuid, json!("0x3")).await.status,
        StatusCode::OK
    );
    assert!(message_read(&h, &older)
        .await
        .contains("message: withdrawn"));

    // Opening the issuer again repairs it before the constraint goes in.
    let config = Config::load(&h._dir.join("config.toml"), &Overrides::default()).unwrap();
    let reopened = Harness {
        state: Issuer::open(config).await.unwrap(),
        token: h.token.clone(),
        _dir: h._dir.clone(),
    };
    let h = reopened;
    let kept = h.get(&format!("/api/v1/credentials/{older_uuid}")).await;
    assert_eq!(kept.body["message"]["index"], 5, "the older keeps its slot");
    assert_eq!(kept.body["message"]["status"], "0x1");
    let moved = h.get(&format!("/api/v1/credentials/{newer_uuid}")).await;
    let to = moved.body["message"]["index"].as_i64().unwrap();
    assert_ne!(to, 5, "{}", moved.body);
    assert_eq!(moved.body["message"]["status"], "0x3");
    // The moved credential is re-signed with its new index, and each reads its own message.
    let reissued = h
        .send("GET", &format!("/credentials/{newer_uuid}"), None, None, "")
        .await
        .body;
    assert_eq!(message_index(&reissued), to.to_string());
    assert_eq!(
        reissued["proof"]["cryptosuite"],
        newer["proof"]["cryptosuite"]
    );
    assert!(message_read(&h, &reissued)
        .await
        .contains("message: withdrawn"));
    assert!(message_read(&h, &older)
        .await
        .contains("message: under review"));
    // The move is in the audit log, naming both credentials and both indexes.
    let audit = h.get("/api/v1/audit").await;
    let entry = audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "credential.status.move")
        .unwrap_or_else(|| panic!("no move in {}", audit.body))
        .clone();
    assert_eq!(entry["actor"], "system");
    assert_eq!(entry["subject"], newer_uuid.as_str());
    assert_eq!(entry["detail"]["kept"], older_uuid.as_str());
    assert_eq!(entry["detail"]["from"], 5);
    assert_eq!(entry["detail"]["to"], to);
    // And the slot is unique from now on.
    let free = if to == 7 { 8 } else { 7 };
    h.state
        .script_status_indexes([5, u64::try_from(to).unwrap(), free]);
    let (next, _) = issue_message(&h, &request).await;
    assert_eq!(message_index(&next), free.to_string());
}

/// What the admin API shows was written: partners, credentials and audit entries.
async fn written(h: &Harness) -> (usize, usize, usize) {
    let count = |r: Reply| r.body.as_array().map_or(0, Vec::len);
    (
        count(h.get("/api/v1/partners").await),
        count(h.get("/api/v1/credentials").await),
        count(h.get("/api/v1/audit").await),
    )
}

/// A 422 problem whose detail contains each of `expected`.
fn assert_problem(r: &Reply, expected: &[&str]) {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.content_type, "application/problem+json", "{}", r.body);
    let detail = r.body["detail"].as_str().unwrap_or_default();
    for e in expected {
        assert!(detail.contains(e), "{e:?} not in {}", r.body);
    }
}

on_both!(approval_dates_out_of_range_are_422_not_a_panic);
async fn approval_dates_out_of_range_are_422_not_a_panic(backend: Backend) {
    let Some(h) = harness(backend, None, "").await else {
        return;
    };
    let partner = h.partner("Northwind").await;
    let before = written(&h).await;
    let in_two_days =
        hallmark_core::datetime::format(time::OffsetDateTime::now_utc() + time::Duration::days(2));
    for (approved_at, expected) in [
        ("9999-12-31T00:00:00Z", "is in the future"),
        ("9000-01-01T00:00:00Z", "is in the future"),
        (in_two_days.as_str(), "is in the future"),
        ("0000-01-01T00:00:00Z", "before 2000-01-01"),
        ("1999-12-31T23:59:59Z", "before 2000-01-01"),
        (
            "9999-12-31T23:59:59-01:00",
            "outside the years 0000 to 9999",
        ),
        ("2026-02-30T00:00:00Z", "not a valid date"),
    ] {
        let mut body = h.gold(&partner);
        body["approved_at"] = json!(approved_at);
        let r = h.post("/api/v1/approvals", body).await;
        assert_problem(&r, &["approved_at", expected]);
    }
    assert_eq!(written(&h).await, before, "nothing was written");
    // Within a day ahead (time zones) is fine.
    let mut body = h.gold(&partner);
    body["approved_at"] = json!(hallmark_core::datetime::format(
        time::OffsetDateTime::now_utc() + time::Duration::hours(12)
    ));
    let r = h.post("/api/v1/approvals", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

on_both!(partner_urls_are_http_or_did_and_names_plain_text);
async fn partner_urls_are_http_or_did_and_names_plain_text(backend: Backend) {
    let Some(h) = harness(backend, None, "").await else {
        return;
    };
    let before = written(&h).await;
    for (url, expected) in [
        ("javascript:alert(1)", "only http and https"),
        (
            "data:text/html,<script>alert(1)</script>",
            "only http and https",
        ),
        ("ftp://northwind.example/", "only http and https"),
        (
            "https://north wind.example",
            "whitespace or a control character",
        ),
        ("https://northwind.example/\u{0}", "U+0000"),
        ("https://northwind.example/\t", "U+0009"),
        ("https://northwind.example/\u{202E}", "U+202E"),
        (
            "https://admin:secret@northwind.example",
            "user name or password",
        ),
        ("https://", "not an absolute URL"),
        ("northwind.example", "not an absolute URL"),
        ("did:web", "not a valid DID"),
    ] {
        let r = h
            .post("/api/v1/partners", json!({"name": "Northwind", "url": url}))
            .await;
        assert_problem(&r, &["url", expected]);
    }
    for (name, expected) in [
        ("North\u{0}wind", "control character U+0000"),
        ("North\nwind", "control character U+000A"),
        ("North\u{85}wind", "control character U+0085"),
        ("Northwind \u{202E}dtL", "bidirectional control U+202E"),
        ("\u{2066}Northwind\u{2069}", "bidirectional control U+2066"),
        ("   ", "name is required"),
    ] {
        let r = h
            .post(
                "/api/v1/partners",
                json!({"name": name, "url": "https://northwind.example"}),
            )
            .await;
        assert_problem(&r, &["name", expected]);
    }
    assert_eq!(written(&h).await, before, "no partner, no audit entry");
    // Web addresses and DIDs are accepted; a DID becomes the badge's subject.
    for url in [
        "https://northwind.example/partners?id=1",
        "http://northwind.example",
        "did:web:northwind.example",
    ] {
        let r = h
            .post("/api/v1/partners", json!({"name": "Northwind", "url": url}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{url}: {}", r.body);
    }
}

on_both!(partner_urls_are_stored_normalized_and_repaired_urls_refused);
/// The partner URL is stored (and signed into badges) as the WHATWG URL parser serializes
/// it; what that parser would only accept by repairing it is refused (newcomer and attacker
/// checks: `http:///x.example` was accepted, and stored as given).
async fn partner_urls_are_stored_normalized_and_repaired_urls_refused(backend: Backend) {
    let Some(h) = harness(backend, None, "").await else {
        return;
    };
    let before = written(&h).await;
    for (url, expected) in [
        ("http:///x.example", "is not of the form http://host/"),
        ("https:////x.example/", "is not of the form https://host/"),
        ("https:x.example", "is not of the form https://host/"),
        ("https:\\\\x.example", "backslash"),
        ("https://x.example\\path", "backslash"),
        ("JavaScript:alert(1)", "only http and https"),
        ("https://x.example/a b", "U+0020"),
        ("https://x.example/\u{7f}", "U+007F"),
        ("https://x.example/\u{200E}", "U+200E"),
        ("https://x.example/\u{2028}", "U+2028"),
        ("\u{FEFF}https://x.example/", "U+FEFF"),
    ] {
        let r = h
            .post("/api/v1/partners", json!({"name": "Northwind", "url": url}))
            .await;
        assert_problem(&r, &["url", expected]);
    }
    assert_eq!(written(&h).await, before, "no partner, no audit entry");
    for (given, stored) in [
        ("HTTPS://Northwind.EXAMPLE", "https://northwind.example/"),
        (
            "https://northwind.example:443/a/../b?q=1#top",
            "https://northwind.example/b?q=1#top",
        ),
        (
            "http://northwind.example:8080",
            "http://northwind.example:8080/",
        ),
        (
            "https://bücher.example/ü",
            "https://xn--bcher-kva.example/%C3%BC",
        ),
        ("did:web:northwind.example", "did:web:northwind.example"),
    ] {
        let r = h
            .post(
                "/api/v1/partners",
                json!({"name": "Northwind", "url": given}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{given}: {}", r.body);
        assert_eq!(r.body["url"], stored, "{given}");
        let id = r.body["id"].as_str().unwrap();
        let read = h.get(&format!("/api/v1/partners/{id}")).await;
        assert_eq!(read.body["url"], stored, "{given}");
    }
    // The badge names the partner by the stored form (the URL is the first one's: one
    // partner per URL, the 409 names it).
    let r = h
        .post(
            "/api/v1/partners",
            json!({"name": "Northwind", "url": "HTTPS://Northwind.Example"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let existing = r.body["existing"].as_str().unwrap();
    let partner = existing.rsplit('/').next().unwrap().to_owned();
    let r = h.post("/api/v1/approvals", h.gold(&partner)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        r.body["credential"]["document"]["credentialSubject"]["id"],
        "https://northwind.example/"
    );
}

on_both!(text_fields_refuse_invisible_and_line_breaking_characters);
/// Names, the approver, references and a revocation reason refuse, besides control and
/// bidirectional characters, the invisible bidirectional marks (U+200E, U+200F), the line and
/// paragraph separators (U+2028, U+2029) and U+FEFF; nothing is written.
async fn text_fields_refuse_invisible_and_line_breaking_characters(backend: Backend) {
    let Some(h) = harness(backend, None, "").await else {
        return;
    };
    let partner = h.partner("Northwind").await;
    let issued = h.post("/api/v1/approvals", h.gold(&partner)).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
    let uuid = issued.body["credential"]["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = written(&h).await;
    for (c, what) in [
        ('\u{200E}', "invisible Unicode bidirectional mark U+200E"),
        ('\u{200F}', "invisible Unicode bidirectional mark U+200F"),
        ('\u{2028}', "Unicode line or paragraph separator U+2028"),
        ('\u{2029}', "Unicode line or paragraph separator U+2029"),
        ('\u{FEFF}', "invisible Unicode byte order mark U+FEFF"),
        ('\u{0}', "control character U+0000"),
        ('\u{2067}', "Unicode bidirectional control U+2067"),
        // Characters that display as nothing (an attacker's "Micro\u{200B}soft").
        ('\u{200B}', "invisible Unicode character U+200B"),
        ('\u{00AD}', "invisible Unicode character U+00AD"),
        ('\u{2060}', "invisible Unicode character U+2060"),
        ('\u{E0001}', "invisible Unicode character U+E0001"),
        ('\u{E000}', "Unicode private-use character U+E000"),
    ] {
        let text = format!("North{c}wind");
        let r = h
            .post(
                "/api/v1/partners",
                json!({"name": text, "url": "https://northwind.example"}),
            )
            .await;
        assert_problem(&r, &["name contains the", what, "at character 5"]);
        let mut body = h.gold(&partner);
        body["approver"] = json!(text);
        assert_problem(
            &h.post("/api/v1/approvals", body).await,
            &["approver contains the", what],
        );
        for field in ["name", "description", "genre"] {
            let mut body = h.gold(&partner);
            body["references"][1][field] = json!(text);
            assert_problem(
                &h.post("/api/v1/approvals", body).await,
                &[&format!("references[1].{field} contains the"), what],
            );
        }
        let r = h
            .post(
                &format!("/api/v1/credentials/{uuid}/revoke"),
                json!({ "reason": text }),
            )
            .await;
        assert_problem(&r, &["reason contains the", what]);
    }
    assert_eq!(written(&h).await, before, "nothing was written");
    let badge = h.get(&format!("/api/v1/credentials/{uuid}")).await;
    assert_eq!(badge.body["revokedAt"], Value::Null, "{}", badge.body);
    // Zero-width joiners are part of some scripts' spelling, and stay accepted.
    let r = h
        .post(
            "/api/v1/partners",
            json!({"name": "\u{0645}\u{06CC}\u{200C}\u{062E}\u{0648}\u{0627}\u{0647}\u{0645}", "url": "https://zwnj.example"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

on_both!(approved_at_without_a_time_zone_says_what_is_missing);
/// `approved_at` is an RFC 3339 date-time with a time zone; one without says so, with an
/// example (newcomer check: "2026-12-01T09:00:00" was refused as "expected
/// YYYY-MM-DDThh:mm:ss with an uppercase T").
async fn approved_at_without_a_time_zone_says_what_is_missing(backend: Backend) {
    let Some(h) = harness(backend, None, "").await else {
        return;
    };
    let partner = h.partner("Northwind").await;
    let before = written(&h).await;
    let must =
        "approved_at must be an RFC 3339 date-time with a time zone, e.g. 2026-12-01T09:00:00Z";
    for (approved_at, why) in [
        (
            "2025-12-01T09:00:00",
            "\"2025-12-01T09:00:00\": no time zone (add Z for UTC",
        ),
        ("2025-12-01T09:00:00.25", ": no time zone"),
        ("2025-12-01T09:00", "\"2025-12-01T09:00\": no time zone"),
        (
            "2025-12-01",
            "\"2025-12-01\": a date without a time and time zone",
        ),
        ("2025-12-01 09:00:00Z", "with an uppercase T"),
        ("yesterday", "\"yesterday\": expected YYYY-MM-DDThh:mm:ss"),
    ] {
        let mut body = h.gold(&partner);
        body["approved_at"] = json!(approved_at);
        let r = h.post("/api/v1/approvals", body).await;
        assert_problem(&r, &[must, why]);
    }
    assert_eq!(written(&h).await, before, "nothing was written");
    // With a time zone, any offset: the badge's validFrom is the instant in UTC.
    let mut body = h.gold(&partner);
    body["approved_at"] = json!("2025-12-01T09:00:00+02:00");
    let r = h.post("/api/v1/approvals", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        r.body["credential"]["document"]["validFrom"],
        "2025-12-01T07:00:00Z"
    );
}

on_both!(status_lists_follow_a_new_base_url_and_keep_their_bits);
/// An issuer started again under another `base_url` (a demo moved with `--listen`) re-signs
/// its status lists under their new URLs, keeping every bit, so the badges it issues from
/// then on verify (found by the demo test: a moved demo's new badges failed their status
/// check, the list still signed with the old URL as its id).
async fn status_lists_follow_a_new_base_url_and_keep_their_bits(backend: Backend) {
    let Some(h) = harness(backend, None, "").await else {
        return;
    };
    let partner = h.partner("Northwind").await;
    let r = h.post("/api/v1/approvals", h.gold(&partner)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let uuid = r.body["credential"]["uuid"].as_str().unwrap().to_owned();
    let r = h
        .post(
            &format!("/api/v1/credentials/{uuid}/revoke"),
            json!({"reason": "contract ended"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let before = h
        .state
        .store()
        .status_list("revocation-1")
        .await
        .unwrap()
        .unwrap();

    // The same data, served from elsewhere.
    let path = h._dir.join("config.toml");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "https://partners.acme.example",
        "https://moved.acme.example",
    );
    std::fs::write(&path, text).unwrap();
    let config = Config::load(&path, &Overrides::default()).unwrap();
    let moved = Harness {
        state: Issuer::open(config).await.unwrap(),
        token: h.token.clone(),
        _dir: h._dir.clone(),
    };
    for list in ["revocation-1", "suspension-1"] {
        let r = moved
            .send("GET", &format!("/status/{list}"), None, None, "")
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            r.body["id"],
            format!("https://moved.acme.example/status/{list}")
        );
    }
    let after = moved
        .state
        .store()
        .status_list("revocation-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.bits, before.bits, "the revocation is kept");
    assert_ne!(after.document, before.document);
    let r = moved.post("/api/v1/approvals", moved.gold(&partner)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let badge = &r.body["credential"]["document"];
    assert!(
        badge["id"]
            .as_str()
            .unwrap()
            .starts_with("https://moved.acme.example/credentials/"),
        "{badge}"
    );
    let report = moved.verify(badge).await;
    assert!(report.verified(), "{:#?}", report.checks);
    // Opened again at the same address, nothing is re-signed.
    let config = Config::load(&path, &Overrides::default()).unwrap();
    let again = Issuer::open(config).await.unwrap();
    let unchanged = again
        .store()
        .status_list("revocation-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unchanged.document, after.document);
}

on_both!(approval_scores_levels_and_names_are_checked_for_every_tier);
async fn approval_scores_levels_and_names_are_checked_for_every_tier(backend: Backend) {
    let Some(h) = harness(backend, None, "").await else {
        return;
    };
    let partner = h.partner("Northwind").await;
    let registered = json!({
        "partner_id": partner, "tier": "registered", "role": "sales",
        "competencies": ["CLOUD-FUND"], "approver": "Jane Approver", "approved_at": approved_at(),
        "references": [{"name": "Contoso", "description": "Migration", "validated": true}]
    });
    let before = written(&h).await;
    let with = |key: &str, value: Value| {
        let mut b = registered.clone();
        b[key] = value;
        b
    };
    let mut cases = vec![
        (
            with("exam_score", json!(150)),
            vec!["exam_score 150 is not a percentage (0 to 100)"],
        ),
        (
            with("demo_level", json!("Great")),
            vec![
                "demo_level \"Great\" is not a level of the rubric",
                "Developing, Proficient, Advanced, Expert",
            ],
        ),
        (
            with("approver", json!("Jane\u{0}Approver")),
            vec!["approver", "U+0000"],
        ),
        (
            with("approver", json!("Jane \u{202D}Approver")),
            vec!["approver", "bidirectional control U+202D"],
        ),
        (
            with(
                "references",
                json!([{"name": "Con\u{202E}toso", "validated": true}]),
            ),
            vec!["references[0].name", "U+202E"],
        ),
        (
            with(
                "references",
                json!([{"name": "Contoso", "description": "ding\u{7}", "validated": true}]),
            ),
            vec!["references[0].description", "U+0007"],
        ),
        (
            with(
                "references",
                json!([{"name": "Contoso", "genre": "\u{1b}[31m", "validated": true}]),
            ),
            vec!["references[0].genre", "U+001B"],
        ),
    ];
    let mut both = with("exam_score", json!(150));
    both["demo_level"] = json!("Great");
    cases.push((both, vec!["exam_score 150"]));
    for (body, expected) in cases {
        let r = h.post("/api/v1/approvals", body).await;
        assert_problem(&r, &expected);
    }
    assert_eq!(
        written(&h).await,
        before,
        "no approval, badge or audit entry"
    );
    // A score in range and a known level are accepted on a tier that does not ask for them.
    let mut fine = with("exam_score", json!(100));
    fine["demo_level"] = json!("Expert");
    let r = h.post("/api/v1/approvals", fine).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

/// A request body that sends nothing and records whether anyone read it; it claims to be
/// huge.
struct Untouched(Arc<std::sync::atomic::AtomicBool>);

impl http_body::Body for Untouched {
    type Data = axum::body::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        std::task::Poll::Pending
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(1 << 30)
    }
}

/// Sends `request` through the router with a bearer `token` under `scheme`.
async fn with_scheme(
    h: &Harness,
    method: &str,
    path: &str,
    scheme: &str,
    body: Option<&Value>,
) -> Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("{scheme} {}", h.token));
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let req = req
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    let res = router(h.state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 22)
        .await
        .unwrap();
    Reply {
        status,
        content_type: String::new(),
        location: None,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

on_both!(the_token_is_checked_before_the_body_and_the_scheme_is_case_insensitive);
async fn the_token_is_checked_before_the_body_and_the_scheme_is_case_insensitive(backend: Backend) {
    let Some(h) = harness(backend, None, "").await else {
        return;
    };
    // An unauthenticated VC API request with a huge body that never arrives: 401 at once,
    // the body unread.
    let read = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let req = Request::post("/credentials/issue")
        .header("content-type", "application/json")
        .header("content-length", (1u64 << 30).to_string())
        .body(Body::new(Untouched(read.clone())))
        .unwrap();
    let res = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        router(h.state.clone()).oneshot(req),
    )
    .await
    .expect("answered without reading the body")
    .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert!(
        !read.load(std::sync::atomic::Ordering::SeqCst),
        "the body was read"
    );

    // RFC 9110 §11.1: the scheme is case-insensitive.
    let issuer = h.state.keys().issuer().to_owned();
    for scheme in ["bearer", "BEARER", "Bearer", "bEaReR"] {
        let r = with_scheme(&h, "GET", "/api/v1/credentials", scheme, None).await;
        assert_eq!(r.status, StatusCode::OK, "{scheme}: {}", r.body);
        let body = json!({"credential": example_credential(&issuer)});
        let r = with_scheme(&h, "POST", "/credentials/issue", scheme, Some(&body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{scheme}: {}", r.body);
    }
    for scheme in ["Basic", "Bearer:", "Token"] {
        let r = with_scheme(&h, "GET", "/api/v1/credentials", scheme, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{scheme}: {}", r.body);
    }
}

on_both!(every_error_is_problem_json_405_413_query_and_path);
async fn every_error_is_problem_json_405_413_query_and_path(backend: Backend) {
    let Some(h) = harness(backend, None, "max_body_bytes = 4096\n").await else {
        return;
    };
    let problem = |r: &Reply, status: StatusCode, needle: &str| {
        assert_eq!(r.status, status, "{}", r.body);
        assert_eq!(r.content_type, "application/problem+json", "{}", r.body);
        assert_eq!(r.body["status"], status.as_u16(), "{}", r.body);
        let detail = r.body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(needle), "{needle:?} not in {}", r.body);
    };
    let token = Some(h.token.as_str());
    // 405, with what is allowed.
    let r = h
        .send(
            "POST",
            "/status/revocation-1",
            None,
            Some(b"{}".to_vec()),
            "application/json",
        )
        .await;
    problem(&r, StatusCode::METHOD_NOT_ALLOWED, "allowed: GET");
    let r = h.send("DELETE", "/api/v1/partners", token, None, "").await;
    problem(&r, StatusCode::METHOD_NOT_ALLOWED, "DELETE is not allowed");
    // 413 on the VC API and the admin API.
    let big = json!({"credential": {"name": "x".repeat(10_000)}});
    problem(
        &h.post("/credentials/issue", big).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "limit",
    );
    // A bad query parameter.
    for path in ["/api/v1/credentials?limit=abc", "/api/v1/audit?limit=1e9"] {
        problem(
            &h.send("GET", path, token, None, "").await,
            StatusCode::BAD_REQUEST,
            "limit",
        );
    }
    // A bad path parameter (not UTF-8).
    for path in [
        "/credentials/%FF",
        "/status/%FF%FE",
        "/api/v1/partners/%C0",
        "/api/v1/credentials/%FF",
    ] {
        problem(
            &h.send("GET", path, token, None, "").await,
            StatusCode::BAD_REQUEST,
            "",
        );
    }
}

on_both!(signing_runs_on_the_bounded_pool_and_a_full_pool_answers_503);
async fn signing_runs_on_the_bounded_pool_and_a_full_pool_answers_503(backend: Backend) {
    let Some(h) = harness(backend, None, "").await else {
        return;
    };
    // The same service and database with a one-worker signing pool, no waiting room.
    let mut config = Config::load(&h._dir.join("config.toml"), &Overrides::default()).unwrap();
    config.signing = hallmark_http::PoolConfig {
        workers: 1,
        max_waiting: 0,
        ..hallmark_http::PoolConfig::default()
    };
    let small = Harness {
        state: Issuer::open(config).await.unwrap(),
        token: h.token.clone(),
        _dir: h._dir.clone(),
    };
    let partner = small.partner("Northwind").await;
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let (started_tx, started) = tokio::sync::oneshot::channel();
    let pool = small.state.pool().clone();
    let held = tokio::spawn(async move {
        let far = tokio::time::Instant::now() + std::time::Duration::from_secs(3600);
        pool.run(far, move || {
            let _ = started_tx.send(());
            let _ = wait.recv();
        })
        .await
    });
    started.await.unwrap();
    let issuer = small.state.keys().issuer().to_owned();
    let issue = json!({"credential": example_credential(&issuer)});
    for (path, body) in [
        ("/credentials/issue", issue.clone()),
        ("/api/v1/approvals", small.gold(&partner)),
    ] {
        let r = small.post(path, body).await;
        assert_eq!(
            r.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{path}: {}",
            r.body
        );
        assert_eq!(r.content_type, "application/problem+json");
    }
    release.send(()).unwrap();
    held.await.unwrap().unwrap();
    let r = small.post("/credentials/issue", issue).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}
