//! What every page shares: the layout's data ([`Chrome`]), the headers every HTML answer
//! carries ([`html`]: a strict Content-Security-Policy, `nosniff`), content negotiation
//! ([`wants_html`]), the language of a request ([`lang_of`]) and the static assets
//! (`web/static/`, served under `/assets/`).

use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::i18n::{Lang, Text};

/// The Content-Security-Policy of every page: scripts, styles and images from the page's own
/// origin only, no inline script or style (a value from a credential can never become code),
/// forms post only to the same origin, no framing. `'wasm-unsafe-eval'` lets the page compile
/// the in-browser verifier's WebAssembly (it allows no JavaScript `eval`), and `connect-src *`
/// lets it fetch what a badge names (DID documents, status lists on any issuer's host).
pub const CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src *; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// A rendered page as a response: `status`, `text/html`, the CSP and the other security
/// headers, `Vary: Accept, Accept-Language` (the same URL answers JSON, and in two languages).
pub fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    security_headers(headers);
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Accept-Language, Cookie"),
    );
    response
}

/// The headers every page carries.
pub fn security_headers(headers: &mut HeaderMap) {
    set(
        headers,
        &[
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
            (
                HeaderName::from_static("cross-origin-opener-policy"),
                "same-origin",
            ),
        ],
    );
}

/// The headers of an image served by itself (an SVG opened as a document on this origin):
/// no script, nothing loaded, no sniffing.
pub fn image_headers(headers: &mut HeaderMap) {
    set(
        headers,
        &[
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
    );
}

/// Sets each (name, value) pair.
fn set(headers: &mut HeaderMap, pairs: &[(HeaderName, &'static str)]) {
    for (name, value) in pairs {
        headers.insert(name.clone(), HeaderValue::from_static(value));
    }
}

/// Whether a request asks for a page rather than JSON: `Accept` names `text/html` (or
/// `application/xhtml+xml`) explicitly, at a quality no lower than any JSON type's. `*/*`
/// alone (curl, most libraries) gets JSON, so machines keep the document they always had.
pub fn wants_html(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut html = 0u16;
    let mut json = 0u16;
    for range in accept.split(',').take(64) {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q=").map(quality))
            .unwrap_or(1000);
        match media.as_str() {
            "text/html" | "application/xhtml+xml" => html = html.max(q),
            "application/json"
            | "application/ld+json"
            | "application/vc"
            | "application/vc+ld+json" => json = json.max(q),
            _ => {}
        }
    }
    html > 0 && html >= json
}

/// A `q` value in thousandths; malformed counts as 0.
fn quality(text: &str) -> u16 {
    text.trim()
        .parse::<f32>()
        .ok()
        .filter(|q| (0.0..=1.0).contains(q))
        .map_or(0, |q| (q * 1000.0).round() as u16)
}

/// The cookie that keeps the language a visitor chose with the switch.
pub const LANG_COOKIE: &str = "hallmark-lang";

/// The language named by `?lang=` in a raw query, when it is one the pages are written in.
pub fn asked_lang(query: Option<&str>) -> Option<Lang> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("lang="))
        .filter(|v| v.len() <= 16)
        .and_then(Lang::from_tag)
}

/// The language of a request: `?lang=` (from the raw query), then the language cookie (the
/// switch's choice, [`lang_cookie`]), then `Accept-Language`.
pub fn lang_of(query: Option<&str>, headers: &HeaderMap) -> Lang {
    if let Some(lang) = asked_lang(query) {
        return lang;
    }
    let chosen = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(LANG_COOKIE)?.strip_prefix('='))
        .and_then(Lang::from_tag);
    if let Some(lang) = chosen {
        return lang;
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::negotiate(None, accept)
}

/// The `Set-Cookie` that keeps a language chosen with `?lang=` for the next pages (a year,
/// this site only, not readable by scripts), or `None` when the query names none.
pub fn lang_cookie(query: Option<&str>) -> Option<HeaderValue> {
    let lang = asked_lang(query)?;
    HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly",
        lang.code()
    ))
    .ok()
}

/// What the layout (`web/templates/base.html`) shows around every page.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The texts of the page's language.
    pub t: Text,
    /// The `<title>` and Open Graph title.
    pub title: String,
    /// The Open Graph description (and `<meta name="description">`).
    pub description: String,
    /// The page's own path (for the language switch: `{path}?lang=de`).
    pub path: String,
    /// The page's absolute URL, for `og:url`, when known.
    pub url: Option<String>,
    /// An absolute image URL for link previews (`og:image`), when there is one.
    pub image: Option<String>,
    /// Whether the navigation links to the issuer's directory and program (the issuer
    /// service); the verifier service has only its verify page.
    pub issuer_nav: bool,
}

impl Chrome {
    /// The layout of a page at `path` in the language of `t`.
    pub fn new(t: Text, title: String, description: String, path: &str) -> Self {
        Self {
            t,
            title,
            description,
            path: path.to_owned(),
            url: None,
            image: None,
            issuer_nav: true,
        }
    }

    /// The language switch's links: (code, name, href) of every other language.
    pub fn switch(&self) -> Vec<(&'static str, String, String)> {
        self.t
            .lang
            .others()
            .map(|l| {
                (
                    l.code(),
                    Text::new(l).get("lang-name").into_owned(),
                    format!("{}?lang={}", self.path, l.code()),
                )
            })
            .collect()
    }
}

/// A static asset of `web/static/` by name, or of the in-browser verifier
/// ([`crate::browser::asset`]): its media type and bytes.
pub fn asset(name: &str) -> Option<(&'static str, &'static [u8])> {
    Some(match name {
        "style.css" => (
            "text/css; charset=utf-8",
            include_bytes!("../../../web/static/style.css"),
        ),
        _ => return crate::browser::asset(name),
    })
}

/// The answer to `GET /assets/{name}`: the asset, cacheable for a day, or a 404 page.
pub fn asset_response(name: &str) -> Response {
    match asset(name) {
        Some((media_type, bytes)) => {
            let mut response = (StatusCode::OK, bytes).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            );
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            // A page among the assets (the standalone verifier) gets the pages' CSP as a
            // header too: its meta tag cannot forbid framing.
            if media_type.starts_with("text/html") {
                headers.insert(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(CSP),
                );
            }
            response
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// An error page with `status` saying `detail`, in the language of `t`
/// (`web/templates/problem.html`).
pub fn error_page(status: StatusCode, t: Text, path: &str, detail: String) -> Response {
    use askama::Template;
    let title = t.get("error-title").into_owned();
    let page = crate::program::ProblemPage {
        chrome: Chrome::new(t, title, detail.clone(), path),
        message: detail,
    };
    match page.render() {
        Ok(body) => html(status, body),
        Err(_) => (status, "error").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn browsers_get_pages_and_machines_get_json() {
        let chrome =
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
        assert!(wants_html(&accept(chrome)));
        assert!(!wants_html(&accept("*/*")));
        assert!(!wants_html(&accept("application/json")));
        assert!(!wants_html(&accept("application/ld+json, text/html;q=0.5")));
        assert!(wants_html(&accept(
            "text/html;q=0.9, application/json;q=0.9"
        )));
        assert!(!wants_html(&accept("text/html;q=0")));
        assert!(!wants_html(&HeaderMap::new()));
    }

    #[test]
    fn a_chosen_language_is_kept_by_its_cookie() {
        let cookie = lang_cookie(Some("lang=de")).unwrap();
        assert!(cookie
            .to_str()
            .unwrap()
            .starts_with("hallmark-lang=de; Path=/;"));
        assert_eq!(lang_cookie(Some("x=1")), None);
        assert_eq!(lang_cookie(Some("lang=xx")), None);
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("en"));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=b; hallmark-lang=de"),
        );
        assert_eq!(lang_of(None, &headers), Lang::De);
        assert_eq!(lang_of(Some("lang=en"), &headers), Lang::En);
    }

    #[test]
    fn lang_query_wins_over_the_header() {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("de"));
        assert_eq!(lang_of(None, &headers), Lang::De);
        assert_eq!(lang_of(Some("x=1&lang=en"), &headers), Lang::En);
        assert_eq!(lang_of(Some("lang=xx"), &HeaderMap::new()), Lang::En);
    }
}
