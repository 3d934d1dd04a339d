//! The browser build's pipeline (`crates/wasm`, run natively here) answers the very report
//! `hallmark verify --json` prints: on every verification vector of `tests/vectors/verify/`
//! (valid, expired, not yet valid, revoked, suspended, tampered, wrong key, untrusted,
//! malformed…), given the same documents and instant, the two reports are equal, check by
//! check, detail by detail. The browser tests (`tests/browser/in-browser.test.mjs`) check the
//! same in Chromium against live badges.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Map, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One vector: its headers and the credential's bytes.
struct Vector {
    at: String,
    trust: Vec<String>,
    resolve: Vec<(String, PathBuf)>,
    body: Vec<u8>,
}

fn read_vector(path: &Path) -> Vector {
    let dir = path.parent().unwrap();
    let text = std::fs::read(path).unwrap();
    let mut vector = Vector {
        at: String::new(),
        trust: Vec::new(),
        resolve: Vec::new(),
        body: Vec::new(),
    };
    let mut body = &text[..];
    while body.starts_with(b"# ") {
        let end = body.iter().position(|b| *b == b'\n').unwrap();
        let line = std::str::from_utf8(&body[2..end]).unwrap();
        match line.split_once(": ") {
            Some(("at", x)) => vector.at = x.to_owned(),
            Some(("trust", x)) => vector.trust.push(x.to_owned()),
            Some(("resolve", x)) => {
                let (url, file) = x.split_once('=').unwrap();
                vector.resolve.push((url.to_owned(), dir.join(file)));
            }
            _ => {}
        }
        body = &body[end + 1..];
    }
    vector.body = body.to_vec();
    vector
}

/// `hallmark verify --json --offline` on the vector, its line without `input`.
fn cli_report(vector: &Vector) -> Value {
    let mut args = vec!["verify".to_owned(), "--json".into(), "--at".into()];
    args.push(vector.at.clone());
    for t in &vector.trust {
        let trust = if t.starts_with("did:") || t.starts_with("http") {
            t.clone()
        } else {
            root()
                .join("tests/vectors/verify")
                .join(t)
                .display()
                .to_string()
        };
        args.extend(["--trust".into(), trust]);
    }
    args.push("--offline".into());
    for (url, file) in &vector.resolve {
        args.extend(["--resolve".into(), format!("{url}={}", file.display())]);
    }
    args.push("-".into());
    let mut child = Command::new(env!("CARGO_BIN_EXE_hallmark"))
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(&vector.body).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let mut line: Value = serde_json::from_slice(&out.stdout).unwrap();
    line.as_object_mut().unwrap().remove("input");
    line
}

/// The browser build's report, given what the CLI was given: the resolved files as fetched
/// documents, and what is not resolved refused as `--offline` refuses it.
fn wasm_report(vector: &Vector) -> Value {
    let mut documents = Map::new();
    for (url, file) in &vector.resolve {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD.encode(std::fs::read(file).unwrap());
        documents.insert(url.clone(), json!({ "base64": bytes }));
    }
    let trust: Vec<Value> = vector
        .trust
        .iter()
        .map(|t| {
            if t.starts_with("did:") || t.starts_with("http") {
                json!(t)
            } else {
                // A trust-list file: its entries, names and all.
                let file = root().join("tests/vectors/verify").join(t);
                let list: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
                list["issuers"].clone()
            }
        })
        .flat_map(|v| match v {
            Value::Array(items) => items,
            one => vec![one],
        })
        .collect();
    let options = json!({ "at": vector.at, "trust": trust }).to_string();
    let credential = &vector.body;
    // As the page does: plan, "fetch" (offline: refused), verify, and again for what the
    // pipeline asked for beyond the plan.
    let needed: Vec<String> = serde_json::from_str(
        &hallmark_wasm::documents_needed(credential, &Value::Object(documents.clone()).to_string())
            .unwrap(),
    )
    .unwrap();
    for url in needed {
        documents.insert(url.clone(), json!({ "error": offline(&url) }));
    }
    loop {
        let answer: Value = serde_json::from_str(
            &hallmark_wasm::verify(
                credential,
                &Value::Object(documents.clone()).to_string(),
                &options,
            )
            .unwrap(),
        )
        .unwrap();
        let missing = answer["missing"].as_array().unwrap();
        if missing.is_empty() {
            let mut report = answer["report"].clone();
            report["standing"] = answer["standing"].clone();
            return report;
        }
        for url in missing {
            let url = url.as_str().unwrap();
            documents.insert(url.to_owned(), json!({ "error": offline(url) }));
        }
    }
}

/// What `hallmark verify --offline` says of a URL it was not given (the page says why its
/// fetch failed in its own words, which the report quotes as the CLI quotes its fetcher's).
fn offline(url: &str) -> String {
    format!("{url} was not fetched (offline); supply it with --resolve {url}=FILE")
}

#[test]
fn the_browser_build_reports_what_the_cli_reports_on_every_vector() {
    let dir = root().join("tests/vectors/verify");
    let mut seen = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("txt"))
        .collect();
    entries.sort();
    for path in entries {
        let vector = read_vector(&path);
        let cli = cli_report(&vector);
        let mut wasm = wasm_report(&vector);
        let standing = wasm.as_object_mut().unwrap().remove("standing").unwrap();
        assert_eq!(
            wasm,
            cli,
            "{}: the browser build and the CLI disagree",
            path.display()
        );
        seen.push(format!(
            "{} {}",
            path.file_name().unwrap().to_string_lossy(),
            standing.as_str().unwrap()
        ));
    }
    // Every state a badge can be in is among them.
    for state in [
        "valid",
        "expired",
        "not-yet-valid",
        "revoked",
        "suspended",
        "invalid",
        "unknown",
    ] {
        assert!(
            seen.iter().any(|s| s.ends_with(&format!(" {state}"))),
            "no vector is {state}: {seen:#?}"
        );
    }
    assert!(seen.len() >= 30, "{seen:#?}");
}
