//! Admin API tokens: created once (only their SHA-256 is stored), checked in constant time
//! on every request (no cache, so a revocation takes effect at once), each with a [`Role`]
//! that the API's extractors (`api/auth.rs`) compare with what a route needs.

use hallmark_store::{AuditEntry, Role, Store, StoreError, TokenRow};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::text::{check_text, MAX_NAME};
use super::{now, uuid_v4, Issuer, RandomnessError, TextError};

/// Hex SHA-256 of an API token: what the database stores.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Why an API token could not be created, listed or revoked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The name was refused (one line of plain text, at most 200 characters).
    #[error(transparent)]
    Name(TextError),
    /// No token has this id or name.
    #[error("no token {0:?} (give an id or name from `hallmark token list`)")]
    NotFound(String),
    /// Several tokens have this name: the ids to choose from.
    #[error("several tokens are named {name:?}: give one of the ids {}", ids.join(", "))]
    Ambiguous {
        /// The name given.
        name: String,
        /// The ids of the tokens so named.
        ids: Vec<String>,
    },
    /// No system randomness for the token or its id.
    #[error(transparent)]
    Randomness(#[from] RandomnessError),
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a caller was not let in.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No token was sent.
    #[error("no token")]
    NoToken,
    /// The credentials sent are not a bearer token.
    #[error("malformed Authorization header")]
    Malformed,
    /// No such token, or it was revoked.
    #[error("unknown or revoked token")]
    Unknown,
    /// The token is valid but its role may not do this (403).
    #[error("this needs a token with the role {needed} (or a stronger one); token {name:?} has the role {role}")]
    Forbidden {
        /// The token's name.
        name: String,
        /// Its role.
        role: Role,
        /// The weakest role allowed.
        needed: Role,
    },
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who is calling: a valid token's name (the actor its changes are audited under) and role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's name.
    pub name: String,
    /// Its role.
    pub role: Role,
}

/// A token as lists show it: never its secret or hash.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenInfo {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// When created, Unix seconds.
    pub created_at: i64,
    /// When revoked, Unix seconds; `null` while valid.
    pub revoked_at: Option<i64>,
}

impl From<TokenRow> for TokenInfo {
    fn from(row: TokenRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            role: row.role,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
        }
    }
}

/// Creates an admin API token named `name`, by `cli`; returns it (shown once; only its hash
/// is stored).
///
/// # Errors
/// A database error, or no system randomness.
pub async fn create_token(store: &Store, name: &str) -> Result<String, TokenError> {
    Ok(new_token(store, "cli", name, Role::Admin).await?.1)
}

/// Creates an API token named `name` with `role`, audited (`token.create`) under `actor`;
/// returns it as lists show it, and its secret (shown once; only its hash is stored).
///
/// # Errors
/// [`TokenError::Name`] for a refused name, a database error, or no system randomness.
pub async fn new_token(
    store: &Store,
    actor: &str,
    name: &str,
    role: Role,
) -> Result<(TokenInfo, String), TokenError> {
    let name = name.trim();
    check_text("name", name, MAX_NAME, true).map_err(TokenError::Name)?;
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(RandomnessError)?;
    let token = format!(
        "hm_{}",
        secret
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let id = uuid_v4()?;
    let at = now().unix_timestamp();
    let row = TokenRow {
        id: id.clone(),
        name: name.to_owned(),
        hash: token_hash(&token),
        role,
        created_at: at,
        revoked_at: None,
    };
    store
        .create_token(
            &row,
            &AuditEntry {
                at,
                actor: actor.to_owned(),
                action: "token.create".into(),
                subject: id,
                detail: serde_json::json!({"name": name, "role": role}),
            },
        )
        .await?;
    Ok((row.into(), token))
}

/// Every token, revoked ones too, oldest first; never a secret or hash.
///
/// # Errors
/// A database error.
pub async fn list_tokens(store: &Store) -> Result<Vec<TokenInfo>, StoreError> {
    Ok(store.tokens().await?.into_iter().map(Into::into).collect())
}

/// Revokes the token with id or name `which` (audit `token.revoke` by `actor`); it is
/// refused from the next request on (tokens are looked up on every request). Revoking a
/// revoked token changes nothing and returns it as it is.
///
/// # Errors
/// [`TokenError::NotFound`], [`TokenError::Ambiguous`] (a name several tokens have: the
/// ids), or a database error.
pub async fn revoke_token(
    store: &Store,
    actor: &str,
    which: &str,
) -> Result<TokenInfo, TokenError> {
    let all = store.tokens().await?;
    let id = match all.iter().find(|t| t.id == which) {
        Some(t) => t.id.clone(),
        None => {
            let named: Vec<&TokenRow> = all.iter().filter(|t| t.name == which).collect();
            match named.as_slice() {
                [] => return Err(TokenError::NotFound(which.to_owned())),
                [one] => one.id.clone(),
                many => {
                    return Err(TokenError::Ambiguous {
                        name: which.to_owned(),
                        ids: many.iter().map(|t| t.id.clone()).collect(),
                    })
                }
            }
        }
    };
    let at = now().unix_timestamp();
    let entry = AuditEntry {
        at,
        actor: actor.to_owned(),
        action: "token.revoke".into(),
        subject: id.clone(),
        detail: serde_json::json!({}),
    };
    store
        .revoke_token(&id, at, &entry)
        .await?
        .map(Into::into)
        .ok_or(TokenError::NotFound(id))
}

impl Issuer {
    /// The valid token `token`'s name and role.
    ///
    /// # Errors
    /// [`AuthError::Unknown`] for an unknown or revoked token, or the database.
    pub async fn authenticate(&self, token: &str) -> Result<Caller, AuthError> {
        let hash = token_hash(token);
        match self.store().token_by_hash(&hash).await? {
            // The lookup is by hash; compare again in constant time all the same.
            Some(row) if bool::from(row.hash.as_bytes().ct_eq(hash.as_bytes())) => Ok(Caller {
                name: row.name,
                role: row.role,
            }),
            _ => Err(AuthError::Unknown),
        }
    }

    /// The valid token `token`'s name, when its role is `needed` or stronger.
    ///
    /// # Errors
    /// As [`Issuer::authenticate`], or [`AuthError::Forbidden`].
    pub async fn authorize(&self, token: &str, needed: Role) -> Result<String, AuthError> {
        let caller = self.authenticate(token).await?;
        if caller.role < needed {
            return Err(AuthError::Forbidden {
                name: caller.name,
                role: caller.role,
                needed,
            });
        }
        Ok(caller.name)
    }

    /// Creates a token ([`new_token`]) by `actor`.
    ///
    /// # Errors
    /// As [`new_token`].
    pub async fn create_token(
        &self,
        actor: &str,
        name: &str,
        role: Role,
    ) -> Result<(TokenInfo, String), TokenError> {
        new_token(self.store(), actor, name, role).await
    }

    /// Every token ([`list_tokens`]).
    ///
    /// # Errors
    /// The database.
    pub async fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        list_tokens(self.store()).await
    }

    /// Revokes a token by id or name ([`revoke_token`]) by `actor`.
    ///
    /// # Errors
    /// As [`revoke_token`].
    pub async fn revoke_token(&self, actor: &str, which: &str) -> Result<TokenInfo, TokenError> {
        revoke_token(self.store(), actor, which).await
    }
}
