//! `POST /api/v1/approvals`: record an approval; its badge is issued at once.

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
    Ok(created(
        &url,
        &json!({"approval": approved.approval, "credential": credential}),
    ))
}
