//! The public, read-only documents: badges, status lists, the DID document, the health
//! check, and the problem for an unknown path. The documents carry a strong `ETag` (a hash of
//! the bytes; a matching `If-None-Match` gets 304) so a CDN or cache can front them.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::problem::Problem;
use crate::service::Issuer;

/// The strong entity tag of a document's bytes: 128 bits of their SHA-256, quoted.
pub(crate) fn etag_of(body: &[u8]) -> String {
    let hash = Sha256::digest(body);
    let hex: String = hash[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether `If-None-Match` names `etag` (weak comparison, RFC 9110 §13.1.2) or is `*`.
fn not_modified(request: &HeaderMap, etag: &str) -> bool {
    request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
        })
}

/// A public JSON document: `Content-Type: application/json`, its `ETag`, 304 for a matching
/// `If-None-Match`, and `Cache-Control: cache` when given (else the router's default).
pub(crate) fn json_document(request: &HeaderMap, cache: Option<String>, body: String) -> Response {
    let etag = etag_of(body.as_bytes());
    let mut response = if not_modified(request, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, body).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    if let Some(value) = cache.and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.insert(header::CACHE_CONTROL, value);
    }
    response
}

/// A status list credential, cacheable for its `ttl`.
pub(super) async fn status_list(
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
    request: HeaderMap,
) -> Result<Response, Problem> {
    let row = issuer.status_list(&id).await?;
    let cache = format!("public, max-age={}", issuer.config().status_ttl_seconds);
    Ok(json_document(&request, Some(cache), row.document))
}

/// The did:web document, read from the key registry per request, cacheable for the status
/// lists' `ttl` (a revoked key leaves caches within it).
pub(super) async fn did_document(
    State(issuer): State<Issuer>,
    request: HeaderMap,
) -> Result<Response, Problem> {
    let body = issuer.did_document_text().await?;
    let cache = format!("public, max-age={}", issuer.config().status_ttl_seconds);
    Ok(json_document(&request, Some(cache), body))
}

pub(super) async fn health() -> &'static str {
    "ok"
}

pub(super) async fn not_found() -> Problem {
    Problem::not_found("no such endpoint; the API is under /api/v1, badges under /credentials/{id}, status lists under /status/{list}")
}
