//! `POST /api/v1/approvals`: record an approval; its badge is issued at once, superseding
//! the partner's previous badge for the role (a renewal, an upgrade or a downgrade); and
//! `POST /api/v1/credentials/{id}/reissue`.

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::json;

use super::auth::Admin;
use super::{created, ApiJson};
use crate::problem::Problem;
use crate::service::{Approved, Issuer, NewApproval};

pub(super) async fn approve(
    Admin(actor): Admin,
    State(issuer): State<Issuer>,
    ApiJson(body): ApiJson<NewApproval>,
) -> Result<Response, Problem> {
    let approved = issuer.approve(&actor, &body).await?;
    Ok(approved_response(&issuer, &approved))
}

/// `POST /api/v1/credentials/{id}/reissue`: the badge issued again with the current key
/// (same facts and validity), superseding it.
pub(super) async fn reissue(
    Admin(actor): Admin,
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
        .map(|old| json!({"id": issuer.credential_url(&old.id), "uuid": old.id, "tier": old.tier}))
        .collect();
    created(
        &url,
        &json!({"approval": approved.approval, "kind": approved.kind, "credential": credential, "superseded": superseded}),
    )
}
