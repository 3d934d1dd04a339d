//! Status changes: revoke (final), suspend, reinstate, and a new "message" value. Each flips
//! the credential's bits in its status list and re-signs the list in the same transaction
//! (Bitstring Status List 1.0), so the list served next already shows it.

use hallmark_core::status::{Bitstring, StatusPurpose};
use hallmark_store::{CredentialRow, StatusChange, StoreError};
use serde_json::{json, Value};

use super::text::{check_text, MAX_DESCRIPTION};
use super::{audit, now, Issuer, LookupError, TextError};

/// Why a credential's status could not be changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StatusChangeError {
    /// No credential with this id.
    #[error("no credential {id}")]
    NoCredential {
        /// The id given.
        id: String,
    },
    /// A revocation without a reason.
    #[error("a reason is required (it is kept privately)")]
    NoReason,
    /// The reason was refused.
    #[error(transparent)]
    Reason(TextError),
    /// The credential is revoked: revocation is final.
    #[error("the credential is revoked; revocation is final")]
    Revoked {
        /// The credential.
        id: String,
    },
    /// Suspending a suspended credential.
    #[error("the credential is already suspended")]
    AlreadySuspended {
        /// The credential.
        id: String,
    },
    /// Reinstating a credential that is not suspended.
    #[error("the credential is not suspended")]
    NotSuspended {
        /// The credential.
        id: String,
    },
    /// A "message" value that is not a number or `0x…`.
    #[error(transparent)]
    Value(#[from] StatusValueError),
    /// A "message" value outside 0–255.
    #[error("status {status} is out of range")]
    OutOfRange {
        /// The value given.
        status: i64,
    },
    /// A badge's message the lifecycle sets (superseded, lapsed, withdrawn) or no message
    /// names.
    #[error("status {status} cannot be set on a badge: set 0x0 (active) or 0x4 (under review); superseded, lapsed and withdrawn follow from an approval, the lifecycle job and a revocation")]
    LifecycleMessage {
        /// The value given.
        status: i64,
    },
    /// The credential has no entry of this purpose (e.g. no "message" status).
    #[error("the credential has no {} entry", purpose.as_str())]
    NoEntry {
        /// The credential.
        id: String,
        /// The purpose it lacks.
        purpose: StatusPurpose,
    },
    /// The credential's status list is missing from the store.
    #[error("status list {list}")]
    ListMissing {
        /// The list.
        list: String,
    },
    /// The database, or the list update (a value too wide for `statusSize`, signing).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The current key could not be read or loaded.
    #[error(transparent)]
    Keys(#[from] crate::keys::KeysError),
}

/// A "message" status value that could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("status {given} is neither a number nor a hexadecimal \"0x…\" string")]
pub struct StatusValueError {
    /// The value given.
    pub given: Value,
}

/// A new "message" status value: `"0x2"` as in `statusMessage` (Bitstring Status List
/// §2.1), or a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageStatus(pub i64);

impl MessageStatus {
    /// Reads `"0x…"` (hexadecimal) or a JSON integer.
    ///
    /// # Errors
    /// [`StatusValueError`] for anything else.
    pub fn from_json(value: &Value) -> Result<Self, StatusValueError> {
        match value {
            Value::Number(n) => n.as_i64(),
            // Hex digits only: from_str_radix would also take a sign ("0x+1").
            Value::String(s) => s
                .strip_prefix("0x")
                .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|h| i64::from_str_radix(h, 16).ok()),
            _ => None,
        }
        .map(Self)
        .ok_or_else(|| StatusValueError {
            given: value.clone(),
        })
    }
}

impl Issuer {
    /// Revokes a credential for a private `reason` (one line of plain text, at most 2,000
    /// characters). Final. A badge's public "message" becomes "withdrawn" in the same
    /// transaction ([`super::PublicMessage::Withdrawn`]): verifiers see that, never the
    /// reason.
    ///
    /// # Errors
    /// [`StatusChangeError`]: no reason, no such credential, already revoked, the database.
    pub async fn revoke(
        &self,
        actor: &str,
        id: &str,
        reason: &str,
    ) -> Result<CredentialRow, StatusChangeError> {
        if reason.trim().is_empty() {
            return Err(StatusChangeError::NoReason);
        }
        check_text("reason", reason, MAX_DESCRIPTION, true).map_err(StatusChangeError::Reason)?;
        let row = self.credential(id).await.map_err(|e| lookup(e, id))?;
        // A badge's message entry is the program's own (PublicMessage); a VC API
        // credential's messages are the caller's, so its value is left alone.
        if row.approval_id.is_none() || row.message.is_none() {
            let reason = reason.to_owned();
            return self
                .change(actor, id, StatusChange::Revoke { reason })
                .await;
        }
        self.refresh_key().await?;
        let resigner = super::slots::Resigner(self);
        let revocation = hallmark_store::Supersession {
            reason,
            message: super::PublicMessage::Withdrawn.value(),
            actor,
            kind: "withdrawn",
            at: now().unix_timestamp(),
            lists: &resigner,
        };
        match self.store().revoke_publicly(id, &revocation).await {
            Ok(Some(_)) => {}
            Ok(None) => return Err(StatusChangeError::Revoked { id: id.to_owned() }),
            Err(hallmark_store::StoreError::NotFound(_)) => {
                return Err(StatusChangeError::NoCredential { id: id.to_owned() })
            }
            Err(e) => return Err(e.into()),
        }
        self.inner.embeds.forget(id);
        self.credential(id).await.map_err(|e| lookup(e, id))
    }

    /// Suspends a credential.
    ///
    /// # Errors
    /// [`StatusChangeError`]: no such credential, revoked, already suspended, the database.
    pub async fn suspend(&self, actor: &str, id: &str) -> Result<CredentialRow, StatusChangeError> {
        self.change(actor, id, StatusChange::Suspend).await
    }

    /// Lifts a credential's suspension.
    ///
    /// # Errors
    /// [`StatusChangeError`]: no such credential, revoked, not suspended, the database.
    pub async fn reinstate(
        &self,
        actor: &str,
        id: &str,
    ) -> Result<CredentialRow, StatusChangeError> {
        self.change(actor, id, StatusChange::Reinstate).await
    }

    /// Sets a credential's "message" status (Bitstring Status List §2.1, `statusPurpose`
    /// "message") to `status`, of at most `statusSize` bits. On a badge, whose messages are
    /// the program's ([`super::PublicMessage`]), only "active" and "under review": the others
    /// say what the lifecycle did (superseded, lapsed, withdrawn), and only it sets them.
    ///
    /// # Errors
    /// [`StatusChangeError`]: no such credential or "message" entry, revoked, a value out of
    /// range or reserved to the lifecycle, the database.
    pub async fn set_message_status(
        &self,
        actor: &str,
        id: &str,
        status: MessageStatus,
    ) -> Result<CredentialRow, StatusChangeError> {
        let row = self.credential(id).await.map_err(|e| lookup(e, id))?;
        let settable = [
            super::PublicMessage::Active,
            super::PublicMessage::UnderReview,
        ];
        if row.approval_id.is_some()
            && row.message.is_some()
            && !settable.iter().any(|m| m.value() == status.0)
        {
            return Err(StatusChangeError::LifecycleMessage { status: status.0 });
        }
        let change = StatusChange::Message { status: status.0 };
        self.change(actor, id, change).await
    }

    /// Sets a credential's "message" status to `status` only if, once its list is locked, the
    /// value there is still `from`; the audit entry's action is `action` (e.g.
    /// `credential.lapse`) instead of `credential.status`, its detail with `detail`'s members
    /// added. Returns `None`, writing nothing,
    /// when the value was no longer `from` (another process changed it first), so a job
    /// that runs twice at once changes and audits it once.
    ///
    /// # Errors
    /// As [`Issuer::set_message_status`].
    pub(crate) async fn set_message_status_from(
        &self,
        actor: &str,
        id: &str,
        from: i64,
        status: MessageStatus,
        action: &'static str,
        detail: serde_json::Map<String, Value>,
    ) -> Result<Option<CredentialRow>, StatusChangeError> {
        let change = StatusChange::Message { status: status.0 };
        let guard = Guard {
            action: Some(action),
            from: Some(from),
            detail: Some(detail),
        };
        match self.change_with(actor, id, change, guard).await {
            Err(StatusChangeError::Store(StoreError::StatusUpdate { source, .. }))
                if source.downcast_ref::<NoLongerFrom>().is_some() =>
            {
                Ok(None)
            }
            other => other.map(Some),
        }
    }

    /// Applies `change` to credential `id` and re-signs its list, in one transaction; returns
    /// the credential as it is now.
    async fn change(
        &self,
        actor: &str,
        id: &str,
        change: StatusChange,
    ) -> Result<CredentialRow, StatusChangeError> {
        self.change_with(actor, id, change, Guard::default()).await
    }

    /// [`Issuer::change`], with `guard`'s audit action and expected current value.
    async fn change_with(
        &self,
        actor: &str,
        id: &str,
        change: StatusChange,
        guard: Guard,
    ) -> Result<CredentialRow, StatusChangeError> {
        let row = self.credential(id).await.map_err(|e| lookup(e, id))?;
        let (slot, value, action) = transition(&row, &change)?;
        let action = guard.action.unwrap_or(action);
        let from = guard.from;
        let purpose = purpose_of(&change);
        let slot = slot.ok_or_else(|| StatusChangeError::NoEntry {
            id: id.to_owned(),
            purpose,
        })?;
        let (list, index) = (slot.list.clone(), slot.index);
        let status_size = match &change {
            StatusChange::Message { .. } => self
                .store()
                .status_list(&list)
                .await?
                .and_then(|l| u8::try_from(l.status_size).ok())
                .ok_or_else(|| StatusChangeError::ListMissing { list: list.clone() })?,
            _ => 1,
        };
        let mut detail = json!({"list": list, "index": index});
        if let (Some(more), Some(all)) = (guard.detail, detail.as_object_mut()) {
            all.extend(more);
        }
        let entry = audit(actor, action, id, detail);
        self.refresh_key().await?;
        let signer = self.clone();
        let update = move |bits: Vec<u8>| -> Result<(Vec<u8>, String), hallmark_store::BoxError> {
            let mut bits = Bitstring::from_bytes(bits);
            if let Some(from) = from {
                let found = bits.get(u64::from(index), status_size)?;
                if i64::from(found) != from {
                    return Err(Box::new(NoLongerFrom { found }));
                }
            }
            bits.set(u64::from(index), status_size, value)?;
            let document = signer.sign_list(&list, purpose, &bits)?;
            Ok((bits.as_bytes().to_vec(), document))
        };
        let at = now().unix_timestamp();
        self.store()
            .change_status(id, &slot, &change, at, update, &entry)
            .await
            .map_err(|e| match e {
                StoreError::Revoked(id) => StatusChangeError::Revoked { id },
                e => e.into(),
            })?;
        // This process's embed images show the change at once; other processes within their
        // cache lifetime (`EMBED_TTL`).
        self.inner.embeds.forget(id);
        self.credential(id).await.map_err(|e| lookup(e, id))
    }
}

/// What a status change may add to its rule: another audit action, and the value the slot
/// must hold when its list is locked.
#[derive(Debug, Clone, Default)]
struct Guard {
    action: Option<&'static str>,
    from: Option<i64>,
    /// Members added to the audit entry's detail.
    detail: Option<serde_json::Map<String, Value>>,
}

/// The slot no longer held the value a guarded change expected ([`Guard::from`]).
#[derive(Debug, thiserror::Error)]
#[error("the status is now {found}")]
struct NoLongerFrom {
    found: u8,
}

/// Whether `change` may apply to `row`: the slot it writes, the value, the audit action.
fn transition(
    row: &CredentialRow,
    change: &StatusChange,
) -> Result<(Option<hallmark_store::StatusSlot>, u8, &'static str), StatusChangeError> {
    let id = || row.id.clone();
    if row.revoked_at.is_some() {
        return Err(StatusChangeError::Revoked { id: id() });
    }
    Ok(match change {
        StatusChange::Revoke { .. } => (row.revocation.clone(), 1, "credential.revoke"),
        StatusChange::Suspend if row.suspended => {
            return Err(StatusChangeError::AlreadySuspended { id: id() })
        }
        StatusChange::Suspend => (row.suspension.clone(), 1, "credential.suspend"),
        StatusChange::Reinstate if !row.suspended => {
            return Err(StatusChangeError::NotSuspended { id: id() })
        }
        StatusChange::Reinstate => (row.suspension.clone(), 0, "credential.reinstate"),
        StatusChange::Message { status } => (
            row.message.clone(),
            u8::try_from(*status).map_err(|_| StatusChangeError::OutOfRange { status: *status })?,
            "credential.status",
        ),
    })
}

/// The purpose of the list `change` writes.
fn purpose_of(change: &StatusChange) -> StatusPurpose {
    match change {
        StatusChange::Revoke { .. } => StatusPurpose::Revocation,
        StatusChange::Suspend | StatusChange::Reinstate => StatusPurpose::Suspension,
        StatusChange::Message { .. } => StatusPurpose::Message,
    }
}

/// A failed lookup of the credential being changed.
fn lookup(e: LookupError, id: &str) -> StatusChangeError {
    match e {
        LookupError::Store(e) => e.into(),
        _ => StatusChangeError::NoCredential { id: id.to_owned() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_status_values_are_hex_strings_or_numbers() {
        assert_eq!(
            MessageStatus::from_json(&json!("0x2")).unwrap(),
            MessageStatus(2)
        );
        assert_eq!(
            MessageStatus::from_json(&json!(3)).unwrap(),
            MessageStatus(3)
        );
        for bad in [
            json!("2"),
            json!("0xZ"),
            json!(1.5),
            json!(null),
            json!("0x+1"),
            json!("0x-1"),
            json!("0x"),
        ] {
            assert_eq!(
                MessageStatus::from_json(&bad).unwrap_err(),
                StatusValueError { given: bad.clone() }
            );
        }
    }
}
