//! API tokens: only their SHA-256 is stored; a token is looked up by that hash, on every
//! request (no cache: a revocation takes effect at the next request). Each has a [`Role`].

use sqlx::Row;

use crate::{sql, AuditEntry, Store, StoreError};

/// What a token may do (issue 14): each role may do what the ones before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Read only: the admin API's `GET`s.
    Viewer,
    /// Also approve, issue, and change a badge's status; create and edit partners.
    Issuer,
    /// Everything: also tokens, keys, webhooks and the program.
    Admin,
}

impl Role {
    /// Every role, weakest first.
    pub const ALL: [Self; 3] = [Self::Viewer, Self::Issuer, Self::Admin];

    /// The role's name: `viewer`, `issuer` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Issuer => "issuer",
            Self::Admin => "admin",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text that is not a role's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a role (viewer, issuer or admin)")]
pub struct UnknownRole(pub String);

impl std::str::FromStr for Role {
    type Err = UnknownRole;

    fn from_str(text: &str) -> Result<Self, UnknownRole> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
            .ok_or_else(|| UnknownRole(text.to_owned()))
    }
}

impl serde::Serialize for Role {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Role {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
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
    /// What it may do.
    pub role: Role,
    /// Unix seconds.
    pub created_at: i64,
    /// When revoked.
    pub revoked_at: Option<i64>,
}

const TOKEN_COLUMNS: &str = "id, name, hash, role, created_at, revoked_at";

fn token_from_row<R: Row>(r: &R) -> Result<TokenRow, sqlx::Error>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let role: String = r.try_get("role")?;
    Ok(TokenRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        hash: r.try_get("hash")?,
        role: role.parse().map_err(|e| sqlx::Error::ColumnDecode {
            index: "role".into(),
            source: Box::new(e),
        })?,
        created_at: r.try_get("created_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
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
            sqlx::query(&sql(sqlite, "INSERT INTO tokens (id, name, hash, role, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)"))
                .bind(&token.id).bind(&token.name).bind(&token.hash).bind(token.role.as_str())
                .bind(token.created_at).bind(token.revoked_at)
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
            let row = sqlx::query(&sql(sqlite, &format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE hash = $1 AND revoked_at IS NULL")))
                .bind(hash).fetch_optional(pool).await?;
            Ok(row.as_ref().map(token_from_row).transpose()?)
        })
    }

    /// Every token, revoked ones too, oldest first (an agency has a handful).
    ///
    /// # Errors
    /// A database error.
    pub async fn tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let rows = sqlx::query(&sql(sqlite, &format!("SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY created_at, id")))
                .fetch_all(pool).await?;
            Ok(rows.iter().map(token_from_row).collect::<Result<_, _>>()?)
        })
    }

    /// Revokes token `id` at `at` (Unix seconds), with its audit entry; the token as it now
    /// is, or `None` (nothing written) when there is no such token. Revoking a revoked
    /// token keeps its first revocation time and writes nothing.
    ///
    /// # Errors
    /// A database error.
    pub async fn revoke_token(
        &self,
        id: &str,
        at: i64,
        audit: &AuditEntry,
    ) -> Result<Option<TokenRow>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(&sql(sqlite, "UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL"))
                .bind(at).bind(id).execute(&mut *tx).await?;
            if done.rows_affected() == 1 {
                audit!(tx, sqlite, audit);
            }
            let row = sqlx::query(&sql(sqlite, &format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = $1")))
                .bind(id).fetch_optional(&mut *tx).await?;
            let token = row.as_ref().map(token_from_row).transpose()?;
            tx.commit().await?;
            Ok(token)
        })
    }
}
