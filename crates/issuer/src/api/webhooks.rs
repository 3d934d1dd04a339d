//! `/api/v1/webhooks`: subscriptions (create, list, read, delete) and each one's delivery
//! log.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hallmark_store::{Cursor, DeliveryRow, PageRequest, WebhookRow};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Admin;
use super::{created, listing, ApiJson, ApiQuery};
use crate::problem::Problem;
use crate::service::{Issuer, NewWebhook, PageSize};

/// A subscription as the API shows it (never its secret).
fn view(w: &WebhookRow) -> Value {
    json!({
        "id": w.id, "url": w.url, "events": w.events, "description": w.description,
        "created_at": w.created_at,
    })
}

/// A delivery as the log shows it.
fn delivery(d: &DeliveryRow) -> Value {
    json!({
        "event": d.event, "webhook_id": d.id, "credential_id": d.credential_id,
        "state": d.state, "attempts": d.attempts, "last_status": d.last_status,
        "last_error": d.last_error,
        "next_attempt_at": (d.state == hallmark_store::DeliveryState::Pending).then_some(d.next_attempt_at),
        "delivered_at": d.delivered_at, "created_at": d.created_at,
    })
}

pub(super) async fn create(
    Admin(actor): Admin,
    State(issuer): State<Issuer>,
    ApiJson(body): ApiJson<NewWebhook>,
) -> Result<Response, Problem> {
    let (row, secret) = issuer.create_webhook(&actor, &body).await?;
    let location = format!("{}/api/v1/webhooks/{}", issuer.config().base_url, row.id);
    let mut shown = view(&row);
    shown["secret"] = json!(secret);
    Ok(created(&location, &shown))
}

pub(super) async fn list(_: Admin, State(issuer): State<Issuer>) -> Result<Json<Value>, Problem> {
    let rows = issuer.webhooks().await?;
    Ok(Json(json!(rows.iter().map(view).collect::<Vec<_>>())))
}

pub(super) async fn show(
    _: Admin,
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    Ok(Json(view(&issuer.webhook(&id).await?)))
}

pub(super) async fn delete(
    Admin(actor): Admin,
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    issuer.delete_webhook(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `?limit=&after=` of the delivery log.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LogQuery {
    limit: Option<i64>,
    after: Option<String>,
}

/// `GET /api/v1/webhooks/{id}/deliveries[?limit=&after=]`: a JSON array, newest first, and
/// `Link: <…>; rel="next"` when another page follows (as every list).
pub(super) async fn deliveries(
    _: Admin,
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<LogQuery>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let size = PageSize::new(q.limit).get();
    let page = match q.after.filter(|a| !a.is_empty()) {
        None => PageRequest::first(size),
        Some(text) => PageRequest::after(
            size,
            text.parse::<Cursor>().map_err(|e| {
                Problem::new(
                    StatusCode::BAD_REQUEST,
                    "bad-query",
                    "The listing's parameters were refused",
                    format!("after: {e}"),
                )
            })?,
        ),
    };
    let log = issuer.delivery_log(&id, &page).await?;
    let path = format!("/api/v1/webhooks/{id}/deliveries");
    Ok(listing(
        &path,
        raw.as_deref(),
        log.items.iter().map(delivery).collect(),
        log.next.as_ref(),
    ))
}
