//! `/api/v1/tokens` (role admin): list tokens (never a secret or hash), create one (its
//! secret answered once), revoke one (refused from the next request on).

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use hallmark_store::Role;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Admin;
use super::{created, ApiJson};
use crate::problem::Problem;
use crate::service::Issuer;

/// The body of `POST /api/v1/tokens`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewToken {
    /// A label, kept in the audit log as the actor of the token's changes.
    name: String,
    /// `viewer`, `issuer` or `admin`.
    role: Role,
}

pub(super) async fn list(_: Admin, State(issuer): State<Issuer>) -> Result<Json<Value>, Problem> {
    Ok(Json(json!(issuer.tokens().await?)))
}

/// 201 with the token as lists show it and its `secret` (shown only now).
pub(super) async fn create(
    Admin(actor): Admin,
    State(issuer): State<Issuer>,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<Response, Problem> {
    let (info, secret) = issuer.create_token(&actor, &body.name, body.role).await?;
    let mut shown = json!(info);
    shown["secret"] = json!(secret);
    let location = format!("{}/api/v1/tokens", issuer.config().base_url);
    Ok(created(&location, &shown))
}

/// The token, revoked (an id, or a name only one token has).
pub(super) async fn revoke(
    Admin(actor): Admin,
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    Ok(Json(json!(issuer.revoke_token(&actor, &id).await?)))
}
