//! The partner program (roles, competencies, tiers and their requirements), loaded from TOML,
//! and the check of an approval against its tier's requirements.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

/// The demo program written by `hallmark serve --demo`: three roles, four tiers, a dozen
/// competencies.
pub const DEMO_PROGRAM: &str = include_str!("demo_program.toml");

/// The longest validity of a tier's badges, in days: a hundred years.
pub const MAX_VALIDITY_DAYS: u32 = 36_500;

/// Why a program file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProgramError {
    /// Not valid TOML, or unknown or mistyped keys.
    #[error("program: {0}")]
    Toml(#[from] toml::de::Error),
    /// A role, tier or competency id used twice.
    #[error("program: {id:?} is defined twice")]
    Duplicate {
        /// The id.
        id: String,
    },
    /// A tier requires a competency the program does not define.
    #[error("program: tier {tier:?} requires unknown competency {code:?}")]
    UnknownCompetency {
        /// The tier.
        tier: String,
        /// The competency code.
        code: String,
    },
    /// A tier requires a demo level not in the rubric.
    #[error("program: tier {tier:?} requires unknown demo level {level:?}")]
    UnknownDemoLevel {
        /// The tier.
        tier: String,
        /// The level.
        level: String,
    },
    /// A minimum exam score above 100 percent.
    #[error("program: tier {tier:?}: min_exam_score above 100")]
    ExamScore {
        /// The tier.
        tier: String,
    },
    /// A validity of 0 days or more than [`MAX_VALIDITY_DAYS`].
    #[error(
        "program: tier {tier:?}: validity_days must be 1 to {MAX_VALIDITY_DAYS} (a hundred years)"
    )]
    Validity {
        /// The tier.
        tier: String,
    },
    /// A grace period of more than [`MAX_GRACE_DAYS`].
    #[error("program: tier {tier:?}: grace_days must be at most {MAX_GRACE_DAYS} (ten years)")]
    Grace {
        /// The tier.
        tier: String,
    },
    /// A specialization open to a role the program does not define.
    #[error("program: specialization {specialization:?} names unknown role {role:?}")]
    UnknownRole {
        /// The specialization.
        specialization: String,
        /// The role.
        role: String,
    },
    /// A specialization's `min_tier` is not one of the program's tiers.
    #[error("program: specialization {specialization:?} requires unknown tier {tier:?}")]
    UnknownTier {
        /// The specialization.
        specialization: String,
        /// The tier.
        tier: String,
    },
    /// A tier requires a training module the program does not define (`[[modules]]`).
    #[error("program: tier {tier:?} requires unknown training module {module:?}; the modules are {known}")]
    UnknownModule {
        /// The tier.
        tier: String,
        /// The module id.
        module: String,
        /// The program's modules.
        known: String,
    },
    /// A scorecard threshold outside its metric's range (or not a number).
    #[error("program: {table}: {key} = {value} is out of range: {min} to {max}")]
    Threshold {
        /// Where: `[tiers.scorecard]` of a tier, or its renewal's.
        table: String,
        /// The key (`min_nps`).
        key: String,
        /// The value given.
        value: f64,
        /// The lowest allowed.
        min: f64,
        /// The highest allowed.
        max: f64,
    },
    /// `[monitoring]` out of bounds: `notice_days` above [`MAX_NOTICE_DAYS`], or `suspend`
    /// without the program's suspension entry.
    #[error("program: [monitoring]: {0}")]
    Monitoring(String),
}

/// The longest notice period of `[monitoring]`, days: a year.
pub const MAX_NOTICE_DAYS: u32 = 365;

/// A role partners are certified for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// Slug (`sales`, `solutions`, `delivery`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// What it covers.
    #[serde(default)]
    pub description: String,
}

/// A competency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Competency {
    /// Code, e.g. `CLOUD-ARCH`.
    pub code: String,
    /// Name.
    pub name: String,
    /// What it means.
    #[serde(default)]
    pub description: String,
    /// Its framework (default: the program's).
    #[serde(default)]
    pub framework: Option<String>,
}

/// A tier and its requirements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// Slug (`gold`).
    pub id: String,
    /// Display name (`Gold Partner`).
    pub name: String,
    /// Rank: higher is better.
    pub rank: u32,
    /// What the tier means.
    pub description: String,
    /// Competencies an approval must include.
    #[serde(default)]
    pub required_competencies: Vec<String>,
    /// Minimum exam score, percent.
    #[serde(default)]
    pub min_exam_score: Option<u8>,
    /// Minimum live-demo rubric level.
    #[serde(default)]
    pub min_demo_level: Option<String>,
    /// Validated references required.
    #[serde(default)]
    pub required_references: usize,
    /// How long a badge is valid, days (the renewal cadence).
    pub validity_days: u32,
    /// Benefits, for people.
    #[serde(default)]
    pub benefits: Vec<String>,
    /// Days after `validUntil` during which a badge may still be renewed; after them it is
    /// lapsed. At most [`MAX_GRACE_DAYS`].
    #[serde(default)]
    pub grace_days: u32,
    /// What a renewal (same tier and role, before the grace period ends) requires instead
    /// of the first certification's requirements; absent, a renewal meets the full bar.
    #[serde(default)]
    pub renewal: Option<Renewal>,
    /// Training modules ([`Program::modules`]) a partner must have completed.
    #[serde(default)]
    pub required_training: Vec<String>,
    /// The scorecard floors of staying in the tier (`[tiers.scorecard]`): a partner whose
    /// latest scorecard misses one is at risk ([`Monitoring`]).
    #[serde(default)]
    pub scorecard: Option<Thresholds>,
}

/// A tier's renewal requirements (`[tiers.renewal]`): each one absent is not required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Renewal {
    /// Competencies a renewal must include.
    #[serde(default)]
    pub required_competencies: Vec<String>,
    /// Minimum exam score, percent.
    #[serde(default)]
    pub min_exam_score: Option<u8>,
    /// Minimum live-demo rubric level.
    #[serde(default)]
    pub min_demo_level: Option<String>,
    /// Validated references required.
    #[serde(default)]
    pub required_references: usize,
    /// An approval of the same tier after the grace period: `full` (the first
    /// certification's requirements, the default) or `refuse`.
    #[serde(default)]
    pub after_grace: AfterGrace,
    /// The scorecard a renewal needs (`[tiers.renewal.scorecard]`): the partner's latest
    /// scorecard must meet it.
    #[serde(default)]
    pub scorecard: Option<Thresholds>,
}

/// The scorecard metrics, as named in the API, CSV headers and the program file: win rate,
/// first-pass quality, rework and margin, attach rate, net revenue retention and CSAT in
/// percent; NPS from −100 to 100; influenced pipeline in the program's currency.
pub const METRICS: [&str; 9] = [
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

/// Scorecard thresholds (`[tiers.scorecard]`, `[tiers.renewal.scorecard]`): a floor
/// `min_<metric>` for each metric but rework, whose limit is a ceiling (`max_rework`); each
/// absent one is not watched. Units as [`METRICS`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Deals won, percent.
    pub min_win_rate: Option<f64>,
    /// Work accepted first time, percent.
    pub min_first_pass_quality: Option<f64>,
    /// Work redone, percent: a ceiling.
    pub max_rework: Option<f64>,
    /// Net promoter score, −100 to 100.
    pub min_nps: Option<f64>,
    /// Gross margin, percent.
    pub min_margin: Option<f64>,
    /// Attach rate, percent.
    pub min_attach_rate: Option<f64>,
    /// Influenced pipeline, in the program's currency.
    pub min_influenced_pipeline: Option<f64>,
    /// Net revenue retention, percent.
    pub min_nrr: Option<f64>,
    /// Partner CSAT, percent satisfied.
    pub min_csat: Option<f64>,
}

/// How the program watches certified partners (`[monitoring]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    /// Days from the "at risk" notice to suspension (when [`Monitoring::suspend`]).
    #[serde(default = "default_notice_days")]
    pub notice_days: u32,
    /// Whether a partner still at risk when the notice period ends has its tier badge
    /// suspended (needs [`Program::suspension`]).
    #[serde(default)]
    pub suspend: bool,
}

fn default_notice_days() -> u32 {
    30
}

impl Default for Monitoring {
    fn default() -> Self {
        Self {
            notice_days: default_notice_days(),
            suspend: false,
        }
    }
}

/// A training module (`[[modules]]`): Hallmark records completions, it is not an LMS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Module {
    /// Slug.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// An advanced specialization (`[[specializations]]`), on top of a tier: its own
/// competencies and requirements, issued as its own badge (an OB 3.0 achievement of
/// `achievementType` Certification) beside the tier badge, with the same lifecycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Specialization {
    /// Slug (`data-migration`), unique among roles, tiers, competencies and specializations.
    pub id: String,
    /// Display name (`Data Migration Specialist`).
    pub name: String,
    /// What it means.
    pub description: String,
    /// The roles it is open to (empty: every role).
    #[serde(default)]
    pub roles: Vec<String>,
    /// The lowest tier the partner must hold (an active badge for the role), if any.
    #[serde(default)]
    pub min_tier: Option<String>,
    /// Competencies an approval must include.
    #[serde(default)]
    pub required_competencies: Vec<String>,
    /// Minimum exam score, percent.
    #[serde(default)]
    pub min_exam_score: Option<u8>,
    /// Minimum live-demo rubric level.
    #[serde(default)]
    pub min_demo_level: Option<String>,
    /// Validated references required.
    #[serde(default)]
    pub required_references: usize,
    /// How long a badge is valid, days.
    pub validity_days: u32,
    /// Days after `validUntil` during which it may still be renewed.
    #[serde(default)]
    pub grace_days: u32,
    /// What a renewal requires instead.
    #[serde(default)]
    pub renewal: Option<Renewal>,
}

/// What an approval of the same tier after the grace period needs ([`Renewal::after_grace`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AfterGrace {
    /// The first certification's requirements.
    #[default]
    Full,
    /// Refused as a renewal: the partner certifies anew (`"renewal": false`).
    Refuse,
}

/// The longest grace period after a badge's `validUntil`, in days: ten years.
pub const MAX_GRACE_DAYS: u32 = 3650;

impl Specialization {
    /// The specialization as a [`Tier`] (rank 0, no benefits, no scorecard or training), so
    /// the requirement checks, renewal bar and criteria of tiers apply to it unchanged.
    pub fn as_tier(&self) -> Tier {
        Tier {
            id: self.id.clone(),
            name: self.name.clone(),
            rank: 0,
            description: self.description.clone(),
            required_competencies: self.required_competencies.clone(),
            min_exam_score: self.min_exam_score,
            min_demo_level: self.min_demo_level.clone(),
            required_references: self.required_references,
            validity_days: self.validity_days,
            benefits: Vec::new(),
            grace_days: self.grace_days,
            renewal: self.renewal.clone(),
            required_training: Vec::new(),
            scorecard: None,
        }
    }

    /// Whether partners certified for `role` may hold it.
    pub fn open_to(&self, role: &str) -> bool {
        self.roles.is_empty() || self.roles.iter().any(|r| r == role)
    }
}

impl Tier {
    /// The tier as a renewal sees it: the renewal requirements in place of the first
    /// certification's (the same tier when it has none).
    pub fn for_renewal(&self) -> Tier {
        let Some(r) = &self.renewal else {
            return self.clone();
        };
        Tier {
            name: format!("{} renewal", self.name),
            required_competencies: r.required_competencies.clone(),
            min_exam_score: r.min_exam_score,
            min_demo_level: r.min_demo_level.clone(),
            required_references: r.required_references,
            ..self.clone()
        }
    }

    /// The requirements in words (the badge's `criteria.narrative`).
    pub fn criteria(&self, program: &Program) -> String {
        let mut parts = Vec::new();
        if let Some(min) = self.min_exam_score {
            parts.push(format!("an exam score of at least {min}%"));
        }
        if let Some(level) = &self.min_demo_level {
            parts.push(format!("a live demo rated {level} or better"));
        }
        if self.required_references > 0 {
            parts.push(format!(
                "{} validated customer reference(s)",
                self.required_references
            ));
        }
        if !self.required_competencies.is_empty() {
            let names: Vec<String> = self
                .required_competencies
                .iter()
                .map(|c| {
                    program
                        .competency(c)
                        .map_or_else(|| c.clone(), |c| c.name.clone())
                })
                .collect();
            parts.push(format!("the competencies {}", names.join(", ")));
        }
        if parts.is_empty() {
            "Approved by the program.".into()
        } else {
            format!(
                "Requires {}; renewed every {} days.",
                parts.join(", "),
                self.validity_days
            )
        }
    }
}

/// A partner program.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Program {
    /// The program's name.
    pub name: String,
    /// The default competency framework's name.
    pub framework: String,
    /// Whether badges carry a suspension entry too.
    #[serde(default)]
    pub suspension: bool,
    /// Live-demo rubric levels, lowest first.
    pub rubric: Vec<String>,
    /// Roles.
    pub roles: Vec<Role>,
    /// Competencies.
    pub competencies: Vec<Competency>,
    /// Tiers.
    pub tiers: Vec<Tier>,
    /// Advanced specializations.
    #[serde(default)]
    pub specializations: Vec<Specialization>,
    /// Training modules tiers may require.
    #[serde(default)]
    pub modules: Vec<Module>,
    /// How certified partners are watched.
    #[serde(default)]
    pub monitoring: Monitoring,
}

/// One unmet requirement of an approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shortfall {
    /// Which requirement: `tier`, `role`, `competency`, `required_competency`, `exam_score`,
    /// `demo_level`, `references`; monitoring's `training` (a required module not completed)
    /// and `scorecard` (a renewal's scorecard thresholds missed).
    pub requirement: &'static str,
    /// What is missing, for people.
    pub detail: String,
}

/// What an approval claims, to check against a tier.
#[derive(Debug, Clone)]
pub struct Claim<'a> {
    /// Tier slug.
    pub tier: &'a str,
    /// Role slug.
    pub role: &'a str,
    /// Competency codes.
    pub competencies: &'a [String],
    /// Exam score, percent.
    pub exam_score: Option<u8>,
    /// Demo level.
    pub demo_level: Option<&'a str>,
    /// Validated references.
    pub validated_references: usize,
}

impl Program {
    /// Parses and checks a program (every code and level a tier names exists, ids are
    /// unique).
    ///
    /// # Errors
    /// [`ProgramError`] naming the problem.
    pub fn from_toml(text: &str) -> Result<Self, ProgramError> {
        let program: Self = toml::from_str(text)?;
        let mut seen = HashSet::new();
        for id in program
            .roles
            .iter()
            .map(|r| &r.id)
            .chain(program.tiers.iter().map(|t| &t.id))
            .chain(program.competencies.iter().map(|c| &c.code))
            .chain(program.specializations.iter().map(|s| &s.id))
        {
            if !seen.insert(id.clone()) {
                return Err(ProgramError::Duplicate { id: id.clone() });
            }
        }
        program.check_monitoring()?;
        for tier in program
            .tiers
            .iter()
            .cloned()
            .chain(program.specializations.iter().map(Specialization::as_tier))
        {
            program.check_requirements(
                &tier.id,
                &tier.required_competencies,
                tier.min_demo_level.as_ref(),
                tier.min_exam_score,
            )?;
            if tier.validity_days == 0 || tier.validity_days > MAX_VALIDITY_DAYS {
                return Err(ProgramError::Validity {
                    tier: tier.id.clone(),
                });
            }
            if tier.grace_days > MAX_GRACE_DAYS {
                return Err(ProgramError::Grace {
                    tier: tier.id.clone(),
                });
            }
            if let Some(r) = &tier.renewal {
                program.check_requirements(
                    &format!("{}.renewal", tier.id),
                    &r.required_competencies,
                    r.min_demo_level.as_ref(),
                    r.min_exam_score,
                )?;
            }
        }
        for s in &program.specializations {
            if let Some(role) = s.roles.iter().find(|r| program.role(r).is_none()) {
                return Err(ProgramError::UnknownRole {
                    specialization: s.id.clone(),
                    role: role.clone(),
                });
            }
            if let Some(tier) = s.min_tier.as_ref().filter(|t| program.tier(t).is_none()) {
                return Err(ProgramError::UnknownTier {
                    specialization: s.id.clone(),
                    tier: tier.clone(),
                });
            }
        }
        Ok(program)
    }

    /// Checks one set of requirements (a tier's, or its renewal's, named `tier` in the
    /// error): competencies the program defines, a demo level of its rubric, a score of at
    /// most 100 percent.
    fn check_requirements(
        &self,
        tier: &str,
        competencies: &[String],
        demo_level: Option<&String>,
        exam_score: Option<u8>,
    ) -> Result<(), ProgramError> {
        if let Some(code) = competencies.iter().find(|c| self.competency(c).is_none()) {
            return Err(ProgramError::UnknownCompetency {
                tier: tier.to_owned(),
                code: code.clone(),
            });
        }
        if let Some(level) = demo_level.filter(|l| !self.rubric.contains(l)) {
            return Err(ProgramError::UnknownDemoLevel {
                tier: tier.to_owned(),
                level: level.clone(),
            });
        }
        if exam_score.is_some_and(|s| s > 100) {
            return Err(ProgramError::ExamScore {
                tier: tier.to_owned(),
            });
        }
        Ok(())
    }

    /// Checks what monitoring reads (issue 15): module ids unique, each tier's
    /// `required_training` among them, each scorecard threshold in its metric's range,
    /// `[monitoring]` in bounds.
    fn check_monitoring(&self) -> Result<(), ProgramError> {
        let mut seen = HashSet::new();
        for m in &self.modules {
            if !seen.insert(m.id.as_str()) {
                return Err(ProgramError::Duplicate { id: m.id.clone() });
            }
        }
        let known = || {
            let ids: Vec<&str> = self.modules.iter().map(|m| m.id.as_str()).collect();
            if ids.is_empty() {
                "none (add [[modules]])".to_owned()
            } else {
                ids.join(", ")
            }
        };
        for tier in &self.tiers {
            if let Some(module) = tier
                .required_training
                .iter()
                .find(|t| !self.modules.iter().any(|m| &m.id == *t))
            {
                return Err(ProgramError::UnknownModule {
                    tier: tier.id.clone(),
                    module: module.clone(),
                    known: known(),
                });
            }
            let renewal = tier.renewal.as_ref().and_then(|r| r.scorecard.as_ref());
            for (table, t) in [
                (
                    format!("tier {:?} [tiers.scorecard]", tier.id),
                    tier.scorecard.as_ref(),
                ),
                (
                    format!("tier {:?} [tiers.renewal.scorecard]", tier.id),
                    renewal,
                ),
            ] {
                let Some(t) = t else { continue };
                for (metric, value) in METRICS.into_iter().zip(crate::service::threshold_values(t))
                {
                    let Some(value) = value else { continue };
                    let (min, max) = crate::service::metric_range(metric);
                    if !value.is_finite() || value < min || value > max {
                        let key = match metric {
                            "rework" => "max_rework".to_owned(),
                            m => format!("min_{m}"),
                        };
                        return Err(ProgramError::Threshold {
                            table,
                            key,
                            value,
                            min,
                            max,
                        });
                    }
                }
            }
        }
        if self.monitoring.notice_days > MAX_NOTICE_DAYS {
            return Err(ProgramError::Monitoring(format!(
                "notice_days must be at most {MAX_NOTICE_DAYS} (a year)"
            )));
        }
        if self.monitoring.suspend && !self.suspension {
            return Err(ProgramError::Monitoring(
                "suspend = true needs suspension = true (badges with a suspension entry)".into(),
            ));
        }
        Ok(())
    }

    /// A tier by slug.
    pub fn tier(&self, id: &str) -> Option<&Tier> {
        self.tiers.iter().find(|t| t.id == id)
    }

    /// A specialization by slug.
    pub fn specialization(&self, id: &str) -> Option<&Specialization> {
        self.specializations.iter().find(|s| s.id == id)
    }

    /// A role by slug.
    pub fn role(&self, id: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.id == id)
    }

    /// The achievement a badge stands for, as a [`Tier`]: its specialization's
    /// ([`Specialization::as_tier`]) when it names one, else its tier; `None` when the program
    /// has neither (or it names none: a VC API credential).
    pub fn achievement(&self, tier: Option<&str>, specialization: Option<&str>) -> Option<Tier> {
        match specialization {
            Some(s) => self.specialization(s).map(Specialization::as_tier),
            None => tier.and_then(|t| self.tier(t)).cloned(),
        }
    }

    /// A competency by code.
    pub fn competency(&self, code: &str) -> Option<&Competency> {
        self.competencies.iter().find(|c| c.code == code)
    }

    /// The checks that need no tier: an exam score outside 0–100, a demo level not in the
    /// rubric.
    fn basic_shortfalls(&self, claim: &Claim<'_>) -> Vec<Shortfall> {
        let mut out = Vec::new();
        if let Some(s) = claim.exam_score.filter(|s| *s > 100) {
            out.push(Shortfall {
                requirement: "exam_score",
                detail: format!("exam_score {s} is not a percentage (0 to 100)"),
            });
        }
        if let Some(l) = claim
            .demo_level
            .filter(|l| !self.rubric.iter().any(|r| r == l))
        {
            out.push(Shortfall {
                requirement: "demo_level",
                detail: format!(
                    "demo_level {l:?} is not a level of the rubric; the levels are {}",
                    self.rubric.join(", ")
                ),
            });
        }
        out
    }

    /// Every requirement the claim does not meet; empty when it qualifies. An exam score
    /// outside 0–100 or a demo level not in the rubric is refused whatever the tier asks.
    pub fn shortfalls(&self, claim: &Claim<'_>) -> Vec<Shortfall> {
        let mut out = self.basic_shortfalls(claim);
        if !out.is_empty() {
            return out;
        }
        match self.tier(claim.tier) {
            Some(tier) => self.shortfalls_for(claim, tier),
            None => {
                let known: Vec<&str> = self.tiers.iter().map(|t| t.id.as_str()).collect();
                out.push(Shortfall {
                    requirement: "tier",
                    detail: format!(
                        "unknown tier {:?}; the program's tiers are {}",
                        claim.tier,
                        known.join(", ")
                    ),
                });
                out
            }
        }
    }

    /// Every requirement of `tier` (the claim's tier, or its renewal: [`Tier::for_renewal`])
    /// the claim does not meet, after the checks of [`Program::shortfalls`] that need no
    /// tier.
    pub fn shortfalls_for(&self, claim: &Claim<'_>, tier: &Tier) -> Vec<Shortfall> {
        let mut out = self.basic_shortfalls(claim);
        if !out.is_empty() {
            return out;
        }
        if !self.roles.iter().any(|r| r.id == claim.role) {
            let known: Vec<&str> = self.roles.iter().map(|r| r.id.as_str()).collect();
            out.push(Shortfall {
                requirement: "role",
                detail: format!(
                    "unknown role {:?}; the program's roles are {}",
                    claim.role,
                    known.join(", ")
                ),
            });
        }
        for code in claim.competencies {
            if self.competency(code).is_none() {
                out.push(Shortfall {
                    requirement: "competency",
                    detail: format!("unknown competency {code:?}"),
                });
            }
        }
        for code in &tier.required_competencies {
            if !claim.competencies.contains(code) {
                let name = self
                    .competency(code)
                    .map_or(code.as_str(), |c| c.name.as_str());
                out.push(Shortfall {
                    requirement: "required_competency",
                    detail: format!("{} requires the competency {code} ({name})", tier.name),
                });
            }
        }
        if let Some(min) = tier.min_exam_score {
            match claim.exam_score {
                None => out.push(Shortfall {
                    requirement: "exam_score",
                    detail: format!("{} requires an exam score (minimum {min}%)", tier.name),
                }),
                Some(s) if s < min => out.push(Shortfall {
                    requirement: "exam_score",
                    detail: format!("exam score {s}% is below {}'s minimum of {min}%", tier.name),
                }),
                Some(_) => {}
            }
        }
        if let Some(min) = &tier.min_demo_level {
            let rank = |l: &str| self.rubric.iter().position(|r| r == l);
            match claim.demo_level {
                None => out.push(Shortfall {
                    requirement: "demo_level",
                    detail: format!("{} requires a live demo rated {min} or better", tier.name),
                }),
                Some(l) => match (rank(l), rank(min)) {
                    (Some(got), Some(need)) if got < need => out.push(Shortfall {
                        requirement: "demo_level",
                        detail: format!("demo level {l} is below {}'s minimum of {min}", tier.name),
                    }),
                    _ => {}
                },
            }
        }
        if claim.validated_references < tier.required_references {
            out.push(Shortfall {
                requirement: "references",
                detail: format!(
                    "{} requires {} validated reference(s), got {}",
                    tier.name, tier.required_references, claim.validated_references
                ),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_program_is_realistic_and_valid() {
        let p = Program::from_toml(DEMO_PROGRAM).unwrap();
        assert_eq!(p.roles.len(), 3);
        assert_eq!(p.tiers.len(), 4);
        assert!(p.competencies.len() >= 12);
        assert!(p.suspension);
    }

    #[test]
    fn grace_days_default_to_zero_and_are_bounded() {
        // The demo program without its grace periods.
        let bare: String = DEMO_PROGRAM
            .lines()
            .filter(|l| !l.starts_with("grace_days"))
            .map(|l| format!("{l}\n"))
            .collect();
        let p = Program::from_toml(&bare).unwrap();
        assert!(p.tiers.iter().all(|t| t.grace_days == 0));
        let with = |days: u32| {
            bare.replacen(
                "validity_days = 365",
                &format!("validity_days = 365\ngrace_days = {days}"),
                1,
            )
        };
        let first = p.tiers[0].id.clone();
        let p = Program::from_toml(&with(MAX_GRACE_DAYS)).unwrap();
        assert_eq!(p.tier(&first).unwrap().grace_days, MAX_GRACE_DAYS);
        let e = Program::from_toml(&with(MAX_GRACE_DAYS + 1)).unwrap_err();
        assert!(
            matches!(&e, ProgramError::Grace { tier } if *tier == first),
            "{e}"
        );
        assert_eq!(
            e.to_string(),
            format!("program: tier {first:?}: grace_days must be at most 3650 (ten years)")
        );
    }

    #[test]
    fn shortfalls_name_each_requirement() {
        let p = Program::from_toml(DEMO_PROGRAM).unwrap();
        let gold = p.tier("gold").unwrap().clone();
        let mut competencies = gold.required_competencies.clone();
        fn claim<'a>(
            competencies: &'a [String],
            score: Option<u8>,
            level: Option<&'a str>,
            refs: usize,
        ) -> Claim<'a> {
            Claim {
                tier: "gold",
                role: "solutions",
                competencies,
                exam_score: score,
                demo_level: level,
                validated_references: refs,
            }
        }
        assert_eq!(
            p.shortfalls(&claim(&competencies, Some(95), Some("Expert"), 5)),
            vec![]
        );
        let low = p.shortfalls(&claim(&competencies, Some(50), Some("Expert"), 5));
        assert_eq!(low.len(), 1);
        assert_eq!(low[0].requirement, "exam_score");
        assert!(low[0].detail.contains("50%"), "{}", low[0].detail);
        let missing = competencies.pop().unwrap();
        let gap = p.shortfalls(&claim(&competencies, Some(95), Some("Expert"), 5));
        assert_eq!(gap[0].requirement, "required_competency");
        assert!(gap[0].detail.contains(&missing));
        let unknown = p.shortfalls(&Claim {
            tier: "diamond",
            ..claim(&competencies, None, None, 0)
        });
        assert_eq!(unknown[0].requirement, "tier");
    }

    #[test]
    fn scores_and_demo_levels_are_checked_for_every_tier() {
        let p = Program::from_toml(DEMO_PROGRAM).unwrap();
        let open = p
            .tiers
            .iter()
            .find(|t| t.min_exam_score.is_none() && t.min_demo_level.is_none())
            .expect("a tier without exam or demo requirements");
        let claim = |score, level| Claim {
            tier: &open.id,
            role: "solutions",
            competencies: &open.required_competencies,
            exam_score: score,
            demo_level: level,
            validated_references: open.required_references,
        };
        assert_eq!(p.shortfalls(&claim(Some(100), Some("Expert"))), vec![]);
        let bad = p.shortfalls(&claim(Some(150), Some("Great")));
        assert_eq!(bad.len(), 2, "{bad:?}");
        assert_eq!(bad[0].requirement, "exam_score");
        assert!(bad[0].detail.contains("150 is not a percentage"), "{bad:?}");
        assert_eq!(bad[1].requirement, "demo_level");
        assert!(
            bad[1]
                .detail
                .contains(&format!("the levels are {}", p.rubric.join(", "))),
            "{bad:?}"
        );
    }

    #[test]
    fn monitoring_parts_are_checked() {
        let p = Program::from_toml(DEMO_PROGRAM).unwrap();
        assert_eq!(
            p.monitoring,
            Monitoring {
                notice_days: 30,
                suspend: true
            }
        );
        assert_eq!(
            p.tier("gold").unwrap().scorecard.as_ref().unwrap().min_nps,
            Some(20.0)
        );
        let e =
            Program::from_toml(&DEMO_PROGRAM.replacen("\"security-ops\", ", "\"sec-ops\", ", 1))
                .unwrap_err();
        assert_eq!(
            e.to_string(),
            "program: tier \"platinum\" requires unknown training module \"sec-ops\"; the modules are well-architected, security-ops, finops-foundations"
        );
        let e = Program::from_toml(&DEMO_PROGRAM.replacen("min_nps = 20", "min_nps = 120", 1))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "program: tier \"gold\" [tiers.scorecard]: min_nps = 120 is out of range: -100 to 100"
        );
        let e = Program::from_toml(&DEMO_PROGRAM.replacen("max_rework = 8", "max_rework = -1", 1))
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("[tiers.renewal.scorecard]: max_rework = -1"),
            "{e}"
        );
        let e =
            Program::from_toml(&DEMO_PROGRAM.replacen("notice_days = 30", "notice_days = 400", 1))
                .unwrap_err();
        assert!(
            e.to_string().contains("notice_days must be at most 365"),
            "{e}"
        );
        let e = Program::from_toml(&DEMO_PROGRAM.replacen(
            "suspension = true",
            "suspension = false",
            1,
        ))
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("suspend = true needs suspension = true"),
            "{e}"
        );
    }

    #[test]
    fn bad_programs_are_refused() {
        let forever = DEMO_PROGRAM.replacen("validity_days = ", "validity_days = 1000", 1);
        assert!(Program::from_toml(&forever)
            .unwrap_err()
            .to_string()
            .contains("validity_days must be 1 to 36500"));
        let bad = DEMO_PROGRAM.replacen(
            "required_competencies = [\"",
            "required_competencies = [\"NOPE\", \"",
            1,
        );
        assert!(Program::from_toml(&bad)
            .unwrap_err()
            .to_string()
            .contains("NOPE"));
        assert!(Program::from_toml("name = 1").is_err());
    }

    #[test]
    fn demo_specializations_are_valid_and_checked_like_tiers() {
        let p = Program::from_toml(DEMO_PROGRAM).unwrap();
        let s = p.specialization("data-migration").unwrap();
        assert_eq!(s.name, "Data Migration Specialist");
        assert_eq!(s.min_tier.as_deref(), Some("silver"));
        assert!(s.open_to("delivery") && !s.open_to("sales"));
        let tier = s.as_tier();
        assert_eq!((tier.validity_days, tier.grace_days), (730, 60));
        assert_eq!(
            p.achievement(None, Some("data-migration")).unwrap().name,
            "Data Migration Specialist"
        );
        assert_eq!(
            p.achievement(Some("gold"), None).unwrap().name,
            "Gold Partner"
        );
        assert!(p.achievement(Some("gold"), Some("nope")).is_none());
        // Its requirements, and its renewal's, are checked like a tier's.
        let codes = ["DATA-MIG".to_owned()];
        let claim = Claim {
            tier: "",
            role: "solutions",
            competencies: &codes,
            exam_score: Some(72),
            demo_level: Some("Proficient"),
            validated_references: 1,
        };
        let full: Vec<_> = p
            .shortfalls_for(&claim, &tier)
            .into_iter()
            .map(|s| s.requirement)
            .collect();
        assert_eq!(full, ["required_competency", "exam_score", "references"]);
        let renewal: Vec<_> = p
            .shortfalls_for(&claim, &tier.for_renewal())
            .into_iter()
            .map(|s| s.requirement)
            .collect();
        assert_eq!(renewal, ["required_competency"]);
    }

    #[test]
    fn bad_specializations_are_refused() {
        let refused = |from: &str, to: &str| {
            assert!(DEMO_PROGRAM.contains(from), "{from}");
            let text = DEMO_PROGRAM.replacen(from, to, 1);
            Program::from_toml(&text).unwrap_err().to_string()
        };
        assert_eq!(
            refused("id = \"data-migration\"", "id = \"gold\""),
            "program: \"gold\" is defined twice"
        );
        assert_eq!(
            refused("id = \"security-compliance\"", "id = \"data-migration\""),
            "program: \"data-migration\" is defined twice"
        );
        assert_eq!(
            refused("min_tier = \"silver\"", "min_tier = \"bronze\""),
            "program: specialization \"data-migration\" requires unknown tier \"bronze\""
        );
        assert_eq!(
            refused(
                "roles = [\"solutions\", \"delivery\"]",
                "roles = [\"solutions\", \"marketing\"]"
            ),
            "program: specialization \"data-migration\" names unknown role \"marketing\""
        );
        assert_eq!(
            refused(
                "required_competencies = [\"DATA-MIG\", \"CLOUD-ARCH\"]\nmin_exam_score = 75",
                "required_competencies = [\"DATA-MIG\", \"QUANTUM\"]\nmin_exam_score = 75"
            ),
            "program: tier \"data-migration\" requires unknown competency \"QUANTUM\""
        );
        assert_eq!(
            refused("min_exam_score = 75", "min_exam_score = 175"),
            "program: tier \"data-migration\": min_exam_score above 100"
        );
        assert_eq!(
            refused("validity_days = 730", "validity_days = 0"),
            "program: tier \"data-migration\": validity_days must be 1 to 36500 (a hundred years)"
        );
        assert_eq!(
            refused("grace_days = 60", "grace_days = 3651"),
            "program: tier \"data-migration\": grace_days must be at most 3650 (ten years)"
        );
        // The renewal's requirements too, and a demo level of the rubric.
        assert!(refused(
            "min_exam_score = 70\nrequired_references = 1\nafter_grace = \"full\"",
            "min_exam_score = 70\nmin_demo_level = \"Wizard\"\nafter_grace = \"full\""
        )
        .contains("data-migration.renewal\" requires unknown demo level \"Wizard\""));
    }
}
