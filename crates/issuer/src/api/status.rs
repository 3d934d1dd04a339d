//! `POST /api/v1/credentials/{id}/revoke|suspend|reinstate|status`: status changes. Each
//! answers the credential as it is now.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use super::auth::Issuing;
use super::{admin_view, json_response, ApiJson};
use crate::problem::Problem;
use crate::service::{Issuer, MessageStatus, StatusChangeError};

/// The body of `revoke`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Reason {
    /// Why (private to the agency: the audit log and the admin API, never the badge).
    /// Required: an empty one is refused (422).
    #[serde(default)]
    #[schema(min_length = 1, required = true)]
    reason: String,
}

/// The body of `status`: the new value, `"0x2"` as in `statusMessage`, or a number.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewStatus {
    /// The new message value: `"0x2"` as in `statusMessage`, or a number.
    #[schema(value_type = String, pattern = "^0x[0-9a-fA-F]{1,8}$", example = "0x2")]
    status: Value,
}

pub(super) async fn revoke(
    Issuing(actor): Issuing,
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Reason>,
) -> Result<Response, Problem> {
    let row = issuer.revoke(&actor, &id, &body.reason).await?;
    Ok(json_response(StatusCode::OK, &admin_view(&issuer, &row)))
}

pub(super) async fn suspend(
    Issuing(actor): Issuing,
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let row = issuer.suspend(&actor, &id).await?;
    Ok(json_response(StatusCode::OK, &admin_view(&issuer, &row)))
}

pub(super) async fn reinstate(
    Issuing(actor): Issuing,
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let row = issuer.reinstate(&actor, &id).await?;
    Ok(json_response(StatusCode::OK, &admin_view(&issuer, &row)))
}

pub(super) async fn set_message(
    Issuing(actor): Issuing,
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewStatus>,
) -> Result<Response, Problem> {
    let status = MessageStatus::from_json(&body.status).map_err(StatusChangeError::from)?;
    let row = issuer.set_message_status(&actor, &id, status).await?;
    Ok(json_response(StatusCode::OK, &admin_view(&issuer, &row)))
}
