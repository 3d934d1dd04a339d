//! Status lists and the slots credentials hold in them: a [`StatusSlot`] is a list and an
//! index; a credential holds at most one slot per [`StatusPurpose`], and no two credentials
//! hold the same slot. Status changes rewrite a credential's flags and its list's bits in one
//! transaction; "message" slots shared before migration 0003 are repaired here too.

use sqlx::Row;

use crate::{sql, AuditEntry, BoxError, Missing, Store, StoreError};

/// How many free indexes to draw before giving up on a list (lists are kept at most half
/// full, so each draw succeeds with probability ≥ 1/2).
const MAX_DRAWS: usize = 64;

/// What a status list's entries say (Bitstring Status List `statusPurpose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusPurpose {
    /// Revoked when set; final.
    Revocation,
    /// Suspended when set; clearing reinstates.
    Suspension,
    /// A status message: a value of `statusSize` bits.
    Message,
}

impl StatusPurpose {
    /// `revocation`, `suspension` or `message`, as stored and as in `statusPurpose`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Revocation => "revocation",
            Self::Suspension => "suspension",
            Self::Message => "message",
        }
    }
}

impl std::fmt::Display for StatusPurpose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `statusPurpose` the store does not keep lists for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no status lists for purpose {0:?} (revocation, suspension, message)")]
pub struct UnknownPurpose(pub String);

impl std::str::FromStr for StatusPurpose {
    type Err = UnknownPurpose;

    fn from_str(text: &str) -> Result<Self, UnknownPurpose> {
        match text {
            "revocation" => Ok(Self::Revocation),
            "suspension" => Ok(Self::Suspension),
            "message" => Ok(Self::Message),
            other => Err(UnknownPurpose(other.to_owned())),
        }
    }
}

/// A slot in a status list: the list's id (its URL is `{base}/status/{list}`) and the
/// credential's index in it (`statusListIndex`).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct StatusSlot {
    /// The status list's id.
    pub list: String,
    /// The index in the list.
    pub index: u32,
}

impl StatusSlot {
    /// Index `index` of list `list`.
    pub fn new(list: impl Into<String>, index: u32) -> Self {
        Self {
            list: list.into(),
            index,
        }
    }

    /// The slot stored in a list column and an index column: both or neither (a lone
    /// column, or an index that is not a `u32`, is a decode error naming the column).
    pub(crate) fn from_columns(
        list: Option<String>,
        index: Option<i64>,
        index_column: &str,
    ) -> Result<Option<Self>, sqlx::Error> {
        let bad = |why: String| sqlx::Error::ColumnDecode {
            index: index_column.to_owned(),
            source: why.into(),
        };
        match (list, index) {
            (Some(list), Some(index)) => {
                let index = u32::try_from(index)
                    .map_err(|_| bad(format!("status index {index} is not a u32")))?;
                Ok(Some(Self { list, index }))
            }
            (None, None) => Ok(None),
            _ => Err(bad("a status list without an index, or the reverse".into())),
        }
    }
}

impl std::fmt::Display for StatusSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "index {} of {}", self.index, self.list)
    }
}

/// A status list: its bits and its signed credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListRow {
    /// Id (the URL is `{base}/status/{id}`).
    pub id: String,
    /// What its entries say.
    pub purpose: StatusPurpose,
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

pub(crate) const LIST_COLUMNS: &str =
    "id, purpose, entries, status_size, bits, document, updated_at";

pub(crate) fn list_from_row<R: Row>(r: &R) -> Result<StatusListRow, sqlx::Error>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Vec<u8>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let purpose: String = r.try_get("purpose")?;
    Ok(StatusListRow {
        id: r.try_get("id")?,
        purpose: purpose.parse().map_err(|e| sqlx::Error::ColumnDecode {
            index: "purpose".into(),
            source: Box::new(e),
        })?,
        entries: r.try_get("entries")?,
        status_size: r.try_get("status_size")?,
        bits: r.try_get("bits")?,
        document: r.try_get("document")?,
        updated_at: r.try_get("updated_at")?,
    })
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

impl StatusChange {
    /// The purpose of the slot the change writes.
    pub fn purpose(&self) -> StatusPurpose {
        match self {
            Self::Revoke { .. } => StatusPurpose::Revocation,
            Self::Suspend | Self::Reinstate => StatusPurpose::Suspension,
            Self::Message { .. } => StatusPurpose::Message,
        }
    }
}

/// What the store needs from the issuer to move a credential off a "message" status slot it
/// shares with an older credential (see [`Store::migrate_repairing`]): the moved credential
/// names its index inside its signed document, and the list's bits are signed too.
pub trait SlotRepair: Send + Sync {
    /// A random index below `entries` (the store retries while the index is taken).
    ///
    /// # Errors
    /// No randomness.
    fn draw_index(&self, entries: i64) -> Result<u32, BoxError>;

    /// The credential `document` (JSON text) with its "message" entry moved from slot
    /// `from` to `to` (of the same list), signed again.
    ///
    /// # Errors
    /// The entry is not found, or signing failed.
    fn move_credential(
        &self,
        document: &str,
        from: &StatusSlot,
        to: &StatusSlot,
    ) -> Result<String, BoxError>;

    /// `list`'s bits with each `(index, value)` written, and the list credential signed
    /// again for them (JSON text).
    ///
    /// # Errors
    /// A value does not fit, or signing failed.
    fn rewrite_list(
        &self,
        list: &StatusListRow,
        values: &[(u32, i64)],
    ) -> Result<(Vec<u8>, String), BoxError>;
}

/// One credential moved off a shared "message" status slot.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SlotMove {
    /// The moved credential (the newer one).
    pub credential: String,
    /// The credential that kept the slot (the oldest of those sharing it).
    pub kept: String,
    /// The shared slot.
    pub from: StatusSlot,
    /// The new, free slot, in the same list.
    pub to: StatusSlot,
    /// The moved credential's message value, now written at `to`.
    pub status: i64,
}

/// Why a credential could not move off a shared slot ([`StoreError::SlotRepair`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RepairFailure {
    /// The [`SlotRepair`] failed.
    #[error("{0}")]
    Repair(#[source] BoxError),
    /// The slot's status list does not exist.
    #[error("the status list does not exist")]
    ListMissing,
    /// No draw found a free index.
    #[error("no free index found in {draws} draws")]
    NoFreeIndex {
        /// How many indexes were drawn.
        draws: usize,
    },
}

/// A credential on a shared slot, as the repair reads it.
pub(crate) struct SharedSlot {
    id: String,
    pub(crate) slot: StatusSlot,
}

/// How many distinct slots `shared` (ordered by slot) covers.
pub(crate) fn distinct_slots(shared: &[SharedSlot]) -> usize {
    let mut n = 0;
    let mut previous: Option<&StatusSlot> = None;
    for c in shared {
        if previous != Some(&c.slot) {
            previous = Some(&c.slot);
            n += 1;
        }
    }
    n
}

/// The list and index columns of `credentials` holding a slot of `purpose`.
fn slot_columns(purpose: StatusPurpose) -> (&'static str, &'static str) {
    match purpose {
        StatusPurpose::Revocation => ("revocation_list", "revocation_index"),
        StatusPurpose::Suspension => ("suspension_list", "suspension_index"),
        StatusPurpose::Message => ("message_list", "message_index"),
    }
}

impl Store {
    /// How many credentials use a status list (for any purpose).
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

    /// How many credentials hold a slot of `purpose` in list `list`: an index-only count on
    /// the unique `(list, index)` index of that purpose's columns (at most the list's
    /// entries), unlike [`Store::entries_used`], which scans every purpose.
    ///
    /// # Errors
    /// A database error.
    pub async fn slots_used(&self, list: &str, purpose: StatusPurpose) -> Result<i64, StoreError> {
        let column = slot_columns(purpose).0;
        with_pool!(self, pool, sqlite => {
            let row = sqlx::query(&sql(sqlite, &format!("SELECT COUNT(*) AS n FROM credentials WHERE {column} = $1")))
                .bind(list).fetch_one(pool).await?;
            Ok(row.try_get::<i64, _>("n")?)
        })
    }

    /// Whether a credential holds `slot` for `purpose` (one unique-index lookup): issuance
    /// draws again before signing rather than after a conflict.
    ///
    /// # Errors
    /// A database error.
    pub async fn slot_taken(
        &self,
        purpose: StatusPurpose,
        slot: &StatusSlot,
    ) -> Result<bool, StoreError> {
        let (list, index) = slot_columns(purpose);
        with_pool!(self, pool, sqlite => {
            let row = sqlx::query(&sql(sqlite, &format!("SELECT 1 AS taken FROM credentials WHERE {list} = $1 AND {index} = $2")))
                .bind(&slot.list).bind(i64::from(slot.index)).fetch_optional(pool).await?;
            Ok(row.is_some())
        })
    }

    /// Creates a status list unless one with its id exists.
    ///
    /// # Errors
    /// A database error.
    pub async fn ensure_status_list(&self, list: &StatusListRow) -> Result<(), StoreError> {
        with_pool!(self, pool, sqlite => {
            sqlx::query(&sql(sqlite, &format!("INSERT INTO status_lists ({LIST_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING")))
                .bind(&list.id).bind(list.purpose.as_str()).bind(list.entries).bind(list.status_size).bind(&list.bits).bind(&list.document).bind(list.updated_at)
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
            let row = sqlx::query(&sql(sqlite, &format!("SELECT {LIST_COLUMNS} FROM status_lists WHERE id = $1")))
                .bind(id).fetch_optional(pool).await?;
            Ok(row.as_ref().map(list_from_row).transpose()?)
        })
    }

    /// Changes a credential's status and its list in one transaction: the list row of
    /// `slot` is locked, `update` gets its current bits and returns the new bits and
    /// re-signed document, then the list, the credential (which must hold `slot` for the
    /// change's purpose) and the audit log are written.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown list ([`Missing::StatusList`]), an unknown
    /// credential ([`Missing::Credential`]) or one that does not hold `slot`
    /// ([`Missing::CredentialSlot`]); [`StoreError::Revoked`] for a credential revoked
    /// (meanwhile: revocation is final); [`StoreError::StatusUpdate`] when `update` fails; or
    /// a database error. Nothing is written then.
    pub async fn change_status(
        &self,
        credential_id: &str,
        slot: &StatusSlot,
        change: &StatusChange,
        now: i64,
        update: impl FnOnce(Vec<u8>) -> Result<(Vec<u8>, String), BoxError>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let index = i64::from(slot.index);
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            if sqlite {
                // Take SQLite's write lock now, so the read below cannot go stale.
                sqlx::query("UPDATE status_lists SET updated_at = updated_at WHERE id = ?1").bind(&slot.list).execute(&mut *tx).await?;
            }
            let row = sqlx::query(&sql(sqlite, "SELECT bits FROM status_lists WHERE id = $1 FOR UPDATE"))
                .bind(&slot.list).fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound(Missing::StatusList(slot.list.clone())))?;
            let bits: Vec<u8> = row.try_get("bits")?;
            let (bits, document) = update(bits).map_err(|e| StoreError::StatusUpdate {
                credential: credential_id.to_owned(),
                purpose: change.purpose(),
                slot: slot.clone(),
                source: e,
            })?;
            sqlx::query(&sql(sqlite, "UPDATE status_lists SET bits = $1, document = $2, updated_at = $3 WHERE id = $4"))
                .bind(&bits).bind(&document).bind(now).bind(&slot.list).execute(&mut *tx).await?;
            let updated = match change {
                StatusChange::Revoke { reason } => sqlx::query(&sql(sqlite, "UPDATE credentials SET revoked_at = $1, revocation_reason = $2 WHERE id = $3 AND revocation_list = $4 AND revocation_index = $5 AND revoked_at IS NULL"))
                    .bind(now).bind(reason).bind(credential_id).bind(&slot.list).bind(index)
                    .execute(&mut *tx).await?,
                StatusChange::Suspend => sqlx::query(&sql(sqlite, "UPDATE credentials SET suspended = TRUE WHERE id = $1 AND suspension_list = $2 AND suspension_index = $3 AND revoked_at IS NULL"))
                    .bind(credential_id).bind(&slot.list).bind(index)
                    .execute(&mut *tx).await?,
                StatusChange::Reinstate => sqlx::query(&sql(sqlite, "UPDATE credentials SET suspended = FALSE WHERE id = $1 AND suspension_list = $2 AND suspension_index = $3 AND revoked_at IS NULL"))
                    .bind(credential_id).bind(&slot.list).bind(index)
                    .execute(&mut *tx).await?,
                StatusChange::Message { status } => sqlx::query(&sql(sqlite, "UPDATE credentials SET message_status = $1 WHERE id = $2 AND message_list = $3 AND message_index = $4 AND revoked_at IS NULL"))
                    .bind(status).bind(credential_id).bind(&slot.list).bind(index)
                    .execute(&mut *tx).await?,
            };
            if updated.rows_affected() != 1 {
                // Nothing is written: the transaction is dropped, so the list stays as it was.
                let found = sqlx::query(&sql(sqlite, "SELECT revoked_at FROM credentials WHERE id = $1"))
                    .bind(credential_id).fetch_optional(&mut *tx).await?;
                let revoked = found.as_ref().map(|r| r.try_get::<Option<i64>, _>("revoked_at")).transpose()?.flatten();
                return Err(match (found, revoked) {
                    (None, _) => StoreError::NotFound(Missing::Credential(credential_id.to_owned())),
                    // Revoked meanwhile (revocation is final).
                    (Some(_), Some(_)) => StoreError::Revoked(credential_id.to_owned()),
                    (Some(_), None) => StoreError::NotFound(Missing::CredentialSlot { credential: credential_id.to_owned(), purpose: change.purpose(), slot: slot.clone() }),
                });
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
    /// [`StoreError::NotFound`] for an unknown list ([`Missing::StatusList`]),
    /// [`StoreError::ListSigning`] when `sign` fails, or a database error.
    pub async fn resign_status_list(
        &self,
        list_id: &str,
        now: i64,
        sign: impl FnOnce(&StatusListRow) -> Result<Option<String>, BoxError>,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            if sqlite {
                // Take SQLite's write lock now, so the read below cannot go stale.
                sqlx::query("UPDATE status_lists SET updated_at = updated_at WHERE id = ?1").bind(list_id).execute(&mut *tx).await?;
            }
            let r = sqlx::query(&sql(sqlite, &format!("SELECT {LIST_COLUMNS} FROM status_lists WHERE id = $1 FOR UPDATE")))
                .bind(list_id).fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound(Missing::StatusList(list_id.to_owned())))?;
            let row = list_from_row(&r)?;
            let signed = sign(&row).map_err(|e| StoreError::ListSigning { list: list_id.to_owned(), source: e })?;
            let Some(document) = signed else {
                return Ok(false);
            };
            sqlx::query(&sql(sqlite, "UPDATE status_lists SET document = $1, updated_at = $2 WHERE id = $3"))
                .bind(&document).bind(now).bind(list_id).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Every credential on a "message" slot shared with another, by slot, oldest first.
    pub(crate) async fn shared_slots(&self) -> Result<Vec<SharedSlot>, StoreError> {
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
                let slot = StatusSlot::from_columns(r.try_get("message_list")?, r.try_get("message_index")?, "message_index")?;
                if let Some(slot) = slot {
                    out.push(SharedSlot { id: r.try_get("id")?, slot });
                }
            }
            Ok(out)
        })
    }

    /// Moves `moving` off its slot unless it is, by now, alone there or the oldest on it
    /// (another process may have repaired it meanwhile).
    pub(crate) async fn move_off_shared_slot(
        &self,
        moving: &SharedSlot,
        repair: &dyn SlotRepair,
        now: i64,
    ) -> Result<Option<SlotMove>, StoreError> {
        let failed = |reason: RepairFailure| StoreError::SlotRepair {
            credential: moving.id.clone(),
            slot: moving.slot.clone(),
            reason,
        };
        let list_id = &moving.slot.list;
        let from = i64::from(moving.slot.index);
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            if sqlite {
                // Take SQLite's write lock now, so the reads below cannot go stale.
                sqlx::query("UPDATE status_lists SET updated_at = updated_at WHERE id = ?1").bind(list_id).execute(&mut *tx).await?;
            }
            let r = sqlx::query(&sql(sqlite, &format!("SELECT {LIST_COLUMNS} FROM status_lists WHERE id = $1 FOR UPDATE")))
                .bind(list_id).fetch_optional(&mut *tx).await?
                .ok_or_else(|| failed(RepairFailure::ListMissing))?;
            let list = list_from_row(&r)?;
            let rows = sqlx::query(&sql(sqlite, "SELECT id, message_status, document FROM credentials WHERE message_list = $1 AND message_index = $2 ORDER BY issued_at, id"))
                .bind(list_id).bind(from).fetch_all(&mut *tx).await?;
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
                let index = repair.draw_index(list.entries).map_err(|e| failed(RepairFailure::Repair(e)))?;
                if i64::from(index) >= list.entries || index == moving.slot.index {
                    continue;
                }
                let taken = sqlx::query(&sql(sqlite, "SELECT 1 AS taken FROM credentials WHERE message_list = $1 AND message_index = $2"))
                    .bind(list_id).bind(i64::from(index)).fetch_optional(&mut *tx).await?;
                if taken.is_none() {
                    to = Some(StatusSlot::new(list_id.clone(), index));
                    break;
                }
            }
            let to = to.ok_or_else(|| failed(RepairFailure::NoFreeIndex { draws: MAX_DRAWS }))?;
            let document = repair.move_credential(&document, &moving.slot, &to).map_err(|e| failed(RepairFailure::Repair(e)))?;
            let (bits, list_document) = repair
                .rewrite_list(&list, &[(moving.slot.index, kept_status), (to.index, status)])
                .map_err(|e| failed(RepairFailure::Repair(e)))?;
            sqlx::query(&sql(sqlite, "UPDATE credentials SET message_index = $1, document = $2 WHERE id = $3"))
                .bind(i64::from(to.index)).bind(&document).bind(&moving.id).execute(&mut *tx).await?;
            sqlx::query(&sql(sqlite, "UPDATE status_lists SET bits = $1, document = $2, updated_at = $3 WHERE id = $4"))
                .bind(&bits).bind(&list_document).bind(now).bind(list_id).execute(&mut *tx).await?;
            let m = SlotMove { credential: moving.id.clone(), kept: kept_id, from: moving.slot.clone(), to, status };
            let entry = AuditEntry {
                at: now,
                actor: "system".into(),
                action: "credential.status.move".into(),
                subject: m.credential.clone(),
                detail: serde_json::json!({
                    "list": m.from.list, "from": m.from.index, "to": m.to.index, "status": m.status, "kept": m.kept,
                    "why": "shared a message status slot with an older credential (before migration 0003); re-signed with the new index: copies handed out before still read the old one, re-send the credential",
                }),
            };
            audit!(tx, sqlite, &entry);
            tx.commit().await?;
            Ok(Some(m))
        })
    }
}
