//! Idempotency keys (draft-ietf-httpapi-idempotency-key-header) as the service sees them:
//! which keys are acceptable, a request's fingerprint, and claiming and finishing a key for a
//! caller. The store marks a claimed key in the transaction of the change the request makes
//! (`hallmark_store::with_claim`), so a replay never repeats a change and never misses one.

use hallmark_store::{ClaimMark, Claimed, NewClaim, StoreError, StoredResponse};
use sha2::{Digest, Sha256};

use super::{now, uuid_v4, Issuer, RandomnessError};

/// Why an `Idempotency-Key` header was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Empty, or only quotes.
    #[error("Idempotency-Key is empty")]
    Empty,
    /// Longer than [`hallmark_store::MAX_IDEMPOTENCY_KEY_LEN`] bytes.
    #[error(
        "Idempotency-Key is longer than {} bytes",
        hallmark_store::MAX_IDEMPOTENCY_KEY_LEN
    )]
    TooLong,
    /// A character outside printable ASCII (or a broken sf-string).
    #[error("Idempotency-Key must be printable ASCII (an sf-string, RFC 8941 §3.3.3)")]
    Characters,
}

/// The key of an `Idempotency-Key` header: an sf-string (`"…"`, RFC 8941 §3.3.3, as the
/// draft says), or, as many clients send it, the bare text.
///
/// # Errors
/// [`KeyError`] for an empty, too long or non-printable key.
pub fn idempotency_key(header: &[u8]) -> Result<String, KeyError> {
    let text = std::str::from_utf8(header)
        .map_err(|_| KeyError::Characters)?
        .trim();
    if !text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(KeyError::Characters);
    }
    let key = match text.strip_prefix('"') {
        Some(rest) => {
            let inner = rest.strip_suffix('"').ok_or(KeyError::Characters)?;
            let mut key = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some(e @ ('"' | '\\')) => key.push(e),
                        _ => return Err(KeyError::Characters),
                    },
                    '"' => return Err(KeyError::Characters),
                    c => key.push(c),
                }
            }
            key
        }
        None => text.to_owned(),
    };
    if key.is_empty() {
        return Err(KeyError::Empty);
    }
    if key.len() > hallmark_store::MAX_IDEMPOTENCY_KEY_LEN {
        return Err(KeyError::TooLong);
    }
    Ok(key)
}

/// The fingerprint of a request: hex SHA-256 of its method, path and query, content type
/// and body; the same key sent with another fingerprint is refused.
pub fn fingerprint(method: &str, path_and_query: &str, content_type: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    for part in [
        method.as_bytes(),
        path_and_query.as_bytes(),
        content_type.as_bytes(),
    ] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    hash.update(body);
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a key could not be claimed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimError {
    /// No randomness for the claim's owner id.
    #[error(transparent)]
    Randomness(#[from] RandomnessError),
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Issuer {
    /// Claims `key` for caller `scope` (a hash of its token) and a request with
    /// `fingerprint`: the claim to run the request under (when [`Claimed::Fresh`]), and what
    /// the store found.
    ///
    /// # Errors
    /// [`ClaimError`]: no randomness, or the database.
    pub async fn claim_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
    ) -> Result<(ClaimMark, Claimed), ClaimError> {
        let mark = ClaimMark {
            scope: scope.to_owned(),
            key: key.to_owned(),
            owner: uuid_v4()?,
        };
        let config = self.config();
        let claimed = self
            .store()
            .claim_idempotency_key(&NewClaim {
                mark: &mark,
                fingerprint,
                now: now().unix_timestamp(),
                lease: i64::try_from(config.idempotency_lease_seconds).unwrap_or(30),
                ttl: i64::try_from(config.idempotency_ttl_seconds).unwrap_or(86_400),
            })
            .await?;
        Ok((mark, claimed))
    }

    /// Claims the keys of several requests of one caller (a bulk request's rows) in one
    /// transaction: for each `(key, fingerprint)`, the claim and what the store found.
    ///
    /// # Errors
    /// [`ClaimError`]: no randomness, or the database (nothing is claimed then).
    pub async fn claim_idempotency_keys(
        &self,
        scope: &str,
        keys: &[(String, String)],
    ) -> Result<Vec<(ClaimMark, Claimed)>, ClaimError> {
        let config = self.config();
        let now = now().unix_timestamp();
        let marks = keys
            .iter()
            .map(|(key, _)| {
                Ok(ClaimMark {
                    scope: scope.to_owned(),
                    key: key.clone(),
                    owner: uuid_v4()?,
                })
            })
            .collect::<Result<Vec<_>, RandomnessError>>()?;
        let claims: Vec<NewClaim<'_>> = marks
            .iter()
            .zip(keys)
            .map(|(mark, (_, fingerprint))| NewClaim {
                mark,
                fingerprint,
                now,
                lease: i64::try_from(config.idempotency_lease_seconds).unwrap_or(30),
                ttl: i64::try_from(config.idempotency_ttl_seconds).unwrap_or(86_400),
            })
            .collect();
        let claimed = self.store().claim_idempotency_keys(&claims).await?;
        Ok(marks.into_iter().zip(claimed).collect())
    }

    /// Frees `mark`'s key whatever its request did (its answer is not to be replayed).
    ///
    /// # Errors
    /// The database.
    pub async fn release_idempotency_key(&self, mark: &ClaimMark) -> Result<(), StoreError> {
        self.store().release_idempotency_key(mark).await
    }

    /// Ends a claim after its request: stores `response` when the request's change committed
    /// (`true`), else frees the key (`false`).
    ///
    /// # Errors
    /// The database.
    pub async fn finish_idempotency_key(
        &self,
        mark: &ClaimMark,
        response: &StoredResponse,
    ) -> Result<bool, StoreError> {
        self.store().finish_idempotency_key(mark, response).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sf_strings_or_bare_text() {
        assert_eq!(idempotency_key(b"\"abc-1\"").unwrap(), "abc-1");
        assert_eq!(idempotency_key(b"\"a\\\"b\\\\c\"").unwrap(), "a\"b\\c");
        assert_eq!(idempotency_key(b"8e03978e-40d5").unwrap(), "8e03978e-40d5");
        assert_eq!(idempotency_key(b"\"\""), Err(KeyError::Empty));
        assert_eq!(idempotency_key(b"\"abc"), Err(KeyError::Characters));
        assert_eq!(idempotency_key(b"\"a\\nb\""), Err(KeyError::Characters));
        assert_eq!(
            idempotency_key("ключ".as_bytes()),
            Err(KeyError::Characters)
        );
        assert_eq!(idempotency_key(&[b'k'; 256]), Err(KeyError::TooLong));
        assert_eq!(idempotency_key(&[b'k'; 255]).unwrap().len(), 255);
    }

    #[test]
    fn fingerprints_tell_requests_apart() {
        let a = fingerprint("POST", "/api/v1/approvals", "application/json", b"{}");
        assert_eq!(
            a,
            fingerprint("POST", "/api/v1/approvals", "application/json", b"{}")
        );
        assert_ne!(
            a,
            fingerprint("POST", "/api/v1/approvals", "application/json", b"{ }")
        );
        assert_ne!(
            a,
            fingerprint("POST", "/api/v1/partners", "application/json", b"{}")
        );
        // Lengths are framed: moving bytes between parts changes the digest.
        assert_ne!(
            fingerprint("POST", "/a", "b", b""),
            fingerprint("POST", "/ab", "", b"")
        );
        assert_eq!(a.len(), 64);
    }
}
