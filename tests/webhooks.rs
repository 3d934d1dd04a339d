//! Webhooks from a real `hallmark serve` process, on SQLite and on PostgreSQL: a receiver in
//! the test checks every Standard Webhooks signature on its own (HMAC-SHA256 with the `hmac`
//! crate, not the issuer's signing code); events made while it is down arrive later, in the
//! order of the changes per badge; a change made before a SIGKILL is delivered after the
//! restart, once per `webhook-id`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hallmark_testkit::process::{free_port, http, postgres_database, spawn_listening, stdout_of};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};

fn hallmark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hallmark"))
}

/// The database a test runs on.
#[derive(Clone, Copy, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Its `database_url`, or `None` on PostgreSQL when no server is configured (outside CI).
    fn database_url(self) -> Option<String> {
        match self {
            Self::Sqlite => Some("sqlite:hallmark.db".to_owned()),
            Self::Postgres => postgres_database(),
        }
    }
}

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Hit {
    /// `webhook-id`.
    id: String,
    /// `webhook-timestamp`, Unix seconds.
    timestamp: i64,
    /// Whether one of the `webhook-signature` entries is the HMAC the test computed.
    signed: bool,
    /// What the receiver answered.
    answered: u16,
    body: Value,
}

/// A webhook receiver on 127.0.0.1: answers 503 while `down`, else 204; checks and records
/// every request.
#[derive(Clone)]
struct Receiver {
    port: u16,
    down: Arc<AtomicBool>,
    /// The key: the base64-decoded part of the subscription's `whsec_…` secret.
    key: Arc<Mutex<Vec<u8>>>,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Receiver {
    fn start(down: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let r = Self {
            port: listener.local_addr().unwrap().port(),
            down: Arc::new(AtomicBool::new(down)),
            key: Arc::default(),
            hits: Arc::default(),
        };
        let me = r.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let me = me.clone();
                std::thread::spawn(move || me.answer(stream));
            }
        });
        r
    }

    /// Keeps the subscription's secret (`whsec_<base64>`).
    fn set_secret(&self, secret: &str) {
        let key = secret
            .strip_prefix("whsec_")
            .and_then(|k| STANDARD.decode(k).ok())
            .unwrap_or_else(|| panic!("not a whsec_ secret: {secret}"));
        *self.key.lock().unwrap() = key;
    }

    fn answer(&self, mut stream: TcpStream) {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let Some((head, body)) = read_request(&mut stream) else {
            return;
        };
        let header = |name: &str| {
            head.lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.trim()
                        .eq_ignore_ascii_case(name)
                        .then(|| v.trim().to_owned())
                })
                .unwrap_or_default()
        };
        let id = header("webhook-id");
        let timestamp = header("webhook-timestamp");
        // Standard Webhooks: HMAC-SHA256 of "{id}.{timestamp}.{body}"; the header is a
        // space-separated list of "v1,<base64>" entries, any of which may match.
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&self.key.lock().unwrap()).unwrap();
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(&body);
        let expected = mac.finalize().into_bytes();
        let signed = header("webhook-signature").split(' ').any(|entry| {
            entry
                .strip_prefix("v1,")
                .and_then(|s| STANDARD.decode(s).ok())
                .is_some_and(|s| s.as_slice() == expected.as_slice())
        });
        let answered = if self.down.load(Ordering::SeqCst) {
            503
        } else {
            204
        };
        self.hits.lock().unwrap().push(Hit {
            id,
            timestamp: timestamp.parse().unwrap_or(-1),
            signed,
            answered,
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        });
        let reason = if answered == 204 {
            "No Content"
        } else {
            "Service Unavailable"
        };
        let _ = write!(
            stream,
            "HTTP/1.1 {answered} {reason}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        );
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// The requests answered 2xx, in the order they came.
    fn delivered(&self) -> Vec<Hit> {
        self.hits()
            .into_iter()
            .filter(|h| h.answered == 204)
            .collect()
    }
}

/// Reads a request's head (at most 16 KiB) and its `content-length` body (at most 1 MiB).
fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.trim()
                        .eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .expect("the webhook request has a content-length");
            assert!(length <= 1 << 20, "a webhook body of {length} bytes");
            while buf.len() < end + 4 + length {
                let n = stream.read(&mut chunk).ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some((head, buf[end + 4..end + 4 + length].to_vec()));
        }
        if buf.len() > 16 * 1024 {
            return None;
        }
    }
}

/// Polls `check` every 20 ms until it gives a value, at most `limit`; panics with `what` and
/// the last state (`check`'s `Err`) after that.
fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Result<T, String>) -> T {
    let started = Instant::now();
    loop {
        match check() {
            Ok(v) => return v,
            Err(last) if started.elapsed() > limit => {
                panic!("waited {limit:?} for {what}; last: {last}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// An issuer folder (the example key, the demo program, a configuration) removed at the end.
struct Folder(PathBuf);

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Folder {
    /// An issuer at http://127.0.0.1:`port` on `database_url`, delivering to `receiver` over
    /// plain HTTP, retrying after 1 s (then 2 s), looking for work every 50 ms.
    fn new(tag: &str, port: u16, database_url: &str, receiver: &Receiver) -> Self {
        let config = format!(
            "issuer_id = \"did:web:127.0.0.1%3A{port}\"\nissuer_name = \"Acme\"\nbase_url = \"http://127.0.0.1:{port}\"\nlisten = \"127.0.0.1:{port}\"\ndatabase_url = \"{database_url}\"\n\n[webhooks]\nretry_base_seconds = 1\nretry_cap_seconds = 2\npoll_milliseconds = 50\ninsecure_hosts = [\"127.0.0.1:{}\"]\n",
            receiver.port
        );
        Self(hallmark_testkit::process::example_issuer_folder(
            tag, &config,
        ))
    }

    fn config(&self) -> PathBuf {
        self.0.join("config.toml")
    }

    /// `hallmark token create`: an admin token.
    fn token(&self) -> String {
        stdout_of(hallmark().args([
            "token",
            "create",
            "--config",
            self.config().to_str().unwrap(),
            "--name",
            "e2e",
        ]))
    }
}

/// `hallmark serve` on a folder's configuration; killed (SIGKILL) when dropped.
struct Server {
    child: Child,
    port: u16,
    token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts it with `deliveries` as `HALLMARK_DELIVERIES` and waits until it listens.
    fn start(folder: &Folder, port: u16, token: &str, deliveries: bool) -> Self {
        let (child, _, _) = spawn_listening(
            hallmark()
                .args(["serve", "--config", folder.config().to_str().unwrap()])
                .env("HALLMARK_DELIVERIES", deliveries.to_string()),
        );
        Self {
            child,
            port,
            token: token.to_owned(),
        }
    }

    fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        http(self.port, method, path, Some(&self.token), body.as_ref())
    }

    /// `POST path` expecting `status`; the answer.
    fn post(&self, path: &str, body: Value, status: u16) -> Value {
        let (s, answer) = self.send("POST", path, Some(body));
        assert_eq!(s, status, "POST {path}: {answer}");
        answer
    }

    /// Subscribes `receiver` to every event and gives it the secret; the subscription's id.
    fn subscribe(&self, receiver: &Receiver) -> String {
        let w = self.post(
            "/api/v1/webhooks",
            json!({"url": format!("http://127.0.0.1:{}/hook", receiver.port), "description": "e2e"}),
            201,
        );
        receiver.set_secret(w["secret"].as_str().unwrap());
        w["id"].as_str().unwrap().to_owned()
    }

    fn partner(&self, name: &str) -> String {
        let p = self.post(
            "/api/v1/partners",
            json!({"name": name, "url": unique_url()}),
            201,
        );
        p["id"].as_str().unwrap().to_owned()
    }

    /// Approves `partner` for `tier` (silver or gold) in the delivery role; the answer.
    fn approve(&self, partner: &str, tier: &str) -> Value {
        let (competencies, exam, demo, references): (&[&str], u8, Option<&str>, usize) = match tier
        {
            "silver" => (&["CLOUD-FUND", "CLOUD-ARCH"], 75, None, 1),
            _ => (
                &["CLOUD-FUND", "CLOUD-ARCH", "SEC-IAM", "DATA-MIG"],
                85,
                Some("Advanced"),
                3,
            ),
        };
        let references: Vec<Value> = (0..references)
            .map(|i| json!({"name": format!("Customer {i}"), "validated": true}))
            .collect();
        self.post(
            "/api/v1/approvals",
            json!({
                "partner_id": partner, "tier": tier, "role": "delivery",
                "competencies": competencies, "exam_score": exam, "demo_level": demo,
                "references": references, "approver": "E2E",
            }),
            201,
        )
    }

    /// The delivery log of subscription `hook` (newest event first).
    fn log(&self, hook: &str) -> Vec<Value> {
        let (s, log) = self.send("GET", &format!("/api/v1/webhooks/{hook}/deliveries"), None);
        assert_eq!(s, 200, "{log}");
        log.as_array().unwrap().clone()
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .try_into()
        .unwrap()
}

/// Every request signed, with a timestamp of the last few minutes.
fn assert_signed(hits: &[Hit]) {
    let now = now();
    for h in hits {
        assert!(h.signed, "a bad signature on {}: {h:?}", h.id);
        assert!(h.id.starts_with("msg_"), "{h:?}");
        assert!((now - 300..=now + 5).contains(&h.timestamp), "{h:?}");
    }
}

/// The event types delivered (2xx) per badge, in the order they came.
fn types_per_badge(delivered: &[Hit]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for h in delivered {
        out.entry(h.body["data"]["id"].as_str().unwrap().to_owned())
            .or_default()
            .push(h.body["type"].as_str().unwrap().to_owned());
    }
    out
}

/// How many times each `webhook-id` was delivered (answered 2xx).
fn counts(delivered: &[Hit]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for h in delivered {
        *out.entry(h.id.clone()).or_default() += 1;
    }
    out
}

fn uuid_of(answer: &Value) -> String {
    answer["credential"]["uuid"].as_str().unwrap().to_owned()
}

fn arrive_signed_in_order_after_the_receiver_was_down(backend: Backend) {
    let Some(database_url) = backend.database_url() else {
        return;
    };
    let receiver = Receiver::start(true);
    let port = free_port();
    let folder = Folder::new(
        &format!("hooks-down-{backend:?}"),
        port,
        &database_url,
        &receiver,
    );
    let server = Server::start(&folder, port, &folder.token(), true);
    let hook = server.subscribe(&receiver);

    // While the receiver is down: a Silver badge issued, suspended, reinstated, then
    // superseded by a Gold one (an upgrade), which is revoked.
    let partner = server.partner("Northwind");
    let silver = uuid_of(&server.approve(&partner, "silver"));
    for action in ["suspend", "reinstate"] {
        server.post(
            &format!("/api/v1/credentials/{silver}/{action}"),
            json!({}),
            200,
        );
    }
    let upgrade = server.approve(&partner, "gold");
    assert_eq!(upgrade["kind"], "upgrade", "{upgrade}");
    assert_eq!(
        upgrade["superseded"][0]["uuid"],
        silver.as_str(),
        "{upgrade}"
    );
    let gold = uuid_of(&upgrade);
    server.post(
        &format!("/api/v1/credentials/{gold}/revoke"),
        json!({"reason": "private: audit finding"}),
        200,
    );

    // Each badge's first event is tried again and again; the later ones wait behind it.
    let log = wait_for(
        "both first events to fail twice",
        Duration::from_secs(30),
        || {
            let log = server.log(&hook);
            let retried = log
                .iter()
                .filter(|d| d["event"] == "credential.issued" && d["attempts"].as_i64() >= Some(2))
                .count();
            if log.len() == 6 && retried == 2 {
                Ok(log)
            } else {
                Err(format!("{log:?}"))
            }
        },
    );
    let firsts: BTreeSet<&str> = log
        .iter()
        .filter(|d| d["event"] == "credential.issued")
        .map(|d| d["webhook_id"].as_str().unwrap())
        .collect();
    for d in &log {
        assert_eq!(d["state"], "pending", "{d}");
        if d["event"] == "credential.issued" {
            assert_eq!(d["last_status"], 503, "{d}");
        } else {
            assert_eq!(d["attempts"], 0, "held back behind the badge's first: {d}");
        }
    }
    let tried: BTreeSet<String> = receiver.hits().into_iter().map(|h| h.id).collect();
    assert_eq!(
        tried,
        firsts.iter().map(|s| (*s).to_owned()).collect(),
        "only the first events were tried"
    );
    assert!(receiver.delivered().is_empty());

    // Back up: everything arrives.
    receiver.down.store(false, Ordering::SeqCst);
    let log = wait_for("every event delivered", Duration::from_secs(30), || {
        let log = server.log(&hook);
        if log.iter().all(|d| d["state"] == "delivered") {
            Ok(log)
        } else {
            Err(format!("{log:?}"))
        }
    });
    let hits = receiver.hits();
    assert_signed(&hits);
    let delivered = receiver.delivered();
    let ids: BTreeSet<&str> = log
        .iter()
        .map(|d| d["webhook_id"].as_str().unwrap())
        .collect();
    let counts = counts(&delivered);
    assert_eq!(
        counts.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        ids,
        "every event delivered"
    );
    assert!(counts.values().all(|n| *n == 1), "once each: {counts:?}");
    assert_eq!(
        types_per_badge(&delivered),
        BTreeMap::from([
            (
                silver.clone(),
                [
                    "credential.issued",
                    "credential.suspended",
                    "credential.reinstated",
                    "credential.superseded"
                ]
                .map(str::to_owned)
                .to_vec()
            ),
            (
                gold.clone(),
                ["credential.issued", "credential.revoked"]
                    .map(str::to_owned)
                    .to_vec()
            ),
        ])
    );
    for h in &delivered {
        let data = &h.body["data"];
        let uuid = data["id"].as_str().unwrap();
        assert_eq!(
            data["credential"],
            format!("http://127.0.0.1:{port}/credentials/{uuid}"),
            "{h:?}"
        );
        assert_eq!(data["partner_id"], partner.as_str(), "{h:?}");
        assert_eq!(data["role"], "delivery", "{h:?}");
        if h.body["type"] == "credential.superseded" {
            assert!(
                data["successor"].to_string().contains(&gold),
                "the successor is named: {h:?}"
            );
        }
    }
    assert!(
        !hits
            .iter()
            .any(|h| h.body.to_string().contains("audit finding")),
        "the revocation's reason stays private"
    );
    // The log: the first events after more than one attempt, the rest at the first.
    for d in &log {
        assert_eq!(d["last_status"], 204, "{d}");
        let id = d["webhook_id"].as_str().unwrap();
        let attempts = d["attempts"].as_i64().unwrap();
        if firsts.contains(id) {
            assert!(attempts > 1, "{d}");
            let failed = hits
                .iter()
                .filter(|h| h.id == id && h.answered == 503)
                .count();
            assert_eq!(
                attempts,
                failed as i64 + 1,
                "every attempt reached the receiver: {d}"
            );
        } else {
            assert_eq!(attempts, 1, "{d}");
        }
    }
}

fn survive_sigkill_and_deliver_once_after_restart(backend: Backend) {
    let Some(database_url) = backend.database_url() else {
        return;
    };
    let receiver = Receiver::start(false);
    let port = free_port();
    let folder = Folder::new(
        &format!("hooks-kill-{backend:?}"),
        port,
        &database_url,
        &receiver,
    );
    let token = folder.token();

    // No worker: the change is committed with its outbox row, nothing is sent.
    let mut server = Server::start(&folder, port, &token, false);
    let hook = server.subscribe(&receiver);
    let partner = server.partner("Northwind");
    let badge = uuid_of(&server.approve(&partner, "silver"));
    server.post(
        &format!("/api/v1/credentials/{badge}/revoke"),
        json!({"reason": "left the program"}),
        200,
    );
    assert_eq!(server.log(&hook), Vec::<Value>::new(), "nothing fanned out");
    server.child.kill().unwrap();
    let status = server.child.wait().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "SIGKILL: {status:?}");
    }
    drop(server);
    assert!(receiver.hits().is_empty());

    // Restarted with the worker: both events arrive.
    let server = Server::start(&folder, port, &token, true);
    let log = wait_for("both events delivered", Duration::from_secs(30), || {
        let log = server.log(&hook);
        if log.len() == 2 && log.iter().all(|d| d["state"] == "delivered") {
            Ok(log)
        } else {
            Err(format!("{log:?}"))
        }
    });
    // A later change, delivered after them: the worker has gone round again since, so a
    // second delivery of the earlier ones would have come by now.
    let sentinel = uuid_of(&server.approve(&server.partner("Contoso"), "silver"));
    wait_for("the later event", Duration::from_secs(30), || {
        let got = receiver.delivered();
        if got
            .iter()
            .any(|h| h.body["data"]["id"] == sentinel.as_str())
        {
            Ok(())
        } else {
            Err(format!("{got:?}"))
        }
    });
    let hits = receiver.hits();
    assert_signed(&hits);
    assert!(hits.iter().all(|h| h.answered == 204));
    let counts = counts(&hits);
    assert!(
        counts.values().all(|n| *n == 1),
        "once per webhook-id: {counts:?}"
    );
    let logged: BTreeSet<String> = server
        .log(&hook)
        .iter()
        .map(|d| d["webhook_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(counts.keys().cloned().collect::<BTreeSet<_>>(), logged);
    assert_eq!(
        types_per_badge(&hits),
        BTreeMap::from([
            (
                badge.clone(),
                ["credential.issued", "credential.revoked"]
                    .map(str::to_owned)
                    .to_vec()
            ),
            (sentinel, vec!["credential.issued".to_owned()]),
        ])
    );
    for d in &log {
        assert_eq!(
            (d["attempts"].as_i64(), d["last_status"].as_i64()),
            (Some(1), Some(204)),
            "{d}"
        );
    }
}

/// Runs `$body(backend)` as a test on SQLite and on PostgreSQL.
macro_rules! on_both {
    ($name:ident, $body:ident) => {
        mod $name {
            #[test]
            fn sqlite() {
                super::$body(super::Backend::Sqlite);
            }
            #[test]
            fn postgres() {
                super::$body(super::Backend::Postgres);
            }
        }
    };
}

on_both!(
    webhooks_arrive_signed_in_order_after_the_receiver_was_down,
    arrive_signed_in_order_after_the_receiver_was_down
);
on_both!(
    a_change_survives_sigkill_and_is_delivered_once_after_restart,
    survive_sigkill_and_deliver_once_after_restart
);

/// A web address no other partner of the test has (one partner per URL).
fn unique_url() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "https://partner-{}.example",
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}
