//! `/api/v1/partners`: create (one partner per URL), list and find (by name or URL,
//! listed or not), read (with its current badges) and change (name, URL, contacts, listed)
//! partners.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde_json::{json, Value};

use super::auth::{Issuing, Viewer};
use super::{admin_view, created, listing, ApiJson, ApiQuery};
use crate::problem::Problem;
use crate::service::{Issuer, NewPartner, PartnerChange, PartnerError, PartnerQuery};

/// A partner's URL in this API.
fn partner_url(issuer: &Issuer, id: &str) -> String {
    format!("{}/api/v1/partners/{id}", issuer.config().base_url)
}

/// The problem for `e`: a URL another partner has is a 409 `duplicate-partner` whose
/// member `existing` is that partner's API URL.
fn problem(issuer: &Issuer, e: PartnerError) -> Problem {
    match e {
        PartnerError::Duplicate { ref existing } => Problem::new(
            StatusCode::CONFLICT,
            "duplicate-partner",
            "Another partner has this URL",
            e.to_string(),
        )
        .with("existing", json!(partner_url(issuer, &existing.id))),
        e => e.into(),
    }
}

pub(super) async fn create(
    Issuing(actor): Issuing,
    State(issuer): State<Issuer>,
    ApiJson(body): ApiJson<NewPartner>,
) -> Result<Response, Problem> {
    let partner = issuer
        .create_partner(&actor, &body)
        .await
        .map_err(|e| problem(&issuer, e))?;
    Ok(created(&partner_url(&issuer, &partner.id), &json!(partner)))
}

/// `GET /api/v1/partners[?q=&url=&listed=&limit=&after=]`: by name, then id.
pub(super) async fn list(
    _: Viewer,
    State(issuer): State<Issuer>,
    ApiQuery(q): ApiQuery<PartnerQuery>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let page = issuer.partner_page(&q).await?;
    let items = page.items.iter().map(|p| json!(p)).collect();
    Ok(listing(
        "/api/v1/partners",
        raw.as_deref(),
        items,
        page.next.as_ref(),
    ))
}

/// The partner, with `badges`: its current ones (not revoked, not superseded) as the
/// credentials API shows them.
pub(super) async fn show(
    _: Viewer,
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let partner = issuer.partner(&id).await?;
    let badges: Vec<Value> = issuer
        .partner_badges(&id)
        .await?
        .iter()
        .map(|row| admin_view(&issuer, row))
        .collect();
    let mut shown = json!(partner);
    shown["badges"] = json!(badges);
    Ok(Json(shown))
}

pub(super) async fn change(
    Issuing(actor): Issuing,
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PartnerChange>,
) -> Result<Json<Value>, Problem> {
    let partner = issuer
        .change_partner(&actor, &id, &body)
        .await
        .map_err(|e| problem(&issuer, e))?;
    Ok(Json(json!(partner)))
}
