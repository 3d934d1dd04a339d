//! The presentation vectors (tests/vectors/presentations/*.txt) end to end: each goes through
//! `hallmark verify FILE --json` and through the verifier's `POST /presentations/verify`, which
//! must report the same checks (ids, outcomes, codes) — the ones the vector states — the same
//! verdict (exit 0/1, status 200/422) and the same problem details: one pipeline, one report.

use std::path::{Path, PathBuf};
use std::process::Command;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use hallmark_verifier::{router, VerifierConfig, VerifierState};
use serde_json::{json, Value};
use tower::ServiceExt;

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/presentations")
}

/// A vector's header and body.
#[derive(Default)]
struct Vector {
    challenge: Option<String>,
    domain: Option<String>,
    /// (URL, absolute file).
    resolve: Vec<(String, PathBuf)>,
    expect: String,
    exit: i32,
    body: Vec<u8>,
}

fn read(path: &Path) -> Vector {
    let text = std::fs::read(path).unwrap();
    let mut v = Vector::default();
    let mut rest = &text[..];
    while rest.starts_with(b"# ") {
        let end = rest.iter().position(|b| *b == b'\n').unwrap();
        let line = std::str::from_utf8(&rest[2..end]).unwrap();
        match line.split_once(": ") {
            Some(("challenge", x)) => v.challenge = Some(x.to_owned()),
            Some(("domain", x)) => v.domain = Some(x.to_owned()),
            Some(("resolve", x)) => {
                let (url, file) = x.split_once('=').unwrap();
                v.resolve.push((url.to_owned(), vectors().join(file)));
            }
            Some(("expect", x)) => v.expect = x.to_owned(),
            Some(("exit", x)) => v.exit = x.parse().unwrap(),
            _ => {}
        }
        rest = &rest[end + 1..];
    }
    v.body = rest.to_vec();
    v
}

/// `check=outcome[:CODE]` for each check of a JSON report's `checks`.
fn line(checks: &Value) -> String {
    hallmark_testkit::check_outcomes(checks).join(" ")
}

/// The `expect:` form of a presentation body (CLI or HTTP).
fn expect_of(body: &Value) -> String {
    let mut parts = vec![format!(
        "verified={} {}",
        body["verified"],
        line(&body["checks"])
    )];
    for c in body["credentialResults"].as_array().unwrap() {
        parts.push(format!("verified={} {}", c["verified"], line(&c["checks"])));
    }
    parts.join(" | ")
}

fn cli(v: &Vector, file: &Path) -> (i32, Value) {
    let mut args: Vec<String> = vec!["verify".into(), "--json".into(), "--offline".into()];
    if let Some(c) = &v.challenge {
        args.extend(["--challenge".into(), c.clone()]);
    }
    if let Some(d) = &v.domain {
        args.extend(["--domain".into(), d.clone()]);
    }
    for (url, path) in &v.resolve {
        args.extend(["--resolve".into(), format!("{url}={}", path.display())]);
    }
    args.push(file.to_string_lossy().into_owned());
    let out = Command::new(env!("CARGO_BIN_EXE_hallmark"))
        .args(&args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let body: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{e}: {stdout} {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), body)
}

async fn http(v: &Vector) -> (StatusCode, Value) {
    let state = VerifierState::new(VerifierConfig {
        resolve: v.resolve.clone(),
        ..VerifierConfig::default()
    })
    .unwrap();
    let vp: Value = serde_json::from_slice(&v.body).unwrap();
    let mut options = json!({});
    if let Some(c) = &v.challenge {
        options["challenge"] = c.as_str().into();
    }
    if let Some(d) = &v.domain {
        options["domain"] = d.as_str().into();
    }
    let request = Request::post("/presentations/verify")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"verifiablePresentation": vp, "options": options}).to_string(),
        ))
        .unwrap();
    let response = router(state).oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    (status, serde_json::from_slice(&bytes).unwrap())
}

/// What the two bodies must share: every check's id, outcome and code (and the presentation's
/// details, which depend on nothing but the document), and the problem details.
fn comparable(body: &Value) -> Value {
    let ids = |checks: &Value| -> Vec<Value> {
        checks
            .as_array()
            .unwrap()
            .iter()
            .map(|c| json!([c["check"], c["outcome"], c["code"]]))
            .collect()
    };
    let problems: Vec<Value> = body["problemDetails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| json!([p["type"], p["title"], p["check"]]))
        .collect();
    json!({
        "verified": body["verified"],
        "checks": body["checks"],
        "credentialResults": body["credentialResults"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| json!({"verified": r["verified"], "checks": ids(&r["checks"])}))
            .collect::<Vec<_>>(),
        "problemDetails": problems,
    })
}

#[tokio::test]
async fn every_presentation_vector_gives_the_same_checks_on_the_cli_and_over_http() {
    let dir = std::env::temp_dir().join(format!("hallmark-presentations-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut seen = 0;
    for entry in std::fs::read_dir(vectors()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("txt") {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let v = read(&path);
        let file = dir.join(format!("{name}.json"));
        std::fs::write(&file, &v.body).unwrap();

        let (exit, from_cli) = cli(&v, &file);
        let (status, from_http) = http(&v).await;
        assert_eq!(expect_of(&from_cli), v.expect, "{name}: hallmark verify");
        assert_eq!(
            expect_of(&from_http),
            v.expect,
            "{name}: POST /presentations/verify"
        );
        assert_eq!(exit, v.exit, "{name}: exit");
        let want = if v.exit == 0 {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        assert_eq!(status, want, "{name}: status");
        assert_eq!(comparable(&from_cli), comparable(&from_http), "{name}");
        assert_eq!(from_cli["input"], file.to_string_lossy().as_ref(), "{name}");
        seen += 1;
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(seen >= 15, "{seen}");
}

/// The human report of a presentation: its checks, each credential's, the verdict.
#[test]
fn human_report_of_a_presentation() {
    let v = read(&vectors().join("embedded-revoked-badge.txt"));
    let dir = std::env::temp_dir().join(format!(
        "hallmark-presentation-human-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("vp.json");
    std::fs::write(&file, &v.body).unwrap();
    let mut args = vec!["verify".to_owned(), "--offline".into()];
    for (url, path) in &v.resolve {
        args.extend(["--resolve".into(), format!("{url}={}", path.display())]);
    }
    args.push(file.to_string_lossy().into_owned());
    let out = Command::new(env!("CARGO_BIN_EXE_hallmark"))
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("presentation with 2 credentials"), "{err}");
    assert!(err.contains("credential 2 of 2"), "{err}");
    assert!(err.contains("[FAIL] status   STATUS_REVOKED"), "{err}");
    // The trust hint names this command's flag.
    assert!(err.contains("add --trust did:key:"), "{err}");
    assert!(
        err.trim_end()
            .ends_with("verdict: NOT VERIFIED (credential 2: status failed)"),
        "{err}"
    );

    // The presentation's own failure comes first; a nine-letter id keeps its space.
    let v = read(&vectors().join("wrong-challenge.txt"));
    std::fs::write(&file, &v.body).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hallmark"))
        .args(["verify", "--offline", "--challenge", "another"])
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("[FAIL] challenge INVALID_CHALLENGE_ERROR: "),
        "{err}"
    );
    assert!(
        err.trim_end()
            .ends_with("verdict: NOT VERIFIED (presentation challenge failed)"),
        "{err}"
    );
}
