//! The program's pages (the URLs signed into every badge answer with these for browsers):
//! the program (`/program`), a tier (`/program/tiers/{slug}`), a competency
//! (`/program/competencies/{code}`), the home page (`/`) and an error page. The issuer
//! gathers the data; this renders it. Every value is text, escaped where rendered.

use askama::Template;
use serde::Serialize;

use crate::page::Chrome;

/// A named link inside the site (a path like `/program/tiers/gold`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    /// Its name.
    pub name: String,
    /// Its path or absolute http(s) URL.
    pub href: String,
}

/// A role of the program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleView {
    /// Its name.
    pub name: String,
    /// What it covers.
    pub description: String,
}

/// The program page's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProgramView {
    /// The program's name.
    pub name: String,
    /// Its competency framework.
    pub framework: String,
    /// The issuer's name.
    pub issuer_name: String,
    /// The issuer's DID.
    pub issuer_id: String,
    /// The issuer's website, only when http(s).
    pub issuer_url: Option<String>,
    /// Roles.
    pub roles: Vec<RoleView>,
    /// Tiers, highest rank first, linked to their pages.
    pub tiers: Vec<Link>,
    /// Competencies, linked to their pages.
    pub competencies: Vec<Link>,
    /// Advanced specializations, linked to their pages (none: the section is left out).
    pub specializations: Vec<Link>,
}

/// A tier page's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TierView {
    /// The program's name.
    pub program: String,
    /// The tier's name.
    pub name: String,
    /// What it means.
    pub description: String,
    /// Its requirements in words (the badge's `criteria.narrative`).
    pub criteria: String,
    /// Benefits.
    pub benefits: Vec<String>,
    /// Required competencies, linked to their pages.
    pub competencies: Vec<Link>,
    /// Minimum exam score, percent.
    pub min_exam_score: Option<u8>,
    /// Minimum live-demo level.
    pub min_demo_level: Option<String>,
    /// Validated references required.
    pub required_references: usize,
    /// Validity of its badges, days.
    pub validity_days: u32,
    /// Days after expiry a badge may still be renewed.
    pub grace_days: u32,
    /// What a renewal requires, in words, when the program sets a lighter bar.
    pub renewal: Option<String>,
    /// Its image (a path), shown with the tier's name as alt text.
    pub image: String,
    /// A specialization's: the tier a partner must hold first, linked to its page.
    pub min_tier: Option<Link>,
    /// A specialization's: the names of the roles it is open to (empty: every role).
    pub open_to: Vec<String>,
}

/// A competency page's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompetencyView {
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// What it means.
    pub description: String,
    /// Its framework.
    pub framework: String,
    /// The tiers requiring it, linked.
    pub tiers: Vec<Link>,
}

/// `web/templates/program.html`.
#[derive(Template)]
#[template(path = "program.html")]
pub struct ProgramPage<'a> {
    /// The layout.
    pub chrome: Chrome,
    /// The data.
    pub view: &'a ProgramView,
}

/// `web/templates/tier.html`.
#[derive(Template)]
#[template(path = "tier.html")]
pub struct TierPage<'a> {
    /// The layout.
    pub chrome: Chrome,
    /// The data.
    pub view: &'a TierView,
}

/// `web/templates/competency.html`.
#[derive(Template)]
#[template(path = "competency.html")]
pub struct CompetencyPage<'a> {
    /// The layout.
    pub chrome: Chrome,
    /// The data.
    pub view: &'a CompetencyView,
}

/// `web/templates/home.html`: the program's name and where to go.
#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    /// The layout.
    pub chrome: Chrome,
    /// The program's name.
    pub program: String,
}

/// `web/templates/problem.html`: an error as a page (a 404, a refused search).
#[derive(Template)]
#[template(path = "problem.html")]
pub struct ProblemPage {
    /// The layout.
    pub chrome: Chrome,
    /// What is wrong, for people.
    pub message: String,
}

/// `url` when it is an http(s) URL (the only kind rendered as a link), else `None`.
pub fn http_url(url: &str) -> Option<String> {
    crate::verify::is_http(url).then(|| url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Lang, Text};

    #[test]
    fn only_http_urls_are_links() {
        assert_eq!(
            http_url("https://a.example/"),
            Some("https://a.example/".into())
        );
        assert_eq!(
            http_url("HTTP://a.example"),
            Some("HTTP://a.example".into())
        );
        assert_eq!(http_url("javascript:alert(1)"), None);
        assert_eq!(http_url("did:web:a.example"), None);
        assert_eq!(http_url("ftp://x"), None);
    }

    #[test]
    fn a_tier_page_escapes_and_links_its_competencies() {
        let view = TierView {
            program: "P".into(),
            name: "<img src=x onerror=alert(1)>".into(),
            description: "d".into(),
            criteria: "c".into(),
            benefits: vec!["b & c".into()],
            competencies: vec![Link {
                name: "Cloud".into(),
                href: "/program/competencies/cloud-arch".into(),
            }],
            min_exam_score: Some(80),
            min_demo_level: None,
            required_references: 2,
            validity_days: 365,
            grace_days: 30,
            renewal: Some("Requires <b>70%</b>".into()),
            image: "/program/tiers/gold/image.svg".into(),
            min_tier: None,
            open_to: Vec::new(),
        };
        let chrome = Chrome::new(
            Text::new(Lang::En),
            "t".into(),
            "d".into(),
            "/program/tiers/gold",
        );
        let html = TierPage {
            chrome,
            view: &view,
        }
        .render()
        .unwrap();
        assert!(
            html.contains("<h1>&#60;img src=x onerror=alert(1)&#62;</h1>"),
            "{html}"
        );
        assert!(!html.contains("<img src=x"));
        assert!(html.contains("b &#38; c"));
        assert!(html.contains(r#"<a href="/program/competencies/cloud-arch">Cloud</a>"#));
        assert!(html.contains(r#"src="/program/tiers/gold/image.svg""#));
        assert!(
            html.contains(r#"<dd id="grace">for 30 days</dd>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<dd id="renewal">Requires &#60;b&#62;70%&#60;/b&#62;</dd>"#),
            "{html}"
        );
    }
}
