//! Hallmark's faces (docs/design.md §5, §6): the pages people see, the images other sites
//! embed, in English and German. Both services render through this crate, so the verify page
//! of `hallmark serve` and the paste page of `hallmark verifier serve` show a report the same
//! way.
//!
//! - [`i18n`]: the language of a request and the texts of one catalog per language
//!   (`web/locales/*.ftl`).
//! - [`page`]: what every page shares: the layout, the security headers (a strict
//!   Content-Security-Policy, no inline script or style), content negotiation, the assets.
//! - [`verify`]: the verify page — the report of one badge in words, for people.
//! - [`browser`]: the in-browser verifier (the core as WebAssembly) and the scripts that run it.
//! - [`embed`]: the badge image partners embed, with the live state.
//! - [`paste`]: the page to verify any badge, pasted, uploaded or by URL.
//! - [`directory`]: the partner directory page.
//! - [`program`]: the program, tier and competency pages, the home page, an error page.
//! - [`qr`]: QR codes of verify URLs, SVG and PNG, for print.
//! - [`tier_image`]: the tier badge images (SVG with the names, PNG for wallets), which baked
//!   badges (`hallmark_core::baked`) carry the credential in.
//!
//! Templates live in the repository's `web/templates/` (askama: checked at compile time,
//! every value HTML-escaped unless a template says otherwise, which none does for data).
//! Nothing here fetches or stores: the services hand in what to show.

pub mod browser;
pub mod claims_report;
pub mod directory;
pub mod email;
pub mod embed;
pub mod form;
pub mod i18n;
pub mod page;
pub mod paste;
pub mod program;
pub mod qr;
pub mod tier_image;
pub mod verify;

pub use askama::{Error as TemplateError, Template};
pub use i18n::{Lang, Text};
