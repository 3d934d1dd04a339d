//! The issuer's key life (`hallmark key rotate|revoke|list`): a rotation makes a new current
//! key (its secret in a new file of the keys folder, mode 0600) and retires the old one, which
//! stays in the did:web document so what it signed still verifies but never signs again; a
//! revocation removes a retired key from the document, so what it signed fails. Status lists
//! are re-signed with the current key after either.

use std::io::Write;
use std::path::PathBuf;

use hallmark_core::keys::{KeyFile, SecretKey};
use hallmark_store::{KeyRow, KeyState, StoreError, Taken};
use serde_json::json;

use super::{audit, now, Issuer, ListError, RandomnessError};

/// Why a key could not be rotated or revoked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyChangeError {
    /// Badges are issued again only for a revoked key.
    #[error("key {key} is not revoked: revoke it first (hallmark key revoke KEY --reason …)")]
    NotRevoked {
        /// The key.
        key: String,
    },
    /// The issuer is a did:key: its identifier is its one key.
    #[error("the issuer {issuer} is a did:key, which is its one key and cannot rotate; move the issuer to did:web (issuer_id = \"did:web:your.domain\") to rotate keys")]
    DidKey {
        /// The issuer.
        issuer: String,
    },
    /// No registered key matches.
    #[error("no key of this issuer matches {given:?}; `hallmark key list` shows them")]
    NoSuchKey {
        /// What was given.
        given: String,
    },
    /// Several registered keys match the prefix.
    #[error("{given:?} matches {count} keys; give more of it")]
    Ambiguous {
        /// What was given.
        given: String,
        /// How many keys match.
        count: usize,
    },
    /// The key to revoke is the current one.
    #[error("key {key} is the current key; rotate first (`hallmark key rotate`), then revoke it")]
    Current {
        /// The key.
        key: String,
    },
    /// The key is revoked already.
    #[error("key {key} is revoked already")]
    AlreadyRevoked {
        /// The key.
        key: String,
    },
    /// The key's state changed meanwhile (another process rotated or revoked).
    #[error("key {key} changed meanwhile (another process); run the command again")]
    Changed {
        /// The key.
        key: String,
    },
    /// No reason was given for a revocation.
    #[error("a reason is required (e.g. --reason compromised); it is kept privately")]
    NoReason,
    /// The new key's file could not be written.
    #[error("cannot write the new key file {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// No system randomness for the new key.
    #[error(transparent)]
    Randomness(#[from] RandomnessError),
    /// Re-signing the status lists failed (the key change itself is committed).
    #[error("the key changed, but re-signing the status lists failed: {0}")]
    Lists(#[from] ListError),
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A registered key with what the list shows of it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyInfo {
    /// The registry's row (public data).
    #[serde(flatten)]
    pub row: KeyRow,
    /// Its verification method id (`did:web:…#z6Mk…`).
    pub method: String,
    /// How many credentials it signed.
    pub signed: i64,
}

/// What a rotation did.
#[derive(Debug, Clone)]
pub struct Rotated {
    /// The key retired.
    pub retired: KeyRow,
    /// The new current key.
    pub current: KeyRow,
    /// The new key's file.
    pub file: PathBuf,
    /// The status lists re-signed with the new key.
    pub lists: Vec<String>,
}

/// What a revocation did.
#[derive(Debug, Clone)]
pub struct Revoked {
    /// The key, now revoked.
    pub key: KeyRow,
    /// The URLs of the credentials it signed (they no longer verify).
    pub credentials: Vec<String>,
    /// The status lists re-signed with the current key (those it had signed).
    pub lists: Vec<String>,
}

impl Issuer {
    /// Every registered key, oldest first, with its method id and how many credentials it
    /// signed.
    ///
    /// # Errors
    /// The database.
    pub async fn key_list(&self) -> Result<Vec<KeyInfo>, StoreError> {
        let counts = self.store().signed_counts().await?;
        Ok(self
            .store()
            .issuer_keys()
            .await?
            .into_iter()
            .map(|row| KeyInfo {
                method: self.keys().method_id_of(&row.public_key),
                signed: counts
                    .iter()
                    .find(|(k, _)| *k == row.public_key)
                    .map_or(0, |(_, n)| *n),
                row,
            })
            .collect())
    }

    /// Rotates the issuer's key, as `actor`: a new Ed25519 key written to
    /// `keys/key-<time>-<public key prefix>.json` (mode 0600, never overwritten), registered
    /// as current while the current key is retired (one transaction, audit `key.rotate`),
    /// then every status list re-signed with it, each in its own transaction. Running
    /// processes sign with the new key from their next signing on.
    ///
    /// # Errors
    /// [`KeyChangeError::DidKey`] for a did:key issuer; the file, the database, or signing.
    pub async fn rotate_key(&self, actor: &str) -> Result<Rotated, KeyChangeError> {
        if !self.keys().is_did_web() {
            return Err(KeyChangeError::DidKey {
                issuer: self.keys().issuer().to_owned(),
            });
        }
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(RandomnessError)?;
        let key = KeyFile::new(SecretKey::from_seed(&seed));
        seed.fill(0);
        let public = key.public_key().to_multibase().as_str().to_owned();
        let at = now();
        let name = format!(
            "key-{}-{}.json",
            at.unix_timestamp(),
            public.chars().skip(4).take(8).collect::<String>()
        );
        let path = self.keys().dir().join(&name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        options
            .open(&path)
            .and_then(|mut f| {
                f.write_all(key.to_json().expose().as_bytes())?;
                f.sync_all()
            })
            .map_err(|source| KeyChangeError::Write {
                path: path.clone(),
                source,
            })?;
        let row = KeyRow {
            public_key: public.clone(),
            state: KeyState::Current,
            file: name,
            created_at: at.unix_timestamp(),
            retired_at: None,
            revoked_at: None,
            revocation_reason: None,
        };
        let entry = audit(actor, "key.rotate", &public, json!({"file": row.file}));
        let retired = match self
            .store()
            .rotate_key(&row, at.unix_timestamp(), &entry)
            .await
        {
            Ok(retired) => retired,
            Err(e) => {
                // Not registered: the file is of no use.
                let _ = std::fs::remove_file(&path);
                return Err(match e {
                    StoreError::Conflict {
                        taken: Taken::Other(_) | Taken::Id(_),
                        ..
                    } => KeyChangeError::Changed { key: public },
                    e => e.into(),
                });
            }
        };
        let lists = self.resign_lists_with_current_key().await?;
        Ok(Rotated {
            retired,
            current: row,
            file: path,
            lists,
        })
    }

    /// Revokes a retired key, as `actor`, for the private `reason`: it leaves the did:web
    /// document, so every credential it signed fails verification (listed in the answer),
    /// and status lists it signed are re-signed with the current key. `key` is a method id
    /// (`did:web:…#z6Mk…`), a `publicKeyMultibase`, or a prefix of one matching one key.
    ///
    /// # Errors
    /// [`KeyChangeError`]: no such key, several, the current key, revoked already, no
    /// reason, or the database.
    pub async fn revoke_key(
        &self,
        actor: &str,
        key: &str,
        reason: &str,
    ) -> Result<Revoked, KeyChangeError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(KeyChangeError::NoReason);
        }
        let row = self.find_key(key).await?;
        match row.state {
            KeyState::Current => {
                return Err(KeyChangeError::Current {
                    key: row.public_key,
                })
            }
            KeyState::Revoked => {
                return Err(KeyChangeError::AlreadyRevoked {
                    key: row.public_key,
                })
            }
            KeyState::Retired => {}
        }
        let at = now().unix_timestamp();
        let entry = audit(
            actor,
            "key.revoke",
            &row.public_key,
            json!({"reason": reason}),
        );
        if !self
            .store()
            .revoke_key(&row.public_key, reason, at, &entry)
            .await?
        {
            return Err(KeyChangeError::Changed {
                key: row.public_key,
            });
        }
        let credentials = self
            .store()
            .credentials_signed_by(&row.public_key)
            .await?
            .iter()
            .map(|id| self.credential_url(id))
            .collect();
        let lists = self.resign_lists_with_current_key().await?;
        let mut key = row;
        key.state = KeyState::Revoked;
        key.revoked_at = Some(at);
        key.revocation_reason = Some(reason.to_owned());
        Ok(Revoked {
            key,
            credentials,
            lists,
        })
    }

    /// The registered key `given` names: a method id, a multibase, or a unique prefix.
    /// Issues again, with the current key, every badge revoked key `key` signed that is
    /// still current (neither revoked nor expired), each superseding the old one
    /// ([`Issuer::reissue`]); `key` is found as [`Issuer::revoke_key`] finds it and must be
    /// revoked. Returns each badge's id with its re-issue or why it was skipped or failed.
    ///
    /// # Errors
    /// [`KeyChangeError`]: an unknown or ambiguous key, a key not revoked, the database.
    pub async fn reissue_signed_by(
        &self,
        actor: &str,
        key: &str,
    ) -> Result<Vec<(String, Result<super::Approved, super::ReissueError>)>, KeyChangeError> {
        let row = self.find_key(key).await?;
        if row.state != KeyState::Revoked {
            return Err(KeyChangeError::NotRevoked {
                key: row.public_key,
            });
        }
        let mut out = Vec::new();
        for id in self.store().credentials_signed_by(&row.public_key).await? {
            let result = self.reissue(actor, &id).await;
            out.push((id, result));
        }
        Ok(out)
    }

    async fn find_key(&self, given: &str) -> Result<KeyRow, KeyChangeError> {
        let wanted = given.rsplit_once('#').map_or(given, |(_, f)| f).trim();
        let keys = self.store().issuer_keys().await?;
        if let Some(k) = keys.iter().find(|k| k.public_key == wanted) {
            return Ok(k.clone());
        }
        let matching: Vec<&KeyRow> = if wanted.is_empty() {
            Vec::new()
        } else {
            keys.iter()
                .filter(|k| k.public_key.starts_with(wanted))
                .collect()
        };
        match matching.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(KeyChangeError::NoSuchKey {
                given: given.to_owned(),
            }),
            many => Err(KeyChangeError::Ambiguous {
                given: given.to_owned(),
                count: many.len(),
            }),
        }
    }
}
