//! The issuer's errors as RFC 9457 problem details: the shared builder
//! ([`hallmark_http::Problem`]) with the issuer's own mappings (the store's errors, the
//! blocking pool's). Every error the service returns names what went wrong; none is a bare
//! 500 with a stack trace.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// An API error, rendered as problem details by [`hallmark_http::Problem`].
#[derive(Debug)]
pub struct Problem(pub hallmark_http::Problem);

impl Problem {
    /// A problem with no extension members.
    pub fn new(
        status: StatusCode,
        slug: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self(hallmark_http::Problem::new(status, slug, title, detail))
    }

    /// Adds an extension member.
    #[must_use]
    pub fn with(self, name: &'static str, value: Value) -> Self {
        Self(self.0.with(name, value))
    }

    /// 404.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self(hallmark_http::Problem::not_found(what))
    }

    /// 401, with a hint.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self(hallmark_http::Problem::unauthorized(detail))
    }

    /// 422.
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self(hallmark_http::Problem::invalid(detail))
    }

    /// 500 without internals: the detail is logged, not returned.
    pub fn internal(context: &str, error: &dyn std::fmt::Display) -> Self {
        Self(hallmark_http::Problem::internal(context, error))
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl From<hallmark_http::Problem> for Problem {
    fn from(p: hallmark_http::Problem) -> Self {
        Self(p)
    }
}

impl From<hallmark_http::PoolError> for Problem {
    fn from(e: hallmark_http::PoolError) -> Self {
        Self(e.into())
    }
}

impl From<hallmark_store::StoreError> for Problem {
    fn from(e: hallmark_store::StoreError) -> Self {
        match e {
            hallmark_store::StoreError::NotFound(what) => Self::not_found(what.to_string()),
            hallmark_store::StoreError::Conflict { taken, .. } => Self::new(
                StatusCode::CONFLICT,
                "conflict",
                "Conflict",
                taken.to_string(),
            ),
            hallmark_store::StoreError::StatusUpdate { source, .. } => {
                Self::invalid(source.to_string())
            }
            other => Self::internal("the database", &other),
        }
    }
}
