//! The issuer's keys. The key registry in the store (`hallmark_store::KeyRow`) says which
//! key is current (signs), which are retired (no longer sign, but stay in the did:web
//! document so what they signed still verifies) and which are revoked (removed from it); the
//! secrets stay in files in the keys folder, named by the registry. An empty registry (an
//! existing deployment) is filled from `issuer.json` (current) and `retired/*.json`.
//!
//! Several issuer processes may share the database: before signing, a process reads the
//! current key from the registry ([`IssuerKeys::refresh`]), so a rotation made elsewhere
//! (`hallmark key rotate`) is followed at once; loaded secrets are cached by public key.
//! Keys are never logged: [`IssuerKeys`] prints only public material.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use hallmark_core::did::{method_of, Did, VerificationMethodId};
use hallmark_core::keys::{KeyError, KeyFile, PublicKey};
use hallmark_store::{KeyRow, KeyState, Store, StoreError};
use serde_json::{json, Value};

/// Why the keys could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeysError {
    /// A key file could not be read.
    #[error("keys: cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A key file is not a valid key.
    #[error("keys: {}: {source}", path.display())]
    Key {
        /// The file.
        path: PathBuf,
        /// Why.
        source: KeyError,
    },
    /// A key file holds another key than the registry names for it.
    #[error("keys: {} holds {found}, but the key registry names it for {expected} (rotate with `hallmark key rotate`, not by replacing key files)", path.display())]
    OtherKey {
        /// The file.
        path: PathBuf,
        /// The registry's public key (`publicKeyMultibase`).
        expected: String,
        /// The file's public key.
        found: String,
    },
    /// A registered key's file is not a path inside the keys folder.
    #[error("keys: the registry names the key file {file:?}, which is not inside the keys folder")]
    OutsideKeysFolder {
        /// The file as registered.
        file: String,
    },
    /// `issuer_id` is a did:key other than the signing key's.
    #[error("keys: issuer_id {issuer} is a did:key, but the current key is {key_did}; a did:key cannot rotate: move the issuer to did:web")]
    OtherDidKey {
        /// The configured issuer.
        issuer: String,
        /// The did:key of the current key.
        key_did: String,
    },
    /// The registry names no current key.
    #[error("keys: the key registry has no current key; run `hallmark key rotate` to make one")]
    NoCurrentKey,
    /// The key registry could not be read or written.
    #[error("keys: the key registry: {0}")]
    Store(#[from] StoreError),
}

/// Reads and parses a key file.
pub(crate) fn read_key_file(path: &Path) -> Result<KeyFile, KeysError> {
    let bytes = std::fs::read(path).map_err(|source| KeysError::Read {
        path: path.to_owned(),
        source,
    })?;
    KeyFile::from_json(&bytes).map_err(|source| KeysError::Key {
        path: path.to_owned(),
        source,
    })
}

/// The issuer's identifier, keys folder, and the key it signs with now.
pub struct IssuerKeys {
    issuer: String,
    dir: PathBuf,
    /// The current key (as last read from the registry; before that, `issuer.json`).
    current: RwLock<Option<Arc<KeyFile>>>,
    /// Secrets loaded so far, by `publicKeyMultibase` (a few keys over a lifetime).
    loaded: Mutex<HashMap<String, Arc<KeyFile>>>,
}

impl std::fmt::Debug for IssuerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerKeys")
            .field("issuer", &self.issuer)
            .field("public", &self.key().map(|k| k.public_key().to_multibase()))
            .finish_non_exhaustive()
    }
}

impl IssuerKeys {
    /// The keys of folder `dir` before the registry is read: the issuer is `issuer_id`, or
    /// the `did:key` of `dir/issuer.json` (a did:key issuer has that one key). Until
    /// [`IssuerKeys::attach`], `issuer.json` (when readable) signs: what an existing database
    /// needs repaired before its migrations can finish was signed in its time.
    ///
    /// # Errors
    /// [`KeysError`] naming `issuer.json` when the issuer is not a did:web and it cannot be
    /// read; a did:key `issuer_id` that is not its key.
    pub fn new(dir: &Path, issuer_id: Option<&str>) -> Result<Self, KeysError> {
        let web = issuer_id.is_some_and(|i| method_of(i) == Some("web"));
        let first = match read_key_file(&dir.join("issuer.json")) {
            Ok(key) => Some(Arc::new(key)),
            Err(_) if web => None,
            Err(e) => return Err(e),
        };
        let issuer = match (&first, issuer_id) {
            (_, Some(id)) => id.to_owned(),
            (Some(key), None) => Did::key(&key.public_key()).to_string(),
            // Read above: only a did:web issuer goes on without issuer.json.
            (None, None) => return Err(KeysError::NoCurrentKey),
        };
        if let (Some(key), Some("key")) = (&first, method_of(&issuer)) {
            let key_did = Did::key(&key.public_key()).to_string();
            if issuer != key_did {
                return Err(KeysError::OtherDidKey { issuer, key_did });
            }
        }
        Ok(Self {
            issuer,
            dir: dir.to_owned(),
            current: RwLock::new(first),
            loaded: Mutex::new(HashMap::new()),
        })
    }

    /// Attaches the registry of `store` (migrated): fills it when empty from `issuer.json`
    /// (current) and `retired/*.json` (retired), registered at `now`, then loads the
    /// current key's file.
    ///
    /// # Errors
    /// [`KeysError`] naming the file, a did:key issuer whose current key is another, or the
    /// registry.
    pub async fn attach(&self, store: &Store, now: i64) -> Result<(), KeysError> {
        if store.current_key().await?.is_none() && store.issuer_keys().await?.is_empty() {
            store
                .fill_key_registry(&existing_keys(&self.dir, now)?)
                .await?;
        }
        self.refresh(store).await
    }

    /// Reads the current key from the registry and, when another process rotated, loads its
    /// file (cached by public key). Called before signing, so a key that is no longer current
    /// signs nothing more.
    ///
    /// # Errors
    /// [`KeysError::NoCurrentKey`], the key's file missing on this host (named), or the
    /// registry.
    pub async fn refresh(&self, store: &Store) -> Result<(), KeysError> {
        let row = store.current_key().await?.ok_or(KeysError::NoCurrentKey)?;
        if self
            .key()
            .is_some_and(|k| k.public_key().to_multibase().as_str() == row.public_key)
        {
            return Ok(());
        }
        let cached = self
            .loaded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&row.public_key)
            .cloned();
        let key = match cached {
            Some(key) => key,
            None => {
                let key = Arc::new(load_row(&self.dir, &row)?);
                self.loaded
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(row.public_key.clone(), Arc::clone(&key));
                key
            }
        };
        let key_did = Did::key(&key.public_key()).to_string();
        if method_of(&self.issuer) == Some("key") && self.issuer != key_did {
            // A did:key is its one key: the registry cannot move it (`key rotate` refuses).
            return Err(KeysError::OtherDidKey {
                issuer: self.issuer.clone(),
                key_did,
            });
        }
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        if current.is_some() {
            tracing::info!("signing with key {} from now on", row.public_key);
        }
        *current = Some(key);
        Ok(())
    }

    /// The issuer DID.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The keys folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the issuer is a did:web (whose keys can rotate).
    pub fn is_did_web(&self) -> bool {
        method_of(&self.issuer) == Some("web")
    }

    /// The signing key file, as last read from the registry ([`IssuerKeys::refresh`]);
    /// `None` only for a did:web issuer without `issuer.json` before the registry is read.
    pub fn key(&self) -> Option<Arc<KeyFile>> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The verification method of a key: `did:key:X#X`, or `{did:web}#{publicKeyMultibase}`.
    pub fn method_id(&self, key: &PublicKey) -> VerificationMethodId {
        let id = format!(
            "{}#{}",
            if method_of(&self.issuer) == Some("key") {
                Did::key(key).to_string()
            } else {
                self.issuer.clone()
            },
            key.to_multibase()
        );
        VerificationMethodId::parse(&id)
            .unwrap_or_else(|_| unreachable!("a DID URL with a fragment is an absolute URL"))
    }

    /// The verification method of a registered key (by its `publicKeyMultibase`).
    pub fn method_id_of(&self, public_key: &str) -> String {
        match PublicKey::from_multibase(public_key) {
            Ok(key) => self.method_id(&key).as_str().to_owned(),
            Err(_) => format!("{}#{public_key}", self.issuer),
        }
    }

    /// The current signing method, if a key is loaded.
    pub fn current_method(&self) -> Option<VerificationMethodId> {
        self.key().map(|k| self.method_id(&k.public_key()))
    }

    /// The did:web DID document (did:web §3.2) of the registered `keys`: the current and
    /// retired ones as Multikeys (current first), all in `assertionMethod`; revoked keys are
    /// left out. `None` for a did:key issuer.
    pub fn did_document(&self, keys: &[KeyRow]) -> Option<Value> {
        if !self.is_did_web() {
            return None;
        }
        let mut live: Vec<&KeyRow> = keys
            .iter()
            .filter(|k| k.state != KeyState::Revoked)
            .collect();
        live.sort_by_key(|k| {
            (
                k.state != KeyState::Current,
                std::cmp::Reverse(k.created_at),
            )
        });
        let methods: Vec<Value> = live
            .iter()
            .map(|k| json!({"id": self.method_id_of(&k.public_key), "type": "Multikey", "controller": self.issuer, "publicKeyMultibase": k.public_key}))
            .collect();
        let ids: Vec<Value> = methods.iter().map(|m| m["id"].clone()).collect();
        Some(json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": self.issuer,
            "verificationMethod": methods,
            "assertionMethod": ids,
            "authentication": ids,
        }))
    }
}

/// An existing deployment's keys, for an empty registry: `issuer.json` current,
/// `retired/*.json` retired (in name order), all registered at `now`.
fn existing_keys(dir: &Path, now: i64) -> Result<Vec<KeyRow>, KeysError> {
    let row = |file: String, state: KeyState| -> Result<KeyRow, KeysError> {
        let key = read_key_file(&dir.join(&file))?;
        Ok(KeyRow {
            public_key: key.public_key().to_multibase().as_str().to_owned(),
            state,
            file,
            created_at: now,
            retired_at: (state == KeyState::Retired).then_some(now),
            revoked_at: None,
            revocation_reason: None,
        })
    };
    let mut keys = vec![row("issuer.json".into(), KeyState::Current)?];
    if let Ok(entries) = std::fs::read_dir(dir.join("retired")) {
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".json"))
            .collect();
        names.sort();
        for name in names {
            let retired = row(format!("retired/{name}"), KeyState::Retired)?;
            if keys.iter().all(|k| k.public_key != retired.public_key) {
                keys.push(retired);
            }
        }
    }
    Ok(keys)
}

/// Loads a registered key's file, checking it holds that key. The file is named relative to
/// the keys folder and must stay in it (no absolute path, no `..`): a registry row changed
/// in the database cannot make the issuer read a key from elsewhere.
fn load_row(dir: &Path, row: &KeyRow) -> Result<KeyFile, KeysError> {
    let relative = Path::new(&row.file);
    let inside = relative
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !inside || row.file.is_empty() {
        return Err(KeysError::OutsideKeysFolder {
            file: row.file.clone(),
        });
    }
    let path = dir.join(relative);
    let key = read_key_file(&path)?;
    let found = key.public_key().to_multibase().as_str().to_owned();
    if found != row.public_key {
        return Err(KeysError::OtherKey {
            path,
            expected: row.public_key.clone(),
            found,
        });
    }
    Ok(key)
}
