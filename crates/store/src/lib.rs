//! Hallmark's persistence: partners, approvals, issued credentials, status lists, API tokens
//! and the audit log, behind one [`Store`], on embedded SQLite (the default, WAL mode) or
//! PostgreSQL, each with its own migrations.
//!
//! Both backends run the same SQL, written with `$1`-style placeholders (rewritten to `?1`
//! for SQLite); times are Unix seconds. Every change that must not be half-done (an issuance
//! with its audit entry, a revocation with its re-signed list) runs in one transaction, and
//! each kind of change is its own SQL statement (no statement padded with unused parameters
//! to serve several).
//!
//! # What goes where
//!
//! - this file: the [`Store`] handle, [`Store::connect`], the migrations
//!   ([`Store::migrate`], [`Store::migrate_repairing`]) and the errors ([`StoreError`] and
//!   what it names: [`Missing`], [`Taken`], [`Table`]);
//! - `partners`: [`Partner`]s (listed in the directory or not) and their [`Approval`]s, and
//!   listing them;
//! - `credentials`: issued credentials ([`CredentialRow`]), issuance, and listing them by
//!   partner, tier and [`CredentialState`];
//! - `status`: status lists ([`StatusListRow`]) and the slots credentials hold in them
//!   ([`StatusSlot`], [`StatusPurpose`]), status changes ([`StatusChange`]), and the repair
//!   of "message" slots shared before migration 0003 ([`SlotRepair`], [`SlotMove`]);
//! - `directory`: the public partner directory ([`DirectoryFilter`], [`DirectoryEntry`]):
//!   listed partners with badges matching a search, three queries a page;
//! - `expiry`: job leases (one process runs a periodic job at a time), "expiring" reminders
//!   (once per credential and threshold), and credentials by `validUntil` ([`Expiring`],
//!   [`ReminderCandidate`]);
//! - `keys`: the issuer's key registry ([`KeyRow`], [`KeyState`]) and which key signed
//!   each credential ([`signer_of`]);
//! - `kpis`: the program's KPIs as aggregate queries ([`KpiWindow`], [`KpiRows`]);
//! - `tokens`: API tokens ([`TokenRow`]);
//! - `idempotency`: idempotency keys of requests ([`Claimed`], [`ClaimMark`], [`with_claim`]),
//!   marked in the transaction of the change they made;
//! - `audit`: the audit log ([`AuditEntry`]);
//! - `page`: keyset pagination shared by the list queries ([`PageRequest`], [`Page`],
//!   [`Cursor`]);
//! - `outbox`: notifications: the outbox written with the audit entries of changes
//!   ([`event_of`]), webhook subscriptions ([`WebhookRow`]), and their deliveries
//!   ([`DeliveryRow`]) fanned out, claimed under a lease and finished;
//! - `redact`: database URLs without their password ([`RedactedUrl`]), for errors and logs.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// Runs `$body` with `$pool` bound to whichever pool the store has; `$sqlite` tells the body
/// which dialect it is in.
macro_rules! with_pool {
    ($store:expr, $pool:ident, $sqlite:ident => $body:expr) => {
        match $store {
            $crate::Store::Sqlite($pool) => {
                let $sqlite = true;
                $body
            }
            $crate::Store::Postgres($pool) => {
                let $sqlite = false;
                $body
            }
        }
    };
}

/// Appends `$entry` (an [`AuditEntry`]) to the audit log inside transaction `$tx`; when its
/// action is one webhooks and e-mails tell about ([`event_of`]), also an outbox row in the
/// same transaction (see `outbox`), so a change and its notification commit together.
macro_rules! audit {
    ($tx:ident, $sqlite:ident, $entry:expr) => {{
        let e: &$crate::AuditEntry = $entry;
        sqlx::query(&$crate::sql(
            $sqlite,
            "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)",
        ))
        .bind(e.at)
        .bind(&e.actor)
        .bind(&e.action)
        .bind(&e.subject)
        .bind(e.detail.to_string())
        .execute(&mut *$tx)
        .await?;
        if let Some(event) = $crate::outbox::event_of(&e.action) {
            sqlx::query(&$crate::sql(
                $sqlite,
                "INSERT INTO outbox (event, credential_id, at, payload, fanned_out) VALUES ($1, $2, $3, $4, FALSE)",
            ))
            .bind(event)
            .bind(&e.subject)
            .bind(e.at)
            .bind($crate::outbox::public_payload(&e.detail).to_string())
            .execute(&mut *$tx)
            .await?;
        }
        // The change of a request that holds an idempotency key marks it in the same
        // transaction (see `idempotency`).
        if let Some(mark) = $crate::idempotency::current_claim() {
            mark_committed!($tx, $sqlite, &mark, &e.subject, None);
        }
    }};
}

/// The most rows one multi-row `INSERT` of [`audit_many!`] holds: 5 binds a row stays under
/// SQLite's limit of 32,766 bound variables (PostgreSQL's is 65,535).
pub(crate) const AUDIT_CHUNK: usize = 1000;

/// Appends `$entries` (a slice of `&AuditEntry`) to the audit log inside transaction `$tx`,
/// as [`audit!`] does one by one, in two statements (the log and the outbox) a chunk of
/// [`AUDIT_CHUNK`] entries, and marks the running request's idempotency key with the first
/// of them.
macro_rules! audit_many {
    ($tx:ident, $sqlite:ident, $entries:expr) => {{
        let entries: &[&$crate::AuditEntry] = $entries;
        for chunk in entries.chunks($crate::AUDIT_CHUNK) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO audit_log (at, actor, action, subject, detail) ",
            );
            q.push_values(chunk, |mut r, e| {
                r.push_bind(e.at)
                    .push_bind(&e.actor)
                    .push_bind(&e.action)
                    .push_bind(&e.subject)
                    .push_bind(e.detail.to_string());
            });
            q.build().execute(&mut *$tx).await?;
            let events: Vec<(&str, &$crate::AuditEntry)> = chunk
                .iter()
                .filter_map(|e| Some(($crate::outbox::event_of(&e.action)?, *e)))
                .collect();
            if !events.is_empty() {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO outbox (event, credential_id, at, payload, fanned_out) ",
                );
                q.push_values(&events, |mut r, (event, e)| {
                    r.push_bind(*event)
                        .push_bind(&e.subject)
                        .push_bind(e.at)
                        .push_bind($crate::outbox::public_payload(&e.detail).to_string())
                        .push_bind(false);
                });
                q.build().execute(&mut *$tx).await?;
            }
        }
        if !entries.is_empty() {
            if let Some(mark) = $crate::idempotency::current_claim() {
                mark_committed!($tx, $sqlite, &mark, &entries[0].subject, None);
            }
        }
    }};
}

/// Binds each of `$args` (a slice of [`page::Arg`]) to query `$query`, in order.
macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for arg in $args {
            q = match arg {
                $crate::page::Arg::Text(v) => q.bind(v.as_str()),
                $crate::page::Arg::Int(v) => q.bind(*v),
            };
        }
        q
    }};
}

/// Reads the rows of one page of a list, one more than `$page` asks for (see
/// [`page::Page::of`]): `$select` (`SELECT … FROM …`) with the conditions `$c` (a `&mut`
/// [`page::Conditions`]), `ORDER BY $order`; each row (`&$row`, of either database) made an
/// item by `$map`, which may use `?`. A `Vec` of the items, or the error returned early.
macro_rules! list_rows {
    ($store:expr, $c:expr, $page:expr, $select:expr, $order:expr, |$row:ident| $map:expr) => {{
        let c: &mut $crate::page::Conditions = $c;
        let text = format!("{}{} ORDER BY {}{}", $select, c.clause(), $order, c.limit($page));
        with_pool!($store, pool, sqlite => {
            let text = $crate::sql(sqlite, &text);
            let rows = bind_all!(sqlx::query(&text), &c.args).fetch_all(pool).await?;
            let mut items = Vec::with_capacity(rows.len());
            for $row in &rows {
                items.push($map);
            }
            items
        })
    }};
}

#[macro_use]
mod idempotency;
mod audit;
#[macro_use]
mod partners;
mod credentials;
mod directory;
mod expiry;
mod keys;
mod kpis;
mod monitoring;
mod outbox;
mod page;
mod redact;
mod status;
mod tokens;

pub use audit::{AuditEntry, AuditFilter};
pub use credentials::{
    BatchIssuance, CredentialFilter, CredentialRow, CredentialState, Expected, ListRewrite,
    Supersession,
};
pub use directory::{DirectoryBadge, DirectoryEntry, DirectoryFilter};
pub use expiry::{Expiring, ReminderCandidate};
pub use idempotency::{
    current_claim, with_claim, ClaimMark, Claimed, NewClaim, StoredResponse,
    MAX_KEY_LEN as MAX_IDEMPOTENCY_KEY_LEN,
};
pub use keys::{signer_of, KeyRow, KeyState};
pub use kpis::{
    Bucket, CertifiedCount, KpiArg, KpiRows, KpiWindow, ScorecardRollup, SCORECARD_COLUMNS,
};
pub use monitoring::{
    ApplicationRow, AttemptRow, Monitored, RiskRow, ScorecardRow, TrainingRow, SCORECARD_METRICS,
};
pub use outbox::{
    event_of, public_payload, DeliveryOutcome, DeliveryRow, DeliveryState, FanOutItem, NewDelivery,
    OutboxEvent, WebhookRow, EVENT_TYPES,
};
pub use page::{Cursor, CursorError, Page, PageRequest, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
pub use partners::{url_key, Approval, ApprovalFilter, Partner, PartnerEdit, PartnerFilter};
pub use redact::RedactedUrl;
pub use status::{
    RepairFailure, SlotMove, SlotRepair, StatusChange, StatusListRow, StatusPurpose, StatusSlot,
    UnknownPurpose,
};
pub use tokens::{Role, TokenRow, UnknownRole};

/// An error from code the store calls back (a status update's signing, a slot repair).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL is neither `sqlite:` nor `postgres:`.
    #[error("database URL {url} is neither sqlite:… nor postgres://…")]
    UnsupportedUrl {
        /// The URL, without its password.
        url: RedactedUrl,
    },
    /// The database could not be opened or reached.
    #[error("cannot connect to the database at {url}: {source}")]
    Connect {
        /// The URL, without its password.
        url: RedactedUrl,
        /// Why (its text never holds the URL's password).
        #[source]
        source: sqlx::Error,
    },
    /// A uniqueness constraint was violated (e.g. a status index already taken).
    #[error("conflict: {taken}")]
    Conflict {
        /// What was already taken.
        taken: Taken,
        /// The database's error.
        #[source]
        source: sqlx::Error,
    },
    /// The row to read or change does not exist.
    #[error("not found: {0}")]
    NotFound(Missing),
    /// The caller's update of a status list (see [`Store::change_status`]) failed; nothing
    /// was written.
    #[error("status of credential {credential} ({purpose} {slot}): {source}")]
    StatusUpdate {
        /// The credential.
        credential: String,
        /// The purpose of the status being changed.
        purpose: StatusPurpose,
        /// Its slot.
        slot: StatusSlot,
        /// The caller's error.
        #[source]
        source: BoxError,
    },
    /// The caller's signing of a status list (see [`Store::resign_status_list`]) failed;
    /// nothing was written.
    #[error("re-signing status list {list}: {source}")]
    ListSigning {
        /// The status list.
        list: String,
        /// The caller's error.
        #[source]
        source: BoxError,
    },
    /// A credential could not be moved off a shared "message" slot
    /// ([`Store::migrate_repairing`]); nothing of that move was written.
    #[error("moving credential {credential} off message {slot}: {reason}")]
    SlotRepair {
        /// The credential being moved.
        credential: String,
        /// The slot it shares.
        slot: StatusSlot,
        /// Why it could not move.
        #[source]
        reason: RepairFailure,
    },
    /// The caller's plan of an outbox event's deliveries ([`Store::fan_out`]) failed; the
    /// batch was not fanned out (it is tried again).
    #[error("fanning out outbox event {outbox}: {source}")]
    FanOut {
        /// The outbox row.
        outbox: i64,
        /// The caller's error.
        #[source]
        source: BoxError,
    },
    /// A partner's badges for a role changed since the caller read them (another approval,
    /// re-issue or revocation came first); nothing was written: read again and decide again.
    #[error("partner {partner}'s badge for the role {role} changed meanwhile (expected {}, found {})", expected.as_deref().unwrap_or("none"), found.as_deref().unwrap_or("none"))]
    Changed {
        /// The partner.
        partner: String,
        /// The role.
        role: String,
        /// The newest badge the caller expected.
        expected: Option<String>,
        /// The newest badge found.
        found: Option<String>,
    },
    /// The request's idempotency key was taken over by another request (its lease ran out
    /// before this change committed); nothing was written.
    #[error("idempotency key {key:?} is held by another request")]
    IdempotencyLost {
        /// The key.
        key: String,
    },
    /// The credential is revoked (revocation is final): its status cannot change.
    #[error("credential {0} is revoked")]
    Revoked(String),
    /// A page's cursor could not be read.
    #[error("invalid cursor: {0}")]
    InvalidCursor(#[from] CursorError),
    /// Migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Credentials share "message" status slots, and moving them needs the issuer's keys
    /// ([`Store::migrate_repairing`]).
    #[error("{0} credential(s) share a \"message\" status slot with an older credential; start the issuer (`hallmark serve`) once: it moves them to free slots, re-signed, before the schema can be brought up to date")]
    SharedStatusSlots(usize),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Conflict {
                taken: Taken::from_database(db.as_ref()),
                source: e,
            },
            _ => Self::Database(e),
        }
    }
}

/// A table of the store: where a row is missing or taken, and which list a [`Cursor`] is
/// for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Table {
    /// Partners.
    Partners,
    /// Approvals.
    Approvals,
    /// Issued credentials.
    Credentials,
    /// Status lists.
    StatusLists,
    /// API tokens.
    Tokens,
    /// The audit log.
    AuditLog,
    /// Deliveries of notifications.
    Deliveries,
    /// Applications (issue 15).
    Applications,
    /// Assessment attempts (issue 15).
    Attempts,
    /// "At risk" flags (issue 15).
    Risks,
}

impl Table {
    /// The SQL table's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Partners => "partners",
            Self::Approvals => "approvals",
            Self::Credentials => "credentials",
            Self::StatusLists => "status_lists",
            Self::Tokens => "tokens",
            Self::AuditLog => "audit_log",
            Self::Deliveries => "deliveries",
            Self::Applications => "applications",
            Self::Attempts => "attempts",
            Self::Risks => "risks",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [
            Self::Partners,
            Self::Approvals,
            Self::Credentials,
            Self::StatusLists,
            Self::Tokens,
            Self::AuditLog,
            Self::Deliveries,
            Self::Applications,
            Self::Attempts,
            Self::Risks,
        ]
        .into_iter()
        .find(|t| t.as_str() == name)
    }
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a uniqueness conflict was about ([`StoreError::Conflict`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Taken {
    /// The status slot of this purpose holds another credential: draw another index.
    StatusSlot(StatusPurpose),
    /// A row with the same id exists in the table.
    Id(Table),
    /// The approval already has a credential.
    ApprovalCredential,
    /// A token with the same hash exists.
    TokenHash,
    /// Another partner has the same URL (`partners.url_key`).
    PartnerUrl,
    /// Another constraint, as the database names it.
    Other(String),
}

impl Taken {
    /// Reads which constraint a unique violation broke: PostgreSQL names the constraint
    /// (`credentials_message_slot`, `partners_pkey`), SQLite the columns (`UNIQUE
    /// constraint failed: credentials.message_list, credentials.message_index`).
    fn from_database(db: &dyn sqlx::error::DatabaseError) -> Self {
        let text = match db.constraint() {
            Some(name) => name.to_owned(),
            None => db
                .message()
                .split_once("failed: ")
                .map_or(db.message(), |(_, columns)| columns)
                .to_owned(),
        };
        if text.contains("revocation_index") || text.contains("revocation_list") {
            Self::StatusSlot(StatusPurpose::Revocation)
        } else if text.contains("suspension_index") || text.contains("suspension_list") {
            Self::StatusSlot(StatusPurpose::Suspension)
        } else if text.contains("message_slot") || text.contains("message_index") {
            Self::StatusSlot(StatusPurpose::Message)
        } else if text.contains("approval_id") {
            Self::ApprovalCredential
        } else if text.contains("url_key") {
            Self::PartnerUrl
        } else if text.contains("tokens_hash") || text == "tokens.hash" {
            Self::TokenHash
        } else if let Some(table) = text
            .strip_suffix("_pkey")
            .or_else(|| text.strip_suffix(".id"))
            .and_then(Table::from_name)
        {
            Self::Id(table)
        } else {
            Self::Other(text)
        }
    }
}

impl std::fmt::Display for Taken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::StatusSlot(purpose) => write!(f, "the {purpose} status slot is taken"),
            Self::Id(table) => write!(f, "a row of {table} with this id exists"),
            Self::ApprovalCredential => f.write_str("the approval already has a credential"),
            Self::TokenHash => f.write_str("a token with this hash exists"),
            Self::PartnerUrl => f.write_str("another partner has this URL"),
            Self::Other(constraint) => write!(f, "{constraint} is taken"),
        }
    }
}

/// What was not found ([`StoreError::NotFound`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Missing {
    /// No credential with this id.
    Credential(String),
    /// No status list with this id.
    StatusList(String),
    /// No issuer key is current (the key registry is empty).
    CurrentKey,
    /// The credential exists but has no status of this purpose at this slot.
    CredentialSlot {
        /// The credential.
        credential: String,
        /// The purpose.
        purpose: StatusPurpose,
        /// The slot asked for.
        slot: StatusSlot,
    },
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Credential(id) => write!(f, "credential {id}"),
            Self::StatusList(id) => write!(f, "status list {id}"),
            Self::CurrentKey => f.write_str("a current issuer key"),
            Self::CredentialSlot {
                credential,
                purpose,
                slot,
            } => write!(f, "credential {credential} with {purpose} {slot}"),
        }
    }
}

/// The migration that makes (message_list, message_index) unique; duplicates are moved
/// before it runs.
const UNIQUE_MESSAGE_SLOT: i64 = 3;

/// A fixed list of migrations: a prefix of the embedded ones.
#[derive(Debug)]
struct Migrations(Vec<sqlx::migrate::Migration>);

impl sqlx::migrate::MigrationSource<'static> for Migrations {
    fn resolve(
        self,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<
                    Output = Result<Vec<sqlx::migrate::Migration>, sqlx::error::BoxDynError>,
                > + Send,
        >,
    > {
        Box::pin(async move { Ok(self.0) })
    }
}

/// The database: SQLite or PostgreSQL. Its `Debug` output shows the pool's state, never the
/// URL it was opened with.
#[derive(Debug, Clone)]
pub enum Store {
    /// Embedded SQLite.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

/// The statement for the dialect: `$n` placeholders become `?n` on SQLite, and a trailing
/// ` FOR UPDATE` is dropped there (SQLite locks the whole database on write).
fn sql(sqlite: bool, text: &str) -> String {
    if sqlite {
        text.replace('$', "?").replace(" FOR UPDATE", "")
    } else {
        text.to_owned()
    }
}

impl Store {
    /// Connects: `sqlite://PATH` (created if missing, WAL journal, foreign keys on) or
    /// `postgres://…`. No error names the URL's password.
    ///
    /// # Errors
    /// [`StoreError::UnsupportedUrl`], or [`StoreError::Connect`].
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let connect_error = |source: sqlx::Error| StoreError::Connect {
            url: RedactedUrl::new(url),
            source: redact::scrub(url, source),
        };
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(connect_error)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // A commit is durable when it returns: the WAL is synced at every commit
                // (NORMAL would sync only at checkpoints, losing the last commits on power
                // loss).
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await
                .map_err(connect_error)?;
            Ok(Self::Sqlite(pool))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await
                .map_err(connect_error)?;
            Ok(Self::Postgres(pool))
        } else {
            Err(StoreError::UnsupportedUrl {
                url: RedactedUrl::new(url),
            })
        }
    }

    /// Brings the schema up to date, for tools without the issuer's keys (`hallmark token
    /// create`). A database whose credentials share "message" status slots (possible before
    /// migration 0003) is left before that migration and refused: only the issuer can move
    /// them ([`Store::migrate_repairing`]).
    ///
    /// # Errors
    /// [`StoreError::SharedStatusSlots`], or [`StoreError::Migrate`].
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.run_migrations(Some(UNIQUE_MESSAGE_SLOT)).await?;
        let shared = self.shared_slots().await?;
        let moving = shared.len() - status::distinct_slots(&shared);
        if moving > 0 {
            return Err(StoreError::SharedStatusSlots(moving));
        }
        self.run_migrations(None).await
    }

    /// Brings the schema up to date, first moving credentials off "message" status slots
    /// they share (which nothing prevented before migration 0003): of each shared slot the
    /// oldest credential (by `issued_at`, then id) keeps it, and each other one moves to a
    /// free random index of the same list. Each move is one transaction: the credential's
    /// document re-signed with its new index, the list with the kept credential's value at
    /// the old index and the moved one's at the new index, re-signed, and a
    /// `credential.status.move` audit entry (actor `system`). Copies of a moved credential
    /// handed out before still name the old index: the audit entry says which to re-send.
    ///
    /// # Errors
    /// [`StoreError::SlotRepair`] when `repair` fails or a list has no free index, or a
    /// database or migration error.
    pub async fn migrate_repairing(
        &self,
        repair: &dyn SlotRepair,
        now: i64,
    ) -> Result<Vec<SlotMove>, StoreError> {
        self.run_migrations(Some(UNIQUE_MESSAGE_SLOT)).await?;
        let shared = self.shared_slots().await?;
        let mut moves = Vec::new();
        let mut previous: Option<&StatusSlot> = None;
        for c in &shared {
            // The first of each slot (ordered oldest first) keeps it.
            if previous != Some(&c.slot) {
                previous = Some(&c.slot);
                continue;
            }
            if let Some(m) = self.move_off_shared_slot(c, repair, now).await? {
                moves.push(m);
            }
        }
        self.run_migrations(None).await?;
        Ok(moves)
    }

    /// Runs the embedded migrations, all of them or only those before version `before`.
    async fn run_migrations(&self, before: Option<i64>) -> Result<(), StoreError> {
        let all = match self {
            Self::Sqlite(_) => sqlx::migrate!("./migrations/sqlite"),
            Self::Postgres(_) => sqlx::migrate!("./migrations/postgres"),
        };
        let prefix;
        let migrator = match before {
            None => &all,
            Some(version) => {
                let wanted = all
                    .iter()
                    .filter(|m| m.version < version)
                    .cloned()
                    .collect();
                prefix = {
                    let mut m = sqlx::migrate::Migrator::new(Migrations(wanted)).await?;
                    // Later migrations may be applied already: that is not an error here.
                    m.set_ignore_missing(true);
                    m
                };
                &prefix
            }
        };
        match self {
            Self::Sqlite(pool) => migrator.run(pool).await?,
            Self::Postgres(pool) => migrator.run(pool).await?,
        }
        Ok(())
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// Closes the pool.
    pub async fn close(&self) {
        with_pool!(self, pool, _sqlite => pool.close().await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_per_dialect() {
        assert_eq!(
            sql(true, "SELECT a FROM t WHERE x = $1 AND y = $2 FOR UPDATE"),
            "SELECT a FROM t WHERE x = ?1 AND y = ?2"
        );
        assert_eq!(
            sql(false, "SELECT a FROM t WHERE x = $1 FOR UPDATE"),
            "SELECT a FROM t WHERE x = $1 FOR UPDATE"
        );
    }
}
