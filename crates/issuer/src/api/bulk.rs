//! `POST /api/v1/approvals/bulk[?dry_run=true]`: many approvals at once, as a JSON array
//! (`application/json`) or a CSV file (`text/csv`); one result per row
//! ([`crate::service::Issuer::approve_bulk`]).

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Issuing;
use super::idempotency::IDEMPOTENCY_KEY;
use super::json_response;
use crate::problem::Problem;
use crate::service::{
    idempotency_key, parse_csv, parse_json, token_hash, ApprovalError, BulkError, Issuer, RowError,
    RowOutcome, RowResult,
};

/// The query of a bulk request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BulkQuery {
    /// Check every row against the program; issue nothing.
    #[serde(default)]
    dry_run: bool,
}

pub(super) async fn approve_bulk(
    Issuing(actor): Issuing,
    State(issuer): State<Issuer>,
    Query(query): Query<BulkQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let max = issuer.config().bulk_max_rows;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let rows = match content_type.as_str() {
        "application/json" => parse_json(&body, max),
        "text/csv" => parse_csv(&body, max),
        _ => {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Expected Content-Type: application/json or text/csv",
                format!("{content_type:?}: send a JSON array of approvals or a CSV file"),
            ))
        }
    }
    .map_err(bulk_problem)?;
    let scope = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim_start().split_once(' '))
        .map(|(_, token)| token_hash(token.trim()))
        .unwrap_or_default();
    let key = headers
        .get(IDEMPOTENCY_KEY)
        .and_then(|v| idempotency_key(v.as_bytes()).ok());
    let results = issuer
        .approve_bulk(&actor, &scope, key.as_deref(), rows, query.dry_run)
        .await;
    let mut counts = [0usize; 6];
    let rendered: Vec<Value> = results
        .iter()
        .map(|r| {
            let (i, value) = row_json(&issuer, r);
            counts[i] += 1;
            value
        })
        .collect();
    let [issued, refused, replayed, would_issue, in_flight, deferred] = counts;
    let mut response = json_response(
        StatusCode::OK,
        &json!({
            "dryRun": query.dry_run, "rows": results.len(), "issued": issued, "refused": refused,
            "replayed": replayed, "wouldIssue": would_issue, "inFlight": in_flight, "deferred": deferred,
            "results": rendered,
        }),
    );
    if in_flight + deferred > 0 {
        // Rows to send again: this answer is not the request's final one.
        response
            .extensions_mut()
            .insert(super::idempotency::Incomplete);
    }
    Ok(response)
}

/// A whole request refused.
fn bulk_problem(e: BulkError) -> Problem {
    match e {
        BulkError::TooManyRows { max, .. } => Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-many-rows",
            "Too many rows",
            e.to_string(),
        )
        .with("maxRows", json!(max)),
        BulkError::Malformed(_) => Problem(hallmark_http::Problem::bad_request(e.to_string())),
        _ => Problem::invalid(e.to_string()),
    }
}

/// One row's result, and which count it adds to.
fn row_json(issuer: &Issuer, r: &RowResult) -> (usize, Value) {
    let mut value = json!({"row": r.row, "partner": r.partner});
    if let Some(line) = r.line {
        value["line"] = json!(line);
    }
    let (i, status) = match &r.outcome {
        RowOutcome::Issued(approved) => {
            let row = &approved.credential.row;
            value["credential"] = json!(issuer.credential_url(&row.id));
            value["uuid"] = json!(row.id);
            value["kind"] = json!(approved.kind);
            (0, "issued")
        }
        RowOutcome::Refused(e) => {
            value["problems"] = problems(e);
            (1, "refused")
        }
        RowOutcome::Replayed(receipt) => {
            for name in ["credential", "uuid", "kind"] {
                if let Some(v) = receipt.get(name) {
                    value[name] = v.clone();
                }
            }
            (2, "replayed")
        }
        RowOutcome::WouldIssue(kind) => {
            value["kind"] = json!(kind);
            (3, "would-issue")
        }
        RowOutcome::InFlight => (4, "in-flight"),
        RowOutcome::Deferred => (5, "deferred"),
    };
    value["status"] = json!(status);
    (i, value)
}

/// What a refused row missed: each requirement, or the one reason.
fn problems(e: &RowError) -> Value {
    if let RowError::Approval(ApprovalError::RequirementsNotMet { shortfalls }) = e {
        return json!(shortfalls);
    }
    let requirement = match e {
        RowError::Unreadable(_) => "row",
        RowError::NoPartner | RowError::Partner(_) => "partner",
        RowError::Duplicate(_) | RowError::SamePartnerRole(..) | RowError::SamePartnerAgain(_) => {
            "duplicate"
        }
        RowError::KeyReused(_) | RowError::Claim(_) => "idempotency_key",
        RowError::Approval(ApprovalError::UnknownPartner { .. }) => "partner",
        RowError::Approval(_) => "approval",
    };
    json!([{"requirement": requirement, "detail": e.to_string()}])
}
