//! Helpers for end-to-end tests that run a server as a child process (`hallmark serve` in the
//! workspace's `tests/`): a free port, starting a process and waiting for its "listening on"
//! log line, a one-request-per-connection HTTP/1.1 client, an issuer folder with the example
//! key, a fresh PostgreSQL database, and a test CA's certificate for https tests.
//! Blocking (std) code: those tests drive processes, not futures.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use serde_json::Value;

/// A port of 127.0.0.1 that was free a moment ago (bound, read, released).
///
/// # Panics
/// When no port can be bound (a test cannot run then).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a loopback port")
        .port()
}

/// Starts `command` (stdin and stdout closed, stderr piped) and waits, at most a minute, for
/// the stderr line containing "listening on". Returns the process, every stderr line up to and
/// including that one, and the lines that follow as they come (kept drained, so the process
/// never blocks on a full pipe; drop the receiver to ignore them).
///
/// # Panics
/// When the process cannot start, or logs no such line within a minute (it is killed then).
pub fn spawn_listening(command: &mut Command) -> (Child, Vec<String>, Receiver<String>) {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let stderr = child.stderr.take().expect("stderr is piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            // Keep draining after the receiver is gone.
            let _ = tx.send(line);
        }
    });
    let mut lines = Vec::new();
    loop {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server did not log its address: {lines:?}");
        };
        let done = line.contains("listening on");
        lines.push(line);
        if done {
            return (child, lines, rx);
        }
    }
}

/// A minimal HTTP/1.1 client: one request per connection to 127.0.0.1:`port`, with a bearer
/// `token` and a JSON `body` when given. Returns the status and the body as JSON (or as a JSON
/// string when it is not JSON).
///
/// # Panics
/// When the server cannot be reached or answers nothing within 20 s.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let auth = token
        .map(|t| format!("authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let (status, _, body) = exchange(port, method, path, &auth, body);
    (
        status,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

/// One HTTP/1.1 request as [`http`] sends it, with `headers` (whole lines, each ending in
/// `\r\n`) instead of a token. Returns the status, the response head in lower case and the
/// body as text.
///
/// # Panics
/// When the server cannot be reached or answers nothing within 20 s.
pub fn exchange(
    port: u16,
    method: &str,
    path: &str,
    headers: &str,
    body: Option<&Value>,
) -> (u16, String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("the server is reachable");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("a read timeout");
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(stream, "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\nconnection: close\r\ncontent-type: application/json\r\n{headers}content-length: {}\r\n\r\n{body}", body.len()).expect("the request is sent");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("the response is read");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or_default();
    (status, head.to_ascii_lowercase(), body.to_owned())
}

/// The value of header `name` (lower case) in a response head as [`exchange`] returns it.
pub fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
}

/// A fresh issuer folder ([`crate::issuer_folder`]) with the repository's example key
/// (`keys.example/issuer.json`), the demo program and `config` as config.toml.
///
/// # Panics
/// When the example files cannot be read or the folder written.
pub fn example_issuer_folder(tag: &str, config: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let read = |path: &str| {
        std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    crate::issuer_folder(
        tag,
        &read("keys.example/issuer.json"),
        &read("crates/issuer/src/demo_program.toml"),
        config,
    )
}

/// A fresh database on the PostgreSQL server of [`crate::postgres_admin_url`], created with
/// `psql` and named `hallmark_e2e_{pid}_{n}`; its URL. `None` when no server is configured
/// (outside CI).
///
/// # Panics
/// When `psql` cannot create it.
pub fn postgres_database() -> Option<String> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let admin = crate::postgres_admin_url()?;
    let name = format!(
        "hallmark_e2e_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        free_port()
    );
    let status = Command::new("psql")
        .args([admin.as_str(), "-qc", &format!("CREATE DATABASE {name}")])
        .status()
        .expect("psql runs");
    assert!(status.success(), "CREATE DATABASE {name}");
    let base = admin.rsplit_once('/').expect("a URL with a database").0;
    Some(format!("{base}/{name}"))
}

/// Runs `command` to its end and returns its stdout, trimmed.
///
/// # Panics
/// When it cannot run or fails (showing its stderr).
pub fn stdout_of(command: &mut Command) -> String {
    let out = command.output().expect("the command runs");
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A test CA and a server certificate it signed for localhost and 127.0.0.1 (openssl from
/// Debian), written to `dir`. Returns (CA certificate, server chain, server key).
///
/// # Panics
/// When openssl cannot run or fails.
pub fn test_certificate(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let openssl = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stderr(Stdio::null())
            .status()
            .expect("openssl runs");
        assert!(status.success(), "openssl {args:?}");
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-days",
                "2",
                "-subj",
                "/CN=Hallmark test CA",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req"][..],
            &ec,
            &[
                "-subj",
                "/CN=localhost",
                "-keyout",
                "key.pem",
                "-out",
                "server.csr",
            ],
        ]
        .concat(),
    );
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "cert.pem",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    )
}

/// Runs `program` with `args` and standard input closed, to its end: its output (the
/// `hallmark` binary's tests pass `env!("CARGO_BIN_EXE_hallmark")`).
///
/// # Panics
/// When it cannot be started.
pub fn run(program: &str, args: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the program runs")
}

/// A process's standard output, as text.
///
/// # Panics
/// When it is not UTF-8 (the CLI writes UTF-8 only).
pub fn stdout(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8 on stdout")
}

/// A process's standard error, as text.
///
/// # Panics
/// When it is not UTF-8.
pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("UTF-8 on stderr")
}

/// An empty folder `hallmark-{name}-{pid}` in the temporary directory (emptied first when a
/// previous run left it).
///
/// # Panics
/// When it cannot be made.
pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hallmark-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    dir
}
