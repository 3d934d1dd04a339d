//! `/api/v1/credentials`: issued credentials with their status.

use axum::extract::{Path, Query, State};
use axum::Json;
use serde_json::{json, Value};

use super::auth::Admin;
use super::{admin_view, Limit};
use crate::problem::Problem;
use crate::service::Issuer;

pub(super) async fn list(
    _: Admin,
    State(issuer): State<Issuer>,
    Query(q): Query<Limit>,
) -> Result<Json<Value>, Problem> {
    let rows = issuer.credentials(q.size()).await?;
    let views: Vec<Value> = rows.iter().map(|r| admin_view(&issuer, r)).collect();
    Ok(Json(json!(views)))
}

pub(super) async fn show(
    _: Admin,
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let row = issuer.credential(&id).await?;
    Ok(Json(admin_view(&issuer, &row)))
}
