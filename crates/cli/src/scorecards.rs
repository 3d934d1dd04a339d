//! `hallmark scorecards import FILE --server URL`: partners' quarterly scorecards (a CSV
//! file with the header `partner_id,period,<metrics…>`, or a JSON array) sent to an issuer's
//! `POST /api/v1/scorecards` in one request.
//!
//! The issuer takes the file whole or not at all: when a row is refused (an unknown partner,
//! a period that is not `YYYY-Qn`, a metric out of range), nothing is written and every
//! refused row is listed, so the file can be fixed and sent again; sending it again after a
//! success replaces the same scorecards with the same values. Exit 0 when imported, 1 when
//! rows were refused, 2 when the import could not run.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::error::{output, CliError};

/// The largest file read (the issuer takes at most its `bulk_max_bytes` and 10,000 rows).
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// `hallmark scorecards` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Send a file of scorecards to an issuer (POST /api/v1/scorecards): all rows or none.
    /// The token (issuer or admin role) is read from HALLMARK_TOKEN. Exit 0: imported; 1:
    /// rows refused (each listed, nothing written); 2: the import could not run.
    Import {
        /// The file: CSV with the header partner_id,period and any of the metrics win_rate,
        /// first_pass_quality, rework, nps, margin, attach_rate, influenced_pipeline, nrr,
        /// csat (an empty cell: not measured); or, named *.json, a JSON array of objects
        /// with those keys. Periods are quarters, YYYY-Qn.
        file: PathBuf,
        /// The issuer's base URL, e.g. https://partners.example or http://127.0.0.1:8080.
        #[arg(long)]
        server: String,
        /// Print the issuer's answer as JSON instead of the summary.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `hallmark scorecards …`.
///
/// # Errors
/// [`CliError::Usage`], [`CliError::Read`], or [`CliError::Scorecards`] when the import
/// could not run (the file, the server, the token).
pub fn run(command: Command) -> Result<u8, CliError> {
    let Command::Import { file, server, json } = command;
    let crate::approvals::Upload {
        token,
        base,
        bytes: body,
    } = crate::approvals::upload(&server, &file, MAX_FILE_BYTES, CliError::Scorecards)?;
    let is_json = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let content_type = if is_json {
        "application/json"
    } else {
        "text/csv"
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Scorecards(format!("cannot start: {e}")))?;
    let (status, answer) = runtime.block_on(send(&base, &token, content_type, body))?;
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{answer}").map_err(output)?;
    }
    match status {
        200 => {
            if !json {
                let rows = answer["rows"].as_array().map_or(0, Vec::len);
                writeln!(
                    out,
                    "{rows} scorecard(s) imported: {} created, {} replaced",
                    answer["created"], answer["replaced"]
                )
                .map_err(output)?;
            }
            Ok(0)
        }
        422 if answer["rows"].is_array() => {
            if !json {
                let mut err = std::io::stderr().lock();
                let rows = answer["rows"].as_array().map_or(&[][..], Vec::as_slice);
                let _ = writeln!(err, "{} row(s) refused; nothing was imported:", rows.len());
                for r in rows {
                    let detail = r["detail"].as_str().unwrap_or_default();
                    let _ = writeln!(err, "  row {}: {detail}", r["row"]);
                }
            }
            Ok(1)
        }
        _ => Err(CliError::Scorecards(format!(
            "the issuer answered {status}: {}",
            answer["detail"]
                .as_str()
                .map_or_else(|| answer.to_string(), str::to_owned)
        ))),
    }
}

/// POSTs the file; the status and the answer as JSON.
async fn send(
    base: &str,
    token: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Result<(u16, Value), CliError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .user_agent(concat!("hallmark/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| CliError::Scorecards(format!("cannot build the HTTP client: {e}")))?;
    let endpoint = format!("{base}/api/v1/scorecards");
    let response = client
        .post(&endpoint)
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .map_err(|e| {
            CliError::Scorecards(format!("{endpoint}: {}", crate::approvals::without_url(&e)))
        })?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await.map_err(|e| {
        CliError::Scorecards(format!("{endpoint}: {}", crate::approvals::without_url(&e)))
    })?;
    let answer = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
        Value::String(String::from_utf8_lossy(&bytes[..bytes.len().min(500)]).into_owned())
    });
    Ok((status, answer))
}
