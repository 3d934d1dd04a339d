//! The issuer service behind `hallmark serve` (docs/design.md §5): the partner program,
//! partners and approvals, issuance of Open Badges 3.0 partner badges, revocation and
//! suspension with Bitstring Status Lists, the `did:web` document, and the VC API issue
//! endpoint.
//!
//! State lives in a [`hallmark_store::Store`] (SQLite by default, PostgreSQL by URL); a badge
//! and its audit entry are committed before the response is sent, and a status change
//! re-signs its list in the same transaction, so the list served next already shows it.
//!
//! Two layers:
//! - [`service`]: the domain. [`Issuer`] holds the store, keys, program, configuration and
//!   signing pool; its methods are the operations (record an approval, issue, revoke,
//!   suspend, reinstate, set a message status, the VC API issue, partners, tokens), each
//!   with its own error enum and no HTTP in it. Signing (RDF canonicalization for
//!   `eddsa-rdfc-2022`) runs on a bounded blocking pool.
//! - `api` (private): thin axum handlers, one module per resource (partners, approvals,
//!   credentials, status, VC API, public documents); [`router`] builds them into the whole
//!   HTTP API, so tests drive it without a socket. [`problem`] is the one place service
//!   errors become RFC 9457 problem details. The router sits behind the shared
//!   [`hallmark_http`] layer (problem details for every error, request ids, the request
//!   timeout), and [`serve`] runs it with that crate's server.
//!
//! Where things go:
//! - **a new endpoint**: a handler in `src/api/<resource>.rs` (extract, authenticate, call
//!   one [`Issuer`] method, render; about 40 lines at most), its route in `api::router`, and
//!   the mapping of any new error variant in [`problem`];
//! - **a new domain rule** (a check on an approval, a new status transition, a limit on a
//!   field): in `src/service/`, as a variant of that operation's error enum carrying its
//!   context, so the API, the demo seed and any other caller get it alike; the program's
//!   requirements (tiers, scores, competencies) in `src/program.rs`; what is stored, and in
//!   which transaction, in `hallmark_store`;
//! - **a new page**: a template under `web/templates/` (texts in `web/locales/`, its view in
//!   `hallmark_web`) served by a handler in `src/api/`, calling the same service methods as
//!   the JSON endpoints;
//! - **a new background job**: a periodic one (expiry sweeps, deliveries) is a task of
//!   [`jobs::Jobs`], which [`serve`] starts and stops, calling [`Issuer`] methods that take
//!   the instant as a parameter, under a lease ([`jobs::LeasedJob`]) when it must not run on
//!   two processes at once; a one-off one (bulk issuance) is a `hallmark` command
//!   (`crates/cli`); never from inside a request handler;
//! - **a new verification check**: not here, but in the core pipeline
//!   (`hallmark_core::verify`), which the CLI, the verifier and the browser share.
//!
//! ```no_run
//! # async fn example(config: hallmark_issuer::Config) -> Result<(), Box<dyn std::error::Error>> {
//! use hallmark_issuer::service::{NewPartner, Issuer};
//!
//! let issuer = Issuer::open(config).await?;
//! let partner = issuer
//!     .create_partner(
//!         "console",
//!         &NewPartner { name: "Fabrikam".into(), url: "https://fabrikam.example".into(), listed: false, contacts: vec![] },
//!     )
//!     .await?;
//! println!("partner {}", partner.id);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod api;
pub mod config;
pub mod demo;
pub mod jobs;
pub mod keys;
pub mod problem;
pub mod program;
pub mod service;

use hallmark_http::{ServeConfig, ServeError, Tls};

pub use api::router;
pub use config::{Config, ConfigError, Overrides};
pub use keys::IssuerKeys;
pub use program::Program;
pub use service::{
    create_token, list_tokens, new_token, revoke_token, token_hash, Issuer, StartError, TokenError,
    TokenInfo,
};

/// Serves the API on `listener` over http, or https when the configuration names a
/// certificate, until `shutdown` resolves (e.g. [`hallmark_http::shutdown_signal`]); then
/// finishes the requests in flight. The background jobs ([`jobs::Jobs::start`]: the
/// lifecycle job, and the delivery worker ([`Issuer::run_deliveries`]) unless the
/// configuration says `deliveries = false`) run beside it and stop with it.
///
/// # Errors
/// [`ServeError`]: the TLS certificate or key, or the listener.
pub async fn serve(
    issuer: Issuer,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let config = issuer.config();
    let tls = Tls::from_config(config.tls.as_ref())?;
    let limits = ServeConfig {
        max_connections: config.max_connections,
        max_connections_per_client: config.max_connections_per_client,
        ..ServeConfig::default()
    };
    let jobs = jobs::Jobs::start(&issuer);
    let served = hallmark_http::serve(listener, router(issuer), limits, tls, shutdown).await;
    jobs.stop().await;
    served
}
