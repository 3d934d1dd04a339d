//! `/api/v1/partners`: create, list, read and change (list in the directory or not)
//! partners.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use serde_json::{json, Value};

use super::auth::Admin;
use super::{created, ApiJson};
use crate::problem::Problem;
use crate::service::{Issuer, NewPartner, PartnerChange};

pub(super) async fn create(
    Admin(actor): Admin,
    State(issuer): State<Issuer>,
    ApiJson(body): ApiJson<NewPartner>,
) -> Result<Response, Problem> {
    let partner = issuer.create_partner(&actor, &body).await?;
    let location = format!(
        "{}/api/v1/partners/{}",
        issuer.config().base_url,
        partner.id
    );
    Ok(created(&location, &json!(partner)))
}

pub(super) async fn list(_: Admin, State(issuer): State<Issuer>) -> Result<Json<Value>, Problem> {
    Ok(Json(json!(issuer.partners().await?)))
}

pub(super) async fn show(
    _: Admin,
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    Ok(Json(json!(issuer.partner(&id).await?)))
}

pub(super) async fn change(
    Admin(actor): Admin,
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PartnerChange>,
) -> Result<Json<Value>, Problem> {
    Ok(Json(json!(
        issuer.change_partner(&actor, &id, &body).await?
    )))
}
