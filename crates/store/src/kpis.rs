//! The program's KPIs (issue 15) as aggregate queries: certified partners at chosen instants,
//! time to certification, assessment scores, first-pass rate, renewals due, renewal rate,
//! ends of badges by public reason, partners at risk and scorecard roll-ups.
//!
//! Each query is set-based and answers aggregates only (counts, histograms, means), and each
//! reads its table through an index on the column its window bounds (migration 0015 adds
//! those the others lacked): no query scans `credentials`, `attempts` or `scorecards` whole.
//! The service (`hallmark_issuer::service::kpis`) turns histograms into medians and
//! percentiles and documents what each figure means.
//!
//! A *tier badge* here is a credential with a role and a tier (only badges have them), and no
//! specialization (`credentials.specialization IS NULL`); a *specialization badge* has a
//! specialization. A badge is *in force* at instant `t` when its `valid_from` (its approval's
//! `approved_at`, the badge's `validFrom`) is at or before `t`, `t` is at most its
//! `validUntil` plus its grace period, and it has not ended by `t` (`ended_at`: a superseded
//! badge ends when its successor's approval took effect, any other revoked one at
//! `revoked_at`). Migration 0015's triggers keep `valid_from` and `ended_at`, and running
//! scorecard sums (`scorecard_sums`), so the queries need no joins.
//!
//! Partners are counted as badges in force per tier (or specialization) and role: a partner
//! holds at most one badge in force per role (a new approval for the role supersedes the
//! current badge at the instant the new one takes effect), so the count of badges is the
//! count of distinct partners, and one pass over the badges counts every instant.

use sqlx::Row;

use crate::page::{Arg, Conditions};
use crate::{sql, Store, StoreError};

/// Seconds a day.
const DAY: i64 = 86_400;

/// What the KPI queries are asked: the window, the instants, and the program's grace periods.
#[derive(Debug, Clone, Default)]
pub struct KpiWindow {
    /// The window's first second (Unix seconds, inclusive).
    pub from: i64,
    /// The window's end (Unix seconds, exclusive).
    pub to: i64,
    /// "Now": the instant renewals due, current counts and open risks are read at.
    pub at: i64,
    /// Only this tier (tier badges, attempts, applications, scorecards), when given.
    pub tier: Option<String>,
    /// Only this role (badges, attempts, applications; scorecards have none), when given.
    pub role: Option<String>,
    /// The program's roles (slugs): the badges counted in force are of these.
    pub roles: Vec<String>,
    /// Grace periods, seconds, by tier slug: the program's tiers (badges of others are not
    /// counted in force).
    pub tier_grace: Vec<(String, i64)>,
    /// Grace periods, seconds, by specialization id.
    pub specialization_grace: Vec<(String, i64)>,
    /// The instants partners are counted at (Unix seconds), e.g. each quarter's last second.
    pub points: Vec<i64>,
    /// The first second of the first quarter the scorecard roll-ups cover.
    pub scorecards_from: i64,
}

impl KpiWindow {
    /// The longest grace period, seconds (a lower bound for index ranges on `valid_until`).
    fn longest_grace(&self) -> i64 {
        self.tier_grace
            .iter()
            .chain(&self.specialization_grace)
            .map(|(_, g)| *g)
            .max()
            .unwrap_or(0)
            .max(0)
    }

    /// The instants partners are counted at: the points and `at`, sorted, once each.
    pub fn instants(&self) -> Vec<i64> {
        let mut points = self.points.clone();
        points.push(self.at);
        points.sort_unstable();
        points.dedup();
        points
    }

    /// `CASE` giving badge `c`'s grace period in seconds, its names bound in `c`.
    fn grace_sql(&self, q: &mut Conditions) -> String {
        let mut out = String::from("(CASE");
        for (slug, grace) in &self.specialization_grace {
            let p = q.bind(Arg::Text(slug.clone()));
            out.push_str(&format!(" WHEN c.specialization = {p} THEN {grace}"));
        }
        out.push_str(" WHEN c.specialization IS NOT NULL THEN 0");
        for (slug, grace) in &self.tier_grace {
            let p = q.bind(Arg::Text(slug.clone()));
            out.push_str(&format!(" WHEN c.tier = {p} THEN {grace}"));
        }
        out.push_str(" ELSE 0 END)");
        out
    }

    /// ` AND c.tier = … AND c.role = …` for the filters given, on alias `alias`.
    fn filters(&self, q: &mut Conditions, alias: &str) -> String {
        let mut out = String::new();
        if let Some(tier) = &self.tier {
            let p = q.bind(Arg::Text(tier.clone()));
            out.push_str(&format!(" AND {alias}.tier = {p}"));
        }
        if let Some(role) = &self.role {
            let p = q.bind(Arg::Text(role.clone()));
            out.push_str(&format!(" AND {alias}.role = {p}"));
        }
        out
    }
}

/// Partners with badges in force at an instant, for one tier (or specialization) and role
/// (their badges in force, one a partner and role; see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertifiedCount {
    /// The instant (Unix seconds), one of [`KpiWindow::points`] or [`KpiWindow::at`].
    pub at: i64,
    /// The tier (tier badges), or `None` for a specialization badge.
    pub tier: Option<String>,
    /// The specialization, for specialization badges.
    pub specialization: Option<String>,
    /// The role.
    pub role: String,
    /// Partners.
    pub partners: i64,
}

/// How many of something had a value, by tier: a histogram row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket<V> {
    /// The tier.
    pub tier: String,
    /// The value (whole days, a score, a rubric level).
    pub value: V,
    /// How many.
    pub count: i64,
}

/// One period's scorecard roll-up: per metric (in `hallmark_issuer::program::METRICS`
/// order) how many scorecards measured it and their mean.
#[derive(Debug, Clone, PartialEq)]
pub struct ScorecardRollup {
    /// The period (`2026-Q3`).
    pub period: String,
    /// Its first second.
    pub period_start: i64,
    /// Scorecards of the period.
    pub scorecards: i64,
    /// Per metric: (how many measured it, their mean or `None` when none did).
    pub metrics: Vec<(i64, Option<f64>)>,
}

/// A value bound to a KPI statement ([`Store::kpi_statements`]).
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KpiArg {
    /// Text.
    Text(String),
    /// An integer.
    Int(i64),
}

/// The scorecard metric columns, in `hallmark_issuer::program::METRICS` order.
pub const SCORECARD_COLUMNS: [&str; 9] = [
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

/// Everything the KPI queries answered, raw (histograms, counts).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KpiRows {
    /// Partners with a badge in force, at each point and at `at`.
    pub certified: Vec<CertifiedCount>,
    /// Whole days from application to first certification, by tier, of the certifications
    /// approved in the window.
    pub days_to_certification: Vec<Bucket<i64>>,
    /// Exam scores (percent) of the attempts in the window, by tier.
    pub exam_scores: Vec<Bucket<i64>>,
    /// Demo levels reached in the attempts in the window, by tier.
    pub demo_levels: Vec<Bucket<String>>,
    /// Applications whose first attempt fell in the window, and how many of those passed.
    pub first_attempts: (i64, i64),
    /// Tier badges not revoked or lapsed whose `validUntil` is in `(at, at + 30/60/90 days]`.
    pub due: [i64; 3],
    /// Tier badges (not withdrawn) whose `validUntil` fell in the window, and how many of
    /// those a badge of the same tier and role superseded.
    pub renewals: (i64, i64),
    /// Tier badges superseded in the window (by their successor's `approved_at`).
    pub superseded: i64,
    /// Tier badges that lapsed in the window (their `validUntil` plus grace in it).
    pub lapsed: i64,
    /// Tier badges withdrawn in the window (`revoked_at` in it).
    pub withdrawn: i64,
    /// Tier badges "under review" at `at` (not revoked).
    pub under_review: i64,
    /// Open risk flags at `at`: (flags, distinct partners, of them suspended).
    pub risks: (i64, i64, i64),
    /// Scorecard roll-ups per period, oldest first.
    pub scorecards: Vec<ScorecardRollup>,
}

/// The tier badges' condition on alias `c`.
const TIER_BADGE: &str = "c.role IS NOT NULL AND c.tier IS NOT NULL AND c.specialization IS NULL";

impl Store {
    /// Runs every KPI query for `w` (see [`KpiRows`] for what each answers).
    ///
    /// # Errors
    /// The database.
    pub async fn kpis(&self, w: &KpiWindow) -> Result<KpiRows, StoreError> {
        // The statements are independent reads: run at once, each on its own pooled
        // connection (SQLite's WAL readers and PostgreSQL's backends work in parallel), the
        // answer waits for the slowest rather than for their sum.
        let (
            certified,
            days_to_certification,
            exam_scores,
            demo_levels,
            first_attempts,
            due,
            renewals,
            superseded,
            lapsed,
            withdrawn,
            under_review,
            risks,
            scorecards,
        ) = tokio::try_join!(
            self.kpi_certified(w),
            self.kpi_days_to_certification(w),
            self.kpi_exam_scores(w),
            self.kpi_demo_levels(w),
            self.kpi_first_attempts(w),
            self.kpi_due(w),
            self.kpi_renewals(w),
            self.kpi_superseded(w),
            self.kpi_lapsed(w),
            self.kpi_message_count(w, 3, true),
            self.kpi_message_count(w, 4, false),
            self.kpi_risks(w),
            self.kpi_scorecards(w),
        )?;
        Ok(KpiRows {
            certified,
            days_to_certification,
            exam_scores,
            demo_levels,
            first_attempts,
            due,
            renewals,
            superseded,
            lapsed,
            withdrawn,
            under_review,
            risks,
            scorecards,
        })
    }

    /// The KPI statements for `w` as run (dialect placeholders, arguments bound), each with
    /// its name: for `EXPLAIN` in tests.
    #[doc(hidden)]
    pub fn kpi_statements(&self, w: &KpiWindow) -> Vec<(&'static str, String, Vec<KpiArg>)> {
        let sqlite = matches!(self, Store::Sqlite(_));
        let all = [
            ("certified", certified_sql(w)),
            ("days_to_certification", days_sql(w)),
            ("exam_scores", exam_sql(w)),
            ("demo_levels", demo_sql(w)),
            ("first_attempts", first_attempts_sql(w)),
            ("due", due_sql(w)),
            ("renewals", renewals_sql(w)),
            ("superseded", superseded_sql(w)),
            ("lapsed", lapsed_sql(w)),
            ("withdrawn", message_sql(w, 3, true)),
            ("under_review", message_sql(w, 4, false)),
            ("risks", risks_sql(w)),
            ("scorecards", scorecards_sql(w)),
        ];
        all.into_iter()
            .map(|(name, (text, args))| {
                let args = args
                    .into_iter()
                    .map(|a| match a {
                        Arg::Text(t) => KpiArg::Text(t),
                        Arg::Int(n) => KpiArg::Int(n),
                    })
                    .collect();
                (name, sql(sqlite, &text), args)
            })
            .collect()
    }

    async fn kpi_certified(&self, w: &KpiWindow) -> Result<Vec<CertifiedCount>, StoreError> {
        let (text, args) = certified_sql(w);
        let instants = w.instants();
        let mut out = Vec::new();
        with_pool!(self, pool, sqlite => {
            let rows = { let q = sql(sqlite, &text); bind_all!(sqlx::query(&q), &args).fetch_all(pool).await? };
            for r in &rows {
                let tier: Option<String> = r.try_get("tier")?;
                let specialization: Option<String> = r.try_get("specialization")?;
                let role: String = r.try_get("role")?;
                for (i, at) in instants.iter().enumerate() {
                    let partners: i64 = r.try_get(format!("n{i}").as_str())?;
                    if partners > 0 {
                        out.push(CertifiedCount { at: *at, tier: tier.clone(), specialization: specialization.clone(), role: role.clone(), partners });
                    }
                }
            }
        });
        out.sort_by(|a, b| {
            (a.at, &a.tier, &a.specialization, &a.role).cmp(&(
                b.at,
                &b.tier,
                &b.specialization,
                &b.role,
            ))
        });
        Ok(out)
    }

    async fn kpi_days_to_certification(
        &self,
        w: &KpiWindow,
    ) -> Result<Vec<Bucket<i64>>, StoreError> {
        let (text, args) = days_sql(w);
        self.buckets(&text, &args).await
    }

    async fn kpi_exam_scores(&self, w: &KpiWindow) -> Result<Vec<Bucket<i64>>, StoreError> {
        let (text, args) = exam_sql(w);
        self.buckets(&text, &args).await
    }

    async fn buckets(&self, text: &str, args: &[Arg]) -> Result<Vec<Bucket<i64>>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let rows = { let q = sql(sqlite, text); bind_all!(sqlx::query(&q), args).fetch_all(pool).await? };
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                // No application (v NULL): not measured. Left out here rather than in SQL, where
                // PostgreSQL would compute v for every approval before the anti-joins.
                if let Some(value) = r.try_get::<Option<i64>, _>("v")? {
                    out.push(Bucket { tier: r.try_get("tier")?, value, count: r.try_get("n")? });
                }
            }
            Ok(out)
        })
    }

    async fn kpi_demo_levels(&self, w: &KpiWindow) -> Result<Vec<Bucket<String>>, StoreError> {
        let (text, args) = demo_sql(w);
        with_pool!(self, pool, sqlite => {
            let rows = { let q = sql(sqlite, &text); bind_all!(sqlx::query(&q), &args).fetch_all(pool).await? };
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(Bucket { tier: r.try_get("tier")?, value: r.try_get("v")?, count: r.try_get("n")? });
            }
            Ok(out)
        })
    }

    /// One row of integer columns `names`.
    async fn ints<const N: usize>(
        &self,
        text: &str,
        args: &[Arg],
        names: [&str; N],
    ) -> Result<[i64; N], StoreError> {
        with_pool!(self, pool, sqlite => {
            let r = { let q = sql(sqlite, text); bind_all!(sqlx::query(&q), args).fetch_one(pool).await? };
            let mut out = [0; N];
            for (slot, name) in out.iter_mut().zip(names) {
                *slot = r.try_get::<Option<i64>, _>(name)?.unwrap_or(0);
            }
            Ok(out)
        })
    }

    async fn kpi_first_attempts(&self, w: &KpiWindow) -> Result<(i64, i64), StoreError> {
        let (text, args) = first_attempts_sql(w);
        let [n, passed] = self.ints(&text, &args, ["n", "passed"]).await?;
        Ok((n, passed))
    }

    async fn kpi_due(&self, w: &KpiWindow) -> Result<[i64; 3], StoreError> {
        let (text, args) = due_sql(w);
        self.ints(&text, &args, ["d30", "d60", "d90"]).await
    }

    async fn kpi_renewals(&self, w: &KpiWindow) -> Result<(i64, i64), StoreError> {
        let (text, args) = renewals_sql(w);
        let [n, renewed] = self.ints(&text, &args, ["n", "renewed"]).await?;
        Ok((n, renewed))
    }

    async fn kpi_superseded(&self, w: &KpiWindow) -> Result<i64, StoreError> {
        let (text, args) = superseded_sql(w);
        Ok(self.ints(&text, &args, ["n"]).await?[0])
    }

    async fn kpi_lapsed(&self, w: &KpiWindow) -> Result<i64, StoreError> {
        let (text, args) = lapsed_sql(w);
        Ok(self.ints(&text, &args, ["n"]).await?[0])
    }

    async fn kpi_message_count(
        &self,
        w: &KpiWindow,
        message: i64,
        revoked_in_window: bool,
    ) -> Result<i64, StoreError> {
        let (text, args) = message_sql(w, message, revoked_in_window);
        Ok(self.ints(&text, &args, ["n"]).await?[0])
    }

    async fn kpi_risks(&self, w: &KpiWindow) -> Result<(i64, i64, i64), StoreError> {
        let (text, args) = risks_sql(w);
        let [flags, partners, suspended] = self
            .ints(&text, &args, ["flags", "partners", "suspended"])
            .await?;
        Ok((flags, partners, suspended))
    }

    async fn kpi_scorecards(&self, w: &KpiWindow) -> Result<Vec<ScorecardRollup>, StoreError> {
        let (text, args) = scorecards_sql(w);
        with_pool!(self, pool, sqlite => {
            let rows = { let q = sql(sqlite, &text); bind_all!(sqlx::query(&q), &args).fetch_all(pool).await? };
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let mut metrics = Vec::with_capacity(SCORECARD_COLUMNS.len());
                for m in SCORECARD_COLUMNS {
                    let n: i64 = r.try_get(format!("n_{m}").as_str())?;
                    let sum: f64 = r.try_get(format!("s_{m}").as_str())?;
                    #[allow(clippy::cast_precision_loss)]
                    metrics.push((n, (n > 0).then(|| sum / n as f64)));
                }
                out.push(ScorecardRollup {
                    period: r.try_get("period")?,
                    period_start: r.try_get("ps")?,
                    scorecards: r.try_get("n")?,
                    metrics,
                });
            }
            Ok(out)
        })
    }
}

/// Badges in force at each of [`KpiWindow::instants`], by tier or specialization and role:
/// one branch a tier (and a specialization) of the program, each read from the index
/// `credentials_by_kind` in (tier, role) order, so no sort; one count column an instant
/// (`n0`, `n1`, …). The tier filter keeps specialization badges (they have none). Tiers and
/// specializations the program no longer has are not counted.
fn certified_sql(w: &KpiWindow) -> (String, Vec<Arg>) {
    let mut q = Conditions::default();
    let instants = w.instants();
    let first = instants.first().copied().unwrap_or(w.at);
    let last = instants.last().copied().unwrap_or(w.at);
    let roles: Vec<String> = match &w.role {
        Some(r) => vec![q.bind(Arg::Text(r.clone()))],
        None => w
            .roles
            .iter()
            .map(|r| q.bind(Arg::Text(r.clone())))
            .collect(),
    };
    let roles = if roles.is_empty() {
        "NULL".to_owned()
    } else {
        roles.join(", ")
    };
    let counts = |grace: i64| -> String {
        instants
            .iter()
            .enumerate()
            .map(|(i, p)| {
                format!(
                    "COUNT(CASE WHEN c.valid_from <= {p} AND c.valid_until >= {} AND (c.ended_at IS NULL OR c.ended_at > {p}) THEN 1 END) AS n{i}",
                    p - grace
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut branches = Vec::new();
    for (tier, grace) in &w.tier_grace {
        if w.tier.as_ref().is_some_and(|t| t != tier) {
            continue;
        }
        let t = q.bind(Arg::Text(tier.clone()));
        branches.push(format!(
            "SELECT c.tier AS tier, c.specialization AS specialization, c.role AS role, {} FROM credentials c \
             WHERE c.specialization IS NULL AND c.tier = {t} AND c.role IN ({roles}) AND c.valid_until >= {} AND c.valid_from <= {last} \
             GROUP BY c.tier, c.specialization, c.role",
            counts(*grace),
            first - grace
        ));
    }
    for (specialization, grace) in &w.specialization_grace {
        let s = q.bind(Arg::Text(specialization.clone()));
        branches.push(format!(
            "SELECT MIN(c.tier) AS tier, c.specialization AS specialization, c.role AS role, {} FROM credentials c \
             WHERE c.specialization = {s} AND c.role IN ({roles}) AND c.valid_until >= {} AND c.valid_from <= {last} \
             GROUP BY c.specialization, c.role",
            counts(*grace),
            first - grace
        ));
    }
    if branches.is_empty() {
        // No tier (the filter names none): an empty answer of the same shape.
        branches.push(format!(
            "SELECT c.tier AS tier, c.specialization AS specialization, c.role AS role, {} FROM credentials c WHERE 1 = 0 \
             GROUP BY c.tier, c.specialization, c.role",
            counts(0)
        ));
    }
    (branches.join(" UNION ALL "), q.args)
}

/// Whole days from the partner's earliest application for the tier and role (at or before
/// the approval) to each first certification (no earlier approval of the partner for the
/// tier and role) approved in the window; certifications without an application are left out.
fn days_sql(w: &KpiWindow) -> (String, Vec<Arg>) {
    let mut q = Conditions::default();
    let from = q.bind(Arg::Int(w.from));
    let to = q.bind(Arg::Int(w.to));
    let filters = w.filters(&mut q, "a");
    // The first certifications first (materialized), then their applications: PostgreSQL
    // would otherwise look up an application for every approval of the window.
    let text = format!(
        "WITH f AS MATERIALIZED (SELECT a.partner_id AS partner_id, a.tier AS tier, a.role AS role, a.approved_at AS approved_at \
           FROM approvals a \
           WHERE a.approved_at >= {from} AND a.approved_at < {to}{filters} \
           AND NOT EXISTS (SELECT 1 FROM approvals e WHERE e.partner_id = a.partner_id AND e.tier = a.tier AND e.role = a.role AND e.approved_at < a.approved_at) \
           AND NOT EXISTS (SELECT 1 FROM credentials c WHERE c.approval_id = a.id AND c.specialization IS NOT NULL)) \
         SELECT tier, v, COUNT(*) AS n FROM (\
           SELECT f.tier AS tier, (f.approved_at - (SELECT MIN(p.applied_at) FROM applications p \
             WHERE p.partner_id = f.partner_id AND p.tier = f.tier AND p.role = f.role AND p.applied_at <= f.approved_at)) / {DAY} AS v \
           FROM f) x GROUP BY tier, v ORDER BY tier, v"
    );
    (text, q.args)
}

/// Exam scores of the tier attempts in the window, by tier.
fn exam_sql(w: &KpiWindow) -> (String, Vec<Arg>) {
    attempt_values_sql(w, "exam", "exam_score")
}

/// Demo levels reached in the tier attempts in the window, by tier.
fn demo_sql(w: &KpiWindow) -> (String, Vec<Arg>) {
    attempt_values_sql(w, "demo", "demo_level")
}

/// How many tier attempts of `kind` in the window reached each value of `column`, by tier.
fn attempt_values_sql(w: &KpiWindow, kind: &str, column: &str) -> (String, Vec<Arg>) {
    let mut q = Conditions::default();
    let from = q.bind(Arg::Int(w.from));
    let to = q.bind(Arg::Int(w.to));
    let filters = w.filters(&mut q, "t");
    let text = format!(
        "SELECT t.tier AS tier, t.{column} AS v, COUNT(*) AS n FROM attempts t \
         WHERE t.attempted_at >= {from} AND t.attempted_at < {to} AND t.tier IS NOT NULL AND t.kind = '{kind}'{filters} \
         GROUP BY t.tier, t.{column} ORDER BY t.tier, t.{column}"
    );
    (text, q.args)
}

/// Tier applications whose first attempt (earliest `attempted_at`, then id) fell in the
/// window, and how many of those first attempts passed.
fn first_attempts_sql(w: &KpiWindow) -> (String, Vec<Arg>) {
    let mut q = Conditions::default();
    let from = q.bind(Arg::Int(w.from));
    let to = q.bind(Arg::Int(w.to));
    let filters = w.filters(&mut q, "t");
    let text = format!(
        "SELECT COUNT(*) AS n, COUNT(CASE WHEN t.passed THEN 1 END) AS passed FROM attempts t \
         WHERE t.attempted_at >= {from} AND t.attempted_at < {to} AND t.application_id IS NOT NULL AND t.tier IS NOT NULL{filters} \
         AND NOT EXISTS (SELECT 1 FROM attempts e WHERE e.application_id = t.application_id \
           AND (e.attempted_at < t.attempted_at OR (e.attempted_at = t.attempted_at AND e.id < t.id)))"
    );
    (text, q.args)
}

/// Tier badges neither revoked nor lapsed whose `validUntil` is within 30, 60 and 90 days
/// after `at` (`at` excluded).
fn due_sql(w: &KpiWindow) -> (String, Vec<Arg>) {
    let mut q = Conditions::default();
    let at = q.bind(Arg::Int(w.at));
    let d30 = q.bind(Arg::Int(w.at + 30 * DAY));
    let d60 = q.bind(Arg::Int(w.at + 60 * DAY));
    let d90 = q.bind(Arg::Int(w.at + 90 * DAY));
    let filters = w.filters(&mut q, "c");
    let text = format!(
        "SELECT COUNT(CASE WHEN c.valid_until <= {d30} THEN 1 END) AS d30, \
         COUNT(CASE WHEN c.valid_until <= {d60} THEN 1 END) AS d60, COUNT(*) AS d90 FROM credentials c \
         WHERE c.valid_until > {at} AND c.valid_until <= {d90} AND {TIER_BADGE} AND c.revoked_at IS NULL AND c.message_status <> 2{filters}"
    );
    (text, q.args)
}

/// Tier badges not withdrawn whose `validUntil` fell in the window, and how many of them a
/// badge of the same tier and role (not a specialization) superseded.
fn renewals_sql(w: &KpiWindow) -> (String, Vec<Arg>) {
    let mut q = Conditions::default();
    let from = q.bind(Arg::Int(w.from));
    let to = q.bind(Arg::Int(w.to));
    let filters = w.filters(&mut q, "c");
    let text = format!(
        "SELECT COUNT(*) AS n, COUNT(CASE WHEN c.renewed = 1 THEN 1 END) AS renewed FROM credentials c \
         WHERE c.valid_until >= {from} AND c.valid_until < {to} AND {TIER_BADGE} AND c.message_status <> 3{filters}"
    );
    (text, q.args)
}

/// Tier badges superseded in the window: their successor's approval took effect in it
/// (`ended_at`).
fn superseded_sql(w: &KpiWindow) -> (String, Vec<Arg>) {
    message_sql(w, 1, true)
}

/// Tier badges that lapsed in the window: "message" lapsed, `validUntil` plus grace in it.
fn lapsed_sql(w: &KpiWindow) -> (String, Vec<Arg>) {
    let mut q = Conditions::default();
    let from = q.bind(Arg::Int(w.from));
    let to = q.bind(Arg::Int(w.to));
    let low = q.bind(Arg::Int(w.from - w.longest_grace()));
    let grace = w.grace_sql(&mut q);
    let filters = w.filters(&mut q, "c");
    let text = format!(
        "SELECT COUNT(*) AS n FROM credentials c \
         WHERE c.valid_until >= {low} AND c.valid_until < {to} AND c.message_status = 2 AND {TIER_BADGE} \
         AND c.valid_until + {grace} >= {from} AND c.valid_until + {grace} < {to}{filters}"
    );
    (text, q.args)
}

/// Tier badges whose "message" is `message`: ended in the window (`ended_at`: the
/// successor's approval, else the revocation), or (not `ended_in_window`) not ended at all.
fn message_sql(w: &KpiWindow, message: i64, ended_in_window: bool) -> (String, Vec<Arg>) {
    let mut q = Conditions::default();
    let m = q.bind(Arg::Int(message));
    let when = if ended_in_window {
        let from = q.bind(Arg::Int(w.from));
        let to = q.bind(Arg::Int(w.to));
        format!("c.ended_at >= {from} AND c.ended_at < {to}")
    } else {
        "c.ended_at IS NULL AND c.revoked_at IS NULL".to_owned()
    };
    let filters = w.filters(&mut q, "c");
    let text = format!(
        "SELECT COUNT(*) AS n FROM credentials c WHERE c.message_status = {m} AND {when} AND {TIER_BADGE}{filters}"
    );
    (text, q.args)
}

/// Open risk flags, the distinct partners they name, and how many are suspended. (`CROSS
/// JOIN`: SQLite then reads the few open flags first, never every credential.)
fn risks_sql(w: &KpiWindow) -> (String, Vec<Arg>) {
    let mut q = Conditions::default();
    let filters = w.filters(&mut q, "c");
    let text = format!(
        "SELECT COUNT(*) AS flags, COUNT(DISTINCT r.partner_id) AS partners, COUNT(r.suspended_at) AS suspended \
         FROM risks r CROSS JOIN credentials c WHERE c.id = r.credential_id AND r.cleared_at IS NULL{filters}"
    );
    (text, q.args)
}

/// Per period starting in `[scorecards_from, to)`: scorecards, and per metric how many
/// measured it and their sum, from the running sums (`scorecard_sums`, kept by the triggers
/// of migration 0015); only the tier's scorecards when filtered by tier.
fn scorecards_sql(w: &KpiWindow) -> (String, Vec<Arg>) {
    let mut q = Conditions::default();
    let from = q.bind(Arg::Int(w.scorecards_from));
    let to = q.bind(Arg::Int(w.to));
    let tier = match &w.tier {
        Some(t) => format!(" AND tier = {}", q.bind(Arg::Text(t.clone()))),
        None => String::new(),
    };
    let metrics: Vec<String> = SCORECARD_COLUMNS
        .iter()
        .map(|m| format!("CAST(SUM(n_{m}) AS BIGINT) AS n_{m}, SUM(s_{m}) AS s_{m}"))
        .collect();
    let text = format!(
        "SELECT period, MIN(period_start) AS ps, CAST(SUM(n) AS BIGINT) AS n, {} FROM scorecard_sums \
         WHERE period_start >= {from} AND period_start < {to}{tier} GROUP BY period HAVING SUM(n) > 0 ORDER BY MIN(period_start), period",
        metrics.join(", ")
    );
    (text, q.args)
}
