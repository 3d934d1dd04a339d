//! A badge's end of life (issue 13): the lifecycle run that lapses badges past `validUntil`
//! plus their tier's grace period and records the "expiring" reminders, and the badges due
//! for renewal.
//!
//! Rules, each safe when two processes run them at once:
//! - **lapse**: a badge (a credential with a tier) that is not revoked, has a "message" entry
//!   still `active` (0), and whose `validUntil + grace_days` is before the run's instant
//!   (as a badge is expired after its `validUntil`, and renewal refused after the grace)
//!   gets the message `lapsed` (2), its list re-signed in the same transaction, with
//!   a `credential.lapse` audit entry by `system`. The value is checked again with the list
//!   locked, so a lapse is written once. The entry's detail: `list`, `index`, `status` (2),
//!   `valid_until` and `lapses_at` (Unix seconds). Badges issued without a "message" entry are left.
//! - **reminders**: a badge not revoked and not lapsed whose `validUntil` is still ahead gets
//!   the reminder of the *tightest* threshold of 30, 14 and 1 days it is within, unless it had
//!   that one or a tighter one: a badge first seen 10 days before its end gets the 14-day
//!   reminder only (never a late 30-day one), then the 1-day one. Each is a `reminders` row and
//!   a `credential.expiring` audit entry (`{"days": d, "valid_until": unix}`) in one
//!   transaction, made once by the row's primary key.

use hallmark_store::{
    AuditEntry, CredentialFilter, CredentialRow, Expiring, PageRequest, Store, StoreError,
};
use serde_json::json;
use time::OffsetDateTime;

use crate::program::Program;

use super::admin::{given, instant, page_request, QueryError};
use super::{now, Issuer, MessageStatus, PublicMessage, StatusChangeError};

/// The "expiring" reminder thresholds, days before `validUntil`, tightest first.
pub const REMINDER_DAYS: [u32; 3] = [1, 14, 30];

/// The "message" value of a badge in force.
const ACTIVE: PublicMessage = PublicMessage::Active;
/// The "message" value of a lapsed badge.
const LAPSED: PublicMessage = PublicMessage::Lapsed;

/// How many credentials a lifecycle run reads at a time.
const BATCH: u32 = 200;

const DAY: i64 = 86_400;

/// What a lifecycle run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct LifecycleRun {
    /// Badges lapsed.
    pub lapsed: usize,
    /// 30-day reminders recorded.
    pub reminded_30: usize,
    /// 14-day reminders recorded.
    pub reminded_14: usize,
    /// 1-day reminders recorded.
    pub reminded_1: usize,
}

impl std::fmt::Display for LifecycleRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} lapsed; reminders: {} at 30 days, {} at 14 days, {} at 1 day",
            self.lapsed, self.reminded_30, self.reminded_14, self.reminded_1
        )
    }
}

/// Why a lifecycle run stopped (what it did before stays done; the next run goes on).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LifecycleError {
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A badge could not be lapsed.
    #[error("lapsing credential {id}: {source}")]
    Lapse {
        /// The credential.
        id: String,
        /// Why.
        #[source]
        source: StatusChangeError,
    },
}

/// A badge due for renewal ([`Issuer::due`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Due {
    /// The credential.
    pub credential: CredentialRow,
    /// Its tier's grace period, days (0 for a tier the program no longer has).
    pub grace_days: u32,
    /// When its grace ends: `validUntil` plus the grace period, Unix seconds; it lapses after
    /// this second.
    pub lapses_at: i64,
}

impl Issuer {
    /// Runs the lifecycle at instant `at` (the job passes [`now`], tests any instant): lapses
    /// the badges whose grace period is over, then records the reminders due (see the module
    /// documentation for the rules).
    ///
    /// # Errors
    /// [`LifecycleError`]: the database, or a lapse that failed (its list could not be
    /// signed); what was done before it stays done.
    pub async fn lifecycle(&self, at: OffsetDateTime) -> Result<LifecycleRun, LifecycleError> {
        let at = at.unix_timestamp();
        let mut run = LifecycleRun::default();
        let mut page = PageRequest::first(BATCH);
        loop {
            let found = self
                .store()
                .lapse_candidates(ACTIVE.value(), at, &page)
                .await?;
            for row in &found.items {
                // In grace up to and including its last second, as `validUntil` is valid.
                if at <= self.lapses_at(row).unwrap_or(i64::MAX) {
                    continue;
                }
                if self.lapse(row).await? {
                    run.lapsed += 1;
                }
            }
            match found.next {
                Some(next) => page = PageRequest::after(BATCH, next),
                None => break,
            }
        }
        let widest = i64::from(REMINDER_DAYS[REMINDER_DAYS.len() - 1]) * DAY;
        let mut page = PageRequest::first(BATCH);
        loop {
            let found = self
                .store()
                .reminder_candidates(LAPSED.value(), at, widest, &page)
                .await?;
            for c in &found.items {
                let left = c.valid_until - at;
                let Some(days) = REMINDER_DAYS
                    .into_iter()
                    .map(i64::from)
                    .find(|d| left <= d * DAY)
                else {
                    continue;
                };
                if c.reminded.is_some_and(|r| r <= days) {
                    continue;
                }
                let entry = AuditEntry {
                    at: now().unix_timestamp(),
                    actor: "system".into(),
                    action: "credential.expiring".into(),
                    subject: c.id.clone(),
                    detail: json!({"days": days, "valid_until": c.valid_until}),
                };
                if self
                    .store()
                    .record_reminder(&c.id, days, at, &entry)
                    .await?
                {
                    match days {
                        1 => run.reminded_1 += 1,
                        14 => run.reminded_14 += 1,
                        _ => run.reminded_30 += 1,
                    }
                }
            }
            match found.next {
                Some(next) => page = PageRequest::after(BATCH, next),
                None => break,
            }
        }
        Ok(run)
    }

    /// Lapses one badge; whether this call did (not when it changed meanwhile: revoked, no
    /// longer active, gone).
    async fn lapse(&self, row: &CredentialRow) -> Result<bool, LifecycleError> {
        let id = row.id.as_str();
        let mut detail = serde_json::Map::new();
        detail.insert("status".into(), json!(LAPSED.value()));
        detail.insert("valid_until".into(), json!(row.valid_until));
        detail.insert("lapses_at".into(), json!(self.lapses_at(row)));
        match self
            .set_message_status_from(
                "system",
                id,
                ACTIVE.value(),
                MessageStatus(LAPSED.value()),
                "credential.lapse",
                detail,
            )
            .await
        {
            Ok(done) => Ok(done.is_some()),
            Err(
                StatusChangeError::Revoked { .. }
                | StatusChangeError::NoCredential { .. }
                | StatusChangeError::NoEntry { .. },
            ) => Ok(false),
            Err(source) => Err(LifecycleError::Lapse {
                id: id.to_owned(),
                source,
            }),
        }
    }

    /// When a badge's grace ends ([`lapses_at`]): it lapses after this second.
    pub fn lapses_at(&self, row: &CredentialRow) -> Option<i64> {
        lapses_at(self.program(), row)
    }

    /// The badges due for renewal at `at` ([`due`]).
    ///
    /// # Errors
    /// The database.
    pub async fn due(
        &self,
        at: OffsetDateTime,
        before: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<Due>, StoreError> {
        due(self.store(), self.program(), at, before, limit).await
    }
}

/// When a badge's grace ends under `program` (it lapses after this second): its `validUntil`
/// plus its tier's grace period (none for a tier the program does not have), Unix seconds;
/// `None` without a `validUntil`.
pub fn lapses_at(program: &Program, row: &CredentialRow) -> Option<i64> {
    let grace = grace_days(program, row);
    row.valid_until
        .map(|v| v.saturating_add(i64::from(grace) * DAY))
}

/// The grace period of a badge's tier or specialization, days (0 for one the program does
/// not have).
fn grace_days(program: &Program, row: &CredentialRow) -> u32 {
    program
        .achievement(row.tier.as_deref(), row.specialization.as_deref())
        .map_or(0, |t| t.grace_days)
}

/// The badges (credentials with a tier) due for renewal at `at`, read from `store` with
/// `program`'s grace periods: not revoked, `validUntil` before `before`, and not lapsed
/// (`validUntil` plus grace still ahead of `at`, "message" not `lapsed`), soonest first; at
/// most `limit` of them. For tools without the issuer's keys (`hallmark badges due`).
///
/// # Errors
/// The database.
pub async fn due(
    store: &Store,
    program: &Program,
    at: OffsetDateTime,
    before: OffsetDateTime,
    limit: usize,
) -> Result<Vec<Due>, StoreError> {
    let at = at.unix_timestamp();
    // Nothing whose longest grace ended before `at` can be due: start the window there.
    let longest = program
        .tiers
        .iter()
        .map(|t| t.grace_days)
        .chain(program.specializations.iter().map(|s| s.grace_days))
        .max()
        .unwrap_or(0);
    let window = Expiring {
        before: before.unix_timestamp(),
        after: Some(at.saturating_sub(i64::from(longest) * DAY)),
    };
    let mut out = Vec::new();
    let mut page = PageRequest::first(BATCH);
    loop {
        let found = store
            .credentials_expiring(&CredentialFilter::default(), &window, &page)
            .await?;
        for credential in found.items {
            if credential.tier.is_none() && credential.specialization.is_none() {
                continue;
            }
            let Some(lapses_at) = lapses_at(program, &credential) else {
                continue;
            };
            let lapsed =
                credential.message.is_some() && credential.message_status == LAPSED.value();
            if lapses_at < at || lapsed {
                continue;
            }
            let grace_days = grace_days(program, &credential);
            out.push(Due {
                credential,
                grace_days,
                lapses_at,
            });
            if out.len() >= limit {
                return Ok(out);
            }
        }
        match found.next {
            Some(next) => page = PageRequest::after(BATCH, next),
            None => return Ok(out),
        }
    }
}

/// What `GET /api/v1/credentials` asks for: filters (each optional, all combined), a page
/// size and where the page starts, as the query string gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialQuery {
    /// Issued to this partner (its id).
    pub partner: Option<String>,
    /// Of this tier (slug).
    pub tier: Option<String>,
    /// For this role.
    pub role: Option<String>,
    /// Specialization badges of this specialization (slug).
    pub specialization: Option<String>,
    /// `active`, `suspended` or `revoked`.
    pub state: Option<String>,
    /// Only badges not revoked whose `validUntil` is before this RFC 3339 instant, soonest
    /// first (by `validUntil`, then id) instead of newest first.
    pub expiring_before: Option<String>,
    /// With `expiring_before` (alone it means "before the year 10000"): `validUntil` at or
    /// after this RFC 3339 instant, e.g. now to leave out the expired ones.
    pub expiring_after: Option<String>,
    /// Rows a page: 1 to 1000, 100 by default.
    pub limit: Option<i64>,
    /// The cursor of the page to read: the previous page's `next`.
    pub after: Option<String>,
}

impl Issuer {
    /// A page of credentials by `query`: newest first, or, with `expiring_before` or
    /// `expiring_after`, those not revoked in that window of `validUntil`, soonest first.
    ///
    /// # Errors
    /// [`QueryError`] naming the parameter at fault, or the database.
    pub async fn credential_page(
        &self,
        query: &CredentialQuery,
    ) -> Result<hallmark_store::Page<CredentialRow>, QueryError> {
        let state = match query.state.as_deref() {
            None | Some("") => None,
            Some(s) => Some(
                serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| {
                    QueryError::State {
                        given: s.to_owned(),
                    }
                })?,
            ),
        };
        let filter = CredentialFilter {
            partner: given(&query.partner),
            tier: given(&query.tier),
            role: given(&query.role),
            state,
            specialization: given(&query.specialization),
        };
        let before = instant("expiring_before", query.expiring_before.as_deref())?;
        let after = instant("expiring_after", query.expiring_after.as_deref())?;
        let page = page_request(query.limit, query.after.as_deref())?;
        let found = if before.is_some() || after.is_some() {
            let window = Expiring {
                // The largest instant RFC 3339 writes: 9999-12-31T23:59:59Z.
                before: before.unwrap_or(253_402_300_800),
                after,
            };
            self.store()
                .credentials_expiring(&filter, &window, &page)
                .await
        } else {
            self.store().credentials(&filter, &page).await
        };
        Ok(found?)
    }
}
