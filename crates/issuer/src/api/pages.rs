//! The badge's faces at the issuer: the verify page (`GET /credentials/{id}` for a browser),
//! the embed image, and the pages' assets. Each handler asks the service for the verdict
//! ([`Issuer::check_credential`], [`Issuer::embed`]) and renders it with `hallmark_web`.

use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hallmark_core::datetime;
use hallmark_web::form::{self, PasteInput, PasteInputError};
use hallmark_web::page::{error_page, lang_of, wants_html, Chrome};
use hallmark_web::paste::{credential_of, paste_response, report_response};
use hallmark_web::verify::{BrowserCheck, IssuerLinks, LinkedIn, ReportView, VerifyPage};
use hallmark_web::{Lang, Text};

use crate::problem::Problem;
use crate::service::{CheckError, Checked, Issuer, PublicMessage};

/// `GET /credentials/{id}`: the verify page for a browser (`Accept: text/html`), the signed
/// credential as JSON otherwise, or with `?format=json`.
pub(super) async fn credential(
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let forced_json = query
        .as_deref()
        .is_some_and(|q| q.split('&').any(|p| p == "format=json"));
    if !forced_json && wants_html(&headers) {
        let lang = lang_of(query.as_deref(), &headers);
        let (page, successor) = verify_page(&issuer, &id, lang).await;
        return Ok(with_successor(page, &issuer, successor.as_deref()));
    }
    let row = issuer.credential(&id).await?;
    // An ETag, so caches revalidate (the negotiation layer adds `no-cache`).
    let response = super::public::json_document(&headers, None, row.document);
    Ok(with_successor(
        response,
        &issuer,
        row.superseded_by.as_deref(),
    ))
}

/// Adds `Link: <{successor}>; rel="successor-version"` (RFC 5829 §3.3) to the response of a
/// superseded badge.
fn with_successor(mut response: Response, issuer: &Issuer, successor: Option<&str>) -> Response {
    let link = successor.and_then(|s| {
        let url = issuer.credential_url(s);
        HeaderValue::from_str(&format!("<{url}>; rel=\"successor-version\"")).ok()
    });
    if let Some(link) = link {
        response.headers_mut().append(header::LINK, link);
    }
    response
}

/// The verify page, and the badge that superseded this one, if any.
async fn verify_page(issuer: &Issuer, id: &str, lang: Lang) -> (Response, Option<String>) {
    let t = Text::new(lang);
    let path = format!("/credentials/{id}");
    match issuer.check_credential(id).await {
        Ok(checked) => {
            let successor = checked.row.superseded_by.clone();
            let mut view = ReportView::new(&checked.report, checked.checked_at, t);
            // The program names its roles; the badge carries the role's id.
            if let Some(role) = issuer
                .program()
                .roles
                .iter()
                .find(|r| view.role.as_deref() == Some(r.id.as_str()))
            {
                view.role = Some(role.name.clone());
            }
            let links = links(issuer, &checked, &view, t);
            let mut chrome = Chrome::new(t, String::new(), String::new(), &path);
            chrome.url = Some(links.credential_url.clone());
            let base = &issuer.config().base_url;
            chrome.image = match (&checked.row.specialization, &checked.row.tier) {
                (Some(s), _) => Some(format!("{base}/program/specializations/{s}/image.png")),
                (None, Some(tier)) => Some(format!("{base}/program/tiers/{tier}/image.png")),
                (None, None) => None,
            };
            let browser = BrowserCheck {
                credential_url: Some(links.raw_url.clone()),
                build: Some(BrowserCheck::build_for(&checked.row.document)),
                ..browser_check(issuer)
            };
            let page = VerifyPage::new(chrome, view, Some(links)).with_browser_check(browser);
            let response = match page.to_response() {
                Ok(response) => response,
                Err(e) => error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    t,
                    &path,
                    format!("the page could not be rendered: {e}"),
                ),
            };
            (response, successor)
        }
        Err(CheckError::Lookup(crate::service::LookupError::Credential { .. })) => {
            let page = error_page(
                StatusCode::NOT_FOUND,
                t,
                &path,
                t.get("error-not-found").into_owned(),
            );
            (page, None)
        }
        Err(e) => {
            tracing::warn!("verify page of {id}: {e}");
            let problem = Problem::from(e);
            let page = error_page(problem.0.status, t, &path, problem.0.detail);
            (page, None)
        }
    }
}

/// What the reader's browser checks a badge against here: the issuer trusts itself alone; a
/// demo on plain http has its own host fetched over http (as `hallmark verify
/// --insecure-host`: its did:web names https).
fn browser_check(issuer: &Issuer) -> BrowserCheck {
    let base = &issuer.config().base_url;
    let insecure_hosts = url::Url::parse(base)
        .ok()
        .filter(|u| u.scheme() == "http")
        .and_then(|u| {
            let host = u.host_str()?;
            Some(format!("{host}:{}", u.port_or_known_default()?))
        })
        .into_iter()
        .collect();
    BrowserCheck {
        credential_url: None,
        credential: None,
        trust: vec![issuer.keys().issuer().to_owned()],
        insecure_hosts,
        build: None,
    }
}

/// The badge's other forms and what the issuer knows beside the report.
fn links(issuer: &Issuer, checked: &Checked, view: &ReportView, t: Text) -> IssuerLinks {
    let config = issuer.config();
    let row = &checked.row;
    let credential_url = issuer.credential_url(&row.id);
    let badges = format!("/badges/{}", row.id);
    let linkedin = (view.standing == hallmark_core::Standing::Valid)
        .then(|| {
            let summary = checked.report.summary.as_ref()?;
            let issued = datetime::parse(summary.valid_from.as_deref()?).ok()?;
            let expires = summary
                .valid_until
                .as_deref()
                .and_then(|u| datetime::parse(u).ok());
            Some(
                LinkedIn {
                    name: &view.tier,
                    organization_id: config.linkedin_organization_id.as_deref(),
                    organization_name: &config.issuer_name,
                    issued,
                    expires,
                    cert_url: &credential_url,
                    cert_id: &row.id,
                }
                .url(),
            )
        })
        .flatten();
    IssuerLinks {
        raw_url: format!("/credentials/{}?format=json", row.id),
        embed_image_url: format!("{}{badges}/badge.svg", config.base_url),
        qr_svg: format!("{badges}/qr.svg"),
        qr_png: format!("{badges}/qr.png"),
        baked_png: format!("{badges}/baked.png"),
        baked_svg: format!("{badges}/baked.svg"),
        // The public reason only (the badge's "message" status); the agency's own reason for
        // a revocation stays in the admin API.
        reason: row
            .message
            .as_ref()
            .and_then(|_| PublicMessage::from_value(row.message_status))
            .filter(|m| *m != PublicMessage::Active)
            .map(|m| {
                t.get(&format!("public-message-{}", m.as_str().replace(' ', "-")))
                    .into_owned()
            }),
        successor: row.superseded_by.as_ref().map(|s| issuer.credential_url(s)),
        linkedin,
        credential_url,
    }
}

/// `GET /badges/{id}/badge.svg`: the embed image with the live state; kept by caches for
/// `embed_max_age_seconds`, with an `ETag` (a matching `If-None-Match` gets 304).
pub(super) async fn badge_svg(
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let lang = lang_of(query.as_deref(), &headers);
    let embed = issuer.embed(&id, lang).await?;
    let etag = HeaderValue::from_str(&embed.etag).unwrap_or(HeaderValue::from_static("\"0\""));
    let max_age = issuer.config().embed_max_age_seconds;
    let cache = HeaderValue::from_str(&format!("public, max-age={max_age}"))
        .unwrap_or(HeaderValue::from_static("no-cache"));
    let matched = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == embed.etag || t.trim() == "*")
        });
    let mut response = if matched {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = (StatusCode::OK, embed.svg).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("image/svg+xml; charset=utf-8"),
        );
        r
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, etag);
    h.insert(header::CACHE_CONTROL, cache);
    h.insert(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie"),
    );
    hallmark_web::page::image_headers(h);
    Ok(response)
}

/// `GET /assets/{name}`: the pages' stylesheet and images.
pub(super) async fn asset(Path(name): Path<String>) -> Response {
    hallmark_web::page::asset_response(&name)
}

/// The largest badge the paste page takes: a baked image is larger than an API body.
pub(super) const PASTE_LIMIT: usize = 256 * 1024;

/// `GET /verify`: the page to paste, upload or link any badge.
pub(super) async fn paste(RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    let lang = lang_of(query.as_deref(), &headers);
    paste_response(lang, true, PASTE_LIMIT, StatusCode::OK, None)
}

/// `POST /verify`: the paste page's forms (a pasted badge, an uploaded file or baked image,
/// a URL); the report as the verify page, or the paste page again saying what was wrong.
pub(super) async fn verify_pasted(State(issuer): State<Issuer>, request: Request) -> Response {
    let lang = lang_of(request.uri().query(), request.headers());
    let t = Text::new(lang);
    let again =
        |status, error: String| paste_response(lang, true, PASTE_LIMIT, status, Some(error));
    let bytes = match form::read(request, PASTE_LIMIT).await {
        Ok(PasteInput::Bytes(b)) => b,
        Ok(PasteInput::Url(url)) => match issuer.fetch_badge(&url).await {
            Ok(b) => b,
            Err(e) => {
                return again(
                    StatusCode::BAD_REQUEST,
                    t.with("paste-error-fetch", "why", e.to_string()),
                )
            }
        },
        Err(PasteInputError::TooLarge { .. }) => {
            return again(
                StatusCode::PAYLOAD_TOO_LARGE,
                t.with("paste-error-too-large", "kib", PASTE_LIMIT / 1024),
            )
        }
        Err(e) => return again(e.status(), e.to_string()),
    };
    let bytes = match credential_of(bytes) {
        Ok(b) => b,
        Err(e) => return again(StatusCode::UNPROCESSABLE_ENTITY, e.message(t)),
    };
    let credential = String::from_utf8(bytes.clone()).ok();
    let browser = BrowserCheck {
        build: credential.as_deref().map(BrowserCheck::build_for),
        credential,
        ..browser_check(&issuer)
    };
    match issuer.verify_any(bytes).await {
        Ok((report, at)) => report_response(lang, true, &report, at, Some(browser)),
        Err(e) => {
            tracing::warn!("paste page: {e}");
            again(
                StatusCode::SERVICE_UNAVAILABLE,
                t.get("paste-error-busy").into_owned(),
            )
        }
    }
}
