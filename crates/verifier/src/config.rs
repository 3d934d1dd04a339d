//! The verifier's configuration: an optional TOML file, then `--trust` and `--listen` flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hallmark_core::clock::Clock;

use hallmark_core::status::MIN_ENTRIES;
use hallmark_core::verify::CacheLimits;
use hallmark_fetch::{FetchPolicy, DEFAULT_CACHE_BYTES, DEFAULT_IN_FLIGHT_BYTES};
use serde::Deserialize;

pub use hallmark_config::ConfigError;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    listen: Option<String>,
    #[serde(default)]
    trust_files: Vec<PathBuf>,
    #[serde(default)]
    trust: Vec<String>,
    clock_skew_seconds: Option<u64>,
    cache_max_age_seconds: Option<u64>,
    max_body_bytes: Option<usize>,
    max_concurrency: Option<usize>,
    rate_limit_per_second: Option<u64>,
    rate_limit_burst: Option<u32>,
    fetch_timeout_seconds: Option<u64>,
    response_cache_bytes: Option<usize>,
    fetch_in_flight_bytes: Option<usize>,
    document_cache_bytes: Option<usize>,
    status_list_cache_bytes: Option<usize>,
    signature_cache_bytes: Option<usize>,
    canonical_hash_cache_bytes: Option<usize>,
    max_status_list_bytes: Option<usize>,
    #[serde(default)]
    insecure_hosts: Vec<String>,
    #[serde(default)]
    private_hosts: Vec<String>,
    #[serde(default)]
    ca_certs: Vec<PathBuf>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    signature_cache: Option<bool>,
    max_connections: Option<usize>,
    max_connections_per_client: Option<usize>,
    header_read_timeout_seconds: Option<u64>,
    idle_timeout_seconds: Option<u64>,
    verify_workers: Option<usize>,
    verify_timeout_ms: Option<u64>,
}

/// The verifier's settings.
#[derive(Debug, Clone)]
pub struct VerifierConfig {
    /// Where to listen (default 127.0.0.1:8090).
    pub listen: SocketAddr,
    /// Trust list files (`{"issuers": [{"id", "name"}]}`), reloaded when they change.
    pub trust_files: Vec<PathBuf>,
    /// Trusted issuer ids given inline.
    pub trust: Vec<String>,
    /// Tolerated clock skew on validity periods.
    pub clock_skew: Duration,
    /// The longest a fetched DID document or status list is cached.
    pub cache_max_age: Duration,
    /// The largest request body, bytes.
    pub max_body_bytes: usize,
    /// Requests handled at once; more are refused with 503 rather than queued.
    pub max_concurrency: usize,
    /// Requests per second per client address (0: no limit).
    pub rate_limit_per_second: u64,
    /// Burst allowance per client.
    pub rate_limit_burst: u32,
    /// Timeout of one fetch.
    pub fetch_timeout: Duration,
    /// Bytes of fetched responses (DID documents, status lists) cached (default 32 MiB).
    /// Each cache below keeps half its bytes for what trusted issuers signed or describe,
    /// which nothing else evicts.
    pub response_cache_bytes: usize,
    /// Bytes the response bodies being fetched at once may hold together, whatever the
    /// number of verifications fetching (default 64 MiB; at least the largest document
    /// fetched, 1 MiB). A fetch that finds no room within `fetch_timeout` leaves its check
    /// `unknown` ("the verifier is busy fetching other documents; try again").
    pub fetch_in_flight_bytes: usize,
    /// Bytes of parsed DID documents cached (default 8 MiB).
    pub document_cache_bytes: usize,
    /// Bytes of verified, decoded status lists cached (default 64 MiB).
    pub status_list_cache_bytes: usize,
    /// Bytes of verified signatures cached (default 2 MiB; 0, or `signature_cache = false`,
    /// for none).
    pub signature_cache_bytes: usize,
    /// Bytes of canonical hashes of JSON-LD documents cached (`eddsa-rdfc-2022`; default
    /// 1 MiB; 0 for none): a badge or list seen before is not canonicalized again.
    pub canonical_hash_cache_bytes: usize,
    /// The largest status list decoded, bytes (default 2 MiB: 16,777,216 one-bit entries);
    /// a larger one fails the status check.
    pub max_status_list_bytes: usize,
    /// `host:port` fetched over plain HTTP even on loopback (tests only).
    pub insecure_hosts: Vec<String>,
    /// `host:port` fetched on loopback or private addresses, over verified https.
    pub private_hosts: Vec<String>,
    /// Extra root certificates (PEM files) trusted for fetching.
    pub ca_certs: Vec<PathBuf>,
    /// Serve https with this certificate chain and key (PEM); plain HTTP when absent.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Remember verified signatures, so a badge seen again skips the curve arithmetic
    /// (default on).
    pub signature_cache: bool,
    /// Open connections at most (default 1024); more wait until one closes.
    pub max_connections: usize,
    /// Open connections one client (IPv4 address or IPv6 /64) may hold (default 128); more
    /// are closed at once. Raise it behind a reverse proxy.
    pub max_connections_per_client: usize,
    /// The longest a client may take to send its request headers (default 10 s).
    pub header_read_timeout: Duration,
    /// A keep-alive connection with nothing to do is closed after this (default 60 s).
    pub idle_timeout: Duration,
    /// Verifications running at once on the blocking pool (default 2 per core); more wait
    /// briefly, then are answered 503.
    pub verify_workers: usize,
    /// The work one request's verification may take (default 5 s); then 503.
    pub verify_timeout: Duration,
    /// The clock the fetch cache and the trust list's reload interval go by: the system's;
    /// a test's [`hallmark_core::clock::ManualClock`] moves without sleeping.
    pub clock: Arc<dyn Clock>,
    /// Local copies: whenever the verifier would fetch the URL (a DID document, a status
    /// list), it uses the file instead, as `hallmark verify --resolve URL=FILE` does. Set by
    /// programs that embed the verifier (and its tests); no configuration file key yet.
    pub resolve: Vec<(String, PathBuf)>,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        Self::from_file(File::default(), Path::new("."))
            .unwrap_or_else(|_| unreachable!("the defaults are valid"))
    }
}

/// The smallest [`VerifierConfig::max_body_bytes`] accepted: 1 KiB, below which an ordinary
/// request would not fit.
pub const MIN_BODY_BYTES: usize = 1024;

/// The default [`VerifierConfig::max_status_list_bytes`]: 2 MiB.
pub const DEFAULT_MAX_STATUS_LIST_BYTES: usize = 2 << 20;

impl VerifierConfig {
    /// The byte budgets of the core verifier's caches.
    pub fn cache_limits(&self) -> CacheLimits {
        CacheLimits {
            documents: self.document_cache_bytes,
            status_lists: self.status_list_cache_bytes,
            signatures: if self.signature_cache {
                self.signature_cache_bytes
            } else {
                0
            },
            canonical_hashes: self.canonical_hash_cache_bytes,
        }
    }

    /// The most every cache together accounts, bytes: the core verifier's and the fetcher's.
    pub fn cache_bound(&self) -> usize {
        self.cache_limits()
            .total()
            .saturating_add(self.response_cache_bytes)
    }

    /// Reads `path` (relative trust files are taken from its folder).
    ///
    /// # Errors
    /// [`ConfigError`] naming the file or key.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let file: File = hallmark_config::read_toml(path)?;
        Self::from_file(file, path.parent().unwrap_or(Path::new(".")))
    }

    fn from_file(file: File, dir: &Path) -> Result<Self, ConfigError> {
        let listen_text = file.listen.unwrap_or_else(|| "127.0.0.1:8090".into());
        let listen = listen_text.parse().map_err(|e| ConfigError::Invalid {
            key: "listen",
            message: format!("{listen_text:?}: {e}"),
        })?;
        for id in &file.trust {
            // A config names its issuers by DID or https URL; `http://` is for `--trust` on a
            // test bench only.
            let https = id
                .get(..8)
                .is_some_and(|h| h.eq_ignore_ascii_case("https://"));
            if !(id.starts_with("did:") || https) {
                return Err(ConfigError::Invalid {
                    key: "trust",
                    message: format!("{id:?} is neither a DID nor an https URL"),
                });
            }
        }
        let max_status_list_bytes = file
            .max_status_list_bytes
            .unwrap_or(DEFAULT_MAX_STATUS_LIST_BYTES);
        if max_status_list_bytes < MIN_ENTRIES / 8 {
            return Err(ConfigError::Invalid {
                key: "max_status_list_bytes",
                message: format!(
                    "{max_status_list_bytes} is below {} bytes, the size of the shortest valid list",
                    MIN_ENTRIES / 8
                ),
            });
        }
        // Durations past these overflow the clock arithmetic (a panic per request before).
        for (key, value, max) in [
            (
                "cache_max_age_seconds",
                file.cache_max_age_seconds,
                366 * 86_400,
            ),
            ("clock_skew_seconds", file.clock_skew_seconds, 366 * 86_400),
            (
                "header_read_timeout_seconds",
                file.header_read_timeout_seconds,
                3_600,
            ),
            ("idle_timeout_seconds", file.idle_timeout_seconds, 86_400),
            ("verify_timeout_ms", file.verify_timeout_ms, 3_600_000),
            ("fetch_timeout_seconds", file.fetch_timeout_seconds, 3_600),
        ] {
            if let Some(v) = value.filter(|v| *v > max) {
                return Err(ConfigError::Invalid {
                    key,
                    message: format!("{v} is over the largest accepted value, {max}"),
                });
            }
        }
        // Limits, counts and timeouts of zero make no sense: refused, never raised to 1.
        use hallmark_config::at_least;
        let max_connections = at_least("max_connections", file.max_connections, 1)?;
        let max_connections_per_client = at_least(
            "max_connections_per_client",
            file.max_connections_per_client,
            1,
        )?;
        let header_read_timeout_seconds = at_least(
            "header_read_timeout_seconds",
            file.header_read_timeout_seconds,
            1,
        )?;
        let idle_timeout_seconds = at_least("idle_timeout_seconds", file.idle_timeout_seconds, 1)?;
        let verify_workers = at_least("verify_workers", file.verify_workers, 1)?;
        let verify_timeout_ms = at_least("verify_timeout_ms", file.verify_timeout_ms, 1)?;
        let max_body_bytes = at_least("max_body_bytes", file.max_body_bytes, MIN_BODY_BYTES)?;
        // A smaller budget could never hold the largest document fetched.
        let fetch_in_flight_bytes = at_least(
            "fetch_in_flight_bytes",
            file.fetch_in_flight_bytes,
            FetchPolicy::default().max_bytes,
        )?;
        let max_concurrency = at_least("max_concurrency", file.max_concurrency, 1)?;
        let rate_limit_burst = at_least("rate_limit_burst", file.rate_limit_burst, 1)?;
        let fetch_timeout_seconds =
            at_least("fetch_timeout_seconds", file.fetch_timeout_seconds, 1)?;
        let cache_defaults = CacheLimits::default();
        let tls = match (file.tls_cert, file.tls_key) {
            (Some(cert), Some(key)) => Some((dir.join(cert), dir.join(key))),
            (None, None) => None,
            _ => {
                return Err(ConfigError::Invalid {
                    key: "tls_cert",
                    message: "tls_cert and tls_key go together".into(),
                })
            }
        };
        let server = hallmark_http::ServeConfig::default();
        let pool = hallmark_http::PoolConfig::default();
        Ok(Self {
            max_connections: max_connections.unwrap_or(server.max_connections),
            max_connections_per_client: max_connections_per_client
                .unwrap_or(server.max_connections_per_client),
            header_read_timeout: header_read_timeout_seconds
                .map_or(server.header_read_timeout, Duration::from_secs),
            idle_timeout: idle_timeout_seconds.map_or(server.idle_timeout, Duration::from_secs),
            verify_workers: verify_workers.unwrap_or(pool.workers),
            verify_timeout: verify_timeout_ms.map_or(pool.deadline, Duration::from_millis),
            clock: hallmark_core::clock::system(),
            tls,
            signature_cache: file.signature_cache.unwrap_or(true),
            listen,
            trust_files: file.trust_files.into_iter().map(|p| dir.join(p)).collect(),
            trust: file.trust,
            clock_skew: Duration::from_secs(file.clock_skew_seconds.unwrap_or(300)),
            cache_max_age: Duration::from_secs(file.cache_max_age_seconds.unwrap_or(300)),
            max_body_bytes: max_body_bytes.unwrap_or(256 * 1024),
            max_concurrency: max_concurrency.unwrap_or(512),
            rate_limit_per_second: file.rate_limit_per_second.unwrap_or(0),
            rate_limit_burst: rate_limit_burst.unwrap_or(100),
            fetch_timeout: Duration::from_secs(fetch_timeout_seconds.unwrap_or(10)),
            response_cache_bytes: file.response_cache_bytes.unwrap_or(DEFAULT_CACHE_BYTES),
            fetch_in_flight_bytes: fetch_in_flight_bytes.unwrap_or(DEFAULT_IN_FLIGHT_BYTES),
            document_cache_bytes: file
                .document_cache_bytes
                .unwrap_or(cache_defaults.documents),
            status_list_cache_bytes: file
                .status_list_cache_bytes
                .unwrap_or(cache_defaults.status_lists),
            signature_cache_bytes: file
                .signature_cache_bytes
                .unwrap_or(cache_defaults.signatures),
            canonical_hash_cache_bytes: file
                .canonical_hash_cache_bytes
                .unwrap_or(cache_defaults.canonical_hashes),
            max_status_list_bytes,
            insecure_hosts: file.insecure_hosts,
            private_hosts: file.private_hosts,
            ca_certs: file.ca_certs.into_iter().map(|p| dir.join(p)).collect(),
            resolve: Vec::new(),
        })
    }
}

#[cfg(test)]
mod cache_tests {
    use super::*;

    fn parse(toml: &str) -> Result<VerifierConfig, ConfigError> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "hallmark-verifier-cache-{}-{n}.toml",
            std::process::id()
        ));
        std::fs::write(&path, toml).unwrap();
        let config = VerifierConfig::load(&path);
        std::fs::remove_file(&path).unwrap();
        config
    }

    #[test]
    fn cache_bounds_are_configured_in_bytes() {
        let config = parse("").unwrap();
        // The documented defaults: 32 + 8 + 64 + 2 + 1 MiB (the canonical hashes, a process-wide
        // static until they became the verifier's own, are counted now).
        assert_eq!(config.cache_bound(), 107 << 20);
        assert_eq!(config.max_status_list_bytes, 2 << 20);
        let config = parse(
            "response_cache_bytes = 1000\ndocument_cache_bytes = 2000\nstatus_list_cache_bytes = 3000\nsignature_cache_bytes = 4000\ncanonical_hash_cache_bytes = 0\nmax_status_list_bytes = 16384",
        )
        .unwrap();
        assert_eq!(
            config.cache_limits(),
            CacheLimits {
                documents: 2000,
                status_lists: 3000,
                signatures: 4000,
                canonical_hashes: 0,
            }
        );
        assert_eq!(config.cache_bound(), 10_000);
        assert_eq!(config.max_status_list_bytes, 16_384);
        // signature_cache = false keeps no signatures.
        let config = parse("signature_cache = false").unwrap();
        assert_eq!(config.cache_limits().signatures, 0);
        let e = parse("max_status_list_bytes = 1000").unwrap_err();
        assert!(e.to_string().contains("max_status_list_bytes"), "{e}");
    }

    /// The one budget of fetched bodies in flight: 64 MiB by default, in bytes, never 0 nor
    /// below the largest document fetched (1 MiB).
    #[test]
    fn fetch_in_flight_bytes_is_one_budget_in_bytes() {
        assert_eq!(parse("").unwrap().fetch_in_flight_bytes, 64 << 20);
        let config = parse("fetch_in_flight_bytes = 4194304").unwrap();
        assert_eq!(config.fetch_in_flight_bytes, 4 << 20);
        for bad in ["0", "1048575"] {
            let e = parse(&format!("fetch_in_flight_bytes = {bad}")).unwrap_err();
            assert!(
                e.to_string().contains("fetch_in_flight_bytes")
                    && e.to_string().contains("1048576"),
                "{e}"
            );
        }
    }

    /// Values that overflowed the clock arithmetic (a panic per request, found by the
    /// newcomer check) are refused with the key's name.
    #[test]
    fn durations_past_their_largest_value_are_refused() {
        for key in [
            "cache_max_age_seconds",
            "header_read_timeout_seconds",
            "idle_timeout_seconds",
            "verify_timeout_ms",
        ] {
            let e = parse(&format!("{key} = 18446744073709551615")).unwrap_err();
            assert!(e.to_string().contains(key), "{e}");
        }
        assert!(parse("cache_max_age_seconds = 3600").is_ok());
    }

    /// Zero limits, counts and timeouts were silently raised to 1 (and a body limit under
    /// 1 KiB to 1 KiB); they are refused with the key's name (newcomer check).
    #[test]
    fn zero_limits_and_timeouts_are_refused_not_raised() {
        for key in [
            "max_connections",
            "max_connections_per_client",
            "header_read_timeout_seconds",
            "idle_timeout_seconds",
            "verify_workers",
            "verify_timeout_ms",
            "max_concurrency",
            "rate_limit_burst",
            "fetch_timeout_seconds",
        ] {
            let e = parse(&format!("{key} = 0")).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("configuration key `{key}`: 0 is below the smallest accepted value, 1")
            );
            parse(&format!("{key} = 1")).unwrap();
        }
        let e = parse("max_body_bytes = 1023").unwrap_err();
        assert_eq!(
            e.to_string(),
            "configuration key `max_body_bytes`: 1023 is below the smallest accepted value, 1024"
        );
        let c = parse(
            "max_body_bytes = 1024\nverify_workers = 1\nverify_timeout_ms = 1\nfetch_timeout_seconds = 1\nheader_read_timeout_seconds = 1\nidle_timeout_seconds = 1",
        )
        .unwrap();
        assert_eq!(c.max_body_bytes, 1024);
        assert_eq!(c.verify_workers, 1);
        assert_eq!(c.verify_timeout, Duration::from_millis(1));
        assert_eq!(c.fetch_timeout, Duration::from_secs(1));
        assert_eq!(c.header_read_timeout, Duration::from_secs(1));
        assert_eq!(c.idle_timeout, Duration::from_secs(1));
        // Zero keeps its documented meaning where it has one: no rate limit, no signature
        // cache, no clock skew.
        let c =
            parse("rate_limit_per_second = 0\nsignature_cache_bytes = 0\nclock_skew_seconds = 0")
                .unwrap();
        assert_eq!(c.rate_limit_per_second, 0);
        assert_eq!(c.cache_limits().signatures, 0);
        assert_eq!(c.clock_skew, Duration::ZERO);
    }
}
