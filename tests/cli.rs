//! End-to-end tests of the `hallmark` binary: the CLI contract of docs/design.md §4 (flags, output
//! streams, exit codes 0/1/2), the W3C vectors and the verification vectors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use hallmark_testkit::process::{fresh_dir, run, stderr, stdout};
use hallmark_testkit::{Tripwire, LOOPBACK_SPELLINGS};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn hallmark(args: &[&str]) -> Output {
    run(env!("CARGO_BIN_EXE_hallmark"), args)
}

fn hallmark_stdin(args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_hallmark"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hallmark runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited")
}

fn temp_dir(name: &str) -> PathBuf {
    fresh_dir(&format!("cli-{name}"))
}

fn w3c(name: &str) -> String {
    root()
        .join("tests/vectors/w3c/vc-di-eddsa")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn example_key() -> String {
    root()
        .join("keys.example/issuer.json")
        .to_string_lossy()
        .into_owned()
}

/// The checks of a `--json` report line as `check=outcome[:CODE]`.
/// `hallmark verify --json --at 2026-06-01T00:00:00Z ARGS…`.
fn verify_json(args: &[&str]) -> Output {
    hallmark(&[&["verify", "--json", "--at", "2026-06-01T00:00:00Z"], args].concat())
}

fn checks(line: &Value) -> Vec<String> {
    hallmark_testkit::check_outcomes(&line["checks"])
}

#[test]
fn sign_reproduces_the_w3c_jcs_vector_byte_for_byte() {
    let out = hallmark(&[
        "sign",
        "--key",
        &w3c("keyPair.json"),
        "--cryptosuite",
        "eddsa-jcs-2022",
        "--created",
        "2023-02-24T23:36:38Z",
        &w3c("unsigned.json"),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let signed: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let expected = std::fs::read_to_string(w3c("eddsa-jcs-2022/sigBTC58JCS.txt")).unwrap();
    assert_eq!(signed["proof"]["proofValue"], expected.trim());
    // And from standard input.
    let unsigned = std::fs::read(w3c("unsigned.json")).unwrap();
    let piped = hallmark_stdin(
        &[
            "sign",
            "--key",
            &w3c("keyPair.json"),
            "--created",
            "2023-02-24T23:36:38Z",
            "-",
        ],
        &unsigned,
    );
    assert_eq!(stdout(&piped), stdout(&out));
}

#[test]
fn w3c_signed_vector_passes_proof_fails_issuer_and_exits_1() {
    let out = hallmark(&["verify", "--json", &w3c("eddsa-jcs-2022/signedJCS.json")]);
    assert_eq!(code(&out), 1);
    let line: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(line["verified"], false);
    let c = checks(&line);
    assert!(c.contains(&"proof=passed".to_owned()), "{c:?}");
    assert!(
        c.contains(&"issuer=failed:INVALID_VERIFICATION_METHOD".to_owned()),
        "{c:?}"
    );
}

#[test]
fn keygen_writes_a_private_key_file_once() {
    let dir = temp_dir("keygen");
    let path = dir.join("issuer.json");
    let out = hallmark(&["keygen", "--out", path.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let did = stdout(&out).trim().to_owned();
    assert!(did.starts_with("did:key:z6Mk"), "{did}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let key: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(key["type"], "Multikey");
    assert_eq!(
        format!("did:key:{}", key["publicKeyMultibase"].as_str().unwrap()),
        did
    );
    assert!(key["secretKeyMultibase"]
        .as_str()
        .unwrap()
        .starts_with("z3u2"));
    // The secret is never printed.
    let secret = key["secretKeyMultibase"].as_str().unwrap();
    assert!(!stdout(&out).contains(secret) && !stderr(&out).contains(secret));
    // A second keygen to the same path refuses and keeps the first key.
    let before = std::fs::read(&path).unwrap();
    let again = hallmark(&["keygen", "--out", path.to_str().unwrap()]);
    assert_eq!(code(&again), 2);
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert!(stderr(&again).contains("hint:"));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

/// `hallmark issue --key <example key> ARGS…` into DIR/badge.json.
fn issue_into(dir: &Path, args: &[&str]) -> PathBuf {
    let key = example_key();
    let out = hallmark(&[&["issue", "--key", key.as_str()], args].concat());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let path = dir.join("badge.json");
    std::fs::write(&path, &out.stdout).unwrap();
    path
}

fn issue_badge(dir: &Path) -> PathBuf {
    issue_into(
        dir,
        &[
            "--issuer-name",
            "Acme Cloud Partner Program",
            "--issuer-url",
            "https://acme.example",
            "--base-url",
            "https://acme.example",
            "--partner-id",
            "https://northwind.example",
            "--partner-name",
            "Northwind Consulting",
            "--role",
            "solutions",
            "--tier",
            "gold",
            "--tier-name",
            "Gold Partner",
            "--tier-description",
            "Designs and delivers complex Acme Cloud solutions.",
            "--criteria",
            "Exam ≥ 80%, Proficient demo, three references.",
            "--competency",
            "CLOUD-ARCH=Cloud solution architecture",
            "--competency",
            "DATA-MIG=Data migration at scale",
            "--framework",
            "Acme Competencies 2026",
            "--exam-score",
            "87",
            "--exam-minimum",
            "80",
            "--demo-level",
            "Advanced",
            "--demo-minimum",
            "Proficient",
            "--evidence",
            "Contoso migration|40 TB moved with zero downtime|Customer reference",
            "--valid-from",
            "2026-01-15T00:00:00Z",
            "--valid-until",
            "2027-01-15T00:00:00Z",
        ],
    )
}

#[test]
fn issued_badge_verifies_tampered_fails_garbage_is_unreadable() {
    let dir = temp_dir("issue");
    let badge = issue_badge(&dir);
    let value: Value = serde_json::from_slice(&std::fs::read(&badge).unwrap()).unwrap();
    assert_eq!(value["name"], "Gold Partner — Solutions");
    assert_eq!(
        value["credentialSubject"]["achievement"]["alignment"][0]["targetCode"],
        "CLOUD-ARCH"
    );
    assert_eq!(value["credentialSubject"]["result"][0]["value"], "87");

    // Verified: every check printed, exit 0.
    let out = hallmark(&[
        "verify",
        "--at",
        "2026-06-01T00:00:00Z",
        badge.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let human = stderr(&out);
    for check in ["parse", "proof", "issuer", "trust", "validity", "status"] {
        assert!(
            human.lines().any(|l| l.contains(&format!("] {check} "))),
            "{check} missing in\n{human}"
        );
    }
    assert!(human.contains("verdict: VERIFIED"), "{human}");
    assert!(human.contains("Northwind Consulting"), "{human}");
    assert!(stdout(&out).is_empty(), "human output goes to stderr");

    // Tampered: exit 1, the proof check names the failure.
    let tampered = std::fs::read_to_string(&badge)
        .unwrap()
        .replace("\"87\"", "\"97\"");
    let tampered_path = dir.join("tampered.json");
    std::fs::write(&tampered_path, tampered).unwrap();
    let out = verify_json(&[tampered_path.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    let line: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert!(checks(&line).contains(&"proof=failed:PROOF_VERIFICATION_ERROR".to_owned()));

    // Not JSON: exit 2.
    let garbage = dir.join("garbage.json");
    std::fs::write(&garbage, "<html>not a badge</html>").unwrap();
    let out = hallmark(&["verify", garbage.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("PARSING_ERROR"), "{}", stderr(&out));

    // A missing file: exit 2 with a hint.
    let out = hallmark(&["verify", dir.join("nope.json").to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("hint:"));

    // Several inputs: JSON Lines, worst exit wins.
    let out = verify_json(&[badge.to_str().unwrap(), tampered_path.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["verified"], true);
    assert_eq!(lines[0]["summary"]["tier"]["name"], "Gold Partner");
    assert_eq!(lines[0]["summary"]["competencies"][1]["code"], "DATA-MIG");
    assert_eq!(lines[1]["verified"], false);
}

#[test]
fn at_and_trust_decide_validity_and_trust() {
    let dir = temp_dir("trust");
    let badge = issue_badge(&dir);
    let badge = badge.to_str().unwrap();
    let issuer = String::from_utf8(
        hallmark(&["keygen", "--out", dir.join("k.json").to_str().unwrap()]).stdout,
    )
    .unwrap();
    let example_did = {
        let v: Value = serde_json::from_slice(&std::fs::read(example_key()).unwrap()).unwrap();
        format!("did:key:{}", v["publicKeyMultibase"].as_str().unwrap())
    };

    // Expired at --at.
    let out = hallmark(&["verify", "--json", "--at", "2027-02-01T00:00:00Z", badge]);
    assert_eq!(code(&out), 1);
    let line: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert!(checks(&line).contains(&"validity=failed:RANGE_ERROR".to_owned()));

    // Trusted by DID: passes; another issuer trusted instead: fails with a hint.
    let out = verify_json(&["--trust", &example_did, badge]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let out = hallmark(&[
        "verify",
        "--at",
        "2026-06-01T00:00:00Z",
        "--trust",
        issuer.trim(),
        badge,
    ]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("not in the trust list; add it with --trust"),
        "{}",
        stderr(&out)
    );

    // Trusted by a trust list file.
    let list = dir.join("trust.json");
    std::fs::write(
        &list,
        format!(r#"{{"issuers": [{{"id": "{example_did}", "name": "Acme"}}]}}"#),
    )
    .unwrap();
    let out = verify_json(&["--trust", list.to_str().unwrap(), badge]);
    assert_eq!(code(&out), 0);
    let line: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert!(line["checks"][3]["detail"]
        .as_str()
        .unwrap()
        .contains("Acme"));

    // A malformed trust list is a usage error.
    std::fs::write(&list, "[]").unwrap();
    let out = hallmark(&["verify", "--trust", list.to_str().unwrap(), badge]);
    assert_eq!(code(&out), 2);
}

#[test]
fn every_verification_vector_through_the_cli() {
    let dir = root().join("tests/vectors/verify");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("txt") {
            continue;
        }
        let text = std::fs::read(&path).unwrap();
        let (mut at, mut trust, mut expect, mut exit) =
            (String::new(), Vec::new(), String::new(), 0);
        let mut resolve = Vec::new();
        let mut body = &text[..];
        while body.starts_with(b"# ") {
            let end = body.iter().position(|b| *b == b'\n').unwrap();
            let line = std::str::from_utf8(&body[2..end]).unwrap();
            match line.split_once(": ") {
                Some(("at", x)) => at = x.to_owned(),
                Some(("trust", x)) => trust.push(x.to_owned()),
                Some(("resolve", x)) => {
                    let (url, file) = x.split_once('=').unwrap();
                    resolve.push(format!("{url}={}", dir.join(file).display()));
                }
                Some(("expect", x)) => expect = x.to_owned(),
                Some(("exit", x)) => exit = x.parse().unwrap(),
                _ => {}
            }
            body = &body[end + 1..];
        }
        let mut args = vec!["verify".to_owned(), "--json".into(), "--at".into(), at];
        for t in trust {
            args.push("--trust".into());
            args.push(t);
        }
        // Nothing is fetched: what the vector does not supply stays unknown.
        args.push("--offline".into());
        for r in resolve {
            args.push("--resolve".into());
            args.push(r);
        }
        args.push("-".into());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = hallmark_stdin(&args, body);
        assert_eq!(code(&out), exit, "{}: {}", path.display(), stderr(&out));
        let line: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
        let got = format!("verified={} {}", line["verified"], checks(&line).join(" "));
        assert_eq!(got, expect, "{}", path.display());
        seen += 1;
    }
    assert!(seen >= 20);
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(code(&hallmark(&["verify"])), 2);
    assert_eq!(
        code(&hallmark(&["verify", "--at", "yesterday", "x.json"])),
        2
    );
    assert_eq!(code(&hallmark(&["frobnicate"])), 2);
    assert_eq!(code(&hallmark(&["--help"])), 0);
    let out = hallmark(&[
        "sign",
        "--key",
        &example_key(),
        "--cryptosuite",
        "rsa-2048",
        "-",
    ]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("rsa-2048"));
    // A credential that is not VC 2.0 is refused with the reason and a hint.
    let out = hallmark_stdin(
        &["sign", "--key", &example_key(), "-"],
        br#"{"hello": "world"}"#,
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("@context"), "{}", stderr(&out));
    // An integer beyond 2^53 is refused at signing.
    let big = std::fs::read_to_string(w3c("unsigned.json"))
        .unwrap()
        .replace("\"The School of Examples\"", "12345678901234567890");
    let out = hallmark_stdin(&["sign", "--key", &example_key(), "-"], big.as_bytes());
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("12345678901234567890"),
        "{}",
        stderr(&out)
    );
    // A duplicate key is refused at signing.
    let dup = std::fs::read_to_string(w3c("unsigned.json"))
        .unwrap()
        .replacen("\"name\"", "\"name\": \"x\", \"name\"", 1);
    let out = hallmark_stdin(&["sign", "--key", &example_key(), "-"], dup.as_bytes());
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("duplicate key"), "{}", stderr(&out));
}

fn status_list(args: &[&str]) {
    let out = hallmark(&[&["status-list"], args].concat());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

fn issue_with_status(dir: &Path, revocation: &str, suspension: &str) -> PathBuf {
    issue_into(
        dir,
        &[
            "--issuer-name",
            "Acme",
            "--base-url",
            "https://acme.example",
            "--partner-id",
            "https://northwind.example",
            "--partner-name",
            "Northwind",
            "--role",
            "sales",
            "--tier",
            "silver",
            "--tier-name",
            "Silver Partner",
            "--tier-description",
            "Sells Acme Cloud.",
            "--criteria",
            "Exam score of at least 70%.",
            "--valid-from",
            "2026-01-15T00:00:00Z",
            "--valid-until",
            "2027-01-15T00:00:00Z",
            "--status-list",
            revocation,
            "--status-index",
            "94567",
            "--suspension-list",
            suspension,
            "--suspension-index",
            "12",
        ],
    )
}

#[test]
fn revoked_is_exit_1_suspended_then_reinstated_is_exit_0() {
    let dir = temp_dir("status");
    let rev = dir.join("rev.json");
    let sus = dir.join("sus.json");
    let (rev_s, sus_s) = (rev.to_str().unwrap(), sus.to_str().unwrap());
    status_list(&[
        "create",
        "--key",
        &example_key(),
        "--url",
        "https://acme.example/status/1",
        "--valid-from",
        "2026-01-01T00:00:00Z",
        "--out",
        rev_s,
    ]);
    status_list(&[
        "create",
        "--key",
        &example_key(),
        "--url",
        "https://acme.example/status/2",
        "--purpose",
        "suspension",
        "--valid-from",
        "2026-01-01T00:00:00Z",
        "--out",
        sus_s,
    ]);
    let badge = issue_with_status(
        &dir,
        "https://acme.example/status/1",
        "https://acme.example/status/2",
    );
    let resolve1 = format!("https://acme.example/status/1={rev_s}");
    let resolve2 = format!("https://acme.example/status/2={sus_s}");
    let verify = || {
        let out = hallmark(&[
            "verify",
            "--json",
            "--offline",
            "--at",
            "2026-06-01T00:00:00Z",
            "--resolve",
            &resolve1,
            "--resolve",
            &resolve2,
            badge.to_str().unwrap(),
        ]);
        let line: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
        (code(&out), line["checks"][5].clone())
    };
    let (exit, status) = verify();
    assert_eq!(exit, 0, "{status}");
    assert_eq!(status["outcome"], "passed");

    status_list(&["set", "--key", &example_key(), sus_s, "12"]);
    let (exit, status) = verify();
    assert_eq!(exit, 1);
    assert_eq!(status["outcome"], "failed");
    assert!(
        status["detail"].as_str().unwrap().starts_with("SUSPENDED"),
        "{status}"
    );

    status_list(&["clear", "--key", &example_key(), sus_s, "12"]);
    let (exit, status) = verify();
    assert_eq!(exit, 0, "{status}");

    status_list(&["set", "--key", &example_key(), rev_s, "94567"]);
    let (exit, status) = verify();
    assert_eq!(exit, 1);
    assert!(
        status["detail"].as_str().unwrap().starts_with("REVOKED"),
        "{status}"
    );

    // show lists what is set.
    let out = hallmark(&["status-list", "show", "--json", rev_s]);
    let shown: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(shown["set"], serde_json::json!([94567]));
    assert_eq!(shown["entries"], 131072);
    assert_eq!(shown["statusPurpose"], serde_json::json!(["revocation"]));

    // Out of range is refused when setting, and the file is unchanged.
    let before = std::fs::read(&rev).unwrap();
    let out = hallmark(&[
        "status-list",
        "set",
        "--key",
        &example_key(),
        rev_s,
        "131072",
    ]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("beyond"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&rev).unwrap(), before);
}

#[test]
fn unreachable_list_is_unknown_and_exit_1() {
    let dir = temp_dir("unreachable");
    // A port nobody listens on, allowed over plain HTTP for the test.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("https://127.0.0.1:{port}/status/1");
    let badge = issue_with_status(&dir, &url, &url);
    let host = format!("127.0.0.1:{port}");
    let out = hallmark(&[
        "verify",
        "--json",
        "--insecure-host",
        &host,
        "--at",
        "2026-06-01T00:00:00Z",
        badge.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 1);
    let line: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(line["checks"][5]["outcome"], "unknown", "{line}");
    assert_eq!(line["checks"][5]["code"], "STATUS_RETRIEVAL_ERROR");
    // Without the allowance, the loopback address is refused outright: unknown too.
    let out = verify_json(&[badge.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    let line: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert!(
        line["checks"][5]["detail"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1 is not a public address"),
        "{line}"
    );
}

#[test]
fn verify_url_never_reaches_loopback_however_spelled() {
    let trip = Tripwire::new();
    let port = trip.port;
    let mut urls = Vec::new();
    for host in LOOPBACK_SPELLINGS {
        for scheme in ["https", "http"] {
            urls.push(format!("{scheme}://{host}:{port}/x"));
        }
    }
    // The allow lists hold the listener's port, for other hosts; one names 127.0.0.1 on
    // another port.
    let allowed = format!("allowed.example:{port}");
    let other = format!("127.0.0.1:{}", port.wrapping_add(1).max(1));
    let private = format!("private.example:{port}");
    let mut args = vec![
        "verify",
        "--json",
        "--insecure-host",
        &allowed,
        "--insecure-host",
        &other,
        "--private-host",
        &private,
    ];
    args.extend(urls.iter().map(String::as_str));
    let out = hallmark(&args);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), urls.len());
    for (line, url) in lines.iter().zip(&urls) {
        assert_eq!(line["input"], url.as_str());
        assert_eq!(line["verified"], false);
        let error = line["error"].as_str().unwrap();
        assert!(error.contains("refused to fetch"), "{url}: {error}");
    }
    assert_eq!(trip.connections(), 0);
}

/// Attacker check: a presentation file of 40 credentials, each naming two status lists of its
/// own on an allowed loopback host, costs at most the one bound of fetches (32) for the file,
/// and is not verified.
#[test]
fn verify_of_a_presentation_file_fetches_within_one_bound() {
    let trip = Tripwire::new();
    let host = format!("127.0.0.1:{}", trip.port);
    let dir = temp_dir("presentation");
    let credentials: Vec<Value> = (0..40)
        .map(|i| {
            let list = |n: usize| format!("https://{host}/status/{n}");
            let badge = issue_with_status(&dir, &list(2 * i), &list(2 * i + 1));
            serde_json::from_slice(&std::fs::read(badge).unwrap()).unwrap()
        })
        .collect();
    let vp = serde_json::json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": credentials,
    });
    let file = dir.join("presentation.json");
    std::fs::write(&file, vp.to_string()).unwrap();
    let out = verify_json(&["--insecure-host", &host, file.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let line: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(line["verified"], false, "{line}");
    assert!(trip.connections() <= 32);
}

/// Serves `body` as a 200 to every request on 127.0.0.1; returns the port.
fn serve_body(body: Vec<u8>) -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    port
}

/// Attacker check: `hallmark verify HTTPS://host/x` was read as a file path. URL schemes are
/// case-insensitive (RFC 3986 §3.1): any case is a URL, fetched under the same guard; other
/// schemes are refused, saying so.
#[test]
fn verify_takes_url_schemes_in_any_case() {
    // Refused by the guard (loopback, not allowed), never read as a file nor connected to.
    let trip = Tripwire::new();
    for (scheme, why) in [
        ("HTTPS", "127.0.0.1 is not a public address"),
        ("Https", "127.0.0.1 is not a public address"),
        ("HTTP", "only https is fetched, not http"),
        ("hTTp", "only https is fetched, not http"),
    ] {
        let url = format!("{scheme}://127.0.0.1:{}/badge.json", trip.port);
        let out = verify_json(&[&url]);
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        let line: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
        assert_eq!(line["input"], url.as_str());
        let error = line["error"].as_str().unwrap();
        assert!(
            error.starts_with("refused to fetch") && error.ends_with(why),
            "{url}: {error}"
        );
    }
    assert_eq!(trip.connections(), 0);

    // Allowed, it is fetched and verified.
    let dir = temp_dir("url-case");
    let badge = std::fs::read(issue_badge(&dir)).unwrap();
    let port = serve_body(badge);
    let host = format!("127.0.0.1:{port}");
    for scheme in ["HTTPS", "hTTpS"] {
        let url = format!("{scheme}://{host}/badge.json");
        let out = verify_json(&["--insecure-host", &host, &url]);
        assert_eq!(code(&out), 0, "{url}: {}", stderr(&out));
        let line: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
        assert_eq!(line["verified"], true, "{line}");
    }

    // Other schemes are refused with a clear error, not "cannot read".
    for url in ["ftp://127.0.0.1/badge.json", "FILE:///etc/passwd"] {
        let out = verify_json(&[url]);
        assert_eq!(code(&out), 2);
        let err = stderr(&out);
        assert!(
            err.contains("only https (and http) URLs are fetched") && !err.contains("cannot read"),
            "{url}: {err}"
        );
    }
}

#[test]
fn json_report_names_revoked_and_suspended_with_a_code() {
    let dir = root().join("tests/vectors/verify");
    for (vector, code_expected) in [
        ("status-revoked", "STATUS_REVOKED"),
        ("status-suspended", "STATUS_SUSPENDED"),
    ] {
        let text = std::fs::read(dir.join(format!("{vector}.txt"))).unwrap();
        let mut args = vec![
            "verify".to_owned(),
            "--json".into(),
            "--offline".into(),
            "--at".into(),
            "2026-06-01T00:00:00Z".into(),
        ];
        let mut body = &text[..];
        while body.starts_with(b"# ") {
            let end = body.iter().position(|b| *b == b'\n').unwrap();
            let line = std::str::from_utf8(&body[2..end]).unwrap();
            if let Some(r) = line.strip_prefix("resolve: ") {
                let (url, file) = r.split_once('=').unwrap();
                args.push("--resolve".into());
                args.push(format!("{url}={}", dir.join(file).display()));
            }
            body = &body[end + 1..];
        }
        args.push("-".into());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = hallmark_stdin(&args, body);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        let line: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
        let status = &line["checks"][5];
        assert_eq!(status["check"], "status");
        assert_eq!(status["outcome"], "failed");
        assert_eq!(status["code"], code_expected, "{line}");
    }
}

/// Output closed early (`| head -c 1`) ends the output, not the verification: a later input
/// that does not verify still makes the exit code 1 (newcomer check: it was 0).
#[test]
fn a_closed_stdout_still_gets_every_input_verified() {
    use std::io::Read;
    let dir = std::env::temp_dir().join(format!("hallmark-cli-pipe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = root().join("tests/cmd/badge.json");
    let tampered = dir.join("tampered.json");
    let text = std::fs::read_to_string(&good).unwrap();
    std::fs::write(&tampered, text.replacen("Gold", "Platinum", 1)).unwrap();
    let mut args: Vec<String> = [
        "verify",
        "--json",
        "--offline",
        "--at",
        "2026-06-01T00:00:00Z",
    ]
    .map(String::from)
    .to_vec();
    args.extend((0..300).map(|_| good.display().to_string()));
    args.push(tampered.display().to_string());
    let mut child = Command::new(env!("CARGO_BIN_EXE_hallmark"))
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = [0u8; 1];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The pipe is closed here, with most of the output unread.
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The golden files' baked images are what Hallmark bakes: `badge.json` baked into
/// `plain.png` / `plain.svg` gives `badge-baked.png` / `badge-baked.svg` byte for byte.
#[test]
fn golden_baked_images_are_hallmarks_own() {
    use hallmark_core::baked;
    let cmd = root().join("tests/cmd");
    let read = |name: &str| std::fs::read(cmd.join(name)).unwrap();
    let badge = String::from_utf8(read("badge.json")).unwrap();
    assert_eq!(
        baked::bake_png(&read("plain.png"), &badge).unwrap(),
        read("badge-baked.png")
    );
    let plain_svg = String::from_utf8(read("plain.svg")).unwrap();
    assert_eq!(
        baked::bake_svg(&plain_svg, &badge).unwrap().into_bytes(),
        read("badge-baked.svg")
    );
    assert_eq!(
        baked::unbake(&read("badge-baked.png")).unwrap().unwrap(),
        badge.as_bytes()
    );
}
