//! `POST /api/v1/approvals`: record an approval; its badge is issued at once, superseding
//! the partner's previous badge for the role (a renewal, an upgrade or a downgrade).

use axum::extract::State;
use axum::response::Response;
use serde_json::json;

use super::auth::Admin;
use super::{created, ApiJson};
use crate::problem::Problem;
use crate::service::{Issuer, NewApproval};

pub(super) async fn approve(
    Admin(actor): Admin,
    State(issuer): State<Issuer>,
    ApiJson(body): ApiJson<NewApproval>,
) -> Result<Response, Problem> {
    let approved = issuer.approve(&actor, &body).await?;
    let (row, document) = (&approved.credential.row, &approved.credential.document);
    let url = issuer.credential_url(&row.id);
    let credential = json!({"id": url, "uuid": row.id, "document": document});
    let superseded: Vec<_> = approved
        .credential
        .superseded
        .iter()
        .map(|old| json!({"id": issuer.credential_url(&old.id), "uuid": old.id, "tier": old.tier}))
        .collect();
    Ok(created(
        &url,
        &json!({"approval": approved.approval, "kind": approved.kind, "credential": credential, "superseded": superseded}),
    ))
}
