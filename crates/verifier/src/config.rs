//! The verifier's configuration: an optional TOML file, then `--trust` and `--listen` flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    #[serde(default)]
    insecure_hosts: Vec<String>,
    #[serde(default)]
    private_hosts: Vec<String>,
    #[serde(default)]
    ca_certs: Vec<PathBuf>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    signature_cache: Option<bool>,
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
}

impl Default for VerifierConfig {
    fn default() -> Self {
        Self::from_file(File::default(), Path::new("."))
            .unwrap_or_else(|_| unreachable!("the defaults are valid"))
    }
}

impl VerifierConfig {
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
            if !(id.starts_with("did:") || id.starts_with("https://")) {
                return Err(ConfigError::Invalid {
                    key: "trust",
                    message: format!("{id:?} is neither a DID nor an https URL"),
                });
            }
        }
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
        Ok(Self {
            tls,
            signature_cache: file.signature_cache.unwrap_or(true),
            listen,
            trust_files: file.trust_files.into_iter().map(|p| dir.join(p)).collect(),
            trust: file.trust,
            clock_skew: Duration::from_secs(file.clock_skew_seconds.unwrap_or(300)),
            cache_max_age: Duration::from_secs(file.cache_max_age_seconds.unwrap_or(300)),
            max_body_bytes: file.max_body_bytes.unwrap_or(256 * 1024).max(1024),
            max_concurrency: file.max_concurrency.unwrap_or(512).max(1),
            rate_limit_per_second: file.rate_limit_per_second.unwrap_or(0),
            rate_limit_burst: file.rate_limit_burst.unwrap_or(100).max(1),
            fetch_timeout: Duration::from_secs(file.fetch_timeout_seconds.unwrap_or(10).max(1)),
            insecure_hosts: file.insecure_hosts,
            private_hosts: file.private_hosts,
            ca_certs: file.ca_certs.into_iter().map(|p| dir.join(p)).collect(),
        })
    }
}
