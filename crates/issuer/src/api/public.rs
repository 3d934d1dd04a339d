//! The public, read-only documents: badges, status lists, the DID document, the health
//! check, and the problem for an unknown path.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use crate::problem::Problem;
use crate::service::Issuer;

/// A status list credential, cacheable for its `ttl`.
pub(super) async fn status_list(
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let row = issuer.status_list(&id).await?;
    let cache = format!("public, max-age={}", issuer.config().status_ttl_seconds);
    let headers = [
        (header::CONTENT_TYPE, "application/json".to_owned()),
        (header::CACHE_CONTROL, cache),
    ];
    Ok((StatusCode::OK, headers, row.document).into_response())
}

pub(super) async fn did_document(State(issuer): State<Issuer>) -> Result<Json<Value>, Problem> {
    Ok(Json(issuer.did_document()?))
}

pub(super) async fn health() -> &'static str {
    "ok"
}

pub(super) async fn not_found() -> Problem {
    Problem::not_found("no such endpoint; the API is under /api/v1, badges under /credentials/{id}, status lists under /status/{list}")
}
