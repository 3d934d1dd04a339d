//! The "verify any badge" page (`GET /verify` on both services): paste a badge's JSON,
//! upload a file (JSON, or a baked PNG or SVG), or give its URL. Each form posts to
//! `/verify`, whose answer for a browser is the verify page of [`crate::verify`] without the
//! issuer's links, or this page again with what was wrong.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hallmark_core::Report;
use time::OffsetDateTime;

use crate::i18n::{Lang, Text};
use crate::page::{html, Chrome};
use crate::verify::{ReportView, VerifyPage};

/// The paste page.
#[derive(Template)]
#[template(path = "paste.html")]
pub struct PastePage {
    /// The layout.
    pub chrome: Chrome,
    /// The texts.
    pub t: Text,
    /// What was wrong with the last attempt, for people.
    pub error: Option<String>,
    /// The largest upload or paste the service takes, bytes.
    pub max_bytes: usize,
}

impl PastePage {
    /// The page, in the language of `t`; `issuer_nav` when served by the issuer.
    pub fn new(t: Text, issuer_nav: bool, max_bytes: usize, error: Option<String>) -> Self {
        let mut chrome = Chrome::new(
            t,
            t.get("paste-title").into_owned(),
            t.get("paste-lead").into_owned(),
            "/verify",
        );
        chrome.issuer_nav = issuer_nav;
        Self {
            chrome,
            t,
            error,
            max_bytes,
        }
    }

    /// The page as HTML.
    ///
    /// # Errors
    /// A template error (none is expected: templates are checked at compile time).
    pub fn to_html(&self) -> Result<String, askama::Error> {
        self.render()
    }

    /// The size limit in kilobytes, for people.
    pub fn max_kib(&self) -> usize {
        self.max_bytes / 1024
    }
}

/// The paste page as a response: `status`, with `error` when an attempt failed.
pub fn paste_response(
    lang: Lang,
    issuer_nav: bool,
    max_bytes: usize,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let page = PastePage::new(Text::new(lang), issuer_nav, max_bytes, error);
    match page.to_html() {
        Ok(body) => html(status, body),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// A report as the verify page (without an issuer's links), never stored by caches; with
/// `browser`, the reader's browser verifies the pasted badge again
/// ([`VerifyPage::with_browser_check`]).
pub fn report_response(
    lang: Lang,
    issuer_nav: bool,
    report: &Report,
    at: OffsetDateTime,
    browser: Option<crate::verify::BrowserCheck>,
) -> Response {
    let t = Text::new(lang);
    let view = ReportView::new(report, at, t);
    let mut chrome = Chrome::new(t, String::new(), String::new(), "/verify");
    chrome.issuer_nav = issuer_nav;
    let mut page = VerifyPage::new(chrome, view, None);
    if let Some(check) = browser {
        page = page.with_browser_check(check);
    }
    match page.to_response() {
        Ok(response) => response,
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// Why a pasted or uploaded badge is not verified at all (before the pipeline).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unverifiable {
    /// A PNG or SVG holding no (readable) badge.
    #[error(transparent)]
    Image(#[from] hallmark_core::baked::BakedError),
    /// A presentation, which has its own endpoint.
    #[error("a presentation, not a single badge: send it to POST /presentations/verify")]
    Presentation,
}

impl Unverifiable {
    /// The sentence for the paste page, in the language of `t`.
    pub fn message(&self, t: Text) -> String {
        match self {
            Self::Image(e) => t.with("paste-error-image", "why", e.to_string()),
            Self::Presentation => t.get("paste-error-presentation").into_owned(),
        }
    }
}

/// The credential to verify in what was pasted or uploaded: a baked PNG or SVG's embedded
/// badge (Open Badges 3.0 §5.3), or the bytes as they are; a presentation is refused (its
/// checks need a challenge, and its own endpoint).
///
/// # Errors
/// [`Unverifiable`].
pub fn credential_of(bytes: Vec<u8>) -> Result<Vec<u8>, Unverifiable> {
    let bytes = hallmark_core::baked::unbake(&bytes)?.unwrap_or(bytes);
    let presentation = hallmark_core::json::parse(&bytes).is_ok_and(|v| {
        let named = |t: &serde_json::Value| t == hallmark_core::presentation::PRESENTATION_TYPE;
        v.get("type").is_some_and(|t| match t {
            serde_json::Value::Array(types) => types.iter().any(named),
            t => named(t),
        })
    });
    if presentation {
        return Err(Unverifiable::Presentation);
    }
    Ok(bytes)
}
