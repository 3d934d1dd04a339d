//! Errors as RFC 9457 problem details (`application/problem+json`): every error the service
//! returns names what went wrong; none is a bare 500 with a stack trace.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// An API error, rendered as problem details.
#[derive(Debug)]
pub struct Problem {
    /// HTTP status.
    pub status: StatusCode,
    /// A short slug: the `type` is `urn:hallmark:problem:{slug}`.
    pub slug: &'static str,
    /// A short summary.
    pub title: &'static str,
    /// What happened and what to do.
    pub detail: String,
    /// Extension members.
    pub extra: Option<(&'static str, Value)>,
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
            extra: None,
        }
    }

    /// Adds an extension member.
    #[must_use]
    pub fn with(mut self, name: &'static str, value: Value) -> Self {
        self.extra = Some((name, value));
        self
    }

    /// 404.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", what)
    }

    /// 401, with a hint.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Missing or invalid token",
            detail,
        )
    }

    /// 422.
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "Invalid request",
            detail,
        )
    }

    /// 500 without internals: the detail is logged, not returned.
    pub fn internal(context: &str, error: &dyn std::fmt::Display) -> Self {
        tracing::error!("{context}: {error}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            format!("{context} failed; see the server log"),
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut body = json!({
            "type": format!("urn:hallmark:problem:{}", self.slug),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let Some((name, value)) = self.extra {
            body[name] = value;
        }
        let mut response = (self.status, body.to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<hallmark_store::StoreError> for Problem {
    fn from(e: hallmark_store::StoreError) -> Self {
        match e {
            hallmark_store::StoreError::NotFound(what) => Self::not_found(what),
            hallmark_store::StoreError::Conflict(what) => {
                Self::new(StatusCode::CONFLICT, "conflict", "Conflict", what)
            }
            hallmark_store::StoreError::Refused(what) => Self::invalid(what),
            other => Self::internal("the database", &other),
        }
    }
}
