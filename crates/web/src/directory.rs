//! The partner directory page (`GET /directory` for browsers): the search form and a page of
//! listed partners with their badges, each linking to its verify page. The issuer gathers
//! the data ([`DirectoryView`]); this renders it.

use askama::Template;
use serde::Serialize;

use crate::page::Chrome;

/// A choice of a filter's `<select>`: its value and what people read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    /// The value sent (a tier slug, role id or competency code).
    pub value: String,
    /// Its name.
    pub name: String,
}

/// A badge in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadgeView {
    /// Its verify page, `{base}/credentials/{uuid}`.
    pub verify_url: String,
    /// The tier's name.
    pub tier: String,
    /// The tier's page, `/program/tiers/{slug}`.
    pub tier_url: String,
    /// The role's name.
    pub role: String,
    /// Its competencies: (name, page `/program/competencies/{code}`).
    pub competencies: Vec<Choice>,
    /// Its expiry in words, if it has one.
    pub valid_until: Option<String>,
}

/// A partner in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryView {
    /// Its name (text: escaped where rendered).
    pub name: String,
    /// Its website, only when it is an http(s) URL (a DID is not a link).
    pub website: Option<String>,
    /// Its matching badges.
    pub badges: Vec<BadgeView>,
}

/// What the directory page shows: the search as asked, the choices, the results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirectoryView {
    /// The name searched for (empty: any).
    pub q: String,
    /// The tier chosen (empty: any).
    pub tier: String,
    /// The role chosen (empty: any).
    pub role: String,
    /// The competency chosen (empty: any).
    pub competency: String,
    /// Whether expired, suspended and revoked badges are included.
    pub all: bool,
    /// The program's tiers.
    pub tiers: Vec<Choice>,
    /// The program's roles.
    pub roles: Vec<Choice>,
    /// The program's competencies.
    pub competencies: Vec<Choice>,
    /// The partners of this page.
    pub entries: Vec<EntryView>,
    /// The next page's URL (path and query), when there is one.
    pub next: Option<String>,
}

/// The directory page (`web/templates/directory.html`).
#[derive(Template)]
#[template(path = "directory.html")]
pub struct DirectoryPage<'a> {
    /// The layout.
    pub chrome: Chrome,
    /// The data.
    pub view: &'a DirectoryView,
}

impl DirectoryPage<'_> {
    /// Whether `value` is the chosen one of a select (for `selected`).
    pub fn chosen(&self, chosen: &str, value: &str) -> bool {
        chosen == value
    }
}
