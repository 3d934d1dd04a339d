//! The public pages of the issuer (docs/design.md §5): the home page `/`, the directory
//! `/directory`, and the program's pages `/program`, `/program/tiers/{slug}`,
//! `/program/competencies/{code}` — each a page for browsers (`Accept: text/html`) and JSON
//! otherwise ([`hallmark_web::page::wants_html`]). Errors are problem details for machines
//! and an error page for browsers.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use hallmark_web::directory::DirectoryPage;
use hallmark_web::page::{html, lang_of, wants_html, Chrome};
use hallmark_web::program::{
    CompetencyPage, HomePage, ProblemPage, ProgramPage, TierPage, TierView,
};
use hallmark_web::{Template, Text};
use serde_json::{json, Value};

use super::json_response;
use crate::problem::Problem;
use crate::service::{Described, DirectoryQuery, Issuer, PageError};

/// What a page handler needs of its request: JSON or a page, and in which language.
struct Ask {
    html: bool,
    t: Text,
    path: String,
}

impl Ask {
    fn of(uri: &Uri, headers: &HeaderMap) -> Self {
        Self {
            html: wants_html(headers),
            t: Text::new(lang_of(uri.query(), headers)),
            path: uri.path().to_owned(),
        }
    }

    fn chrome(&self, issuer: &Issuer, title: &str, description: &str) -> Chrome {
        let mut chrome = Chrome::new(self.t, title.to_owned(), description.to_owned(), &self.path);
        chrome.url = Some(format!("{}{}", issuer.config().base_url, self.path));
        chrome
    }

    /// `template` as a 200 page, or `json`.
    fn answer(
        &self,
        page: impl FnOnce() -> Result<String, hallmark_web::TemplateError>,
        json: &Value,
    ) -> Response {
        if !self.html {
            return json_response(StatusCode::OK, json);
        }
        match page() {
            Ok(body) => html(StatusCode::OK, body),
            Err(e) => Problem::internal("rendering a page", &e).into_response(),
        }
    }

    /// `problem` as problem details, or as an error page with its status.
    fn fail(&self, issuer: &Issuer, problem: Problem) -> Response {
        if !self.html {
            return problem.into_response();
        }
        let status = problem.0.status;
        let title = self.t.get("error-title");
        let page = ProblemPage {
            chrome: self.chrome(issuer, &title, &title),
            message: if status == StatusCode::NOT_FOUND {
                self.t.get("error-not-found").into_owned()
            } else {
                problem.0.detail.clone()
            },
        };
        match page.render() {
            Ok(body) => html(status, body),
            Err(_) => problem.into_response(),
        }
    }
}

/// `GET /`: the home page; for machines, an index of links.
pub(super) async fn home(State(issuer): State<Issuer>, uri: Uri, headers: HeaderMap) -> Response {
    let ask = Ask::of(&uri, &headers);
    let name = issuer.program().name.clone();
    let base = &issuer.config().base_url;
    let json = json!({
        "name": name,
        "directory": format!("{base}/directory"),
        "program": format!("{base}/program"),
        "verify": format!("{base}/verify"),
        "didDocument": format!("{base}/.well-known/did.json"),
    });
    let lead = ask.t.get("home-lead");
    let chrome = ask.chrome(&issuer, &name, &lead);
    ask.answer(
        || {
            HomePage {
                chrome,
                program: name.clone(),
            }
            .render()
        },
        &json,
    )
}

/// `GET /directory`: listed partners and their badges, searched and filtered.
pub(super) async fn directory(
    State(issuer): State<Issuer>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let ask = Ask::of(&uri, &headers);
    let query = match Query::<DirectoryQuery>::try_from_uri(&uri) {
        Ok(Query(q)) => q,
        Err(e) => {
            let problem = Problem::new(
                StatusCode::BAD_REQUEST,
                "bad-search",
                "The directory search was refused",
                e.body_text(),
            );
            return ask.fail(&issuer, problem);
        }
    };
    match issuer.directory(&query, &ask.t).await {
        Ok(found) => {
            let title = ask.t.get("directory-title");
            let lead = ask.t.get("directory-lead");
            let chrome = ask.chrome(&issuer, &title, &lead);
            ask.answer(
                || {
                    DirectoryPage {
                        chrome,
                        view: &found.view,
                    }
                    .render()
                },
                &found.json,
            )
        }
        Err(e) => ask.fail(&issuer, e.into()),
    }
}

/// `GET /program`: the issuer's profile and the program.
pub(super) async fn program(
    State(issuer): State<Issuer>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let ask = Ask::of(&uri, &headers);
    let found = issuer.program_page();
    let chrome = ask.chrome(&issuer, &found.view.name, &found.view.framework);
    ask.answer(
        || {
            ProgramPage {
                chrome,
                view: &found.view,
            }
            .render()
        },
        &found.json,
    )
}

/// `GET /program/tiers/{slug}`: a tier, as an OB 3.0 `Achievement`.
pub(super) async fn tier(
    State(issuer): State<Issuer>,
    Path(slug): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let found = issuer.tier_page(&slug);
    achievement_page(&issuer, "tiers", &slug, found, &uri, &headers)
}

/// `GET /program/specializations/{slug}`: a specialization, as an OB 3.0 `Achievement` (the
/// tier page's template and JSON, with `roles` and `minTier`).
pub(super) async fn specialization(
    State(issuer): State<Issuer>,
    Path(slug): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let found = issuer.specialization_page(&slug);
    achievement_page(&issuer, "specializations", &slug, found, &uri, &headers)
}

/// The page (or JSON) of a tier or specialization `found` at `/program/{kind}/{slug}`, with
/// its image for link previews.
fn achievement_page(
    issuer: &Issuer,
    kind: &str,
    slug: &str,
    found: Result<Described<TierView>, PageError>,
    uri: &Uri,
    headers: &HeaderMap,
) -> Response {
    let ask = Ask::of(uri, headers);
    match found {
        Ok(found) => {
            let mut chrome = ask.chrome(issuer, &found.view.name, &found.view.description);
            chrome.image = Some(format!(
                "{}/program/{kind}/{slug}/image.png",
                issuer.config().base_url
            ));
            ask.answer(
                || {
                    TierPage {
                        chrome,
                        view: &found.view,
                    }
                    .render()
                },
                &found.json,
            )
        }
        Err(e) => ask.fail(issuer, e.into()),
    }
}

/// `GET /program/specializations/{slug}/results/{*rest}`: the ids of a specialization's
/// result descriptions lead to it (303), as a tier's do.
pub(super) async fn specialization_result(
    State(issuer): State<Issuer>,
    Path((slug, _rest)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let found = issuer.specialization_page(&slug).map(|_| ());
    to_achievement(&issuer, "specializations", &slug, found, &uri, &headers)
}

/// `GET /program/tiers/{slug}/results/{*rest}`: the ids of a tier's result descriptions
/// and rubric levels, signed into badges, lead to the tier (303).
pub(super) async fn tier_result(
    State(issuer): State<Issuer>,
    Path((slug, _rest)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let found = issuer.tier_page(&slug).map(|_| ());
    to_achievement(&issuer, "tiers", &slug, found, &uri, &headers)
}

/// A 303 to `/program/{kind}/{slug}` when it was `found`, else the lookup's error.
fn to_achievement(
    issuer: &Issuer,
    kind: &str,
    slug: &str,
    found: Result<(), PageError>,
    uri: &Uri,
    headers: &HeaderMap,
) -> Response {
    match found {
        Ok(()) => Redirect::to(&format!("/program/{kind}/{slug}")).into_response(),
        Err(e) => Ask::of(uri, headers).fail(issuer, e.into()),
    }
}

/// `GET /program/competencies/{code}`: a competency.
pub(super) async fn competency(
    State(issuer): State<Issuer>,
    Path(code): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let ask = Ask::of(&uri, &headers);
    match issuer.competency_page(&code) {
        Ok(found) => {
            let chrome = ask.chrome(&issuer, &found.view.name, &found.view.description);
            ask.answer(
                || {
                    CompetencyPage {
                        chrome,
                        view: &found.view,
                    }
                    .render()
                },
                &found.json,
            )
        }
        Err(e) => ask.fail(&issuer, e.into()),
    }
}
