//! `GET /api/v1/audit`: the audit log, newest first.

use axum::extract::{Query, State};
use axum::Json;
use serde_json::{json, Value};

use super::auth::Admin;
use super::Limit;
use crate::problem::Problem;
use crate::service::Issuer;

pub(super) async fn list(
    _: Admin,
    State(issuer): State<Issuer>,
    Query(q): Query<Limit>,
) -> Result<Json<Value>, Problem> {
    Ok(Json(json!(issuer.audit_log(q.size()).await?)))
}
