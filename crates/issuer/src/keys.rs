//! The issuer's keys: `issuer.json` in the keys folder signs; `retired/*.json` are keys that
//! no longer sign but stay in the did:web document so the badges they signed still verify.
//! Keys are never logged: [`IssuerKeys`] prints only public material.

use std::path::{Path, PathBuf};

use hallmark_core::did::{method_of, Did, VerificationMethodId};
use hallmark_core::keys::{KeyError, KeyFile, PublicKey};
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
    /// `issuer_id` is a did:key other than the signing key's.
    #[error("keys: issuer_id {issuer} is a did:key, but issuer.json holds {key_did}")]
    OtherDidKey {
        /// The configured issuer.
        issuer: String,
        /// The did:key of `issuer.json`.
        key_did: String,
    },
}

/// The issuer's signing key and identifiers.
pub struct IssuerKeys {
    current: KeyFile,
    retired: Vec<PublicKey>,
    issuer: String,
}

impl std::fmt::Debug for IssuerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerKeys")
            .field("issuer", &self.issuer)
            .field("public", &self.current.public_key().to_multibase())
            .field("retired", &self.retired.len())
            .finish_non_exhaustive()
    }
}

impl IssuerKeys {
    /// Loads `dir/issuer.json` and `dir/retired/*.json`. The issuer is `issuer_id`, or the
    /// current key's `did:key`.
    ///
    /// # Errors
    /// [`KeysError`] naming the file.
    pub fn load(dir: &Path, issuer_id: Option<&str>) -> Result<Self, KeysError> {
        let read = |path: &Path| -> Result<KeyFile, KeysError> {
            let bytes = std::fs::read(path).map_err(|source| KeysError::Read {
                path: path.to_owned(),
                source,
            })?;
            KeyFile::from_json(&bytes).map_err(|source| KeysError::Key {
                path: path.to_owned(),
                source,
            })
        };
        let current = read(&dir.join("issuer.json"))?;
        let mut retired = Vec::new();
        if let Ok(entries) = std::fs::read_dir(dir.join("retired")) {
            let mut paths: Vec<_> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            paths.sort();
            for path in paths {
                retired.push(read(&path)?.public_key());
            }
        }
        let key_did = Did::key(&current.public_key()).to_string();
        let issuer = issuer_id.map_or(key_did.clone(), str::to_owned);
        if method_of(&issuer) == Some("key") && issuer != key_did {
            return Err(KeysError::OtherDidKey { issuer, key_did });
        }
        Ok(Self {
            current,
            retired,
            issuer,
        })
    }

    /// The issuer DID.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The signing key file.
    pub fn key(&self) -> &KeyFile {
        &self.current
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

    /// The current signing method.
    pub fn current_method(&self) -> VerificationMethodId {
        self.method_id(&self.current.public_key())
    }

    /// The did:web DID document (did:web §3.2): current and retired keys as Multikeys, all in
    /// `assertionMethod`; `None` for a did:key issuer.
    pub fn did_document(&self) -> Option<Value> {
        if method_of(&self.issuer) != Some("web") {
            return None;
        }
        let keys = std::iter::once(self.current.public_key()).chain(self.retired.iter().copied());
        let methods: Vec<Value> = keys
            .map(|k| json!({"id": self.method_id(&k).as_str(), "type": "Multikey", "controller": self.issuer, "publicKeyMultibase": k.to_multibase().as_str()}))
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
