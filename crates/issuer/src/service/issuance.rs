//! Issuance, shared by every way a credential is made (an approval's badge, the VC API):
//! status indexes drawn at random, the credential built around them, signed on the blocking
//! pool, and committed with its audit entry, retried when an index was taken meanwhile.

use hallmark_core::badge::BadgeError;
use hallmark_core::credential::CredentialError;
use hallmark_core::datetime;
use hallmark_core::proof::Cryptosuite;
use hallmark_core::status::{StatusEntry, StatusPurpose, MIN_ENTRIES};
use hallmark_http::PoolError;
use hallmark_store::{Approval, CredentialRow, Expected, StatusSlot, StoreError, Supersession};
use serde_json::{json, Map, Value};

use super::slots::DrawError;
use super::{audit, now, uuid_v4, Issuer, ListError, RandomnessError, SignError};

/// How many times issuance draws new status indexes after finding one taken when storing it
/// (another issuance took it between the check and the commit).
const ATTEMPTS: usize = 32;

/// How many random indexes of a list are checked for a free one before its fill is counted
/// again (a list is at most `status_list_fill` ≤ 0.9 full when chosen, so 64 draws all miss
/// with probability below 0.9^64 ≈ 0.1%).
const FREE_DRAWS: usize = 64;

/// A credential just issued: its row (status slots included) and its signed document.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The row stored; `row.id` is the uuid the admin API takes.
    pub row: CredentialRow,
    /// The signed credential.
    pub document: Value,
    /// The partner's badges for the role it superseded, as they were before.
    pub superseded: Vec<CredentialRow>,
}

/// Why a credential could not be issued.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// No randomness for the credential's id.
    #[error(transparent)]
    Randomness(#[from] RandomnessError),
    /// No status index could be drawn.
    #[error(transparent)]
    Draw(#[from] DrawError),
    /// The status list to draw from could not be found or created.
    #[error(transparent)]
    List(#[from] ListError),
    /// A status index beyond what the store keeps.
    #[error("status index {index} is out of range")]
    IndexOutOfRange {
        /// The index drawn.
        index: u64,
    },
    /// The badge could not be built from the approval.
    #[error(transparent)]
    Badge(#[from] BadgeError),
    /// The credential is not a valid VC.
    #[error(transparent)]
    Credential(#[from] CredentialError),
    /// The signing pool is busy, or signing passed the deadline.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// Signing failed (e.g. a term no context defines, under `eddsa-rdfc-2022`).
    #[error("cannot sign: {0}")]
    Sign(#[from] SignError),
    /// Every attempt found a status index taken.
    #[error("could not find a free status index; try again")]
    NoFreeIndex,
    /// The current key could not be read or loaded.
    #[error(transparent)]
    Keys(#[from] crate::keys::KeysError),
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A status entry a new credential gets (Bitstring Status List §2.1).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WantedStatus {
    pub(crate) purpose: StatusPurpose,
    pub(crate) status_size: u8,
    pub(crate) messages: Vec<(u8, String)>,
    pub(crate) reference: Vec<String>,
}

impl WantedStatus {
    /// A one-bit entry with no messages (revocation, suspension).
    pub(crate) fn plain(purpose: StatusPurpose) -> Self {
        Self {
            purpose,
            status_size: 1,
            messages: Vec::new(),
            reference: Vec::new(),
        }
    }
}

/// What a new badge replaces ([`Issuer::issue`]): the partner's other badges for the role
/// that are not revoked, superseded in the same transaction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Replace<'a> {
    /// What the new badge is: `renewal`, `upgrade`, `reissue`…
    pub(crate) kind: &'a str,
    /// The newest of them when the decision was made (none: there was none); if it changed
    /// meanwhile, nothing is written ([`StoreError::Changed`]).
    pub(crate) expected: Option<Expected<'a>>,
    /// Issue it suspended (a re-issue of a suspended badge).
    pub(crate) suspended: bool,
    /// Its "message" value (a re-issue keeps its badge's).
    pub(crate) message: i64,
}

/// The status slots of a credential being issued, by purpose.
#[derive(Default)]
struct Slots {
    revocation: Option<StatusSlot>,
    suspension: Option<StatusSlot>,
    message: Option<StatusSlot>,
}

impl Issuer {
    /// The status entries a badge gets: revocation first (some verifiers read only the
    /// first), suspension when the program has it, and the public "message"
    /// ([`super::PublicMessage`]).
    pub(crate) fn badge_statuses(&self) -> Vec<WantedStatus> {
        let mut wanted = vec![WantedStatus::plain(StatusPurpose::Revocation)];
        if self.program().suspension {
            wanted.push(WantedStatus::plain(StatusPurpose::Suspension));
        }
        wanted.push(super::PublicMessage::entry());
        wanted
    }

    /// Draws random, unused status indexes for `wanted`, builds the credential with them
    /// (`build` gets the uuid and the `credentialStatus` entries), signs it on the blocking
    /// pool, and commits it (with `approval`, when there is one) and its audit entry; draws
    /// again if an index was taken meanwhile. With `approval` and `supersede` (what the new
    /// badge is: `renewal`, `upgrade`…), the partner's other badges for the role that are not
    /// revoked are superseded in the same transaction.
    pub(crate) async fn issue(
        &self,
        actor: &str,
        approval: Option<&Approval>,
        wanted: &[WantedStatus],
        cryptosuite: Cryptosuite,
        supersede: Option<&Replace<'_>>,
        build: impl Fn(&str, Vec<Value>) -> Result<Map<String, Value>, IssueError>,
    ) -> Result<Issued, IssueError> {
        // One deadline for every signing attempt of this request.
        let deadline = self.pool().deadline();
        // Signed with the key current now, wherever it was rotated.
        self.refresh_key().await?;
        for _ in 0..ATTEMPTS {
            let uuid = uuid_v4()?;
            let (entries, slots) = self.draw_slots(wanted).await?;
            let unsigned = build(&uuid, entries)?;
            let valid_until = unsigned
                .get("validUntil")
                .and_then(Value::as_str)
                .and_then(|t| datetime::parse(t).ok())
                .map(|t| t.unix_timestamp());
            // Canonicalization (rdfc) is CPU work: off the async threads.
            let signer = self.clone();
            let mut signed = self
                .pool()
                .run(deadline, move || signer.sign(unsigned, cryptosuite))
                .await??;
            if approval.is_some() {
                // A badge: the OB 3.0 JSON Schema wants `proof` as an array.
                hallmark_core::proof::into_proof_set(&mut signed);
            }
            let document = Value::Object(signed);
            let suspended = supersede.is_some_and(|r| r.suspended) && slots.suspension.is_some();
            let row = CredentialRow {
                id: uuid.clone(),
                approval_id: approval.map(|a| a.id.clone()),
                partner_id: approval.map(|a| a.partner_id.clone()),
                // A specialization badge has no tier: its approval's `tier` is the
                // specialization's slug, named in its record.
                tier: approval
                    .filter(|a| specialization_of(a).is_none())
                    .map(|a| a.tier.clone()),
                role: approval.map(|a| a.role.clone()),
                revocation: slots.revocation,
                suspension: slots.suspension,
                document: document.to_string(),
                issued_at: now().unix_timestamp(),
                valid_until,
                revoked_at: None,
                revocation_reason: None,
                // A re-issue keeps its badge's suspension and public message.
                suspended,
                message_status: supersede
                    .filter(|_| slots.message.is_some())
                    .map_or(0, |r| r.message),
                message: slots.message,
                superseded_by: None,
                specialization: approval.and_then(specialization_of),
            };
            let entry = audit(
                actor,
                "credential.issue",
                &uuid,
                json!({"approval": approval.map(|a| &a.id), "tier": row.tier, "specialization": row.specialization, "partner": row.partner_id}),
            );
            let recorded = match (approval, supersede) {
                // A first certification (nothing to supersede, nothing carried over): group
                // committed with others (`commits`).
                (Some(approval), Some(replace))
                    if replace.expected.is_none() && !row.suspended && row.message_status == 0 =>
                {
                    self.inner
                        .committer
                        .commit_first(self.store(), approval, &row, &entry)
                        .await
                        .map(|()| Vec::new())
                }
                (Some(approval), Some(replace)) => {
                    let kind = replace.kind;
                    let reason = format!("superseded by {uuid} ({kind})");
                    let resigner = super::slots::Resigner(self);
                    let supersession = Supersession {
                        reason: &reason,
                        message: super::PublicMessage::Superseded.value(),
                        actor,
                        kind,
                        at: now().unix_timestamp(),
                        lists: &resigner,
                    };
                    self.store()
                        .record_issuance_superseding(
                            approval,
                            &row,
                            &entry,
                            &supersession,
                            replace.expected.as_ref(),
                        )
                        .await
                }
                _ => self
                    .store()
                    .record_issuance(approval, &row, &entry)
                    .await
                    .map(|()| Vec::new()),
            };
            match recorded {
                Ok(superseded) => {
                    for old in &superseded {
                        self.inner.embeds.forget(&old.id);
                    }
                    return Ok(Issued {
                        row,
                        document,
                        superseded,
                    });
                }
                // A status index taken concurrently: draw again.
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(IssueError::NoFreeIndex)
    }

    /// A random, free index in the current list of each wanted status: the
    /// `credentialStatus` entries and the slots to store. Each draw is checked against the
    /// store before signing (one unique-index lookup), so a taken index costs no signature;
    /// one taken between the check and the commit is caught by the commit.
    async fn draw_slots(&self, wanted: &[WantedStatus]) -> Result<(Vec<Value>, Slots), IssueError> {
        let mut entries = Vec::new();
        let mut slots = Slots::default();
        for w in wanted {
            let (list, index) = self.draw_free(w).await?;
            entries.push(
                StatusEntry {
                    purpose: w.purpose,
                    index,
                    list_url: self.list_url(&list),
                    status_size: w.status_size,
                    messages: w.messages.clone(),
                    reference: w.reference.clone(),
                }
                .to_json(),
            );
            let slot = Some(StatusSlot::new(
                list,
                u32::try_from(index).map_err(|_| IssueError::IndexOutOfRange { index })?,
            ));
            match w.purpose {
                StatusPurpose::Revocation => slots.revocation = slot,
                StatusPurpose::Suspension => slots.suspension = slot,
                _ => slots.message = slot,
            }
        }
        Ok((entries, slots))
    }

    /// A free random index in the current list for `w`: the list and the index. When
    /// [`FREE_DRAWS`] draws all find a taken index, the list's fill is counted again (other
    /// instances filled it) and the current list drawn from once more.
    async fn draw_free(&self, w: &WantedStatus) -> Result<(String, u64), IssueError> {
        let purpose: hallmark_store::StatusPurpose =
            w.purpose.as_str().parse().map_err(ListError::from)?;
        for _ in 0..2 {
            let (list, size) = self.current_list(w.purpose, w.status_size).await?;
            let size = u64::try_from(size).unwrap_or(MIN_ENTRIES as u64);
            for _ in 0..FREE_DRAWS {
                let (index, scripted) = self.inner.draws.next_draw(size)?;
                let Ok(small) = u32::try_from(index) else {
                    return Err(IssueError::IndexOutOfRange { index });
                };
                if scripted
                    || !self
                        .store()
                        .slot_taken(purpose, &StatusSlot::new(list.as_str(), small))
                        .await?
                {
                    return Ok((list, index));
                }
            }
            self.recount_list(w.purpose, w.status_size);
        }
        Err(IssueError::NoFreeIndex)
    }
}

/// The specialization an approval is for (its record's `specialization`), if any.
pub(crate) fn specialization_of(approval: &Approval) -> Option<String> {
    approval
        .record
        .get("specialization")
        .and_then(Value::as_str)
        .map(str::to_owned)
}
