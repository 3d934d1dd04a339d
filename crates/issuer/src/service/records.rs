//! Reading what the issuer keeps: credentials, status lists, the audit log, the DID document.

use hallmark_store::{
    AuditEntry, AuditFilter, CredentialFilter, CredentialRow, PageRequest, StatusListRow,
    StoreError,
};
use serde_json::Value;

use super::Issuer;

/// Why a record could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LookupError {
    /// No partner with this id.
    #[error("no partner {id}")]
    Partner {
        /// The id asked for.
        id: String,
    },
    /// No approval with this id.
    #[error("no approval {id}")]
    Approval {
        /// The id asked for.
        id: String,
    },
    /// No credential with this id.
    #[error("no credential {id}")]
    Credential {
        /// The id asked for.
        id: String,
    },
    /// No status list with this id.
    #[error("no status list {id}")]
    StatusList {
        /// The id asked for.
        id: String,
    },
    /// The issuer is not a `did:web`, so it has no DID document to publish.
    #[error("the issuer is {issuer}, not a did:web: there is no DID document to serve")]
    NoDidDocument {
        /// The issuer's DID.
        issuer: String,
    },
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How many rows a listing returns: 1 to 1000, 100 by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u32);

impl PageSize {
    /// `limit` clamped to 1–1000; 100 when `None`.
    pub fn new(limit: Option<i64>) -> Self {
        Self(u32::try_from(limit.unwrap_or(100).clamp(1, 1000)).unwrap_or(100))
    }

    /// The rows asked for.
    pub fn get(self) -> u32 {
        self.0
    }

    fn first(self) -> PageRequest {
        PageRequest::first(self.0)
    }
}

impl Issuer {
    /// The newest credentials issued, with their status.
    ///
    /// # Errors
    /// The database.
    pub async fn credentials(&self, size: PageSize) -> Result<Vec<CredentialRow>, StoreError> {
        Ok(self
            .store()
            .credentials(&CredentialFilter::default(), &size.first())
            .await?
            .items)
    }

    /// A credential by its uuid.
    ///
    /// # Errors
    /// [`LookupError::Credential`] when there is none, or the database.
    pub async fn credential(&self, id: &str) -> Result<CredentialRow, LookupError> {
        self.store()
            .credential(id)
            .await?
            .ok_or_else(|| LookupError::Credential { id: id.to_owned() })
    }

    /// A status list by id, with its signed document.
    ///
    /// # Errors
    /// [`LookupError::StatusList`] when there is none, or the database.
    pub async fn status_list(&self, id: &str) -> Result<StatusListRow, LookupError> {
        self.store()
            .status_list(id)
            .await?
            .ok_or_else(|| LookupError::StatusList { id: id.to_owned() })
    }

    /// The newest audit entries.
    ///
    /// # Errors
    /// The database.
    pub async fn audit_log(&self, size: PageSize) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(self
            .store()
            .audit_log(&AuditFilter::default(), &size.first())
            .await?
            .items)
    }

    /// The did:web document: the current and retired keys of the registry (revoked keys
    /// left out).
    ///
    /// # Errors
    /// [`LookupError::NoDidDocument`] when the issuer is not a did:web.
    pub async fn did_document(&self) -> Result<Value, LookupError> {
        let none = || LookupError::NoDidDocument {
            issuer: self.keys().issuer().to_owned(),
        };
        if !self.keys().is_did_web() {
            return Err(none());
        }
        // Read per request: a rotation or revocation by another process shows at once.
        let keys = self.store().issuer_keys().await?;
        self.keys().did_document(&keys).ok_or_else(none)
    }

    /// The did:web document as served at `/.well-known/did.json` (and written by `hallmark
    /// publish`): its JSON text, byte for byte.
    ///
    /// # Errors
    /// As [`Issuer::did_document`].
    pub async fn did_document_text(&self) -> Result<String, LookupError> {
        Ok(self.did_document().await?.to_string())
    }
}
