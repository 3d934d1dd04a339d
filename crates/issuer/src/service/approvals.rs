//! Approvals: a partner's assessment record checked against its tier's requirements
//! ([`crate::program::Program::shortfalls`]), recorded, and its Open Badges 3.0 badge issued,
//! in one transaction.

use hallmark_core::badge::{self, PartnerBadge};
use hallmark_core::datetime;
use hallmark_store::{Approval, Expected, Partner, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

use super::issuance::Replace;
use super::text::{approved_at, check_text, MAX_DESCRIPTION, MAX_NAME};
use super::{
    now, uuid_v4, ApprovedAtError, IssueError, Issued, Issuer, RandomnessError, TextError,
};
use crate::program::{AfterGrace, Claim, Program, Shortfall, Tier};

/// How many times an approval is decided again when the partner's badges change under it.
const DECISIONS: usize = 4;

/// The most references one approval may list.
pub const MAX_REFERENCES: usize = 100;

/// A customer reference in an approval's record.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// Its name: one line of plain text, at most 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// What was done: plain text, at most 2,000 characters.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: String,
    /// Its kind (OB 3.0 `Evidence.genre`); default "Customer reference".
    #[serde(default = "default_genre")]
    pub genre: String,
    /// Checked with the customer.
    #[serde(default)]
    pub validated: bool,
    /// May appear in the badge (as evidence, when validated too).
    #[serde(default)]
    pub public: bool,
}

fn default_genre() -> String {
    "Customer reference".into()
}

/// An approval to record: what a partner achieved, for a tier and role.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApproval {
    /// The partner's id.
    pub partner_id: String,
    /// The tier's slug; omitted (or empty) for a specialization's approval.
    #[serde(default)]
    #[schema(example = "registered")]
    pub tier: String,
    /// The specialization's slug (`[[specializations]]` of the program): the approval is for
    /// that specialization's own badge, issued beside the partner's tier badge for the role
    /// and renewed, superseded and lapsed apart from it; `tier` is then omitted.
    #[serde(default)]
    #[schema(example = "data-migration")]
    pub specialization: Option<String>,
    /// The role's slug.
    #[schema(example = "sales")]
    pub role: String,
    /// Competency codes.
    #[serde(default)]
    #[schema(example = json!(["CLOUD-FUND"]))]
    pub competencies: Vec<String>,
    /// The exam score, percent (0–100).
    #[schema(maximum = 100)]
    pub exam_score: Option<u8>,
    /// The demo level reached, one of the program's rubric.
    pub demo_level: Option<String>,
    /// Customer references, at most [`MAX_REFERENCES`].
    #[serde(default)]
    #[schema(max_items = 100)]
    pub references: Vec<Reference>,
    /// Who approved: one line of plain text, at most 200 characters.
    #[schema(min_length = 1, max_length = 200, example = "Dana Reyes")]
    pub approver: String,
    /// When the approval was decided, the badge's `validFrom`: an RFC 3339 date-time with a
    /// time zone (XML Schema `dateTimeStamp`), from 2000-01-01T00:00:00Z to a day ahead of
    /// the issuer's clock; default now.
    #[schema(format = DateTime)]
    pub approved_at: Option<String>,
    /// Whether this renews the partner's badge of the same tier and role: absent, decided
    /// from the partner's badges ([`ApprovalKind`]); `true`, refused unless it is a renewal;
    /// `false`, a new certification at the full bar even when a renewal is possible.
    #[serde(default)]
    pub renewal: Option<bool>,
}

/// What an approval is to the partner's newest badge for the role (not revoked), and so
/// which requirements apply. Every kind but a first certification supersedes that badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ApprovalKind {
    /// No badge for the role, a new certification asked for (`"renewal": false`), or the
    /// same tier after the grace period where the program asks the full bar again.
    Certification,
    /// The same tier before the grace period ends: the tier's renewal requirements.
    Renewal,
    /// A higher-ranked tier: its full requirements.
    Upgrade,
    /// A lower-ranked tier: its full requirements.
    Downgrade,
    /// The same badge issued again with the current key ([`Issuer::reissue`]).
    Reissue,
}

impl ApprovalKind {
    /// `certification`, `renewal`, `upgrade`, `downgrade`, `reissue`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Certification => "certification",
            Self::Renewal => "renewal",
            Self::Upgrade => "upgrade",
            Self::Downgrade => "downgrade",
            Self::Reissue => "reissue",
        }
    }
}

/// An approval recorded and its badge issued.
#[derive(Debug, Clone)]
pub struct Approved {
    /// The approval stored.
    pub approval: Approval,
    /// What it was to the partner's previous badge for the role.
    pub kind: ApprovalKind,
    /// Its badge; `credential.superseded` are the badges it replaced.
    pub credential: Issued,
}

/// Why an approval was refused or its badge not issued.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApprovalError {
    /// No partner with that id.
    #[error("no partner {partner_id}; create it with POST /api/v1/partners")]
    UnknownPartner {
        /// The id given.
        partner_id: String,
    },
    /// The approver is blank.
    #[error("approver must name who approved")]
    NoApprover,
    /// A text field was refused.
    #[error(transparent)]
    Text(#[from] TextError),
    /// More than [`MAX_REFERENCES`] references.
    #[error("references: {given} given; at most {MAX_REFERENCES} are allowed")]
    TooManyReferences {
        /// How many were given.
        given: usize,
    },
    /// `approved_at` was refused.
    #[error(transparent)]
    ApprovedAt(#[from] ApprovedAtError),
    /// The approval misses its tier's requirements; the first shortfall is the message.
    #[error("{}", shortfalls.first().map_or("", |s| s.detail.as_str()))]
    RequirementsNotMet {
        /// Every unmet requirement, at least one.
        shortfalls: Vec<Shortfall>,
    },
    /// `"renewal": true`, but the partner has no badge of that tier for the role.
    #[error("nothing to renew: the partner has no {tier} badge for the role {role}{}", current.as_ref().map_or(String::new(), |c| format!(" (its badge for the role is {c})")))]
    NothingToRenew {
        /// The tier asked for.
        tier: String,
        /// The role.
        role: String,
        /// The tier of the partner's badge for the role, if it has one.
        current: Option<String>,
    },
    /// The same tier after the grace period, and the program does not renew then.
    #[error("{tier}'s grace period ended on {}; this program does not renew after it: certify anew with \"renewal\": false (the full requirements)", datetime::format(*ended))]
    GraceEnded {
        /// The tier's name.
        tier: String,
        /// When the grace period ended.
        ended: OffsetDateTime,
    },
    /// The partner's badge for the role is suspended: a new one would lift the suspension.
    #[error("the partner's badge {badge} for this role is suspended: reinstate or revoke it before approving again")]
    Suspended {
        /// The suspended badge.
        badge: String,
    },
    /// The badge would be expired when issued (`approved_at` too far back), and would
    /// replace the partner's badge for the role.
    #[error("a badge approved then would have expired on {}: it cannot replace the partner's badge for the role (approve it with a recent approved_at)", datetime::format(*valid_until))]
    ExpiredOnArrival {
        /// The `validUntil` it would have.
        valid_until: OffsetDateTime,
    },
    /// The partner's badges kept changing while the approval was decided.
    #[error("the badges of partner {partner_id} kept changing while this approval was recorded; send it again")]
    Contended {
        /// The partner.
        partner_id: String,
    },
    /// The tier is not the program's (the requirements check names it first).
    #[error("unknown tier")]
    UnknownTier {
        /// The slug given.
        tier: String,
    },
    /// `approved_at` plus the tier's validity passes the year 9999.
    #[error("approved_at {} plus {tier}'s validity of {validity_days} days is beyond the year 9999", datetime::format(*approved_at))]
    ValidityOverflow {
        /// When the approval was decided.
        approved_at: OffsetDateTime,
        /// The tier's name.
        tier: String,
        /// Its validity, in days.
        validity_days: u32,
    },
    /// No randomness for the approval's id.
    #[error(transparent)]
    Randomness(#[from] RandomnessError),
    /// The badge could not be issued.
    #[error(transparent)]
    Issue(#[from] IssueError),
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl NewApproval {
    /// Checks the record's text fields and size.
    pub(crate) fn check(&self) -> Result<(), ApprovalError> {
        if self.approver.trim().is_empty() {
            return Err(ApprovalError::NoApprover);
        }
        check_text("approver", &self.approver, MAX_NAME, true)?;
        if self.references.len() > MAX_REFERENCES {
            return Err(ApprovalError::TooManyReferences {
                given: self.references.len(),
            });
        }
        for (i, r) in self.references.iter().enumerate() {
            check_text(&format!("references[{i}].name"), &r.name, MAX_NAME, true)?;
            let description = format!("references[{i}].description");
            check_text(&description, &r.description, MAX_DESCRIPTION, false)?;
            check_text(&format!("references[{i}].genre"), &r.genre, MAX_NAME, true)?;
        }
        Ok(())
    }

    /// What the approval claims, for [`Program::shortfalls`].
    pub(crate) fn claim(&self) -> Claim<'_> {
        Claim {
            tier: &self.tier,
            role: &self.role,
            competencies: &self.competencies,
            exam_score: self.exam_score,
            demo_level: self.demo_level.as_deref(),
            validated_references: self.references.iter().filter(|r| r.validated).count(),
        }
    }
}

impl Issuer {
    /// Records an approval by `actor` and issues its badge, in one transaction: the partner
    /// must exist, the text fields be plain, and the claim meet its tier's requirements; the
    /// badge is valid from `approved_at` for the tier's validity. With `specialization`, the
    /// specialization's requirements, roles and `min_tier` instead
    /// (an active tier badge of at least that rank for the role), and its badge replaces only the partner's
    /// badge of that specialization for the role.
    ///
    /// # Errors
    /// [`ApprovalError`], one variant per reason; nothing is written.
    pub async fn approve(&self, actor: &str, new: &NewApproval) -> Result<Approved, ApprovalError> {
        let unknown = || ApprovalError::UnknownPartner {
            partner_id: new.partner_id.escape_default().to_string(),
        };
        // No partner id has a NUL (PostgreSQL refuses one in text): not sent to the database.
        if new.partner_id.contains('\0') {
            return Err(unknown());
        }
        let partner = self
            .store()
            .partner(&new.partner_id)
            .await?
            .ok_or_else(unknown)?;
        let (tier, approved_at, valid_until) = match &new.specialization {
            Some(_) => self.checked_specialization(new)?,
            None => {
                let (tier, approved_at, valid_until) = self.checked(new)?;
                (tier.clone(), approved_at, valid_until)
            }
        };
        let tier = &tier;
        let special = new.specialization.as_deref();
        let program = self.program();
        // Decided on the partner's newest badge for the role; if another approval, re-issue
        // or revocation changes it before this one commits, nothing is written and it is
        // decided again on what is there now.
        for _ in 0..DECISIONS {
            let latest = self
                .store()
                .latest_badge_of(&partner.id, &new.role, special);
            let latest = latest.await?;
            // A badge suspended by an "at risk" flag may be replaced (issue 15: a renewal
            // with a passing scorecard lifts it); any other suspension is the agency's.
            let mut replaces_suspended = false;
            if let Some(l) = latest.as_ref().filter(|l| l.suspended) {
                replaces_suspended = true;
                if !self.suspended_for_risk(&l.id).await? {
                    return Err(ApprovalError::Suspended {
                        badge: l.id.clone(),
                    });
                }
            }
            if latest.is_some() && valid_until <= now() {
                return Err(ApprovalError::ExpiredOnArrival { valid_until });
            }
            let (kind, bar) = classify(program, tier, latest.as_ref(), new.renewal, now())?;
            let mut shortfalls = program.shortfalls_for(&new.claim(), &bar);
            if let Some(special) = special.and_then(|s| program.specialization(s)) {
                shortfalls.extend(
                    self.specialization_shortfalls(special, &partner.id, &new.role)
                        .await?,
                );
            }
            if shortfalls.is_empty() {
                let renewal = kind == ApprovalKind::Renewal;
                let flagged = match &latest {
                    Some(l) => self.store().open_risk(&l.id).await?.is_some(),
                    None => false,
                };
                shortfalls = self
                    .monitoring_shortfalls(
                        &partner.id,
                        tier,
                        renewal,
                        flagged || replaces_suspended,
                    )
                    .await?;
            }
            if !shortfalls.is_empty() {
                return Err(ApprovalError::RequirementsNotMet { shortfalls });
            }
            let mut record = json!({
                "competencies": new.competencies, "exam_score": new.exam_score, "demo_level": new.demo_level,
                "references": new.references, "approver": new.approver, "kind": kind.as_str(),
                "previous": latest.as_ref().map(|l| &l.id),
            });
            // A specialization's approval names it (its `tier` is the specialization's slug).
            if let Some(special) = special {
                record["specialization"] = json!(special);
            }
            let approval = Approval {
                id: uuid_v4()?,
                partner_id: partner.id.clone(),
                tier: tier.id.clone(),
                role: new.role.clone(),
                record,
                approved_at: approved_at.unix_timestamp(),
                created_at: now().unix_timestamp(),
            };
            let badge = BadgeFacts {
                new,
                partner: &partner,
                tier,
                valid_from: approved_at,
                valid_until,
            };
            let replace = Replace {
                kind: kind.as_str(),
                expected: latest.as_ref().map(|l| Expected {
                    id: &l.id,
                    suspended: l.suspended,
                }),
                suspended: false,
                message: 0,
            };
            let issued = self.issue_badge(actor, &approval, &badge, &replace).await;
            match issued {
                Ok(credential) => {
                    // The badge it replaced is no longer watched: its flag is cleared.
                    // (After the commit: should this fail, the next monitoring run clears
                    // it, the old badge being revoked; the approval stands.)
                    for old in &credential.superseded {
                        let by = format!("renewal:{}", credential.row.id);
                        let at = now().unix_timestamp();
                        if let Err(e) = self.clear_flag(&old.id, at, &by).await {
                            tracing::warn!("clearing the at-risk flag of {}: {e}", old.id);
                        }
                    }
                    return Ok(Approved {
                        approval,
                        kind,
                        credential,
                    });
                }
                Err(IssueError::Store(StoreError::Changed { .. })) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ApprovalError::Contended {
            partner_id: partner.id.clone(),
        })
    }

    /// Checks an approval's text fields, `approved_at` and tier: the tier, and the badge's
    /// `validFrom` and `validUntil`.
    ///
    /// # Errors
    /// [`ApprovalError`]: a refused field, an unknown tier (or the shortfalls of the claim
    /// when it names none of the program's), or a validity beyond the year 9999.
    pub(crate) fn checked(
        &self,
        new: &NewApproval,
    ) -> Result<(&Tier, OffsetDateTime, OffsetDateTime), ApprovalError> {
        new.check()?;
        let approved_at = approved_at(new.approved_at.as_deref())?;
        let program = self.program();
        if new.tier.is_empty() {
            let ids = |ids: Vec<&str>| ids.join(", ");
            return Err(ApprovalError::RequirementsNotMet {
                shortfalls: vec![Shortfall {
                    requirement: "tier",
                    detail: format!(
                        "an approval names a tier ({}) or a specialization ({})",
                        ids(program.tiers.iter().map(|t| t.id.as_str()).collect()),
                        ids(program
                            .specializations
                            .iter()
                            .map(|s| s.id.as_str())
                            .collect()),
                    ),
                }],
            });
        }
        let Some(tier) = program.tier(&new.tier) else {
            let shortfalls = program.shortfalls(&new.claim());
            return Err(match shortfalls.is_empty() {
                true => ApprovalError::UnknownTier {
                    tier: new.tier.clone(),
                },
                false => ApprovalError::RequirementsNotMet { shortfalls },
            });
        };
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

    /// Issues the badge of `approval` from `facts`, with the badge's status entries,
    /// replacing what `replace` says ([`Issuer::issue`]).
    pub(crate) async fn issue_badge(
        &self,
        actor: &str,
        approval: &Approval,
        facts: &BadgeFacts<'_>,
        replace: &Replace<'_>,
    ) -> Result<Issued, IssueError> {
        let wanted = self.badge_statuses();
        self.issue(
            actor,
            Some(approval),
            &wanted,
            self.config().cryptosuite,
            Some(replace),
            |uuid, status| Ok(self.badge(facts, uuid, status).build()?.into_map()),
        )
        .await
    }

    /// The badge of an approval (Open Badges 3.0), with status entries `status`.
    pub(crate) fn badge(
        &self,
        facts: &BadgeFacts<'_>,
        uuid: &str,
        status: Vec<Value>,
    ) -> PartnerBadge {
        let (new, tier, program) = (facts.new, facts.tier, self.program());
        let config = self.config();
        PartnerBadge {
            base_url: config.base_url.clone(),
            credential_uuid: uuid.to_owned(),
            issuer: badge::Issuer {
                id: self.keys().issuer().to_owned(),
                name: config.issuer_name.clone(),
                url: config.issuer_url.clone(),
            },
            partner: badge::Partner {
                id: facts.partner.url.clone(),
                name: facts.partner.name.clone(),
            },
            role: new.role.clone(),
            tier: badge::Tier {
                slug: tier.id.clone(),
                name: tier.name.clone(),
                description: tier.description.clone(),
                criteria: tier.criteria(program),
                specialization: new.specialization.is_some(),
            },
            competencies: competencies(program, &new.competencies),
            exam: tier
                .min_exam_score
                .zip(new.exam_score)
                .map(|(required, score)| badge::Exam { score, required }),
            demo: tier.min_demo_level.clone().zip(new.demo_level.clone()).map(
                |(required, achieved)| badge::Demo {
                    levels: program.rubric.clone(),
                    required,
                    achieved,
                },
            ),
            evidence: new
                .references
                .iter()
                .filter(|r| r.public && r.validated)
                .map(|r| badge::Evidence {
                    name: r.name.clone(),
                    description: r.description.clone(),
                    genre: r.genre.clone(),
                })
                .collect(),
            valid_from: facts.valid_from,
            valid_until: facts.valid_until,
            credential_status: status,
        }
    }
}

/// What an approval of `tier` is to the partner's newest badge for the role that is not
/// revoked (`latest`), at `at`, and the requirements it must meet: the tier's, or its
/// renewal's ([`crate::program::Tier::for_renewal`]).
///
/// # Errors
/// [`ApprovalError::NothingToRenew`] when `renewal` is `Some(true)` and there is no badge of
/// that tier; [`ApprovalError::GraceEnded`] for the same tier after the grace period when
/// the program refuses renewals then.
pub(crate) fn classify(
    program: &Program,
    tier: &Tier,
    latest: Option<&hallmark_store::CredentialRow>,
    renewal: Option<bool>,
    at: OffsetDateTime,
) -> Result<(ApprovalKind, Tier), ApprovalError> {
    let nothing = |current: Option<String>| ApprovalError::NothingToRenew {
        tier: tier.id.clone(),
        role: latest.and_then(|l| l.role.clone()).unwrap_or_default(),
        current,
    };
    let Some(latest) = latest else {
        return match renewal {
            Some(true) => Err(nothing(None)),
            _ => Ok((ApprovalKind::Certification, tier.clone())),
        };
    };
    // A specialization badge is compared by its specialization (its own slug).
    let latest_tier = latest
        .specialization
        .as_deref()
        .or(latest.tier.as_deref())
        .unwrap_or_default();
    if latest_tier != tier.id {
        if renewal == Some(true) {
            return Err(nothing(Some(latest_tier.to_owned())));
        }
        let before = program.tier(latest_tier).map_or(0, |t| t.rank);
        let kind = if tier.rank < before {
            ApprovalKind::Downgrade
        } else {
            ApprovalKind::Upgrade
        };
        return Ok((kind, tier.clone()));
    }
    if renewal == Some(false) {
        return Ok((ApprovalKind::Certification, tier.clone()));
    }
    let lapsed =
        latest.message.is_some() && latest.message_status == super::PublicMessage::Lapsed.value();
    let grace_ends = latest.valid_until.and_then(|until| {
        OffsetDateTime::from_unix_timestamp(until)
            .ok()?
            .checked_add(Duration::days(i64::from(tier.grace_days)))
    });
    match grace_ends {
        Some(ends) if lapsed || at > ends => {
            match tier
                .renewal
                .as_ref()
                .map(|r| r.after_grace)
                .unwrap_or_default()
            {
                AfterGrace::Full => Ok((ApprovalKind::Certification, tier.clone())),
                AfterGrace::Refuse => Err(ApprovalError::GraceEnded {
                    tier: tier.name.clone(),
                    ended: ends,
                }),
            }
        }
        _ => Ok((ApprovalKind::Renewal, tier.for_renewal())),
    }
}

/// What a badge is made of, besides its uuid and status entries.
pub(crate) struct BadgeFacts<'a> {
    pub(crate) new: &'a NewApproval,
    pub(crate) partner: &'a Partner,
    pub(crate) tier: &'a Tier,
    pub(crate) valid_from: OffsetDateTime,
    pub(crate) valid_until: OffsetDateTime,
}

/// The program's competencies among `codes`, as the badge names them.
fn competencies(program: &Program, codes: &[String]) -> Vec<badge::Competency> {
    codes
        .iter()
        .filter_map(|code| program.competency(code))
        .map(|c| badge::Competency {
            code: c.code.clone(),
            name: c.name.clone(),
            url: None,
            framework: Some(
                c.framework
                    .clone()
                    .unwrap_or_else(|| program.framework.clone()),
            ),
        })
        .collect()
}
