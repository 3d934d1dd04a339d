//! Monitoring certified partners (issue 15): applications and assessment attempts (so time
//! to certification and first-pass rate are facts), training completions, scorecards per
//! partner and quarter, and the "at risk" machinery.
//!
//! The machinery ([`Issuer::monitor`], run by the lifecycle job; tests pass any instant)
//! looks at every tier badge in force whose partner has a scorecard, and at the latest one
//! (by period, among those begun by the instant):
//! - it misses the tier's floors (`[tiers.scorecard]`) and the badge has no open flag: the
//!   badge is flagged (a `risks` row, notice until the instant plus `[monitoring]
//!   notice_days`) with a `credential.at_risk` audit entry in the same transaction, which the
//!   outbox tells by webhook and by e-mail to the partner's contacts;
//! - it still misses them when the notice period is over and `[monitoring] suspend = true`:
//!   the badge is suspended (actor `system`), and the flag records when;
//! - it meets them and the badge is flagged: the flag is cleared (`scorecard:<period>`, audit
//!   `credential.risk_cleared`) and, when the flag had suspended it, the badge reinstated.
//!
//! A metric the scorecard does not give (null) misses nothing. A renewal approval checks the
//! tier's `[tiers.renewal.scorecard]` against the partner's latest scorecard (shortfall
//! `scorecard`); an approval whose tier requires training modules the partner has not
//! completed falls short on `training`; a new badge replacing a flagged one clears the flag
//! (`renewal:<new badge>`), and may replace a badge the flag suspended.

use hallmark_store::{
    ApplicationRow, AttemptRow, AuditEntry, Page, PageRequest, RiskRow, ScorecardRow, StoreError,
    TrainingRow, SCORECARD_METRICS,
};
use serde::Deserialize;
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::text::check_text;
use super::{audit, now, uuid_v4, Issuer, RandomnessError, StatusChangeError};
use crate::program::{Shortfall, Thresholds, Tier, METRICS};

const DAY: i64 = 86_400;

/// The most rows a listing returns.
pub const MAX_LIST: u32 = 1000;

/// The most scorecards one import may hold.
pub const MAX_IMPORT_ROWS: usize = 10_000;

/// A partner applied (or enrolled) for a tier or a specialization (`POST
/// /api/v1/applications`): exactly one of `tier` and `specialization`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApplication {
    /// The partner's id.
    pub partner_id: String,
    /// The tier's slug.
    pub tier: Option<String>,
    /// The specialization's id.
    pub specialization: Option<String>,
    /// The role's slug.
    pub role: String,
    /// When the partner applied: RFC 3339 with a time zone, from 2000 to a day ahead;
    /// default now.
    #[schema(format = DateTime)]
    pub applied_at: Option<String>,
}

/// An assessment attempt (`POST /api/v1/attempts`): an exam with `exam_score`, or a live
/// demo with `demo_level`; whether it passed follows from the bar of its tier or
/// specialization (`min_exam_score`, `min_demo_level`; none: passed).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAttempt {
    /// The partner's id.
    pub partner_id: String,
    /// The application it belongs to (the same partner's).
    pub application_id: Option<String>,
    /// The tier's slug (or `specialization`).
    pub tier: Option<String>,
    /// The specialization's id (or `tier`).
    pub specialization: Option<String>,
    /// The role's slug.
    pub role: String,
    /// `exam` or `demo`.
    #[schema(example = "exam")]
    pub kind: String,
    /// The exam score, percent (exams only).
    #[schema(maximum = 100)]
    pub exam_score: Option<u8>,
    /// The rubric level reached (demos only).
    pub demo_level: Option<String>,
    /// When: RFC 3339 with a time zone, from 2000 to a day ahead; default now.
    #[schema(format = DateTime)]
    pub attempted_at: Option<String>,
}

/// A completed training module (`POST /api/v1/partners/{id}/training`).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTraining {
    /// The module's id (the program's `[[modules]]`).
    pub module: String,
    /// When: RFC 3339 with a time zone, from 2000 to a day ahead; default now.
    #[schema(format = DateTime)]
    pub completed_at: Option<String>,
}

/// A scorecard's metrics (`PUT /api/v1/partners/{id}/scorecards/{period}`), each optional
/// (not measured); units as [`METRICS`]: percentages 0–100 (NRR 0–1000, margin −100–100),
/// NPS −100–100, influenced pipeline ≥ 0 in the program's currency.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
    /// Deals won, percent.
    #[schema(minimum = 0, maximum = 100)]
    pub win_rate: Option<f64>,
    /// Work accepted first time, percent.
    #[schema(minimum = 0, maximum = 100)]
    pub first_pass_quality: Option<f64>,
    /// Work redone, percent.
    #[schema(minimum = 0, maximum = 100)]
    pub rework: Option<f64>,
    /// Net promoter score, −100 to 100.
    #[schema(minimum = -100, maximum = 100)]
    pub nps: Option<f64>,
    /// Gross margin, percent.
    #[schema(minimum = -100, maximum = 100)]
    pub margin: Option<f64>,
    /// Attach rate, percent.
    #[schema(minimum = 0, maximum = 100)]
    pub attach_rate: Option<f64>,
    /// Influenced pipeline, in the program's currency.
    #[schema(minimum = 0, maximum = 1e15)]
    pub influenced_pipeline: Option<f64>,
    /// Net revenue retention, percent.
    #[schema(minimum = 0, maximum = 1000)]
    pub nrr: Option<f64>,
    /// Partner CSAT, percent satisfied.
    #[schema(minimum = 0, maximum = 100)]
    pub csat: Option<f64>,
}

impl Metrics {
    /// The values in the order of [`METRICS`].
    pub fn values(&self) -> [Option<f64>; 9] {
        [
            self.win_rate,
            self.first_pass_quality,
            self.rework,
            self.nps,
            self.margin,
            self.attach_rate,
            self.influenced_pipeline,
            self.nrr,
            self.csat,
        ]
    }

    /// From values in the order of [`METRICS`].
    pub fn from_values(v: [Option<f64>; 9]) -> Self {
        Self {
            win_rate: v[0],
            first_pass_quality: v[1],
            rework: v[2],
            nps: v[3],
            margin: v[4],
            attach_rate: v[5],
            influenced_pipeline: v[6],
            nrr: v[7],
            csat: v[8],
        }
    }
}

/// The range a metric's value (and a threshold on it) must be in, inclusive.
pub fn metric_range(metric: &str) -> (f64, f64) {
    match metric {
        "nps" => (-100.0, 100.0),
        "margin" => (-100.0, 100.0),
        "nrr" => (0.0, 1000.0),
        "influenced_pipeline" => (0.0, 1e15),
        _ => (0.0, 100.0),
    }
}

/// One row of a scorecard import (`POST /api/v1/scorecards`, `hallmark scorecards import`).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScorecardImportRow {
    /// The partner's id.
    pub partner_id: String,
    /// `YYYY-Qn`.
    #[schema(example = "2026-Q3", pattern = "^[0-9]{4}-Q[1-4]$")]
    pub period: String,
    /// The metrics.
    #[serde(flatten)]
    pub metrics: Metrics,
}

/// One refused row of an import: its number (1-based, the CSV header not counted) and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct RowProblem {
    /// The row, from 1.
    pub row: usize,
    /// Why it was refused.
    pub detail: String,
}

/// A metric that missed a threshold.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Missed {
    /// The metric ([`METRICS`]).
    pub metric: &'static str,
    /// Its value.
    pub value: f64,
    /// The floor (the ceiling, for `rework`).
    pub threshold: f64,
}

/// Why a monitoring record was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MonitoringError {
    /// No such partner.
    #[error("no partner {partner_id}; create it with POST /api/v1/partners")]
    UnknownPartner {
        /// The id given.
        partner_id: String,
    },
    /// Neither or both of `tier` and `specialization`.
    #[error("give exactly one of tier and specialization")]
    TierOrSpecialization,
    /// A tier the program does not have.
    #[error("unknown tier {tier:?}; the program's tiers are {known}")]
    UnknownTier {
        /// The slug given.
        tier: String,
        /// The program's.
        known: String,
    },
    /// A specialization the program does not have.
    #[error("unknown specialization {specialization:?}; the program's are {known}")]
    UnknownSpecialization {
        /// The id given.
        specialization: String,
        /// The program's.
        known: String,
    },
    /// A role the program does not have (or the specialization is not open to).
    #[error("role {role:?}: {why}")]
    Role {
        /// The slug given.
        role: String,
        /// Why.
        why: String,
    },
    /// An attempt's application: unknown, or another partner's.
    #[error("application {id}: {why}")]
    Application {
        /// The id given.
        id: String,
        /// Why.
        why: &'static str,
    },
    /// An attempt whose kind and result disagree.
    #[error("attempt: {0}")]
    Attempt(String),
    /// A module the program does not define.
    #[error("unknown module {module:?}; the program's modules are {known}")]
    UnknownModule {
        /// The id given.
        module: String,
        /// The program's.
        known: String,
    },
    /// An instant that could not be read.
    #[error("{field}: {why}")]
    Instant {
        /// The field.
        field: &'static str,
        /// Why.
        why: String,
    },
    /// Not a `YYYY-Qn` period.
    #[error("period {given:?} is not a quarter YYYY-Qn (e.g. 2026-Q3, years 2000 to 9999)")]
    Period {
        /// The text given.
        given: String,
    },
    /// A metric out of its range, or not a number.
    #[error("{metric} {value} is out of range: {min} to {max}")]
    Metric {
        /// The metric.
        metric: &'static str,
        /// The value.
        value: f64,
        /// The lowest allowed.
        min: f64,
        /// The highest allowed.
        max: f64,
    },
    /// A scorecard without a metric.
    #[error("a scorecard needs at least one metric: {}", METRICS.join(", "))]
    Empty,
    /// A text field was refused.
    #[error(transparent)]
    Text(#[from] super::TextError),
    /// A `limit` out of 1 to [`MAX_LIST`].
    #[error("limit must be 1 to {MAX_LIST}")]
    Limit,
    /// A `partner` filter no partner id can be (a NUL, which PostgreSQL refuses in text).
    #[error("partner: {0:?} is not a partner id")]
    PartnerFilter(String),
    /// `after` is not a cursor of this list.
    #[error("after: {0}")]
    Cursor(hallmark_store::CursorError),
    /// An import that could not be read (not CSV with the header, not a JSON array).
    #[error("import: {0}")]
    Import(String),
    /// An import with refused rows: nothing was written.
    #[error("{} row(s) refused, nothing written; row {}: {}", problems.len(), problems[0].row, problems[0].detail)]
    Rows {
        /// Each refused row.
        problems: Vec<RowProblem>,
    },
    /// No randomness for an id.
    #[error(transparent)]
    Randomness(#[from] RandomnessError),
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a monitoring run did ([`Issuer::monitor`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct MonitorRun {
    /// Badges flagged at risk.
    pub flagged: usize,
    /// Badges suspended at the end of their notice period.
    pub suspended: usize,
    /// Flags cleared by a passing scorecard.
    pub cleared: usize,
}

impl std::fmt::Display for MonitorRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} flagged at risk, {} suspended, {} cleared",
            self.flagged, self.suspended, self.cleared
        )
    }
}

/// Why a monitoring run stopped (what it did before stays done).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MonitorError {
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No randomness for a flag's id.
    #[error(transparent)]
    Randomness(#[from] RandomnessError),
    /// A badge could not be suspended or reinstated.
    #[error("credential {id}: {source}")]
    Status {
        /// The badge.
        id: String,
        /// Why.
        #[source]
        source: StatusChangeError,
    },
}

/// A quarter `YYYY-Qn`: its first second and the next quarter's, Unix seconds (UTC).
///
/// # Errors
/// [`MonitoringError::Period`].
pub fn period_bounds(period: &str) -> Result<(i64, i64), MonitoringError> {
    let bad = || MonitoringError::Period {
        given: period.to_owned(),
    };
    let (year, q) = period.split_once("-Q").ok_or_else(bad)?;
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) || q.len() != 1 {
        return Err(bad());
    }
    let year: i32 = year.parse().map_err(|_| bad())?;
    let q: u8 = q.parse().map_err(|_| bad())?;
    if !(2000..=9999).contains(&year) || !(1..=4).contains(&q) {
        return Err(bad());
    }
    let start = |y: i32, q: u8| -> Result<i64, MonitoringError> {
        let month = time::Month::try_from(3 * (q - 1) + 1).map_err(|_| bad())?;
        let date = time::Date::from_calendar_date(y, month, 1).map_err(|_| bad())?;
        Ok(date.midnight().assume_utc().unix_timestamp())
    };
    let end = if q == 4 {
        start(year + 1, 1)?
    } else {
        start(year, q + 1)?
    };
    Ok((start(year, q)?, end))
}

/// Every threshold of `t` the metrics miss (a null metric misses nothing).
pub fn missed(t: &Thresholds, metrics: &[Option<f64>; 9]) -> Vec<Missed> {
    let mut out = Vec::new();
    for (i, (metric, limit)) in METRICS.into_iter().zip(threshold_values(t)).enumerate() {
        let (Some(limit), Some(value)) = (limit, metrics[i]) else {
            continue;
        };
        let miss = if metric == "rework" {
            value > limit
        } else {
            value < limit
        };
        if miss {
            out.push(Missed {
                metric,
                value,
                threshold: limit,
            });
        }
    }
    out
}

/// The thresholds in the order of [`METRICS`] (`max_rework` for rework, `min_<metric>` for the
/// others).
pub fn threshold_values(t: &Thresholds) -> [Option<f64>; 9] {
    [
        t.min_win_rate,
        t.min_first_pass_quality,
        t.max_rework,
        t.min_nps,
        t.min_margin,
        t.min_attach_rate,
        t.min_influenced_pipeline,
        t.min_nrr,
        t.min_csat,
    ]
}

/// Checks a scorecard's metrics: each finite and in its range, at least one given.
///
/// # Errors
/// [`MonitoringError::Metric`], [`MonitoringError::Empty`].
pub fn check_metrics(m: &Metrics) -> Result<(), MonitoringError> {
    let values = m.values();
    if values.iter().all(Option::is_none) {
        return Err(MonitoringError::Empty);
    }
    for (metric, v) in METRICS.into_iter().zip(values) {
        let Some(value) = v else { continue };
        let (min, max) = metric_range(metric);
        if !value.is_finite() || value < min || value > max {
            return Err(MonitoringError::Metric {
                metric,
                value,
                min,
                max,
            });
        }
    }
    Ok(())
}

fn instant(field: &'static str, text: Option<&str>) -> Result<i64, MonitoringError> {
    super::text::approved_at(text)
        .map(|t| t.unix_timestamp())
        .map_err(|e| MonitoringError::Instant {
            field,
            why: e.to_string().replacen("approved_at", field, 1),
        })
}

/// Parses a scorecard import: CSV (header `partner_id,period,<metrics…>`, any subset of
/// [`METRICS`] in any order; an empty cell is not measured) or a JSON array of
/// [`ScorecardImportRow`]; each row numbered from 1, with its own error when unreadable.
///
/// # Errors
/// [`MonitoringError::Import`]: not CSV with that header, not a JSON array, too many rows.
#[allow(clippy::type_complexity)]
pub fn parse_scorecards(
    body: &[u8],
    csv: bool,
) -> Result<Vec<Result<ScorecardImportRow, String>>, MonitoringError> {
    let rows: Vec<Result<ScorecardImportRow, String>> = if csv {
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(::csv::Trim::All)
            .from_reader(body);
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| MonitoringError::Import(format!("CSV header: {e}")))?
            .iter()
            .map(str::to_owned)
            .collect();
        if header.first().map(String::as_str) != Some("partner_id")
            || header.get(1).map(String::as_str) != Some("period")
        {
            return Err(MonitoringError::Import(format!(
                "the CSV header must start with partner_id,period then metrics ({}); got {}",
                METRICS.join(", "),
                header.join(",")
            )));
        }
        let mut columns = Vec::new();
        for h in &header[2..] {
            let Some(i) = METRICS.iter().position(|m| m == h) else {
                return Err(MonitoringError::Import(format!(
                    "unknown column {h:?}; the metrics are {}",
                    METRICS.join(", ")
                )));
            };
            if columns.contains(&i) {
                return Err(MonitoringError::Import(format!("column {h:?} twice")));
            }
            columns.push(i);
        }
        let mut out = Vec::new();
        for record in reader.records() {
            if out.len() >= MAX_IMPORT_ROWS {
                return Err(too_many());
            }
            out.push(match record {
                Err(e) => Err(format!("unreadable CSV: {e}")),
                Ok(r) => csv_row(&r, &columns),
            });
        }
        out
    } else {
        let values: Vec<Value> = serde_json::from_slice(body).map_err(|e| {
            MonitoringError::Import(format!("expected a JSON array of scorecards: {e}"))
        })?;
        if values.len() > MAX_IMPORT_ROWS {
            return Err(too_many());
        }
        values
            .into_iter()
            .map(|v| serde_json::from_value(v).map_err(|e| e.to_string()))
            .collect()
    };
    if rows.is_empty() {
        return Err(MonitoringError::Import("no rows".into()));
    }
    Ok(rows)
}

fn too_many() -> MonitoringError {
    MonitoringError::Import(format!("at most {MAX_IMPORT_ROWS} rows an import"))
}

fn csv_row(r: &::csv::StringRecord, columns: &[usize]) -> Result<ScorecardImportRow, String> {
    if r.len() != columns.len() + 2 {
        return Err(format!(
            "{} cells, the header has {}",
            r.len(),
            columns.len() + 2
        ));
    }
    let mut values = [None; 9];
    for (cell, &i) in r.iter().skip(2).zip(columns) {
        if cell.is_empty() {
            continue;
        }
        values[i] = Some(
            cell.parse::<f64>()
                .map_err(|_| format!("{}: {cell:?} is not a number", METRICS[i]))?,
        );
    }
    Ok(ScorecardImportRow {
        partner_id: r[0].to_owned(),
        period: r[1].to_owned(),
        metrics: Metrics::from_values(values),
    })
}

/// The JSON of a scorecard row.
pub fn scorecard_json(s: &ScorecardRow) -> Value {
    let mut v = json!({
        "partner_id": s.partner_id, "period": s.period, "period_start": s.period_start,
        "period_end": s.period_end, "tier": s.tier, "recorded_at": s.recorded_at,
    });
    for (name, m) in SCORECARD_METRICS.iter().zip(s.metrics) {
        v[*name] = json!(m);
    }
    v
}

/// The page `limit` rows long (1 to [`MAX_LIST`], 100 by default) after cursor `after`.
fn page(limit_: Option<i64>, after: Option<&str>) -> Result<PageRequest, MonitoringError> {
    let n = limit(limit_)?;
    Ok(match after.filter(|a| !a.is_empty()) {
        None => PageRequest::first(n),
        Some(text) => PageRequest::after(n, text.parse().map_err(MonitoringError::Cursor)?),
    })
}

fn from_list(e: StoreError) -> MonitoringError {
    match e {
        StoreError::InvalidCursor(e) => MonitoringError::Cursor(e),
        e => MonitoringError::Store(e),
    }
}

/// Whether `id` may name a partner: PostgreSQL refuses a NUL in text, so one with a NUL is
/// no partner's (and is never sent to the database).
fn possible_id(id: &str) -> bool {
    !id.contains('\0')
}

/// A listing's `partner` filter, refused when it cannot be a partner id.
fn partner_filter(partner: Option<&str>) -> Result<Option<&str>, MonitoringError> {
    match partner {
        Some(p) if !possible_id(p) => Err(MonitoringError::PartnerFilter(
            p.escape_default().to_string(),
        )),
        other => Ok(other),
    }
}

fn limit(given: Option<i64>) -> Result<u32, MonitoringError> {
    match given {
        None => Ok(100),
        Some(n) if (1..=i64::from(MAX_LIST)).contains(&n) => Ok(n as u32),
        Some(_) => Err(MonitoringError::Limit),
    }
}

impl Issuer {
    async fn known_partner(&self, id: &str) -> Result<(), MonitoringError> {
        if !possible_id(id) {
            return Err(MonitoringError::UnknownPartner {
                partner_id: id.escape_default().to_string(),
            });
        }
        match self.store().partner(id).await? {
            Some(_) => Ok(()),
            None => Err(MonitoringError::UnknownPartner {
                partner_id: id.to_owned(),
            }),
        }
    }

    /// The bar (`min_exam_score`, `min_demo_level`) of a tier or specialization, checking
    /// the role too.
    fn bar(
        &self,
        tier: Option<&str>,
        specialization: Option<&str>,
        role: &str,
    ) -> Result<(Option<u8>, Option<String>), MonitoringError> {
        let program = self.program();
        if !program.roles.iter().any(|r| r.id == role) {
            let known: Vec<&str> = program.roles.iter().map(|r| r.id.as_str()).collect();
            return Err(MonitoringError::Role {
                role: role.to_owned(),
                why: format!("not a role of the program ({})", known.join(", ")),
            });
        }
        match (tier, specialization) {
            (Some(t), None) => {
                let tier = program
                    .tier(t)
                    .ok_or_else(|| MonitoringError::UnknownTier {
                        tier: t.to_owned(),
                        known: program
                            .tiers
                            .iter()
                            .map(|t| t.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })?;
                Ok((tier.min_exam_score, tier.min_demo_level.clone()))
            }
            (None, Some(s)) => {
                let spec = program
                    .specializations
                    .iter()
                    .find(|x| x.id == s)
                    .ok_or_else(|| MonitoringError::UnknownSpecialization {
                        specialization: s.to_owned(),
                        known: program
                            .specializations
                            .iter()
                            .map(|t| t.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })?;
                if !spec.roles.is_empty() && !spec.roles.iter().any(|r| r == role) {
                    return Err(MonitoringError::Role {
                        role: role.to_owned(),
                        why: format!("{} is open to {}", spec.name, spec.roles.join(", ")),
                    });
                }
                Ok((spec.min_exam_score, spec.min_demo_level.clone()))
            }
            _ => Err(MonitoringError::TierOrSpecialization),
        }
    }

    /// Records that a partner applied (or enrolled).
    ///
    /// # Errors
    /// [`MonitoringError`]: unknown partner, tier, specialization or role, neither or both
    /// of tier and specialization, a bad `applied_at`, the database.
    pub async fn record_application(
        &self,
        actor: &str,
        new: &NewApplication,
    ) -> Result<ApplicationRow, MonitoringError> {
        self.bar(
            new.tier.as_deref(),
            new.specialization.as_deref(),
            &new.role,
        )?;
        let applied_at = instant("applied_at", new.applied_at.as_deref())?;
        self.known_partner(&new.partner_id).await?;
        let row = ApplicationRow {
            id: uuid_v4()?,
            partner_id: new.partner_id.clone(),
            tier: new.tier.clone(),
            specialization: new.specialization.clone(),
            role: new.role.clone(),
            applied_at,
            created_at: now().unix_timestamp(),
        };
        let entry = audit(actor, "application.record", &row.partner_id, json!(row));
        self.store().insert_application(&row, &entry).await?;
        Ok(row)
    }

    /// A page of applications, newest first, of `partner` or all; `limit` 1 to
    /// [`MAX_LIST`] (100), after cursor `after`.
    ///
    /// # Errors
    /// [`MonitoringError::Limit`], [`MonitoringError::Cursor`], the database.
    pub async fn applications(
        &self,
        partner: Option<&str>,
        limit_: Option<i64>,
        after: Option<&str>,
    ) -> Result<Page<ApplicationRow>, MonitoringError> {
        let page = page(limit_, after)?;
        let partner = partner_filter(partner)?;
        self.store()
            .applications(partner, &page)
            .await
            .map_err(from_list)
    }

    /// Records an assessment attempt; `passed` from its tier's or specialization's bar.
    ///
    /// # Errors
    /// [`MonitoringError`]: as [`Issuer::record_application`], an application of another
    /// partner or none, an exam without a score (or with a demo level), a demo without a
    /// level of the rubric.
    pub async fn record_attempt(
        &self,
        actor: &str,
        new: &NewAttempt,
    ) -> Result<AttemptRow, MonitoringError> {
        let (min_score, min_level) = self.bar(
            new.tier.as_deref(),
            new.specialization.as_deref(),
            &new.role,
        )?;
        let rubric = &self.program().rubric;
        let rank = |l: &str| rubric.iter().position(|r| r == l);
        let passed = match (new.kind.as_str(), new.exam_score, new.demo_level.as_deref()) {
            ("exam", Some(score), None) => {
                if score > 100 {
                    return Err(MonitoringError::Attempt(format!(
                        "exam_score {score} is not a percentage (0 to 100)"
                    )));
                }
                min_score.is_none_or(|m| score >= m)
            }
            ("demo", None, Some(level)) => {
                let got = rank(level).ok_or_else(|| {
                    MonitoringError::Attempt(format!(
                        "demo_level {level:?} is not a level of the rubric ({})",
                        rubric.join(", ")
                    ))
                })?;
                min_level
                    .as_deref()
                    .and_then(rank)
                    .is_none_or(|need| got >= need)
            }
            ("exam", _, _) => {
                return Err(MonitoringError::Attempt(
                    "an exam has an exam_score and no demo_level".into(),
                ))
            }
            ("demo", _, _) => {
                return Err(MonitoringError::Attempt(
                    "a demo has a demo_level and no exam_score".into(),
                ))
            }
            (kind, _, _) => {
                return Err(MonitoringError::Attempt(format!(
                    "kind {kind:?} is neither exam nor demo"
                )))
            }
        };
        let attempted_at = instant("attempted_at", new.attempted_at.as_deref())?;
        self.known_partner(&new.partner_id).await?;
        if let Some(id) = &new.application_id {
            let found = match possible_id(id) {
                true => self.store().application(id).await?,
                false => None,
            };
            match found {
                None => {
                    return Err(MonitoringError::Application {
                        id: id.escape_default().to_string(),
                        why: "no such application",
                    })
                }
                Some(a) if a.partner_id != new.partner_id => {
                    return Err(MonitoringError::Application {
                        id: id.clone(),
                        why: "it is another partner's",
                    })
                }
                // An attempt counts towards its application's first-pass rate: it must be
                // for what was applied for.
                Some(a) if a.role != new.role => {
                    return Err(MonitoringError::Application {
                        id: id.clone(),
                        why: "it is for another role",
                    })
                }
                Some(a) if a.tier != new.tier || a.specialization != new.specialization => {
                    return Err(MonitoringError::Application {
                        id: id.clone(),
                        why: "it is for another tier or specialization",
                    })
                }
                Some(_) => {}
            }
        }
        let row = AttemptRow {
            id: uuid_v4()?,
            partner_id: new.partner_id.clone(),
            application_id: new.application_id.clone(),
            tier: new.tier.clone(),
            specialization: new.specialization.clone(),
            role: new.role.clone(),
            kind: new.kind.clone(),
            exam_score: new.exam_score.map(i64::from),
            demo_level: new.demo_level.clone(),
            passed,
            attempted_at,
            created_at: now().unix_timestamp(),
        };
        let entry = audit(actor, "attempt.record", &row.partner_id, json!(row));
        self.store().insert_attempt(&row, &entry).await?;
        Ok(row)
    }

    /// A page of attempts, newest first, of `partner` or all; `limit` 1 to [`MAX_LIST`]
    /// (100), after cursor `after`.
    ///
    /// # Errors
    /// [`MonitoringError::Limit`], [`MonitoringError::Cursor`], the database.
    pub async fn attempts(
        &self,
        partner: Option<&str>,
        limit_: Option<i64>,
        after: Option<&str>,
    ) -> Result<Page<AttemptRow>, MonitoringError> {
        let page = page(limit_, after)?;
        let partner = partner_filter(partner)?;
        self.store()
            .attempts(partner, &page)
            .await
            .map_err(from_list)
    }

    /// Records that `partner` completed a module (again: its new date).
    ///
    /// # Errors
    /// [`MonitoringError`]: unknown partner or module, a bad `completed_at`, the database.
    pub async fn record_training(
        &self,
        actor: &str,
        partner: &str,
        new: &NewTraining,
    ) -> Result<TrainingRow, MonitoringError> {
        let program = self.program();
        if !program.modules.iter().any(|m| m.id == new.module) {
            check_text("module", &new.module, super::MAX_NAME, true)?;
            return Err(MonitoringError::UnknownModule {
                module: new.module.clone(),
                known: program
                    .modules
                    .iter()
                    .map(|m| m.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let completed_at = instant("completed_at", new.completed_at.as_deref())?;
        self.known_partner(partner).await?;
        let row = TrainingRow {
            partner_id: partner.to_owned(),
            module: new.module.clone(),
            completed_at,
        };
        let entry = audit(actor, "training.record", partner, json!(row));
        self.store().record_training(&row, &entry).await?;
        Ok(row)
    }

    /// A partner's completed modules.
    ///
    /// # Errors
    /// [`MonitoringError::UnknownPartner`], the database.
    pub async fn training(&self, partner: &str) -> Result<Vec<TrainingRow>, MonitoringError> {
        self.known_partner(partner).await?;
        Ok(self.store().training(partner).await?)
    }

    /// The partner's highest-ranked tier with a badge in force now.
    async fn current_tier(&self, partner: &str) -> Result<Option<String>, StoreError> {
        let tiers = self
            .store()
            .tiers_in_force(partner, now().unix_timestamp())
            .await?;
        let program = self.program();
        Ok(tiers
            .into_iter()
            .filter_map(|t| program.tier(&t).map(|x| (x.rank, t)))
            .max()
            .map(|(_, t)| t))
    }

    /// Records (or replaces) a partner's scorecard for `period`; whether it replaced one.
    ///
    /// # Errors
    /// [`MonitoringError`]: unknown partner, a bad period, a metric out of range or none.
    pub async fn put_scorecard(
        &self,
        actor: &str,
        partner: &str,
        period: &str,
        metrics: &Metrics,
    ) -> Result<(ScorecardRow, bool), MonitoringError> {
        let (period_start, period_end) = period_bounds(period)?;
        check_metrics(metrics)?;
        self.known_partner(partner).await?;
        let row = ScorecardRow {
            partner_id: partner.to_owned(),
            period: period.to_owned(),
            period_start,
            period_end,
            tier: self.current_tier(partner).await?,
            metrics: metrics.values(),
            recorded_at: now().unix_timestamp(),
        };
        let entry = audit(actor, "scorecard.record", partner, scorecard_json(&row));
        let replaced = self
            .store()
            .put_scorecards(std::slice::from_ref(&row), &[&entry])
            .await?;
        Ok((row, replaced[0]))
    }

    /// A partner's scorecard of one period, if recorded.
    ///
    /// # Errors
    /// [`MonitoringError`]: unknown partner, a bad period, the database.
    pub async fn scorecard(
        &self,
        partner: &str,
        period: &str,
    ) -> Result<Option<ScorecardRow>, MonitoringError> {
        period_bounds(period)?;
        self.known_partner(partner).await?;
        Ok(self.store().scorecard(partner, period).await?)
    }

    /// A partner's scorecards, latest first; `limit` 1 to [`MAX_LIST`] (100).
    ///
    /// # Errors
    /// [`MonitoringError`]: unknown partner, a bad limit, the database.
    pub async fn scorecards(
        &self,
        partner: &str,
        limit_: Option<i64>,
    ) -> Result<Vec<ScorecardRow>, MonitoringError> {
        let n = limit(limit_)?;
        self.known_partner(partner).await?;
        Ok(self.store().scorecards(partner, n).await?)
    }

    /// Imports scorecards (rows from [`parse_scorecards`]): every row is checked first (its
    /// partner, period and metrics; a partner and period twice in one import is refused);
    /// any refused row refuses the import, with every refused row's problem, and nothing is
    /// written; otherwise all rows are written in one transaction. Returns each row's
    /// scorecard and whether it replaced one.
    ///
    /// # Errors
    /// [`MonitoringError::Rows`], the database.
    pub async fn import_scorecards(
        &self,
        actor: &str,
        rows: Vec<Result<ScorecardImportRow, String>>,
    ) -> Result<Vec<(ScorecardRow, bool)>, MonitoringError> {
        let mut problems = Vec::new();
        let mut cards = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut tiers: std::collections::HashMap<String, Option<Option<String>>> =
            std::collections::HashMap::new();
        let at = now().unix_timestamp();
        for (i, row) in rows.into_iter().enumerate() {
            let n = i + 1;
            let row = match row {
                Ok(r) => r,
                Err(detail) => {
                    problems.push(RowProblem { row: n, detail });
                    continue;
                }
            };
            let checked = period_bounds(&row.period).and_then(|b| {
                check_metrics(&row.metrics)?;
                Ok(b)
            });
            let (period_start, period_end) = match checked {
                Ok(b) => b,
                Err(e) => {
                    problems.push(RowProblem {
                        row: n,
                        detail: e.to_string(),
                    });
                    continue;
                }
            };
            if !seen.insert((row.partner_id.clone(), row.period.clone())) {
                problems.push(RowProblem {
                    row: n,
                    detail: format!(
                        "partner {} and period {} appear earlier in this import",
                        row.partner_id, row.period
                    ),
                });
                continue;
            }
            if !tiers.contains_key(&row.partner_id) {
                let known = possible_id(&row.partner_id)
                    && self.store().partner(&row.partner_id).await?.is_some();
                let tier = match known {
                    true => Some(self.current_tier(&row.partner_id).await?),
                    false => None,
                };
                tiers.insert(row.partner_id.clone(), tier);
            }
            let Some(Some(tier)) = tiers.get(&row.partner_id).cloned() else {
                problems.push(RowProblem {
                    row: n,
                    detail: format!("no partner {}", row.partner_id.escape_default()),
                });
                continue;
            };
            cards.push(ScorecardRow {
                partner_id: row.partner_id,
                period: row.period,
                period_start,
                period_end,
                tier,
                metrics: row.metrics.values(),
                recorded_at: at,
            });
        }
        if !problems.is_empty() {
            return Err(MonitoringError::Rows { problems });
        }
        let entries: Vec<AuditEntry> = cards
            .iter()
            .map(|c| audit(actor, "scorecard.record", &c.partner_id, scorecard_json(c)))
            .collect();
        let refs: Vec<&AuditEntry> = entries.iter().collect();
        let replaced = self.store().put_scorecards(&cards, &refs).await?;
        Ok(cards.into_iter().zip(replaced).collect())
    }

    /// A page of the open "at risk" flags, oldest first, of `partner` or all; `limit` 1 to
    /// [`MAX_LIST`] (100), after cursor `after`.
    ///
    /// # Errors
    /// [`MonitoringError::Limit`], [`MonitoringError::Cursor`], the database.
    pub async fn risks(
        &self,
        partner: Option<&str>,
        limit_: Option<i64>,
        after: Option<&str>,
    ) -> Result<Page<RiskRow>, MonitoringError> {
        let page = page(limit_, after)?;
        let partner = partner_filter(partner)?;
        self.store()
            .open_risks(partner, &page)
            .await
            .map_err(from_list)
    }

    /// Runs the "at risk" machinery at instant `at` (see the module documentation).
    ///
    /// # Errors
    /// [`MonitorError`]; what was done before stays done, the next run goes on.
    pub async fn monitor(&self, at: OffsetDateTime) -> Result<MonitorRun, MonitorError> {
        let at = at.unix_timestamp();
        let mut run = MonitorRun::default();
        self.store().clear_ended_risks(at).await?;
        let monitoring = &self.program().monitoring;
        let suspends = monitoring.suspend && self.program().suspension;
        let mut after = String::new();
        loop {
            let batch = self.store().monitored_badges(at, &after, 200).await?;
            let Some(last) = batch.last() else { break };
            after = last.credential_id.clone();
            for m in &batch {
                // A tier without floors (or no longer in the program) misses nothing: a flag
                // left from before is cleared.
                let misses = self
                    .program()
                    .tier(&m.tier)
                    .and_then(|t| t.scorecard.as_ref())
                    .map_or_else(Vec::new, |floor| missed(floor, &m.scorecard.metrics));
                let open = self.store().open_risk(&m.credential_id).await?;
                match (misses.is_empty(), open) {
                    (false, None) => {
                        let risk = RiskRow {
                            id: uuid_v4()?,
                            credential_id: m.credential_id.clone(),
                            partner_id: m.partner_id.clone(),
                            period: m.scorecard.period.clone(),
                            missed: json!(misses),
                            flagged_at: at,
                            notice_until: at + i64::from(monitoring.notice_days) * DAY,
                            suspended_at: None,
                            cleared_at: None,
                            cleared_by: None,
                        };
                        let entry = AuditEntry {
                            at: now().unix_timestamp(),
                            actor: "system".into(),
                            action: "credential.at_risk".into(),
                            subject: m.credential_id.clone(),
                            detail: json!({
                                "tier": m.tier, "period": risk.period, "missed": misses,
                                "notice_until": risk.notice_until, "suspend": suspends,
                            }),
                        };
                        if self.store().flag_risk(&risk, &entry).await? {
                            run.flagged += 1;
                        }
                    }
                    (false, Some(risk)) => {
                        if suspends
                            && risk.suspended_at.is_none()
                            && at >= risk.notice_until
                            && !m.suspended
                        {
                            match self.suspend("system", &m.credential_id).await {
                                Ok(_) => {
                                    self.store().risk_suspended(&risk.id, at).await?;
                                    run.suspended += 1;
                                }
                                Err(
                                    StatusChangeError::AlreadySuspended { .. }
                                    | StatusChangeError::Revoked { .. },
                                ) => {}
                                Err(source) => {
                                    return Err(MonitorError::Status {
                                        id: m.credential_id.clone(),
                                        source,
                                    })
                                }
                            }
                        }
                    }
                    (true, Some(risk)) => {
                        let by = format!("scorecard:{}", m.scorecard.period);
                        if self.clear_flag(&m.credential_id, at, &by).await?.is_some() {
                            run.cleared += 1;
                            if risk.suspended_at.is_some()
                                && m.suspended
                                && self.suspended_by_system(&m.credential_id).await?
                            {
                                match self.reinstate("system", &m.credential_id).await {
                                    Ok(_) | Err(StatusChangeError::NotSuspended { .. }) => {}
                                    Err(source) => {
                                        return Err(MonitorError::Status {
                                            id: m.credential_id.clone(),
                                            source,
                                        })
                                    }
                                }
                            }
                        }
                    }
                    (true, None) => {}
                }
            }
        }
        Ok(run)
    }

    /// Clears badge `credential`'s open flag at `at` (Unix seconds), `by` what, with a
    /// `credential.risk_cleared` audit entry.
    pub(crate) async fn clear_flag(
        &self,
        credential: &str,
        at: i64,
        by: &str,
    ) -> Result<Option<RiskRow>, StoreError> {
        let entry = AuditEntry {
            at: now().unix_timestamp(),
            actor: "system".into(),
            action: "credential.risk_cleared".into(),
            subject: credential.to_owned(),
            detail: json!({"cleared_by": by}),
        };
        self.store().clear_risk(credential, at, by, &entry).await
    }

    /// Whether badge `credential` is suspended by an "at risk" flag (so an approval may
    /// replace it).
    /// A flag must have suspended it (open, or cleared since because the badge expired: it
    /// may still be renewed in its grace period), and nobody suspended it since (the latest
    /// suspension is the system's): a suspension the agency made after reinstating it is the
    /// agency's.
    pub(crate) async fn suspended_for_risk(&self, credential: &str) -> Result<bool, StoreError> {
        Ok(self.store().risk_ever_suspended(credential).await?
            && self.suspended_by_system(credential).await?)
    }

    /// Whether the latest suspension of `credential` was the "at risk" machinery's.
    async fn suspended_by_system(&self, credential: &str) -> Result<bool, StoreError> {
        Ok(self
            .store()
            .last_suspension_actor(credential)
            .await?
            .is_some_and(|a| a == "system"))
    }

    /// What an approval of `tier` by `partner` misses of monitoring's requirements: the
    /// tier's training modules (`training`), and against the partner's latest scorecard
    /// (`scorecard`; none recorded misses it): for a renewal the tier's
    /// `[tiers.renewal.scorecard]`, and for any approval replacing a badge flagged at risk or
    /// suspended by a flag (`at_risk`) the tier's floors `[tiers.scorecard]` too, so that no
    /// renewal, new certification, upgrade or downgrade lifts the flag or its suspension (nor
    /// restarts the notice period) on the scorecard that caused it.
    pub(crate) async fn monitoring_shortfalls(
        &self,
        partner: &str,
        tier: &Tier,
        renewal: bool,
        at_risk: bool,
    ) -> Result<Vec<Shortfall>, StoreError> {
        let mut out = Vec::new();
        if !tier.required_training.is_empty() {
            let done = self.store().training(partner).await?;
            for module in &tier.required_training {
                if !done.iter().any(|t| &t.module == module) {
                    let name = self
                        .program()
                        .modules
                        .iter()
                        .find(|m| &m.id == module)
                        .map_or(module.as_str(), |m| m.name.as_str());
                    out.push(Shortfall {
                        requirement: "training",
                        detail: format!(
                            "{} requires the training module {module} ({name})",
                            tier.name
                        ),
                    });
                }
            }
        }
        let mut checks: Vec<(&Thresholds, String)> = Vec::new();
        if let (true, Some(needed)) = (
            renewal,
            tier.renewal.as_ref().and_then(|r| r.scorecard.as_ref()),
        ) {
            checks.push((needed, format!("the {} renewal's", tier.name)));
        }
        if let (true, Some(floor)) = (at_risk, tier.scorecard.as_ref()) {
            checks.push((floor, format!("{}'s floor, the", tier.name)));
        }
        if checks.is_empty() {
            return Ok(out);
        }
        // The scorecard monitoring reads: the latest of a quarter begun by now.
        let latest = self
            .store()
            .latest_scorecard(partner, now().unix_timestamp())
            .await?;
        let Some(s) = latest.as_ref() else {
            out.push(Shortfall {
                requirement: "scorecard",
                detail: match renewal {
                    true => format!(
                        "a {} renewal requires a scorecard; none is recorded for the partner",
                        tier.name
                    ),
                    false => format!(
                        "replacing a badge at risk requires a scorecard meeting {}'s floors; none is recorded for the partner",
                        tier.name
                    ),
                },
            });
            return Ok(out);
        };
        for (needed, whose) in checks {
            for m in missed(needed, &s.metrics) {
                let (word, bound) = match m.metric {
                    "rework" => ("above", "maximum"),
                    _ => ("below", "minimum"),
                };
                let detail = format!(
                    "{} {} in {} is {word} {whose} {bound} of {}",
                    m.metric, m.value, s.period, m.threshold
                );
                if !out.iter().any(|x: &Shortfall| x.detail == detail) {
                    out.push(Shortfall {
                        requirement: "scorecard",
                        detail,
                    });
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_quarters() {
        assert_eq!(
            period_bounds("2026-Q1").unwrap(),
            (1_767_225_600, 1_775_001_600)
        );
        assert_eq!(period_bounds("2026-Q4").unwrap().1, 1_798_761_600);
        for bad in [
            "2026-Q5", "2026-Q0", "26-Q1", "2026Q1", "1999-Q4", "2026-Q1x",
        ] {
            assert!(period_bounds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rework_is_a_ceiling_and_nulls_miss_nothing() {
        let t = Thresholds {
            min_nps: Some(30.0),
            max_rework: Some(10.0),
            min_csat: Some(80.0),
            ..Thresholds::default()
        };
        let mut m = [None; 9];
        m[2] = Some(12.0);
        m[3] = Some(30.0);
        let got = missed(&t, &m);
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].metric, got[0].value, got[0].threshold),
            ("rework", 12.0, 10.0)
        );
    }

    #[test]
    fn csv_rows_are_read_with_their_errors() {
        let rows = parse_scorecards(
            b"partner_id,period,nps,csat\np1,2026-Q1,40,\np2,2026-Q1,x,90\n",
            true,
        )
        .unwrap();
        assert_eq!(rows[0].as_ref().unwrap().metrics.nps, Some(40.0));
        assert_eq!(rows[0].as_ref().unwrap().metrics.csat, None);
        assert_eq!(rows[1].as_ref().unwrap_err(), "nps: \"x\" is not a number");
        let e = parse_scorecards(b"partner_id,period,joy\n", true).unwrap_err();
        assert!(e.to_string().contains("unknown column \"joy\""), "{e}");
    }
}

#[cfg(test)]
mod attack {
    use super::*;

    #[test]
    fn csv_with_a_bom_and_crlf_is_read() {
        let rows = parse_scorecards(
            b"\xEF\xBB\xBFpartner_id,period,nps\r\np1,2026-Q1,40\r\n",
            true,
        )
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].as_ref().unwrap().metrics.nps, Some(40.0));
    }

    #[test]
    fn json_rows_with_an_unknown_field_are_refused() {
        let rows = parse_scorecards(
            br#"[{"partner_id":"p1","period":"2026-Q1","nps":40,"joy":1}]"#,
            false,
        )
        .unwrap();
        assert!(rows[0].is_err(), "{:?}", rows[0]);
    }

    #[test]
    fn csv_quoted_newline_in_a_cell() {
        let rows = parse_scorecards(b"partner_id,period,nps\n\"p\n1\",2026-Q1,40\n", true).unwrap();
        assert_eq!(rows.len(), 1);
    }

    #[test]
    fn nan_and_infinity_are_refused() {
        let rows =
            parse_scorecards(b"partner_id,period,nps,csat\np1,2026-Q1,NaN,inf\n", true).unwrap();
        let m = &rows[0].as_ref().unwrap().metrics;
        assert!(check_metrics(m).is_err());
        assert!(period_bounds("9999-Q4").is_err());
        assert!(period_bounds("-001-Q1").is_err());
        assert!(period_bounds("2026-Q+1").is_err());
    }
}
