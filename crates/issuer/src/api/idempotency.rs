//! The `Idempotency-Key` request header (draft-ietf-httpapi-idempotency-key-header) on every
//! `POST` of the admin API and the VC API: the first request with a key runs and its response
//! is stored; the same key with the same request gets that response again
//! (`Idempotent-Replayed: true`), with another request 422, while the first is still running
//! 409. Keys are per caller (a hash of its token). Nothing is stored for a request whose
//! change did not commit (an error, a refusal): its key may be used again.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hallmark_store::{with_claim, Claimed, StoredResponse};
use serde_json::json;

use crate::problem::Problem;
use crate::service::{fingerprint, idempotency_key, token_hash, Issuer};

/// The request header.
pub(super) const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// The response header of a replayed response.
pub(super) const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// The largest response stored for a replay (a bulk request's results).
const MAX_STORED_RESPONSE: usize = 16 * 1024 * 1024;

/// The response headers a replay repeats.
const KEPT_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::LOCATION, header::LINK];

/// Whether `request` is one the header applies to: a `POST` of the admin or VC API.
fn applies(request: &Request) -> bool {
    request.method() == Method::POST
        && (request.uri().path().starts_with("/api/")
            || request.uri().path() == "/credentials/issue")
}

/// The caller's scope: a hash of a valid bearer token, or `open` on the VC API's issue
/// endpoint when it takes no token. `None`: the request will be refused anyway (no or a bad
/// token), so no key is claimed for it.
async fn scope(issuer: &Issuer, headers: &axum::http::HeaderMap, path: &str) -> Option<String> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim_start().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    if let Some(token) = token {
        if issuer.authenticate(token).await.is_ok() {
            return Some(token_hash(token));
        }
    }
    // The open issue endpoint issues for anyone (a bad token is not looked at): one scope
    // for all its callers, who cannot be told apart.
    (issuer.config().open_issue_endpoint && path == "/credentials/issue").then(|| "open".to_owned())
}

/// The middleware: see the module docs.
pub(super) async fn idempotency(
    State(issuer): State<Issuer>,
    request: Request,
    next: Next,
) -> Response {
    if !applies(&request) {
        return next.run(request).await;
    }
    let Some(value) = request.headers().get(IDEMPOTENCY_KEY) else {
        return next.run(request).await;
    };
    let key = match idempotency_key(value.as_bytes()) {
        Ok(key) => key,
        Err(e) => {
            return Problem::new(
                StatusCode::BAD_REQUEST,
                "bad-idempotency-key",
                "Bad Idempotency-Key",
                e.to_string(),
            )
            .into_response()
        }
    };
    let (parts, body) = request.into_parts();
    let Some(scope) = scope(&issuer, &parts.headers, parts.uri.path()).await else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let config = issuer.config();
    // The routes that take the bulk size (their own `DefaultBodyLimit` in the router).
    let limit = if matches!(
        parts.uri.path(),
        "/api/v1/approvals/bulk" | "/api/v1/scorecards"
    ) {
        config.bulk_max_bytes
    } else {
        config.max_body_bytes
    };
    let Ok(body) = to_bytes(body, limit).await else {
        return Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "Request body too large",
            format!("the body is larger than {limit} bytes"),
        )
        .into_response();
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let path = parts.uri.path_and_query().map_or("", |p| p.as_str());
    let print = fingerprint(parts.method.as_str(), path, content_type, &body);
    let (mark, claimed) = match issuer.claim_idempotency_key(&scope, &key, &print).await {
        Ok(claim) => claim,
        Err(e) => return Problem::internal("claiming the idempotency key", &e).into_response(),
    };
    match claimed {
        Claimed::Fresh => {}
        Claimed::Replay(stored) => return replay(&stored),
        Claimed::Committed { subject } => return recovered(&issuer, &subject).await,
        Claimed::Mismatch => {
            return Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency-Key reused",
                format!("the Idempotency-Key {key:?} was used with another request (another method, path or body); use a new key for a new request"),
            )
            .into_response()
        }
        Claimed::InFlight { until } => {
            let wait = until.saturating_sub(time::OffsetDateTime::now_utc().unix_timestamp());
            return Problem(
                hallmark_http::Problem::new(
                    StatusCode::CONFLICT,
                    "idempotency-in-flight",
                    "Request in flight",
                    format!("a request with the Idempotency-Key {key:?} is still being processed; retry when it is done"),
                )
                .retry_after(u64::try_from(wait.clamp(1, 60)).unwrap_or(1)),
            )
            .into_response();
        }
    }
    let token_route = parts.uri.path() == "/api/v1/tokens";
    let request = Request::from_parts(parts, Body::from(body));
    let response = with_claim(mark.clone(), next.run(request)).await;
    if response.extensions().get::<Incomplete>().is_some() {
        // Rows left to send again: the request's key is freed (its rows keep their own).
        if let Err(e) = issuer.release_idempotency_key(&mark).await {
            tracing::warn!(error = %e, "could not free the idempotency key of an incomplete request");
        }
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(body) = to_bytes(body, MAX_STORED_RESPONSE).await else {
        // Too large to keep: the change (if any) stands, its key answers as committed.
        let _ = issuer
            .finish_idempotency_key(&mark, &stored(parts.status, &parts.headers, &[]))
            .await;
        return Problem::internal("storing the response", &"it is too large").into_response();
    };
    let mut kept = stored(parts.status, &parts.headers, &body);
    if token_route {
        kept.body = without_secret(&kept.body);
    }
    if let Err(e) = issuer.finish_idempotency_key(&mark, &kept).await {
        // The change committed; a retry is told so (Claimed::Committed) once the lease ends.
        tracing::warn!(error = %e, "could not store the response of an idempotent request");
    }
    Response::from_parts(parts, Body::from(body))
}

/// A response marked so by its handler is not kept under its key (a bulk request with rows
/// to send again): a retry with the key runs again.
#[derive(Debug, Clone, Copy)]
pub(super) struct Incomplete;

/// A new token's answer without its secret: the secret is shown once and never stored (only
/// its hash is); a replay says so.
fn without_secret(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(mut value) if value.get("secret").is_some() => {
            value["secret"] = serde_json::Value::Null;
            value["secretNotStored"] = json!("the token's secret was shown once, in the first answer, and is not kept; revoke this token and create another if it was lost");
            value.to_string()
        }
        _ => body.to_owned(),
    }
}

/// What a replay needs of a response.
fn stored(status: StatusCode, headers: &axum::http::HeaderMap, body: &[u8]) -> StoredResponse {
    StoredResponse {
        status: status.as_u16(),
        headers: KEPT_HEADERS
            .iter()
            .filter_map(|name| {
                let value = headers.get(name)?.to_str().ok()?;
                Some((name.as_str().to_owned(), value.to_owned()))
            })
            .collect(),
        body: String::from_utf8_lossy(body).into_owned(),
    }
}

/// The stored response again, marked as a replay.
fn replay(stored: &StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, stored.body.clone()).into_response();
    let headers = response.headers_mut();
    for (name, value) in &stored.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(name, value);
        }
    }
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    response
}

/// The answer to a retry of a request whose change committed but whose response was lost
/// (the server stopped in between): 200 naming what the change made, and the credential's
/// admin URL when it made one.
async fn recovered(issuer: &Issuer, subject: &str) -> Response {
    let credential = issuer.credential(subject).await.ok();
    let body = json!({
        "replayed": true,
        "subject": subject,
        "credential": credential.as_ref().map(|c| issuer.credential_url(&c.id)),
        "detail": "this request was processed and its change committed, but its response was lost when the server stopped; the subject names what it made",
    });
    let mut response = super::json_response(StatusCode::OK, &body);
    response
        .headers_mut()
        .insert(REPLAYED, HeaderValue::from_static("true"));
    if let Some(c) = credential {
        let location = format!("{}/api/v1/credentials/{}", issuer.config().base_url, c.id);
        if let Ok(location) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, location);
        }
    }
    response
}
