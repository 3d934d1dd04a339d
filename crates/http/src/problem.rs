//! RFC 9457 problem details (`application/problem+json`): the one builder of every error
//! response of both services. Services map their own errors onto a [`Problem`]; the
//! [`crate::layers`] middleware turns any error response that is not one (axum's rejections,
//! 405, 408, 413, 429) into one.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

/// The media type of problem details (RFC 9457 §3).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error as problem details: `type` is `urn:hallmark:problem:{slug}`.
#[derive(Debug, Clone)]
#[must_use]
pub struct Problem {
    /// HTTP status.
    pub status: StatusCode,
    /// A short slug naming the kind of problem.
    pub slug: &'static str,
    /// A short summary.
    pub title: &'static str,
    /// What happened and what to do.
    pub detail: String,
    /// Extension members (RFC 9457 §3.2).
    pub extensions: Map<String, Value>,
    /// Seconds for a `Retry-After` header (503, 429).
    pub retry_after: Option<u64>,
}

impl Problem {
    /// A problem with no extension members.
    pub fn new(
        status: StatusCode,
        slug: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            slug,
            title,
            detail: detail.into(),
            extensions: Map::new(),
            retry_after: None,
        }
    }

    /// Adds an extension member.
    pub fn with(mut self, name: &str, value: Value) -> Self {
        self.extensions.insert(name.to_owned(), value);
        self
    }

    /// Asks the client to retry after `seconds` (a `Retry-After` header).
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// 400: the request itself is malformed.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Bad request",
            detail,
        )
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    /// 401 (with `WWW-Authenticate: Bearer`).
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Missing or invalid token",
            detail,
        )
    }

    /// 422: well-formed, but not acceptable.
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "Invalid request",
            detail,
        )
    }

    /// 503 with `Retry-After`: too busy now, try again shortly.
    pub fn overloaded(detail: impl Into<String>, retry_after: u64) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "Overloaded",
            detail,
        )
        .retry_after(retry_after)
    }

    /// 500 without internals: `error` is logged, not returned.
    pub fn internal(context: &str, error: &dyn std::fmt::Display) -> Self {
        tracing::error!("{context}: {error}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            format!("{context} failed; see the server log"),
        )
    }

    /// The generic problem for a status, for error responses that came without one.
    pub fn for_status(status: StatusCode, detail: impl Into<String>) -> Self {
        let (slug, title) = match status {
            StatusCode::BAD_REQUEST => ("bad-request", "Bad request"),
            StatusCode::UNAUTHORIZED => ("unauthorized", "Missing or invalid token"),
            StatusCode::FORBIDDEN => ("forbidden", "Forbidden"),
            StatusCode::NOT_FOUND => ("not-found", "Not found"),
            StatusCode::METHOD_NOT_ALLOWED => ("method-not-allowed", "Method not allowed"),
            StatusCode::NOT_ACCEPTABLE => ("not-acceptable", "Not acceptable"),
            StatusCode::REQUEST_TIMEOUT => ("timeout", "Request timeout"),
            StatusCode::CONFLICT => ("conflict", "Conflict"),
            StatusCode::LENGTH_REQUIRED => ("length-required", "Length required"),
            StatusCode::PAYLOAD_TOO_LARGE => ("too-large", "Request body too large"),
            StatusCode::URI_TOO_LONG => ("uri-too-long", "URI too long"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ("unsupported-media-type", "Unsupported media type")
            }
            StatusCode::UNPROCESSABLE_ENTITY => ("invalid", "Invalid request"),
            StatusCode::TOO_MANY_REQUESTS => ("rate-limited", "Too many requests"),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => {
                ("headers-too-large", "Request header fields too large")
            }
            StatusCode::SERVICE_UNAVAILABLE => ("overloaded", "Overloaded"),
            StatusCode::GATEWAY_TIMEOUT => ("timeout", "Timeout"),
            s if s.is_server_error() => ("internal", "Internal error"),
            _ => ("error", "Error"),
        };
        Self::new(status, slug, title, detail)
    }

    /// The body: `type`, `title`, `status`, `detail` and the extension members.
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "type": format!("urn:hallmark:problem:{}", self.slug),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let Value::Object(map) = &mut body {
            for (k, v) in &self.extensions {
                map.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        body
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.to_json().to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.title,
            self.detail
        )
    }
}

impl std::error::Error for Problem {}
