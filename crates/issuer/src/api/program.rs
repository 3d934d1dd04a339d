//! `GET /api/v1/program`: the program approvals are checked against.

use axum::extract::State;
use axum::Json;
use serde_json::Value;

use super::auth::Viewer;
use crate::service::Issuer;

pub(super) async fn show(_: Viewer, State(issuer): State<Issuer>) -> Json<Value> {
    Json(serde_json::to_value(issuer.program()).unwrap_or_default())
}
