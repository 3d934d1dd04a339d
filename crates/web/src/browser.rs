//! The in-browser verifier's files (issue 16): the core compiled to WebAssembly in two builds
//! (`eddsa-jcs-2022` only, and with `eddsa-rdfc-2022`) with their wasm-bindgen glue, built by
//! `scripts/build-wasm.sh` into `web/pkg/` and embedded here (`build.rs`), and the page scripts
//! of `web/static/` that drive them:
//!
//! - `verify-browser.js`: the module every page uses — fetches what a badge needs (each
//!   document once, with the browser's `fetch`), loads the smaller build unless a proof needs
//!   rdfc, and returns the report `hallmark verify --json` prints.
//! - `verify-page.js`: the verify page's "verified in your browser" beside the server's verdict.
//! - `standalone.html` + `standalone.js`: the verifier page that needs no Hallmark server
//!   (`hallmark web export DIR`).
//! - `states.js`: the states' words and icons, shared by the two above and below.
//! - `hallmark-badge.js` + `frame.js`: the optional embed script (a web component) and the frame
//!   it verifies in.
//!
//! Served under `/assets/{name}` by both services, with `Access-Control-Allow-Origin: *` on the
//! issuer, so a partner's page may load the component.

/// Whether this binary carries the WebAssembly builds (`scripts/build-wasm.sh` ran before it was
/// built): without them the pages show the server's verdict alone.
pub const BUILT: bool = cfg!(hallmark_wasm);

macro_rules! pkg {
    ($name:literal) => {
        include_bytes!(concat!(env!("OUT_DIR"), "/", $name)) as &'static [u8]
    };
}

macro_rules! web_static {
    ($name:literal) => {
        include_bytes!(concat!("../../../web/static/", $name)) as &'static [u8]
    };
}

const JS: &str = "text/javascript; charset=utf-8";
const WASM: &str = "application/wasm";
const HTML: &str = "text/html; charset=utf-8";

/// Every file of the in-browser verifier: (name, media type, bytes). The WebAssembly builds and
/// their glue are empty when [`BUILT`] is false.
pub const FILES: &[(&str, &str, &[u8])] = &[
    ("hallmark_verify_jcs.js", JS, pkg!("hallmark_verify_jcs.js")),
    (
        "hallmark_verify_jcs_bg.wasm",
        WASM,
        pkg!("hallmark_verify_jcs_bg.wasm"),
    ),
    (
        "hallmark_verify_rdfc.js",
        JS,
        pkg!("hallmark_verify_rdfc.js"),
    ),
    (
        "hallmark_verify_rdfc_bg.wasm",
        WASM,
        pkg!("hallmark_verify_rdfc_bg.wasm"),
    ),
    ("verify-browser.js", JS, web_static!("verify-browser.js")),
    ("verify-page.js", JS, web_static!("verify-page.js")),
    ("standalone.html", HTML, web_static!("standalone.html")),
    ("standalone.js", JS, web_static!("standalone.js")),
    ("states.js", JS, web_static!("states.js")),
    ("hallmark-badge.js", JS, web_static!("hallmark-badge.js")),
    ("frame.js", JS, web_static!("frame.js")),
];

/// One of [`FILES`] by name, unless it is an empty WebAssembly build or glue (not [`BUILT`]):
/// its media type and bytes.
pub fn asset(name: &str) -> Option<(&'static str, &'static [u8])> {
    FILES
        .iter()
        .find(|(n, ..)| *n == name)
        .filter(|(_, _, bytes)| !bytes.is_empty())
        .map(|(_, media_type, bytes)| (*media_type, *bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builds_are_served_with_their_media_types_when_built() {
        let wasm = asset("hallmark_verify_jcs_bg.wasm");
        if BUILT {
            let (media_type, bytes) = wasm.expect("built");
            assert_eq!(media_type, "application/wasm");
            assert_eq!(&bytes[..4], b"\0asm");
            let (media_type, glue) = asset("hallmark_verify_rdfc.js").expect("built");
            assert_eq!(media_type, JS);
            assert!(std::str::from_utf8(glue)
                .unwrap()
                .contains("hallmark_verify_rdfc_bg.wasm"));
        } else {
            assert_eq!(wasm, None);
        }
        assert_eq!(asset("verify-browser.js").map(|a| a.0), Some(JS));
        assert_eq!(asset("../Cargo.toml"), None);
    }
}
