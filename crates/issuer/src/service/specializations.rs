//! Advanced specializations (`[[specializations]]` of the program): an approval naming one
//! (`"specialization"` in [`NewApproval`]) is checked against the specialization's own
//! requirements, the roles it is open to and its `min_tier` (an active tier badge of at least
//! that rank for the role), and issued as its own badge beside the tier badge. Its renewal,
//! supersession, grace and lapse go per (partner, role, specialization): the store scopes a
//! partner's badges by `credentials.specialization`, so a tier badge and a specialization
//! badge never replace each other.

use hallmark_store::StoreError;
use time::{Duration, OffsetDateTime};

use super::approvals::{ApprovalError, NewApproval};
use super::text::approved_at;
use super::{now, Issuer, PublicMessage};
use crate::program::{Shortfall, Specialization, Tier};

impl Issuer {
    /// Checks a specialization's approval as [`Issuer::checked`] checks a tier's: its text
    /// fields and `approved_at`, the specialization (an unknown one, or a `tier` given too, is
    /// a shortfall), and the badge's `validFrom` and `validUntil` from the specialization's
    /// validity. Returns the specialization as a [`Tier`] ([`Specialization::as_tier`]).
    ///
    /// # Errors
    /// [`ApprovalError`]: a refused field, [`ApprovalError::RequirementsNotMet`] for an
    /// unknown specialization or one given with a tier, a validity beyond the year 9999.
    pub(crate) fn checked_specialization(
        &self,
        new: &NewApproval,
    ) -> Result<(Tier, OffsetDateTime, OffsetDateTime), ApprovalError> {
        new.check()?;
        let approved_at = approved_at(new.approved_at.as_deref())?;
        let program = self.program();
        let slug = new.specialization.as_deref().unwrap_or_default();
        let refused =
            |requirement: &'static str, detail: String| ApprovalError::RequirementsNotMet {
                shortfalls: vec![Shortfall {
                    requirement,
                    detail,
                }],
            };
        if !new.tier.is_empty() {
            return Err(refused(
                "tier",
                format!(
                    "an approval names a tier or a specialization, not both (tier {:?}, specialization {slug:?}); a specialization's badge is issued beside the tier badge",
                    new.tier
                ),
            ));
        }
        let Some(special) = program.specialization(slug) else {
            let known: Vec<&str> = program
                .specializations
                .iter()
                .map(|s| s.id.as_str())
                .collect();
            return Err(refused(
                "specialization",
                match known.is_empty() {
                    true => format!("unknown specialization {slug:?}; the program has none"),
                    false => format!(
                        "unknown specialization {slug:?}; the program's specializations are {}",
                        known.join(", ")
                    ),
                },
            ));
        };
        let tier = special.as_tier();
        let valid_until = approved_at
            .checked_add(Duration::days(i64::from(tier.validity_days)))
            .filter(|t| t.year() <= 9999)
            .ok_or_else(|| ApprovalError::ValidityOverflow {
                approved_at,
                tier: tier.name.clone(),
                validity_days: tier.validity_days,
            })?;
        Ok((tier, approved_at, valid_until))
    }

    /// What a partner lacks for `special` in `role`, besides its requirements: a role it is
    /// not open to (`role`), and its `min_tier` (`min_tier`): the partner's newest tier badge
    /// for the role must be in force now (not suspended, not lapsed, `validUntil` ahead) and
    /// of a tier ranked at least as high.
    ///
    /// # Errors
    /// The database.
    pub(crate) async fn specialization_shortfalls(
        &self,
        special: &Specialization,
        partner: &str,
        role: &str,
    ) -> Result<Vec<Shortfall>, StoreError> {
        let program = self.program();
        let mut out = Vec::new();
        if !special.open_to(role) {
            out.push(Shortfall {
                requirement: "role",
                detail: format!(
                    "{} is open to the roles {}, not {role:?}",
                    special.name,
                    special.roles.join(", ")
                ),
            });
            return Ok(out);
        }
        let Some(min) = special.min_tier.as_deref().and_then(|t| program.tier(t)) else {
            return Ok(out);
        };
        let held = self.store().latest_badge(partner, role).await?;
        let at = now().unix_timestamp();
        let lapsed = |b: &hallmark_store::CredentialRow| {
            b.message.is_some() && b.message_status == PublicMessage::Lapsed.value()
        };
        let in_force = held
            .as_ref()
            .filter(|b| !b.suspended && !lapsed(b) && b.valid_until.is_none_or(|u| u > at));
        let rank = in_force
            .and_then(|b| b.tier.as_deref())
            .and_then(|t| program.tier(t))
            .map(|t| t.rank);
        if rank.is_none_or(|r| r < min.rank) {
            let has = match (in_force, &held) {
                (Some(b), _) => format!(
                    "its badge for the role is {}",
                    b.tier
                        .as_deref()
                        .and_then(|t| program.tier(t))
                        .map_or("of no tier", |t| t.name.as_str())
                ),
                (None, Some(_)) => "its tier badge for the role is not in force".to_owned(),
                (None, None) => "it holds no tier badge for the role".to_owned(),
            };
            out.push(Shortfall {
                requirement: "min_tier",
                detail: format!(
                    "{} requires an active {} badge (or higher) for the role {role}; {has}",
                    special.name, min.name
                ),
            });
        }
        Ok(out)
    }
}
