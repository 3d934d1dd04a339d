//! The issuer's errors as RFC 9457 problem details: the shared builder
//! ([`hallmark_http::Problem`]) with the one mapping of every service error (and the store's
//! and the blocking pool's) onto a status, a slug, a title and a detail. Every error the
//! service returns names what went wrong; none is a bare 500 with a stack trace.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::service::QueryError;
use crate::service::{
    ApprovalError, AuthError, CheckError, DirectoryError, IssueError, LookupError, PageError,
    PartnerError, ReissueError, StatusChangeError, TokenError, VcIssueError, WebhookError,
};

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

    /// 409: the resource's state does not allow the change.
    fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", "Conflict", detail)
    }

    /// 422 whose detail is the error's message.
    fn invalid_because(e: &dyn std::fmt::Display) -> Self {
        Self::invalid(e.to_string())
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
            hallmark_store::StoreError::Conflict { taken, .. } => Self::conflict(taken.to_string()),
            hallmark_store::StoreError::InvalidCursor(e) => Self::new(
                StatusCode::BAD_REQUEST,
                "bad-query",
                "The listing's parameters were refused",
                format!("after: {e}"),
            ),
            hallmark_store::StoreError::StatusUpdate { source, .. } => {
                Self::invalid(source.to_string())
            }
            other => Self::internal("the database", &other),
        }
    }
}

impl From<AuthError> for Problem {
    fn from(e: AuthError) -> Self {
        let hint = "send Authorization: Bearer <token>; create one with `hallmark token create`";
        match e {
            AuthError::Store(e) => e.into(),
            AuthError::Forbidden { role, needed, .. } => Self::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "The token's role may not do this",
                e.to_string(),
            )
            .with("required", Value::from(needed.as_str()))
            .with("role", Value::from(role.as_str())),
            e => Self::unauthorized(format!("{e}: {hint}")),
        }
    }
}

impl From<CheckError> for Problem {
    fn from(e: CheckError) -> Self {
        match e {
            CheckError::Lookup(e) => e.into(),
            CheckError::Pool(e) => e.into(),
        }
    }
}

impl From<LookupError> for Problem {
    fn from(e: LookupError) -> Self {
        match e {
            LookupError::Store(e) => e.into(),
            e => Self::not_found(e.to_string()),
        }
    }
}

impl From<DirectoryError> for Problem {
    fn from(e: DirectoryError) -> Self {
        match e {
            DirectoryError::Store(e) => e.into(),
            e => Self::new(
                StatusCode::BAD_REQUEST,
                "bad-search",
                "The directory search was refused",
                e.to_string(),
            ),
        }
    }
}

impl From<QueryError> for Problem {
    fn from(e: QueryError) -> Self {
        match e {
            QueryError::Store(e) => e.into(),
            e => Self::new(
                StatusCode::BAD_REQUEST,
                "bad-query",
                "The listing's parameters were refused",
                e.to_string(),
            ),
        }
    }
}

impl From<PageError> for Problem {
    fn from(e: PageError) -> Self {
        Self::not_found(e.to_string())
    }
}

impl From<PartnerError> for Problem {
    fn from(e: PartnerError) -> Self {
        match e {
            PartnerError::Randomness(e) => Self::internal("randomness", &e),
            PartnerError::Store(e) => e.into(),
            e @ PartnerError::NotFound { .. } => Self::not_found(e.to_string()),
            e => Self::invalid_because(&e),
        }
    }
}

impl From<TokenError> for Problem {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Randomness(e) => Self::internal("randomness", &e),
            TokenError::Store(e) => e.into(),
            e @ TokenError::NotFound(_) => Self::not_found(e.to_string()),
            e @ TokenError::Ambiguous { .. } => Self::conflict(e.to_string()),
            e => Self::invalid_because(&e),
        }
    }
}

impl From<WebhookError> for Problem {
    fn from(e: WebhookError) -> Self {
        match e {
            WebhookError::Randomness(e) => Self::internal("randomness", &e),
            WebhookError::Store(e) => e.into(),
            e @ WebhookError::NotFound { .. } => Self::not_found(e.to_string()),
            e => Self::invalid_because(&e),
        }
    }
}

impl From<ApprovalError> for Problem {
    fn from(e: ApprovalError) -> Self {
        match e {
            ApprovalError::UnknownPartner { .. } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown-partner",
                "Unknown partner",
                e.to_string(),
            ),
            ApprovalError::RequirementsNotMet { ref shortfalls } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "requirements-not-met",
                "The approval does not meet the tier's requirements",
                e.to_string(),
            )
            .with("shortfalls", serde_json::json!(shortfalls)),
            ApprovalError::Suspended { .. } | ApprovalError::Contended { .. } => {
                Self::conflict(e.to_string())
            }
            ApprovalError::Randomness(e) => Self::internal("randomness", &e),
            ApprovalError::Issue(e) => e.into(),
            ApprovalError::Store(e) => e.into(),
            e => Self::invalid_because(&e),
        }
    }
}

impl From<IssueError> for Problem {
    fn from(e: IssueError) -> Self {
        match e {
            IssueError::Badge(_) | IssueError::Credential(_) | IssueError::Sign(_) => {
                Self::invalid_because(&e)
            }
            IssueError::Pool(e) => e.into(),
            IssueError::NoFreeIndex => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "No free status index",
                e.to_string(),
            ),
            IssueError::Store(e) => e.into(),
            IssueError::Keys(e) => Self::internal("keys", &e),
            e => Self::internal("issuance", &e),
        }
    }
}

impl From<StatusChangeError> for Problem {
    fn from(e: StatusChangeError) -> Self {
        match e {
            StatusChangeError::NoCredential { .. } => Self::not_found(e.to_string()),
            StatusChangeError::Revoked { .. }
            | StatusChangeError::AlreadySuspended { .. }
            | StatusChangeError::NotSuspended { .. } => Self::conflict(e.to_string()),
            StatusChangeError::ListMissing { .. } => Self::internal("status", &e),
            StatusChangeError::Store(e) => e.into(),
            StatusChangeError::Keys(e) => Self::internal("keys", &e),
            e => Self::invalid_because(&e),
        }
    }
}

impl From<ReissueError> for Problem {
    fn from(e: ReissueError) -> Self {
        match e {
            ReissueError::NoCredential { .. } => Self::not_found(e.to_string()),
            ReissueError::Revoked { .. }
            | ReissueError::Expired { .. }
            | ReissueError::NotCurrent { .. }
            | ReissueError::TierGone { .. } => Self::conflict(e.to_string()),
            ReissueError::Record { .. } => Self::internal("reissue", &e),
            ReissueError::Approval(e) => e.into(),
            ReissueError::Store(e) => e.into(),
            e => Self::invalid_because(&e),
        }
    }
}

impl From<VcIssueError> for Problem {
    fn from(e: VcIssueError) -> Self {
        match e {
            VcIssueError::Issue(e) => e.into(),
            e => Self::invalid_because(&e),
        }
    }
}
