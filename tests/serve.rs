//! `hallmark serve` as a real process on 127.0.0.1, on SQLite and on PostgreSQL: record an
//! approval over HTTP, fetch the badge, verify it with `hallmark verify` against the served
//! status lists and did:web document, revoke it and see verification fail at once.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hallmark_testkit::process::{free_port, http, stdout_of, test_certificate};
use serde_json::{json, Value};

fn hallmark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hallmark"))
}

/// An issuer folder: the example key, the demo program, and `config` as config.toml.
fn issuer_dir(tag: &str, port: u16, config: &str) -> PathBuf {
    hallmark_testkit::process::example_issuer_folder(&format!("{tag}-{port}"), config)
}

/// `hallmark token create` for a configuration; the token.
fn create_token(config: &Path) -> String {
    stdout_of(hallmark().args([
        "token",
        "create",
        "--config",
        config.to_str().unwrap(),
        "--name",
        "e2e",
    ]))
}

/// Starts `hallmark ARGS` and waits for its "listening on" log line; returns the process and
/// every stderr line up to that one (the rest of stderr keeps being drained).
fn spawn_listening(args: &[&str]) -> (Child, Vec<String>) {
    let (child, lines, _) = hallmark_testkit::process::spawn_listening(hallmark().args(args));
    (child, lines)
}

/// `GET path`: the status and the body's bytes (for images).
fn get_bytes(port: u16, path: &str) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let head_end = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&response[..head_end]).into_owned();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, response[head_end + 4..].to_vec())
}

struct Server {
    child: Child,
    port: u16,
    token: String,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start(database_url: &str, tag: &str) -> Server {
    let port = free_port();
    let dir = issuer_dir(
        &format!("serve-{tag}"),
        port,
        &format!(
            "issuer_id = \"did:web:127.0.0.1%3A{port}\"\nissuer_name = \"Acme\"\nbase_url = \"http://127.0.0.1:{port}\"\nlisten = \"127.0.0.1:{port}\"\ndatabase_url = \"{database_url}\"\n"
        ),
    );
    let config = dir.join("config.toml");
    let token = create_token(&config);
    let (child, lines) = spawn_listening(&["serve", "--config", config.to_str().unwrap()]);
    let line = lines.last().unwrap();
    assert!(line.contains(&format!("http://127.0.0.1:{port}")), "{line}");
    Server {
        child,
        port,
        token,
        dir,
    }
}

fn verify(server: &Server, url: &str) -> (i32, Value) {
    let host = format!("127.0.0.1:{}", server.port);
    let out = hallmark()
        .args(["verify", "--json", "--insecure-host", &host, url])
        .output()
        .unwrap();
    let line: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), line)
}

/// Creates partner `name` (at `https://{name in lower case}.example`) over the API.
fn create_partner(server: &Server, name: &str) -> Value {
    let url = format!("https://{}.example", name.to_lowercase());
    let (status, partner) = http(
        server.port,
        "POST",
        "/api/v1/partners",
        Some(server.token.as_str()),
        Some(&json!({"name": name, "url": url})),
    );
    assert_eq!(status, 201, "{partner}");
    partner
}

fn round_trip(database_url: &str, tag: &str) {
    let server = start(database_url, tag);
    let (port, token) = (server.port, Some(server.token.as_str()));
    let partner = create_partner(&server, "Northwind");
    let approval = json!({
        "partner_id": partner["id"], "tier": "silver", "role": "delivery",
        "competencies": ["CLOUD-FUND", "CLOUD-ARCH", "DEVOPS"], "exam_score": 75,
        "approver": "E2E", "references": [{"name": "Contoso", "validated": true, "public": true}]
    });
    let (status, issued) = http(port, "POST", "/api/v1/approvals", token, Some(&approval));
    assert_eq!(status, 201, "{issued}");
    let url = issued["credential"]["id"].as_str().unwrap().to_owned();
    let uuid = issued["credential"]["uuid"].as_str().unwrap().to_owned();
    assert_eq!(url, format!("http://127.0.0.1:{port}/credentials/{uuid}"));

    // Fetched from the server and verified: did:web document and status lists over HTTP.
    let (code, report) = verify(&server, &url);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["summary"]["tier"]["name"], "Silver Partner");
    assert!(
        report["checks"][2]["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("did:web:127.0.0.1%3A{port}")),
        "{report}"
    );

    // The baked images of the badge, read back by `hallmark verify` (the credential inside,
    // its status fetched live).
    let mut baked = Vec::new();
    for kind in ["png", "svg"] {
        let (status, bytes) = get_bytes(port, &format!("/badges/{uuid}/baked.{kind}"));
        assert_eq!(status, 200, "baked.{kind}");
        let file = server.dir.join(format!("baked.{kind}"));
        std::fs::write(&file, bytes).unwrap();
        let (code, report) = verify(&server, file.to_str().unwrap());
        assert_eq!(code, 0, "baked.{kind}: {report}");
        assert_eq!(report["summary"]["id"], url.as_str(), "baked.{kind}");
        baked.push(file);
    }

    // Revoked: the next verification fails, with no wait.
    let (status, _) = http(
        port,
        "POST",
        &format!("/api/v1/credentials/{uuid}/revoke"),
        token,
        Some(&json!({"reason": "left the program"})),
    );
    assert_eq!(status, 200);
    let started = Instant::now();
    let (code, report) = verify(&server, &url);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["checks"][5]["outcome"], "failed");
    assert!(
        report["checks"][5]["detail"]
            .as_str()
            .unwrap()
            .starts_with("REVOKED"),
        "{report}"
    );
    eprintln!(
        "{tag}: revocation seen by a fresh verifier {:?} after the change",
        started.elapsed()
    );
    for file in &baked {
        let (code, report) = verify(&server, file.to_str().unwrap());
        assert_eq!(code, 1, "{}: {report}", file.display());
        assert_eq!(report["checks"][5]["code"], "STATUS_REVOKED", "{report}");
    }

    // Without the loopback allowance the verifier refuses to fetch from 127.0.0.1.
    let out = hallmark()
        .args(["verify", "--json", &url])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "the input URL itself is refused"
    );
    let _ = Path::new(&server.dir);
    upgrade_names_its_successor(&server);
}

/// Silver → Gold for one partner and role: `hallmark verify` of the Silver badge's URL fails
/// (revoked, public message "superseded") and reports the Gold badge its issuer names as
/// successor, verified.
fn upgrade_names_its_successor(server: &Server) {
    let (port, token) = (server.port, Some(server.token.as_str()));
    let partner = create_partner(server, "Fabrikam");
    let references: Vec<Value> = (0..3)
        .map(|i| json!({"name": format!("Customer {i}"), "validated": true}))
        .collect();
    let mut approval = json!({
        "partner_id": partner["id"], "tier": "silver", "role": "solutions",
        "competencies": ["CLOUD-FUND", "CLOUD-ARCH", "SEC-IAM", "DATA-MIG"], "exam_score": 88,
        "demo_level": "Advanced", "approver": "E2E", "references": references,
    });
    let (status, silver) = http(port, "POST", "/api/v1/approvals", token, Some(&approval));
    assert_eq!(status, 201, "{silver}");
    approval["tier"] = json!("gold");
    let (status, gold) = http(port, "POST", "/api/v1/approvals", token, Some(&approval));
    assert_eq!(status, 201, "{gold}");
    assert_eq!(gold["kind"], "upgrade");
    let silver_url = silver["credential"]["id"].as_str().unwrap();
    let gold_url = gold["credential"]["id"].as_str().unwrap();
    let (code, report) = verify(server, silver_url);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["checks"][5]["code"], "STATUS_REVOKED", "{report}");
    assert!(
        report["checks"][5]["detail"]
            .as_str()
            .unwrap()
            .contains("message: superseded"),
        "{report}"
    );
    assert_eq!(
        report["successor"],
        json!({"id": gold_url, "standing": "valid"}),
        "{report}"
    );
    let (code, report) = verify(server, gold_url);
    assert_eq!(code, 0, "{report}");
    assert!(report.get("successor").is_none());
    // Then a downgrade: the Silver badge's successor is the badge current now, two steps on.
    approval["tier"] = json!("silver");
    let (status, current) = http(
        server.port,
        "POST",
        "/api/v1/approvals",
        token,
        Some(&approval),
    );
    assert_eq!(status, 201, "{current}");
    assert_eq!(current["kind"], "downgrade");
    let current_url = current["credential"]["id"].as_str().unwrap();
    let (code, report) = verify(server, silver_url);
    assert_eq!(code, 1, "{report}");
    assert_eq!(
        report["successor"],
        json!({"id": current_url, "standing": "valid"}),
        "{report}"
    );
    // A forged copy of the Silver badge (its proof fails) gets no successor: its `id` could
    // name any host, which is never asked.
    let uuid = silver["credential"]["uuid"].as_str().unwrap();
    let (status, bytes) = get_bytes(server.port, &format!("/credentials/{uuid}?format=json"));
    assert_eq!(status, 200);
    let mut forged: Value = serde_json::from_slice(&bytes).unwrap();
    forged["credentialSubject"]["identifier"][0]["identityHash"] = json!("Contoso");
    let file = server.dir.join("forged.json");
    std::fs::write(&file, forged.to_string()).unwrap();
    let (code, report) = verify(server, file.to_str().unwrap());
    assert_eq!(code, 1, "{report}");
    assert!(report.get("successor").is_none(), "{report}");
}

#[test]
fn serve_issue_verify_revoke_on_sqlite() {
    round_trip("sqlite:hallmark.db", "sqlite");
}

#[test]
fn serve_issue_verify_revoke_on_postgres() {
    if let Some(url) = hallmark_testkit::process::postgres_database() {
        round_trip(&url, "postgres");
    }
}

#[test]
fn demo_starts_with_a_verifiable_badge() {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("hallmark-demo-{}-{port}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let listen = format!("127.0.0.1:{port}");
    let (mut child, lines) = spawn_listening(&[
        "serve",
        "--demo",
        "--data",
        dir.to_str().unwrap(),
        "--listen",
        &listen,
    ]);
    let token = lines.iter().find_map(|l| {
        l.trim()
            .strip_prefix("export HALLMARK_TOKEN=")
            .map(str::to_owned)
    });
    let token = token.expect("the demo prints an admin token");
    let (status, list) = http(port, "GET", "/api/v1/credentials", Some(&token), None);
    assert_eq!(status, 200);
    let url = list[0]["id"].as_str().unwrap().to_owned();
    let out = hallmark()
        .args(["verify", "--json", "--insecure-host", &listen, &url])
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // The key file is private.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(dir.join("keys/issuer.json"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A key's quoted value in a TOML text.
fn toml_value(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or_else(|| panic!("no {key} in {text}"))
        .to_owned()
}

/// `hallmark ARGS` run to its end with `vars` set; (exit code, stderr).
fn run_with_env(args: &[&str], vars: &[(&str, &str)]) -> (Option<i32>, String) {
    let out = hallmark()
        .args(args)
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `serve --demo` on a taken port says so in one line naming the address and `--listen`, and
/// creates nothing (newcomer check: it created and seeded the demo, printed the token, then
/// failed with "Address already in use", so the next start had no token to show).
#[test]
fn demo_on_a_taken_port_fails_in_one_line_and_creates_nothing() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let address = format!("127.0.0.1:{port}");
    let dir = std::env::temp_dir().join(format!("hallmark-taken-{}-{port}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.to_str().unwrap();
    let expected = format!(
        "error: {address} is already in use; choose another address with --listen, e.g. --listen 127.0.0.1:{}\n",
        port + 1
    );
    for (args, vars) in [
        (
            vec!["serve", "--demo", "--data", data, "--listen", &address],
            vec![],
        ),
        (
            vec!["serve", "--demo", "--data", data],
            vec![("HALLMARK_LISTEN", address.as_str())],
        ),
    ] {
        let (code, stderr) = run_with_env(&args, &vars);
        assert_eq!(code, Some(2), "{stderr}");
        assert_eq!(stderr, expected);
        assert!(!dir.exists(), "nothing is created");
    }
    // An existing demo, moved to a taken port: the same line, and its configuration unchanged.
    let (mut child, _) =
        spawn_listening(&["serve", "--demo", "--data", data, "--listen", "127.0.0.1:0"]);
    let _ = child.kill();
    let _ = child.wait();
    let before = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    let (code, stderr) = run_with_env(
        &["serve", "--demo", "--data", data, "--listen", &address],
        &[],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr, expected);
    assert_eq!(
        std::fs::read_to_string(dir.join("config.toml")).unwrap(),
        before
    );
    drop(taken);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--listen` moves the demo's `base_url` with it, in a new demo (even on port 0) and in an
/// existing one, so the badges issued afterwards name the address served (newcomer check:
/// the saved base_url kept 8080 and every badge URL was wrong).
#[test]
fn demo_base_url_follows_listen() {
    let dir = std::env::temp_dir().join(format!(
        "hallmark-demo-move-{}-{}",
        std::process::id(),
        free_port()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.to_str().unwrap();
    // Port 0: the port the system picked is the one named.
    let (mut child, lines) =
        spawn_listening(&["serve", "--demo", "--data", data, "--listen", "127.0.0.1:0"]);
    let _ = child.kill();
    let _ = child.wait();
    let token = lines
        .iter()
        .find_map(|l| l.trim().strip_prefix("export HALLMARK_TOKEN="))
        .expect("the demo prints an admin token")
        .to_owned();
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    let first = toml_value(&config, "listen");
    assert!(!first.ends_with(":0"), "{config}");
    assert_eq!(toml_value(&config, "base_url"), format!("http://{first}"));
    // The demo issues as the did:web of its address.
    assert_eq!(
        toml_value(&config, "issuer_id"),
        format!("did:web:{}", first.replace(':', "%3A"))
    );
    let badge = lines
        .iter()
        .find_map(|l| l.strip_prefix("The demo Gold badge: "))
        .unwrap();
    assert!(
        badge.starts_with(&format!("http://{first}/credentials/")),
        "{badge}"
    );

    // Started again elsewhere: the configuration follows, and says so once.
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let (mut child, lines) =
        spawn_listening(&["serve", "--demo", "--data", data, "--listen", &listen]);
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    assert_eq!(toml_value(&config, "base_url"), format!("http://{listen}"));
    assert_eq!(toml_value(&config, "listen"), listen);
    let did = format!("did:web:127.0.0.1%3A{port}");
    assert_eq!(toml_value(&config, "issuer_id"), did);
    assert!(
        lines.iter().any(|l| l
            == &format!("The demo now serves at http://{listen} (its base_url was http://{first}); badges issued before still name http://{first}.")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("The demo now issues as {did};"))),
        "{lines:?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("HALLMARK_TOKEN=")),
        "no second token: {lines:?}"
    );
    let (status, partners) = http(port, "GET", "/api/v1/partners", Some(&token), None);
    assert_eq!(status, 200, "{partners}");
    let approval = json!({
        "partner_id": partners[0]["id"], "tier": "silver", "role": "delivery",
        "competencies": ["CLOUD-FUND", "CLOUD-ARCH", "DEVOPS"], "exam_score": 75,
        "approver": "E2E", "references": [{"name": "Contoso", "validated": true, "public": true}]
    });
    let (status, issued) = http(
        port,
        "POST",
        "/api/v1/approvals",
        Some(&token),
        Some(&approval),
    );
    assert_eq!(status, 201, "{issued}");
    let url = issued["credential"]["id"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!("http://{listen}/credentials/")),
        "{url}"
    );
    let out = hallmark()
        .args(["verify", "--json", "--insecure-host", &listen, &url])
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Verified against the DID document served at the new address.
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let issuer = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "issuer")
        .unwrap();
    assert!(
        issuer["detail"].as_str().unwrap().contains(&did),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `HALLMARK_OPEN_ISSUE_ENDPOINT=maybe` stops `hallmark serve` naming the variable (it was
/// read as false).
#[test]
fn serve_refuses_a_boolean_variable_that_is_not_one() {
    let port = free_port();
    let dir = issuer_dir(
        "bool-env",
        port,
        &format!("issuer_name = \"Acme\"\nbase_url = \"http://127.0.0.1:{port}\"\nlisten = \"127.0.0.1:{port}\"\n"),
    );
    let config = dir.join("config.toml");
    let (code, stderr) = run_with_env(
        &["serve", "--config", config.to_str().unwrap()],
        &[("HALLMARK_OPEN_ISSUE_ENDPOINT", "maybe")],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(
        stderr.lines().next().unwrap(),
        "error: configuration key `HALLMARK_OPEN_ISSUE_ENDPOINT`: \"maybe\" is not a boolean: use true or false (or 1/0, yes/no)"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn curl(args: &[&str]) -> Value {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "20"])
        .args(args)
        .output()
        .expect("curl runs");
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&out.stdout).into_owned()))
}

#[test]
fn https_issuer_and_verifier_with_a_test_ca() {
    let port = free_port();
    let dir = issuer_dir(
        "tls",
        port,
        &format!("issuer_name = \"Acme\"\nbase_url = \"https://localhost:{port}\"\nlisten = \"127.0.0.1:{port}\"\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n"),
    );
    let (ca_cert, _cert, _key) = test_certificate(&dir);
    let config = dir.join("config.toml");
    let token = create_token(&config);
    let (mut issuer, lines) = spawn_listening(&["serve", "--config", config.to_str().unwrap()]);
    let line = lines.last().unwrap();
    assert!(
        line.contains(&format!("https://127.0.0.1:{port}")),
        "{line}"
    );
    let base = format!("https://localhost:{port}/api/v1");
    let auth = format!("authorization: Bearer {token}");
    let ca = ca_cert.to_str().unwrap();
    // POST JSON to the API over https, trusting the test CA.
    let post = |path: &str, body: &str| {
        curl(&[
            "--cacert",
            ca,
            "-H",
            &auth,
            "-H",
            "content-type: application/json",
            &format!("{base}/{path}"),
            "-d",
            body,
        ])
    };
    let partner = post(
        "partners",
        r#"{"name": "Northwind", "url": "https://northwind.example"}"#,
    );
    let body = json!({"partner_id": partner["id"], "tier": "registered", "role": "sales", "competencies": ["CLOUD-FUND"], "approver": "TLS test"}).to_string();
    let issued = post("approvals", &body);
    let url = issued["credential"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{issued}"))
        .to_owned();
    assert!(url.starts_with(&format!("https://localhost:{port}/credentials/")));
    let host = format!("localhost:{port}");
    // The CLI fetches the badge and its status lists over https from loopback, trusting the test CA.
    let out = hallmark()
        .args([
            "verify",
            "--json",
            "--private-host",
            &host,
            "--ca-cert",
            ca,
            &url,
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Without the CA the certificate is not trusted: the fetch fails, the input is unreadable.
    let out = hallmark()
        .args(["verify", "--json", "--private-host", &host, &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    // The verifier over https too.
    let vport = free_port();
    let vconfig = dir.join("verifier.toml");
    std::fs::write(&vconfig, format!("listen = \"127.0.0.1:{vport}\"\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\nprivate_hosts = [\"{host}\"]\nca_certs = [\"ca.pem\"]\n")).unwrap();
    let (mut verifier, _) =
        spawn_listening(&["verifier", "serve", "--config", vconfig.to_str().unwrap()]);
    let badge = curl(&["--cacert", ca, &url]);
    let request = json!({"verifiableCredential": badge}).to_string();
    let report = curl(&[
        "--cacert",
        ca,
        "-H",
        "content-type: application/json",
        &format!("https://localhost:{vport}/credentials/verify"),
        "-d",
        &request,
    ]);
    let _ = verifier.kill();
    let _ = issuer.kill();
    let _ = verifier.wait();
    let _ = issuer.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(report["verified"], true, "{report}");
    assert_eq!(report["checks"][5]["outcome"], "passed", "{report}");
}

/// A server process whose stderr lines keep arriving on a channel (`HALLMARK_LOG` set so the
/// shared HTTP layer logs each request it starts).
struct Logged {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Logged {
    fn spawn(args: &[&str]) -> Self {
        let mut child = hallmark()
            .args(args)
            .env("HALLMARK_LOG", "info,hallmark_http=debug")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut logged = Self { child, lines };
        logged.wait_for(&["listening on"]);
        logged
    }

    /// Waits (at most a minute) for a log line containing every one of `needles`.
    fn wait_for(&mut self, needles: &[&str]) -> String {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(60)) {
                Ok(line) if needles.iter().all(|n| line.contains(n)) => return line,
                Ok(_) => {}
                Err(_) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    panic!("no log line with {needles:?}");
                }
            }
        }
    }

    /// SIGTERM, as a service manager stops a service.
    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// The exit code, waiting at most 30 s (then the process is killed and this panics).
    fn exit_code(&mut self) -> Option<i32> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("the server did not stop within 30 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends a POST whose body is still arriving when the server is told to stop: curl streams
/// stdin (chunked); the first half goes out, the server logs the request as started, SIGTERM,
/// the server logs that it is shutting down, then the rest. The response and the exit code.
fn post_across_sigterm(
    server: &mut Logged,
    url: &str,
    path: &str,
    extra: &[&str],
    body: &str,
) -> (Value, Option<i32>) {
    let mut client = Command::new("curl")
        .args(["-s", "--max-time", "60", "-X", "POST", "-T", "-"])
        .args(["-H", "content-type: application/json", "-H", "expect:"])
        .args(extra)
        .arg(url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("curl runs");
    let mut stdin = client.stdin.take().unwrap();
    let (first, rest) = body.split_at(body.len() / 2);
    stdin.write_all(first.as_bytes()).unwrap();
    stdin.flush().unwrap();
    server.wait_for(&["started", path]);
    server.terminate();
    server.wait_for(&["shutting down"]);
    stdin.write_all(rest.as_bytes()).unwrap();
    drop(stdin);
    let out = client.wait_with_output().unwrap();
    let response = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&out.stdout).into_owned()));
    (response, server.exit_code())
}

#[test]
fn sigterm_finishes_requests_in_flight_on_every_server_path() {
    let port = free_port();
    let dir = issuer_dir(
        "sigterm",
        port,
        &format!("issuer_name = \"Acme\"\nbase_url = \"https://localhost:{port}\"\nlisten = \"127.0.0.1:{port}\"\n"),
    );
    let (ca, _, _) = test_certificate(&dir);
    let plain = dir.join("config.toml");
    let tls = dir.join("tls.toml");
    std::fs::write(
        &tls,
        format!(
            "{}tls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n",
            std::fs::read_to_string(&plain).unwrap()
        ),
    )
    .unwrap();
    let token = create_token(&plain);
    let auth = format!("authorization: Bearer {token}");
    let ca = ca.to_str().unwrap();
    let credential = json!({"verifiableCredential": {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"], "issuer": "did:example:x", "credentialSubject": {"id": "did:example:y"}}}).to_string();
    for https in [false, true] {
        let (scheme, curl_tls): (&str, &[&str]) = if https {
            ("https", &["--cacert", ca])
        } else {
            ("http", &[])
        };
        // The issuer.
        let config = if https { &tls } else { &plain };
        let mut issuer = Logged::spawn(&["serve", "--config", config.to_str().unwrap()]);
        let mut extra = curl_tls.to_vec();
        extra.extend(["-H", auth.as_str()]);
        let url = format!("{scheme}://localhost:{port}/api/v1/partners");
        // One partner per URL: each run its own.
        let partner =
            format!(r#"{{"name": "Northwind", "url": "https://northwind-{scheme}.example"}}"#);
        let (created, code) =
            post_across_sigterm(&mut issuer, &url, "/api/v1/partners", &extra, &partner);
        assert_eq!(created["name"], "Northwind", "{scheme} issuer: {created}");
        assert_eq!(code, Some(0), "{scheme} issuer exit");

        // The verifier.
        let vport = free_port();
        let vconfig = dir.join("verifier.toml");
        let tls_keys = if https {
            "tls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n"
        } else {
            ""
        };
        std::fs::write(
            &vconfig,
            format!("listen = \"127.0.0.1:{vport}\"\n{tls_keys}"),
        )
        .unwrap();
        let mut verifier =
            Logged::spawn(&["verifier", "serve", "--config", vconfig.to_str().unwrap()]);
        let url = format!("{scheme}://localhost:{vport}/credentials/verify");
        let (report, code) = post_across_sigterm(
            &mut verifier,
            &url,
            "/credentials/verify",
            curl_tls,
            &credential,
        );
        assert_eq!(report["verified"], false, "{scheme} verifier: {report}");
        assert!(report["checks"].is_array(), "{scheme} verifier: {report}");
        assert_eq!(code, Some(0), "{scheme} verifier exit");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
