//! The issuer's key registry (migration 0008): which keys the issuer has, which one signs
//! now, and which credentials each one signed. Public data only: a key's secret stays in its
//! file in the keys folder ([`KeyRow::file`]), never in the database.
//!
//! Several issuer processes may share one database: the registry is what they agree on. At
//! most one key is current (a unique index), a rotation retires the current key and adds the
//! new one in one transaction, and a key is revoked only when it is retired.

use sqlx::Row;

use crate::{sql, AuditEntry, Missing, Store, StoreError};

/// How many credentials [`Store::backfill_signed_by`] reads at a time.
const BACKFILL_BATCH: i64 = 500;

/// The state of an issuer key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    /// Signs new credentials and status lists.
    Current,
    /// Signs nothing more; stays in the DID document so what it signed still verifies.
    Retired,
    /// Removed from the DID document: what it signed no longer verifies.
    Revoked,
}

impl KeyState {
    /// `current`, `retired` or `revoked`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::Retired => "retired",
            Self::Revoked => "revoked",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "current" => Some(Self::Current),
            "retired" => Some(Self::Retired),
            "revoked" => Some(Self::Revoked),
            _ => None,
        }
    }
}

impl std::fmt::Display for KeyState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key of the issuer, as registered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyRow {
    /// Its `publicKeyMultibase` (`z6Mk…`): the fragment of its verification method id.
    pub public_key: String,
    /// Its state.
    pub state: KeyState,
    /// Its key file, relative to the keys folder (`issuer.json`, `retired/old.json`,
    /// `key-….json`).
    pub file: String,
    /// When it was registered, Unix seconds.
    pub created_at: i64,
    /// When it stopped signing, Unix seconds.
    pub retired_at: Option<i64>,
    /// When it was revoked, Unix seconds.
    pub revoked_at: Option<i64>,
    /// Why it was revoked (private: never published).
    pub revocation_reason: Option<String>,
}

const KEY_COLUMNS: &str =
    "public_key, state, file, created_at, retired_at, revoked_at, revocation_reason";

/// Inserts key `$k` (a [`KeyRow`]) inside transaction `$tx`.
macro_rules! insert_key {
    ($tx:ident, $sqlite:ident, $k:expr) => {{
        let k: &KeyRow = $k;
        sqlx::query(&sql(
            $sqlite,
            &format!("INSERT INTO issuer_keys ({KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"),
        ))
        .bind(&k.public_key)
        .bind(k.state.as_str())
        .bind(&k.file)
        .bind(k.created_at)
        .bind(k.retired_at)
        .bind(k.revoked_at)
        .bind(&k.revocation_reason)
        .execute(&mut *$tx)
        .await?;
    }};
}

fn key_from_row<R: Row>(r: &R) -> Result<KeyRow, sqlx::Error>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let state: String = r.try_get("state")?;
    Ok(KeyRow {
        public_key: r.try_get("public_key")?,
        state: KeyState::parse(&state).ok_or_else(|| sqlx::Error::ColumnDecode {
            index: "state".into(),
            source: format!("unknown key state {state:?}").into(),
        })?,
        file: r.try_get("file")?,
        created_at: r.try_get("created_at")?,
        retired_at: r.try_get("retired_at")?,
        revoked_at: r.try_get("revoked_at")?,
        revocation_reason: r.try_get("revocation_reason")?,
    })
}

/// The key that signed a credential document (JSON text): the fragment of its first proof's
/// `verificationMethod` (`did:web:…#z6Mk…`, `did:key:z6Mk…#z6Mk…`), or the method itself
/// for a bare `did:key:z6Mk…`. `None` for a document without a readable proof.
pub fn signer_of(document: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(document).ok()?;
    let proof = match &value["proof"] {
        serde_json::Value::Array(proofs) => proofs.first()?,
        proof => proof,
    };
    let method = proof["verificationMethod"].as_str()?;
    match method.split_once('#') {
        Some((_, fragment)) if !fragment.is_empty() => Some(fragment.to_owned()),
        Some(_) => None,
        None => method.strip_prefix("did:key:").map(str::to_owned),
    }
}

impl Store {
    /// Every registered key, oldest first (of keys registered in the same second, the
    /// current one last).
    ///
    /// # Errors
    /// A database error.
    pub async fn issuer_keys(&self) -> Result<Vec<KeyRow>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let rows = sqlx::query(&sql(sqlite, &format!("SELECT {KEY_COLUMNS} FROM issuer_keys ORDER BY created_at, CASE state WHEN 'current' THEN 1 ELSE 0 END, public_key")))
                .fetch_all(pool).await?;
            Ok(rows.iter().map(key_from_row).collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// The current key, if any is registered (one indexed read: callers read it before each
    /// signing, so a rotation made by another process is followed at once).
    ///
    /// # Errors
    /// A database error.
    pub async fn current_key(&self) -> Result<Option<KeyRow>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let row = sqlx::query(&sql(sqlite, &format!("SELECT {KEY_COLUMNS} FROM issuer_keys WHERE state = 'current'")))
                .fetch_optional(pool).await?;
            Ok(row.as_ref().map(key_from_row).transpose()?)
        })
    }

    /// Fills an empty registry with `keys` (an existing deployment's `issuer.json` as current
    /// and `retired/*.json`), in one transaction. Returns false, writing nothing, when the
    /// registry holds any key already (filled by another process meanwhile, too).
    ///
    /// # Errors
    /// A database error.
    pub async fn fill_key_registry(&self, keys: &[KeyRow]) -> Result<bool, StoreError> {
        let filled: Result<bool, StoreError> = with_pool!(self, pool, sqlite => {
            async {
                let mut tx = pool.begin().await?;
                let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM issuer_keys").fetch_one(&mut *tx).await?;
                if count > 0 {
                    return Ok(false);
                }
                for k in keys {
                    insert_key!(tx, sqlite, k);
                }
                tx.commit().await?;
                Ok(true)
            }.await
        });
        match filled {
            // Another process filled it between our count and insert.
            Err(StoreError::Conflict { .. }) => Ok(false),
            other => other,
        }
    }

    /// Rotates: the current key becomes retired (at `at`) and `new` (state current) is
    /// added, with `audit`, in one transaction. Returns the key retired.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] ([`Missing::CurrentKey`]) when no key is current;
    /// [`StoreError::Conflict`] when `new` is registered already or another rotation
    /// committed first; a database error.
    pub async fn rotate_key(
        &self,
        new: &KeyRow,
        at: i64,
        audit: &AuditEntry,
    ) -> Result<KeyRow, StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            if sqlite {
                // Take SQLite's write lock now, so the read below cannot go stale.
                sqlx::query("UPDATE issuer_keys SET state = state WHERE state = 'current'").execute(&mut *tx).await?;
            }
            let old = sqlx::query(&sql(sqlite, &format!("SELECT {KEY_COLUMNS} FROM issuer_keys WHERE state = 'current' FOR UPDATE")))
                .fetch_optional(&mut *tx).await?;
            let Some(old) = old else {
                tx.rollback().await?;
                return Err(StoreError::NotFound(Missing::CurrentKey));
            };
            let mut old = key_from_row(&old)?;
            sqlx::query(&sql(sqlite, "UPDATE issuer_keys SET state = 'retired', retired_at = $1 WHERE public_key = $2 AND state = 'current'"))
                .bind(at).bind(&old.public_key).execute(&mut *tx).await?;
            insert_key!(tx, sqlite, new);
            audit!(tx, sqlite, audit);
            tx.commit().await?;
            old.state = KeyState::Retired;
            old.retired_at = Some(at);
            Ok(old)
        })
    }

    /// Revokes a retired key (at `at`, for the private `reason`), with `audit`, in one
    /// transaction. Returns false, writing nothing, when the key is not retired (current,
    /// revoked already, or changed by another process meanwhile).
    ///
    /// # Errors
    /// A database error.
    pub async fn revoke_key(
        &self,
        public_key: &str,
        reason: &str,
        at: i64,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(&sql(sqlite, "UPDATE issuer_keys SET state = 'revoked', revoked_at = $1, revocation_reason = $2 WHERE public_key = $3 AND state = 'retired'"))
                .bind(at).bind(reason).bind(public_key).execute(&mut *tx).await?;
            if done.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            audit!(tx, sqlite, audit);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// The ids of the credentials key `public_key` signed, oldest first.
    ///
    /// # Errors
    /// A database error.
    pub async fn credentials_signed_by(&self, public_key: &str) -> Result<Vec<String>, StoreError> {
        with_pool!(self, pool, sqlite => {
            Ok(sqlx::query_scalar(&sql(sqlite, "SELECT id FROM credentials WHERE signed_by = $1 ORDER BY issued_at, id"))
                .bind(public_key).fetch_all(pool).await?)
        })
    }

    /// How many credentials each key signed: `(public_key, count)`, keys that signed none
    /// left out.
    ///
    /// # Errors
    /// A database error.
    pub async fn signed_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        with_pool!(self, pool, _sqlite => {
            let rows = sqlx::query("SELECT signed_by, COUNT(*) AS n FROM credentials WHERE signed_by IS NOT NULL GROUP BY signed_by")
                .fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push((r.try_get("signed_by")?, r.try_get("n")?));
            }
            Ok(out)
        })
    }

    /// Records, for each credential that has no signer recorded (those stored before
    /// migration 0008), the key its proof names ([`signer_of`]); a document whose proof
    /// cannot be read gets the empty string, so it is read once. Returns how many were
    /// filled. Safe to run from several processes at once (each update is conditional).
    ///
    /// # Errors
    /// A database error.
    pub async fn backfill_signed_by(&self) -> Result<u64, StoreError> {
        let mut filled = 0;
        loop {
            let batch: Vec<(String, String)> = with_pool!(self, pool, sqlite => {
                let rows = sqlx::query(&sql(sqlite, "SELECT id, document FROM credentials WHERE signed_by IS NULL ORDER BY id LIMIT $1"))
                    .bind(BACKFILL_BATCH).fetch_all(pool).await?;
                rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("document")?))).collect::<Result<_, sqlx::Error>>()?
            });
            if batch.is_empty() {
                return Ok(filled);
            }
            with_pool!(self, pool, sqlite => {
                let mut tx = pool.begin().await?;
                for (id, document) in &batch {
                    let signer = signer_of(document).unwrap_or_default();
                    let done = sqlx::query(&sql(sqlite, "UPDATE credentials SET signed_by = $1 WHERE id = $2 AND signed_by IS NULL"))
                        .bind(&signer).bind(id).execute(&mut *tx).await?;
                    filled += done.rows_affected();
                }
                tx.commit().await?;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signer_is_the_fragment_of_the_first_proof() {
        let web = r#"{"proof": {"verificationMethod": "did:web:acme.example#z6MkA"}}"#;
        assert_eq!(signer_of(web).as_deref(), Some("z6MkA"));
        let set = r#"{"proof": [{"verificationMethod": "did:key:z6MkB#z6MkB"}, {"verificationMethod": "did:web:x#z6MkC"}]}"#;
        assert_eq!(signer_of(set).as_deref(), Some("z6MkB"));
        assert_eq!(
            signer_of(r#"{"proof": {"verificationMethod": "did:key:z6MkD"}}"#).as_deref(),
            Some("z6MkD")
        );
        assert_eq!(
            signer_of(r#"{"proof": {"verificationMethod": "did:web:x#"}}"#),
            None
        );
        assert_eq!(signer_of(r#"{"proof": {}}"#), None);
        assert_eq!(signer_of("not json"), None);
    }
}
