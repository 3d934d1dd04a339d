//! `POST /api/v1/approvals`: record an approval; its badge is issued at once, superseding
//! the partner's previous badge for the role (a renewal, an upgrade or a downgrade);
//! `GET /api/v1/approvals[/{id}]`: list (filtered, a page at a time) and read them; and
//! `POST /api/v1/credentials/{id}/reissue`.

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::Json;
use serde_json::{json, Value};

use super::auth::{Issuing, Viewer};
use super::{created, listing, ApiJson, ApiQuery};
use crate::problem::Problem;
use crate::service::{ApprovalQuery, Approved, Issuer, NewApproval};

/// `GET /api/v1/approvals[?partner=&tier=&role=&approved_before=&approved_after=&limit=&after=]`:
/// newest first.
pub(super) async fn list(
    _: Viewer,
    State(issuer): State<Issuer>,
    ApiQuery(q): ApiQuery<ApprovalQuery>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let page = issuer.approval_page(&q).await?;
    let items = page.items.iter().map(|a| json!(a)).collect();
    Ok(listing(
        "/api/v1/approvals",
        raw.as_deref(),
        items,
        page.next.as_ref(),
    ))
}

pub(super) async fn show(
    _: Viewer,
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    Ok(Json(json!(issuer.approval(&id).await?)))
}

pub(super) async fn approve(
    Issuing(actor): Issuing,
    State(issuer): State<Issuer>,
    ApiJson(body): ApiJson<NewApproval>,
) -> Result<Response, Problem> {
    let approved = issuer.approve(&actor, &body).await?;
    Ok(approved_response(&issuer, &approved))
}

/// `POST /api/v1/credentials/{id}/reissue`: the badge issued again with the current key
/// (same facts and validity), superseding it.
pub(super) async fn reissue(
    Issuing(actor): Issuing,
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let approved = issuer.reissue(&actor, &id).await?;
    Ok(approved_response(&issuer, &approved))
}

/// 201 with the approval, its kind, the new badge and those it superseded.
fn approved_response(issuer: &Issuer, approved: &Approved) -> Response {
    let (row, document) = (&approved.credential.row, &approved.credential.document);
    let url = issuer.credential_url(&row.id);
    let credential = json!({"id": url, "uuid": row.id, "document": document});
    let superseded: Vec<_> = approved
        .credential
        .superseded
        .iter()
        .map(|old| json!({"id": issuer.credential_url(&old.id), "uuid": old.id, "tier": old.tier, "specialization": old.specialization}))
        .collect();
    created(
        &url,
        &json!({"approval": approved.approval, "kind": approved.kind, "credential": credential, "superseded": superseded}),
    )
}
