//! The issuer's keys end to end, with real processes, on SQLite and PostgreSQL: `hallmark key
//! rotate` while `hallmark serve` runs (badges signed before and after both verify against
//! the served did:web document; the server signs with the new key without a restart), `key
//! revoke` of the old key (only its badges fail, on the issuer check), `key list`; a did:key
//! issuer refused; and `hallmark publish` served by a plain static https server verifying
//! badges as the issuer does.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use hallmark_testkit::process::{
    example_issuer_folder, exchange as http, free_port, header, postgres_database, stdout_of,
    test_certificate,
};
use serde_json::{json, Value};

fn hallmark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hallmark"))
}

/// An issuer folder: the example key, the demo program, and `config` as config.toml.
fn issuer_dir(tag: &str, config: &str) -> PathBuf {
    example_issuer_folder(&format!("keys-{tag}"), config)
}

/// `hallmark ARGS`, its output.
fn run(args: &[&str]) -> Output {
    hallmark().args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `hallmark token create` for a configuration; the token.
fn create_token(config: &Path) -> String {
    stdout_of(hallmark().args(["token", "create", "--config", config.to_str().unwrap()]))
}

/// Starts `hallmark ARGS` and waits for its "listening on" log line (the rest of stderr
/// keeps being drained).
fn spawn_listening(args: &[&str]) -> Child {
    hallmark_testkit::process::spawn_listening(hallmark().args(args)).0
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Records an approval over the API; the badge's URL and uuid.
fn issue(port: u16, token: &str, name: &str) -> (String, String) {
    let auth = format!("authorization: Bearer {token}\r\n");
    let (status, _, partner) = http(
        port,
        "POST",
        "/api/v1/partners",
        &auth,
        Some(&json!({"name": name, "url": unique_url()})),
    );
    assert_eq!(status, 201, "{partner}");
    let partner: Value = serde_json::from_str(&partner).unwrap();
    let approval = json!({"partner_id": partner["id"], "tier": "registered", "role": "sales", "competencies": ["CLOUD-FUND"], "approver": "E2E"});
    let (status, _, issued) = http(port, "POST", "/api/v1/approvals", &auth, Some(&approval));
    assert_eq!(status, 201, "{issued}");
    let issued: Value = serde_json::from_str(&issued).unwrap();
    (
        issued["credential"]["id"].as_str().unwrap().to_owned(),
        issued["credential"]["uuid"].as_str().unwrap().to_owned(),
    )
}

/// `hallmark verify --json` of `url`, fetching from loopback `host`: exit code and report.
fn verify(extra: &[&str], url: &str) -> (i32, Value) {
    let out = hallmark()
        .args(["verify", "--json"])
        .args(extra)
        .arg(url)
        .output()
        .unwrap();
    let line: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    (out.status.code().unwrap(), line)
}

/// The check `id` of a report.
fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == id)
        .unwrap_or_else(|| panic!("no {id} check: {report}"))
}

/// The signing method of a badge (its first proof's verificationMethod), fetched.
fn signed_with(port: u16, uuid: &str) -> String {
    let (status, _, body) = http(
        port,
        "GET",
        &format!("/credentials/{uuid}"),
        "accept: application/json\r\n",
        None,
    );
    assert_eq!(status, 200, "{body}");
    let badge: Value = serde_json::from_str(&body).unwrap();
    badge["proof"][0]["verificationMethod"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn rotation(database_url: &str, tag: &str) {
    let port = free_port();
    let did = format!("did:web:127.0.0.1%3A{port}");
    let dir = issuer_dir(
        tag,
        &format!("issuer_id = \"{did}\"\nissuer_name = \"Acme\"\nbase_url = \"http://127.0.0.1:{port}\"\nlisten = \"127.0.0.1:{port}\"\ndatabase_url = \"{database_url}\"\n"),
    );
    let config = dir.join("config.toml");
    let config = config.to_str().unwrap();
    let token = create_token(Path::new(config));
    let _server = Killed(spawn_listening(&["serve", "--config", config]));
    let host = format!("127.0.0.1:{port}");
    let insecure = ["--insecure-host", host.as_str()];

    let (before, before_id) = issue(port, &token, "Before");
    let old_method = signed_with(port, &before_id);
    let old_key = old_method.rsplit_once('#').unwrap().1.to_owned();

    // Rotated by another process while the server runs.
    let out = run(&["key", "rotate", "--config", config]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let new_method = text(&out.stdout).trim().to_owned();
    assert!(
        new_method.starts_with(&format!("{did}#z6Mk")),
        "{new_method}"
    );
    assert_ne!(new_method, old_method);
    let new_key = new_method.rsplit_once('#').unwrap().1.to_owned();
    let file = std::fs::read_dir(dir.join("keys"))
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with("key-"))
        .expect("the new key file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(file.metadata().unwrap().permissions().mode() & 0o777, 0o600);
    }

    // The running server signs with the new key, at once, and serves both keys.
    let (after, after_id) = issue(port, &token, "After");
    assert_eq!(signed_with(port, &after_id), new_method);
    let (status, head, body) = http(port, "GET", "/.well-known/did.json", "", None);
    assert_eq!(status, 200);
    let document: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(document["assertionMethod"], json!([new_method, old_method]));
    // The status lists were re-signed with the new key.
    let (_, _, list) = http(port, "GET", "/status/revocation-1", "", None);
    let list: Value = serde_json::from_str(&list).unwrap();
    let list_method = list["proof"]["verificationMethod"]
        .as_str()
        .or(list["proof"][0]["verificationMethod"].as_str());
    assert_eq!(list_method, Some(new_method.as_str()), "{list}");
    // A CDN can revalidate the DID document.
    let etag = header(&head, "etag").expect("an etag").to_owned();
    assert!(
        header(&head, "cache-control")
            .unwrap()
            .starts_with("public, max-age="),
        "{head}"
    );
    let (status, _, body) = http(
        port,
        "GET",
        "/.well-known/did.json",
        &format!("if-none-match: {etag}\r\n"),
        None,
    );
    assert_eq!((status, body.as_str()), (304, ""));

    for url in [&before, &after] {
        let (code, report) = verify(&insecure, url);
        assert_eq!(code, 0, "{url}: {report}");
    }

    // The list: the old key retired with its badge, the new one current with its badge.
    let out = run(&["key", "list", "--json", "--config", config]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let keys: Value = serde_json::from_slice(&out.stdout).unwrap();
    let by_key = |k: &str| {
        keys.as_array()
            .unwrap()
            .iter()
            .find(|r| r["public_key"] == k)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_key(&old_key)["state"], "retired");
    assert_eq!(by_key(&old_key)["signed"], 1);
    assert_eq!(by_key(&old_key)["method"], old_method.as_str());
    assert!(by_key(&old_key)["retired_at"].is_i64());
    assert_eq!(by_key(&new_key)["state"], "current");
    assert_eq!(by_key(&new_key)["signed"], 1);
    let out = run(&["key", "list", "--config", config]);
    let table = text(&out.stdout);
    assert!(table.starts_with("KEY "), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with(&old_key) && l.contains(" retired ") && l.ends_with(" 1")),
        "{table}"
    );

    // The current key cannot be revoked; a revocation needs a reason.
    let revoke = |key: &str, reason: &str, more: &[&str]| {
        let out = run(&[
            &["key", "revoke", key, "--reason", reason],
            more,
            &["--config", config],
        ]
        .concat());
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };
    let (code, _, stderr) = revoke(&new_key, "compromised", &[]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("rotate first"), "{stderr}");

    // Revoked by a prefix of its multibase: its badge is listed and fails, on the issuer
    // check; the other still verifies.
    let (code, stdout, stderr) = revoke(&old_key[..20], "compromised", &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout.lines().collect::<Vec<_>>(), [before.as_str()]);
    assert!(
        stderr.contains("1 badge(s) it signed no longer verify"),
        "{stderr}"
    );
    let (_, _, body) = http(port, "GET", "/.well-known/did.json", "", None);
    let document: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(document["assertionMethod"], json!([new_method]));
    let (code, report) = verify(&insecure, &before);
    assert_eq!(code, 1, "{report}");
    let issuer_check = check(&report, "issuer");
    assert_eq!(issuer_check["outcome"], "failed", "{report}");
    assert_eq!(
        issuer_check["code"], "INVALID_VERIFICATION_METHOD",
        "{report}"
    );
    let (code, report) = verify(&insecure, &after);
    assert_eq!(code, 0, "{report}");
    let (code, _, stderr) = revoke(&old_key, "again", &[]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("revoked already"), "{stderr}");
    // --reissue: each badge the revoked key signed, issued again with the current key (here
    // finishing after the revocation above), superseding it; the old URL names the new one.
    let (code, stdout, stderr) = revoke(&old_key, "compromised", &["--reissue"]);
    assert_eq!(code, Some(0), "{stderr}");
    let (old_url, successor) = stdout.trim().split_once(' ').expect("OLD NEW");
    assert_eq!(old_url, before.as_str());
    assert!(
        stderr.contains("1 badge(s) issued again with the current key"),
        "{stderr}"
    );
    let (code, report) = verify(&insecure, successor);
    assert_eq!(code, 0, "{report}");
    let proof = check(&report, "proof")["detail"].as_str().unwrap();
    assert!(
        proof.contains(&new_key),
        "signed with the current key: {proof}"
    );
    let (code, report) = verify(&insecure, &before);
    assert_eq!(code, 1, "{report}");
    assert_eq!(
        report["successor"],
        json!({"id": successor, "standing": "valid"}),
        "{report}"
    );
    // Run again: nothing is left to re-issue (the old badge is superseded now).
    let (code, stdout, stderr) = revoke(&old_key, "compromised", &["--reissue"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "");
    assert!(stderr.contains("0 badge(s) issued again"), "{stderr}");
    let out = run(&["key", "list", "--json", "--config", config]);
    let keys: Value = serde_json::from_slice(&out.stdout).unwrap();
    let old = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["public_key"] == old_key.as_str())
        .unwrap();
    assert_eq!(old["state"], "revoked");
    assert_eq!(old["revocation_reason"], "compromised");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rotate_and_revoke_on_sqlite() {
    rotation("sqlite:hallmark.db", "sqlite");
}

#[test]
fn rotate_and_revoke_on_postgres() {
    let Some(url) = postgres_database() else {
        eprintln!("HALLMARK_TEST_POSTGRES_URL is not set: skipped");
        return;
    };
    rotation(&url, "postgres");
}

/// A did:key issuer's identifier is its one key: rotating is refused, saying to move to
/// did:web, and nothing is written.
#[test]
fn a_did_key_issuer_cannot_rotate() {
    let port = free_port();
    let dir = issuer_dir(
        "didkey",
        &format!("issuer_name = \"Acme\"\nbase_url = \"http://127.0.0.1:{port}\"\nlisten = \"127.0.0.1:{port}\"\n"),
    );
    let config = dir.join("config.toml");
    let out = run(&["key", "rotate", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("is a did:key") && stderr.contains("move the issuer to did:web"),
        "{stderr}"
    );
    let files: Vec<_> = std::fs::read_dir(dir.join("keys"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    assert_eq!(files, ["issuer.json"]);
    let out = run(&["key", "list", "--config", config.to_str().unwrap()]);
    assert!(
        text(&out.stdout).contains(" current "),
        "{}",
        text(&out.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A plain static file server over https (Python's http.server in TLS), serving `root` on
/// 127.0.0.1:`port`: no Hallmark code, as a CDN or object store would.
fn static_https(root: &Path, port: u16, cert: &Path, key: &Path) -> Killed {
    let script = r#"
import functools, http.server, ssl, sys
root, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
print("listening on", port, flush=True)
server.serve_forever()
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .arg(root)
        .arg(port.to_string())
        .arg(cert)
        .arg(key)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("listening on"), "{line:?}");
    Killed(child)
}

/// The verdict the issuer's own verify page shows for a badge (its `data-state`).
fn issuer_verdict(port: u16, uuid: &str) -> String {
    let (status, _, page) = http(
        port,
        "GET",
        &format!("/credentials/{uuid}"),
        "accept: text/html\r\n",
        None,
    );
    assert_eq!(status, 200, "{page}");
    let state = page.split("data-state=\"").nth(1).expect("a verdict");
    state[..state.find('"').unwrap()].to_owned()
}

/// `hallmark publish` writes the DID document and every status list; served by a static
/// https server at the issuer's base_url, `hallmark verify` says what the issuer's own check
/// says, for a valid badge and (after publishing again) a revoked one.
#[test]
fn published_documents_verify_from_a_static_server() {
    let (port, static_port) = (free_port(), free_port());
    let base = format!("https://localhost:{static_port}");
    let did = format!("did:web:localhost%3A{static_port}");
    let dir = issuer_dir(
        "publish",
        &format!("issuer_id = \"{did}\"\nissuer_name = \"Acme\"\nbase_url = \"{base}\"\nlisten = \"127.0.0.1:{port}\"\n"),
    );
    let (ca, cert, key) = test_certificate(&dir);
    let config = dir.join("config.toml");
    let config = config.to_str().unwrap();
    let token = create_token(Path::new(config));
    let _issuer = Killed(spawn_listening(&["serve", "--config", config]));
    let (valid, valid_id) = issue(port, &token, "Valid");
    let (revoked, revoked_id) = issue(port, &token, "Revoked");
    assert!(
        valid.starts_with(&format!("{base}/credentials/")),
        "{valid}"
    );
    let (status, _, _) = http(
        port,
        "POST",
        &format!("/api/v1/credentials/{revoked_id}/revoke"),
        &format!("authorization: Bearer {token}\r\n"),
        Some(&json!({"reason": "left the program"})),
    );
    assert_eq!(status, 200);

    let site = dir.join("site");
    let out = run(&[
        "publish",
        "--out",
        site.to_str().unwrap(),
        "--config",
        config,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = text(&out.stdout);
    assert!(
        written.lines().any(|l| l.ends_with(".well-known/did.json")),
        "{written}"
    );
    assert!(
        written.lines().any(|l| l.ends_with("status/revocation-1")),
        "{written}"
    );
    // The bytes the issuer serves.
    let (_, _, served) = http(port, "GET", "/.well-known/did.json", "", None);
    assert_eq!(
        std::fs::read_to_string(site.join(".well-known/did.json")).unwrap(),
        served
    );
    let (_, _, served) = http(port, "GET", "/status/revocation-1", "", None);
    assert_eq!(
        std::fs::read_to_string(site.join("status/revocation-1")).unwrap(),
        served
    );
    // The badges themselves as the static host would have them.
    std::fs::create_dir_all(site.join("credentials")).unwrap();
    for id in [&valid_id, &revoked_id] {
        let (_, _, badge) = http(
            port,
            "GET",
            &format!("/credentials/{id}"),
            "accept: application/json\r\n",
            None,
        );
        std::fs::write(site.join("credentials").join(id), badge).unwrap();
    }

    let _static = static_https(&site, static_port, &cert, &key);
    let host = format!("localhost:{static_port}");
    let flags = [
        "--private-host",
        host.as_str(),
        "--ca-cert",
        ca.to_str().unwrap(),
    ];
    let (code, report) = verify(&flags, &valid);
    assert_eq!(
        (code, issuer_verdict(port, &valid_id).as_str()),
        (0, "valid"),
        "{report}"
    );
    let (code, report) = verify(&flags, &revoked);
    assert_eq!(code, 1, "{report}");
    assert_eq!(
        check(&report, "status")["code"],
        "STATUS_REVOKED",
        "{report}"
    );
    assert_eq!(issuer_verdict(port, &revoked_id), "revoked");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A web address no other partner of the test has (one partner per URL).
fn unique_url() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "https://partner-{}.example",
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}
