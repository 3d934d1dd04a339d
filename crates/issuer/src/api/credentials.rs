//! `/api/v1/credentials`: issued credentials with their status.

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::Json;
use serde_json::Value;

use super::auth::Viewer;
use super::{admin_view, listing, ApiQuery};
use crate::problem::Problem;
use crate::service::{CredentialQuery, Issuer};

/// `GET /api/v1/credentials[?partner=&tier=&role=&state=&expiring_before=&expiring_after=&limit=&after=]`:
/// a JSON array of credentials, newest first, or soonest `validUntil` first with
/// `expiring_*`; `Link: <…>; rel="next"` names the next page when there is one.
pub(super) async fn list(
    _: Viewer,
    State(issuer): State<Issuer>,
    ApiQuery(q): ApiQuery<CredentialQuery>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let page = issuer.credential_page(&q).await?;
    let views: Vec<Value> = page.items.iter().map(|r| admin_view(&issuer, r)).collect();
    Ok(listing(
        "/api/v1/credentials",
        raw.as_deref(),
        views,
        page.next.as_ref(),
    ))
}

pub(super) async fn show(
    _: Viewer,
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let row = issuer.credential(&id).await?;
    Ok(Json(admin_view(&issuer, &row)))
}
