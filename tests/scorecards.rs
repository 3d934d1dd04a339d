//! `hallmark scorecards import` end to end against a running `hallmark serve`, on SQLite
//! and PostgreSQL: a file with refused rows lists them and imports nothing (exit 1); fixed,
//! it imports every row (exit 0), and again replaces them; a JSON file works the same way;
//! without a token, or with an unreadable file, the import cannot run (exit 2).

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use hallmark_testkit::process::{
    example_issuer_folder, free_port, http, postgres_database, spawn_listening, stdout_of,
};
use serde_json::json;

fn hallmark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hallmark"))
}

/// A running `hallmark serve`, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn import(file: &Path, port: u16, token: &str, extra: &[&str]) -> Command {
    let mut c = hallmark();
    c.args([
        "scorecards",
        "import",
        file.to_str().unwrap(),
        "--server",
        &format!("http://127.0.0.1:{port}"),
    ])
    .args(extra)
    .env("HALLMARK_TOKEN", token);
    c
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn imports_all_or_nothing(database_url: Option<&str>, tag: &str) {
    let port = free_port();
    let database = database_url.map_or_else(|| "sqlite:hallmark.db".to_owned(), str::to_owned);
    let dir = example_issuer_folder(
        &format!("scorecards-{tag}-{port}"),
        &format!(
            "issuer_name = \"Acme\"\nbase_url = \"http://127.0.0.1:{port}\"\ndatabase_url = \"{database}\"\nlifecycle_interval_seconds = 0\n"
        ),
    );
    let config = dir.join("config.toml");
    let token =
        stdout_of(hallmark().args(["token", "create", "--config", config.to_str().unwrap()]));
    let listen = format!("127.0.0.1:{port}");
    let (child, _, _) = spawn_listening(hallmark().args([
        "serve",
        "--config",
        config.to_str().unwrap(),
        "--listen",
        &listen,
    ]));
    let _server = Server(child);
    let (s, p) = http(
        port,
        "POST",
        "/api/v1/partners",
        Some(&token),
        Some(&json!({"name": "Northwind", "url": "https://northwind.example"})),
    );
    assert_eq!(s, 201, "{p}");
    let p = p["id"].as_str().unwrap().to_owned();
    let count = || {
        let (s, cards) = http(
            port,
            "GET",
            &format!("/api/v1/partners/{p}/scorecards"),
            Some(&token),
            None,
        );
        assert_eq!(s, 200, "{cards}");
        cards.as_array().unwrap().len()
    };

    // Refused rows: each listed on stderr, nothing imported, exit 1.
    let bad = write(
        &dir,
        "q.csv",
        &format!("partner_id,period,nps,csat,rework\n{p},2026-Q1,35,88,6\n{p},2026-Q2,35,188,6\nnobody,2026-Q2,1,1,1\n"),
    );
    let out = import(&bad, port, &token, &[]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr,
        "2 row(s) refused; nothing was imported:\n  row 2: csat 188 is out of range: 0 to 100\n  row 3: no partner nobody\n"
    );
    assert_eq!(count(), 0, "nothing written");

    // Fixed: imported, then replaced by the same file again.
    let good = write(
        &dir,
        "q.csv",
        &format!("partner_id,period,nps,csat,rework\n{p},2026-Q1,35,88,6\n{p},2026-Q2,38,91,\n"),
    );
    let out = import(&good, port, &token, &[]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "2 scorecard(s) imported: 2 created, 0 replaced\n"
    );
    let out = import(&good, port, &token, &[]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "2 scorecard(s) imported: 0 created, 2 replaced\n"
    );
    let (_, q2) = http(
        port,
        "GET",
        &format!("/api/v1/partners/{p}/scorecards/2026-Q2"),
        Some(&token),
        None,
    );
    assert_eq!(
        (q2["nps"].clone(), q2["rework"].clone()),
        (json!(38.0), json!(null))
    );

    // JSON, with --json: the issuer's answer.
    let file = write(
        &dir,
        "q3.json",
        &json!([{"partner_id": p, "period": "2026-Q3", "nrr": 112.5}]).to_string(),
    );
    let out = import(&file, port, &token, &["--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["created"], 1);
    assert_eq!(answer["rows"][0]["period"], "2026-Q3");
    assert_eq!(count(), 3);

    // Cannot run: no token; an unknown column (the whole file refused); a missing file.
    let out = import(&good, port, "", &[])
        .env_remove("HALLMARK_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HALLMARK_TOKEN is not set"));
    let odd = write(
        &dir,
        "odd.csv",
        &format!("partner_id,period,joy\n{p},2026-Q1,3\n"),
    );
    let out = import(&odd, port, &token, &[]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unknown column \"joy\""), "{stderr}");
    let out = import(&dir.join("none.csv"), port, &token, &[])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(count(), 3);
}

#[test]
fn scorecards_import_on_sqlite() {
    imports_all_or_nothing(None, "sqlite");
}

#[test]
fn scorecards_import_on_postgres() {
    let Some(url) = postgres_database() else {
        return;
    };
    imports_all_or_nothing(Some(&url), "postgres");
}
