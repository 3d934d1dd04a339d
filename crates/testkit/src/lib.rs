//! Test helpers shared by Hallmark's test crates, so that each is written once: a loopback
//! [`Tripwire`] that counts the connections made to it (the SSRF tests' proof that nothing was
//! reached) and the loopback spellings it is tried with ([`LOOPBACK_SPELLINGS`]),
//! [`read_request_head`] for the small canned HTTP servers of the fetch tests, and
//! [`postgres_admin_url`], the PostgreSQL server the store-backed tests use; [`VectorFile`],
//! the header-and-body form of the test vectors, and [`check_outcomes`], their `expect:` form
//! of a report; [`process`], for tests that run a server as a child process; [`openapi`], the
//! routes of a router's source against an OpenAPI document (route-coverage tests).
//!
//! A dev-dependency only: nothing in the product depends on it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use tokio::io::AsyncReadExt;

pub mod openapi;
pub mod process;

/// Hosts that are 127.0.0.1 (or 0.0.0.0, which reaches it too) once a WHATWG URL parser has
/// read them: every SSRF test tries them all, on every path that fetches.
pub const LOOPBACK_SPELLINGS: &[&str] = &[
    "127.0.0.1",
    "2130706433",
    "0x7f000001",
    "0X7F000001",
    "017700000001",
    "127.1",
    "127.0.1",
    "0x7f.1",
    "0177.1",
    "0177.0.0.1",
    "0x7f.0.0.1",
    "127.000.000.001",
    "127.0.0.1.",
    "0",
    "0.0.0.0",
    "%31%32%37.0.0.1",
    "127%2e0%2e0%2e1",
    "\u{ff11}\u{ff12}\u{ff17}.\u{ff10}.\u{ff10}.\u{ff11}",
    "127\u{3002}0\u{3002}0\u{3002}1",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[0:0:0:0:0:ffff:7f00:1]",
    "[::127.0.0.1]",
    "[64:ff9b::7f00:1]",
    "[2002:7f00:1::1]",
    "localhost",
    "LocalHost.",
];

/// The PostgreSQL server the store's tests run on (`HALLMARK_TEST_POSTGRES_URL`, which
/// `scripts/test.sh` sets), or `None` outside CI when it is not set (the test then runs on
/// SQLite only, and says so).
///
/// # Panics
/// Under CI (`CI` set) without the variable: a test must not pass by skipping there.
pub fn postgres_admin_url() -> Option<String> {
    let Ok(url) = std::env::var("HALLMARK_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "HALLMARK_TEST_POSTGRES_URL must be set under CI"
        );
        eprintln!("skipping the PostgreSQL run: HALLMARK_TEST_POSTGRES_URL is not set");
        return None;
    };
    Some(url)
}

/// A listener on 127.0.0.1 that accepts and drops connections, counting them.
#[derive(Debug)]
pub struct Tripwire {
    /// The port it listens on.
    pub port: u16,
    accepted: Receiver<SocketAddr>,
}

impl Tripwire {
    /// Listens on an ephemeral port of 127.0.0.1.
    ///
    /// # Panics
    /// When no port can be bound (a test cannot run then).
    pub fn new() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("its address").port();
        let (tx, accepted) = channel();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let Ok(peer) = stream.peer_addr() else {
                    continue;
                };
                if tx.send(peer).is_err() {
                    return;
                }
            }
        });
        Self { port, accepted }
    }

    /// Connections accepted so far. A sentinel connection is made last, and every earlier one
    /// is accepted before it (the backlog is first in, first out), so no sleep is needed.
    ///
    /// # Panics
    /// When the sentinel is not accepted within 30 s (the listener thread died).
    pub fn connections(&self) -> usize {
        let sentinel = TcpStream::connect(("127.0.0.1", self.port)).expect("the sentinel");
        let me = sentinel.local_addr().expect("its address");
        let mut n = 0;
        while self
            .accepted
            .recv_timeout(Duration::from_secs(30))
            .expect("the sentinel is accepted")
            != me
        {
            n += 1;
        }
        n
    }
}

impl Default for Tripwire {
    fn default() -> Self {
        Self::new()
    }
}

/// Reads an HTTP/1.1 request's head (up to and including the blank line, at most 4 KiB) and
/// returns its path; `None` when the client closes first.
pub async fn read_request_head(socket: &mut (impl AsyncReadExt + Unpin)) -> Option<String> {
    let mut buf = vec![0u8; 4096];
    let mut read = 0;
    while !buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buf[read..]).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => read += n,
        }
        if read == buf.len() {
            return None;
        }
    }
    let head = String::from_utf8_lossy(&buf[..read]);
    Some(head.split_whitespace().nth(1).unwrap_or("/").to_owned())
}

/// A vector file's header and body: `# ABOUT` and `# key: value` lines, then the document
/// (`tests/vectors/verify`, `tests/vectors/presentations`). The first line without
/// `key: value` is the description; keys may repeat.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VectorFile {
    /// What the vector is about.
    pub about: String,
    /// The `key: value` header lines, in order.
    pub headers: Vec<(String, String)>,
    /// The document after the header.
    pub body: Vec<u8>,
}

impl VectorFile {
    /// Reads a vector file.
    ///
    /// # Panics
    /// On a header line without an end or not UTF-8 (a broken test file).
    pub fn parse(bytes: &[u8]) -> Self {
        let mut v = Self::default();
        let mut rest = bytes;
        while rest.starts_with(b"# ") {
            let end = rest
                .iter()
                .position(|b| *b == b'\n')
                .expect("header line ends");
            let line = std::str::from_utf8(&rest[2..end]).expect("header is UTF-8");
            match line.split_once(": ") {
                Some((key, value)) if !key.contains(' ') => {
                    v.headers.push((key.to_owned(), value.to_owned()));
                }
                _ => v.about = line.to_owned(),
            }
            rest = &rest[end + 1..];
        }
        v.body = rest.to_vec();
        v
    }

    /// The file's bytes: the description, the headers in order, the body.
    pub fn render(&self) -> Vec<u8> {
        let mut out = format!("# {}\n", self.about);
        for (key, value) in &self.headers {
            out.push_str(&format!("# {key}: {value}\n"));
        }
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }

    /// The first value of `key`.
    pub fn get<'a>(&'a self, key: &'a str) -> Option<&'a str> {
        self.all(key).next()
    }

    /// Every value of `key`, in order.
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// `check=outcome[:CODE]` for each check of a JSON report's `checks` (the vectors' `expect:`
/// form).
///
/// # Panics
/// On a check without a string `check` or `outcome`.
pub fn check_outcomes(checks: &serde_json::Value) -> Vec<String> {
    checks
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|c| {
            let id = c["check"].as_str().expect("a check id");
            let outcome = c["outcome"].as_str().expect("an outcome");
            match c["code"].as_str() {
                Some(code) => format!("{id}={outcome}:{code}"),
                None => format!("{id}={outcome}"),
            }
        })
        .collect()
}

/// `program` (a program's TOML) without its own `grace_days`, and tier `tier` (whose table
/// holds `validity_days = 365`) with a grace period of `days`: the expiry tests' program.
///
/// # Panics
/// When `program` has no tier `tier` (a test's own failure).
pub fn with_grace(program: &str, tier: &str, days: u32) -> String {
    let program: String = program
        .lines()
        .filter(|l| !l.starts_with("grace_days"))
        .map(|l| format!("{l}\n"))
        .collect();
    let at = program
        .find(&format!("id = \"{tier}\""))
        .expect("the tier is in the program");
    let (head, tail) = program.split_at(at);
    format!(
        "{head}{}",
        tail.replacen(
            "validity_days = 365",
            &format!("validity_days = 365\ngrace_days = {days}"),
            1
        )
    )
}

/// A fresh folder for an issuer under the system's temporary directory, named
/// `hallmark-{tag}-{pid}-{n}`: `keys/issuer.json` holding `key_json` (a key file's JSON),
/// `program.toml` holding `program`, `config.toml` holding `config`. The caller loads the
/// configuration from `{folder}/config.toml` (relative paths resolve inside the folder).
///
/// # Panics
/// When the folder cannot be written (a test's own failure).
pub fn issuer_folder(tag: &str, key_json: &str, program: &str, config: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!(
        "hallmark-{tag}-{}-{n}-{nanos:08x}",
        std::process::id()
    ));
    std::fs::create_dir_all(dir.join("keys")).expect("the issuer folder can be made");
    std::fs::write(dir.join("keys/issuer.json"), key_json).expect("the key is written");
    std::fs::write(dir.join("program.toml"), program).expect("the program is written");
    std::fs::write(dir.join("config.toml"), config).expect("the configuration is written");
    dir
}

/// A service's answer, read whole: status, headers, `Content-Type`, body bytes and text.
#[derive(Debug)]
pub struct Answer {
    /// The status.
    pub status: axum::http::StatusCode,
    /// The headers.
    pub headers: axum::http::HeaderMap,
    /// `Content-Type`, or "".
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
    /// The body as (lossy) UTF-8.
    pub text: String,
}

impl Answer {
    /// A header's value, or "".
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map_or("", |v| v.to_str().unwrap_or(""))
    }

    /// The body as JSON.
    ///
    /// # Panics
    /// When it is not JSON (a test's own failure), showing the text.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    /// Reads `response` (a body of up to 4 MiB).
    ///
    /// # Panics
    /// When the body cannot be read (a test's own failure).
    pub async fn read(response: axum::response::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let content_type = headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = axum::body::to_bytes(response.into_body(), 1 << 22)
            .await
            .expect("the body is read")
            .to_vec();
        Self {
            status,
            headers,
            content_type,
            text: String::from_utf8_lossy(&body).into_owned(),
            body,
        }
    }
}
