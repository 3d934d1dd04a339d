//! The issuer's status lists (Bitstring Status List 1.0) and its signing: which list a new
//! credential's entry goes in, new lists, lists re-signed when `base_url` moves, and the one
//! place credentials and lists are signed with the current key.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

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

/// How long an instance uses its remembered current list before counting its entries again:
/// other instances sharing the database fill it too.
const RECOUNT_AFTER: Duration = Duration::from_secs(1);

/// Of the entries left before a list counts as full, the share one instance hands out
/// between counts (an eighth), so several instances together overshoot the fill ratio by
/// little; at least one, so a nearly full list is counted before every draw.
const HANDOUT_SHARE: i64 = 8;

/// The current list of each purpose and entry size, as this process last counted it, so an
/// issuance does not count a list's entries every time ([`Issuer::current_list`]).
#[derive(Debug, Default)]
pub(crate) struct CurrentLists {
    known: Mutex<HashMap<(StatusPurpose, u8), Current>>,
}

/// A current list as last counted.
#[derive(Debug, Clone)]
struct Current {
    /// Its number: the list's id is derived from it ([`list_id`]).
    n: u64,
    /// Its entries.
    entries: i64,
    /// The entries in use when counted.
    used: i64,
    /// When counted.
    counted: Instant,
    /// Draws handed out by this process since.
    handed: i64,
}

/// The id of list number `n` of `purpose` with entries of `status_size` bits:
/// `revocation-1`, `message-3bit-2`… Deterministic, so instances sharing a database that open
/// the next list at once open the same one ([`hallmark_store::Store::ensure_status_list`]
/// keeps the first).
pub(crate) fn list_id(purpose: StatusPurpose, status_size: u8, n: u64) -> String {
    // Entries of several bits (a "message" list) get lists of their own.
    match status_size {
        1 => format!("{}-{n}", purpose.as_str()),
        bits => format!("{}-{bits}bit-{n}", purpose.as_str()),
    }
}

/// The entries in use at which a list of `entries` counts as full for `fill` (a share in
/// (0, 0.9]): at least one.
pub(crate) fn full_at(entries: i64, fill: f64) -> i64 {
    // Lists have 2^17 entries: exact in f64.
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    let at = (entries as f64 * fill).ceil() as i64;
    at.clamp(1, entries)
}

impl Issuer {
    /// The list new badges get entries in for `purpose` (entries of `status_size` bits) and
    /// its number of entries: the newest list while less than `status_list_fill` of its
    /// entries are used, else the next one, created. Indexes are drawn uniformly at random
    /// over the whole list, whichever its fill.
    ///
    /// The list is remembered and its entries counted again after [`RECOUNT_AFTER`] or once
    /// this process handed out an eighth of what was left, so issuance does not count every
    /// time; another instance on the same database moves on at most that late, and lists are
    /// only ever added, so every instance converges on the same newest list.
    ///
    /// # Errors
    /// [`ListError`]: the database, or signing a new list.
    pub async fn current_list(
        &self,
        purpose: StatusPurpose,
        status_size: u8,
    ) -> Result<(String, i64), ListError> {
        let key = (purpose, status_size);
        let fill = self.config().status_list_fill;
        let mut n = 1;
        {
            let mut known = self
                .inner
                .lists
                .known
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(c) = known.get_mut(&key) {
                let budget = ((full_at(c.entries, fill) - c.used) / HANDOUT_SHARE).max(1);
                if c.handed < budget && c.counted.elapsed() < RECOUNT_AFTER {
                    c.handed += 1;
                    return Ok((list_id(purpose, status_size, c.n), c.entries));
                }
                // Lists only fill up: the ones before it are full still.
                n = c.n;
            }
        }
        let store = self.store();
        loop {
            let id = list_id(purpose, status_size, n);
            let (entries, used) = match store.status_list(&id).await? {
                None => {
                    self.create_list(&id, purpose, status_size).await?;
                    // Another instance may have created it first, with entries in use since.
                    let entries = store
                        .status_list(&id)
                        .await?
                        .map_or(MIN_ENTRIES as i64, |r| r.entries);
                    (
                        entries,
                        store.slots_used(&id, purpose.as_str().parse()?).await?,
                    )
                }
                Some(row) => (
                    row.entries,
                    store.slots_used(&id, purpose.as_str().parse()?).await?,
                ),
            };
            if used < full_at(entries, fill) {
                let current = Current {
                    n,
                    entries,
                    used,
                    counted: Instant::now(),
                    handed: 1,
                };
                self.inner
                    .lists
                    .known
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(key, current);
                return Ok((id, entries));
            }
            n += 1;
        }
    }

    /// Forgets the remembered current list of `purpose` and `status_size`, so the next
    /// [`Issuer::current_list`] counts again (its free indexes were hard to find).
    pub(crate) fn recount_list(&self, purpose: StatusPurpose, status_size: u8) {
        if let Some(c) = self
            .inner
            .lists
            .known
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(&(purpose, status_size))
        {
            c.handed = i64::MAX;
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
