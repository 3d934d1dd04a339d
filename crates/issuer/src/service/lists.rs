//! The issuer's status lists (Bitstring Status List 1.0) and its signing: which list a new
//! credential's entry goes in, new lists, lists re-signed when `base_url` moves, and the one
//! place credentials and lists are signed with the current key.

use hallmark_core::proof::{Cryptosuite, ProofError};
use hallmark_core::status::{
    Bitstring, StatusListError, StatusListSpec, StatusPurpose, MIN_ENTRIES,
};
use hallmark_store::{StatusListRow, StoreError, UnknownPurpose};
use serde_json::{Map, Value};

use super::{now, Issuer};
use crate::keys::KeysError;

/// Why a credential or status list could not be signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The status list credential could not be built.
    #[error(transparent)]
    StatusList(#[from] StatusListError),
    /// The proof could not be made (VC-DI-EdDSA: canonicalization or the document's shape).
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// The signed document could not be written as JSON.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// No signing key is loaded (a did:web issuer without `issuer.json`, before its key
    /// registry was read).
    #[error("no signing key is loaded yet")]
    NoKey,
}

/// Why a status list could not be created or re-signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListError {
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The list's bits could not be made (a status size out of range).
    #[error("cannot make the status list: {0}")]
    Bits(#[source] StatusListError),
    /// Signing the list failed.
    #[error("cannot sign the status list: {0}")]
    Sign(#[from] SignError),
    /// The store does not know the purpose.
    #[error("cannot store the status list: {0}")]
    Purpose(#[from] UnknownPurpose),
    /// The current key could not be read or loaded.
    #[error(transparent)]
    Keys(#[from] KeysError),
}

impl Issuer {
    /// The list new badges get entries in for `purpose`: the newest one while it is less
    /// than half used (so a random free index is found quickly), else a new one.
    ///
    /// # Errors
    /// [`ListError`]: the database, or signing a new list.
    pub async fn current_list(
        &self,
        purpose: StatusPurpose,
        status_size: u8,
    ) -> Result<String, ListError> {
        let store = self.store();
        let mut n = 1;
        loop {
            // Entries of several bits (a "message" list) get lists of their own.
            let id = match status_size {
                1 => format!("{}-{n}", purpose.as_str()),
                bits => format!("{}-{bits}bit-{n}", purpose.as_str()),
            };
            match store.status_list(&id).await? {
                None => {
                    self.create_list(&id, purpose, status_size).await?;
                    return Ok(id);
                }
                Some(row) if store.entries_used(&id).await? < row.entries / 2 => return Ok(id),
                Some(_) => n += 1,
            }
        }
    }

    async fn create_list(
        &self,
        id: &str,
        purpose: StatusPurpose,
        status_size: u8,
    ) -> Result<(), ListError> {
        let bits = Bitstring::new(MIN_ENTRIES, status_size).map_err(ListError::Bits)?;
        self.refresh_key().await?;
        let document = self.sign_list(id, purpose, &bits)?;
        self.store()
            .ensure_status_list(&StatusListRow {
                id: id.to_owned(),
                purpose: purpose.as_str().parse()?,
                entries: MIN_ENTRIES as i64,
                status_size: i64::from(status_size),
                bits: bits.as_bytes().to_vec(),
                document,
                updated_at: now().unix_timestamp(),
            })
            .await?;
        Ok(())
    }

    /// Re-signs every status list whose signed `id` is not its URL under the current
    /// `base_url` (the issuer moved: a new address, `hallmark serve --demo --listen`), so the
    /// lists named by badges issued from now on verify; the bits are kept. Badges issued
    /// before name the old URLs and no longer resolve there.
    pub(super) async fn resign_moved_lists(&self) -> Result<(), ListError> {
        let store = self.store();
        self.refresh_key().await?;
        for id in store.status_list_ids().await? {
            let url = self.list_url(&id);
            let resigned = store
                .resign_status_list(&id, now().unix_timestamp(), |row| {
                    let document: Value = serde_json::from_str(&row.document).unwrap_or_default();
                    if document["id"] == url.as_str() {
                        return Ok(None);
                    }
                    let purpose = StatusPurpose::parse(row.purpose.as_str())?;
                    let bits = Bitstring::from_bytes(row.bits.clone());
                    Ok(Some(self.sign_list(&row.id, purpose, &bits)?))
                })
                .await?;
            if resigned {
                tracing::warn!(
                    "status list {id} re-signed as {url}: the issuer's base_url changed; badges issued before name the old URL"
                );
            }
        }
        Ok(())
    }

    /// The signed status list credential for `bits`, as JSON text. CPU work (rdfc): callers
    /// on the async threads keep lists small or run it on the pool.
    pub(crate) fn sign_list(
        &self,
        id: &str,
        purpose: StatusPurpose,
        bits: &Bitstring,
    ) -> Result<String, SignError> {
        let spec = StatusListSpec {
            url: self.list_url(id),
            issuer: self.keys().issuer().to_owned(),
            purpose,
            valid_from: now(),
            valid_until: None,
            ttl_ms: Some(self.config().status_ttl_seconds.saturating_mul(1000)),
        };
        let unsigned = spec.build(bits)?;
        let signed = self.sign(unsigned.into_map(), self.config().cryptosuite)?;
        Ok(serde_json::to_string(&signed)?)
    }

    /// Re-signs, with the current key, every status list whose proof names another key
    /// (after `hallmark key rotate` or `key revoke`), each in its own transaction; the bits
    /// are kept. Returns the ids of the lists re-signed.
    ///
    /// # Errors
    /// [`ListError`]: the registry, the database, or signing.
    pub async fn resign_lists_with_current_key(&self) -> Result<Vec<String>, ListError> {
        self.refresh_key().await?;
        let key = self.keys().key().ok_or(SignError::NoKey)?;
        let current = key.public_key().to_multibase().as_str().to_owned();
        let store = self.store();
        let mut resigned = Vec::new();
        for id in store.status_list_ids().await? {
            let done = store
                .resign_status_list(&id, now().unix_timestamp(), |row| {
                    if hallmark_store::signer_of(&row.document).as_deref() == Some(current.as_str())
                    {
                        return Ok(None);
                    }
                    let purpose = StatusPurpose::parse(row.purpose.as_str())?;
                    let bits = Bitstring::from_bytes(row.bits.clone());
                    Ok(Some(self.sign_list(&row.id, purpose, &bits)?))
                })
                .await?;
            if done {
                resigned.push(id);
            }
        }
        Ok(resigned)
    }

    /// Reads the current key from the registry (loading its file when another process
    /// rotated), so what is signed next is signed with it. One indexed read.
    pub(crate) async fn refresh_key(&self) -> Result<(), KeysError> {
        self.keys().refresh(self.store()).await
    }

    /// Signs a credential with the issuer's current key (VC-DI-EdDSA §3.2 or §3.3), as last
    /// read from the registry ([`Issuer::refresh_key`], which async callers run first).
    pub(crate) fn sign(
        &self,
        credential: Map<String, Value>,
        cryptosuite: Cryptosuite,
    ) -> Result<Map<String, Value>, SignError> {
        let key = self.keys().key().ok_or(SignError::NoKey)?;
        let options = hallmark_core::proof::ProofOptions {
            cryptosuite,
            verification_method: self.keys().method_id(&key.public_key()),
            proof_purpose: hallmark_core::did::Relationship::AssertionMethod,
            created: Some(now()),
        };
        Ok(hallmark_core::proof::sign(
            credential,
            &options,
            key.secret_key(),
        )?)
    }
}
