//! The program's KPIs (issue 15, `GET /api/v1/kpis`, `hallmark kpis`): certified partners
//! now and at the end of each quarter, time to certification, assessment scores, first-pass
//! rate, renewals due, renewal rate, ends of badges by public reason, partners at risk and
//! scorecard roll-ups — each a fact read from the records behind the badges
//! (`hallmark_store::KpiRows`), over a window of days and optionally one tier and role.
//!
//! Definitions (the OpenAPI schema repeats them):
//! - *tier badge*: a partner's badge for a tier and role (not a specialization);
//!   *specialization badge*: one with `specialization` set.
//! - *in force at t*: approved (`validFrom`) at or before `t`, `t` no later than `validUntil`
//!   plus the tier's (specialization's) grace period, not ended by `t` — a superseded badge
//!   ends when its successor's approval took effect, a withdrawn one when it was revoked.
//!   (Suspension is not counted as an end: the store keeps no history of it.) Partners are
//!   counted by their badges in force of the program's tiers and specializations: a partner
//!   holds at most one badge in force per role (a new approval supersedes the current one
//!   the moment it takes effect), so that is the number of distinct partners.
//! - Medians: the middle value, the mean of the two middle ones for an even count; p90: the
//!   nearest-rank 90th percentile (the value at rank ⌈0.9·n⌉ of n sorted values).

use std::collections::BTreeMap;

use hallmark_store::{Bucket, KpiRows, KpiWindow, StoreError, SCORECARD_COLUMNS};
use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime};

use super::Issuer;
use crate::program::Program;

/// Seconds a day.
const DAY: i64 = 86_400;

/// The most quarters a window may span (ten years).
pub const MAX_QUARTERS: usize = 40;

/// The query string of `GET /api/v1/kpis`: a window of whole UTC days and filters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct KpiQuery {
    /// The window's first day, `YYYY-MM-DD` (UTC, from its first second); default: the first
    /// day of the quarter three quarters before the current one (four quarters with it).
    #[param(example = "2026-01-01")]
    pub from: Option<String>,
    /// The window's last day, `YYYY-MM-DD` (UTC, included whole); default: today.
    #[param(example = "2026-12-31")]
    pub to: Option<String>,
    /// Only this tier (its slug).
    pub tier: Option<String>,
    /// Only this role (its slug).
    pub role: Option<String>,
}

/// Why KPIs could not be computed; every variant but `Store` names the parameter at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KpiError {
    /// Not a date `YYYY-MM-DD`.
    #[error("{parameter}: {given:?} is not a date YYYY-MM-DD such as 2026-01-31")]
    Date {
        /// The parameter.
        parameter: &'static str,
        /// The text given.
        given: String,
    },
    /// `from` after `to`.
    #[error("from: {from} is after to: {to}")]
    Order {
        /// The first day.
        from: String,
        /// The last day.
        to: String,
    },
    /// The window spans more than [`MAX_QUARTERS`] quarters.
    #[error("from: the window spans {quarters} quarters, at most {MAX_QUARTERS} are allowed")]
    TooLong {
        /// Quarters spanned.
        quarters: usize,
    },
    /// Not a tier of the program.
    #[error("tier: {0:?} is not a tier of the program")]
    Tier(String),
    /// Not a role of the program.
    #[error("role: {0:?} is not a role of the program")]
    Role(String),
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl KpiError {
    /// The query parameter at fault, if one is.
    pub fn parameter(&self) -> Option<&'static str> {
        match self {
            Self::Date { parameter, .. } => Some(parameter),
            Self::Order { .. } | Self::TooLong { .. } => Some("from"),
            Self::Tier(_) => Some("tier"),
            Self::Role(_) => Some("role"),
            Self::Store(_) => None,
        }
    }
}

/// The KPIs of a window (the body of `GET /api/v1/kpis`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Kpis {
    /// The window's first day (`YYYY-MM-DD`, UTC).
    pub from: String,
    /// The window's last day, included (`YYYY-MM-DD`, UTC).
    pub to: String,
    /// "Now": the instant current figures are read at (RFC 3339).
    pub at: String,
    /// The tier filter, if any.
    pub tier: Option<String>,
    /// The role filter, if any.
    pub role: Option<String>,
    /// Partners with badges in force, now and at the end of each quarter.
    pub certified: Certified,
    /// Days from application to first certification.
    pub time_to_certification: TimeToCertification,
    /// Exam scores and demo levels of the assessment attempts in the window, by tier.
    pub assessments: Vec<TierAssessments>,
    /// Of the tier applications whose first attempt fell in the window, how many passed it.
    pub first_pass: Rate,
    /// Tier badges, neither revoked nor lapsed, whose `validUntil` is after `at` and within
    /// 30, 60 and 90 days of it (each count includes the shorter ones).
    pub renewals_due: RenewalsDue,
    /// Of the tier badges (not withdrawn) whose `validUntil` fell in the window, how many a
    /// badge of the same tier and role superseded (renewed, early or in grace). A badge still
    /// in grace counts as not renewed (yet).
    pub renewal_rate: Rate,
    /// Tier badges that ended in the window, by their public "message" reason.
    pub ended: Ended,
    /// Open risk flags now (partners whose scorecard missed their tier's floor).
    pub at_risk: AtRisk,
    /// Scorecards per quarter starting in the window (from the quarter of `from`): count and
    /// mean of each metric; only the tier's scorecards (by `scorecards.tier`) when filtered by
    /// tier (the role filter does not apply: scorecards are per partner).
    pub scorecards: Vec<QuarterScorecards>,
}

/// Partners with badges in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Certified {
    /// At `at`.
    pub now: Snapshot,
    /// At the end of each quarter of the window (its last second, or `at` for the current
    /// quarter), oldest first.
    pub quarters: Vec<QuarterSnapshot>,
}

/// Distinct partners with a badge in force at one instant.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Snapshot {
    /// By tier and role (tier badges).
    pub tiers: Vec<TierCount>,
    /// By specialization and role (specialization badges, counted apart from tiers).
    pub specializations: Vec<SpecializationCount>,
}

/// Partners holding a tier badge in force for a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TierCount {
    /// The tier.
    pub tier: String,
    /// The role.
    pub role: String,
    /// Distinct partners.
    pub partners: i64,
}

/// Partners holding a specialization badge in force for a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SpecializationCount {
    /// The specialization.
    pub specialization: String,
    /// The role.
    pub role: String,
    /// Distinct partners.
    pub partners: i64,
}

/// [`Snapshot`] at the end of a quarter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuarterSnapshot {
    /// The quarter, `YYYY-Qn`.
    pub quarter: String,
    /// The instant counted at (RFC 3339).
    pub at: String,
    /// The counts.
    #[serde(flatten)]
    pub counts: Snapshot,
}

/// Whole days (rounded down) from a partner's earliest application for a tier and role to
/// the approval of its first certification for them (no earlier approval for the tier and
/// role), over the certifications approved in the window that have an application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TimeToCertification {
    /// Certifications measured.
    pub certifications: i64,
    /// Median days, `null` without any.
    pub median_days: Option<f64>,
    /// 90th percentile days (nearest rank), `null` without any.
    pub p90_days: Option<f64>,
    /// The same by tier.
    pub tiers: Vec<TierTime>,
}

/// [`TimeToCertification`] for one tier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TierTime {
    /// The tier.
    pub tier: String,
    /// Certifications measured.
    pub certifications: i64,
    /// Median days.
    pub median_days: Option<f64>,
    /// 90th percentile days (nearest rank).
    pub p90_days: Option<f64>,
}

/// Assessment attempts of a tier in the window (`attempted_at` in it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TierAssessments {
    /// The tier.
    pub tier: String,
    /// Exam attempts.
    pub exams: i64,
    /// Their median score, percent; `null` without any.
    pub median_exam_score: Option<f64>,
    /// Demo attempts.
    pub demos: i64,
    /// Demo attempts per rubric level reached, in the rubric's order (every level, zeros
    /// included; levels no longer in the rubric after them).
    pub demo_levels: Vec<LevelCount>,
}

/// Demo attempts at one rubric level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LevelCount {
    /// The level.
    pub level: String,
    /// Attempts.
    pub count: i64,
}

/// A share: `of` of `total`, `rate` = of / total (0–1, `null` when total is 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rate {
    /// The denominator.
    pub total: i64,
    /// The numerator.
    pub of: i64,
    /// `of / total`, `null` when `total` is 0.
    pub rate: Option<f64>,
}

impl Rate {
    fn of(total: i64, of: i64) -> Self {
        Self {
            total,
            of,
            #[allow(clippy::cast_precision_loss)]
            rate: (total > 0).then(|| of as f64 / total as f64),
        }
    }
}

/// Tier badges due for renewal after `at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RenewalsDue {
    /// `validUntil` within 30 days.
    pub days_30: i64,
    /// Within 60 days.
    pub days_60: i64,
    /// Within 90 days.
    pub days_90: i64,
}

/// Tier badges that ended in the window, by public reason (the badge's "message" status).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Ended {
    /// Superseded: their successor's approval took effect in the window.
    pub superseded: i64,
    /// Lapsed: `validUntil` plus the tier's grace period ended in the window.
    pub lapsed: i64,
    /// Withdrawn: revoked in the window.
    pub withdrawn: i64,
    /// Under review at `at` (not revoked): a state, not an end; the store keeps no time of
    /// the change, so this counts them now whatever the window.
    pub under_review: i64,
}

/// Open risk flags at `at` (the `risks` rows not cleared), on tier badges of the filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AtRisk {
    /// Distinct partners flagged.
    pub partners: i64,
    /// Open flags (one per tier badge).
    pub flags: i64,
    /// Of those, flags whose badge was suspended.
    pub suspended: i64,
}

/// A quarter's scorecard roll-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuarterScorecards {
    /// The period, `YYYY-Qn`.
    pub period: String,
    /// Scorecards recorded for it.
    pub scorecards: i64,
    /// Per metric (`program::METRICS`): how many scorecards measured it and their mean.
    pub metrics: BTreeMap<String, MetricRollup>,
}

/// One metric over a quarter's scorecards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MetricRollup {
    /// Scorecards that measured it.
    pub count: i64,
    /// Their mean (units as `program::METRICS`); `null` when none did.
    pub mean: Option<f64>,
}

impl Issuer {
    /// The KPIs for `query` read at `at` ("now": current counts, renewals due, open risks,
    /// and the default window, which ends today and starts three quarters before the
    /// current one).
    ///
    /// # Errors
    /// [`KpiError`]: a parameter that is not a date, a tier or role the program lacks, a
    /// window ending before it starts or longer than [`MAX_QUARTERS`]; the database.
    pub async fn kpis(&self, query: &KpiQuery, at: OffsetDateTime) -> Result<Kpis, KpiError> {
        let program = self.program();
        let window = window(program, query, at)?;
        let rows = self.store().kpis(&window.store).await?;
        Ok(assemble(program, &window, &rows))
    }
}

impl Issuer {
    /// What [`Issuer::kpis`] asks the store for `query` at `at` (for tests of the plans).
    ///
    /// # Errors
    /// As [`Issuer::kpis`], without the database.
    #[doc(hidden)]
    pub fn kpi_window(&self, query: &KpiQuery, at: OffsetDateTime) -> Result<KpiWindow, KpiError> {
        window(self.program(), query, at).map(|w| w.store)
    }
}

/// A window read from a query.
struct Window {
    store: KpiWindow,
    from: Date,
    to: Date,
    /// (quarter, instant) counted at.
    quarters: Vec<(String, i64)>,
}

/// A date `YYYY-MM-DD`.
fn date(parameter: &'static str, text: &str) -> Result<Date, KpiError> {
    let bad = || KpiError::Date {
        parameter,
        given: text.to_owned(),
    };
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let digits = |r: std::ops::Range<usize>| -> Result<u32, KpiError> {
        let s = &text[r];
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().map_err(|_| bad())
        } else {
            Err(bad())
        }
    };
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let month = Month::try_from(u8::try_from(m).map_err(|_| bad())?).map_err(|_| bad())?;
    let year = i32::try_from(y).map_err(|_| bad())?;
    Date::from_calendar_date(year, month, u8::try_from(d).map_err(|_| bad())?).map_err(|_| bad())
}

/// `YYYY-Qn` and first second of the quarter holding `date`.
fn quarter_of(date: Date) -> (i32, u8) {
    (date.year(), (u8::from(date.month()) - 1) / 3 + 1)
}

/// The first second of quarter `q` of `year` (q may run past 4 or below 1).
fn quarter_start(year: i32, q: i32) -> i64 {
    let index = year * 4 + (q - 1);
    let (y, q0) = (index.div_euclid(4), index.rem_euclid(4));
    let month = Month::try_from(u8::try_from(q0 * 3 + 1).unwrap_or(1)).unwrap_or(Month::January);
    Date::from_calendar_date(y, month, 1)
        .map(|d| d.midnight().assume_utc().unix_timestamp())
        .unwrap_or(0)
}

fn window(program: &Program, query: &KpiQuery, at: OffsetDateTime) -> Result<Window, KpiError> {
    let given = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let tier = given(&query.tier);
    if let Some(t) = &tier {
        if program.tier(t).is_none() {
            return Err(KpiError::Tier(t.clone()));
        }
    }
    let role = given(&query.role);
    if let Some(r) = &role {
        if !program.roles.iter().any(|x| &x.id == r) {
            return Err(KpiError::Role(r.clone()));
        }
    }
    let today = at.date();
    let to = match given(&query.to) {
        Some(t) => date("to", &t)?,
        None => today,
    };
    let from = match given(&query.from) {
        Some(f) => date("from", &f)?,
        None => {
            let (y, q) = quarter_of(today);
            let start = quarter_start(y, i32::from(q) - 3);
            OffsetDateTime::from_unix_timestamp(start).map_or(today, OffsetDateTime::date)
        }
    };
    if from > to {
        return Err(KpiError::Order {
            from: from.to_string(),
            to: to.to_string(),
        });
    }
    let (fy, fq) = quarter_of(from);
    let (ty, tq) = quarter_of(to);
    let span = (ty - fy) * 4 + i32::from(tq) - i32::from(fq) + 1;
    let span = usize::try_from(span).unwrap_or(usize::MAX);
    if span > MAX_QUARTERS {
        return Err(KpiError::TooLong { quarters: span });
    }
    let start = from.midnight().assume_utc().unix_timestamp();
    let end = to.midnight().assume_utc().unix_timestamp() + DAY;
    let now = at.unix_timestamp();
    let mut quarters = Vec::new();
    for i in 0..span {
        let q = i32::from(fq) + i32::try_from(i).unwrap_or(0);
        let qs = quarter_start(fy, q);
        if qs > now {
            break;
        }
        let point = (quarter_start(fy, q + 1) - 1).min(now);
        let y = (fy * 4 + q - 1).div_euclid(4);
        let n = (fy * 4 + q - 1).rem_euclid(4) + 1;
        quarters.push((format!("{y}-Q{n}"), point));
    }
    let store = KpiWindow {
        from: start,
        to: end,
        at: now,
        tier,
        role,
        roles: program.roles.iter().map(|r| r.id.clone()).collect(),
        tier_grace: program
            .tiers
            .iter()
            .map(|t| (t.id.clone(), i64::from(t.grace_days) * DAY))
            .collect(),
        specialization_grace: program
            .specializations
            .iter()
            .map(|s| (s.id.clone(), i64::from(s.grace_days) * DAY))
            .collect(),
        points: quarters.iter().map(|(_, p)| *p).collect(),
        scorecards_from: quarter_start(fy, i32::from(fq)),
    };
    Ok(Window {
        store,
        from,
        to,
        quarters,
    })
}

/// The median of a histogram (value, count) sorted by value: the middle value, or the mean
/// of the two middle ones.
#[allow(clippy::cast_precision_loss)]
pub fn median(histogram: &[(i64, i64)]) -> Option<f64> {
    let n: i64 = histogram.iter().map(|(_, c)| c).sum();
    if n == 0 {
        return None;
    }
    let low = rank(histogram, (n + 1) / 2)?;
    let high = rank(histogram, n / 2 + 1)?;
    if n % 2 == 1 {
        Some(low as f64)
    } else {
        Some((low + high) as f64 / 2.0)
    }
}

/// The nearest-rank 90th percentile of a histogram: the value at rank ⌈0.9·n⌉.
#[allow(clippy::cast_precision_loss)]
pub fn p90(histogram: &[(i64, i64)]) -> Option<f64> {
    let n: i64 = histogram.iter().map(|(_, c)| c).sum();
    if n == 0 {
        return None;
    }
    // ⌈0.9·n⌉ in integers.
    rank(histogram, (9 * n + 9) / 10).map(|v| v as f64)
}

/// The value at 1-based rank `r` of a sorted histogram.
fn rank(histogram: &[(i64, i64)], r: i64) -> Option<i64> {
    let mut seen = 0;
    for (v, c) in histogram {
        seen += c;
        if seen >= r {
            return Some(*v);
        }
    }
    None
}

fn rfc3339(t: i64) -> String {
    OffsetDateTime::from_unix_timestamp(t)
        .map(hallmark_core::datetime::format)
        .unwrap_or_default()
}

fn snapshot(rows: &KpiRows, at: i64) -> Snapshot {
    let mut s = Snapshot::default();
    for c in rows.certified.iter().filter(|c| c.at == at) {
        match (&c.specialization, &c.tier) {
            (Some(spec), _) => s.specializations.push(SpecializationCount {
                specialization: spec.clone(),
                role: c.role.clone(),
                partners: c.partners,
            }),
            (None, Some(tier)) => s.tiers.push(TierCount {
                tier: tier.clone(),
                role: c.role.clone(),
                partners: c.partners,
            }),
            (None, None) => {}
        }
    }
    s
}

/// Histograms by tier, values sorted.
fn by_tier(buckets: &[Bucket<i64>]) -> BTreeMap<String, Vec<(i64, i64)>> {
    let mut out: BTreeMap<String, Vec<(i64, i64)>> = BTreeMap::new();
    for b in buckets {
        out.entry(b.tier.clone())
            .or_default()
            .push((b.value, b.count));
    }
    for h in out.values_mut() {
        h.sort_unstable();
    }
    out
}

fn assemble(program: &Program, w: &Window, rows: &KpiRows) -> Kpis {
    let days = by_tier(&rows.days_to_certification);
    let mut all_days: Vec<(i64, i64)> = days.values().flatten().copied().collect();
    all_days.sort_unstable();
    let time_to_certification = TimeToCertification {
        certifications: all_days.iter().map(|(_, c)| c).sum(),
        median_days: median(&all_days),
        p90_days: p90(&all_days),
        tiers: days
            .iter()
            .map(|(tier, h)| TierTime {
                tier: tier.clone(),
                certifications: h.iter().map(|(_, c)| c).sum(),
                median_days: median(h),
                p90_days: p90(h),
            })
            .collect(),
    };
    let exams = by_tier(&rows.exam_scores);
    let mut tiers: Vec<&String> = exams.keys().collect();
    tiers.extend(rows.demo_levels.iter().map(|b| &b.tier));
    tiers.sort();
    tiers.dedup();
    let assessments = tiers
        .into_iter()
        .map(|tier| {
            let h = exams.get(tier).map_or(&[][..], Vec::as_slice);
            let mut levels: Vec<LevelCount> = program
                .rubric
                .iter()
                .map(|l| LevelCount {
                    level: l.clone(),
                    count: 0,
                })
                .collect();
            for b in rows.demo_levels.iter().filter(|b| &b.tier == tier) {
                match levels.iter_mut().find(|l| l.level == b.value) {
                    Some(l) => l.count += b.count,
                    None => levels.push(LevelCount {
                        level: b.value.clone(),
                        count: b.count,
                    }),
                }
            }
            TierAssessments {
                tier: tier.clone(),
                exams: h.iter().map(|(_, c)| c).sum(),
                median_exam_score: median(h),
                demos: levels.iter().map(|l| l.count).sum(),
                demo_levels: levels,
            }
        })
        .collect();
    let scorecards = rows
        .scorecards
        .iter()
        .map(|r| QuarterScorecards {
            period: r.period.clone(),
            scorecards: r.scorecards,
            metrics: SCORECARD_COLUMNS
                .iter()
                .zip(&r.metrics)
                .map(|(m, (count, mean))| {
                    (
                        (*m).to_owned(),
                        MetricRollup {
                            count: *count,
                            mean: *mean,
                        },
                    )
                })
                .collect(),
        })
        .collect();
    Kpis {
        from: w.from.to_string(),
        to: w.to.to_string(),
        at: rfc3339(w.store.at),
        tier: w.store.tier.clone(),
        role: w.store.role.clone(),
        certified: Certified {
            now: snapshot(rows, w.store.at),
            quarters: w
                .quarters
                .iter()
                .map(|(q, p)| QuarterSnapshot {
                    quarter: q.clone(),
                    at: rfc3339(*p),
                    counts: snapshot(rows, *p),
                })
                .collect(),
        },
        time_to_certification,
        assessments,
        first_pass: Rate::of(rows.first_attempts.0, rows.first_attempts.1),
        renewals_due: RenewalsDue {
            days_30: rows.due[0],
            days_60: rows.due[1],
            days_90: rows.due[2],
        },
        renewal_rate: Rate::of(rows.renewals.0, rows.renewals.1),
        ended: Ended {
            superseded: rows.superseded,
            lapsed: rows.lapsed,
            withdrawn: rows.withdrawn,
            under_review: rows.under_review,
        },
        at_risk: AtRisk {
            flags: rows.risks.0,
            partners: rows.risks.1,
            suspended: rows.risks.2,
        },
        scorecards,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_percentiles() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[(5, 1)]), Some(5.0));
        assert_eq!(median(&[(1, 1), (4, 1)]), Some(2.5));
        assert_eq!(median(&[(1, 2), (9, 1)]), Some(1.0));
        // 1..=10: rank 9 is 9.
        let h: Vec<(i64, i64)> = (1..=10).map(|v| (v, 1)).collect();
        assert_eq!(p90(&h), Some(9.0));
        // 11 values: ⌈9.9⌉ = 10th.
        let h: Vec<(i64, i64)> = (1..=11).map(|v| (v, 1)).collect();
        assert_eq!(p90(&h), Some(10.0));
        assert_eq!(p90(&[(7, 1)]), Some(7.0));
    }

    #[test]
    fn dates_and_quarters() {
        assert!(date("from", "2026-02-30").is_err());
        assert!(date("from", "2026-2-03").is_err());
        assert!(date("from", "+026-02-03").is_err());
        assert_eq!(date("to", "2026-02-03").unwrap().to_string(), "2026-02-03");
        assert_eq!(quarter_of(date("x", "2026-12-31").unwrap()), (2026, 4));
        assert_eq!(quarter_start(2026, 1), 1_767_225_600);
        assert_eq!(quarter_start(2026, -2), quarter_start(2025, 2));
        assert_eq!(quarter_start(2025, 5), quarter_start(2026, 1));
    }
}
