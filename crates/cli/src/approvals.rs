//! `hallmark approvals import FILE.csv --server URL`: a spreadsheet of approvals sent to an
//! issuer's `POST /api/v1/approvals/bulk` in batches, with a progress bar and a summary.
//!
//! Each row gets an idempotency key derived from its cells (the header's column names and
//! the row's bytes, SHA-256), so re-running an interrupted import — or the same file with
//! refused rows fixed — issues only the rows not issued yet: the others are answered
//! `replayed`. Rows the issuer could not take yet (`in-flight`, `deferred`) and batches that
//! failed in transit are sent again. Exit 0 when every row is issued (or was already), 1 when
//! some were refused, 2 when the import could not run.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{output, CliError};

/// The environment variable holding the admin API token.
const TOKEN_ENV: &str = "HALLMARK_TOKEN";

/// Rows per request (the issuer takes at most its `bulk_max_rows`, 1,000 by default).
const DEFAULT_BATCH: usize = 500;

/// Times a batch is sent before the import gives up.
const ATTEMPTS: u32 = 6;

/// The largest file read.
const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// `hallmark approvals` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Send a CSV file of approvals to an issuer (POST /api/v1/approvals/bulk), in batches,
    /// with a progress bar and a summary. The token is read from HALLMARK_TOKEN. Re-running
    /// the same file issues only the rows not issued yet. Exit 0: every row issued; 1: some
    /// rows refused; 2: the import could not run.
    Import {
        /// The CSV file: a header row naming the columns (partner_id or partner_name and
        /// partner_url, tier, role, competencies, exam_score, demo_level, references,
        /// approver, approved_at, renewal), one approval a row.
        file: PathBuf,
        /// The issuer's base URL, e.g. https://partners.example or http://127.0.0.1:8080.
        #[arg(long)]
        server: String,
        /// Check every row against the program; issue nothing.
        #[arg(long)]
        dry_run: bool,
        /// Rows per request.
        #[arg(long, default_value_t = DEFAULT_BATCH)]
        batch: usize,
        /// Print one JSON object per row (JSON Lines) as results arrive, instead of the
        /// summary table.
        #[arg(long)]
        json: bool,
    },
}

/// One data row of the file: its number, line, and bytes.
struct Row {
    number: usize,
    line: u64,
    record: csv::ByteRecord,
}

/// Runs `hallmark approvals …`.
///
/// # Errors
/// [`CliError::Usage`], [`CliError::Read`], or [`CliError::Import`] when the import could not
/// run (the file, the server, the token).
pub fn run(command: Command) -> Result<u8, CliError> {
    let Command::Import {
        file,
        server,
        dry_run,
        batch,
        json,
    } = command;
    if batch == 0 || batch > 10_000 {
        return Err(CliError::Usage {
            flag: "--batch",
            message: format!("{batch}: must be between 1 and 10000"),
        });
    }
    let Upload { token, base, bytes } = upload(&server, &file, MAX_FILE_BYTES, CliError::Import)?;
    let (header, rows) = read_csv(&bytes)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Import(format!("cannot start: {e}")))?;
    let importer = Importer::new(&base, &token, header, dry_run)?;
    runtime.block_on(importer.run(rows, batch, json))
}

/// The header and data rows of a CSV file (RFC 4180; a quoted cell may hold newlines).
fn read_csv(bytes: &[u8]) -> Result<(csv::ByteRecord, Vec<Row>), CliError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.byte_records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(CliError::Import(format!("the header row: {e}"))),
        None => {
            return Err(CliError::Import(
                "the file is empty: it needs a header row and one approval a row".into(),
            ))
        }
    };
    let mut rows = Vec::new();
    for (i, record) in records.enumerate() {
        let record = record.map_err(|e| CliError::Import(format!("row {}: {e}", i + 1)))?;
        if record.len() == 1 && record.get(0).is_some_and(<[u8]>::is_empty) {
            continue;
        }
        let line = record.position().map_or(0, csv::Position::line);
        rows.push(Row {
            number: rows.len() + 1,
            line,
            record,
        });
    }
    if rows.is_empty() {
        return Err(CliError::Import("no rows after the header".into()));
    }
    Ok((header, rows))
}

/// The idempotency key of a row: its cells under the header's column names, hashed.
fn row_key(header: &csv::ByteRecord, record: &csv::ByteRecord) -> String {
    let mut hash = Sha256::new();
    for (name, cell) in header.iter().zip(record.iter()) {
        for part in [name, cell] {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part);
        }
    }
    let digest: String = hash.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("hallmark-import-{digest}")
}

/// What an import counted.
#[derive(Default)]
struct Tally {
    issued: usize,
    replayed: usize,
    would_issue: usize,
    refused: Vec<Value>,
}

struct Importer {
    client: reqwest::Client,
    endpoint: String,
    token: String,
    header: csv::ByteRecord,
    /// The file's own `idempotency_key` column, if it has one (its empty cells get the
    /// derived key).
    keyed: Option<usize>,
    dry_run: bool,
}

impl Importer {
    fn new(
        base: &str,
        token: &str,
        header: csv::ByteRecord,
        dry_run: bool,
    ) -> Result<Self, CliError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("hallmark/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CliError::Import(format!("cannot build the HTTP client: {e}")))?;
        let keyed = header
            .iter()
            .position(|c| c.trim_ascii().eq_ignore_ascii_case(b"idempotency_key"));
        let query = if dry_run { "?dry_run=true" } else { "" };
        Ok(Self {
            client,
            endpoint: format!("{base}/api/v1/approvals/bulk{query}"),
            token: token.to_owned(),
            header,
            keyed,
            dry_run,
        })
    }

    /// The CSV body of `rows`: the header (plus `idempotency_key`) and the rows (plus their
    /// keys).
    fn body(&self, rows: &[&Row]) -> Result<Vec<u8>, CliError> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let add_key = self.keyed.is_none() && !self.dry_run;
        let write = |e: csv::Error| CliError::Import(format!("cannot write a batch: {e}"));
        let mut header = self.header.clone();
        if add_key {
            header.push_field(b"idempotency_key");
        }
        writer.write_byte_record(&header).map_err(write)?;
        for row in rows {
            let mut record = row.record.clone();
            if add_key {
                record.push_field(row_key(&self.header, &row.record).as_bytes());
            }
            // The file's own key column: an empty cell gets the derived key all the same.
            if let (Some(at), false) = (self.keyed, self.dry_run) {
                if record.get(at).is_some_and(|c| c.trim_ascii().is_empty()) {
                    let key = row_key(&self.header, &row.record);
                    record = record
                        .iter()
                        .enumerate()
                        .map(|(i, c)| if i == at { key.as_bytes() } else { c })
                        .collect();
                }
            }
            writer.write_byte_record(&record).map_err(write)?;
        }
        writer
            .into_inner()
            .map_err(|e| CliError::Import(format!("cannot write a batch: {e}")))
    }

    async fn run(&self, rows: Vec<Row>, batch: usize, json: bool) -> Result<u8, CliError> {
        let bar = ProgressBar::new(rows.len() as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:40} {pos}/{len} rows · {per_sec} · {eta} left · {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let mut tally = Tally::default();
        let mut pending: Vec<&Row> = rows.iter().collect();
        let mut stdout = std::io::stdout().lock();
        let mut rounds = 0;
        while !pending.is_empty() {
            rounds += 1;
            let mut again = Vec::new();
            for chunk in pending.chunks(batch) {
                let answer = self.send(chunk).await.inspect_err(|_| bar.abandon())?;
                let results = answer["results"].as_array().cloned().unwrap_or_default();
                for (row, result) in chunk.iter().zip(results) {
                    let status = result["status"].as_str().unwrap_or_default().to_owned();
                    if matches!(status.as_str(), "in-flight" | "deferred") {
                        again.push(*row);
                        continue;
                    }
                    let mut result = result;
                    result["row"] = row.number.into();
                    result["line"] = row.line.into();
                    match status.as_str() {
                        "issued" => tally.issued += 1,
                        "replayed" => tally.replayed += 1,
                        "would-issue" => tally.would_issue += 1,
                        _ => tally.refused.push(result.clone()),
                    }
                    if json {
                        writeln!(stdout, "{result}").map_err(output)?;
                    }
                    bar.inc(1);
                }
                bar.set_message(format!("{} refused", tally.refused.len()));
            }
            if !again.is_empty() {
                if rounds >= ATTEMPTS as usize * 5 {
                    bar.abandon();
                    return Err(CliError::Import(format!("{} rows were still being processed by another import after {rounds} rounds; run the import again later", again.len())));
                }
                // Another request holds their keys (or the issuer ran out of time): wait.
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            pending = again;
        }
        bar.finish_and_clear();
        if !json {
            summary(&mut stdout, &tally, rows.len(), self.dry_run).map_err(output)?;
        }
        stdout.flush().map_err(output)?;
        Ok(u8::from(!tally.refused.is_empty()))
    }

    /// Sends one batch; retries when the issuer is busy, restarting, or unreachable (the
    /// rows' keys make a repeat harmless).
    async fn send(&self, rows: &[&Row]) -> Result<Value, CliError> {
        let body = self.body(rows)?;
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(500 << attempt.min(4))).await;
            }
            let sent = self
                .client
                .post(&self.endpoint)
                .bearer_auth(&self.token)
                .header("content-type", "text/csv")
                .body(body.clone())
                .send()
                .await;
            let response = match sent {
                Ok(r) => r,
                Err(e) => {
                    last = format!("cannot reach {}: {}", self.endpoint, without_url(&e));
                    continue;
                }
            };
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            if status.is_success() {
                return serde_json::from_str(&text).map_err(|e| {
                    CliError::Import(format!("the issuer's answer is not the bulk result: {e}"))
                });
            }
            let problem: Value = serde_json::from_str(&text).unwrap_or_default();
            let detail = problem["detail"].as_str().unwrap_or(&text).to_owned();
            last = format!(
                "{} {}: {detail}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            );
            // Busy, timed out or restarting: try again; anything else is final.
            if !(status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429) {
                break;
            }
        }
        Err(CliError::Import(last))
    }
}

/// A reqwest error's text without the URL (already named), with its causes.
pub(crate) fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text
            .replace(&format!(" ({url})"), "")
            .replace(url.as_str(), "");
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

/// The summary: counts, then each refused row and what it missed.
fn summary(out: &mut impl Write, tally: &Tally, rows: usize, dry_run: bool) -> std::io::Result<()> {
    if dry_run {
        writeln!(
            out,
            "{rows} rows checked: {} would be issued, {} refused (dry run: nothing issued)",
            tally.would_issue,
            tally.refused.len()
        )?;
    } else {
        writeln!(
            out,
            "{rows} rows: {} issued, {} already issued, {} refused",
            tally.issued,
            tally.replayed,
            tally.refused.len()
        )?;
    }
    if tally.refused.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:>6}  {:>6}  {:<18}  PROBLEM",
        "ROW", "LINE", "REQUIREMENT"
    )?;
    for r in &tally.refused {
        for p in r["problems"].as_array().into_iter().flatten() {
            writeln!(
                out,
                "{:>6}  {:>6}  {:<18}  {}",
                r["row"].as_u64().unwrap_or(0),
                r["line"].as_u64().unwrap_or(0),
                p["requirement"].as_str().unwrap_or(""),
                p["detail"].as_str().unwrap_or("").replace('\n', " ")
            )?;
        }
    }
    Ok(())
}

/// What an import command sends: the API token (from [`TOKEN_ENV`]), the server's base URL
/// (http or https, no trailing slash) and the file's bytes.
pub(crate) struct Upload {
    /// The bearer token.
    pub token: String,
    /// The issuer's base URL.
    pub base: String,
    /// The file, read whole.
    pub bytes: Vec<u8>,
}

/// Reads what an import command (`approvals import`, `scorecards import`) needs before it
/// sends: the token, the `--server` URL, and `file` of at most `max` bytes.
///
/// # Errors
/// [`CliError::Usage`] for a `--server` that is not an http(s) URL, [`CliError::Read`] for an
/// unreadable file, and the command's own error (`fail`) for a missing token or a file too
/// large.
pub(crate) fn upload(
    server: &str,
    file: &std::path::Path,
    max: u64,
    fail: fn(String) -> CliError,
) -> Result<Upload, CliError> {
    let token = std::env::var(TOKEN_ENV).map_err(|_| {
        fail(format!(
            "{TOKEN_ENV} is not set: export an API token of the issuer or admin role (hallmark token create NAME --role issuer)"
        ))
    })?;
    let base = server.trim_end_matches('/').to_owned();
    let url = url::Url::parse(&base).map_err(|e| CliError::Usage {
        flag: "--server",
        message: format!("{server:?}: {e}"),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(CliError::Usage {
            flag: "--server",
            message: format!("{server:?}: must be an http(s) URL"),
        });
    }
    let read = |source| CliError::Read {
        path: file.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(file).map_err(read)?.len();
    if size > max {
        return Err(fail(format!(
            "{}: {size} bytes; files up to {max} bytes are imported",
            file.display()
        )));
    }
    let bytes = std::fs::read(file).map_err(read)?;
    Ok(Upload { token, base, bytes })
}
