//! The in-browser verifier's pages on the issuer (issue 16): the standalone verifier at
//! `GET /verifier` (the same static page `hallmark web export` writes, served from
//! `/assets/` so its relative URLs resolve), and `GET /embed/frame`, the small page the
//! `<hallmark-badge>` component runs in a hidden iframe on a partner's site: its own CSP lets
//! it compile WebAssembly and be framed by any site, which the partner page's CSP need not.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use crate::service::Issuer;

/// The frame's CSP: its script and the WebAssembly from this origin, documents from anywhere
/// (a badge's DID document and status lists), no plugins, forms or base; framed by any site.
pub const FRAME_CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src *; base-uri 'none'; form-action 'none'; frame-ancestors *";

/// The frame's page: nothing but `frame.js`, which verifies the badge named in the fragment
/// and posts the result to the embedding page, trusting only this issuer (its DID in
/// `data-issuer`: the embedding page cannot add to the trust list, so a partner cannot show a
/// badge it signed itself as "verified" under the issuer's component).
fn frame_html(issuer_did: &str) -> String {
    let escaped: String = issuer_did
        .chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '"' => "&quot;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            c => c.to_string(),
        })
        .collect();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Badge check</title>\n<script type=\"module\" src=\"/assets/frame.js\"></script></head><body data-issuer=\"{escaped}\"></body></html>\n"
    )
}

/// `GET /verifier`: to the standalone verifier page (a fragment such as `#url=…` is kept by
/// the browser across the redirect).
pub(super) async fn verifier() -> Redirect {
    Redirect::to("/assets/standalone.html")
}

/// `GET /embed/frame`: the component's verification frame; 404 when this binary carries no
/// WebAssembly (the component then keeps its plain image).
pub(super) async fn frame(State(issuer): State<Issuer>) -> Response {
    if !hallmark_web::browser::BUILT {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut response = (StatusCode::OK, frame_html(issuer.keys().issuer())).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CONTENT_SECURITY_POLICY, FRAME_CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "public, max-age=3600"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_frame_names_its_issuer_escaped() {
        let html = super::frame_html("did:web:a.example\"><script>");
        assert!(
            html.contains(r#"<body data-issuer="did:web:a.example&quot;&gt;&lt;script&gt;">"#),
            "{html}"
        );
    }
}
