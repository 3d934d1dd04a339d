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
    database_url: DatabaseUrl,
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
    #[serde(default = "default_list_fill")]
    status_list_fill: f64,
    #[serde(default = "default_body_limit")]
    max_body_bytes: usize,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    max_connections: Option<usize>,
    max_connections_per_client: Option<usize>,
    linkedin_organization_id: Option<String>,
    #[serde(default = "default_embed_max_age")]
    embed_max_age_seconds: u64,
    #[serde(default = "default_lifecycle_interval")]
    lifecycle_interval_seconds: u64,
    #[serde(default = "default_true")]
    deliveries: bool,
    #[serde(default)]
    webhooks: WebhookSettings,
    smtp: Option<SmtpSettings>,
    #[serde(default = "default_bulk_max_rows")]
    bulk_max_rows: usize,
    #[serde(default = "default_bulk_max_bytes")]
    bulk_max_bytes: usize,
    #[serde(default = "default_idempotency_ttl")]
    idempotency_ttl_seconds: u64,
    #[serde(default = "default_idempotency_lease")]
    idempotency_lease_seconds: u64,
}

/// Rows of one bulk approval request.
fn default_bulk_max_rows() -> usize {
    1000
}
/// Bytes of one bulk approval request (4 MiB).
fn default_bulk_max_bytes() -> usize {
    4 * 1024 * 1024
}
/// A day.
fn default_idempotency_ttl() -> u64 {
    86_400
}
/// Longer than the request timeout (10 s), so a live request's claim never runs out.
fn default_idempotency_lease() -> u64 {
    30
}

fn default_true() -> bool {
    true
}

/// `[webhooks]`: how notifications are delivered (webhooks and e-mails alike).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookSettings {
    /// The first retry's delay, seconds (default 30); each next one doubles it.
    pub retry_base_seconds: u64,
    /// The longest delay between attempts, seconds (default 21600, six hours).
    pub retry_cap_seconds: u64,
    /// Attempts at most, then the delivery is `failed` and later ones proceed (default 12).
    pub max_attempts: u32,
    /// How often the worker looks for work, milliseconds (default 1000).
    pub poll_milliseconds: u64,
    /// One attempt's time limit, seconds (default 10).
    pub timeout_seconds: u64,
    /// Hosts (`host:port`) reached over plain HTTP, even on loopback or private addresses:
    /// for tests and local development only (like the verifier's `--insecure-host`).
    pub insecure_hosts: Vec<String>,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            retry_base_seconds: 30,
            retry_cap_seconds: 21_600,
            max_attempts: 12,
            poll_milliseconds: 1000,
            timeout_seconds: 10,
            insecure_hosts: Vec::new(),
        }
    }
}

/// How the connection to the SMTP relay is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP (a relay on the same host or network only).
    None,
    /// STARTTLS, required.
    Starttls,
    /// TLS from the start (SMTPS).
    Tls,
}

/// `[smtp]`: the relay e-mail reminders go through. No `[smtp]`: no e-mails.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    /// The relay's host name.
    pub host: String,
    /// Its port (default 587).
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// `none`, `starttls` (default) or `tls`.
    #[serde(default = "default_smtp_tls")]
    pub tls: SmtpTls,
    /// The sender, `Name <address>` or an address.
    pub from: String,
    /// The user name, when the relay asks for one.
    pub username: Option<String>,
    /// The environment variable holding the password (the password is never in the file,
    /// nor logged).
    pub password_env: Option<String>,
    /// Where partners renew (a page of the agency), named in the e-mails.
    pub renew_url: Option<String>,
}

fn default_smtp_port() -> u16 {
    587
}
fn default_smtp_tls() -> SmtpTls {
    SmtpTls::Starttls
}

fn default_keys() -> PathBuf {
    "keys".into()
}
fn default_database() -> DatabaseUrl {
    DatabaseUrl("sqlite:hallmark.db".into())
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
/// Half full: a random free index is found within two draws on average.
fn default_list_fill() -> f64 {
    0.5
}
/// The fullest a status list may be configured to get before a new one is opened: beyond it
/// free indexes get rare (ten draws on average at 0.9) and the list too telling.
pub const MAX_STATUS_LIST_FILL: f64 = 0.9;
fn default_embed_max_age() -> u64 {
    30
}
/// Daily.
fn default_lifecycle_interval() -> u64 {
    86_400
}
/// The longest period of the lifecycle job, seconds: thirty days (its reminders are 30, 14
/// and 1 days ahead, so it must run at least that often to send them).
pub const MAX_LIFECYCLE_INTERVAL_SECONDS: u64 = 30 * 86_400;
fn default_body_limit() -> usize {
    64 * 1024
}

/// A database URL. Its text is for connecting ([`std::ops::Deref`] to `str`); `Debug` and
/// `Display` leave out the password (a config printed or logged must not leak it).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(String);

impl std::ops::Deref for DatabaseUrl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?}",
            hallmark_store::RedactedUrl::new(&self.0).to_string()
        )
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", hallmark_store::RedactedUrl::new(&self.0))
    }
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
    pub database_url: DatabaseUrl,
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
    /// The share of a status list's entries in use at which new badges get a new list
    /// (`status_list_fill`, default 0.5; above 0 and at most [`MAX_STATUS_LIST_FILL`]).
    /// Indexes stay uniformly random in each list (herd privacy, Bitstring Status List §6.1).
    pub status_list_fill: f64,
    /// The largest request body, bytes.
    pub max_body_bytes: usize,
    /// Serve https with this certificate chain and key (PEM); plain HTTP when absent.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Open connections at most (default 1024); more wait until one closes.
    pub max_connections: usize,
    /// Open connections one client (IPv4 address or IPv6 /64) may hold (default 128); more
    /// are closed at once. Raise it behind a reverse proxy.
    pub max_connections_per_client: usize,
    /// The blocking pool signing runs on (default: 2 workers per core, a 5 s deadline).
    pub signing: hallmark_http::PoolConfig,
    /// The agency's LinkedIn organization id (digits), for the verify page's "Add to
    /// LinkedIn" link; without it the link names the organization by `issuer_name`.
    pub linkedin_organization_id: Option<String>,
    /// How long browsers and proxies may keep an embed image (`badge.svg`), seconds: a
    /// status change shows on partners' sites within this (default 30, at most 3600).
    pub embed_max_age_seconds: u64,
    /// How often the lifecycle job (lapses, "expiring" reminders) runs, seconds (default
    /// 86400, daily; 0 turns it off; at most [`MAX_LIFECYCLE_INTERVAL_SECONDS`]). Several
    /// processes on one database run it once a period between them (a lease).
    pub lifecycle_interval_seconds: u64,
    /// Whether this process runs the delivery worker (webhooks, e-mails; default true;
    /// `HALLMARK_DELIVERIES`): false for instances that only serve, when other instances
    /// deliver.
    pub deliveries: bool,
    /// `[webhooks]`: retries, timeouts and hosts allowed over plain HTTP.
    pub webhooks: WebhookSettings,
    /// `[smtp]`: the relay for e-mail reminders; none, no e-mails.
    pub smtp: Option<SmtpSettings>,
    /// The most rows one `POST /api/v1/approvals/bulk` takes (default 1,000).
    pub bulk_max_rows: usize,
    /// The largest body of one bulk request, bytes (default 4 MiB).
    pub bulk_max_bytes: usize,
    /// How long an idempotency key and its response are kept, seconds (default a day).
    pub idempotency_ttl_seconds: u64,
    /// How long a request holds its idempotency key before another request with the key may
    /// take it over (its holder presumed dead), seconds (default 30).
    pub idempotency_lease_seconds: u64,
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
    /// Reads `path`, then `HALLMARK_DELIVERIES`, `HALLMARK_LISTEN`, `HALLMARK_DATABASE_URL`, `HALLMARK_BASE_URL`,
    /// `HALLMARK_ISSUER_ID`, `HALLMARK_KEYS_DIR`, `HALLMARK_CRYPTOSUITE`,
    /// `HALLMARK_OPEN_ISSUE_ENDPOINT`, `HALLMARK_EMBED_MAX_AGE_SECONDS`,
    /// `HALLMARK_LIFECYCLE_INTERVAL_SECONDS`, then `overrides`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the file or key at fault.
    pub fn load(path: &Path, overrides: &Overrides) -> Result<Self, ConfigError> {
        Self::load_with_env(path, overrides, |name| std::env::var(name).ok())
    }

    /// [`Config::load`] with `env` in place of the process environment. An empty variable
    /// counts as unset; a bad value is refused naming the variable.
    fn load_with_env(
        path: &Path,
        overrides: &Overrides,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut file: File = hallmark_config::read_toml(path)?;
        let env = |name: &str| env(name).filter(|v| !v.is_empty());
        // Which keys the environment set, so an error names the variable, not the key.
        let mut from_env: Vec<(&'static str, &'static str)> = Vec::new();
        for (key, var) in [
            ("listen", "HALLMARK_LISTEN"),
            ("database_url", "HALLMARK_DATABASE_URL"),
            ("base_url", "HALLMARK_BASE_URL"),
            ("issuer_id", "HALLMARK_ISSUER_ID"),
            ("cryptosuite", "HALLMARK_CRYPTOSUITE"),
        ] {
            if env(var).is_some() {
                from_env.push((key, var));
            }
        }
        if let Some(v) = env("HALLMARK_LISTEN") {
            file.listen = v;
        }
        if let Some(v) = env("HALLMARK_DATABASE_URL") {
            file.database_url = DatabaseUrl(v);
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
            file.open_issue_endpoint =
                hallmark_config::parse_bool("HALLMARK_OPEN_ISSUE_ENDPOINT", &v)?;
        }
        if let Some(v) = env("HALLMARK_EMBED_MAX_AGE_SECONDS") {
            file.embed_max_age_seconds = v.parse().map_err(|_| ConfigError::Invalid {
                key: "HALLMARK_EMBED_MAX_AGE_SECONDS",
                message: format!("{v:?} must be a number of seconds"),
            })?;
        }
        if let Some(v) = env("HALLMARK_LIFECYCLE_INTERVAL_SECONDS") {
            file.lifecycle_interval_seconds = v.parse().map_err(|_| ConfigError::Invalid {
                key: "HALLMARK_LIFECYCLE_INTERVAL_SECONDS",
                message: format!("{v:?} must be a number of seconds"),
            })?;
            from_env.push((
                "lifecycle_interval_seconds",
                "HALLMARK_LIFECYCLE_INTERVAL_SECONDS",
            ));
        }
        if let Some(v) = env("HALLMARK_DELIVERIES") {
            file.deliveries = hallmark_config::parse_bool("HALLMARK_DELIVERIES", &v)?;
        }
        if let Some(v) = &overrides.listen {
            file.listen = v.clone();
            from_env.retain(|(key, _)| *key != "listen");
        }
        if let Some(v) = &overrides.database_url {
            file.database_url = DatabaseUrl(v.clone());
            from_env.retain(|(key, _)| *key != "database_url");
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        Self::resolve(file, dir).map_err(|e| match e {
            ConfigError::Invalid { key, message } => ConfigError::Invalid {
                key: from_env
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map_or(key, |(_, var)| var),
                message,
            },
            other => other,
        })
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
            if !matches!(hallmark_core::did::method_of(id), Some("web" | "key")) {
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
                DatabaseUrl(format!("sqlite://{}", absolute.display()))
            }
            None if file.database_url.starts_with("postgres://")
                || file.database_url.starts_with("postgresql://") =>
            {
                file.database_url
            }
            None => {
                return Err(invalid(
                    "database_url",
                    format!("{} must be sqlite:PATH or postgres://…", file.database_url),
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
        // `!(… > 0)` also refuses NaN.
        if !(file.status_list_fill > 0.0 && file.status_list_fill <= MAX_STATUS_LIST_FILL) {
            return Err(invalid(
                "status_list_fill",
                format!(
                    "{} must be above 0 and at most {MAX_STATUS_LIST_FILL} (the share of a status list used before a new one is opened)",
                    file.status_list_fill
                ),
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
        let max_connections =
            hallmark_config::at_least("max_connections", file.max_connections, 1)?
                .unwrap_or(hallmark_http::ServeConfig::default().max_connections);
        let max_connections_per_client = hallmark_config::at_least(
            "max_connections_per_client",
            file.max_connections_per_client,
            1,
        )?
        .unwrap_or(hallmark_http::ServeConfig::default().max_connections_per_client);
        if let Some(id) = &file.linkedin_organization_id {
            if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(
                    "linkedin_organization_id",
                    format!("{id:?} must be the organization's number, digits only"),
                ));
            }
        }
        if file.embed_max_age_seconds > 3600 {
            return Err(invalid(
                "embed_max_age_seconds",
                "must be at most 3600 (an hour): a revoked badge would show as valid that long"
                    .into(),
            ));
        }
        if file.lifecycle_interval_seconds > MAX_LIFECYCLE_INTERVAL_SECONDS {
            return Err(invalid(
                "lifecycle_interval_seconds",
                format!("must be at most {MAX_LIFECYCLE_INTERVAL_SECONDS} (thirty days), or 0 to turn the job off"),
            ));
        }
        let w = &file.webhooks;
        if w.retry_base_seconds == 0 || w.retry_cap_seconds < w.retry_base_seconds {
            return Err(invalid(
                "webhooks.retry_base_seconds",
                "must be at least 1 and at most retry_cap_seconds".into(),
            ));
        }
        if w.max_attempts == 0 || w.max_attempts > 100 {
            return Err(invalid(
                "webhooks.max_attempts",
                "must be between 1 and 100".into(),
            ));
        }
        if w.poll_milliseconds < 10 || w.timeout_seconds == 0 || w.timeout_seconds > 60 {
            return Err(invalid(
                "webhooks.poll_milliseconds",
                "poll_milliseconds must be at least 10 and timeout_seconds between 1 and 60".into(),
            ));
        }
        if let Some(smtp) = &file.smtp {
            if smtp.host.trim().is_empty() {
                return Err(invalid("smtp.host", "must not be empty".into()));
            }
        }
        if file.bulk_max_rows == 0 || file.bulk_max_rows > 10_000 {
            return Err(invalid(
                "bulk_max_rows",
                "must be between 1 and 10000".into(),
            ));
        }
        if file.bulk_max_bytes < 1024 || file.bulk_max_bytes > 64 * 1024 * 1024 {
            return Err(invalid(
                "bulk_max_bytes",
                "must be between 1024 and 67108864 (64 MiB)".into(),
            ));
        }
        if file.idempotency_ttl_seconds < 60 || file.idempotency_ttl_seconds > 30 * 86_400 {
            return Err(invalid(
                "idempotency_ttl_seconds",
                "must be between 60 and 2592000 (thirty days)".into(),
            ));
        }
        if file.idempotency_lease_seconds == 0 || file.idempotency_lease_seconds > 3600 {
            return Err(invalid(
                "idempotency_lease_seconds",
                "must be between 1 and 3600".into(),
            ));
        }
        Ok(Self {
            bulk_max_rows: file.bulk_max_rows,
            bulk_max_bytes: file.bulk_max_bytes,
            idempotency_ttl_seconds: file.idempotency_ttl_seconds,
            idempotency_lease_seconds: file.idempotency_lease_seconds,
            lifecycle_interval_seconds: file.lifecycle_interval_seconds,
            deliveries: file.deliveries,
            webhooks: file.webhooks,
            smtp: file.smtp,
            linkedin_organization_id: file.linkedin_organization_id,
            embed_max_age_seconds: file.embed_max_age_seconds,
            tls,
            max_connections,
            max_connections_per_client,
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
            status_list_fill: file.status_list_fill,
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

    /// Loads `text` with `vars` as the environment.
    fn load_env(text: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("hallmark-config-env-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.toml");
        std::fs::write(&path, text).unwrap();
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let config = Config::load_with_env(&path, &Overrides::default(), |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        });
        std::fs::remove_dir_all(&dir).unwrap();
        config
    }

    const MINIMAL: &str = "issuer_name = \"Acme\"\nbase_url = \"https://a.example\"\n";

    #[test]
    fn the_status_list_fill_is_half_by_default_and_bounded() {
        assert_eq!(load_env(MINIMAL, &[]).unwrap().status_list_fill, 0.5);
        for (text, fill) in [("0.25", 0.25), ("0.9", 0.9), ("0.0001", 0.0001)] {
            let c = load_env(&format!("{MINIMAL}status_list_fill = {text}\n"), &[]).unwrap();
            assert_eq!(c.status_list_fill, fill);
        }
        for bad in ["0", "0.0", "-0.5", "0.95", "1", "nan", "inf"] {
            let e = load_env(&format!("{MINIMAL}status_list_fill = {bad}\n"), &[])
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("configuration key `status_list_fill`")
                    && e.contains("must be above 0 and at most 0.9"),
                "{bad}: {e}"
            );
        }
    }

    /// `HALLMARK_OPEN_ISSUE_ENDPOINT=maybe` was read as false (newcomer check): booleans are
    /// true/false/1/0/yes/no in any case, anything else is refused naming the variable.
    #[test]
    fn boolean_variables_accept_only_booleans() {
        for (value, open) in [
            ("true", true),
            ("YES", true),
            ("1", true),
            ("False", false),
            ("no", false),
            ("0", false),
        ] {
            let c = load_env(MINIMAL, &[("HALLMARK_OPEN_ISSUE_ENDPOINT", value)]).unwrap();
            assert_eq!(c.open_issue_endpoint, open, "{value}");
        }
        // Unset or empty: the file's value.
        let c = load_env(
            &format!("{MINIMAL}open_issue_endpoint = true\n"),
            &[("HALLMARK_OPEN_ISSUE_ENDPOINT", "")],
        )
        .unwrap();
        assert!(c.open_issue_endpoint);
        for value in ["maybe", "on", "2", "tru"] {
            let e = load_env(MINIMAL, &[("HALLMARK_OPEN_ISSUE_ENDPOINT", value)]).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("configuration key `HALLMARK_OPEN_ISSUE_ENDPOINT`: {value:?} is not a boolean: use true or false (or 1/0, yes/no)")
            );
        }
        // In the file, TOML's own booleans only.
        let e = load_env(&format!("{MINIMAL}open_issue_endpoint = \"maybe\"\n"), &[]).unwrap_err();
        assert!(e.to_string().contains("open_issue_endpoint"), "{e}");
    }

    /// A bad value from the environment is refused naming the variable it came from.
    #[test]
    fn errors_from_the_environment_name_the_variable() {
        for (var, value) in [
            ("HALLMARK_LISTEN", "everywhere"),
            ("HALLMARK_BASE_URL", "ftp://a.example"),
            ("HALLMARK_DATABASE_URL", "mysql://x"),
            ("HALLMARK_ISSUER_ID", "acme"),
            ("HALLMARK_CRYPTOSUITE", "rsa"),
        ] {
            let e = load_env(MINIMAL, &[(var, value)]).unwrap_err().to_string();
            assert!(
                e.starts_with(&format!("configuration key `{var}`: ")),
                "{e}"
            );
        }
    }

    /// Zero connections was raised to one without a word; it is refused with the key's name.
    #[test]
    fn the_database_password_is_in_no_debug_output_or_error() {
        let c = load_env(
            &format!("{MINIMAL}database_url = \"postgres://u:s3cret@db.example/h\"\n"),
            &[],
        )
        .unwrap();
        assert_eq!(&*c.database_url, "postgres://u:s3cret@db.example/h");
        assert!(!format!("{c:?}").contains("s3cret"), "{c:?}");
        let e = load_env(
            &format!("{MINIMAL}database_url = \"mysql://u:s3cret@db.example/h\"\n"),
            &[],
        )
        .unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
        assert!(e.to_string().contains("database_url"), "{e}");
    }

    #[test]
    fn the_lifecycle_interval_is_daily_by_default_bounded_and_read_from_the_environment() {
        assert_eq!(
            load_env(MINIMAL, &[]).unwrap().lifecycle_interval_seconds,
            86_400
        );
        let c = load_env(&format!("{MINIMAL}lifecycle_interval_seconds = 0\n"), &[]).unwrap();
        assert_eq!(c.lifecycle_interval_seconds, 0);
        let c = load_env(MINIMAL, &[("HALLMARK_LIFECYCLE_INTERVAL_SECONDS", "3600")]).unwrap();
        assert_eq!(c.lifecycle_interval_seconds, 3600);
        let e = load_env(
            &format!("{MINIMAL}lifecycle_interval_seconds = 2592001\n"),
            &[],
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "configuration key `lifecycle_interval_seconds`: must be at most 2592000 (thirty days), or 0 to turn the job off"
        );
        for value in ["daily", "2592001"] {
            let e = load_env(MINIMAL, &[("HALLMARK_LIFECYCLE_INTERVAL_SECONDS", value)])
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with("configuration key `HALLMARK_LIFECYCLE_INTERVAL_SECONDS`: "),
                "{e}"
            );
        }
    }

    #[test]
    fn delivery_settings_default_and_the_worker_switch() {
        let c = load_env(MINIMAL, &[]).unwrap();
        assert!(c.deliveries);
        assert_eq!(c.webhooks, WebhookSettings::default());
        assert_eq!(c.smtp, None);
        let c = load_env(
            &format!("{MINIMAL}deliveries = true\n[webhooks]\nretry_base_seconds = 1\nretry_cap_seconds = 4\n[smtp]\nhost = \"127.0.0.1\"\nport = 2525\ntls = \"none\"\nfrom = \"Acme <partners@acme.example>\"\n"),
            &[("HALLMARK_DELIVERIES", "false")],
        )
        .unwrap();
        assert!(!c.deliveries);
        assert_eq!(
            (c.webhooks.retry_base_seconds, c.webhooks.retry_cap_seconds),
            (1, 4)
        );
        let smtp = c.smtp.unwrap();
        assert_eq!((smtp.port, smtp.tls), (2525, SmtpTls::None));
        let e = load_env(
            &format!("{MINIMAL}[webhooks]\nretry_base_seconds = 0\n"),
            &[],
        )
        .unwrap_err();
        assert!(e.to_string().contains("webhooks.retry_base_seconds"), "{e}");
        let e = load_env(MINIMAL, &[("HALLMARK_DELIVERIES", "sometimes")]).unwrap_err();
        assert!(e.to_string().contains("HALLMARK_DELIVERIES"), "{e}");
    }

    #[test]
    fn zero_max_connections_is_refused() {
        let e = load_env(&format!("{MINIMAL}max_connections = 0\n"), &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "configuration key `max_connections`: 0 is below the smallest accepted value, 1"
        );
        let c = load_env(&format!("{MINIMAL}max_connections = 1\n"), &[]).unwrap();
        assert_eq!(c.max_connections, 1);
        assert_eq!(load_env(MINIMAL, &[]).unwrap().max_connections, 1024);
        assert_eq!(
            load_env(MINIMAL, &[]).unwrap().max_connections_per_client,
            128
        );
        let e = load_env(&format!("{MINIMAL}max_connections_per_client = 0\n"), &[]).unwrap_err();
        assert!(e.to_string().contains("max_connections_per_client"), "{e}");
        let c = load_env(
            &format!("{MINIMAL}max_connections_per_client = 4096\n"),
            &[],
        )
        .unwrap();
        assert_eq!(c.max_connections_per_client, 4096);
    }
}
