//! `GET /api/v1/audit`: the audit log, newest first, filtered and a page at a time.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde_json::json;

use super::auth::Viewer;
use super::{listing, ApiQuery};
use crate::problem::Problem;
use crate::service::{AuditQuery, Issuer};

/// `GET /api/v1/audit[?actor=&action=&subject=&before=&since=&limit=&after=]`.
pub(super) async fn list(
    _: Viewer,
    State(issuer): State<Issuer>,
    ApiQuery(q): ApiQuery<AuditQuery>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let page = issuer.audit_page(&q).await?;
    let items = page.items.iter().map(|e| json!(e)).collect();
    Ok(listing(
        "/api/v1/audit",
        raw.as_deref(),
        items,
        page.next.as_ref(),
    ))
}
