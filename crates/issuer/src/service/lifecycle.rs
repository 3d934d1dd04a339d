//! A badge's life after issuance: the public "message" status every badge carries
//! ([`PublicMessage`], Bitstring Status List §2.1 `statusPurpose` "message"), and
//! supersession — a renewal, upgrade or downgrade revokes the partner's current badge for the
//! role and names the new one as its successor.

use hallmark_core::status::StatusPurpose;
use hallmark_store::{CredentialRow, Expected, StoreError, Supersession};
use serde_json::json;
use time::OffsetDateTime;

use super::approvals::{ApprovalError, ApprovalKind, Approved, BadgeFacts, NewApproval, Reference};
use super::issuance::{Replace, WantedStatus};
use super::{now, uuid_v4, Issuer, LookupError};

/// The width of a badge's "message" entry (`statusSize`): eight values.
pub const MESSAGE_STATUS_SIZE: u8 = 3;

/// The public state of a badge, in its "message" status entry: what any verifier reads
/// beside the revocation bit, while the agency's own reason for a revocation stays private.
///
/// The values are fixed forever: they are signed into every badge's `statusMessage`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum PublicMessage {
    /// 0x0: current (or simply not superseded, lapsed or withdrawn).
    Active,
    /// 0x1: replaced by a renewal, an upgrade, a downgrade or a re-issue (revoked too).
    Superseded,
    /// 0x2: not renewed by the end of its tier's grace period after `validUntil`.
    Lapsed,
    /// 0x3: withdrawn by the program (revoked too).
    Withdrawn,
    /// 0x4: under review by the program.
    UnderReview,
}

impl PublicMessage {
    /// Every message, by value.
    pub const ALL: [Self; 5] = [
        Self::Active,
        Self::Superseded,
        Self::Lapsed,
        Self::Withdrawn,
        Self::UnderReview,
    ];

    /// The status value in the list.
    pub fn value(self) -> i64 {
        match self {
            Self::Active => 0,
            Self::Superseded => 1,
            Self::Lapsed => 2,
            Self::Withdrawn => 3,
            Self::UnderReview => 4,
        }
    }

    /// The message for a status value, if it is one.
    pub fn from_value(value: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.value() == value)
    }

    /// The `statusMessage` text: `active`, `superseded`, `lapsed`, `withdrawn`,
    /// `under review`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Superseded => "superseded",
            Self::Lapsed => "lapsed",
            Self::Withdrawn => "withdrawn",
            Self::UnderReview => "under review",
        }
    }

    /// The message entry a badge gets: [`MESSAGE_STATUS_SIZE`] bits, one message per value
    /// (§2.1 requires 2^statusSize); the values no message uses yet read "unused".
    pub(crate) fn entry() -> WantedStatus {
        let messages = (0..1u8 << MESSAGE_STATUS_SIZE)
            .map(|v| {
                let text = Self::from_value(i64::from(v)).map_or("unused", Self::as_str);
                (v, text.to_owned())
            })
            .collect();
        WantedStatus {
            purpose: StatusPurpose::Message,
            status_size: MESSAGE_STATUS_SIZE,
            messages,
            reference: Vec::new(),
        }
    }
}

impl std::fmt::Display for PublicMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a badge could not be issued again.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReissueError {
    /// No such credential.
    #[error("no credential {id}")]
    NoCredential {
        /// The id given.
        id: String,
    },
    /// Not a partner badge (a VC API credential has no approval to issue again).
    #[error("credential {id} is not a partner badge: only badges are issued again")]
    NotABadge {
        /// The credential.
        id: String,
    },
    /// Revoked already (superseded, withdrawn): nothing to replace.
    #[error("credential {id} is revoked: it has nothing left to replace")]
    Revoked {
        /// The credential.
        id: String,
    },
    /// Not (or no longer) the partner's newest badge for its role that is not revoked: a
    /// newer one replaced it, or it was revoked meanwhile.
    #[error("credential {id} is not the partner's current badge for its role (revoked or replaced meanwhile)")]
    NotCurrent {
        /// The credential.
        id: String,
    },
    /// Its validity ended: a re-issue would be expired too.
    #[error("credential {id} expired on {}: a re-issue would be expired too", hallmark_core::datetime::format(*until))]
    Expired {
        /// The credential.
        id: String,
        /// Its `validUntil`.
        until: OffsetDateTime,
    },
    /// The stored approval could not be read back.
    #[error("credential {id}: its approval record cannot be read: {why}")]
    Record {
        /// The credential.
        id: String,
        /// What is wrong.
        why: String,
    },
    /// The tier is no longer in the program.
    #[error("credential {id}: its tier {tier} is no longer in the program")]
    TierGone {
        /// The credential.
        id: String,
        /// The tier.
        tier: String,
    },
    /// Issuing failed.
    #[error(transparent)]
    Approval(#[from] ApprovalError),
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Issuer {
    /// Issues badge `id` again with the current key (after its key was revoked): the same
    /// partner, tier, role, record and validity period, new status entries, a new id; the old
    /// badge is superseded by it. A new approval row records it (`kind` "reissue",
    /// `reissue_of` the old badge), so every badge keeps its own approval.
    ///
    /// # Errors
    /// [`ReissueError`]: not found, not a badge, revoked or expired already, a record that
    /// cannot be read back, issuing failed.
    pub async fn reissue(&self, actor: &str, id: &str) -> Result<Approved, ReissueError> {
        let row = self.credential(id).await.map_err(|e| match e {
            LookupError::Store(e) => ReissueError::Store(e),
            _ => ReissueError::NoCredential { id: id.to_owned() },
        })?;
        let not_badge = || ReissueError::NotABadge { id: id.to_owned() };
        let approval_id = row.approval_id.clone().ok_or_else(not_badge)?;
        if row.revoked_at.is_some() {
            return Err(ReissueError::Revoked { id: id.to_owned() });
        }
        let until = row
            .valid_until
            .and_then(|u| OffsetDateTime::from_unix_timestamp(u).ok());
        if let Some(until) = until.filter(|u| *u <= now()) {
            return Err(ReissueError::Expired {
                id: id.to_owned(),
                until,
            });
        }
        let old = self
            .store()
            .approval(&approval_id)
            .await?
            .ok_or_else(not_badge)?;
        let record = |why: String| ReissueError::Record {
            id: id.to_owned(),
            why,
        };
        let r = &old.record;
        let new = NewApproval {
            partner_id: old.partner_id.clone(),
            tier: old.tier.clone(),
            role: old.role.clone(),
            competencies: serde_json::from_value(r["competencies"].clone())
                .map_err(|e| record(format!("competencies: {e}")))?,
            exam_score: serde_json::from_value(r["exam_score"].clone()).unwrap_or(None),
            demo_level: serde_json::from_value(r["demo_level"].clone()).unwrap_or(None),
            references: serde_json::from_value::<Vec<Reference>>(r["references"].clone())
                .map_err(|e| record(format!("references: {e}")))?,
            approver: r["approver"].as_str().unwrap_or_default().to_owned(),
            approved_at: None,
            renewal: None,
            specialization: row.specialization.clone(),
        };
        // A specialization badge's approval names its specialization as its tier.
        let tier = self
            .program()
            .achievement(Some(&old.tier), row.specialization.as_deref())
            .ok_or_else(|| ReissueError::TierGone {
                id: id.to_owned(),
                tier: old.tier.clone(),
            })?;
        let partner = self
            .store()
            .partner(&old.partner_id)
            .await?
            .ok_or_else(not_badge)?;
        let valid_from = OffsetDateTime::from_unix_timestamp(old.approved_at)
            .map_err(|e| record(format!("approved_at: {e}")))?;
        let valid_until = until.ok_or_else(|| record("no validUntil".into()))?;
        let mut approval = old.clone();
        approval.id = uuid_v4().map_err(ApprovalError::from)?;
        approval.created_at = now().unix_timestamp();
        approval.record["kind"] = json!(ApprovalKind::Reissue.as_str());
        approval.record["reissue_of"] = json!(row.id);
        let facts = BadgeFacts {
            new: &new,
            partner: &partner,
            tier: &tier,
            valid_from,
            valid_until,
        };
        // The new badge keeps the old one's state: a suspension, "under review"; and it
        // replaces that very badge, which must still be the partner's newest for the role
        // when the transaction locks the partner.
        let replace = Replace {
            kind: ApprovalKind::Reissue.as_str(),
            expected: Some(Expected {
                id: &row.id,
                suspended: row.suspended,
            }),
            suspended: row.suspended,
            message: row.message.as_ref().map_or(0, |_| row.message_status),
        };
        let credential = match self.issue_badge(actor, &approval, &facts, &replace).await {
            Ok(credential) => credential,
            Err(super::IssueError::Store(StoreError::Changed { .. })) => {
                return Err(ReissueError::NotCurrent { id: id.to_owned() })
            }
            Err(e) => return Err(ApprovalError::from(e).into()),
        };
        Ok(Approved {
            approval,
            kind: ApprovalKind::Reissue,
            credential,
        })
    }

    /// Supersedes badges that coexist for one partner and role from before supersession
    /// existed: the newest of each pair stays, the others are superseded by it (revoked,
    /// "message" superseded when they have one, the newest named as successor). Run when the
    /// issuer opens; returns the badges superseded.
    pub(crate) async fn supersede_coexisting(&self) -> Result<Vec<CredentialRow>, StoreError> {
        let mut superseded = Vec::new();
        for (partner, role, specialization) in self.store().coexisting_badges().await? {
            let latest = self
                .store()
                .latest_badge_of(&partner, &role, specialization.as_deref());
            let Some(keep) = latest.await? else {
                continue;
            };
            self.refresh_key()
                .await
                .map_err(|e| StoreError::ListSigning {
                    list: "(the issuer's current key)".into(),
                    source: Box::new(e),
                })?;
            let reason = format!(
                "superseded by {} (a newer badge for the role, issued before supersession existed)",
                keep.id
            );
            let resigner = super::slots::Resigner(self);
            let supersession = Supersession {
                reason: &reason,
                message: PublicMessage::Superseded.value(),
                actor: "system",
                kind: "repair",
                at: now().unix_timestamp(),
                lists: &resigner,
            };
            let old = self.store().supersede_others(&keep, &supersession).await?;
            for o in &old {
                tracing::warn!(
                    "badge {} and {} were both current for partner {partner}, role {role}: {} is superseded by the newer {}",
                    o.id, keep.id, o.id, keep.id
                );
            }
            superseded.extend(old);
        }
        Ok(superseded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_entry_names_every_value() {
        let entry = PublicMessage::entry();
        assert_eq!(entry.status_size, 3);
        let texts: Vec<&str> = entry.messages.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(
            texts,
            [
                "active",
                "superseded",
                "lapsed",
                "withdrawn",
                "under review",
                "unused",
                "unused",
                "unused"
            ]
        );
        for m in PublicMessage::ALL {
            assert_eq!(PublicMessage::from_value(m.value()), Some(m));
        }
        assert_eq!(PublicMessage::from_value(5), None);
    }
}
