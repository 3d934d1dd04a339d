//! The "verify any badge" page (`GET /verify` on both services): paste a badge's JSON,
//! upload a file (JSON, or a baked PNG or SVG), or give its URL. Each form posts to
//! `/verify`, whose answer for a browser is the verify page of [`crate::verify`] without the
//! issuer's links, or this page again with what was wrong.

use askama::Template;

use crate::i18n::Text;
use crate::page::Chrome;

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
