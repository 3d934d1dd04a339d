//! The standalone verifier behind `hallmark verifier serve` (docs/design.md §6): the VC API
//! `POST /credentials/verify` and `POST /presentations/verify`, and `POST /verify` for the
//! verify page (posted JSON, an uploaded file, or a URL). It has no issuer database: it
//! trusts the issuers in its trust list and fetches DID documents and status lists itself,
//! through the SSRF-guarded, caching fetcher.
//!
//! Responses: `200` with the report when verified, `422` with the report when not (never 415
//! or 500 for a credential that fails), `400` for a request that is not JSON or lacks the
//! credential; every error is `application/problem+json` (the shared [`hallmark_http`]
//! layer). Limits: body size, JSON depth (the core's strict parser), a concurrency cap that
//! sheds load with `503`, an optional per-client rate limit (`429`), and a 10 s timeout per
//! request; verification runs on a bounded blocking pool with a deadline (`503` with
//! `Retry-After` when it is full), never on the async threads; the server's connection limits
//! are [`hallmark_http::serve`]'s.
//!
//! A new endpoint is a route in [`router`] with its handler here; so is a page (templates under
//! `web/templates/`, rendered through `hallmark_web`). A new check goes in the core pipeline
//! (`hallmark_core::verify`), not here, so every front end reports it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod config;
pub mod openapi;
mod trust;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use governor::clock::QuantaInstant;
use governor::middleware::NoOpMiddleware;
use hallmark_core::json::{self, JsonError};
use hallmark_core::jsonld::WorkBudget;
use hallmark_core::presentation::{PresentationOptions, PRESENTATION_TYPE};
use hallmark_core::report::{Check, CheckId, Outcome, PresentationReport, Report};
use hallmark_core::verify::{Resources, Verifier};
use hallmark_fetch::{FetchError, FetchPolicy, Fetcher, Fetches};
use hallmark_http::{BlockingPool, PoolConfig, PoolError, Problem, ServeConfig, ServeError, Tls};
use serde_json::{json, Map, Value};
use time::OffsetDateTime;
use tokio::time::Instant;
use tower::ServiceBuilder;
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::KeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};

use hallmark_web::form::PasteInput;
use hallmark_web::page::{lang_of, wants_html};
use hallmark_web::{Lang, Text};

pub use config::{ConfigError, VerifierConfig};
pub use trust::{TrustError, TrustStore};

/// The verifier's shared state: a core [`Verifier`] (whose caches hold parsed DID documents
/// and verified, decoded status lists), the fetcher (with its HTTP cache) and the trust list.
#[derive(Clone, Debug)]
pub struct VerifierState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: VerifierConfig,
    verifier: Verifier,
    fetcher: Fetcher,
    trust: TrustStore,
    /// Where verifications run: off the async threads, bounded, with a deadline.
    pool: BlockingPool,
    /// The rate limiter, shared by every router built from this state.
    governor: Option<Arc<GovernorConfig<ClientKey, NoOpMiddleware<QuantaInstant>>>>,
}

/// Why a [`VerifierState`] cannot be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// A trust-list file.
    #[error(transparent)]
    Trust(#[from] trust::TrustError),
    /// An extra root certificate file (`ca_certs`) that cannot be read.
    #[error("{}: {source}", path.display())]
    CaCert {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A local copy ([`VerifierConfig::resolve`]) that cannot be read.
    #[error("{}: {source}", path.display())]
    LocalCopy {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The fetch policy or the HTTP client.
    #[error(transparent)]
    Fetch(#[from] FetchError),
}

impl VerifierState {
    /// Builds the state from the configuration.
    ///
    /// # Errors
    /// [`StateError`]: a trust file, an extra root certificate or a local copy
    /// ([`VerifierConfig::resolve`]) that cannot be read, or an HTTP client that cannot be
    /// built.
    pub fn new(config: VerifierConfig) -> Result<Self, StateError> {
        let trust = TrustStore::new(
            config.trust_files.clone(),
            config.trust.clone(),
            Arc::clone(&config.clock),
        )?;
        let policy = FetchPolicy {
            timeout: config.fetch_timeout,
            max_age: config.cache_max_age,
            cache_bytes: config.response_cache_bytes,
            in_flight_bytes: config.fetch_in_flight_bytes,
            clock: Arc::clone(&config.clock),
            insecure_hosts: config.insecure_hosts.clone(),
            private_hosts: config.private_hosts.clone(),
            extra_roots_pem: config
                .ca_certs
                .iter()
                .map(|p| {
                    std::fs::read(p).map_err(|source| StateError::CaCert {
                        path: p.clone(),
                        source,
                    })
                })
                .collect::<Result<_, _>>()?,
            ..FetchPolicy::default()
        };
        let mut fetcher = Fetcher::new(policy)?;
        for (url, path) in &config.resolve {
            let bytes = std::fs::read(path).map_err(|source| StateError::LocalCopy {
                path: path.clone(),
                source,
            })?;
            fetcher = fetcher.with_local(url, bytes);
        }
        let skew =
            time::Duration::try_from(config.clock_skew).unwrap_or(time::Duration::minutes(5));
        // The caches are this instance's, bounded by the configured bytes.
        let verifier = Verifier::new(OffsetDateTime::now_utc())
            .clock_skew(skew)
            .cache_limits(config.cache_limits())
            .max_status_list_bytes(config.max_status_list_bytes);
        let governor = 1_000_000_000u64
            .checked_div(config.rate_limit_per_second)
            .and_then(|interval| {
                let mut builder = GovernorConfigBuilder::default().key_extractor(ClientKey);
                builder
                    .per_nanosecond(interval.max(1))
                    .burst_size(config.rate_limit_burst);
                builder.finish().map(Arc::new)
            });
        let pool = BlockingPool::new(PoolConfig {
            workers: config.verify_workers,
            // Every request the concurrency cap lets in may wait for a worker.
            max_waiting: config.max_concurrency.saturating_sub(config.verify_workers),
            deadline: config.verify_timeout,
            ..PoolConfig::default()
        });
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                verifier,
                fetcher,
                trust,
                pool,
                governor,
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &VerifierConfig {
        &self.inner.config
    }

    /// The blocking pool verifications run on.
    pub fn pool(&self) -> &BlockingPool {
        &self.inner.pool
    }

    /// A verifier for this instant with the current trust list (sharing the caches).
    fn verifier(&self) -> Verifier {
        let v = self.inner.verifier.clone().at(OffsetDateTime::now_utc());
        match self.inner.trust.current() {
            Some(list) => v.trust((*list).clone()),
            None => v,
        }
    }
}

/// The HTTP API: `/credentials/verify`, `/presentations/verify`, `/verify`, `/healthz`.
pub fn router(state: VerifierState) -> Router {
    let config = state.config().clone();
    let governor = state.inner.governor.clone();
    let mut app = Router::new()
        .route("/credentials/verify", post(verify_credential))
        .route("/presentations/verify", post(verify_presentation))
        .route("/verify", post(verify_page).get(paste))
        .route("/", get(paste))
        .route("/assets/{name}", get(asset))
        .route("/healthz", get(|| async { "ok" }))
        .route("/openapi.json", get(openapi::serve))
        .fallback(|| async {
            Problem::not_found(
                "no such endpoint; POST /credentials/verify, /presentations/verify or /verify",
            )
        })
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .with_state(state);
    if let Some(governor) = &governor {
        app = app.layer(GovernorLayer::new(governor.clone()).error_handler(rate_limited));
    }
    let app = app.layer(
        ServiceBuilder::new()
            .layer(axum::error_handling::HandleErrorLayer::new(
                |_: tower::BoxError| async {
                    Problem::overloaded("too many requests in flight; retry shortly", 1)
                },
            ))
            .load_shed()
            .concurrency_limit(config.max_concurrency),
    );
    hallmark_http::layers(app, hallmark_http::REQUEST_TIMEOUT)
}

/// Serves over http, or https when the configuration names a certificate, until `shutdown`
/// resolves (e.g. [`hallmark_http::shutdown_signal`]); then finishes the requests in flight.
/// Client addresses feed the rate limiter.
///
/// # Errors
/// [`ServeError`]: the TLS certificate or key, or the listener.
pub async fn serve(
    state: VerifierState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let config = state.config();
    let tls = Tls::from_config(config.tls.as_ref())?;
    let limits = ServeConfig {
        header_read_timeout: config.header_read_timeout,
        idle_timeout: config.idle_timeout,
        max_connections: config.max_connections,
        max_connections_per_client: config.max_connections_per_client,
        ..ServeConfig::default()
    };
    hallmark_http::serve(listener, router(state), limits, tls, shutdown).await
}

/// The answer to a client over its rate limit: `429` problem details whose `Retry-After` is
/// the wait rounded up to whole seconds, so at least 1 (tower_governor rounds down, and
/// said `Retry-After: 0` to a client that had under a second to wait).
fn rate_limited(error: GovernorError) -> Response {
    match error {
        GovernorError::TooManyRequests { wait_time, .. } => {
            // `wait_time` is the wait's whole seconds; the fraction it drops is not known.
            let seconds = wait_time.saturating_add(1);
            Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
                format!("too many requests from this address; retry after {seconds} s"),
            )
            .retry_after(seconds)
            .into_response()
        }
        other => Problem::internal("the rate limiter", &other).into_response(),
    }
}

/// Rate-limit key: the client's address, or one shared key when there is none (in-process
/// tests).
#[derive(Clone, Copy, Debug)]
struct ClientKey;

impl KeyExtractor for ClientKey {
    type Key = IpAddr;

    fn extract<T>(&self, req: &axum::http::Request<T>) -> Result<IpAddr, GovernorError> {
        Ok(req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip()))
    }
}

/// An early answer (a problem response), boxed to keep `Result`s small.
type Rejection = Box<Response>;

fn reject(
    status: StatusCode,
    slug: &'static str,
    title: &'static str,
    detail: String,
) -> Rejection {
    Box::new(problem(status, slug, title, detail))
}

fn problem(
    status: StatusCode,
    slug: &'static str,
    title: &'static str,
    detail: String,
) -> Response {
    Problem::new(status, slug, title, detail).into_response()
}

/// A request body parsed strictly. Not JSON is a 400; duplicate keys inside are the
/// credential's `parse` failure, reported as a failed verification.
enum Body {
    Json(Value),
    Duplicate,
}

fn strict_body(bytes: &[u8]) -> Result<Body, Rejection> {
    match json::parse(bytes) {
        Ok(v) => Ok(Body::Json(v)),
        Err(JsonError::DuplicateKey { .. }) => Ok(Body::Duplicate),
        Err(e) => Err(reject(
            StatusCode::BAD_REQUEST,
            "malformed-json",
            "Malformed JSON",
            format!("PARSING_ERROR: {e}"),
        )),
    }
}

/// Which checks a request asked for (`options.checks`); `None` is all.
fn requested_checks(options: Option<&Value>) -> Result<Option<Vec<CheckId>>, Rejection> {
    let Some(list) = options.and_then(|o| o.get("checks")) else {
        return Ok(None);
    };
    let Some(items) = list.as_array() else {
        return Err(reject(
            StatusCode::BAD_REQUEST,
            "invalid",
            "Invalid options",
            "options.checks must be an array".into(),
        ));
    };
    let mut out = vec![CheckId::Parse];
    for item in items {
        let id = match item.as_str().unwrap_or_default() {
            "proof" => CheckId::Proof,
            "issuer" => CheckId::Issuer,
            "trust" => CheckId::Trust,
            "validity" | "expiration" | "validFrom" | "validUntil" => CheckId::Validity,
            "status" | "credentialStatus" => CheckId::Status,
            "parse" => CheckId::Parse,
            other => {
                return Err(reject(
                    StatusCode::BAD_REQUEST,
                    "invalid",
                    "Invalid options",
                    format!(
                        "unknown check {other:?}; known: proof, issuer, trust, validity, status"
                    ),
                ))
            }
        };
        out.push(id);
    }
    Ok(Some(out))
}

/// Keeps only the requested checks; the others are reported `skipped`.
fn restrict(report: Report, only: Option<&[CheckId]>) -> Report {
    match only {
        Some(ids) => report.only(ids),
        None => report,
    }
}

/// The report on a body with a duplicate key: the core's parse failure, naming the key.
fn duplicate_report(body: &[u8]) -> Report {
    Verifier::new(OffsetDateTime::now_utc()).verify_bytes(body, &hallmark_core::verify::Offline)
}

fn problem_details(checks: &[Value]) -> Vec<Value> {
    checks
        .iter()
        .filter(|c| matches!(c["outcome"].as_str(), Some("failed" | "unknown")))
        .map(|c| {
            let title = c["code"].as_str().map_or_else(
                || {
                    format!(
                        "{} {}",
                        c["check"].as_str().unwrap_or(""),
                        c["outcome"].as_str().unwrap_or("")
                    )
                },
                str::to_owned,
            );
            let kind = match c["code"].as_str() {
                None => format!("urn:hallmark:check:{}", c["check"].as_str().unwrap_or("")),
                // Hallmark's own codes (a revoked or suspended status) are not the W3C's.
                Some(code @ ("STATUS_REVOKED" | "STATUS_SUSPENDED")) => {
                    format!("urn:hallmark:code:{code}")
                }
                Some(code) => format!("https://www.w3.org/TR/vc-data-model#{code}"),
            };
            json!({"type": kind, "title": title, "detail": c["detail"], "check": c["check"]})
        })
        .collect()
}

/// The VC API's answer: 200 when verified, 422 when not, the body as JSON.
fn verdict(body: &Value, verified: bool) -> Response {
    verdict_bytes(body.to_string().into_bytes(), verified)
}

fn verdict_bytes(body: Vec<u8>, verified: bool) -> Response {
    let status = if verified {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

fn answer(report_json: Value, verified: bool) -> Response {
    let mut body = report_json;
    let details = problem_details(body["checks"].as_array().map(Vec::as_slice).unwrap_or(&[]));
    body["problemDetails"] = details.into();
    verdict(&body, verified)
}

/// [`answer`] for a [`Report`], written straight to text: the same JSON as
/// `answer(report.to_json(), …)`, without building a `Value` of it first (every request of a
/// busy verifier pays for that).
fn answer_report(report: &Report) -> Response {
    #[derive(serde::Serialize)]
    struct Answer<'a> {
        #[serde(flatten)]
        report: &'a Report,
        #[serde(rename = "problemDetails")]
        problem_details: Vec<Value>,
    }
    let failing: Vec<Value> = report
        .checks
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Failed | Outcome::Unknown))
        .map(|c| serde_json::to_value(c).unwrap_or_default())
        .collect();
    let body = Answer {
        report,
        problem_details: problem_details(&failing),
    };
    verdict_bytes(
        serde_json::to_vec(&body).unwrap_or_default(),
        report.verified(),
    )
}

/// Canonicalization steps one request may spend in place, on the async thread, before its
/// work counts as heavy and goes to the blocking pool (~1 ms; a badge takes far fewer, and
/// none once its canonical hash is remembered).
const IN_PLACE_STEPS: u64 = 1_000;

/// The largest request (bytes) whose work may start in place: parsing, JCS and signature
/// checks grow with the size, and the step budget above bounds the rest.
const IN_PLACE_BYTES: usize = 16 * 1024;

/// What one request's verification may take: its deadline and its canonicalization work
/// budget, shared by every proof, pass and embedded credential, and a small budget for work
/// done in place; and its fetches, also shared: a presentation and every credential in it
/// fetch at most `max_fetches` URLs together, and a URL fetched for one is not fetched again.
#[derive(Clone)]
struct Allowance {
    deadline: Instant,
    budget: WorkBudget,
    /// `None` when the request is too large to start in place.
    in_place: Option<WorkBudget>,
    fetches: Fetches,
}

impl Allowance {
    fn new(state: &VerifierState, verifier: &Verifier, request_bytes: &[u8]) -> Self {
        Self {
            deadline: state.pool().deadline(),
            budget: verifier.new_work_budget(),
            in_place: (request_bytes.len() <= IN_PLACE_BYTES && !has_inline_context(request_bytes))
                .then(|| WorkBudget::new(IN_PLACE_STEPS)),
            fetches: Fetches::new(),
        }
    }
}

/// Whether the four hex digits after a `\u` name one of the characters of `@context`
/// (conservative: malformed digits count too; the parser refuses them later anyway).
fn escapes_a_context_char(hex: &[u8]) -> bool {
    let Some(digits) = hex.get(..4).and_then(|d| std::str::from_utf8(d).ok()) else {
        return true;
    };
    match u32::from_str_radix(digits, 16) {
        Ok(c) => u8::try_from(c).is_ok_and(|c| b"@context".contains(&c)),
        Err(_) => true,
    }
}

/// Whether a request names an inline JSON-LD context (an object in an `@context` value):
/// processing one is not metered like canonicalization, so such requests never run in place.
/// Conservative: any `{` inside an `@context` value counts.
fn has_inline_context(body: &[u8]) -> bool {
    // A key spelled with escapes (`"@cont\u0065xt"`) is `@context` once parsed: a request
    // escaping any character of "@context" counts as having one. Other escapes stay in place
    // (Python's `json.dumps` writes every non-ASCII character as `\u2014` and the like).
    if memchr::memmem::find_iter(body, b"\\u").any(|at| escapes_a_context_char(&body[at + 2..])) {
        return true;
    }
    // memchr's SIMD search: this runs on every request, before anything else.
    memchr::memmem::find_iter(body, b"\"@context\"").any(|at| {
        let rest = &body[at + b"\"@context\"".len()..];
        let value = rest
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b':'))
            .map_or(&rest[..0], |i| &rest[i..]);
        match value.first() {
            Some(b'{') => true,
            Some(b'[') => {
                let end = memchr::memchr(b']', value).unwrap_or(value.len());
                memchr::memchr(b'{', &value[..end]).is_some()
            }
            _ => false,
        }
    })
}

/// Verifies a credential within the request's [`Allowance`].
async fn check_credential(
    state: &VerifierState,
    credential: Value,
    only: Option<&[CheckId]>,
    allowance: &Allowance,
) -> Result<Report, PoolError> {
    let verifier = state.verifier();
    // What the core's plan names is fetched together first; the pipeline then runs once.
    allowance
        .fetches
        .prefetch(&state.inner.fetcher, &credential)
        .await;
    let report = checked(state, allowance, move |resources, budget| {
        verifier.verify_value_within(&credential, resources, budget)
    })
    .await?;
    Ok(restrict(hinted(report), only))
}

/// Runs `work` (no I/O; canonicalization and signatures) as often as it needs to with what it
/// asks the fetcher for; the fetches happen here, on the async side, between passes. A pass
/// runs in place while the request's small in-place budget lasts (a badge seen before, or an
/// ordinary one, costs no thread hand-off); a pass that runs out of it is heavy, and it and
/// every later one run on the blocking pool, within the request's budget and deadline.
async fn checked<T: Send + 'static>(
    state: &VerifierState,
    allowance: &Allowance,
    work: impl Fn(&dyn Resources, &WorkBudget) -> T + Send + Sync + 'static,
) -> Result<T, PoolError> {
    let work = Arc::new(work);
    let pool = &state.inner.pool;
    hallmark_fetch::with_fetched_in(&state.inner.fetcher, &allowance.fetches, |snapshot| {
        let work = work.clone();
        let allowance = allowance.clone();
        async move {
            if let Some(small) = allowance.in_place.filter(|b| b.spent() < b.total()) {
                let result = work(&snapshot, &small);
                if small.spent() < small.total() {
                    return Ok((result, snapshot));
                }
            }
            let budget = allowance.budget.clone();
            let result = pool
                .run(allowance.deadline, move || {
                    let result = work(&snapshot, &budget);
                    (result, snapshot)
                })
                .await;
            if matches!(result, Err(PoolError::Deadline(_))) {
                // Answered 503 already: the work stops at its next canonicalization step.
                allowance.budget.exhaust();
            }
            result
        }
    })
    .await
}

/// `POST /credentials/verify` `{verifiableCredential, options}`.
async fn verify_credential(State(state): State<VerifierState>, body: Bytes) -> Response {
    let allowance = Allowance::new(&state, &state.verifier(), &body);
    let mut value = match strict_body(&body) {
        Ok(Body::Json(v)) => v,
        Ok(Body::Duplicate) => {
            let report = duplicate_report(&body);
            return answer(report.to_json(), false);
        }
        Err(r) => return *r,
    };
    let Some(credential) = value
        .as_object_mut()
        .and_then(|m| m.remove("verifiableCredential"))
    else {
        return problem(
            StatusCode::BAD_REQUEST,
            "invalid",
            "Invalid request",
            "the body must be {\"verifiableCredential\": {…}, \"options\": {…}}".into(),
        );
    };
    let only = match requested_checks(value.get("options")) {
        Ok(o) => o,
        Err(r) => return *r,
    };
    match check_credential(&state, credential, only.as_deref(), &allowance).await {
        Ok(report) => answer_report(&report),
        Err(e) => Problem::from(e).into_response(),
    }
}

/// `POST /presentations/verify` `{verifiablePresentation, options: {challenge, domain}}`: the
/// core's presentation pipeline ([`Verifier::verify_presentation_within`]) within the
/// request's one allowance, the answer [`presentation_body`].
async fn verify_presentation(State(state): State<VerifierState>, body: Bytes) -> Response {
    let (vp, options, only) = match presentation_request(&body) {
        Ok(request) => request,
        Err(answer) => return *answer,
    };
    let verifier = state.verifier();
    // One deadline, budget and fetch bound for the holder's proof and every credential inside.
    let allowance = Allowance::new(&state, &verifier, &body);
    // The presentation alone: nothing else of the request is verified, so nothing else is
    // fetched (attacker check: sibling keys drew on the bound).
    let presentation = Value::Object(vp.clone());
    allowance
        .fetches
        .prefetch(&state.inner.fetcher, &presentation)
        .await;
    let report = checked(&state, &allowance, move |resources, budget| {
        verifier.verify_presentation_within(&vp, &options, resources, budget)
    })
    .await;
    match report {
        Ok(mut report) => {
            report.credentials = report.credentials.into_iter().map(hinted).collect();
            let report = match &only {
                Some(ids) => report.only(ids),
                None => report,
            };
            verdict(&presentation_body(&report), report.verified())
        }
        Err(e) => Problem::from(e).into_response(),
    }
}

/// A `POST /presentations/verify` body read: the presentation, its options and the checks
/// asked for; or the answer to give instead (a duplicate key's report, a problem).
type PresentationRequest = (
    Map<String, Value>,
    PresentationOptions,
    Option<Vec<CheckId>>,
);

fn presentation_request(body: &[u8]) -> Result<PresentationRequest, Box<Response>> {
    let value = match strict_body(body) {
        Ok(Body::Json(v)) => v,
        Ok(Body::Duplicate) => {
            let report = duplicate_report(body);
            return Err(Box::new(answer(
                json!({"verified": false, "checks": report.checks}),
                false,
            )));
        }
        Err(r) => return Err(r),
    };
    let Some(Value::Object(vp)) = value.get("verifiablePresentation") else {
        return Err(Box::new(problem(
            StatusCode::BAD_REQUEST,
            "invalid",
            "Invalid request",
            "the body must be {\"verifiablePresentation\": {…}, \"options\": {…}}".into(),
        )));
    };
    let vp = vp.clone();
    let only = requested_checks(value.get("options"))?;
    let options = PresentationOptions::from_vc_api(value.get("options")).map_err(|e| {
        Box::new(problem(
            StatusCode::BAD_REQUEST,
            "invalid",
            "Invalid request",
            e.to_string(),
        ))
    })?;
    Ok((vp, options, only))
}

/// The body of `POST /presentations/verify` for a report: `{verified, checks,
/// credentialResults, problemDetails}`, with the problem details of the presentation's checks
/// then of each credential's. `hallmark verify --json` prints the same for a presentation.
pub fn presentation_body(report: &PresentationReport) -> Value {
    let mut body = report.to_json();
    let failing: Vec<Value> = report
        .checks
        .iter()
        .chain(report.credentials.iter().flat_map(|r| &r.checks))
        .filter(|c| c.is_problem())
        .map(check_json)
        .collect();
    body["problemDetails"] = problem_details(&failing).into();
    body
}

/// The report with the front ends' hints added to the details they belong to
/// ([`Report::with_cli_hints`]: `hallmark verify`, `hallmark verifier serve` and the browser
/// build share the wording). Before `options.checks`, which keeps the outcome a hint is worded
/// for.
pub fn hinted(report: Report) -> Report {
    report.with_cli_hints()
}

/// `POST /verify`: what the verify page sends — a credential as JSON, `{"url": …}`, a
/// multipart upload (`file`, or `url`), or a form (`url=` or `credential=`); a file may be a
/// baked PNG or SVG (Open Badges 3.0 §5.3), whose credential is verified. A browser
/// (`Accept: text/html`) gets the report as the verify page, or the paste page saying what
/// was wrong; anything else gets JSON as from `POST /credentials/verify`.
async fn verify_page(State(state): State<VerifierState>, request: Request) -> Response {
    let page =
        wants_html(request.headers()).then(|| lang_of(request.uri().query(), request.headers()));
    let limit = state.config().max_body_bytes;
    let bytes = match page_input(request, limit).await {
        Err(r) => return refused(page, limit, *r).await,
        Ok(Input::Bytes(b)) => b,
        Ok(Input::Url(url)) => match state.inner.fetcher.get(&url).await {
            Ok(b) => b.to_vec(),
            Err(e) => {
                let detail = e.to_string();
                return match page {
                    Some(lang) => paste_page(
                        lang,
                        limit,
                        StatusCode::BAD_REQUEST,
                        Text::new(lang).with("paste-error-fetch", "why", detail),
                    ),
                    None => problem(
                        StatusCode::BAD_REQUEST,
                        "unfetchable",
                        "The badge could not be fetched",
                        detail,
                    ),
                };
            }
        },
    };
    let bytes = match page {
        Some(lang) => match hallmark_web::paste::credential_of(bytes) {
            Ok(b) => b,
            Err(e) => {
                let t = Text::new(lang);
                return paste_page(lang, limit, StatusCode::UNPROCESSABLE_ENTITY, e.message(t));
            }
        },
        None => match hallmark_core::baked::unbake(&bytes) {
            Ok(b) => b.unwrap_or(bytes),
            Err(e) => {
                return problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "no-credential-in-image",
                    "The image holds no badge",
                    e.to_string(),
                )
            }
        },
    };
    if page.is_none() && is_presentation_text(&bytes) {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "presentation",
            "A presentation",
            "this takes a credential; send a presentation to POST /presentations/verify".into(),
        );
    }
    // Parsed with the rest: a duplicate key or bad JSON is the report's `parse` failure.
    let verifier = state.verifier();
    // The reader's browser verifies the same text against the same trust list.
    let browser = page.map(|_| hallmark_web::verify::BrowserCheck {
        credential_url: None,
        build: Some(hallmark_web::verify::BrowserCheck::build_for(
            &String::from_utf8_lossy(&bytes),
        )),
        credential: String::from_utf8(bytes.clone()).ok(),
        trust: state
            .inner
            .trust
            .current()
            .map(|list| list.issuers().iter().map(|i| i.id.clone()).collect())
            .unwrap_or_default(),
        insecure_hosts: state.config().insecure_hosts.clone(),
    });
    let allowance = Allowance::new(&state, &verifier, &bytes);
    let checked_at = verifier.now();
    match checked(
        &state,
        &allowance,
        move |resources, budget| match json::parse(&bytes) {
            Ok(value) => verifier.verify_value_within(&value, resources, budget),
            Err(_) => verifier.verify_bytes(&bytes, resources),
        },
    )
    .await
    {
        Ok(report) => match page {
            Some(lang) => hallmark_web::paste::report_response(
                lang,
                false,
                &hinted(report),
                checked_at,
                browser,
            ),
            None => answer_report(&hinted(report)),
        },
        Err(e) => match page {
            Some(lang) => paste_page(
                lang,
                limit,
                StatusCode::SERVICE_UNAVAILABLE,
                Text::new(lang).get("paste-error-busy").into_owned(),
            ),
            None => Problem::from(e).into_response(),
        },
    }
}

/// `GET /verify` (and `GET /`): the page to paste, upload or link a badge.
async fn paste(State(state): State<VerifierState>, request: Request) -> Response {
    let lang = lang_of(request.uri().query(), request.headers());
    let limit = state.config().max_body_bytes;
    let mut response =
        hallmark_web::paste::paste_response(lang, false, limit, StatusCode::OK, None);
    // The language switch's choice, kept for the report page the form leads to.
    if let Some(cookie) = hallmark_web::page::lang_cookie(request.uri().query()) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// `GET /assets/{name}`: the pages' stylesheet.
async fn asset(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    hallmark_web::page::asset_response(&name)
}

/// The paste page again, with `status` and what was wrong.
fn paste_page(lang: Lang, limit: usize, status: StatusCode, error: String) -> Response {
    hallmark_web::paste::paste_response(lang, false, limit, status, Some(error))
}

/// A body the paste page could not read: for a browser the paste page with why, else the
/// problem as it was.
async fn refused(page: Option<Lang>, limit: usize, response: Response) -> Response {
    let Some(lang) = page else {
        return response;
    };
    let status = response.status();
    let t = Text::new(lang);
    let error = if status == StatusCode::PAYLOAD_TOO_LARGE {
        t.with("paste-error-too-large", "kib", limit / 1024)
    } else {
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
            .await
            .unwrap_or_default();
        serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("detail").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| t.get("paste-error-empty").into_owned())
    };
    paste_page(lang, limit, status, error)
}

/// Whether `bytes` are a presentation (its `type` names one): a cheap look for the type in the
/// text first, a parse only then.
fn is_presentation_text(bytes: &[u8]) -> bool {
    memchr::memmem::find(bytes, b"VerifiablePresentation").is_some()
        && json::parse(bytes).is_ok_and(|v| {
            v.get("type").is_some_and(|t| match t {
                Value::String(t) => t == PRESENTATION_TYPE,
                Value::Array(ts) => ts.iter().any(|t| t == PRESENTATION_TYPE),
                _ => false,
            })
        })
}

/// What the verify page was given: an upload, a form, `{"url"}`, `{"verifiableCredential"}` or
/// a credential itself, by its content type.
async fn page_input(request: Request, limit: usize) -> Result<Input, Rejection> {
    if hallmark_web::form::is_form(&request) {
        return match hallmark_web::form::read(request, limit).await {
            Ok(PasteInput::Bytes(b)) => Ok(Input::Bytes(b)),
            Ok(PasteInput::Url(u)) => Ok(Input::Url(u)),
            Err(e) => Err(body_rejection(
                e.status(),
                limit,
                "Invalid form",
                e.to_string(),
            )),
        };
    }
    match Bytes::from_request(request, &()).await {
        Err(e) => Err(body_rejection(
            e.status(),
            limit,
            "Invalid body",
            e.body_text(),
        )),
        Ok(bytes) => match strict_body(&bytes) {
            Ok(Body::Json(Value::Object(m)))
                if m.len() == 1 && m.get("url").is_some_and(Value::is_string) =>
            {
                Ok(Input::Url(m["url"].as_str().unwrap_or_default().to_owned()))
            }
            // The VC API's wrapper, not a presentation (which has its own context and
            // type, and holds credentials under the same key).
            Ok(Body::Json(Value::Object(mut m)))
                if m.contains_key("verifiableCredential")
                    && !m.contains_key("@context")
                    && !m.contains_key("type") =>
            {
                Ok(Input::Bytes(
                    m.remove("verifiableCredential")
                        .unwrap_or_default()
                        .to_string()
                        .into_bytes(),
                ))
            }
            Ok(Body::Json(_) | Body::Duplicate) => Ok(Input::Bytes(bytes.to_vec())),
            Err(r) => Err(r),
        },
    }
}

enum Input {
    Bytes(Vec<u8>),
    Url(String),
}

/// A request body that could not be read: `413` when it is larger than `limit` (the
/// configured `max_body_bytes`), whatever the reader (JSON, form, multipart upload), else
/// `400`.
fn body_rejection(
    status: StatusCode,
    limit: usize,
    title: &'static str,
    detail: String,
) -> Rejection {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        reject(
            status,
            "too-large",
            "Request body too large",
            format!("the request body is larger than the {limit} bytes this verifier accepts"),
        )
    } else {
        reject(StatusCode::BAD_REQUEST, "invalid", title, detail)
    }
}

/// Check results as JSON, for callers that build their own responses.
pub fn check_json(check: &Check) -> Value {
    serde_json::to_value(check).unwrap_or_default()
}

#[cfg(test)]
mod in_place_tests {
    use super::has_inline_context;

    /// `answer_report` writes the report without a `Value` in between; its body must be
    /// `answer(report.to_json())`'s, for a verified report and for one with failures.
    #[test]
    fn answer_report_is_the_answer_of_the_reports_json() {
        use hallmark_core::verify::{Offline, Verifier};
        let text = include_str!("../../../tests/vectors/verify/expired.txt");
        let json: String = text.lines().filter(|l| !l.starts_with('#')).collect();
        let mut reports = Vec::new();
        for at in [
            time::macros::datetime!(2027-02-01 0:00 UTC),
            time::macros::datetime!(2026-06-01 0:00 UTC),
        ] {
            let verifier = Verifier::new(at);
            reports.push(verifier.verify_bytes(json.as_bytes(), &Offline));
        }
        reports.push(Verifier::new(time::OffsetDateTime::UNIX_EPOCH).verify_bytes(b"[", &Offline));
        assert!(reports.iter().any(|r| r.summary.is_some()));
        for report in &reports {
            let body = |r: axum::response::Response| {
                let status = r.status();
                let bytes = response_bytes(r);
                (
                    status,
                    serde_json::from_slice::<serde_json::Value>(&bytes).unwrap(),
                )
            };
            let direct = body(super::answer_report(report));
            let via_value = body(super::answer(report.to_json(), report.verified()));
            assert_eq!(direct, via_value);
            assert!(direct.1["problemDetails"].is_array());
        }
    }

    fn response_bytes(response: axum::response::Response) -> Vec<u8> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime
            .block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
            .unwrap()
            .to_vec()
    }

    #[test]
    fn inline_contexts_are_seen_in_the_raw_request() {
        assert!(!has_inline_context(
            br#"{"verifiableCredential": {"@context": ["https://www.w3.org/ns/credentials/v2"]}}"#
        ));
        assert!(has_inline_context(
            br#"{"verifiableCredential": {"@context": ["https://www.w3.org/ns/credentials/v2", {"k": "https://a.example/k"}]}}"#
        ));
        assert!(has_inline_context(br#"{"x": {"@context" : {"k": "u:k"}}}"#));
        // Escaped key spellings are `@context` once parsed (an attacker's bypass).
        assert!(has_inline_context(
            br#"{"x": {"@cont\u0065xt": [{"k": "u:k"}]}}"#
        ));
        assert!(has_inline_context(
            br#"{"x": {"\u0040context": [{"k": "u:k"}]}}"#
        ));
        assert!(has_inline_context(br#"{"x": {"@c\u006Fntext": 1}}"#));
        // Other escapes (Python's json.dumps writes non-ASCII this way) stay in place.
        assert!(!has_inline_context(
            br#"{"name": "Gold Partner \u2014 Solutions", "x": "Soci\u00e9t\u00e9 \ud83d\ude00"}"#
        ));
        assert!(!has_inline_context(br#"{"x": 1}"#));
    }
}
