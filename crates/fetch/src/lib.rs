//! Fetching for verification: DID documents (`did:web`), issuer profiles and Bitstring Status
//! List credentials, over HTTPS, with an SSRF guard and a bounded cache.
//!
//! The core pipeline does no I/O; [`verify`] first fetches, together, what the core's plan
//! (`hallmark_core::plan`) says the document names ([`Fetches::prefetch`]), then runs the
//! pipeline, fetches concurrently what it asked for and could not have, and runs it again,
//! until nothing new is needed (at most a few rounds: a badge's status list may be signed by a
//! `did:web` key).
//!
//! Where things go: a new kind of document a check needs is named by the core's plan and
//! asked through `Resources`; it is fetched here with no change, under the same guard and
//! bounds. A new limit on what is fetched (a size, a count, a time) is a [`FetchPolicy`]
//! field with its default, set by the verifier's config and the CLI's flags.
//!
//! By default the [`Fetcher`] sends requests only over `https`, never to loopback, private,
//! link-local, shared or otherwise internal addresses (every special-purpose range of the IANA
//! registries, IPv4 inside IPv6 included): URLs are read with the HTTP client's own WHATWG
//! parser, so `127.1` or `0x7f000001` is checked as the `127.0.0.1` it becomes; every address a
//! host name resolves to is checked before connecting, on every redirect; and the address
//! connected to is checked again. No proxy is used, so the address checked is the address
//! reached. It follows at most 3 redirects, reads at most 1 MiB, gives up after 10 seconds,
//! and fetches at most 32 distinct URLs for one verification (a presentation and every
//! credential in it together, with [`Fetches`]). The bodies being read by every fetch at once
//! hold at most [`FetchPolicy::in_flight_bytes`] together ([`InFlight`]); a fetch that finds
//! no room before its timeout fails as [`FetchError::Busy`]. A refused address is named by
//! its host alone, never by what the host resolved to, and a failed request by what failed
//! (name, connection, TLS, answer), never by the network's own words: a caller cannot map the
//! internal network through the errors. Responses are cached for the
//! shortest of the HTTP `Cache-Control` max-age, a status list's own `ttl`, and the configured
//! maximum age, so a revocation is seen within that bound. The cache is bounded by bytes
//! ([`FetchPolicy::cache_bytes`]), and what the pipeline found to be a trusted issuer's is kept
//! apart from the rest ([`Fetcher::trusted`]). A command's run over many inputs
//! ([`Fetcher::for_run`]) fetches each URL once, whatever the caching headers say, with a
//! bounded number of requests at once.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod guard;
mod in_flight;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use hallmark_core::cache::{BoundedCache, Budget, Standing, Usage};
use hallmark_core::clock::Clock;
use hallmark_core::report::Report;
use hallmark_core::verify::{ResolveError, Resources, Verifier};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde_json::Value;

pub use guard::{is_internal, special_purpose, Guard, HostPortProblem, NotHostPort, Refusal};
pub use in_flight::InFlight;

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL is refused by policy (scheme, internal address).
    #[error("refused to fetch {url}: {reason}")]
    Refused {
        /// The URL.
        url: String,
        /// Why.
        reason: Refusal,
    },
    /// Fetching is off (`--offline`) and no local copy was given.
    #[error("{url} was not fetched (offline); supply it with --resolve {url}=FILE")]
    Offline {
        /// The URL.
        url: String,
    },
    /// The request failed (DNS, connection, TLS, timeout, too many redirects).
    #[error("could not fetch {url}: {reason}")]
    Unreachable {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The server answered with a non-success status.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status code.
        status: u16,
    },
    /// The body exceeds the size limit.
    #[error("{url} is larger than {max} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit, bytes.
        max: usize,
    },
    /// One verification already fetched as many distinct URLs as it may.
    #[error(
        "{url} was not fetched: one verification fetches at most {max} distinct URLs \
         (a presentation and every credential in it together)"
    )]
    TooManyFetches {
        /// The URL.
        url: String,
        /// The limit.
        max: usize,
    },
    /// The in-flight byte budget ([`FetchPolicy::in_flight_bytes`]) had no room for this
    /// body within the fetch's timeout: other fetches are reading large documents.
    #[error("{url} was not fetched: the verifier is busy fetching other documents; try again")]
    Busy {
        /// The URL.
        url: String,
    },
    /// The run ([`Fetcher::for_run`]) already holds [`Fetcher::run_bytes`] of answers: a
    /// claims file whose badges name ever more documents ends here, not in memory.
    #[error("{url} was not fetched: this run already holds {max} bytes of fetched documents")]
    RunFull {
        /// The URL.
        url: String,
        /// The run's budget, bytes.
        max: usize,
    },
    /// The policy itself is wrong (an allowed host that is not `host:port`).
    #[error("invalid fetch policy: {reason}")]
    Policy {
        /// Why.
        reason: PolicyError,
    },
}

/// Why a [`FetchPolicy`] cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// An allowed host that is not `host[:port]`.
    #[error(transparent)]
    Host(#[from] NotHostPort),
    /// [`FetchPolicy::in_flight_bytes`] of 0, which would let no body be read.
    #[error("the in-flight byte budget must be at least 1 byte")]
    NoInFlightBytes,
}

/// What the fetcher may do.
#[derive(Debug, Clone)]
pub struct FetchPolicy {
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Redirects followed at most.
    pub max_redirects: usize,
    /// Largest body read, bytes.
    pub max_bytes: usize,
    /// The longest a response is cached, whatever the server says.
    pub max_age: Duration,
    /// The bytes the response cache may hold, half for documents found to be trusted issuers'
    /// (see [`Fetcher::trusted`]): a flood of other responses cannot push those out.
    pub cache_bytes: usize,
    /// Hosts (`host:port`) reached over plain HTTP, even on loopback or private addresses:
    /// for tests and local development only. `https://HOST:PORT/…` is fetched as
    /// `http://HOST:PORT/…`.
    pub insecure_hosts: Vec<String>,
    /// Hosts (`host:port`) allowed on loopback or private addresses, still over https with a
    /// verified certificate (e.g. an issuer behind a TLS proxy on the same machine).
    pub private_hosts: Vec<String>,
    /// Extra trusted root certificates (PEM), besides the system's: e.g. a test CA.
    pub extra_roots_pem: Vec<Vec<u8>>,
    /// Fetch nothing (only local copies).
    pub offline: bool,
    /// Fixed addresses for host names, consulted before DNS (like /etc/hosts). The guard
    /// still checks them.
    pub static_hosts: HashMap<String, Vec<IpAddr>>,
    /// Distinct URLs one verification may fetch (DID documents, status lists, their issuers'
    /// documents); what it asks for beyond them stays unresolved, so one credential naming
    /// hundreds of hosts costs at most this many requests.
    pub max_fetches: usize,
    /// The bytes the bodies being read by every fetch of the fetcher (and its clones) may hold
    /// together, at least 1 (default [`DEFAULT_IN_FLIGHT_BYTES`]). A fetch waits for room
    /// until its timeout, then fails as [`FetchError::Busy`]; a body larger than the whole
    /// budget is [`FetchError::TooLarge`]. See [`InFlight`].
    pub in_flight_bytes: usize,
    /// The clock cached responses expire by ([`hallmark_core::clock`]): the system's, or a
    /// test's that moves without sleeping.
    pub clock: Arc<dyn Clock>,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            max_redirects: 3,
            max_bytes: 1 << 20,
            max_age: Duration::from_secs(300),
            cache_bytes: DEFAULT_CACHE_BYTES,
            insecure_hosts: Vec::new(),
            private_hosts: Vec::new(),
            extra_roots_pem: Vec::new(),
            offline: false,
            static_hosts: HashMap::new(),
            max_fetches: 32,
            in_flight_bytes: DEFAULT_IN_FLIGHT_BYTES,
            clock: hallmark_core::clock::system(),
        }
    }
}

/// The default [`FetchPolicy::cache_bytes`]: 32 MiB.
pub const DEFAULT_CACHE_BYTES: usize = 32 << 20;

/// The default [`FetchPolicy::in_flight_bytes`]: 64 MiB.
pub const DEFAULT_IN_FLIGHT_BYTES: usize = 64 << 20;

#[derive(Debug, Clone)]
struct Cached {
    bytes: Arc<[u8]>,
    expires: Instant,
}

/// The response cache: URL → bytes, bounded by bytes.
type ResponseCache = BoundedCache<String, Cached>;

fn response_cost(url: &str, cached: &Cached) -> usize {
    url.len() + cached.bytes.len()
}

/// Fetches URLs under a [`FetchPolicy`], with local copies (`--resolve`) and a cache.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    /// For [`Fetcher::post_json`]: the same guard, redirects never followed.
    poster: reqwest::Client,
    guard: Arc<Guard>,
    policy: Arc<FetchPolicy>,
    local: Arc<HashMap<String, Arc<[u8]>>>,
    cache: Arc<ResponseCache>,
    in_flight: InFlight,
    /// One command's run ([`Fetcher::for_run`]): every URL fetched once, a bounded number at
    /// a time.
    run: Option<Arc<RunMemo>>,
}

/// One URL's answer in a run: set once, by the first asker.
type Answer = tokio::sync::OnceCell<Result<Arc<[u8]>, FetchError>>;

/// What one run of a command fetched, by URL, errors included: each URL is asked for once,
/// however many credentials name it and however many ask at once (the first asker fetches,
/// the others wait for its answer). Holds at most one response per distinct URL the run
/// needed, each within [`FetchPolicy::max_bytes`] and all within [`Fetcher::run_bytes`], for
/// as long as the run.
#[derive(Debug)]
struct RunMemo {
    answers: Mutex<HashMap<String, Arc<Answer>>>,
    /// Requests on the network at once.
    permits: tokio::sync::Semaphore,
    /// Requests made (local copies are not requests).
    made: std::sync::atomic::AtomicUsize,
    /// Bytes of the answers held.
    held: std::sync::atomic::AtomicUsize,
    /// The most bytes of answers held ([`DEFAULT_RUN_BYTES`] unless set).
    max_held: std::sync::atomic::AtomicUsize,
}

/// The bytes a run's answers may hold by default ([`Fetcher::run_bytes`]): 1 GiB, some
/// 200,000 badges with their documents.
pub const DEFAULT_RUN_BYTES: usize = 1 << 30;

impl Fetcher {
    /// A fetcher with this policy.
    ///
    /// # Errors
    /// [`FetchError::Unreachable`] when the HTTP client cannot be built (no TLS roots);
    /// [`FetchError::Policy`] for an allowed host that is not `host:port` or an
    /// `in_flight_bytes` of 0.
    pub fn new(policy: FetchPolicy) -> Result<Self, FetchError> {
        // One process-wide rustls provider; installing twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let guard = Guard::try_new(&policy.insecure_hosts, &policy.private_hosts)
            .map_err(|e| FetchError::Policy { reason: e.into() })?;
        let in_flight = InFlight::new(policy.in_flight_bytes).ok_or(FetchError::Policy {
            reason: PolicyError::NoInFlightBytes,
        })?;
        let redirect_guard = guard.clone();
        let mut roots = Vec::new();
        for pem in &policy.extra_roots_pem {
            roots.extend(reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
                FetchError::Unreachable {
                    url: String::new(),
                    reason: format!("an extra root certificate is not PEM: {e}"),
                }
            })?);
        }
        let max_redirects = policy.max_redirects;
        let builder = || {
            reqwest::Client::builder()
                .timeout(policy.timeout)
                .connect_timeout(policy.timeout)
                .user_agent(concat!("hallmark/", env!("CARGO_PKG_VERSION")))
                .tls_certs_merge(roots.clone())
                // A proxy would resolve names itself, out of the guard's sight.
                .no_proxy()
                .dns_resolver(Arc::new(GuardedResolver {
                    guard: guard.clone(),
                    static_hosts: policy.static_hosts.clone(),
                }))
        };
        let cannot_build = |e: reqwest::Error| FetchError::Unreachable {
            url: String::new(),
            reason: format!("cannot build the HTTP client: {e}"),
        };
        let client = builder()
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > max_redirects {
                    return attempt.error(TooManyRedirects(max_redirects));
                }
                match redirect_guard.check(attempt.url()) {
                    Ok(()) => attempt.follow(),
                    Err(reason) => attempt.error(reason),
                }
            }))
            .build()
            .map_err(cannot_build)?;
        let poster = builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(cannot_build)?;
        Ok(Self {
            client,
            poster,
            guard: Arc::new(guard),
            local: Arc::new(HashMap::new()),
            cache: Arc::new(ResponseCache::new(
                Budget::split(policy.cache_bytes),
                |url, cached| response_cost(url, cached),
            )),
            in_flight,
            policy: Arc::new(policy),
            run: None,
        })
    }

    /// The fetcher for one command's run over many inputs (`hallmark verify` of a claims
    /// file): each URL — a badge, a DID document, a status list, a program — is fetched at
    /// most once for the whole run, whatever its caching headers, its answer (or error) given
    /// to every credential that names it, and at most `concurrency` requests (at least 1) are
    /// on the network at once. Clones share the run.
    #[must_use]
    pub fn for_run(mut self, concurrency: usize) -> Self {
        self.run = Some(Arc::new(RunMemo {
            answers: Mutex::new(HashMap::new()),
            permits: tokio::sync::Semaphore::new(concurrency.max(1)),
            made: std::sync::atomic::AtomicUsize::new(0),
            held: std::sync::atomic::AtomicUsize::new(0),
            max_held: std::sync::atomic::AtomicUsize::new(DEFAULT_RUN_BYTES),
        }));
        self
    }

    /// Sets the bytes the run's answers may hold together (default [`DEFAULT_RUN_BYTES`]):
    /// a fetch whose body would go past it fails as [`FetchError::RunFull`] (and that answer
    /// is kept, as every answer of the run). Nothing happens outside a run.
    #[must_use]
    pub fn run_bytes(self, max: usize) -> Self {
        if let Some(run) = &self.run {
            run.max_held
                .store(max, std::sync::atomic::Ordering::Relaxed);
        }
        self
    }

    /// Requests made so far in this run ([`Fetcher::for_run`]); 0 outside a run.
    pub fn run_requests(&self) -> usize {
        self.run
            .as_ref()
            .map_or(0, |r| r.made.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Shares `budget` instead of the fetcher's own in-flight budget: e.g. fetchers with
    /// different policies drawing on one budget.
    #[must_use]
    pub fn with_in_flight(mut self, budget: InFlight) -> Self {
        self.in_flight = budget;
        self
    }

    /// The in-flight byte budget its fetches draw on (what is held now, the most held at once).
    pub fn in_flight(&self) -> &InFlight {
        &self.in_flight
    }

    /// Serves `bytes` whenever `url` is asked for, without fetching (`--resolve URL=FILE`).
    #[must_use]
    pub fn with_local(mut self, url: impl Into<String>, bytes: Vec<u8>) -> Self {
        Arc::make_mut(&mut self.local).insert(url.into(), bytes.into());
        self
    }

    /// The bytes at `url` if they are at hand without a request: a local copy or a fresh
    /// cached response.
    pub fn cached(&self, url: &str) -> Option<Arc<[u8]>> {
        if let Some(bytes) = self.local.get(url) {
            return Some(bytes.clone());
        }
        if let Some(run) = &self.run {
            let answer = run
                .answers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(url)
                .and_then(|cell| cell.get().cloned());
            if let Some(Ok(bytes)) = answer {
                return Some(bytes);
            }
        }
        self.fresh(url)
    }

    /// What this run already had for `url`, an error included ([`Fetcher::for_run`]); `None`
    /// when it was not asked for (or is being fetched), or outside a run.
    pub fn answered(&self, url: &str) -> Option<Result<Arc<[u8]>, FetchError>> {
        if let Some(bytes) = self.local.get(url) {
            return Some(Ok(bytes.clone()));
        }
        let run = self.run.as_ref()?;
        let answers = run.answers.lock().unwrap_or_else(|p| p.into_inner());
        answers.get(url).and_then(|cell| cell.get().cloned())
    }

    /// A fresh cached response; a stale one is dropped.
    fn fresh(&self, url: &str) -> Option<Arc<[u8]>> {
        let hit = self.cache.get(url)?;
        if hit.expires > self.policy.clock.now() {
            Some(hit.bytes)
        } else {
            self.cache.remove(url);
            None
        }
    }

    /// Keeps the response `bytes` fetched from `url` with the trusted issuers' documents, where
    /// untrusted responses cannot evict it: the verification pipeline found it is a trusted
    /// issuer's DID document or a status list one signed ([`Resources::trusted`]). Nothing
    /// happens when the cache no longer holds these very bytes.
    pub fn trusted(&self, url: &str, bytes: &Arc<[u8]>) {
        self.cache.set_standing(url, Standing::Trusted, |cached| {
            Arc::ptr_eq(&cached.bytes, bytes)
        });
    }

    /// What the response cache holds.
    pub fn cache_usage(&self) -> Usage {
        self.cache.usage()
    }

    /// The bytes at `url`: a local copy, a fresh cached response, or a new fetch.
    ///
    /// A new fetch takes the bytes it reads from the fetcher's [`InFlight`] budget and gives
    /// them back when it returns; it waits for room until its timeout at most.
    ///
    /// # Errors
    /// [`FetchError`] naming the URL and what went wrong: never an address a host name
    /// resolved to, nor how a connection failed (refused, reset, silent).
    pub async fn get(&self, url: &str) -> Result<Arc<[u8]>, FetchError> {
        if let Some(bytes) = self.local.get(url) {
            return Ok(bytes.clone());
        }
        let Some(run) = &self.run else {
            return self.get_now(url).await;
        };
        let cell = run
            .answers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(url.to_owned())
            .or_default()
            .clone();
        cell.get_or_init(|| async {
            // A closed semaphore cannot happen: it is never closed.
            let _permit = run.permits.acquire().await;
            if !self.policy.offline {
                run.made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            let bytes = self.get_now(url).await?;
            use std::sync::atomic::Ordering::Relaxed;
            let max = run.max_held.load(Relaxed);
            let held = run.held.fetch_add(bytes.len(), Relaxed) + bytes.len();
            if held > max {
                run.held.fetch_sub(bytes.len(), Relaxed);
                return Err(FetchError::RunFull {
                    url: url.to_owned(),
                    max,
                });
            }
            Ok(bytes)
        })
        .await
        .clone()
    }

    /// [`Fetcher::get`] without the run's memo: a fresh cached response or a new fetch.
    async fn get_now(&self, url: &str) -> Result<Arc<[u8]>, FetchError> {
        self.online(url)?;
        if let Some(bytes) = self.fresh(url) {
            return Ok(bytes);
        }
        // The client's own timeout ends the request at the same instant.
        let deadline = tokio::time::Instant::now() + self.policy.timeout;
        let (target, guarded) = self.guarded(url)?;
        let response = guarded
            .send(self.client.get(target).header(
                "accept",
                "application/json, application/ld+json, application/vc+ld+json, application/vc",
            ))
            .await?;
        let mut response = guarded.successful(response)?;
        // A body larger than the whole in-flight budget could never be read.
        let max = self.policy.max_bytes.min(self.in_flight.capacity());
        let too_large = || FetchError::TooLarge {
            url: url.to_owned(),
            max,
        };
        let busy = |_| FetchError::Busy {
            url: url.to_owned(),
        };
        let length = match response.content_length() {
            Some(n) if n > max as u64 => return Err(too_large()),
            Some(n) => Some(n as usize),
            None => None,
        };
        let header_age = cache_control_max_age(response.headers());
        // The budget is taken before the bytes are read: all of a stated length at once (a
        // fetch then never waits holding part of it), else as the buffer grows.
        let mut share = self.in_flight.share();
        let mut body = Vec::new();
        if let Some(n) = length {
            share.take(n, deadline).await.map_err(busy)?;
            body.reserve_exact(n);
        }
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| guarded.unreachable(&e))?
        {
            let len = body.len() + chunk.len();
            if len > max {
                return Err(too_large());
            }
            if len > body.capacity() {
                // Doubling, within the cap; what the buffer allocates is what is counted.
                let capacity = len.max(body.capacity().saturating_mul(2)).min(max);
                share
                    .take(capacity.saturating_sub(share.bytes()), deadline)
                    .await
                    .map_err(busy)?;
                body.reserve_exact(capacity - body.len());
            }
            body.extend_from_slice(&chunk);
        }
        let bytes: Arc<[u8]> = body.into();
        // Handed over: the cache and the caller bound what they keep by other means.
        drop(share);
        let age = [Some(self.policy.max_age), header_age, list_ttl(&bytes)]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or_default();
        if !age.is_zero() {
            // Untrusted until the pipeline says otherwise (`trusted`).
            self.cache.insert(
                url.to_owned(),
                Cached {
                    bytes: bytes.clone(),
                    expires: self.policy.clock.now() + age,
                },
                Standing::Untrusted,
            );
        }
        Ok(bytes)
    }
}

impl Fetcher {
    /// POSTs `body` (JSON) to `url` with `headers`, under the same guard as [`Fetcher::get`]
    /// (scheme, every resolved address, the address connected to) and timeout; redirects
    /// are not followed (a 3xx is returned as it is), nothing is cached, and at most
    /// [`FetchPolicy::max_bytes`] of the answer is read, then dropped. Returns the answer's
    /// HTTP status, whatever it is: a webhook sender decides what counts as delivered.
    ///
    /// # Errors
    /// [`FetchError::Refused`], [`FetchError::Offline`], or [`FetchError::Unreachable`]
    /// naming what failed (never an address or the network's own words).
    pub async fn post_json(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<u16, FetchError> {
        self.online(url)?;
        let (target, guarded) = self.guarded(url)?;
        let mut request = self
            .poster
            .post(target)
            .header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut response = guarded.send(request.body(body)).await?;
        let status = response.status().as_u16();
        // Read (a bounded part of) the answer so the connection ends cleanly; its bytes are
        // not kept.
        let mut read = 0usize;
        while let Ok(Some(chunk)) = response.chunk().await {
            read += chunk.len();
            if read > self.policy.max_bytes {
                break;
            }
        }
        Ok(status)
    }

    /// The newer version a credential's URL names: `Link: <…>; rel="successor-version"`
    /// (RFC 5829 §3.3, RFC 8288) on a `HEAD` of `url` (the issuer's answer for a superseded
    /// badge), resolved against `url`; `None` when there is none. Guarded like [`Fetcher::get`];
    /// nothing is cached.
    ///
    /// # Errors
    /// [`FetchError`] naming the URL: refused, unreachable, or an error status.
    pub async fn successor_of(&self, url: &str) -> Result<Option<String>, FetchError> {
        self.online(url)?;
        let (target, guarded) = self.guarded(url)?;
        let response = guarded
            .send(
                self.client
                    .head(target)
                    .header("accept", "application/json"),
            )
            .await?;
        let response = guarded.successful(response)?;
        let base = url::Url::parse(url).ok();
        Ok(response
            .headers()
            .get_all(reqwest::header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| link_target(v, "successor-version"))
            .and_then(|target| match &base {
                Some(base) => base.join(&target).ok().map(String::from),
                None => Some(target),
            }))
    }
}

impl Fetcher {
    /// `Err(Offline)` naming `url` when the policy forbids the network.
    fn online(&self, url: &str) -> Result<(), FetchError> {
        if self.policy.offline {
            return Err(FetchError::Offline {
                url: url.to_owned(),
            });
        }
        Ok(())
    }

    /// `url` checked and rewritten by the guard (the target to request), and what names the
    /// request's failures; [`FetchError::Refused`] when the guard refuses it.
    fn guarded<'a>(&'a self, url: &'a str) -> Result<(reqwest::Url, Guarded<'a>), FetchError> {
        let guarded = Guarded { fetcher: self, url };
        let target = self.guard.rewrite(url).map_err(|r| guarded.refused(r))?;
        Ok((target, guarded))
    }
}

/// One guarded request of [`Fetcher::get`], [`Fetcher::post_json`] or
/// [`Fetcher::successor_of`]: sends it, checks the address connected to, and names what
/// failed by the URL asked for.
struct Guarded<'a> {
    fetcher: &'a Fetcher,
    url: &'a str,
}

impl Guarded<'_> {
    fn refused(&self, reason: Refusal) -> FetchError {
        FetchError::Refused {
            url: self.url.to_owned(),
            reason,
        }
    }

    /// A refusal by the resolver or the redirect policy is a refusal, not a network error:
    /// it happened before any connection, whether or not anything listens there.
    fn unreachable(&self, e: &reqwest::Error) -> FetchError {
        match refusal_in(e) {
            Some(reason) => self.refused(reason),
            None => FetchError::Unreachable {
                url: self.url.to_owned(),
                reason: describe(e, self.fetcher.policy.timeout),
            },
        }
    }

    /// Sends `request`, then checks the address it connected to (defence in depth, whatever
    /// led there).
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, FetchError> {
        let response = request.send().await.map_err(|e| self.unreachable(&e))?;
        match response.remote_addr() {
            Some(addr) => self.fetcher.guard.check_connected(response.url(), addr),
            None => Err(Refusal::UnknownPeer),
        }
        .map_err(|r| self.refused(r))?;
        Ok(response)
    }

    /// `response`, or [`FetchError::Status`] when its status is not a success (2xx).
    fn successful(&self, response: reqwest::Response) -> Result<reqwest::Response, FetchError> {
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status {
                url: self.url.to_owned(),
                status: status.as_u16(),
            });
        }
        Ok(response)
    }
}

/// The target of the first link with relation `rel` in a `Link` header value (RFC 8288
/// §3): `<uri>; rel="a b"` entries separated by commas; `rel` compared case-insensitively
/// among the space-separated relation types.
fn link_target(value: &str, rel: &str) -> Option<String> {
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        let after = &rest[close + 1..];
        let end = after.find('<').unwrap_or(after.len());
        let params = &after[..end];
        let found = params.split(';').any(|p| {
            let Some((name, value)) = p.split_once('=') else {
                return false;
            };
            name.trim().eq_ignore_ascii_case("rel")
                && value
                    .trim()
                    .trim_end_matches(',')
                    .trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case(rel))
        });
        if found {
            return Some(target.to_owned());
        }
        rest = after;
    }
    None
}

/// `Cache-Control`: `no-store`/`no-cache` mean zero, `max-age=N` means N seconds.
fn cache_control_max_age(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::CACHE_CONTROL)?.to_str().ok()?;
    let mut age = None;
    for directive in value.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Some(Duration::ZERO);
        }
        if let Some(n) = lower.strip_prefix("max-age=") {
            age = n
                .trim_matches('"')
                .parse::<u64>()
                .ok()
                .map(Duration::from_secs);
        }
    }
    age
}

/// A status list credential's `credentialSubject.ttl` (milliseconds, Bitstring Status List
/// §2.2), when the bytes are one.
fn list_ttl(bytes: &[u8]) -> Option<Duration> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    value
        .get("credentialSubject")?
        .get("ttl")?
        .as_u64()
        .map(Duration::from_millis)
}

/// What made a request fail, in the fetcher's own words: whether the name resolved, TLS
/// failed (and which certificate problem), no answer came, or the answer broke off — never
/// an address, nor the operating system's words (a refused, reset or silent connection all
/// read the same), so a caller cannot map a network through the errors.
fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    if let Some(redirects) = find::<TooManyRedirects>(e) {
        return redirects.to_string();
    }
    if find::<Unresolved>(e).is_some() {
        return "the host name could not be resolved".into();
    }
    if let Some(tls) = find::<rustls::Error>(e) {
        return format!("the TLS handshake failed: {}", tls_problem(tls));
    }
    let seconds = timeout.as_secs_f64();
    if e.is_body() || e.is_decode() {
        return format!("the answer broke off, or did not end within {seconds} s");
    }
    format!("no answer: the connection failed, or nothing answered within {seconds} s")
}

/// A TLS failure, named by kind: a certificate's own text may name internal hosts.
fn tls_problem(e: &rustls::Error) -> &'static str {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::Expired | C::ExpiredContext { .. } => "the certificate has expired",
            C::NotValidYet | C::NotValidYetContext { .. } => "the certificate is not valid yet",
            C::UnknownIssuer => "the certificate is not signed by a trusted authority",
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "the certificate is not valid for this host name"
            }
            C::Revoked => "the certificate is revoked",
            _ => "the certificate is not acceptable",
        },
        _ => "no secure connection could be agreed",
    }
}

/// The first error of type `T` in an error's chain of sources, looking inside I/O errors
/// (whose `source` skips the error they wrap).
fn find<'a, T: std::error::Error + 'static>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut source = Some(e);
    while let Some(s) = source {
        if let Some(t) = s.downcast_ref::<T>() {
            return Some(t);
        }
        if let Some(inner) = s
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            if let Some(t) = find::<T>(inner) {
                return Some(t);
            }
        }
        source = s.source();
    }
    None
}

/// More redirects than the policy follows.
#[derive(Debug)]
struct TooManyRedirects(usize);

impl std::fmt::Display for TooManyRedirects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "more than {} redirects", self.0)
    }
}

impl std::error::Error for TooManyRedirects {}

/// A host name that could not be resolved (what the resolver said is not repeated).
#[derive(Debug)]
struct Unresolved;

impl std::fmt::Display for Unresolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the host name could not be resolved")
    }
}

impl std::error::Error for Unresolved {}

/// The guard's refusal somewhere in an error's chain of sources (the resolver and the
/// redirect policy hand it to the HTTP client, which carries it back).
fn refusal_in(e: &(dyn std::error::Error + 'static)) -> Option<Refusal> {
    find::<Refusal>(e).cloned()
}

/// Resolves host names, refusing any whose addresses include an internal one.
struct GuardedResolver {
    guard: Guard,
    static_hosts: HashMap<String, Vec<IpAddr>>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.guard.clone();
        let fixed = self
            .static_hosts
            .get(&name.as_str().to_ascii_lowercase())
            .cloned();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = match fixed {
                Some(ips) => ips.into_iter().map(|ip| SocketAddr::new(ip, 0)).collect(),
                None => tokio::net::lookup_host((host.as_str(), 0))
                    .await
                    .map_err(|_| Unresolved)?
                    .collect(),
            };
            if addrs.is_empty() {
                return Err(Unresolved.into());
            }
            for addr in &addrs {
                guard.check_resolved(&host, addr.ip())?;
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// What one verification has fetched, and the fetches it made: shared by every pass of
/// [`with_fetched_by`] and — when one request verifies several documents, a presentation and
/// every credential in it — by all of them through [`with_fetched_in`], so the whole request
/// makes at most [`FetchPolicy::max_fetches`] fetches, and a URL one document fetched is not
/// fetched again for the next. Clones share it. What it holds is bounded by that count times
/// [`FetchPolicy::max_bytes`], and lives as long as the request.
#[derive(Debug, Clone, Default)]
pub struct Fetches {
    inner: Arc<Mutex<FetchesInner>>,
}

#[derive(Debug, Default)]
struct FetchesInner {
    found: HashMap<String, Result<Arc<[u8]>, FetchError>>,
    /// Fetches made (local copies are not counted).
    made: usize,
}

impl Fetches {
    /// Nothing fetched yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fetches made so far (local copies do not count).
    pub fn made(&self) -> usize {
        self.lock().made
    }

    /// The URLs not fetched because the bound on fetches was reached, in no order.
    pub fn not_fetched(&self) -> Vec<String> {
        self.lock()
            .found
            .iter()
            .filter(|(_, r)| matches!(r, Err(FetchError::TooManyFetches { .. })))
            .map(|(url, _)| url.clone())
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FetchesInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Fetches together, before the pipeline runs, what the core's plan
    /// ([`hallmark_core::plan::documents_needed`]) says `document` itself names and the
    /// fetcher does not hold fresh: its keys' documents and status lists (the lists' own keys
    /// are left to the pipeline's next pass: reading a list here would parse up to a
    /// megabyte on the caller's async thread). A badge whose list its issuer signed is then
    /// verified in one pass. Draws on the same bound, and plans no more than it has left.
    pub async fn prefetch(&self, fetcher: &Fetcher, document: &Value) {
        let left = fetcher.policy.max_fetches.saturating_sub(self.made());
        if left == 0 {
            return;
        }
        let new: Vec<String> = hallmark_core::plan::documents_needed(document, &|_| None, left)
            .into_iter()
            .filter(|url| fetcher.cached(url).is_none() && self.get(url).is_none())
            .collect();
        if !new.is_empty() {
            fetch_all(fetcher, self, new).await;
        }
    }

    fn get(&self, url: &str) -> Option<Result<Arc<[u8]>, FetchError>> {
        self.lock().found.get(url).cloned()
    }
}

/// What one verification run had fetched, as the core's [`Resources`]; records what it was
/// asked for and did not have. Owned, so a pass of [`with_fetched_by`] can take it to
/// another thread.
#[derive(Debug)]
pub struct Snapshot {
    fetcher: Fetcher,
    fetches: Fetches,
    missing: Mutex<Vec<String>>,
}

impl Resources for Snapshot {
    fn fetch(&self, url: &str) -> Result<Arc<[u8]>, ResolveError> {
        // What the fetcher holds fresh is used at once: a warm verifier runs the pipeline once.
        if let Some(bytes) = self.fetcher.cached(url) {
            return Ok(bytes);
        }
        match self.fetches.get(url) {
            Some(Ok(bytes)) => Ok(bytes),
            Some(Err(e)) => Err(ResolveError {
                // Refused and unreachable are both "could not tell".
                undecided: true,
                detail: e.to_string(),
            }),
            None => {
                if let Ok(mut m) = self.missing.lock() {
                    m.push(url.to_owned());
                }
                Err(ResolveError {
                    undecided: true,
                    detail: format!("{url} was not fetched"),
                })
            }
        }
    }

    fn trusted(&self, url: &str, bytes: &Arc<[u8]>) {
        self.fetcher.trusted(url, bytes);
    }
}

/// Rounds of fetching in [`verify`]: the credential's documents, then the status lists', then
/// theirs.
const MAX_ROUNDS: usize = 4;

/// Fetches one verification runs at once: the documents a pass names (a DID document and a
/// status list, a presentation's issuers) are fetched together, a few at a time.
const CONCURRENT_FETCHES: usize = 8;

/// Verifies a parsed credential, fetching what the pipeline needs with `fetcher`.
pub async fn verify(verifier: &Verifier, credential: &Value, fetcher: &Fetcher) -> Report {
    // One work budget for every pass: a pass that ran out does not start afresh.
    let budget = verifier.new_work_budget();
    let fetches = Fetches::new();
    fetches.prefetch(fetcher, credential).await;
    let pass = |snapshot: Snapshot| {
        let result = verifier.verify_value_within(credential, &snapshot, &budget);
        std::future::ready(Ok::<_, std::convert::Infallible>((result, snapshot)))
    };
    match with_fetched_in(fetcher, &fetches, pass).await {
        Ok(report) => report,
        Err(never) => match never {},
    }
}

/// Runs `work` (which does no I/O) with what it asks `fetcher` for: runs it, fetches the
/// URLs it asked for and did not have, and runs it again, until it needs nothing new.
pub async fn with_fetched<T>(fetcher: &Fetcher, work: impl Fn(&dyn Resources) -> T) -> T {
    let pass = |snapshot: Snapshot| {
        let result = work(&snapshot);
        std::future::ready(Ok::<_, std::convert::Infallible>((result, snapshot)))
    };
    match with_fetched_by(fetcher, pass).await {
        Ok(result) => result,
        Err(never) => match never {},
    }
}

/// As [`with_fetched`], with each pass of the work run by `pass`, which gets the snapshot and
/// hands it back with the result: the snapshot is owned and `Send`, so the pass may run on a
/// blocking pool. An error of a pass ends the whole.
///
/// # Errors
/// The first error of `pass`.
pub async fn with_fetched_by<T, E, Fut>(
    fetcher: &Fetcher,
    pass: impl FnMut(Snapshot) -> Fut,
) -> Result<T, E>
where
    Fut: std::future::Future<Output = Result<(T, Snapshot), E>>,
{
    with_fetched_in(fetcher, &Fetches::new(), pass).await
}

/// As [`with_fetched_by`], drawing on `fetches`: what earlier documents of the same request
/// fetched is used again, and the bound on fetches ([`FetchPolicy::max_fetches`]) counts every
/// document verified with the same `fetches` together. URLs past the bound stay unresolved
/// ([`FetchError::TooManyFetches`], an undecided check) and are listed by
/// [`Fetches::not_fetched`].
///
/// # Errors
/// The first error of `pass`.
pub async fn with_fetched_in<T, E, Fut>(
    fetcher: &Fetcher,
    fetches: &Fetches,
    mut pass: impl FnMut(Snapshot) -> Fut,
) -> Result<T, E>
where
    Fut: std::future::Future<Output = Result<(T, Snapshot), E>>,
{
    let snapshot = Snapshot {
        fetcher: fetcher.clone(),
        fetches: fetches.clone(),
        missing: Mutex::new(Vec::new()),
    };
    let (mut result, mut snapshot) = pass(snapshot).await?;
    for _ in 0..MAX_ROUNDS {
        let missing: Vec<String> =
            std::mem::take(&mut *snapshot.missing.lock().unwrap_or_else(|p| p.into_inner()));
        let mut new = Vec::new();
        for url in missing {
            if !new.contains(&url) && fetches.get(&url).is_none() {
                new.push(url);
            }
        }
        if new.is_empty() {
            break;
        }
        fetch_all(fetcher, fetches, new).await;
        (result, snapshot) = pass(snapshot).await?;
    }
    Ok(result)
}

/// Fetches `urls` into `fetches` at once (at most [`CONCURRENT_FETCHES`] at a time), not one
/// after another. Local copies cost no request; each fetch is counted before it starts, so
/// the bound ([`FetchPolicy::max_fetches`]) holds however the fetches interleave.
async fn fetch_all(fetcher: &Fetcher, fetches: &Fetches, urls: Vec<String>) {
    let max = fetcher.policy.max_fetches;
    let gets = urls.into_iter().map(|url| {
        let local = fetcher.local.contains_key(&url);
        let allowed = {
            let mut inner = fetches.lock();
            let allowed = local || inner.made < max;
            inner.made += usize::from(allowed && !local);
            allowed
        };
        async move {
            let fetched = if allowed {
                fetcher.get(&url).await
            } else {
                Err(FetchError::TooManyFetches {
                    url: url.clone(),
                    max,
                })
            };
            (url, fetched)
        }
    });
    let mut done = futures_util::stream::iter(gets).buffer_unordered(CONCURRENT_FETCHES);
    while let Some((url, fetched)) = done.next().await {
        fetches.lock().found.insert(url, fetched);
    }
}

/// Fetches one URL as bytes for the CLI's `verify https://…` inputs.
///
/// # Errors
/// As [`Fetcher::get`].
pub async fn fetch_input(fetcher: &Fetcher, url: &str) -> Result<Arc<[u8]>, FetchError> {
    fetcher.get(url).await
}

#[cfg(test)]
mod tests {
    use super::link_target;

    #[test]
    fn link_headers_name_their_targets_by_relation() {
        let one = r#"<https://i.example/credentials/new>; rel="successor-version""#;
        assert_eq!(
            link_target(one, "successor-version").as_deref(),
            Some("https://i.example/credentials/new")
        );
        let many = r#"<https://a.example/x>; rel="alternate", </credentials/b>; title="t"; rel="latest-version Successor-Version""#;
        assert_eq!(
            link_target(many, "successor-version").as_deref(),
            Some("/credentials/b")
        );
        assert_eq!(
            link_target(many, "alternate").as_deref(),
            Some("https://a.example/x")
        );
        assert_eq!(link_target(one, "predecessor-version"), None);
        assert_eq!(
            link_target(
                "<unterminated; rel=\"successor-version\"",
                "successor-version"
            ),
            None
        );
        assert_eq!(link_target("", "successor-version"), None);
    }
}
