//! The issuer's configuration: one TOML file, then environment variables (`HALLMARK_*`), then
//! command-line flags, each overriding the one before. Relative paths are taken from the
//! configuration file's folder.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use hallmark_core::proof::Cryptosuite;
use serde::Deserialize;

pub use hallmark_config::ConfigError;

/// The configuration file, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    issuer_id: Option<String>,
    issuer_name: String,
    issuer_url: Option<String>,
    base_url: String,
    #[serde(default = "default_keys")]
    keys_dir: PathBuf,
    #[serde(default = "default_database")]
    database_url: String,
    #[serde(default = "default_listen")]
    listen: String,
    #[serde(default = "default_suite")]
    cryptosuite: String,
    #[serde(default = "default_program")]
    program: PathBuf,
    #[serde(default)]
    open_issue_endpoint: bool,
    #[serde(default = "default_ttl")]
    status_ttl_seconds: u64,
    #[serde(default = "default_body_limit")]
    max_body_bytes: usize,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    max_connections: Option<usize>,
}

fn default_keys() -> PathBuf {
    "keys".into()
}
fn default_database() -> String {
    "sqlite:hallmark.db".into()
}
fn default_listen() -> String {
    "127.0.0.1:8080".into()
}
/// docs/design.md §2: what OB 3.0 conformance and wallets expect.
fn default_suite() -> String {
    "eddsa-rdfc-2022".into()
}
fn default_program() -> PathBuf {
    "program.toml".into()
}
fn default_ttl() -> u64 {
    60
}
fn default_body_limit() -> usize {
    64 * 1024
}

/// The issuer's settings, resolved.
#[derive(Debug, Clone)]
pub struct Config {
    /// The issuer DID (`did:web:…` or `did:key:…`); `None` means the key's `did:key`.
    pub issuer_id: Option<String>,
    /// The issuer's display name.
    pub issuer_name: String,
    /// The issuer's website.
    pub issuer_url: Option<String>,
    /// The public base URL (no trailing slash): ids are `{base}/credentials/{uuid}`.
    pub base_url: String,
    /// The keys folder: `issuer.json`, and `retired/*.json` still published.
    pub keys_dir: PathBuf,
    /// `sqlite:PATH` or `postgres://…`.
    pub database_url: String,
    /// Where to listen.
    pub listen: SocketAddr,
    /// The cryptosuite of new proofs.
    pub cryptosuite: Cryptosuite,
    /// The program file.
    pub program: PathBuf,
    /// Whether `POST /credentials/issue` works without a token.
    pub open_issue_endpoint: bool,
    /// How long verifiers may cache status lists, seconds.
    pub status_ttl_seconds: u64,
    /// The largest request body, bytes.
    pub max_body_bytes: usize,
    /// Serve https with this certificate chain and key (PEM); plain HTTP when absent.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Open connections at most (default 1024); more wait until one closes.
    pub max_connections: usize,
    /// The blocking pool signing runs on (default: 2 workers per core, a 5 s deadline).
    pub signing: hallmark_http::PoolConfig,
}

/// Overrides from the command line (the environment is read by [`Config::load`]).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--listen`.
    pub listen: Option<String>,
    /// `--database-url`.
    pub database_url: Option<String>,
}

impl Config {
    /// Reads `path`, then `HALLMARK_LISTEN`, `HALLMARK_DATABASE_URL`, `HALLMARK_BASE_URL`,
    /// `HALLMARK_ISSUER_ID`, `HALLMARK_KEYS_DIR`, `HALLMARK_CRYPTOSUITE`,
    /// `HALLMARK_OPEN_ISSUE_ENDPOINT`, then `overrides`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the file or key at fault.
    pub fn load(path: &Path, overrides: &Overrides) -> Result<Self, ConfigError> {
        let mut file: File = hallmark_config::read_toml(path)?;
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if let Some(v) = env("HALLMARK_LISTEN") {
            file.listen = v;
        }
        if let Some(v) = env("HALLMARK_DATABASE_URL") {
            file.database_url = v;
        }
        if let Some(v) = env("HALLMARK_BASE_URL") {
            file.base_url = v;
        }
        if let Some(v) = env("HALLMARK_ISSUER_ID") {
            file.issuer_id = Some(v);
        }
        if let Some(v) = env("HALLMARK_KEYS_DIR") {
            file.keys_dir = v.into();
        }
        if let Some(v) = env("HALLMARK_CRYPTOSUITE") {
            file.cryptosuite = v;
        }
        if let Some(v) = env("HALLMARK_OPEN_ISSUE_ENDPOINT") {
            file.open_issue_endpoint = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = &overrides.listen {
            file.listen = v.clone();
        }
        if let Some(v) = &overrides.database_url {
            file.database_url = v.clone();
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        Self::resolve(file, dir)
    }

    fn resolve(file: File, dir: &Path) -> Result<Self, ConfigError> {
        let invalid = |key, message: String| ConfigError::Invalid { key, message };
        let base_url = file.base_url.trim_end_matches('/').to_owned();
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(invalid(
                "base_url",
                format!("{base_url:?} must start with https:// (or http:// for local use)"),
            ));
        }
        if let Some(id) = &file.issuer_id {
            if !(id.starts_with("did:web:") || id.starts_with("did:key:")) {
                return Err(invalid(
                    "issuer_id",
                    format!("{id:?} must be a did:web or did:key"),
                ));
            }
            hallmark_core::did::Did::parse(id).map_err(|e| invalid("issuer_id", e.to_string()))?;
        }
        if file.issuer_name.trim().is_empty() {
            return Err(invalid("issuer_name", "must not be empty".into()));
        }
        let listen = file.listen.parse::<SocketAddr>().map_err(|e| {
            invalid(
                "listen",
                format!(
                    "{:?} is not an address like 127.0.0.1:8080: {e}",
                    file.listen
                ),
            )
        })?;
        let cryptosuite = file
            .cryptosuite
            .parse::<Cryptosuite>()
            .map_err(|e| invalid("cryptosuite", e.to_string()))?;
        let database_url = match file.database_url.strip_prefix("sqlite:") {
            Some(rest) => {
                let path = rest.trim_start_matches("//");
                let absolute = if Path::new(path).is_absolute() {
                    PathBuf::from(path)
                } else {
                    dir.join(path)
                };
                format!("sqlite://{}", absolute.display())
            }
            None if file.database_url.starts_with("postgres://")
                || file.database_url.starts_with("postgresql://") =>
            {
                file.database_url
            }
            None => {
                return Err(invalid(
                    "database_url",
                    format!(
                        "{:?} must be sqlite:PATH or postgres://…",
                        file.database_url
                    ),
                ))
            }
        };
        // Signed into each list as milliseconds, a JSON integer (at most 2^53 − 1).
        if file.status_ttl_seconds > 31_536_000 {
            return Err(invalid(
                "status_ttl_seconds",
                "must be at most 31536000 (a year)".into(),
            ));
        }
        if file.max_body_bytes < 1024 {
            return Err(invalid("max_body_bytes", "must be at least 1024".into()));
        }
        let tls = match (file.tls_cert, file.tls_key) {
            (Some(cert), Some(key)) => Some((dir.join(cert), dir.join(key))),
            (None, None) => None,
            _ => {
                return Err(invalid(
                    "tls_cert",
                    "tls_cert and tls_key go together".into(),
                ))
            }
        };
        Ok(Self {
            tls,
            max_connections: file
                .max_connections
                .unwrap_or(hallmark_http::ServeConfig::default().max_connections)
                .max(1),
            signing: hallmark_http::PoolConfig::default(),
            issuer_id: file.issuer_id,
            issuer_name: file.issuer_name,
            issuer_url: file.issuer_url,
            base_url,
            keys_dir: dir.join(file.keys_dir),
            database_url,
            listen,
            cryptosuite,
            program: dir.join(file.program),
            open_issue_endpoint: file.open_issue_endpoint,
            status_ttl_seconds: file.status_ttl_seconds,
            max_body_bytes: file.max_body_bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, ConfigError> {
        let dir = std::env::temp_dir().join(format!(
            "hallmark-config-{}-{}",
            std::process::id(),
            text.len()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.toml");
        std::fs::write(&path, text).unwrap();
        Config::load(&path, &Overrides::default())
    }

    #[test]
    fn reads_and_resolves() {
        let c = load("issuer_name = \"Acme\"\nbase_url = \"https://partners.acme.example/\"\nissuer_id = \"did:web:partners.acme.example\"\n").unwrap();
        assert_eq!(c.base_url, "https://partners.acme.example");
        assert!(
            c.database_url.starts_with("sqlite:///") && c.database_url.ends_with("/hallmark.db"),
            "{}",
            c.database_url
        );
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert!(c.keys_dir.ends_with("keys"));
    }

    #[test]
    fn errors_name_the_key() {
        let e = load(
            "issuer_name = \"Acme\"\nbase_url = \"https://a.example\"\nlisten = \"everywhere\"\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("`listen`"), "{e}");
        let e = load("issuer_name = \"Acme\"\nbase_url = \"ftp://a.example\"\n").unwrap_err();
        assert!(e.to_string().contains("`base_url`"), "{e}");
        let e = load(
            "issuer_name = \"Acme\"\nbase_url = \"https://a.example\"\ncryptosuite = \"rsa\"\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("`cryptosuite`"), "{e}");
        let e =
            load("issuer_name = \"Acme\"\nbase_url = \"https://a.example\"\nlisten_addr = \"x\"\n")
                .unwrap_err();
        assert!(e.to_string().contains("listen_addr"), "{e}");
        let e = load("base_url = \"https://a.example\"\n").unwrap_err();
        assert!(e.to_string().contains("issuer_name"), "{e}");
        let e = load("issuer_name = \"Acme\"\nbase_url = \"https://a.example\"\ndatabase_url = \"mysql://x\"\n").unwrap_err();
        assert!(e.to_string().contains("`database_url`"), "{e}");
        // TOML's largest integer would overflow as milliseconds.
        let e = load("issuer_name = \"Acme\"\nbase_url = \"https://a.example\"\nstatus_ttl_seconds = 9223372036854775807\n").unwrap_err();
        assert!(e.to_string().contains("`status_ttl_seconds`"), "{e}");
    }
}
