//! `hallmark approvals import` end to end, with real processes: the summary and exit codes,
//! dry runs, re-runs that issue only what is missing; and crash safety — a 10,000-row import
//! during which the issuer is killed with SIGKILL three times (the import itself the last
//! time) and restarted, on SQLite and PostgreSQL: every row the client got a result for
//! exists exactly once, every badge verifies with unique status slots and its audit entry,
//! and re-running the import issues only the missing rows.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use std::sync::Arc;

use hallmark_core::verify::{ResolveError, Resources, Verifier};
use hallmark_testkit::process::{
    example_issuer_folder, exchange, free_port, http, postgres_database, spawn_listening, stdout_of,
};
use serde_json::Value;

fn hallmark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hallmark"))
}

/// A running `hallmark serve`, killed (SIGKILL) when dropped.
struct Server {
    child: Child,
}

impl Server {
    fn start(config: &Path, port: u16) -> Self {
        let listen = format!("127.0.0.1:{port}");
        let (child, _, _) = spawn_listening(hallmark().args([
            "serve",
            "--config",
            config.to_str().unwrap(),
            "--listen",
            &listen,
        ]));
        Self { child }
    }

    /// SIGKILL: no shutdown, no flush.
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An issuer folder on `database_url` (SQLite in the folder when `None`), jcs-signed, with a
/// short idempotency lease (a killed request's rows are taken over after 2 s); its config
/// file, base URL port, and a token.
fn issuer(tag: &str, database_url: Option<&str>) -> (PathBuf, u16, String) {
    let port = free_port();
    let database = database_url.map_or_else(|| "sqlite:hallmark.db".to_owned(), str::to_owned);
    let dir = example_issuer_folder(
        &format!("import-{tag}-{port}"),
        &format!(
            "issuer_name = \"Acme\"\nbase_url = \"http://127.0.0.1:{port}\"\ndatabase_url = \"{database}\"\n\
             cryptosuite = \"eddsa-jcs-2022\"\nidempotency_lease_seconds = 2\nlifecycle_interval_seconds = 0\n"
        ),
    );
    let config = dir.join("config.toml");
    let token =
        stdout_of(hallmark().args(["token", "create", "--config", config.to_str().unwrap()]));
    (config, port, token)
}

/// A CSV of `n` Silver approvals for partners by URL, the first `refused` of them short of
/// the exam score.
fn csv(n: usize, refused: usize) -> String {
    let mut out = String::from(
        "partner_name,partner_url,tier,role,competencies,exam_score,references,approver\n",
    );
    for i in 0..n {
        let score = if i < refused { 40 } else { 80 };
        out.push_str(&format!(
            "\"Partner {i}, Ltd\",https://p{i}.example,silver,delivery,CLOUD-FUND;CLOUD-ARCH,{score},\"Contoso|validated|public\",Dana\n"
        ));
    }
    out
}

fn import(file: &Path, port: u16, token: &str, extra: &[&str]) -> Command {
    let mut c = hallmark();
    c.args([
        "approvals",
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

#[test]
fn an_import_summarizes_and_a_rerun_issues_only_what_is_missing() {
    let (config, port, token) = issuer("summary", None);
    let dir = config.parent().unwrap();
    let server = Server::start(&config, port);
    let file = write(dir, "cohort.csv", &csv(12, 2));
    // A dry run: checked, nothing issued; exit 1 for the refused rows.
    let out = import(&file, port, &token, &["--dry-run"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.starts_with(
            "12 rows checked: 10 would be issued, 2 refused (dry run: nothing issued)"
        ),
        "{text}"
    );
    let (_, credentials) = http(port, "GET", "/api/v1/credentials", Some(&token), None);
    assert_eq!(credentials.as_array().unwrap().len(), 0);
    // The import: 10 issued, 2 refused with the requirement they missed, by row and line.
    let out = import(&file, port, &token, &[]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.starts_with("12 rows: 10 issued, 0 already issued, 2 refused"),
        "{text}"
    );
    assert!(text.contains("\n     1       2  exam_score"), "{text}");
    assert!(text.contains("\n     2       3  exam_score"), "{text}");
    // The refused rows fixed, the file again: only they are issued.
    let fixed = write(dir, "fixed.csv", &csv(12, 0));
    let out = import(&fixed, port, &token, &[]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.starts_with("12 rows: 2 issued, 10 already issued, 0 refused"),
        "{text}"
    );
    let (_, credentials) = http(port, "GET", "/api/v1/credentials", Some(&token), None);
    assert_eq!(credentials.as_array().unwrap().len(), 12);
    // Could not run: no token, a file without a needed column, an unreachable server.
    let out = import(&fixed, port, "", &[])
        .env_remove("HALLMARK_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HALLMARK_TOKEN is not set"));
    let bad = write(
        dir,
        "bad.csv",
        "partner_url,role,approver\nhttps://x.example,delivery,Dana\n",
    );
    let out = import(&bad, port, &token, &[]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no column \\\"tier\\\"")
            || String::from_utf8_lossy(&out.stderr).contains("no column \"tier\""),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server.kill();
    let out = import(&fixed, port, &token, &[]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot reach"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A random number in `range`.
fn random(range: std::ops::Range<usize>) -> usize {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).unwrap();
    range.start + (u64::from_le_bytes(b) as usize) % (range.end - range.start)
}

/// Runs the import of `file` with `--json`, reading its rows' results as they come; at each
/// of `kills` (a count of results received), the server is killed with SIGKILL and started
/// again — and at the last one the import too. Returns the results received.
fn import_through_kills(
    config: &Path,
    port: u16,
    token: &str,
    file: &Path,
    kills: &[usize],
) -> Vec<Value> {
    let mut server = Some(Server::start(config, port));
    let mut child = import(file, port, token, &["--json", "--batch", "250"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut received = Vec::new();
    let mut next = 0;
    for line in lines.map_while(Result::ok) {
        received.push(serde_json::from_str::<Value>(&line).unwrap());
        if next < kills.len() && received.len() >= kills[next] {
            server.take().unwrap().kill();
            next += 1;
            if next == kills.len() {
                // The client dies too, mid-import.
                let _ = child.kill();
                break;
            }
            server = Some(Server::start(config, port));
        }
    }
    let _ = child.wait();
    drop(server);
    received
}

/// Every credential's signed document, as stored.
fn documents(database: &str) -> Vec<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = hallmark_store::Store::connect(database).await.unwrap();
        let sql = "SELECT document FROM credentials";
        let ids = match &store {
            hallmark_store::Store::Sqlite(pool) => {
                sqlx::query_scalar::<_, String>(sql).fetch_all(pool).await
            }
            hallmark_store::Store::Postgres(pool) => {
                sqlx::query_scalar::<_, String>(sql).fetch_all(pool).await
            }
        }
        .unwrap();
        store.close().await;
        ids
    })
}

/// One number from the database.
fn scalar(database: &str, sql: &str) -> i64 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = hallmark_store::Store::connect(database).await.unwrap();
        let n = match &store {
            hallmark_store::Store::Sqlite(pool) => {
                sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await
            }
            hallmark_store::Store::Postgres(pool) => {
                sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await
            }
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
        store.close().await;
        n
    })
}

fn killed_imports_lose_nothing_and_issue_nothing_twice(database_url: Option<&str>, tag: &str) {
    const ROWS: usize = 10_000;
    let (config, port, token) = issuer(tag, database_url);
    let dir = config.parent().unwrap().to_owned();
    let database = database_url.map_or_else(
        || format!("sqlite://{}", dir.join("hallmark.db").display()),
        str::to_owned,
    );
    let file = write(&dir, "cohort.csv", &csv(ROWS, 0));
    let mut kills = vec![
        random(500..3_000),
        random(3_000..6_000),
        random(6_000..9_500),
    ];
    kills.sort_unstable();
    let received = import_through_kills(&config, port, &token, &file, &kills);
    assert!(
        received.len() >= kills[2],
        "{} results received",
        received.len()
    );
    // Every row the client got a result for: issued or already issued, never refused.
    let mut uuids = HashSet::new();
    for r in &received {
        assert!(
            matches!(r["status"].as_str(), Some("issued" | "replayed")),
            "{r}"
        );
        assert!(
            uuids.insert(r["uuid"].as_str().unwrap().to_owned()),
            "a row answered twice: {r}"
        );
    }
    // The import again, from the start: only the missing rows are issued.
    let server = Server::start(&config, port);
    let out = import(&file, port, &token, &[]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}");
    let issued_now: usize = text
        .split(": ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        text.starts_with(&format!(
            "{ROWS} rows: {issued_now} issued, {} already issued, 0 refused",
            ROWS - issued_now
        )),
        "{text}"
    );
    assert!(
        ROWS - issued_now >= received.len(),
        "the rows received were issued before: {text}"
    );
    // 10,000 distinct badges, one per row; those the client heard of among them.
    let count = |sql: &str| scalar(&database, sql);
    assert_eq!(count("SELECT COUNT(*) FROM credentials"), ROWS as i64);
    assert_eq!(
        count("SELECT COUNT(DISTINCT partner_id) FROM credentials"),
        ROWS as i64
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM partners"),
        ROWS as i64,
        "no partner created twice"
    );
    for uuid in &uuids {
        assert_eq!(
            count(&format!(
                "SELECT COUNT(*) FROM credentials WHERE id = '{uuid}'"
            )),
            1
        );
    }
    // Every badge has its three status slots, unique across badges, and its audit entry.
    assert_eq!(count("SELECT COUNT(*) FROM credentials WHERE revocation_list IS NULL OR suspension_list IS NULL OR message_list IS NULL"), 0);
    for purpose in ["revocation", "suspension", "message"] {
        assert_eq!(
            count(&format!("SELECT COUNT(*) FROM (SELECT {purpose}_list, {purpose}_index FROM credentials GROUP BY {purpose}_list, {purpose}_index HAVING COUNT(*) > 1) d")),
            0
        );
    }
    assert_eq!(count("SELECT COUNT(*) FROM credentials c WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.action = 'credential.issue' AND a.subject = c.id)"), 0);
    assert_eq!(count("SELECT COUNT(*) FROM approvals"), ROWS as i64);
    if database_url.is_none() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let check: String = runtime.block_on(async {
            let store = hallmark_store::Store::connect(&database).await.unwrap();
            let hallmark_store::Store::Sqlite(pool) = &store else {
                unreachable!()
            };
            sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_one(pool)
                .await
                .unwrap()
        });
        assert_eq!(check, "ok");
    }
    // Every badge verifies against the documents the issuer serves.
    verify_all(port, &database, ROWS);
    drop(server);
}

/// Documents by URL, for the core verifier.
struct Served(HashMap<String, Arc<[u8]>>);

impl Resources for Served {
    fn fetch(&self, url: &str) -> Result<Arc<[u8]>, ResolveError> {
        self.0.get(url).cloned().ok_or_else(|| ResolveError {
            undecided: true,
            detail: format!("{url} not served"),
        })
    }
}

/// Verifies every credential the issuer stored (proof, issuer, status) with the core verifier
/// and the status lists the issuer serves.
fn verify_all(port: u16, database: &str, expected: usize) {
    let badges = documents(database);
    assert_eq!(badges.len(), expected);
    let mut served = HashMap::new();
    for path in [
        "/status/revocation-1",
        "/status/suspension-1",
        "/status/message-3bit-1",
    ] {
        let (status, _, body) = exchange(port, "GET", path, "", None);
        assert_eq!(status, 200, "{path}");
        served.insert(
            format!("http://127.0.0.1:{port}{path}"),
            Arc::<[u8]>::from(body.into_bytes()),
        );
    }
    let served = Served(served);
    let verifier = Verifier::new(time::OffsetDateTime::now_utc());
    for badge in &badges {
        let badge: Value = serde_json::from_str(badge).unwrap();
        let report = verifier.verify_value(&badge, &served);
        assert!(report.verified(), "{}: {report:?}", badge["id"]);
    }
}

#[test]
fn sigkill_during_an_import_on_sqlite() {
    killed_imports_lose_nothing_and_issue_nothing_twice(None, "sqlite");
}

#[test]
fn sigkill_during_an_import_on_postgres() {
    let Some(url) = postgres_database() else {
        eprintln!("skipped: HALLMARK_TEST_POSTGRES_URL is not set");
        return;
    };
    killed_imports_lose_nothing_and_issue_nothing_twice(Some(&url), "postgres");
    // The servers are gone: the database goes too.
    if let (Some(admin), Some((_, name))) =
        (hallmark_testkit::postgres_admin_url(), url.rsplit_once('/'))
    {
        let _ = Command::new("psql")
            .args([
                admin.as_str(),
                "-qc",
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            ])
            .status();
    }
}
