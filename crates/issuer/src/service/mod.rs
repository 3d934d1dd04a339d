//! The issuer's domain operations, with no HTTP in them: record an approval against the
//! program's requirements and issue its badge, revoke, suspend, reinstate, set a "message"
//! status, the VC API issue, partners, tokens, the issuer's keys (rotate, revoke, list), and
//! the status lists these keep signed; the lifecycle of badges (lapse after `validUntil` and grace, "expiring" reminders, badges
//! due: `expiry`); and the data of the public pages (the directory, the program's pages).
//!
//! [`Issuer`] holds the store, keys, program, configuration and signing pool; its methods are
//! the operations, each returning its own error enum (one variant per failure, with its
//! context). The HTTP handlers ([`crate::router`]), the demo seed and anything else that
//! changes badges (bulk issuance, renewal, a console form, a background job) call these same
//! methods; the errors become problem details in one place, [`crate::problem`].

mod admin;
mod approvals;
mod bulk;
mod checks;
mod commits;
mod deliveries;
mod directory;
mod expiry;
mod idempotency;
mod issuance;
mod kpis;
mod lifecycle;
mod lists;
mod monitoring;
mod pages;
mod partners;
mod records;
mod rotation;
pub(crate) mod slots;
mod specializations;
mod status;
mod text;
mod tokens;
mod vc_api;

use std::path::PathBuf;
use std::sync::Arc;

use hallmark_core::status::StatusPurpose;
use hallmark_http::BlockingPool;
use hallmark_store::{AuditEntry, Store};
use time::OffsetDateTime;

use crate::config::{Config, ConfigError};
use crate::keys::{IssuerKeys, KeysError};
use crate::program::{Program, ProgramError};

pub use admin::{ApprovalQuery, AuditQuery, PartnerQuery, QueryError};
pub use approvals::{
    ApprovalError, ApprovalKind, Approved, NewApproval, Reference, MAX_REFERENCES,
};
pub use bulk::{
    parse_csv, parse_json, BulkError, BulkRow, ParsedRow, RowError, RowOutcome, RowResult,
    CSV_COLUMNS,
};
pub use checks::{CheckError, Checked, Embed, FetchBadgeError, EMBED_TTL};
pub use deliveries::{
    backoff, new_secret, sign, NewWebhook, SecretError, SmtpError, WebhookError, IN_FLIGHT,
    MAX_WEBHOOKS, PER_TARGET,
};
pub use directory::{
    Directory, DirectoryError, DirectoryQuery, MAX_DIRECTORY_PAGE, MAX_QUERY_CHARS,
};
pub use expiry::{
    due, lapses_at, CredentialQuery, Due, LifecycleError, LifecycleRun, REMINDER_DAYS,
};
pub use idempotency::{fingerprint, idempotency_key, ClaimError, KeyError};
pub use issuance::{IssueError, Issued};
pub use kpis::{
    AtRisk, Certified, Ended, KpiError, KpiQuery, Kpis, LevelCount, MetricRollup,
    QuarterScorecards, QuarterSnapshot, Rate, RenewalsDue, Snapshot, SpecializationCount,
    TierAssessments, TierCount, TierTime, TimeToCertification, MAX_QUARTERS,
};
pub use lifecycle::{PublicMessage, ReissueError, MESSAGE_STATUS_SIZE};
pub use lists::{ListError, SignError};
pub use monitoring::{
    check_metrics, metric_range, missed, parse_scorecards, period_bounds, scorecard_json,
    threshold_values, Metrics, Missed, MonitorError, MonitorRun, MonitoringError, NewApplication,
    NewAttempt, NewTraining, RowProblem, ScorecardImportRow, MAX_IMPORT_ROWS, MAX_LIST,
};
pub use pages::{Described, PageError};
pub use partners::{NewPartner, PartnerChange, PartnerError};
pub use records::{LookupError, PageSize};
pub use rotation::{KeyChangeError, KeyInfo, Revoked, Rotated};
pub use slots::DrawError;
pub use status::{MessageStatus, StatusChangeError, StatusValueError};
pub use text::{
    forbidden_char, ApprovedAtError, PartnerUrl, TextError, UrlError, MAX_DESCRIPTION, MAX_NAME,
    MAX_URL,
};
pub use tokens::{
    create_token, list_tokens, new_token, revoke_token, token_hash, AuthError, Caller, TokenError,
    TokenInfo,
};
pub use vc_api::{IssueOptions, RequestedStatusError, VcIssueError};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The program file could not be read.
    #[error("{}: {source}", path.display())]
    ProgramFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The program file was refused.
    #[error("{}: {source}", path.display())]
    Program {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: ProgramError,
    },
    /// The keys.
    #[error(transparent)]
    Keys(#[from] KeysError),
    /// The database.
    #[error(transparent)]
    Store(#[from] hallmark_store::StoreError),
    /// A status list could not be created or re-signed.
    #[error(transparent)]
    List(#[from] ListError),
    /// The fetcher of other issuers' documents (the paste page) could not be made.
    #[error("the fetcher: {0}")]
    Fetcher(#[from] hallmark_fetch::FetchError),
    /// The `[smtp]` settings.
    #[error(transparent)]
    Smtp(#[from] SmtpError),
}

/// No system randomness (for an id, a token or a status index).
#[derive(Debug, thiserror::Error)]
#[error("no system randomness: {0}")]
pub struct RandomnessError(pub getrandom::Error);

/// The issuer service: every domain operation is a method. Cheap to clone (shared).
#[derive(Clone, Debug)]
pub struct Issuer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    program: Program,
    keys: IssuerKeys,
    store: Store,
    draws: slots::IndexDraws,
    /// The current status list of each purpose, as last counted.
    lists: lists::CurrentLists,
    /// The group committer of first certifications.
    committer: commits::Committer,
    /// Where signing runs: off the async threads, bounded, with a deadline.
    pool: BlockingPool,
    /// The verifier of the issuer's own badges (the verify page, the embed image).
    verifier: hallmark_core::Verifier,
    /// The latest bytes of the issuer's documents, for that verifier.
    documents: checks::DocumentMemo,
    /// Rendered embed images, for a few seconds.
    embeds: checks::EmbedCache,
    /// Other issuers' documents, for badges pasted on the paste page (SSRF-guarded).
    fetcher: hallmark_fetch::Fetcher,
    /// Webhook POSTs: SSRF-guarded, no redirects (the delivery worker).
    hooks: hallmark_fetch::Fetcher,
    /// The SMTP relay of e-mail reminders, when `[smtp]` is configured.
    mailer: Option<deliveries::Mailer>,
}

impl Issuer {
    /// Opens the service: reads the program and keys, connects to the database, migrates it
    /// (first moving credentials off "message" status slots they share, re-signed: see
    /// [`hallmark_store::Store::migrate_repairing`]), reads the key registry (filled from the
    /// keys folder when empty: [`IssuerKeys::attach`]) and records which key signed earlier
    /// credentials, re-signs status lists whose URL moved with `base_url`, and makes sure the
    /// current status lists exist.
    ///
    /// # Errors
    /// [`StartError`] naming what could not be loaded.
    pub async fn open(config: Config) -> Result<Self, StartError> {
        let path = config.program.clone();
        let text = std::fs::read_to_string(&path).map_err(|source| StartError::ProgramFile {
            path: path.clone(),
            source,
        })?;
        let program =
            Program::from_toml(&text).map_err(|source| StartError::Program { path, source })?;
        let keys = IssuerKeys::new(&config.keys_dir, config.issuer_id.as_deref())?;
        let store = Store::connect(&config.database_url).await?;
        let pool = BlockingPool::new(config.signing);
        let verifier = checks::own_verifier(keys.issuer());
        let fetcher = hallmark_fetch::Fetcher::new(checks::paste_fetch_policy())?;
        let hooks = hallmark_fetch::Fetcher::new(hallmark_fetch::FetchPolicy {
            timeout: std::time::Duration::from_secs(config.webhooks.timeout_seconds),
            max_bytes: 64 << 10,
            insecure_hosts: config.webhooks.insecure_hosts.clone(),
            ..hallmark_fetch::FetchPolicy::default()
        })?;
        let mailer = deliveries::Mailer::from_config(&config)?;
        let issuer = Self {
            inner: Arc::new(Inner {
                config,
                program,
                keys,
                store,
                draws: slots::IndexDraws::default(),
                lists: lists::CurrentLists::default(),
                committer: commits::Committer::default(),
                pool,
                verifier,
                documents: checks::DocumentMemo::default(),
                embeds: checks::EmbedCache::default(),
                fetcher,
                hooks,
                mailer,
            }),
        };
        let moves = issuer
            .store()
            .migrate_repairing(&slots::Resigner(&issuer), now().unix_timestamp())
            .await?;
        for m in &moves {
            tracing::warn!(
                "credential {} shared index {} of {} with {}: moved to index {} and re-signed; re-send it to its holder",
                m.credential, m.from.index, m.from.list, m.kept, m.to.index
            );
        }
        // From here on the key registry says which key signs (filled from the keys folder
        // the first time).
        issuer
            .keys()
            .attach(issuer.store(), now().unix_timestamp())
            .await?;
        let filled = issuer.store().backfill_signed_by().await?;
        if filled > 0 {
            tracing::info!("recorded which key signed each of {filled} earlier credentials");
        }
        issuer.resign_moved_lists().await?;
        issuer.supersede_coexisting().await?;
        issuer.current_list(StatusPurpose::Revocation, 1).await?;
        if issuer.inner.program.suspension {
            issuer.current_list(StatusPurpose::Suspension, 1).await?;
        }
        issuer
            .current_list(StatusPurpose::Message, MESSAGE_STATUS_SIZE)
            .await?;
        Ok(issuer)
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
}

/// The current time, whole seconds.
pub(crate) fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(0).unwrap_or(t)
}

/// A random UUID.
pub(crate) fn uuid_v4() -> Result<String, RandomnessError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(RandomnessError)?;
    Ok(uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string())
}

/// An audit entry made now.
fn audit(actor: &str, action: &str, subject: &str, detail: serde_json::Value) -> AuditEntry {
    AuditEntry {
        at: now().unix_timestamp(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        subject: subject.to_owned(),
        detail,
    }
}
