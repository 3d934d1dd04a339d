//! Hallmark's persistence: partners, approvals, issued credentials, status lists, API tokens
//! and the audit log, behind one [`Store`], on embedded SQLite (the default, WAL mode) or
//! PostgreSQL, each with its own migrations.
//!
//! Both backends run the same SQL, written with `$1`-style placeholders (rewritten to `?1`
//! for SQLite); times are Unix seconds. Every change that must not be half-done (an issuance
//! with its audit entry, a revocation with its re-signed list) runs in one transaction.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::Row;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL is neither `sqlite:` nor `postgres:`.
    #[error("database URL {0:?} is neither sqlite:… nor postgres://…")]
    UnsupportedUrl(String),
    /// A uniqueness constraint was violated (e.g. a status index already taken).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The row to change does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A change refused by the caller's closure (e.g. the bit could not be set).
    #[error("{0}")]
    Refused(String),
    /// Migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Credentials share "message" status slots, and moving them needs the issuer's keys
    /// ([`Store::migrate_repairing`]).
    #[error("{0} credential(s) share a \"message\" status slot with an older credential; start the issuer (`hallmark serve`) once: it moves them to free slots, re-signed, before the schema can be brought up to date")]
    SharedStatusSlots(usize),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Self::Conflict(db.message().to_owned())
            }
            _ => Self::Database(e),
        }
    }
}

/// A partner organisation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Partner {
    /// UUID.
    pub id: String,
    /// Display name, stored as given (text, never markup).
    pub name: String,
    /// Its URL or DID: the badge's credentialSubject.id.
    pub url: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// An approval: the program's decision with its assessment record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Approval {
    /// UUID.
    pub id: String,
    /// The partner.
    pub partner_id: String,
    /// Tier slug.
    pub tier: String,
    /// Role.
    pub role: String,
    /// The assessment record (competencies, scores, references, approver) as JSON.
    pub record: serde_json::Value,
    /// When it was approved, Unix seconds.
    pub approved_at: i64,
    /// When it was recorded, Unix seconds.
    pub created_at: i64,
}

/// An issued credential and its status.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CredentialRow {
    /// UUID (the credential id is `{base}/credentials/{id}`).
    pub id: String,
    /// The approval it was issued for (none for VC API issuance).
    pub approval_id: Option<String>,
    /// The partner.
    pub partner_id: Option<String>,
    /// Tier slug.
    pub tier: Option<String>,
    /// Role.
    pub role: Option<String>,
    /// Revocation list id and index.
    pub revocation: Option<(String, i64)>,
    /// Suspension list id and index.
    pub suspension: Option<(String, i64)>,
    /// The signed credential, JSON text.
    pub document: String,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds.
    pub valid_until: Option<i64>,
    /// When revoked, Unix seconds.
    pub revoked_at: Option<i64>,
    /// Why (private: never published).
    pub revocation_reason: Option<String>,
    /// Suspended now.
    pub suspended: bool,
    /// "message" list id and index (Bitstring Status List `statusPurpose` "message").
    pub message: Option<(String, i64)>,
    /// The current "message" status value.
    pub message_status: i64,
}

/// A status list: its bits and its signed credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListRow {
    /// Id (the URL is `{base}/status/{id}`).
    pub id: String,
    /// `revocation`, `suspension` or `message`.
    pub purpose: String,
    /// Number of entries.
    pub entries: i64,
    /// Bits per entry (`statusSize`).
    pub status_size: i64,
    /// The raw bitstring.
    pub bits: Vec<u8>,
    /// The signed status list credential, JSON text.
    pub document: String,
    /// Unix seconds.
    pub updated_at: i64,
}

/// An API token, by its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    /// Id.
    pub id: String,
    /// A label.
    pub name: String,
    /// Hex SHA-256 of the token.
    pub hash: String,
    /// Unix seconds.
    pub created_at: i64,
    /// When revoked.
    pub revoked_at: Option<i64>,
}

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    /// Unix seconds.
    pub at: i64,
    /// Who (a token's name, or `system`).
    pub actor: String,
    /// What (`partner.create`, `credential.issue`, `credential.revoke`, …).
    pub action: String,
    /// On what (an id).
    pub subject: String,
    /// Details, JSON.
    pub detail: serde_json::Value,
}

/// A change to a credential's status, applied with its list in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusChange {
    /// Revoked with a private reason.
    Revoke {
        /// Why.
        reason: String,
    },
    /// Suspended.
    Suspend,
    /// Reinstated after a suspension.
    Reinstate,
    /// A new "message" status value.
    Message {
        /// The value (at most `statusSize` bits).
        status: i64,
    },
}

/// What the store needs from the issuer to move a credential off a "message" status slot it
/// shares with an older credential (see [`Store::migrate_repairing`]): the moved credential
/// names its index inside its signed document, and the list's bits are signed too.
pub trait SlotRepair: Send + Sync {
    /// A random index below `entries` (the store retries while the index is taken).
    ///
    /// # Errors
    /// No randomness.
    fn draw_index(&self, entries: i64) -> Result<i64, String>;

    /// The credential `document` (JSON text) with its "message" entry on list `list` moved
    /// from index `from` to `to`, signed again.
    ///
    /// # Errors
    /// The entry is not found, or signing failed.
    fn move_credential(
        &self,
        document: &str,
        list: &str,
        from: i64,
        to: i64,
    ) -> Result<String, String>;

    /// `list`'s bits with each `(index, value)` written, and the list credential signed
    /// again for them (JSON text).
    ///
    /// # Errors
    /// A value does not fit, or signing failed.
    fn rewrite_list(
        &self,
        list: &StatusListRow,
        values: &[(i64, i64)],
    ) -> Result<(Vec<u8>, String), String>;
}

/// One credential moved off a shared "message" status slot.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SlotMove {
    /// The moved credential (the newer one).
    pub credential: String,
    /// The credential that kept the slot (the oldest of those sharing it).
    pub kept: String,
    /// The status list.
    pub list: String,
    /// The shared index.
    pub from: i64,
    /// The new, free index.
    pub to: i64,
    /// The moved credential's message value, now written at `to`.
    pub status: i64,
}

/// The migration that makes (message_list, message_index) unique; duplicates are moved
/// before it runs.
const UNIQUE_MESSAGE_SLOT: i64 = 3;

/// How many free indexes to draw before giving up on a list (lists are kept at most half
/// full, so each draw succeeds with probability ≥ 1/2).
const MAX_DRAWS: usize = 64;

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

/// A credential on a shared slot, as the repair reads it.
struct SharedSlot {
    id: String,
    list: String,
    index: i64,
}

/// The database: SQLite or PostgreSQL.
#[derive(Debug, Clone)]
pub enum Store {
    /// Embedded SQLite.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to whichever pool the store has; `$sqlite` tells the body
/// which dialect it is in.
macro_rules! with_pool {
    ($store:expr, $pool:ident, $sqlite:ident => $body:expr) => {
        match $store {
            Store::Sqlite($pool) => {
                let $sqlite = true;
                $body
            }
            Store::Postgres($pool) => {
                let $sqlite = false;
                $body
            }
        }
    };
}

/// Appends `$entry` to the audit log inside transaction `$tx`.
macro_rules! audit {
    ($tx:ident, $sqlite:ident, $entry:expr) => {{
        let e: &AuditEntry = $entry;
        sqlx::query(&sql($sqlite, "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)"))
            .bind(e.at)
            .bind(&e.actor)
            .bind(&e.action)
            .bind(&e.subject)
            .bind(e.detail.to_string())
            .execute(&mut *$tx)
            .await?;
    }};
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

const CREDENTIAL_COLUMNS: &str = "id, approval_id, partner_id, tier, role, revocation_list, revocation_index, suspension_list, suspension_index, document, issued_at, valid_until, revoked_at, revocation_reason, suspended, message_list, message_index, message_status";

fn credential_from_row<R: Row>(row: &R) -> Result<CredentialRow, sqlx::Error>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> bool: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let pair = |list: Option<String>, index: Option<i64>| list.zip(index);
    Ok(CredentialRow {
        id: row.try_get("id")?,
        approval_id: row.try_get("approval_id")?,
        partner_id: row.try_get("partner_id")?,
        tier: row.try_get("tier")?,
        role: row.try_get("role")?,
        revocation: pair(
            row.try_get("revocation_list")?,
            row.try_get("revocation_index")?,
        ),
        suspension: pair(
            row.try_get("suspension_list")?,
            row.try_get("suspension_index")?,
        ),
        document: row.try_get("document")?,
        issued_at: row.try_get("issued_at")?,
        valid_until: row.try_get("valid_until")?,
        revoked_at: row.try_get("revoked_at")?,
        revocation_reason: row.try_get("revocation_reason")?,
        suspended: row.try_get("suspended")?,
        message: pair(row.try_get("message_list")?, row.try_get("message_index")?),
        message_status: row.try_get("message_status")?,
    })
}

impl Store {
    /// Connects: `sqlite://PATH` (created if missing, WAL journal, foreign keys on) or
    /// `postgres://…`.
    ///
    /// # Errors
    /// [`StoreError::UnsupportedUrl`], or the connection error.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await?;
            Ok(Self::Sqlite(pool))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            Ok(Self::Postgres(pool))
        } else {
            Err(StoreError::UnsupportedUrl(url.to_owned()))
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
        let moving = shared.len() - distinct_slots(&shared);
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
    /// [`StoreError::Refused`] when `repair` fails or a list has no free index, or a
    /// database or migration error.
    pub async fn migrate_repairing(
        &self,
        repair: &dyn SlotRepair,
        now: i64,
    ) -> Result<Vec<SlotMove>, StoreError> {
        self.run_migrations(Some(UNIQUE_MESSAGE_SLOT)).await?;
        let shared = self.shared_slots().await?;
        let mut moves = Vec::new();
        let mut previous: Option<(&str, i64)> = None;
        for c in &shared {
            let slot = (c.list.as_str(), c.index);
            // The first of each slot (ordered oldest first) keeps it.
            if previous != Some(slot) {
                previous = Some(slot);
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

    /// Every credential on a "message" slot shared with another, by slot, oldest first.
    async fn shared_slots(&self) -> Result<Vec<SharedSlot>, StoreError> {
        with_pool!(self, pool, _sqlite => {
            let rows = sqlx::query(
                "SELECT c.id, c.message_list, c.message_index FROM credentials c \
                 WHERE c.message_list IS NOT NULL AND EXISTS (SELECT 1 FROM credentials d \
                 WHERE d.message_list = c.message_list AND d.message_index = c.message_index AND d.id <> c.id) \
                 ORDER BY c.message_list, c.message_index, c.issued_at, c.id",
            )
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(SharedSlot {
                    id: r.try_get("id")?,
                    list: r.try_get("message_list")?,
                    index: r.try_get("message_index")?,
                });
            }
            Ok(out)
        })
    }

    /// Moves `moving` off its slot unless it is, by now, alone there or the oldest on it
    /// (another process may have repaired it meanwhile).
    async fn move_off_shared_slot(
        &self,
        moving: &SharedSlot,
        repair: &dyn SlotRepair,
        now: i64,
    ) -> Result<Option<SlotMove>, StoreError> {
        let refused = |what: String| {
            StoreError::Refused(format!(
                "moving credential {} off {} index {}: {what}",
                moving.id, moving.list, moving.index
            ))
        };
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            if sqlite {
                // Take SQLite's write lock now, so the reads below cannot go stale.
                sqlx::query("UPDATE status_lists SET updated_at = updated_at WHERE id = ?1").bind(&moving.list).execute(&mut *tx).await?;
            }
            let r = sqlx::query(&sql(sqlite, "SELECT id, purpose, entries, status_size, bits, document, updated_at FROM status_lists WHERE id = $1 FOR UPDATE"))
                .bind(&moving.list).fetch_optional(&mut *tx).await?
                .ok_or_else(|| refused("the status list does not exist".into()))?;
            let list = StatusListRow {
                id: r.try_get("id")?, purpose: r.try_get("purpose")?, entries: r.try_get("entries")?, status_size: r.try_get("status_size")?,
                bits: r.try_get("bits")?, document: r.try_get("document")?, updated_at: r.try_get("updated_at")?,
            };
            let rows = sqlx::query(&sql(sqlite, "SELECT id, message_status, document FROM credentials WHERE message_list = $1 AND message_index = $2 ORDER BY issued_at, id"))
                .bind(&moving.list).bind(moving.index).fetch_all(&mut *tx).await?;
            let Some(kept) = rows.first() else { return Ok(None) };
            let kept_id: String = kept.try_get("id")?;
            let kept_status: i64 = kept.try_get("message_status")?;
            let Some(row) = rows.iter().skip(1).find(|r| r.try_get::<String, _>("id").is_ok_and(|id| id == moving.id)) else {
                return Ok(None);
            };
            let status: i64 = row.try_get("message_status")?;
            let document: String = row.try_get("document")?;
            let mut to = None;
            for _ in 0..MAX_DRAWS {
                let index = repair.draw_index(list.entries).map_err(&refused)?;
                if !(0..list.entries).contains(&index) || index == moving.index {
                    continue;
                }
                let taken = sqlx::query(&sql(sqlite, "SELECT 1 AS taken FROM credentials WHERE message_list = $1 AND message_index = $2"))
                    .bind(&moving.list).bind(index).fetch_optional(&mut *tx).await?;
                if taken.is_none() {
                    to = Some(index);
                    break;
                }
            }
            let to = to.ok_or_else(|| refused(format!("no free index found in {MAX_DRAWS} draws")))?;
            let document = repair.move_credential(&document, &moving.list, moving.index, to).map_err(&refused)?;
            let (bits, list_document) = repair.rewrite_list(&list, &[(moving.index, kept_status), (to, status)]).map_err(&refused)?;
            sqlx::query(&sql(sqlite, "UPDATE credentials SET message_index = $1, document = $2 WHERE id = $3"))
                .bind(to).bind(&document).bind(&moving.id).execute(&mut *tx).await?;
            sqlx::query(&sql(sqlite, "UPDATE status_lists SET bits = $1, document = $2, updated_at = $3 WHERE id = $4"))
                .bind(&bits).bind(&list_document).bind(now).bind(&moving.list).execute(&mut *tx).await?;
            let m = SlotMove { credential: moving.id.clone(), kept: kept_id, list: moving.list.clone(), from: moving.index, to, status };
            let entry = AuditEntry {
                at: now,
                actor: "system".into(),
                action: "credential.status.move".into(),
                subject: m.credential.clone(),
                detail: serde_json::json!({
                    "list": m.list, "from": m.from, "to": m.to, "status": m.status, "kept": m.kept,
                    "why": "shared a message status slot with an older credential (before migration 0003); re-signed with the new index: copies handed out before still read the old one, re-send the credential",
                }),
            };
            audit!(tx, sqlite, &entry);
            tx.commit().await?;
            Ok(Some(m))
        })
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

    /// Records a new partner, with its audit entry.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] for a duplicate id.
    pub async fn create_partner(
        &self,
        partner: &Partner,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            sqlx::query(&sql(sqlite, "INSERT INTO partners (id, name, url, created_at) VALUES ($1, $2, $3, $4)"))
                .bind(&partner.id).bind(&partner.name).bind(&partner.url).bind(partner.created_at)
                .execute(&mut *tx).await?;
            audit!(tx, sqlite, audit);
            tx.commit().await?;
            Ok(())
        })
    }

    /// A partner by id.
    ///
    /// # Errors
    /// A database error.
    pub async fn partner(&self, id: &str) -> Result<Option<Partner>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let row = sqlx::query(&sql(sqlite, "SELECT id, name, url, created_at FROM partners WHERE id = $1"))
                .bind(id).fetch_optional(pool).await?;
            Ok(match row {
                None => None,
                Some(r) => Some(Partner { id: r.try_get("id")?, name: r.try_get("name")?, url: r.try_get("url")?, created_at: r.try_get("created_at")? }),
            })
        })
    }

    /// All partners, by name.
    ///
    /// # Errors
    /// A database error.
    pub async fn partners(&self) -> Result<Vec<Partner>, StoreError> {
        with_pool!(self, pool, _sqlite => {
            let rows = sqlx::query("SELECT id, name, url, created_at FROM partners ORDER BY name, id").fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(Partner { id: r.try_get("id")?, name: r.try_get("name")?, url: r.try_get("url")?, created_at: r.try_get("created_at")? });
            }
            Ok(out)
        })
    }

    /// Records an issuance in one transaction: the approval (if any), the credential, and the
    /// audit entry. A status index already taken is [`StoreError::Conflict`]: pick another
    /// and sign again.
    ///
    /// # Errors
    /// [`StoreError::Conflict`], or a database error.
    pub async fn record_issuance(
        &self,
        approval: Option<&Approval>,
        credential: &CredentialRow,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            if let Some(a) = approval {
                sqlx::query(&sql(sqlite, "INSERT INTO approvals (id, partner_id, tier, role, record, approved_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"))
                    .bind(&a.id).bind(&a.partner_id).bind(&a.tier).bind(&a.role).bind(a.record.to_string()).bind(a.approved_at).bind(a.created_at)
                    .execute(&mut *tx).await?;
            }
            let c = credential;
            sqlx::query(&sql(sqlite, &format!("INSERT INTO credentials ({CREDENTIAL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)")))
                .bind(&c.id).bind(&c.approval_id).bind(&c.partner_id).bind(&c.tier).bind(&c.role)
                .bind(c.revocation.as_ref().map(|r| r.0.clone())).bind(c.revocation.as_ref().map(|r| r.1))
                .bind(c.suspension.as_ref().map(|r| r.0.clone())).bind(c.suspension.as_ref().map(|r| r.1))
                .bind(&c.document).bind(c.issued_at).bind(c.valid_until).bind(c.revoked_at).bind(&c.revocation_reason).bind(c.suspended)
                .bind(c.message.as_ref().map(|r| r.0.clone())).bind(c.message.as_ref().map(|r| r.1)).bind(c.message_status)
                .execute(&mut *tx).await?;
            audit!(tx, sqlite, audit);
            tx.commit().await?;
            Ok(())
        })
    }

    /// A credential by id.
    ///
    /// # Errors
    /// A database error.
    pub async fn credential(&self, id: &str) -> Result<Option<CredentialRow>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let row = sqlx::query(&sql(sqlite, &format!("SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE id = $1")))
                .bind(id).fetch_optional(pool).await?;
            Ok(row.as_ref().map(credential_from_row).transpose()?)
        })
    }

    /// Credentials issued for approvals, newest first, at most `limit`.
    ///
    /// # Errors
    /// A database error.
    pub async fn credentials(&self, limit: i64) -> Result<Vec<CredentialRow>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let rows = sqlx::query(&sql(sqlite, &format!("SELECT {CREDENTIAL_COLUMNS} FROM credentials ORDER BY issued_at DESC, id LIMIT $1")))
                .bind(limit).fetch_all(pool).await?;
            Ok(rows.iter().map(credential_from_row).collect::<Result<_, _>>()?)
        })
    }

    /// How many credentials use a status list.
    ///
    /// # Errors
    /// A database error.
    pub async fn entries_used(&self, list: &str) -> Result<i64, StoreError> {
        with_pool!(self, pool, sqlite => {
            let row = sqlx::query(&sql(sqlite, "SELECT COUNT(*) AS n FROM credentials WHERE revocation_list = $1 OR suspension_list = $1 OR message_list = $1"))
                .bind(list).fetch_one(pool).await?;
            Ok(row.try_get::<i64, _>("n")?)
        })
    }

    /// Creates a status list unless one with its id exists.
    ///
    /// # Errors
    /// A database error.
    pub async fn ensure_status_list(&self, list: &StatusListRow) -> Result<(), StoreError> {
        with_pool!(self, pool, sqlite => {
            sqlx::query(&sql(sqlite, "INSERT INTO status_lists (id, purpose, entries, status_size, bits, document, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING"))
                .bind(&list.id).bind(&list.purpose).bind(list.entries).bind(list.status_size).bind(&list.bits).bind(&list.document).bind(list.updated_at)
                .execute(pool).await?;
            Ok(())
        })
    }

    /// A status list by id.
    ///
    /// # Errors
    /// A database error.
    pub async fn status_list(&self, id: &str) -> Result<Option<StatusListRow>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let row = sqlx::query(&sql(sqlite, "SELECT id, purpose, entries, status_size, bits, document, updated_at FROM status_lists WHERE id = $1"))
                .bind(id).fetch_optional(pool).await?;
            Ok(match row {
                None => None,
                Some(r) => Some(StatusListRow {
                    id: r.try_get("id")?, purpose: r.try_get("purpose")?, entries: r.try_get("entries")?, status_size: r.try_get("status_size")?,
                    bits: r.try_get("bits")?, document: r.try_get("document")?, updated_at: r.try_get("updated_at")?,
                }),
            })
        })
    }

    /// Changes a credential's status and its list in one transaction: the list row is locked,
    /// `update` gets its current bits and returns the new bits and re-signed document, then
    /// the credential, the list and the audit log are written.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown list, [`StoreError::Refused`] when `update`
    /// refuses, or a database error.
    pub async fn change_status(
        &self,
        credential_id: &str,
        list_id: &str,
        change: &StatusChange,
        now: i64,
        update: impl FnOnce(Vec<u8>) -> Result<(Vec<u8>, String), String>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            if sqlite {
                // Take SQLite's write lock now, so the read below cannot go stale.
                sqlx::query("UPDATE status_lists SET updated_at = updated_at WHERE id = ?1").bind(list_id).execute(&mut *tx).await?;
            }
            let row = sqlx::query(&sql(sqlite, "SELECT bits FROM status_lists WHERE id = $1 FOR UPDATE"))
                .bind(list_id).fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound(format!("status list {list_id}")))?;
            let bits: Vec<u8> = row.try_get("bits")?;
            let (bits, document) = update(bits).map_err(StoreError::Refused)?;
            sqlx::query(&sql(sqlite, "UPDATE status_lists SET bits = $1, document = $2, updated_at = $3 WHERE id = $4"))
                .bind(&bits).bind(&document).bind(now).bind(list_id).execute(&mut *tx).await?;
            let statement = match change {
                StatusChange::Revoke { .. } => "UPDATE credentials SET revoked_at = $1, revocation_reason = $2 WHERE id = $3 AND $4 = $4",
                StatusChange::Suspend => "UPDATE credentials SET suspended = TRUE, revocation_reason = COALESCE(revocation_reason, $2) WHERE id = $3 AND $1 = $1 AND $4 = $4",
                StatusChange::Reinstate => "UPDATE credentials SET suspended = FALSE WHERE id = $3 AND $1 = $1 AND ($2 IS NULL OR $2 IS NOT NULL) AND $4 = $4",
                StatusChange::Message { .. } => "UPDATE credentials SET message_status = $4 WHERE id = $3 AND $1 = $1 AND ($2 IS NULL OR $2 IS NOT NULL)",
            };
            let message_status = match change {
                StatusChange::Message { status } => *status,
                _ => 0,
            };
            let reason = match change {
                StatusChange::Revoke { reason } => Some(reason.clone()),
                _ => None,
            };
            let updated = sqlx::query(&sql(sqlite, statement)).bind(now).bind(reason).bind(credential_id).bind(message_status).execute(&mut *tx).await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::NotFound(format!("credential {credential_id}")));
            }
            audit!(tx, sqlite, audit);
            tx.commit().await?;
            Ok(())
        })
    }

    /// Replaces a status list's signed document (e.g. re-signed with a new key or before its
    /// validity ends).
    ///
    /// # Errors
    /// A database error.
    pub async fn update_status_document(
        &self,
        list_id: &str,
        document: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool, sqlite => {
            sqlx::query(&sql(sqlite, "UPDATE status_lists SET document = $1, updated_at = $2 WHERE id = $3"))
                .bind(document).bind(now).bind(list_id).execute(pool).await?;
            Ok(())
        })
    }

    /// The ids of every status list, in order.
    ///
    /// # Errors
    /// A database error.
    pub async fn status_list_ids(&self) -> Result<Vec<String>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let rows = sqlx::query(&sql(sqlite, "SELECT id FROM status_lists ORDER BY id"))
                .fetch_all(pool).await?;
            rows.iter().map(|r| Ok(r.try_get::<String, _>("id")?)).collect()
        })
    }

    /// Re-signs a status list as it stands, in one transaction: the row is locked, `sign`
    /// gets its current row (bits included) and returns the new document, or `None` to leave
    /// it as it is; the bits are not changed. Used when what the document names changed (the
    /// issuer's `base_url`), so a concurrent status change is neither lost nor undone.
    /// Returns whether the document was replaced.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown list, [`StoreError::Refused`] when `sign`
    /// fails, or a database error.
    pub async fn resign_status_list(
        &self,
        list_id: &str,
        now: i64,
        sign: impl FnOnce(&StatusListRow) -> Result<Option<String>, String>,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            if sqlite {
                // Take SQLite's write lock now, so the read below cannot go stale.
                sqlx::query("UPDATE status_lists SET updated_at = updated_at WHERE id = ?1").bind(list_id).execute(&mut *tx).await?;
            }
            let r = sqlx::query(&sql(sqlite, "SELECT id, purpose, entries, status_size, bits, document, updated_at FROM status_lists WHERE id = $1 FOR UPDATE"))
                .bind(list_id).fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound(format!("status list {list_id}")))?;
            let row = StatusListRow {
                id: r.try_get("id")?, purpose: r.try_get("purpose")?, entries: r.try_get("entries")?, status_size: r.try_get("status_size")?,
                bits: r.try_get("bits")?, document: r.try_get("document")?, updated_at: r.try_get("updated_at")?,
            };
            let Some(document) = sign(&row).map_err(StoreError::Refused)? else {
                return Ok(false);
            };
            sqlx::query(&sql(sqlite, "UPDATE status_lists SET document = $1, updated_at = $2 WHERE id = $3"))
                .bind(&document).bind(now).bind(list_id).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Stores a new API token's hash.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] for a duplicate.
    pub async fn create_token(
        &self,
        token: &TokenRow,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            sqlx::query(&sql(sqlite, "INSERT INTO tokens (id, name, hash, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5)"))
                .bind(&token.id).bind(&token.name).bind(&token.hash).bind(token.created_at).bind(token.revoked_at)
                .execute(&mut *tx).await?;
            audit!(tx, sqlite, audit);
            tx.commit().await?;
            Ok(())
        })
    }

    /// The live (not revoked) token with this hash.
    ///
    /// # Errors
    /// A database error.
    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRow>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let row = sqlx::query(&sql(sqlite, "SELECT id, name, hash, created_at, revoked_at FROM tokens WHERE hash = $1 AND revoked_at IS NULL"))
                .bind(hash).fetch_optional(pool).await?;
            Ok(match row {
                None => None,
                Some(r) => Some(TokenRow { id: r.try_get("id")?, name: r.try_get("name")?, hash: r.try_get("hash")?, created_at: r.try_get("created_at")?, revoked_at: r.try_get("revoked_at")? }),
            })
        })
    }

    /// The newest audit entries, at most `limit`.
    ///
    /// # Errors
    /// A database error.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let rows = sqlx::query(&sql(sqlite, "SELECT at, actor, action, subject, detail FROM audit_log ORDER BY id DESC LIMIT $1"))
                .bind(limit).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let detail: String = r.try_get("detail")?;
                out.push(AuditEntry {
                    at: r.try_get("at")?, actor: r.try_get("actor")?, action: r.try_get("action")?, subject: r.try_get("subject")?,
                    detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
                });
            }
            Ok(out)
        })
    }
}

/// How many distinct slots `shared` (ordered by slot) covers.
fn distinct_slots(shared: &[SharedSlot]) -> usize {
    let mut n = 0;
    let mut previous: Option<(&str, i64)> = None;
    for c in shared {
        if previous != Some((c.list.as_str(), c.index)) {
            previous = Some((c.list.as_str(), c.index));
            n += 1;
        }
    }
    n
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
