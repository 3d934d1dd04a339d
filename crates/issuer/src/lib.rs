//! The issuer service behind `hallmark serve` (docs/design.md §5): the partner program,
//! partners and approvals, issuance of Open Badges 3.0 partner badges, revocation and
//! suspension with Bitstring Status Lists, the `did:web` document, and the VC API issue
//! endpoint.
//!
//! State lives in a [`hallmark_store::Store`] (SQLite by default, PostgreSQL by URL); a badge
//! and its audit entry are committed before the response is sent, and a status change
//! re-signs its list in the same transaction, so the list served next already shows it.
//!
//! [`router`] builds the whole HTTP API, so tests drive it without a socket; it sits behind
//! the shared [`hallmark_http`] layer (problem details for every error, request ids, the
//! request timeout), and [`serve`] runs it with that crate's server. Signing (RDF
//! canonicalization for `eddsa-rdfc-2022`) runs on a bounded blocking pool.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod config;
pub mod demo;
mod handlers;
pub mod keys;
pub mod problem;
pub mod program;
mod slots;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use hallmark_core::status::{Bitstring, StatusListSpec, StatusPurpose, MIN_ENTRIES};
use hallmark_http::{BlockingPool, ServeConfig, ServeError, Tls};
use hallmark_store::{AuditEntry, StatusListRow, Store, TokenRow};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

pub use config::{Config, ConfigError, Overrides};
pub use keys::IssuerKeys;
pub use program::Program;

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The program file.
    #[error("{path}: {message}")]
    Program {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The keys.
    #[error(transparent)]
    Keys(#[from] keys::KeysError),
    /// The database.
    #[error(transparent)]
    Store(#[from] hallmark_store::StoreError),
    /// Signing a status list failed.
    #[error("cannot sign the status list: {0}")]
    Sign(String),
}

/// Everything a request handler needs, shared.
#[derive(Clone, Debug)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    program: Program,
    keys: IssuerKeys,
    store: Store,
    draws: slots::IndexDraws,
    /// Where signing runs: off the async threads, bounded, with a deadline.
    pool: BlockingPool,
}

impl AppState {
    /// Opens the service's state: reads the program and keys, connects to the database,
    /// migrates it (first moving credentials off "message" status slots they share, re-signed:
    /// see [`hallmark_store::Store::migrate_repairing`]), and makes sure the current status
    /// lists exist.
    ///
    /// # Errors
    /// [`StartError`] naming what could not be loaded.
    pub async fn open(config: Config) -> Result<Self, StartError> {
        let text = std::fs::read_to_string(&config.program).map_err(|e| StartError::Program {
            path: config.program.display().to_string(),
            message: e.to_string(),
        })?;
        let program = Program::from_toml(&text).map_err(|e| StartError::Program {
            path: config.program.display().to_string(),
            message: e.to_string(),
        })?;
        let keys = IssuerKeys::load(&config.keys_dir, config.issuer_id.as_deref())?;
        let store = Store::connect(&config.database_url).await?;
        let pool = BlockingPool::new(config.signing);
        let state = Self {
            inner: Arc::new(Inner {
                config,
                program,
                keys,
                store,
                draws: slots::IndexDraws::default(),
                pool,
            }),
        };
        let moves = state
            .store()
            .migrate_repairing(&slots::Resigner(&state), now().unix_timestamp())
            .await?;
        for m in &moves {
            tracing::warn!(
                "credential {} shared index {} of {} with {}: moved to index {} and re-signed; re-send it to its holder",
                m.credential, m.from.index, m.from.list, m.kept, m.to.index
            );
        }
        state.resign_moved_lists().await?;
        state.current_list(StatusPurpose::Revocation, 1).await?;
        if state.inner.program.suspension {
            state.current_list(StatusPurpose::Suspension, 1).await?;
        }
        Ok(state)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The program.
    pub fn program(&self) -> &Program {
        &self.inner.program
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The keys.
    pub fn keys(&self) -> &IssuerKeys {
        &self.inner.keys
    }

    /// The blocking pool signing runs on.
    pub fn pool(&self) -> &BlockingPool {
        &self.inner.pool
    }

    /// The public URL of a status list.
    pub fn list_url(&self, id: &str) -> String {
        format!("{}/status/{id}", self.inner.config.base_url)
    }

    /// The public URL of a credential.
    pub fn credential_url(&self, id: &str) -> String {
        format!("{}/credentials/{id}", self.inner.config.base_url)
    }

    /// The list new badges get entries in for `purpose`: the newest one while it is less
    /// than half used (so a random free index is found quickly), else a new one.
    ///
    /// # Errors
    /// A database or signing error.
    pub async fn current_list(
        &self,
        purpose: StatusPurpose,
        status_size: u8,
    ) -> Result<String, StartError> {
        let store = &self.inner.store;
        let mut n = 1;
        loop {
            // Entries of several bits (a "message" list) get lists of their own.
            let id = match status_size {
                1 => format!("{}-{n}", purpose.as_str()),
                bits => format!("{}-{bits}bit-{n}", purpose.as_str()),
            };
            match store.status_list(&id).await? {
                None => {
                    self.create_list(&id, purpose, status_size).await?;
                    return Ok(id);
                }
                Some(row) if store.entries_used(&id).await? < row.entries / 2 => return Ok(id),
                Some(_) => n += 1,
            }
        }
    }

    async fn create_list(
        &self,
        id: &str,
        purpose: StatusPurpose,
        status_size: u8,
    ) -> Result<(), StartError> {
        let bits = Bitstring::new(MIN_ENTRIES, status_size)
            .map_err(|e| StartError::Sign(e.to_string()))?;
        let document = self
            .sign_list(id, purpose, &bits)
            .map_err(StartError::Sign)?;
        let now = now();
        self.inner
            .store
            .ensure_status_list(&StatusListRow {
                id: id.to_owned(),
                purpose: purpose
                    .as_str()
                    .parse()
                    .map_err(|e: hallmark_store::UnknownPurpose| StartError::Sign(e.to_string()))?,
                entries: MIN_ENTRIES as i64,
                status_size: i64::from(status_size),
                bits: bits.as_bytes().to_vec(),
                document,
                updated_at: now.unix_timestamp(),
            })
            .await?;
        Ok(())
    }

    /// Re-signs every status list whose signed `id` is not its URL under the current
    /// `base_url` (the issuer moved: a new address, `hallmark serve --demo --listen`), so the
    /// lists named by badges issued from now on verify; the bits are kept. Badges issued
    /// before name the old URLs and no longer resolve there.
    async fn resign_moved_lists(&self) -> Result<(), StartError> {
        let store = &self.inner.store;
        for id in store.status_list_ids().await? {
            let url = self.list_url(&id);
            let resigned = store
                .resign_status_list(&id, now().unix_timestamp(), |row| {
                    let document: serde_json::Value =
                        serde_json::from_str(&row.document).unwrap_or_default();
                    if document["id"] == url.as_str() {
                        return Ok(None);
                    }
                    let purpose =
                        StatusPurpose::parse(row.purpose.as_str()).map_err(|e| e.to_string())?;
                    let bits = Bitstring::from_bytes(row.bits.clone());
                    Ok(Some(self.sign_list(&row.id, purpose, &bits)?))
                })
                .await?;
            if resigned {
                tracing::warn!(
                    "status list {id} re-signed as {url}: the issuer's base_url changed; badges issued before name the old URL"
                );
            }
        }
        Ok(())
    }

    /// The signed status list credential for `bits`, as JSON text.
    fn sign_list(
        &self,
        id: &str,
        purpose: StatusPurpose,
        bits: &Bitstring,
    ) -> Result<String, String> {
        let spec = StatusListSpec {
            url: self.list_url(id),
            issuer: self.inner.keys.issuer().to_owned(),
            purpose,
            valid_from: now(),
            valid_until: None,
            ttl_ms: Some(self.inner.config.status_ttl_seconds.saturating_mul(1000)),
        };
        let unsigned = spec.build(bits).map_err(|e| e.to_string())?;
        let signed = self.sign(unsigned.into_map(), self.inner.config.cryptosuite)?;
        serde_json::to_string(&signed).map_err(|e| e.to_string())
    }

    /// Signs a credential with the issuer's current key.
    fn sign(
        &self,
        credential: serde_json::Map<String, serde_json::Value>,
        cryptosuite: hallmark_core::proof::Cryptosuite,
    ) -> Result<serde_json::Map<String, serde_json::Value>, String> {
        let options = hallmark_core::proof::ProofOptions {
            cryptosuite,
            verification_method: self.inner.keys.current_method(),
            proof_purpose: hallmark_core::did::Relationship::AssertionMethod,
            created: Some(now()),
        };
        hallmark_core::proof::sign(credential, &options, self.inner.keys.key().secret_key())
            .map_err(|e| e.to_string())
    }
}

/// The current time, whole seconds.
fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(0).unwrap_or(t)
}

/// Hex SHA-256 of an API token: what the database stores.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Why an API token could not be created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// No system randomness for the token or its id.
    #[error("{0}")]
    Randomness(String),
    /// The database.
    #[error(transparent)]
    Store(#[from] hallmark_store::StoreError),
}

/// Creates an API token named `name`; returns it (shown once; only its hash is stored).
///
/// # Errors
/// A database error, or no system randomness.
pub async fn create_token(store: &Store, name: &str) -> Result<String, TokenError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| TokenError::Randomness(format!("no system randomness: {e}")))?;
    let token = format!(
        "hm_{}",
        secret
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let id = uuid_v4().map_err(TokenError::Randomness)?;
    let at = now().unix_timestamp();
    store
        .create_token(
            &TokenRow {
                id: id.clone(),
                name: name.to_owned(),
                hash: token_hash(&token),
                created_at: at,
                revoked_at: None,
            },
            &AuditEntry {
                at,
                actor: "cli".into(),
                action: "token.create".into(),
                subject: id,
                detail: serde_json::json!({"name": name}),
            },
        )
        .await?;
    Ok(token)
}

/// A random UUID.
fn uuid_v4() -> Result<String, String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| format!("no system randomness: {e}"))?;
    Ok(uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string())
}

/// The whole HTTP API (docs/design.md §5): admin under `/api/v1` (bearer tokens), public read-only
/// documents, and the VC API `POST /credentials/issue`. Bodies are limited to the configured
/// size and requests to 10 seconds; every error is problem details.
pub fn router(state: AppState) -> Router {
    let limit = state.inner.config.max_body_bytes;
    let app = Router::new()
        .route("/api/v1/program", get(handlers::program))
        .route(
            "/api/v1/partners",
            get(handlers::partners).post(handlers::create_partner),
        )
        .route("/api/v1/partners/{id}", get(handlers::partner))
        .route("/api/v1/approvals", post(handlers::approve))
        .route("/api/v1/credentials", get(handlers::credentials))
        .route("/api/v1/credentials/{id}", get(handlers::credential_admin))
        .route("/api/v1/credentials/{id}/revoke", post(handlers::revoke))
        .route("/api/v1/credentials/{id}/suspend", post(handlers::suspend))
        .route(
            "/api/v1/credentials/{id}/reinstate",
            post(handlers::reinstate),
        )
        .route(
            "/api/v1/credentials/{id}/status",
            post(handlers::set_message_status),
        )
        .route("/api/v1/audit", get(handlers::audit_log))
        .route("/credentials/issue", post(handlers::vc_issue))
        .route("/credentials/{id}", get(handlers::credential_public))
        .route("/status/{id}", get(handlers::status_list))
        .route("/.well-known/did.json", get(handlers::did_document))
        .route("/healthz", get(handlers::health))
        .fallback(handlers::not_found)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state);
    hallmark_http::layers(app, hallmark_http::REQUEST_TIMEOUT)
}

/// Serves the API on `listener` over http, or https when the configuration names a
/// certificate, until `shutdown` resolves (e.g. [`hallmark_http::shutdown_signal`]); then
/// finishes the requests in flight.
///
/// # Errors
/// [`ServeError`]: the TLS certificate or key, or the listener.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let config = state.config();
    let tls = Tls::from_config(config.tls.as_ref())?;
    let limits = ServeConfig {
        max_connections: config.max_connections,
        max_connections_per_client: config.max_connections_per_client,
        ..ServeConfig::default()
    };
    hallmark_http::serve(listener, router(state), limits, tls, shutdown).await
}
