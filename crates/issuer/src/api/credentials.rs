//! `/api/v1/credentials`: issued credentials with their status.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::admin_view;
use super::auth::Admin;
use crate::problem::Problem;
use crate::service::{CredentialQuery, Issuer};

/// `GET /api/v1/credentials[?partner=&tier=&state=&expiring_before=&expiring_after=&limit=&after=]`:
/// a JSON array of credentials, newest first, or soonest `validUntil` first with
/// `expiring_*`; `Link: <…>; rel="next"` names the next page when there is one.
pub(super) async fn list(
    _: Admin,
    State(issuer): State<Issuer>,
    Query(q): Query<CredentialQuery>,
) -> Result<Response, Problem> {
    let page = issuer.credential_page(&q).await?;
    let views: Vec<Value> = page.items.iter().map(|r| admin_view(&issuer, r)).collect();
    let mut response = Json(json!(views)).into_response();
    if let Some(next) = page.next {
        let query = next_query(&q, next.as_str());
        let link = format!("</api/v1/credentials?{query}>; rel=\"next\"");
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

/// The query string of the next page: the same filters, `after` the cursor.
fn next_query(q: &CredentialQuery, cursor: &str) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in [
        ("partner", &q.partner),
        ("tier", &q.tier),
        ("state", &q.state),
        ("expiring_before", &q.expiring_before),
        ("expiring_after", &q.expiring_after),
    ] {
        if let Some(v) = value {
            out.append_pair(name, v);
        }
    }
    if let Some(limit) = q.limit {
        out.append_pair("limit", &limit.to_string());
    }
    out.append_pair("after", cursor);
    out.finish()
}

pub(super) async fn show(
    _: Admin,
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let row = issuer.credential(&id).await?;
    Ok(Json(admin_view(&issuer, &row)))
}
