//! The VC API issue operation (`POST /credentials/issue`): any credential the caller gives,
//! signed as this issuer, with the status entries `options.credentialStatus` asks for.

use hallmark_core::credential::{CredentialError, UnsignedCredential};
use hallmark_core::proof::{Cryptosuite, ProofError};
use hallmark_core::status::{StatusEntry, StatusListError, StatusPurpose};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::issuance::WantedStatus;
use super::{IssueError, Issued, Issuer};

/// The VC API's `options` of an issue request.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssueOptions {
    /// `eddsa-rdfc-2022` or `eddsa-jcs-2022`; default the issuer's.
    #[schema(pattern = "^eddsa-(rdfc|jcs)-2022$")]
    pub cryptosuite: Option<String>,
    /// One status request or an array of them: `{"statusPurpose": "revocation"}`,
    /// `"suspension"`, or `"message"` with `statusSize`, `statusMessage`, `statusReference`.
    pub credential_status: Option<Value>,
}

/// Why an `options.credentialStatus` request was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestedStatusError {
    /// An entry that is not a JSON object.
    #[error("options.credentialStatus entries must be objects")]
    NotAnObject,
    /// A `type` other than `BitstringStatusListEntry`.
    #[error("options.credentialStatus type {given} is not offered (BitstringStatusListEntry)")]
    Type {
        /// The type given.
        given: Value,
    },
    /// A purpose other than revocation, suspension or message.
    #[error("statusPurpose {} is not offered (revocation, suspension, message)", given.as_ref().map_or_else(|| "(not a string)".to_owned(), |o| format!("{o:?}")))]
    Purpose {
        /// The purpose given, when it is a string.
        given: Option<String>,
    },
    /// A member the request does not take.
    #[error("options.credentialStatus.{key} is not understood")]
    Unknown {
        /// The member.
        key: String,
    },
    /// The entry it would make is not valid (Bitstring Status List §2.1).
    #[error("options.credentialStatus: {0}")]
    Entry(#[source] StatusListError),
    /// `statusSize` or `statusMessage` for a purpose other than "message".
    #[error("options.credentialStatus: statusSize and statusMessage are for the \"message\" purpose, not {:?}", purpose.as_str())]
    NotMessage {
        /// The purpose asked for.
        purpose: StatusPurpose,
    },
    /// The same purpose asked for twice.
    #[error("options.credentialStatus asks for {:?} twice", purpose.as_str())]
    Twice {
        /// The purpose.
        purpose: StatusPurpose,
    },
}

/// Why a VC API issue request was refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VcIssueError {
    /// `credential` is not a JSON object.
    #[error("credential must be a JSON object")]
    NotAnObject,
    /// The credential names another issuer.
    #[error("this service issues as {issuer}, not {given}")]
    OtherIssuer {
        /// This service's issuer.
        issuer: String,
        /// The issuer given.
        given: Value,
    },
    /// `options.cryptosuite` is not one offered.
    #[error(transparent)]
    Cryptosuite(ProofError),
    /// `options.credentialStatus` was refused.
    #[error(transparent)]
    Status(#[from] RequestedStatusError),
    /// The credential has `credentialStatus` and the options ask for more.
    #[error("the credential already has credentialStatus; leave options.credentialStatus out")]
    StatusGivenTwice,
    /// The credential is not a valid VC (1.1 or 2.0).
    #[error(transparent)]
    Credential(#[from] CredentialError),
    /// Issuing failed.
    #[error(transparent)]
    Issue(#[from] IssueError),
}

impl Issuer {
    /// VC API issue: signs `credential` as this issuer (its `issuer` is filled in when
    /// missing and must be this issuer otherwise), with the status entries `options` ask for;
    /// a VC 1.1 credential gets the Data Integrity context (VC-DI §2.1).
    ///
    /// # Errors
    /// [`VcIssueError`], one variant per reason.
    pub async fn issue_vc(
        &self,
        actor: &str,
        credential: Value,
        options: &IssueOptions,
    ) -> Result<Issued, VcIssueError> {
        let Value::Object(mut credential) = credential else {
            return Err(VcIssueError::NotAnObject);
        };
        self.claim_issuer(&mut credential)?;
        let cryptosuite = match &options.cryptosuite {
            None => self.config().cryptosuite,
            Some(s) => s
                .parse::<Cryptosuite>()
                .map_err(VcIssueError::Cryptosuite)?,
        };
        let wanted = requested_statuses(options.credential_status.as_ref())?;
        if credential.contains_key("credentialStatus") && !wanted.is_empty() {
            return Err(VcIssueError::StatusGivenTwice);
        }
        add_data_integrity_context(&mut credential);
        // Check the shape before allocating anything.
        UnsignedCredential::any_version(Value::Object(credential.clone()))?;
        let issued = self
            .issue(actor, None, &wanted, cryptosuite, None, |_, entries| {
                with_status(&credential, entries)
            })
            .await?;
        Ok(issued)
    }

    /// Sets the credential's `issuer` to this issuer when missing; refuses another.
    fn claim_issuer(&self, credential: &mut Map<String, Value>) -> Result<(), VcIssueError> {
        let issuer = self.keys().issuer();
        match credential.get("issuer") {
            None => {
                credential.insert("issuer".into(), issuer.into());
            }
            Some(Value::String(id)) if id == issuer => {}
            Some(Value::Object(profile))
                if profile.get("id").and_then(Value::as_str) == Some(issuer) => {}
            Some(other) => {
                return Err(VcIssueError::OtherIssuer {
                    issuer: issuer.to_owned(),
                    given: other.clone(),
                })
            }
        }
        Ok(())
    }
}

/// The credential with its status entries, checked as a VC.
fn with_status(
    credential: &Map<String, Value>,
    entries: Vec<Value>,
) -> Result<Map<String, Value>, IssueError> {
    let mut c = credential.clone();
    match entries.len() {
        0 => {}
        1 => {
            c.insert("credentialStatus".into(), entries[0].clone());
        }
        _ => {
            c.insert("credentialStatus".into(), entries.into());
        }
    }
    Ok(UnsignedCredential::any_version(Value::Object(c))?.into_map())
}

/// A VC 1.1 credential's context does not define DataIntegrityProof: add the Data
/// Integrity context, as VC-DI §2.1 asks of documents whose contexts lack it.
fn add_data_integrity_context(credential: &mut Map<String, Value>) {
    const V1: &str = "https://www.w3.org/2018/credentials/v1";
    const DI: &str = "https://w3id.org/security/data-integrity/v2";
    if let Some(Value::Array(contexts)) = credential.get_mut("@context") {
        if contexts.first().and_then(Value::as_str) == Some(V1) && !contexts.iter().any(|c| c == DI)
        {
            contexts.push(DI.into());
        }
    }
}

/// The status entries `options.credentialStatus` asks for: one request or an array.
fn requested_statuses(
    requested: Option<&Value>,
) -> Result<Vec<WantedStatus>, RequestedStatusError> {
    let list: Vec<&Value> = match requested {
        None => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
    };
    let mut wanted: Vec<WantedStatus> = Vec::new();
    for s in list {
        let w = requested_status(s)?;
        if wanted.iter().any(|o| o.purpose == w.purpose) {
            return Err(RequestedStatusError::Twice { purpose: w.purpose });
        }
        wanted.push(w);
    }
    Ok(wanted)
}

/// Reads one VC API `options.credentialStatus` request: `statusPurpose` (revocation,
/// suspension or message; revocation when left out), and for "message" `statusSize` (1–8),
/// `statusMessage` (one per possible value) and `statusReference`, checked as a verifier
/// would check the entry they make.
fn requested_status(value: &Value) -> Result<WantedStatus, RequestedStatusError> {
    let obj = value.as_object().ok_or(RequestedStatusError::NotAnObject)?;
    if let Some(t) = obj.get("type") {
        if t != "BitstringStatusListEntry" {
            return Err(RequestedStatusError::Type { given: t.clone() });
        }
    }
    let purpose = match obj.get("statusPurpose").map(Value::as_str) {
        None | Some(Some("revocation")) => StatusPurpose::Revocation,
        Some(Some("suspension")) => StatusPurpose::Suspension,
        Some(Some("message")) => StatusPurpose::Message,
        Some(other) => {
            return Err(RequestedStatusError::Purpose {
                given: other.map(str::to_owned),
            })
        }
    };
    let allowed = [
        "type",
        "statusPurpose",
        "statusSize",
        "statusMessage",
        "statusReference",
    ];
    if let Some(k) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(RequestedStatusError::Unknown { key: k.clone() });
    }
    let mut entry = json!({
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose.as_str(),
        "statusListIndex": "0",
        "statusListCredential": "https://status.invalid/list",
    });
    for k in ["statusSize", "statusMessage", "statusReference"] {
        if let Some(v) = obj.get(k) {
            entry[k] = v.clone();
        }
    }
    let read = StatusEntry::read(&entry).map_err(RequestedStatusError::Entry)?;
    if purpose != StatusPurpose::Message && (read.status_size != 1 || !read.messages.is_empty()) {
        return Err(RequestedStatusError::NotMessage { purpose });
    }
    Ok(WantedStatus {
        purpose,
        status_size: read.status_size,
        messages: read.messages,
        reference: read.reference,
    })
}
