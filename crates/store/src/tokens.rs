//! API tokens: only their SHA-256 is stored; a token is looked up by that hash.

use sqlx::Row;

use crate::{sql, AuditEntry, Store, StoreError};

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

impl Store {
    /// Stores a new API token's hash, with its audit entry.
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
}
