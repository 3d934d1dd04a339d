//! Expiry (migration 0009): the leases that let one of several issuer processes sharing a
//! database run a periodic job at a time, the "expiring" reminders (once per credential and
//! threshold, by a primary key), and the credentials by `validUntil`, soonest first (the
//! admin API's `expiring_before`, `hallmark badges due`, the lifecycle job).

use sqlx::Row;

use crate::credentials::{credential_from_row, filter_conditions, CREDENTIAL_READ_COLUMNS};
use crate::page::{Arg, Conditions, Key};
use crate::{
    sql, AuditEntry, CredentialFilter, CredentialRow, Page, PageRequest, Store, StoreError, Table,
};

/// The cursor shape of the lists by `validUntil`: (valid_until, id, [`BY_VALID_UNTIL`]), so a
/// cursor of the newest-first list (two fields) is refused here, and the reverse.
const DUE_SHAPE: &str = "itt";
/// The marker the third field of such a cursor holds.
const BY_VALID_UNTIL: &str = "valid_until";

/// A window of `validUntil` (Unix seconds): those before `before` and, when set, at or after
/// `after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiring {
    /// `validUntil` strictly before this.
    pub before: i64,
    /// `validUntil` at or after this, when set.
    pub after: Option<i64>,
}

/// A credential that may be due for an "expiring" reminder ([`Store::reminder_candidates`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderCandidate {
    /// The credential's uuid.
    pub id: String,
    /// Its `validUntil`, Unix seconds.
    pub valid_until: i64,
    /// The tightest threshold (days) it has been reminded of already, if any.
    pub reminded: Option<i64>,
}

impl Store {
    /// Claims the lease of job `name` for `holder` until `until` (Unix seconds), unless
    /// another claim holds it past `now` — or ran it less than `until - now` ago, so a
    /// shorter period (a changed interval) takes effect at once: one conditional upsert, so
    /// of several processes claiming at once exactly one gets it. Returns whether this claim
    /// got it.
    ///
    /// # Errors
    /// A database error.
    pub async fn claim_job(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool, sqlite => {
            let done = sqlx::query(&sql(sqlite, "INSERT INTO job_leases (name, holder, leased_until, last_run_at) VALUES ($1, $2, $3, $4) \
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, leased_until = excluded.leased_until, last_run_at = excluded.last_run_at \
                WHERE job_leases.leased_until <= $4 OR job_leases.last_run_at + ($3 - $4) <= $4"))
                .bind(name).bind(holder).bind(until).bind(now)
                .execute(pool).await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// The lease of job `name`: its holder, until when, and when it was last claimed (Unix
    /// seconds).
    ///
    /// # Errors
    /// A database error.
    pub async fn job_lease(&self, name: &str) -> Result<Option<(String, i64, i64)>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let row = sqlx::query(&sql(sqlite, "SELECT holder, leased_until, last_run_at FROM job_leases WHERE name = $1"))
                .bind(name).fetch_optional(pool).await?;
            Ok(match row {
                Some(r) => Some((r.try_get("holder")?, r.try_get("leased_until")?, r.try_get("last_run_at")?)),
                None => None,
            })
        })
    }

    /// Records that credential `credential_id` was found due for its `days` reminder at `at`,
    /// and appends `audit` (its `credential.expiring` entry) in the same transaction, unless
    /// that reminder exists: the primary key (credential, days) makes it once only, however
    /// many processes find it at once. Returns whether this call recorded it.
    ///
    /// # Errors
    /// A database error (an unknown credential is one: a foreign key).
    pub async fn record_reminder(
        &self,
        credential_id: &str,
        days: i64,
        at: i64,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(&sql(sqlite, "INSERT INTO reminders (credential_id, days, at) VALUES ($1, $2, $3) ON CONFLICT (credential_id, days) DO NOTHING"))
                .bind(credential_id).bind(days).bind(at)
                .execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Ok(false);
            }
            audit!(tx, sqlite, audit);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// The reminders recorded for a credential: (days, at), tightest threshold first.
    ///
    /// # Errors
    /// A database error.
    pub async fn reminders(&self, credential_id: &str) -> Result<Vec<(i64, i64)>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let rows = sqlx::query(&sql(sqlite, "SELECT days, at FROM reminders WHERE credential_id = $1 ORDER BY days"))
                .bind(credential_id).fetch_all(pool).await?;
            rows.iter().map(|r| Ok((r.try_get("days")?, r.try_get("at")?))).collect()
        })
    }

    /// A page of the credentials that match `filter`, are not revoked, and whose
    /// `validUntil` is in `window`, soonest first (by `validUntil`, then id). Its cursors are
    /// not those of [`Store::credentials`] (either refuses the other's).
    ///
    /// # Errors
    /// [`StoreError::InvalidCursor`] for a cursor that is not one of this list's, or a
    /// database error.
    pub async fn credentials_expiring(
        &self,
        filter: &CredentialFilter,
        window: &Expiring,
        page: &PageRequest,
    ) -> Result<Page<CredentialRow>, StoreError> {
        let mut c = filter_conditions(filter);
        c.push("revoked_at IS NULL AND valid_until IS NOT NULL".into());
        let before = c.bind(Arg::Int(window.before));
        c.push(format!("valid_until < {before}"));
        if let Some(after) = window.after {
            let p = c.bind(Arg::Int(after));
            c.push(format!("valid_until >= {p}"));
        }
        self.by_valid_until(c, page).await
    }

    /// A page of the badges (credentials with a tier or specialization) that may lapse at `at`: not revoked, holding a "message"
    /// slot whose value is still `active`, with a `validUntil` at or before `at`; soonest
    /// first. Whether the tier's grace period is over is the caller's to decide.
    ///
    /// # Errors
    /// [`StoreError::InvalidCursor`], or a database error.
    pub async fn lapse_candidates(
        &self,
        active: i64,
        at: i64,
        page: &PageRequest,
    ) -> Result<Page<CredentialRow>, StoreError> {
        let mut c = Conditions::default();
        c.push("(tier IS NOT NULL OR specialization IS NOT NULL) AND revoked_at IS NULL AND message_list IS NOT NULL AND valid_until IS NOT NULL".into());
        let p = c.bind(Arg::Int(active));
        c.push(format!("message_status = {p}"));
        let p = c.bind(Arg::Int(at));
        c.push(format!("valid_until <= {p}"));
        self.by_valid_until(c, page).await
    }

    /// A page of the credentials that meet the conditions `c`, soonest `validUntil` first.
    async fn by_valid_until(
        &self,
        mut c: Conditions,
        page: &PageRequest,
    ) -> Result<Page<CredentialRow>, StoreError> {
        push_start(&mut c, page)?;
        let rows = list_rows!(
            self,
            &mut c,
            page,
            format!("SELECT {CREDENTIAL_READ_COLUMNS} FROM credentials"),
            "valid_until, id",
            |r| credential_from_row(r)?
        );
        Ok(Page::of(rows, page, Table::Credentials, due_key))
    }

    /// A page of the badges (credentials with a tier or specialization) that may be due for an "expiring"
    /// reminder at `at`: not revoked, whose "message" value (if they have one) is not `lapsed`, with `validUntil`
    /// after `at` and at most `within` seconds after it; soonest first, each with the
    /// tightest threshold it was reminded of already.
    ///
    /// # Errors
    /// [`StoreError::InvalidCursor`], or a database error.
    pub async fn reminder_candidates(
        &self,
        lapsed: i64,
        at: i64,
        within: i64,
        page: &PageRequest,
    ) -> Result<Page<ReminderCandidate>, StoreError> {
        let mut c = Conditions::default();
        c.push("(tier IS NOT NULL OR specialization IS NOT NULL) AND revoked_at IS NULL".into());
        let p = c.bind(Arg::Int(lapsed));
        c.push(format!("(message_list IS NULL OR message_status <> {p})"));
        let p = c.bind(Arg::Int(at));
        c.push(format!("valid_until > {p}"));
        let p = c.bind(Arg::Int(at.saturating_add(within)));
        c.push(format!("valid_until <= {p}"));
        push_start(&mut c, page)?;
        let rows = list_rows!(
            self,
            &mut c,
            page,
            "SELECT id, valid_until, (SELECT MIN(r.days) FROM reminders r WHERE r.credential_id = credentials.id) AS reminded \
             FROM credentials",
            "valid_until, id",
            |r| ReminderCandidate {
                id: r.try_get("id")?,
                valid_until: r.try_get("valid_until")?,
                reminded: r.try_get("reminded")?,
            }
        );
        Ok(Page::of(rows, page, Table::Credentials, |r| {
            Key(vec![
                Arg::Int(r.valid_until),
                Arg::Text(r.id.clone()),
                Arg::Text(BY_VALID_UNTIL.into()),
            ])
        }))
    }
}

/// The sort key of a row of a list by `validUntil`.
fn due_key(r: &CredentialRow) -> Key {
    Key(vec![
        Arg::Int(r.valid_until.unwrap_or_default()),
        Arg::Text(r.id.clone()),
        Arg::Text(BY_VALID_UNTIL.into()),
    ])
}

/// The condition that starts a page of a list by `validUntil` after its cursor.
fn push_start(c: &mut Conditions, page: &PageRequest) -> Result<(), StoreError> {
    if let Some(key) = page.start(Table::Credentials, DUE_SHAPE)? {
        if key.text(2) != BY_VALID_UNTIL {
            return Err(crate::CursorError::Malformed.into());
        }
        let at = c.bind(Arg::Int(key.int(0)));
        let id = c.bind(Arg::Text(key.text(1)));
        c.push(format!(
            "(valid_until > {at} OR (valid_until = {at} AND id > {id}))"
        ));
    }
    Ok(())
}
