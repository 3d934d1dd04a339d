//! The HTTP API (docs/design.md §5): thin handlers, one module per resource. A handler
//! extracts (a token through [`auth`], a body through [`ApiJson`]), calls one
//! [`Issuer`] operation, and renders the result; errors become problem details through
//! [`crate::problem`]. No domain rule lives here.

mod approvals;
mod audit;
mod auth;
mod badges;
mod browser;
mod bulk;
mod credentials;
mod idempotency;
mod kpis;
mod monitoring;
pub mod openapi;
mod pages;
mod partners;
mod program;
mod public;
mod site;
mod status;
mod tokens;
mod vc_api;
mod webhooks;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use hallmark_store::CredentialRow;
use serde_json::{json, Value};

use crate::problem::Problem;
use crate::service::Issuer;

/// The whole HTTP API: admin under `/api/v1` (bearer tokens, each route needing a role:
/// see [`auth`]), public read-only documents,
/// and the VC API `POST /credentials/issue`. Bodies are limited to the configured size and
/// requests to 10 seconds; every error is problem details.
pub fn router(issuer: Issuer) -> Router {
    let limit = issuer.config().max_body_bytes;
    let app = Router::new()
        .route("/api/v1/program", get(program::show))
        .route(
            "/api/v1/partners",
            get(partners::list).post(partners::create),
        )
        .route(
            "/api/v1/partners/{id}",
            get(partners::show).patch(partners::change),
        )
        .route(
            "/api/v1/approvals",
            get(approvals::list).post(approvals::approve),
        )
        .route("/api/v1/approvals/{id}", get(approvals::show))
        .route(
            "/api/v1/approvals/bulk",
            post(bulk::approve_bulk).layer(DefaultBodyLimit::max(issuer.config().bulk_max_bytes)),
        )
        .route("/api/v1/credentials", get(credentials::list))
        .route("/api/v1/credentials/{id}", get(credentials::show))
        .route("/api/v1/credentials/{id}/revoke", post(status::revoke))
        .route("/api/v1/credentials/{id}/suspend", post(status::suspend))
        .route(
            "/api/v1/credentials/{id}/reinstate",
            post(status::reinstate),
        )
        .route("/api/v1/credentials/{id}/status", post(status::set_message))
        .route("/api/v1/credentials/{id}/reissue", post(approvals::reissue))
        .route("/api/v1/audit", get(audit::list))
        .route("/api/v1/kpis", get(kpis::show))
        // Administration (issue 14, ADMIN): API tokens.
        .route("/api/v1/tokens", get(tokens::list).post(tokens::create))
        .route("/api/v1/tokens/{id}/revoke", post(tokens::revoke))
        // Notifications (issue 13, HOOKS).
        .route(
            "/api/v1/webhooks",
            get(webhooks::list).post(webhooks::create),
        )
        .route(
            "/api/v1/webhooks/{id}",
            get(webhooks::show).delete(webhooks::delete),
        )
        .route(
            "/api/v1/webhooks/{id}/deliveries",
            get(webhooks::deliveries),
        )
        .route("/credentials/issue", post(vc_api::issue))
        .route("/credentials/{id}", get(pages::credential))
        .route("/badges/{id}/badge.svg", get(pages::badge_svg))
        .route("/assets/{name}", get(pages::asset))
        // The in-browser verifier (issue 16): the standalone page, the embed's frame.
        .route("/verifier", get(browser::verifier))
        .route("/embed/frame", get(browser::frame))
        .route(
            "/verify",
            get(pages::paste)
                .post(pages::verify_pasted)
                .layer(DefaultBodyLimit::max(pages::PASTE_LIMIT)),
        )
        .route("/status/{id}", get(public::status_list))
        .route("/.well-known/did.json", get(public::did_document))
        .route("/healthz", get(public::health))
        .route("/openapi.json", get(openapi::serve))
        // The public pages (issue 12: home, directory, program).
        .route("/", get(site::home))
        .route("/directory", get(site::directory))
        .route("/program", get(site::program))
        .route("/program/tiers/{slug}", get(site::tier))
        .route(
            "/program/tiers/{slug}/results/{*rest}",
            get(site::tier_result),
        )
        .route("/program/competencies/{code}", get(site::competency))
        // A badge's images and the tier images (badges.rs): QR codes, baked PNG/SVG.
        .route("/badges/{id}/qr.svg", get(badges::qr_svg))
        .route("/badges/{id}/qr.png", get(badges::qr_png))
        .route("/badges/{id}/baked.png", get(badges::baked_png))
        .route("/badges/{id}/baked.svg", get(badges::baked_svg))
        .route("/program/tiers/{id}/image.svg", get(badges::tier_svg))
        .route("/program/tiers/{id}/image.png", get(badges::tier_png))
        // Advanced specializations (issue 15, SPEC): their pages and images.
        .route("/program/specializations/{slug}", get(site::specialization))
        .route(
            "/program/specializations/{slug}/results/{*rest}",
            get(site::specialization_result),
        )
        .route(
            "/program/specializations/{id}/image.svg",
            get(badges::specialization_svg),
        )
        .route(
            "/program/specializations/{id}/image.png",
            get(badges::specialization_png),
        )
        // Monitoring (issue 15).
        .route(
            "/api/v1/applications",
            get(monitoring::list_applications).post(monitoring::create_application),
        )
        .route(
            "/api/v1/attempts",
            get(monitoring::list_attempts).post(monitoring::create_attempt),
        )
        .route(
            "/api/v1/partners/{id}/training",
            get(monitoring::list_training).post(monitoring::record_training),
        )
        .route(
            "/api/v1/partners/{id}/scorecards",
            get(monitoring::list_scorecards),
        )
        .route(
            "/api/v1/partners/{id}/scorecards/{period}",
            put(monitoring::put_scorecard).get(monitoring::get_scorecard),
        )
        .route(
            "/api/v1/scorecards",
            post(monitoring::import_scorecards)
                .layer(DefaultBodyLimit::max(issuer.config().bulk_max_bytes)),
        )
        .route("/api/v1/risks", get(monitoring::list_risks))
        .fallback(public::not_found)
        .layer(axum::middleware::from_fn_with_state(
            issuer.clone(),
            idempotency::idempotency,
        ))
        .layer(axum::middleware::from_fn(public_headers))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(issuer);
    hallmark_http::layers(app, hallmark_http::REQUEST_TIMEOUT)
}

/// The headers of the public reads (every `GET` outside `/api/`): `Access-Control-Allow-Origin:
/// *`, so other sites' scripts may read badges, status lists, the DID document and the
/// program (the admin API and every write send none; no credentials are ever allowed); and on
/// the URLs that answer a page or JSON by `Accept` (and a language by `Accept-Language`),
/// `Vary` saying so on both forms, and `Cache-Control: no-cache` unless the handler set one,
/// so a shared cache never hands one form to a client that asked for the other; and the
/// language cookie when `?lang=` chose one.
async fn public_headers(request: Request, next: axum::middleware::Next) -> Response {
    let public = matches!(
        *request.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    ) && !request.uri().path().starts_with("/api/");
    let path = request.uri().path();
    let chosen = hallmark_web::page::lang_cookie(request.uri().query());
    let negotiated = path == "/"
        || path == "/directory"
        || path == "/verify"
        || (path.starts_with("/program") && !path.ends_with(".png") && !path.ends_with(".svg"))
        || (path.starts_with("/credentials/") && path != "/credentials/issue");
    let mut response = next.run(request).await;
    if public {
        let headers = response.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        if negotiated {
            headers.insert(
                header::VARY,
                HeaderValue::from_static("Accept, Accept-Language, Cookie"),
            );
            // The language switch's choice, kept for the next pages.
            if let Some(cookie) = chosen {
                headers.insert(header::SET_COOKIE, cookie);
            }
            if !headers.contains_key(header::CACHE_CONTROL) {
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            }
        }
    }
    response
}

/// A JSON object body whose rejections are problem details: malformed JSON is a 400, a wrong
/// shape (an array or another value where an object is expected included) a 422, an oversized body a 413 — never a 500.
pub(crate) struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let value = match Json::<Value>::from_request(req, state).await {
            Ok(Json(value)) => value,
            Err(rejection) => return Err(body_problem(&rejection)),
        };
        // Every body is an object: serde would also fill a struct from an array.
        if !value.is_object() {
            return Err(Problem::invalid("the body must be a JSON object"));
        }
        serde_json::from_value(value).map(Self).map_err(|e| {
            Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "Invalid request",
                format!("Failed to deserialize the JSON body into the target type: {e}"),
            )
        })
    }
}

fn body_problem(rejection: &JsonRejection) -> Problem {
    let status = rejection.status();
    let (slug, title) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ("too-large", "Request body too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported-media-type",
            "Expected Content-Type: application/json",
        ),
        StatusCode::UNPROCESSABLE_ENTITY => ("invalid", "Invalid request"),
        _ => ("malformed-json", "Malformed JSON"),
    };
    Problem::new(status, slug, title, rejection.body_text())
}

/// A query string whose rejections are problem details: an unknown parameter (no
/// silently ignored `offset` or `page`) or a value of the wrong type is a 400 naming it.
pub(crate) struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequestParts<S>
    for ApiQuery<T>
{
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Problem> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "bad-query",
                "The listing's parameters were refused",
                rejection.body_text(),
            )),
        }
    }
}

/// A page of a list as the API answers it: a JSON array, and `Link: <path?…&after=…>;
/// rel="next"` when another page follows, with the same filters (the request's query
/// string, its `after` replaced).
fn listing(
    path: &str,
    query: Option<&str>,
    items: Vec<Value>,
    next: Option<&hallmark_store::Cursor>,
) -> Response {
    let mut response = json_response(StatusCode::OK, &Value::Array(items));
    if let Some(next) = next {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            if name != "after" {
                out.append_pair(&name, &value);
            }
        }
        out.append_pair("after", next.as_str());
        let link = format!("<{path}?{}>; rel=\"next\"", out.finish());
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    response
}

/// `body` as `application/json` with `status`.
fn json_response(status: StatusCode, body: &Value) -> Response {
    let content_type = HeaderValue::from_static("application/json");
    (
        status,
        [(header::CONTENT_TYPE, content_type)],
        body.to_string(),
    )
        .into_response()
}

/// 201 with `body` and `Location: location`.
fn created(location: &str, body: &Value) -> Response {
    let mut response = json_response(StatusCode::CREATED, body);
    if let Ok(location) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// A credential as the admin API shows it: where it and its status entries are published,
/// and its state.
fn admin_view(issuer: &Issuer, row: &CredentialRow) -> Value {
    let slot = |s: &hallmark_store::StatusSlot| json!({"list": issuer.list_url(&s.list), "index": s.index});
    json!({
        "id": issuer.credential_url(&row.id), "uuid": row.id, "approval": row.approval_id, "partner": row.partner_id,
        "tier": row.tier, "specialization": row.specialization, "role": row.role, "issuedAt": row.issued_at, "validUntil": row.valid_until,
        "revokedAt": row.revoked_at, "revocationReason": row.revocation_reason, "suspended": row.suspended,
        "revocation": row.revocation.as_ref().map(slot),
        "suspension": row.suspension.as_ref().map(slot),
        "message": row.message.as_ref().map(|s| json!({"list": issuer.list_url(&s.list), "index": s.index, "status": format!("0x{:x}", row.message_status)})),
        "publicMessage": row.message.as_ref().and_then(|_| crate::service::PublicMessage::from_value(row.message_status)),
        "supersededBy": row.superseded_by.as_ref().map(|s| issuer.credential_url(s)),
    })
}
