//! The HTTP layer both services share (`hallmark serve`, `hallmark verifier serve`, and the
//! pages to come): what every endpoint gets without asking.
//!
//! - [`Problem`]: the one RFC 9457 problem-details builder. A service maps its own errors
//!   onto it; [`layers`] turns every other error response (axum's rejections, 404, 405, 408,
//!   413, 415, 429) into one, so every error is `application/problem+json`.
//! - [`layers`]: request ids (`x-request-id`) and a tracing span per request, the request
//!   timeout, panics as 500 problems.
//! - [`serve`]: plain HTTP or https (rustls), with header-read and idle timeouts, a cap on
//!   open connections, the open-file limit raised, and graceful shutdown on SIGINT or SIGTERM
//!   ([`shutdown_signal`]).
//! - [`BlockingPool`]: CPU-heavy work (canonicalization, signatures) off the async threads,
//!   bounded, with a deadline, shedding load with `503` and `Retry-After`.
//!
//! - [`openapi`]: what both services' OpenAPI documents share (problem details, the
//!   `Idempotency-Key` header, the `/openapi.json` handler).
//!
//! A new endpoint goes in its service's router; a new limit every service should have goes
//! here.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod layers;
pub mod openapi;
mod pool;
mod problem;
mod serve;

pub use layers::{layers, RequestId, REQUEST_TIMEOUT, X_REQUEST_ID};
pub use pool::{BlockingPool, PoolConfig, PoolError, OVERLOAD_AFTER};
pub use problem::{Problem, PROBLEM_JSON};
pub use serve::{raise_open_file_limit, serve, shutdown_signal, ServeConfig, ServeError, Tls};
