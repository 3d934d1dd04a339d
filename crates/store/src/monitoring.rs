//! Monitoring (issue 15): applications and assessment attempts, training completions,
//! scorecards per partner and period, and the "at risk" flags of tier badges whose partner's
//! latest scorecard missed the tier's floor (migration 0012).
//!
//! Applications, attempts and open flags are keyset pages (`page`); a partner's modules and
//! scorecards (one a quarter) are bounded by a limit.
//! Every change writes its audit entry in the same transaction; a bulk scorecard import is
//! one transaction (all rows or none).

use serde_json::Value;
use sqlx::Row;

use crate::page::{Arg, Conditions, Key};
use crate::{sql, AuditEntry, Page, PageRequest, Store, StoreError, Table};

/// A partner's application (or enrolment) for a tier or a specialization, in a role.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApplicationRow {
    /// Its id (uuid).
    pub id: String,
    /// The partner.
    pub partner_id: String,
    /// The tier's slug (`None` for a specialization).
    pub tier: Option<String>,
    /// The specialization's id (`None` for a tier).
    pub specialization: Option<String>,
    /// The role's slug.
    pub role: String,
    /// When the partner applied, Unix seconds.
    pub applied_at: i64,
    /// When recorded, Unix seconds.
    pub created_at: i64,
}

/// One assessment attempt: an exam (`exam_score`) or a live demo (`demo_level`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AttemptRow {
    /// Its id (uuid).
    pub id: String,
    /// The partner.
    pub partner_id: String,
    /// The application it belongs to, if recorded.
    pub application_id: Option<String>,
    /// The tier's slug (`None` for a specialization).
    pub tier: Option<String>,
    /// The specialization's id (`None` for a tier).
    pub specialization: Option<String>,
    /// The role's slug.
    pub role: String,
    /// `exam` or `demo`.
    pub kind: String,
    /// The exam score, percent (exams only).
    pub exam_score: Option<i64>,
    /// The demo's rubric level (demos only).
    pub demo_level: Option<String>,
    /// Whether it met the bar of its tier or specialization.
    pub passed: bool,
    /// When it was taken, Unix seconds.
    pub attempted_at: i64,
    /// When recorded, Unix seconds.
    pub created_at: i64,
}

/// A training module a partner completed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TrainingRow {
    /// The partner.
    pub partner_id: String,
    /// The module's id (the program's `[[modules]]`).
    pub module: String,
    /// When completed, Unix seconds.
    pub completed_at: i64,
}

/// The scorecard columns, in the order of [`ScorecardRow::metrics`] (the program's
/// `METRICS`).
pub const SCORECARD_METRICS: [&str; 9] = [
    "win_rate",
    "first_pass_quality",
    "rework",
    "nps",
    "margin",
    "attach_rate",
    "influenced_pipeline",
    "nrr",
    "csat",
];

/// A partner's scorecard for one period.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ScorecardRow {
    /// The partner.
    pub partner_id: String,
    /// `YYYY-Qn`.
    pub period: String,
    /// The period's first second, Unix seconds.
    pub period_start: i64,
    /// The next period's first second, Unix seconds.
    pub period_end: i64,
    /// The partner's highest-ranked tier with a badge in force when recorded.
    pub tier: Option<String>,
    /// Each metric of [`SCORECARD_METRICS`], in that order; `None` when not measured.
    pub metrics: [Option<f64>; 9],
    /// When recorded, Unix seconds.
    pub recorded_at: i64,
}

/// An "at risk" flag on a tier badge.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RiskRow {
    /// Its id (uuid).
    pub id: String,
    /// The tier badge.
    pub credential_id: String,
    /// The partner.
    pub partner_id: String,
    /// The scorecard's period that missed the floor.
    pub period: String,
    /// What was missed: `[{"metric", "value", "threshold"}]`.
    pub missed: Value,
    /// When flagged, Unix seconds.
    pub flagged_at: i64,
    /// When the notice period ends, Unix seconds.
    pub notice_until: i64,
    /// When the badge was suspended for it, Unix seconds.
    pub suspended_at: Option<i64>,
    /// When cleared, Unix seconds.
    pub cleared_at: Option<i64>,
    /// What cleared it: `scorecard:<period>`, `renewal:<credential>`, `revoked`.
    pub cleared_by: Option<String>,
}

/// A tier badge in force with its partner's latest scorecard ([`Store::monitored_badges`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Monitored {
    /// The badge's id.
    pub credential_id: String,
    /// The partner.
    pub partner_id: String,
    /// The badge's tier.
    pub tier: String,
    /// Whether the badge is suspended.
    pub suspended: bool,
    /// The partner's latest scorecard.
    pub scorecard: ScorecardRow,
}

const APPLICATION_COLUMNS: &str =
    "id, partner_id, tier, specialization, role, applied_at, created_at";
const ATTEMPT_COLUMNS: &str = "id, partner_id, application_id, tier, specialization, role, kind, exam_score, demo_level, passed, attempted_at, created_at";
const SCORECARD_COLUMNS: &str = "partner_id, period, period_start, period_end, tier, win_rate, first_pass_quality, rework, nps, margin, attach_rate, influenced_pipeline, nrr, csat, recorded_at";
const RISK_COLUMNS: &str = "id, credential_id, partner_id, period, missed, flagged_at, notice_until, suspended_at, cleared_at, cleared_by";

macro_rules! application {
    ($r:expr) => {{
        let r = $r;
        ApplicationRow {
            id: r.try_get("id")?,
            partner_id: r.try_get("partner_id")?,
            tier: r.try_get("tier")?,
            specialization: r.try_get("specialization")?,
            role: r.try_get("role")?,
            applied_at: r.try_get("applied_at")?,
            created_at: r.try_get("created_at")?,
        }
    }};
}

macro_rules! attempt {
    ($r:expr) => {{
        let r = $r;
        AttemptRow {
            id: r.try_get("id")?,
            partner_id: r.try_get("partner_id")?,
            application_id: r.try_get("application_id")?,
            tier: r.try_get("tier")?,
            specialization: r.try_get("specialization")?,
            role: r.try_get("role")?,
            kind: r.try_get("kind")?,
            exam_score: r.try_get("exam_score")?,
            demo_level: r.try_get("demo_level")?,
            passed: r.try_get("passed")?,
            attempted_at: r.try_get("attempted_at")?,
            created_at: r.try_get("created_at")?,
        }
    }};
}

macro_rules! scorecard {
    ($r:expr) => {{
        let r = $r;
        let mut metrics = [None; 9];
        for (m, name) in metrics.iter_mut().zip(SCORECARD_METRICS) {
            *m = r.try_get::<Option<f64>, _>(name)?;
        }
        ScorecardRow {
            partner_id: r.try_get("partner_id")?,
            period: r.try_get("period")?,
            period_start: r.try_get("period_start")?,
            period_end: r.try_get("period_end")?,
            tier: r.try_get("tier")?,
            metrics,
            recorded_at: r.try_get("recorded_at")?,
        }
    }};
}

macro_rules! risk {
    ($r:expr) => {{
        let r = $r;
        let missed: String = r.try_get("missed")?;
        RiskRow {
            id: r.try_get("id")?,
            credential_id: r.try_get("credential_id")?,
            partner_id: r.try_get("partner_id")?,
            period: r.try_get("period")?,
            missed: serde_json::from_str(&missed).unwrap_or(Value::String(missed)),
            flagged_at: r.try_get("flagged_at")?,
            notice_until: r.try_get("notice_until")?,
            suspended_at: r.try_get("suspended_at")?,
            cleared_at: r.try_get("cleared_at")?,
            cleared_by: r.try_get("cleared_by")?,
        }
    }};
}

/// Inserts or replaces one scorecard inside transaction `$tx`.
macro_rules! upsert_scorecard {
    ($tx:ident, $sqlite:ident, $s:expr) => {{
        let s: &ScorecardRow = $s;
        let text = format!(
            "INSERT INTO scorecards ({SCORECARD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
             ON CONFLICT (partner_id, period) DO UPDATE SET tier = excluded.tier, win_rate = excluded.win_rate, \
             first_pass_quality = excluded.first_pass_quality, rework = excluded.rework, nps = excluded.nps, \
             margin = excluded.margin, attach_rate = excluded.attach_rate, influenced_pipeline = excluded.influenced_pipeline, \
             nrr = excluded.nrr, csat = excluded.csat, recorded_at = excluded.recorded_at"
        );
        let text = $crate::sql($sqlite, &text);
        let mut q = sqlx::query(&text)
            .bind(&s.partner_id)
            .bind(&s.period)
            .bind(s.period_start)
            .bind(s.period_end)
            .bind(&s.tier);
        for m in s.metrics {
            q = q.bind(m);
        }
        q.bind(s.recorded_at).execute(&mut *$tx).await?;
    }};
}

impl Store {
    /// Records an application, with its audit entry.
    ///
    /// # Errors
    /// A database error (an unknown partner breaks a foreign key).
    pub async fn insert_application(
        &self,
        a: &ApplicationRow,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            sqlx::query(&sql(sqlite, &format!("INSERT INTO applications ({APPLICATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)")))
                .bind(&a.id).bind(&a.partner_id).bind(&a.tier).bind(&a.specialization)
                .bind(&a.role).bind(a.applied_at).bind(a.created_at)
                .execute(&mut *tx).await?;
            audit!(tx, sqlite, audit);
            tx.commit().await?;
            Ok(())
        })
    }

    /// An application by id.
    ///
    /// # Errors
    /// A database error.
    pub async fn application(&self, id: &str) -> Result<Option<ApplicationRow>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let row = sqlx::query(&sql(sqlite, &format!("SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = $1")))
                .bind(id).fetch_optional(pool).await?;
            Ok(match row { Some(r) => Some(application!(&r)), None => None })
        })
    }

    /// A page of applications, newest first (by `applied_at`, then id), of one partner or
    /// all.
    ///
    /// # Errors
    /// [`StoreError::InvalidCursor`] for another list's cursor, or a database error.
    pub async fn applications(
        &self,
        partner: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<ApplicationRow>, StoreError> {
        let mut c = Conditions::default();
        if let Some(p) = partner {
            let p = c.bind(Arg::Text(p.to_owned()));
            c.push(format!("partner_id = {p}"));
        }
        if let Some(key) = page.start(Table::Applications, "it")? {
            let (at, id) = (c.bind(Arg::Int(key.int(0))), c.bind(Arg::Text(key.text(1))));
            c.push(format!(
                "(applied_at < {at} OR (applied_at = {at} AND id < {id}))"
            ));
        }
        let rows = list_rows!(
            self,
            &mut c,
            page,
            format!("SELECT {APPLICATION_COLUMNS} FROM applications"),
            "applied_at DESC, id DESC",
            |r| application!(r)
        );
        Ok(Page::of(rows, page, Table::Applications, |a| {
            Key(vec![Arg::Int(a.applied_at), Arg::Text(a.id.clone())])
        }))
    }

    /// Records an attempt, with its audit entry.
    ///
    /// # Errors
    /// A database error.
    pub async fn insert_attempt(
        &self,
        a: &AttemptRow,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            sqlx::query(&sql(sqlite, &format!("INSERT INTO attempts ({ATTEMPT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")))
                .bind(&a.id).bind(&a.partner_id).bind(&a.application_id).bind(&a.tier)
                .bind(&a.specialization).bind(&a.role).bind(&a.kind).bind(a.exam_score)
                .bind(&a.demo_level).bind(a.passed).bind(a.attempted_at).bind(a.created_at)
                .execute(&mut *tx).await?;
            audit!(tx, sqlite, audit);
            tx.commit().await?;
            Ok(())
        })
    }

    /// A page of attempts, newest first (by `attempted_at`, then id), of one partner or all.
    ///
    /// # Errors
    /// [`StoreError::InvalidCursor`] for another list's cursor, or a database error.
    pub async fn attempts(
        &self,
        partner: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<AttemptRow>, StoreError> {
        let mut c = Conditions::default();
        if let Some(p) = partner {
            let p = c.bind(Arg::Text(p.to_owned()));
            c.push(format!("partner_id = {p}"));
        }
        if let Some(key) = page.start(Table::Attempts, "it")? {
            let (at, id) = (c.bind(Arg::Int(key.int(0))), c.bind(Arg::Text(key.text(1))));
            c.push(format!(
                "(attempted_at < {at} OR (attempted_at = {at} AND id < {id}))"
            ));
        }
        let rows = list_rows!(
            self,
            &mut c,
            page,
            format!("SELECT {ATTEMPT_COLUMNS} FROM attempts"),
            "attempted_at DESC, id DESC",
            |r| attempt!(r)
        );
        Ok(Page::of(rows, page, Table::Attempts, |a| {
            Key(vec![Arg::Int(a.attempted_at), Arg::Text(a.id.clone())])
        }))
    }

    /// Records (or re-dates) a completed training module, with its audit entry.
    ///
    /// # Errors
    /// A database error.
    pub async fn record_training(
        &self,
        t: &TrainingRow,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            sqlx::query(&sql(sqlite, "INSERT INTO training (partner_id, module, completed_at) VALUES ($1, $2, $3) ON CONFLICT (partner_id, module) DO UPDATE SET completed_at = excluded.completed_at"))
                .bind(&t.partner_id).bind(&t.module).bind(t.completed_at)
                .execute(&mut *tx).await?;
            audit!(tx, sqlite, audit);
            tx.commit().await?;
            Ok(())
        })
    }

    /// A partner's completed modules, by module id.
    ///
    /// # Errors
    /// A database error.
    pub async fn training(&self, partner: &str) -> Result<Vec<TrainingRow>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let rows = sqlx::query(&sql(sqlite, "SELECT partner_id, module, completed_at FROM training WHERE partner_id = $1 ORDER BY module"))
                .bind(partner).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(TrainingRow {
                    partner_id: r.try_get("partner_id")?,
                    module: r.try_get("module")?,
                    completed_at: r.try_get("completed_at")?,
                });
            }
            Ok(out)
        })
    }

    /// Records scorecards (each inserted, or replacing the partner's scorecard of that
    /// period) with their audit entries, all in one transaction: all or none. Returns, for
    /// each, whether it replaced one.
    ///
    /// # Errors
    /// A database error; nothing is written.
    pub async fn put_scorecards(
        &self,
        cards: &[ScorecardRow],
        audits: &[&AuditEntry],
    ) -> Result<Vec<bool>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            let mut replaced = Vec::with_capacity(cards.len());
            for s in cards {
                let had = sqlx::query(&sql(sqlite, "SELECT 1 FROM scorecards WHERE partner_id = $1 AND period = $2"))
                    .bind(&s.partner_id).bind(&s.period).fetch_optional(&mut *tx).await?;
                replaced.push(had.is_some());
                upsert_scorecard!(tx, sqlite, s);
            }
            audit_many!(tx, sqlite, audits);
            tx.commit().await?;
            Ok(replaced)
        })
    }

    /// A partner's scorecard of one period.
    ///
    /// # Errors
    /// A database error.
    pub async fn scorecard(
        &self,
        partner: &str,
        period: &str,
    ) -> Result<Option<ScorecardRow>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let row = sqlx::query(&sql(sqlite, &format!("SELECT {SCORECARD_COLUMNS} FROM scorecards WHERE partner_id = $1 AND period = $2")))
                .bind(partner).bind(period).fetch_optional(pool).await?;
            Ok(match row { Some(r) => Some(scorecard!(&r)), None => None })
        })
    }

    /// A partner's scorecards, latest period first; at most `limit`.
    ///
    /// # Errors
    /// A database error.
    pub async fn scorecards(
        &self,
        partner: &str,
        limit: u32,
    ) -> Result<Vec<ScorecardRow>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let rows = sqlx::query(&sql(sqlite, &format!("SELECT {SCORECARD_COLUMNS} FROM scorecards WHERE partner_id = $1 ORDER BY period_start DESC LIMIT {limit}")))
                .bind(partner).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push(scorecard!(r)); }
            Ok(out)
        })
    }

    /// Whether a flag (open, or cleared since, e.g. when the badge expired) ever suspended
    /// badge `credential`.
    ///
    /// # Errors
    /// A database error.
    pub async fn risk_ever_suspended(&self, credential: &str) -> Result<bool, StoreError> {
        with_pool!(self, pool, sqlite => {
            let row = sqlx::query(&sql(sqlite, "SELECT 1 FROM risks WHERE credential_id = $1 AND suspended_at IS NOT NULL LIMIT 1"))
                .bind(credential).fetch_optional(pool).await?;
            Ok(row.is_some())
        })
    }

    /// Who last suspended or reinstated credential `id` (the actor of its latest
    /// `credential.suspend` / `credential.reinstate` audit entry), if anyone did: `system`
    /// for the "at risk" machinery, so a suspension the agency made after it stays the
    /// agency's.
    ///
    /// # Errors
    /// A database error.
    pub async fn last_suspension_actor(&self, id: &str) -> Result<Option<String>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let row = sqlx::query(&sql(sqlite, "SELECT actor, action FROM audit_log WHERE subject = $1 AND action IN ('credential.suspend', 'credential.reinstate') ORDER BY id DESC LIMIT 1"))
                .bind(id).fetch_optional(pool).await?;
            Ok(match row {
                Some(r) => {
                    let action: String = r.try_get("action")?;
                    match action.as_str() {
                        "credential.suspend" => Some(r.try_get("actor")?),
                        _ => None,
                    }
                }
                None => None,
            })
        })
    }

    /// A partner's latest scorecard among those whose period began by `at` (Unix seconds):
    /// the one monitoring reads, so a scorecard of a quarter not yet begun counts for neither
    /// monitoring nor a renewal.
    ///
    /// # Errors
    /// A database error.
    pub async fn latest_scorecard(
        &self,
        partner: &str,
        at: i64,
    ) -> Result<Option<ScorecardRow>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let row = sqlx::query(&sql(sqlite, &format!("SELECT {SCORECARD_COLUMNS} FROM scorecards WHERE partner_id = $1 AND period_start <= $2 ORDER BY period_start DESC LIMIT 1")))
                .bind(partner).bind(at).fetch_optional(pool).await?;
            Ok(match row { Some(r) => Some(scorecard!(&r)), None => None })
        })
    }

    /// The tiers of a partner's badges in force at `at` (tier badges, not revoked, not
    /// expired; suspended ones count), for a scorecard's `tier`.
    ///
    /// # Errors
    /// A database error.
    pub async fn tiers_in_force(&self, partner: &str, at: i64) -> Result<Vec<String>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let rows = sqlx::query(&sql(sqlite, "SELECT DISTINCT tier FROM credentials WHERE partner_id = $1 AND tier IS NOT NULL AND specialization IS NULL AND revoked_at IS NULL AND (valid_until IS NULL OR valid_until > $2)"))
                .bind(partner).bind(at).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push(r.try_get("tier")?); }
            Ok(out)
        })
    }

    /// Tier badges in force at `at` (not revoked, not expired, no specialization) of partners
    /// with a scorecard whose period began by `at`, each with the latest such scorecard;
    /// ordered by badge id, `limit` of them after badge id `after`.
    ///
    /// # Errors
    /// A database error.
    pub async fn monitored_badges(
        &self,
        at: i64,
        after: &str,
        limit: u32,
    ) -> Result<Vec<Monitored>, StoreError> {
        let columns: Vec<String> = SCORECARD_COLUMNS
            .split(", ")
            .map(|c| format!("s.{c}"))
            .collect();
        let text = format!(
            "SELECT c.id AS credential_id, c.tier AS badge_tier, c.suspended, {} FROM credentials c \
             JOIN scorecards s ON s.partner_id = c.partner_id AND s.period_start = \
             (SELECT MAX(s2.period_start) FROM scorecards s2 WHERE s2.partner_id = c.partner_id AND s2.period_start <= $1) \
             WHERE c.tier IS NOT NULL AND c.specialization IS NULL AND c.revoked_at IS NULL \
             AND (c.valid_until IS NULL OR c.valid_until > $1) AND c.id > $2 ORDER BY c.id LIMIT {limit}",
            columns.join(", ")
        );
        with_pool!(self, pool, sqlite => {
            let rows = sqlx::query(&sql(sqlite, &text)).bind(at).bind(after).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let scorecard = scorecard!(r);
                out.push(Monitored {
                    credential_id: r.try_get("credential_id")?,
                    partner_id: scorecard.partner_id.clone(),
                    tier: r.try_get("badge_tier")?,
                    suspended: r.try_get("suspended")?,
                    scorecard,
                });
            }
            Ok(out)
        })
    }

    /// The open flag of a badge, if any.
    ///
    /// # Errors
    /// A database error.
    pub async fn open_risk(&self, credential: &str) -> Result<Option<RiskRow>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let row = sqlx::query(&sql(sqlite, &format!("SELECT {RISK_COLUMNS} FROM risks WHERE credential_id = $1 AND cleared_at IS NULL")))
                .bind(credential).fetch_optional(pool).await?;
            Ok(match row { Some(r) => Some(risk!(&r)), None => None })
        })
    }

    /// A page of the open flags, oldest first (by `flagged_at`, then id), of one partner or
    /// all.
    ///
    /// # Errors
    /// [`StoreError::InvalidCursor`] for another list's cursor, or a database error.
    pub async fn open_risks(
        &self,
        partner: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<RiskRow>, StoreError> {
        let mut c = Conditions::default();
        c.push("cleared_at IS NULL".into());
        if let Some(p) = partner {
            let p = c.bind(Arg::Text(p.to_owned()));
            c.push(format!("partner_id = {p}"));
        }
        if let Some(key) = page.start(Table::Risks, "it")? {
            let (at, id) = (c.bind(Arg::Int(key.int(0))), c.bind(Arg::Text(key.text(1))));
            c.push(format!(
                "(flagged_at > {at} OR (flagged_at = {at} AND id > {id}))"
            ));
        }
        let rows = list_rows!(
            self,
            &mut c,
            page,
            format!("SELECT {RISK_COLUMNS} FROM risks"),
            "flagged_at, id",
            |r| risk!(r)
        );
        Ok(Page::of(rows, page, Table::Risks, |r| {
            Key(vec![Arg::Int(r.flagged_at), Arg::Text(r.id.clone())])
        }))
    }

    /// Flags a badge at risk, with its audit entry (`credential.at_risk`, told by webhook and
    /// e-mail); `false`, writing nothing, when it has an open flag already (another process
    /// came first).
    ///
    /// # Errors
    /// A database error.
    pub async fn flag_risk(&self, risk: &RiskRow, audit: &AuditEntry) -> Result<bool, StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            let text = format!("INSERT INTO risks ({RISK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (credential_id) WHERE cleared_at IS NULL DO NOTHING");
            let done = sqlx::query(&sql(sqlite, &text))
                .bind(&risk.id).bind(&risk.credential_id).bind(&risk.partner_id).bind(&risk.period)
                .bind(risk.missed.to_string()).bind(risk.flagged_at).bind(risk.notice_until)
                .bind(risk.suspended_at).bind(risk.cleared_at).bind(&risk.cleared_by)
                .execute(&mut *tx).await?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            audit!(tx, sqlite, audit);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Records that flag `id` (open) had its badge suspended at `at`.
    ///
    /// # Errors
    /// A database error.
    pub async fn risk_suspended(&self, id: &str, at: i64) -> Result<bool, StoreError> {
        with_pool!(self, pool, sqlite => {
            let done = sqlx::query(&sql(sqlite, "UPDATE risks SET suspended_at = $1 WHERE id = $2 AND cleared_at IS NULL AND suspended_at IS NULL"))
                .bind(at).bind(id).execute(pool).await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Clears the open flag of badge `credential` at `at`, `by` what (`scorecard:<period>`,
    /// `renewal:<credential>`), with its audit entry; the flag as it was, or `None` (nothing
    /// written) when it had none.
    ///
    /// # Errors
    /// A database error.
    pub async fn clear_risk(
        &self,
        credential: &str,
        at: i64,
        by: &str,
        audit: &AuditEntry,
    ) -> Result<Option<RiskRow>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            let row = sqlx::query(&sql(sqlite, &format!("SELECT {RISK_COLUMNS} FROM risks WHERE credential_id = $1 AND cleared_at IS NULL FOR UPDATE")))
                .bind(credential).fetch_optional(&mut *tx).await?;
            let Some(r) = row else { return Ok(None) };
            let risk = risk!(&r);
            let done = sqlx::query(&sql(sqlite, "UPDATE risks SET cleared_at = $1, cleared_by = $2 WHERE id = $3 AND cleared_at IS NULL"))
                .bind(at).bind(by).bind(&risk.id).execute(&mut *tx).await?;
            if done.rows_affected() == 0 {
                return Ok(None);
            }
            audit!(tx, sqlite, audit);
            tx.commit().await?;
            Ok(Some(risk))
        })
    }

    /// Clears the open flags of badges no longer watched at `at`: revoked since (superseded
    /// by another approval, withdrawn; `by` "revoked") or expired (`by` "expired"). How many.
    ///
    /// # Errors
    /// A database error.
    pub async fn clear_ended_risks(&self, at: i64) -> Result<u64, StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut n = 0;
            for (by, ended) in [
                ("revoked", "revoked_at IS NOT NULL"),
                ("expired", "valid_until IS NOT NULL AND valid_until <= $3"),
            ] {
                let text = format!("UPDATE risks SET cleared_at = $1, cleared_by = $2 WHERE cleared_at IS NULL AND credential_id IN (SELECT id FROM credentials WHERE {ended})");
                let text = sql(sqlite, &text);
                let mut q = sqlx::query(&text).bind(at).bind(by);
                if by == "expired" {
                    q = q.bind(at);
                }
                n += q.execute(pool).await?.rows_affected();
            }
            Ok(n)
        })
    }
}
