//! Admin API tokens: created once (only their SHA-256 is stored) and checked in constant
//! time.

use hallmark_store::{AuditEntry, Store, StoreError, TokenRow};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{now, uuid_v4, Issuer, RandomnessError};

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
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates an API token named `name`; returns it (shown once; only its hash is stored).
///
/// # Errors
/// A database error, or no system randomness.
pub async fn create_token(store: &Store, name: &str) -> Result<String, TokenError> {
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

impl Issuer {
    /// The name of the valid token `token` (the actor its changes are audited under).
    ///
    /// # Errors
    /// [`AuthError::Unknown`] for an unknown or revoked token, or the database.
    pub async fn authenticate(&self, token: &str) -> Result<String, AuthError> {
        let hash = token_hash(token);
        match self.store().token_by_hash(&hash).await? {
            // The lookup is by hash; compare again in constant time all the same.
            Some(row) if bool::from(row.hash.as_bytes().ct_eq(hash.as_bytes())) => Ok(row.name),
            _ => Err(AuthError::Unknown),
        }
    }
}
