//! Notifications (webhooks, the outbox, deliveries) on SQLite and PostgreSQL: the API, the
//! outbox written in the change's transaction, fan-out, order per badge, the backoff
//! schedule and giving up after the last attempt. The worker's steps are driven with
//! explicit instants (`fan_out(at)`, `send_due(at)`); the receiver is a small HTTP server
//! of the test that checks every signature.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use common::{Backend, Harness};
use serde_json::{json, Value};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    body: Value,
}

/// A webhook receiver on 127.0.0.1: answers 503 while `down`, never answers while `hang`
/// (counting the requests in `hung`), else 204 after checking the signature (a bad one fails
/// the test).
#[derive(Clone)]
struct Receiver {
    port: u16,
    down: Arc<AtomicBool>,
    hang: Arc<AtomicBool>,
    hung: Arc<AtomicUsize>,
    secret: Arc<Mutex<String>>,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let r = Self {
            port: listener.local_addr().unwrap().port(),
            down: Arc::default(),
            hang: Arc::default(),
            hung: Arc::default(),
            secret: Arc::default(),
            got: Arc::default(),
        };
        let me = r.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let me = me.clone();
                tokio::spawn(async move {
                    let (head, body) = read_request(&mut socket).await;
                    let header = |name: &str| {
                        head.lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
                            })
                            .unwrap_or_default()
                    };
                    if me.hang.load(Ordering::SeqCst) {
                        // Holds the connection, unanswered, past any send's time limit.
                        me.hung.fetch_add(1, Ordering::SeqCst);
                        std::future::pending::<()>().await;
                    }
                    let answer = if me.down.load(Ordering::SeqCst) {
                        "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    } else {
                        let id = header("webhook-id");
                        let ts: i64 = header("webhook-timestamp").parse().unwrap();
                        let secret = me.secret.lock().unwrap().clone();
                        let expected =
                            hallmark_issuer::service::sign(&secret, &id, ts, &body).unwrap();
                        assert_eq!(header("webhook-signature"), expected, "signature of {id}");
                        me.got.lock().unwrap().push(Received {
                            id,
                            body: serde_json::from_slice(&body).unwrap(),
                        });
                        "HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n"
                    };
                    let _ = socket.write_all(answer.as_bytes()).await;
                });
            }
        });
        r
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> (String, Vec<u8>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = socket.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if buf.len() >= end + 4 + length {
                return (
                    String::from_utf8_lossy(&buf[..end]).into_owned(),
                    buf[end + 4..end + 4 + length].to_vec(),
                );
            }
        }
    }
    (String::new(), Vec::new())
}

/// An issuer that records deliveries without sending them (the tests drive the worker),
/// with `extra` lines of configuration.
async fn harness(backend: Backend, extra: &str) -> Option<Harness> {
    common::harness_with(
        backend,
        common::BASE,
        hallmark_issuer::program::DEMO_PROGRAM,
        &format!("deliveries = false\n{extra}"),
    )
    .await
}

impl Harness {
    /// A request with the admin token and a JSON `body`: the status and the body as JSON
    /// (null when it is not JSON).
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let r = self.send(method, path, &[], body).await;
        (
            r.status,
            serde_json::from_slice(&r.body).unwrap_or(Value::Null),
        )
    }

    /// `POST /api/v1/credentials/{uuid}/{action}` with `body`.
    async fn change(&self, uuid: &str, action: &str, body: Value) -> (StatusCode, Value) {
        self.call(
            "POST",
            &format!("/api/v1/credentials/{uuid}/{action}"),
            Some(body),
        )
        .await
    }

    /// A partner with a contact, and a Gold badge for it: (partner, credential).
    async fn badge(&self) -> (String, String) {
        let (s, p) = self
            .call(
                "POST",
                "/api/v1/partners",
                Some(json!({"name": "Northwind", "url": "https://northwind.example", "contacts": ["ops@northwind.example"]})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        let partner = p["id"].as_str().unwrap().to_owned();
        let approved_at =
            hallmark_core::datetime::format(OffsetDateTime::now_utc() - time::Duration::days(30));
        let (s, r) = self
            .call(
                "POST",
                "/api/v1/approvals",
                Some(json!({
                    "partner_id": partner, "tier": "gold", "role": "solutions",
                    "competencies": ["CLOUD-FUND", "CLOUD-ARCH", "SEC-IAM", "DATA-MIG"],
                    "exam_score": 87, "demo_level": "Advanced", "approver": "Jane",
                    "approved_at": approved_at,
                    "references": [
                        {"name": "Contoso", "validated": true, "public": true},
                        {"name": "Fabrikam", "validated": true, "public": true},
                        {"name": "Tailspin", "validated": true, "public": false}
                    ]
                })),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        (
            partner,
            r["credential"]["uuid"].as_str().unwrap().to_owned(),
        )
    }

    async fn subscribe(&self, receiver: &Receiver) -> String {
        let (s, w) = self
            .call(
                "POST",
                "/api/v1/webhooks",
                Some(json!({"url": format!("http://127.0.0.1:{}/hook", receiver.port), "description": "CRM"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{w}");
        let secret = w["secret"].as_str().unwrap();
        assert!(secret.starts_with("whsec_"), "{w}");
        *receiver.secret.lock().unwrap() = secret.to_owned();
        w["id"].as_str().unwrap().to_owned()
    }

    async fn log(&self, hook: &str) -> Vec<Value> {
        let (s, log) = self
            .call("GET", &format!("/api/v1/webhooks/{hook}/deliveries"), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{log}");
        log.as_array().unwrap().clone()
    }
}

on_both!(
    subscriptions_are_checked_and_the_secret_shown_once,
    events_arrive_signed_in_order_per_badge_after_the_receiver_was_down,
    a_delivery_fails_after_the_last_attempt_and_later_ones_proceed,
    a_failed_change_writes_no_outbox_row,
    the_expiry_reminder_reaches_the_partner_contacts_through_smtp,
    a_receiver_that_hangs_does_not_starve_the_others,
    the_worker_does_not_wait_for_a_receiver_that_hangs,
    a_url_the_guard_refuses_fails_at_once,
);

async fn subscriptions_are_checked_and_the_secret_shown_once(backend: Backend) {
    let Some(h) = harness(backend, "").await else {
        return;
    };
    for (body, needle) in [
        (
            json!({"url": "http://hooks.example/x"}),
            "must be an https URL",
        ),
        (json!({"url": "not a url"}), "url"),
        (json!({"url": "https://u:p@hooks.example/"}), "user name"),
        (
            json!({"url": "https://hooks.example/", "events": ["credential.exploded"]}),
            "unknown event \"credential.exploded\"",
        ),
        (
            json!({"url": "https://hooks.example/", "events": []}),
            "at least one event",
        ),
        (
            json!({"url": "https://hooks.example/", "secret": "mine"}),
            "secret",
        ),
    ] {
        let (s, p) = h.call("POST", "/api/v1/webhooks", Some(body.clone())).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {p}");
        let detail = p["detail"]
            .as_str()
            .map_or_else(|| p.to_string(), str::to_owned);
        assert!(detail.contains(needle), "{body}: {p}");
    }
    let (s, w) = h
        .call("POST", "/api/v1/webhooks", Some(json!({"url": "https://hooks.example/in", "events": ["credential.revoked", "credential.revoked"]})))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(w["events"], json!(["credential.revoked"]));
    let id = w["id"].as_str().unwrap();
    let (_, shown) = h.call("GET", &format!("/api/v1/webhooks/{id}"), None).await;
    assert_eq!(shown["url"], "https://hooks.example/in");
    assert!(shown.get("secret").is_none(), "{shown}");
    let (_, all) = h.call("GET", "/api/v1/webhooks", None).await;
    assert_eq!(all.as_array().unwrap().len(), 1);
    assert!(!all.to_string().contains("whsec_"));
    let (s, _) = h
        .call("DELETE", &format!("/api/v1/webhooks/{id}"), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, p) = h
        .call("DELETE", &format!("/api/v1/webhooks/{id}"), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{p}");
    // Contacts are checked too.
    let (s, p) = h
        .call(
            "POST",
            "/api/v1/partners",
            Some(json!({"name": "X", "url": "https://x.example", "contacts": ["not-an-address"]})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("\"not-an-address\" is not an e-mail address"),
        "{p}"
    );
}

async fn events_arrive_signed_in_order_per_badge_after_the_receiver_was_down(backend: Backend) {
    let receiver = Receiver::start().await;
    let Some(h) = harness(backend, &format!("[webhooks]\nretry_base_seconds = 10\nretry_cap_seconds = 40\ninsecure_hosts = [\"127.0.0.1:{}\"]\n", receiver.port)).await else {
        return;
    };
    let hook = h.subscribe(&receiver).await;
    let (_, uuid) = h.badge().await;
    for action in ["suspend", "reinstate"] {
        let (s, r) = h.change(&uuid, action, json!({})).await;
        assert_eq!(s, StatusCode::OK, "{r}");
    }
    let (s, r) = h
        .change(&uuid, "revoke", json!({"reason": "private: fraud"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");

    let t0 = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    receiver.down.store(true, Ordering::SeqCst);
    assert_eq!(h.issuer.fan_out(t0).await.unwrap(), 4);
    assert_eq!(h.issuer.fan_out(t0).await.unwrap(), 0, "fanned out once");
    // Only the first event of the badge is tried; the others wait behind it.
    assert_eq!(h.issuer.send_due(t0).await.unwrap(), 1);
    assert_eq!(
        h.issuer.send_due(t0).await.unwrap(),
        0,
        "not due again before the backoff"
    );
    let log = h.log(&hook).await;
    assert_eq!(log.len(), 4);
    let first = log.last().unwrap();
    assert_eq!(first["event"], "credential.issued");
    assert_eq!(
        (
            first["state"].as_str(),
            first["attempts"].as_i64(),
            first["last_status"].as_i64()
        ),
        (Some("pending"), Some(1), Some(503))
    );
    assert_eq!(
        first["next_attempt_at"].as_i64(),
        Some(t0.unix_timestamp() + 10)
    );
    // Second failure: twice the base.
    let t1 = t0 + time::Duration::seconds(10);
    assert_eq!(h.issuer.send_due(t1).await.unwrap(), 1);
    let first = h.log(&hook).await.last().unwrap().clone();
    assert_eq!(
        first["next_attempt_at"].as_i64(),
        Some(t1.unix_timestamp() + 20)
    );
    assert!(receiver.got().is_empty());

    // The receiver is back: everything arrives, in order.
    receiver.down.store(false, Ordering::SeqCst);
    let mut at = t1 + time::Duration::seconds(20);
    for _ in 0..4 {
        assert_eq!(h.issuer.send_due(at).await.unwrap(), 1);
        at += time::Duration::seconds(1);
    }
    assert_eq!(h.issuer.send_due(at).await.unwrap(), 0);
    let got = receiver.got();
    let types: Vec<&str> = got
        .iter()
        .map(|r| r.body["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "credential.issued",
            "credential.suspended",
            "credential.reinstated",
            "credential.revoked"
        ]
    );
    for r in &got {
        assert_eq!(r.body["data"]["id"], uuid.as_str());
        assert_eq!(
            r.body["data"]["credential"],
            format!("https://partners.acme.example/credentials/{uuid}")
        );
        assert_eq!(r.body["data"]["tier"], "gold");
        assert_eq!(r.body["data"]["role"], "solutions");
        assert!(r.id.starts_with("msg_"), "{}", r.id);
    }
    assert!(
        !got.iter().any(|r| r.body.to_string().contains("fraud")),
        "the reason stays private"
    );
    let log = h.log(&hook).await;
    assert!(
        log.iter()
            .all(|d| d["state"] == "delivered" && d["last_status"] == 204),
        "{log:?}"
    );
    // The log's ids are the webhook-ids sent, the first one after three attempts.
    assert_eq!(
        log.last().unwrap()["webhook_id"].as_str().unwrap(),
        got[0].id
    );
    assert_eq!(log.last().unwrap()["attempts"], 3);
    // Pagination: two at a time, newest first; the next page is named by `Link` (`?after=`),
    // as in every list; the old `?cursor=` is refused, not ignored.
    let r = h
        .send(
            "GET",
            &format!("/api/v1/webhooks/{hook}/deliveries?limit=2"),
            &[],
            None,
        )
        .await;
    let page: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(page.as_array().unwrap().len(), 2);
    assert_eq!(page[0]["event"], "credential.revoked");
    let link = r.headers["link"].to_str().unwrap().to_owned();
    let next = link
        .strip_prefix('<')
        .and_then(|l| l.strip_suffix(">; rel=\"next\""))
        .unwrap_or_else(|| panic!("{link}"));
    assert!(
        next.starts_with(&format!(
            "/api/v1/webhooks/{hook}/deliveries?limit=2&after="
        )),
        "{next}"
    );
    let r2 = h.send("GET", next, &[], None).await;
    let page2: Value = serde_json::from_slice(&r2.body).unwrap();
    assert_eq!(page2[1]["event"], "credential.issued");
    assert!(!r2.headers.contains_key("link"), "the last page");
    let (s, problem) = h
        .call(
            "GET",
            &format!("/api/v1/webhooks/{hook}/deliveries?cursor=x"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        problem["detail"].as_str().unwrap().contains("cursor"),
        "{problem}"
    );
}

async fn a_delivery_fails_after_the_last_attempt_and_later_ones_proceed(backend: Backend) {
    let receiver = Receiver::start().await;
    let Some(h) = harness(backend, &format!("[webhooks]\nretry_base_seconds = 5\nmax_attempts = 2\ninsecure_hosts = [\"127.0.0.1:{}\"]\n", receiver.port)).await else {
        return;
    };
    let hook = h.subscribe(&receiver).await;
    let (_, uuid) = h.badge().await;
    let (s, _) = h.change(&uuid, "revoke", json!({"reason": "x"})).await;
    assert_eq!(s, StatusCode::OK);
    receiver.down.store(true, Ordering::SeqCst);
    let t0 = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    h.issuer.fan_out(t0).await.unwrap();
    assert_eq!(h.issuer.send_due(t0).await.unwrap(), 1);
    assert_eq!(
        h.issuer
            .send_due(t0 + time::Duration::seconds(5))
            .await
            .unwrap(),
        1
    );
    let log = h.log(&hook).await;
    let issued = log
        .iter()
        .find(|d| d["event"] == "credential.issued")
        .unwrap();
    assert_eq!(
        (issued["state"].as_str(), issued["attempts"].as_i64()),
        (Some("failed"), Some(2))
    );
    assert!(
        issued["last_error"].as_str().unwrap().contains("HTTP 503"),
        "{issued}"
    );
    receiver.down.store(false, Ordering::SeqCst);
    assert_eq!(
        h.issuer
            .send_due(t0 + time::Duration::seconds(6))
            .await
            .unwrap(),
        1
    );
    let types: Vec<Value> = receiver
        .got()
        .iter()
        .map(|r| r.body["type"].clone())
        .collect();
    assert_eq!(types, [json!("credential.revoked")]);
}

async fn a_failed_change_writes_no_outbox_row(backend: Backend) {
    let Some(h) = harness(backend, "").await else {
        return;
    };
    let (_, uuid) = h.badge().await;
    let before = h.issuer.store().outbox_after(0, 100).await.unwrap();
    assert_eq!(before.len(), 1, "the issuance");
    assert_eq!(before[0].event, "credential.issued");
    // Make the outbox refuse rows: the revocation's transaction must roll back whole.
    let (create, drop_it): (&[&str], &[&str]) = match h.issuer.store() {
        hallmark_store::Store::Sqlite(_) => (
            &["CREATE TRIGGER no_outbox BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'outbox refused'); END"],
            &["DROP TRIGGER no_outbox"],
        ),
        hallmark_store::Store::Postgres(_) => (
            &[
                "CREATE FUNCTION no_outbox() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'outbox refused'; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER no_outbox BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION no_outbox()",
            ],
            &["DROP TRIGGER no_outbox ON outbox"],
        ),
    };
    for sql in create {
        h.execute(sql).await;
    }
    let (s, _) = h.change(&uuid, "revoke", json!({"reason": "x"})).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    let (_, c) = h
        .call("GET", &format!("/api/v1/credentials/{uuid}"), None)
        .await;
    assert!(c["revokedAt"].is_null(), "not revoked: {c}");
    let audit = h
        .issuer
        .store()
        .audit_log(
            &hallmark_store::AuditFilter {
                action: Some("credential.revoke".into()),
                ..Default::default()
            },
            &hallmark_store::PageRequest::default(),
        )
        .await
        .unwrap();
    assert!(audit.items.is_empty(), "no audit entry either");
    for sql in drop_it {
        h.execute(sql).await;
    }
    let (s, _) = h.change(&uuid, "revoke", json!({"reason": "x"})).await;
    assert_eq!(s, StatusCode::OK);
    let after = h
        .issuer
        .store()
        .outbox_after(before[0].id, 100)
        .await
        .unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(
        (after[0].event.as_str(), after[0].credential_id.as_str()),
        ("credential.revoked", uuid.as_str())
    );
    assert_eq!(
        after[0].payload,
        json!({"kind": "withdrawn", "tier": "gold"}),
        "no list, index or reason"
    );
}

/// A local SMTP server (Debian's python3-aiosmtpd, which scripts/test.sh installs) keeping
/// messages in a maildir; `None` (loudly) when it is absent outside CI.
struct Smtp {
    child: std::process::Child,
    port: u16,
    maildir: std::path::PathBuf,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn smtp_server(tag: &str) -> Option<Smtp> {
    let python = "/usr/bin/python3";
    let present = std::process::Command::new(python)
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    if !present {
        assert!(
            std::env::var_os("CI").is_none(),
            "aiosmtpd must be installed under CI (scripts/test.sh)"
        );
        eprintln!("SKIPPING the e-mail test: python3-aiosmtpd is not installed (apt-get install python3-aiosmtpd)");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let maildir = std::env::temp_dir().join(format!(
        "hallmark-maildir-{tag}-{}-{port}",
        std::process::id()
    ));
    let child = std::process::Command::new(python)
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(&maildir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the SMTP server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Some(Smtp {
        child,
        port,
        maildir,
    })
}

async fn the_expiry_reminder_reaches_the_partner_contacts_through_smtp(backend: Backend) {
    let Some(smtp) = smtp_server(&format!("{backend:?}")) else {
        return;
    };
    let Some(h) = harness(backend, &format!("[smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nfrom = \"Acme Partners <partners@acme.example>\"\nrenew_url = \"https://acme.example/renew\"\n", smtp.port)).await else {
        return;
    };
    let (_, uuid) = h.badge().await;
    let row = h.issuer.store().credential(&uuid).await.unwrap().unwrap();
    let valid_until = row.valid_until.unwrap();
    let date = OffsetDateTime::from_unix_timestamp(valid_until)
        .unwrap()
        .date()
        .to_string();
    // The daily lifecycle job, run ten days before the badge expires: the 14-day reminder,
    // written to the outbox with its audit entry.
    let at = OffsetDateTime::from_unix_timestamp(valid_until - 10 * 86_400).unwrap();
    let run = h.issuer.lifecycle(at).await.unwrap();
    assert_eq!((run.reminded_14, run.reminded_30, run.lapsed), (1, 0, 0));
    assert_eq!(
        h.issuer.fan_out(at).await.unwrap(),
        2,
        "the issuance and the reminder"
    );
    assert_eq!(
        h.issuer.send_due(at).await.unwrap(),
        1,
        "one e-mail, no webhook subscribed"
    );
    let deliveries = h.issuer.store().deliveries_of(&uuid).await.unwrap();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(
        deliveries[0].email.as_deref(),
        Some("ops@northwind.example")
    );
    assert_eq!(
        deliveries[0].state,
        hallmark_store::DeliveryState::Delivered,
        "{:?}",
        deliveries[0].last_error
    );
    // The message, as the SMTP server stored it.
    let new = smtp.maildir.join("new");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let message = loop {
        if let Some(file) = std::fs::read_dir(&new).ok().and_then(|mut d| d.next()) {
            break quoted_printable(&std::fs::read_to_string(file.unwrap().path()).unwrap());
        }
        assert!(std::time::Instant::now() < deadline, "no message arrived");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(message.contains("To: ops@northwind.example"), "{message}");
    assert!(
        message.contains(&format!(
            "Subject: Your Gold Partner badge expires on {date}"
        )),
        "{message}"
    );
    assert!(message.contains("Hello Northwind,"), "{message}");
    assert!(
        message.contains("Your Gold Partner badge (Solutions) in the"),
        "{message}"
    );
    assert!(
        message.contains(&format!("expires on {date}, in 14 day(s).")),
        "{message}"
    );
    assert!(
        message.contains("Renewal: https://acme.example/renew"),
        "{message}"
    );
    // How to renew: Gold's renewal bar (70%, not the first certification's 80%), by the end
    // of its 30-day grace period.
    assert!(
        message.contains("record a renewal of your Gold Partner tier by"),
        "{message}"
    );
    assert!(
        message.contains("an exam score of at least 70%"),
        "{message}"
    );
    assert!(
        message.contains(&format!("https://partners.acme.example/credentials/{uuid}")),
        "{message}"
    );
    let _ = std::fs::remove_dir_all(&smtp.maildir);
}

/// The message with its quoted-printable body decoded (soft line breaks joined, `=XX`
/// bytes), line ends as `\n`.
fn quoted_printable(message: &str) -> String {
    let text = message.replace("\r\n", "\n").replace("=\n", "");
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `n` `credential.issued` events (outbox rows of audit entries for made-up badges: the
/// deliveries carry what fan-out knows, which is enough to count them).
async fn issued_events(h: &Harness, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let id = format!("00000000-0000-4000-8000-{i:012}");
        h.issuer
            .store()
            .append_audit(&hallmark_store::AuditEntry {
                at: OffsetDateTime::now_utc().unix_timestamp(),
                actor: "test".into(),
                action: "credential.issue".into(),
                subject: id.clone(),
                detail: json!({}),
            })
            .await
            .unwrap();
        ids.push(id);
    }
    ids
}

/// The security finding: a receiver that never answers (each send ends at the 1-second time
/// limit, and its retries are due again every round) and a healthy one, both subscribed to
/// 40 events. Before, the hung receiver's retries (older events) filled every batch of 32
/// and the healthy one got 31 of 40; now each target gets its fair share of every round.
async fn a_receiver_that_hangs_does_not_starve_the_others(backend: Backend) {
    let slow = Receiver::start().await;
    let healthy = Receiver::start().await;
    let Some(h) = harness(backend, &format!("[webhooks]\ntimeout_seconds = 1\nretry_base_seconds = 1\nretry_cap_seconds = 1\nmax_attempts = 100\ninsecure_hosts = [\"127.0.0.1:{}\", \"127.0.0.1:{}\"]\n", slow.port, healthy.port)).await else {
        return;
    };
    slow.hang.store(true, Ordering::SeqCst);
    let slow_hook = h.subscribe(&slow).await;
    h.subscribe(&healthy).await;
    const N: usize = 40;
    let ids = issued_events(&h, N).await;
    let t0 = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    assert_eq!(h.issuer.fan_out(t0).await.unwrap(), N);
    let per_target = hallmark_issuer::service::PER_TARGET as usize;
    let rounds = N.div_ceil(per_target);
    let mut at = t0;
    for round in 1..=rounds {
        let made = h.issuer.send_due(at).await.unwrap();
        assert_eq!(made, 2 * per_target, "round {round}: a fair share each");
        assert_eq!(
            healthy.got().len(),
            per_target * round,
            "round {round}: the healthy receiver's share arrived"
        );
        assert_eq!(slow.hung.load(Ordering::SeqCst), per_target * round);
        at += time::Duration::seconds(1);
    }
    let mut got: Vec<String> = healthy
        .got()
        .iter()
        .map(|r| r.body["data"]["id"].as_str().unwrap().to_owned())
        .collect();
    got.sort();
    assert_eq!(got, ids, "every event, once");
    // The hung receiver is still failing: its deliveries pending, tried, timed out.
    let log = h.log(&slow_hook).await;
    assert_eq!(log.len(), N);
    assert!(log.iter().all(|d| d["state"] == "pending"), "{log:?}");
    let tried: Vec<&Value> = log
        .iter()
        .filter(|d| d["attempts"].as_i64() > Some(0))
        .collect();
    assert!(!tried.is_empty());
    for d in tried {
        let error = d["last_error"].as_str().unwrap();
        assert!(error.contains("could not fetch"), "{d}");
    }
    assert!(slow.got().is_empty());
}

/// The worker itself (real time, as `hallmark serve` runs it) starts new sends while the hung
/// receiver's are still in flight: with a 30-second time limit, the healthy receiver gets
/// all 40 events long before the first hung send ends.
async fn the_worker_does_not_wait_for_a_receiver_that_hangs(backend: Backend) {
    let slow = Receiver::start().await;
    let healthy = Receiver::start().await;
    let Some(h) = harness(backend, &format!("[webhooks]\ntimeout_seconds = 30\npoll_milliseconds = 20\ninsecure_hosts = [\"127.0.0.1:{}\", \"127.0.0.1:{}\"]\n", slow.port, healthy.port)).await else {
        return;
    };
    slow.hang.store(true, Ordering::SeqCst);
    let slow_hook = h.subscribe(&slow).await;
    h.subscribe(&healthy).await;
    const N: usize = 40;
    issued_events(&h, N).await;
    let started = std::time::Instant::now();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(h.issuer.clone().run_deliveries(stopped));
    // Checked every 20 ms until all arrived (or 20 s, well under the hung sends' 30 s).
    while healthy.got().len() < N {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the healthy receiver got {} of {N}",
            healthy.got().len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    // The hung receiver holds its share and no more; none of its attempts has ended.
    let hung = slow.hung.load(Ordering::SeqCst);
    assert!(
        hung <= hallmark_issuer::service::PER_TARGET as usize,
        "{hung} sends in flight to one target"
    );
    let log = h.log(&slow_hook).await;
    assert!(log.iter().all(|d| d["attempts"] == 0), "{log:?}");
    // Not waiting 30 s for the hung sends to end: the test ends here.
    drop(stop);
    worker.abort();
}

/// A URL the SSRF guard refuses (a loopback address not allowed as insecure) fails at once,
/// naming the refusal, however many attempts remain; the other subscriptions proceed.
async fn a_url_the_guard_refuses_fails_at_once(backend: Backend) {
    let receiver = Receiver::start().await;
    let Some(h) = harness(
        backend,
        &format!(
            "[webhooks]\nmax_attempts = 12\ninsecure_hosts = [\"127.0.0.1:{}\"]\n",
            receiver.port
        ),
    )
    .await
    else {
        return;
    };
    let (s, w) = h
        .call(
            "POST",
            "/api/v1/webhooks",
            Some(json!({"url": "https://127.0.0.1:9/hook"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    let refused = w["id"].as_str().unwrap().to_owned();
    h.subscribe(&receiver).await;
    let ids = issued_events(&h, 2).await;
    let t0 = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    h.issuer.fan_out(t0).await.unwrap();
    assert_eq!(h.issuer.send_due(t0).await.unwrap(), 4);
    let log = h.log(&refused).await;
    assert_eq!(log.len(), 2);
    for d in &log {
        assert_eq!(
            (d["state"].as_str(), d["attempts"].as_i64()),
            (Some("failed"), Some(1)),
            "{d}"
        );
        let error = d["last_error"].as_str().unwrap();
        assert!(
            error.starts_with("refused to fetch https://127.0.0.1:9/hook"),
            "{d}"
        );
    }
    // Nothing left to try, long after every backoff; the good receiver got both.
    assert_eq!(
        h.issuer
            .send_due(t0 + time::Duration::days(30))
            .await
            .unwrap(),
        0
    );
    assert_eq!(receiver.got().len(), ids.len());
}
