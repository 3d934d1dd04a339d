//! The partner badge (docs/design.md §2): an Open Badges 3.0 `OpenBadgeCredential` naming the
//! partner, its tier (the `Achievement`, with its image `{base}/program/tiers/{slug}/image.png`), its role, its competencies (`alignment`), its
//! assessment results, public evidence and a validity period.
//!
//! [`PartnerBadge::build`] refuses a badge that lacks what OB 3.0 requires (OB 3.0 §B.1.1
//! AchievementCredential, §B.1.2 AchievementSubject, §B.1.3 Achievement, §B.2.x Profile).

use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use crate::credential::{UnsignedCredential, CREDENTIALS_V2};
use crate::datetime;
use crate::did::{is_absolute_url, Did};

/// The Open Badges 3.0 context Hallmark pins (docs/design.md §2).
pub const OB_CONTEXT: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";

/// Why a badge could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BadgeError {
    /// A required text is empty.
    #[error("{0} is required and must not be empty")]
    Missing(&'static str),
    /// A value that must be an absolute URL (or a DID) is not.
    #[error("{field} must be an absolute URL or DID, got {value:?}")]
    NotAUrl {
        /// Which field.
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// `validUntil` is not after `validFrom`.
    #[error("validUntil ({until}) must be after validFrom ({from})")]
    EmptyValidity {
        /// validFrom.
        from: String,
        /// validUntil.
        until: String,
    },
    /// An exam score or requirement above 100 percent.
    #[error("{0} must be a percentage from 0 to 100")]
    NotAPercentage(&'static str),
    /// A demo level that is not one of the rubric's levels.
    #[error("demo level {level:?} is not one of the rubric levels {levels:?}")]
    UnknownLevel {
        /// The level given.
        level: String,
        /// The rubric's levels.
        levels: Vec<String>,
    },
    /// A tier or competency slug with characters that do not belong in a URL path.
    #[error("{field} {value:?} must be lowercase letters, digits and hyphens")]
    BadSlug {
        /// Which field.
        field: &'static str,
        /// The value given.
        value: String,
    },
}

/// The issuing agency, as an OB 3.0 `Profile`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    /// Its DID (`did:web:…` in production, `did:key:…` for demos).
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Its website.
    pub url: Option<String>,
}

/// The certified partner (the credential subject).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partner {
    /// Its URL or DID.
    pub id: String,
    /// Its display name (carried as an unhashed `identifier` of type `name`).
    pub name: String,
}

/// A tier of the partner program (the `Achievement`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    /// URL slug, e.g. `gold`.
    pub slug: String,
    /// Display name, e.g. `Gold Partner`.
    pub name: String,
    /// What the tier means.
    pub description: String,
    /// The requirements, as `criteria.narrative`.
    pub criteria: String,
    /// An advanced specialization rather than a tier: its achievement is
    /// `{base}/program/specializations/{slug}` (a tier's is `{base}/program/tiers/{slug}`).
    pub specialization: bool,
}

/// A competency, as an OB 3.0 `Alignment` with `targetType` `ceasn:Competency`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Competency {
    /// Short code, e.g. `CLOUD-ARCH` (`targetCode`).
    pub code: String,
    /// Name (`targetName`).
    pub name: String,
    /// Where it is described (`targetUrl`); defaults to `{base}/program/competencies/{code}`.
    pub url: Option<String>,
    /// The framework it belongs to (`targetFramework`).
    pub framework: Option<String>,
}

/// The written exam: a percentage score against a required minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exam {
    /// The partner's score, percent.
    pub score: u8,
    /// The tier's minimum, percent.
    pub required: u8,
}

/// The live demo, graded on a rubric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Demo {
    /// The rubric's levels, lowest first.
    pub levels: Vec<String>,
    /// The tier's minimum level.
    pub required: String,
    /// The level the partner reached.
    pub achieved: String,
}

/// Public evidence: a validated reference or an audited artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Kind, e.g. `Customer reference`.
    pub genre: String,
}

/// Everything a partner badge says. [`PartnerBadge::build`] turns it into a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerBadge {
    /// The issuer's public base URL, e.g. `https://agency.example` (no trailing slash).
    pub base_url: String,
    /// The credential's UUID; its id is `{base}/credentials/{uuid}`.
    pub credential_uuid: String,
    /// The issuing agency.
    pub issuer: Issuer,
    /// The partner.
    pub partner: Partner,
    /// The certified role: `sales`, `solutions`, `delivery`, ….
    pub role: String,
    /// The tier.
    pub tier: Tier,
    /// The competencies.
    pub competencies: Vec<Competency>,
    /// The exam result, if the tier has one.
    pub exam: Option<Exam>,
    /// The demo result, if the tier has one.
    pub demo: Option<Demo>,
    /// Public evidence.
    pub evidence: Vec<Evidence>,
    /// The approval date.
    pub valid_from: OffsetDateTime,
    /// The expiry.
    pub valid_until: OffsetDateTime,
    /// `credentialStatus` entries, as JSON objects (one is written as an object, more as an
    /// array).
    pub credential_status: Vec<Value>,
}

impl PartnerBadge {
    /// Builds the unsigned `OpenBadgeCredential`.
    ///
    /// # Errors
    /// [`BadgeError`] naming the first missing or malformed field.
    pub fn build(&self) -> Result<UnsignedCredential, BadgeError> {
        let base = self.base_url.trim_end_matches('/');
        require_url("base URL", base)?;
        require("credential UUID", &self.credential_uuid)?;
        require_url("issuer id", &self.issuer.id)?;
        require("issuer name", &self.issuer.name)?;
        if let Some(url) = &self.issuer.url {
            require_url("issuer url", url)?;
        }
        require_url("partner id", &self.partner.id)?;
        require("partner name", &self.partner.name)?;
        require("role", &self.role)?;
        slug("tier", &self.tier.slug)?;
        require("tier name", &self.tier.name)?;
        require("tier description", &self.tier.description)?;
        require("tier criteria", &self.tier.criteria)?;
        if self.valid_until <= self.valid_from {
            return Err(BadgeError::EmptyValidity {
                from: datetime::format(self.valid_from),
                until: datetime::format(self.valid_until),
            });
        }
        let collection = match self.tier.specialization {
            true => "specializations",
            false => "tiers",
        };
        let tier_url = format!("{base}/program/{collection}/{}", self.tier.slug);

        let mut alignment = Vec::with_capacity(self.competencies.len());
        for c in &self.competencies {
            slug("competency code", &c.code.to_ascii_lowercase())?;
            require("competency name", &c.name)?;
            let url = c.url.clone().unwrap_or_else(|| {
                format!(
                    "{base}/program/competencies/{}",
                    c.code.to_ascii_lowercase()
                )
            });
            require_url("competency url", &url)?;
            let mut a = json!({
                "type": ["Alignment"],
                "targetName": c.name,
                "targetUrl": url,
                "targetCode": c.code,
                "targetType": "ceasn:Competency",
            });
            if let Some(f) = &c.framework {
                a["targetFramework"] = f.as_str().into();
            }
            alignment.push(a);
        }

        let mut result_description = Vec::new();
        let mut result = Vec::new();
        if let Some(exam) = self.exam {
            if exam.score > 100 {
                return Err(BadgeError::NotAPercentage("exam score"));
            }
            if exam.required > 100 {
                return Err(BadgeError::NotAPercentage("exam minimum"));
            }
            let id = format!("{tier_url}/results/exam");
            result_description.push(json!({
                "id": id,
                "type": ["ResultDescription"],
                "name": "Certification exam",
                "resultType": "Percent",
                "requiredValue": exam.required.to_string(),
            }));
            result.push(json!({
                "type": ["Result"],
                "resultDescription": id,
                "value": exam.score.to_string(),
            }));
        }
        if let Some(demo) = &self.demo {
            for level in [&demo.required, &demo.achieved] {
                if !demo.levels.contains(level) {
                    return Err(BadgeError::UnknownLevel {
                        level: level.clone(),
                        levels: demo.levels.clone(),
                    });
                }
            }
            let id = format!("{tier_url}/results/demo");
            let level_id = |name: &str| format!("{id}/levels/{}", url_slug(name));
            let levels: Vec<Value> = demo
                .levels
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    json!({
                        "id": level_id(name),
                        "type": ["RubricCriterionLevel"],
                        "name": name,
                        "level": (i + 1).to_string(),
                    })
                })
                .collect();
            result_description.push(json!({
                "id": id,
                "type": ["ResultDescription"],
                "name": "Live demo",
                "resultType": "RubricCriterionLevel",
                "rubricCriterionLevel": levels,
                "requiredLevel": level_id(&demo.required),
            }));
            result.push(json!({
                "type": ["Result"],
                "resultDescription": id,
                "achievedLevel": level_id(&demo.achieved),
            }));
        }

        let mut achievement = Map::new();
        achievement.insert("id".into(), tier_url.clone().into());
        achievement.insert("type".into(), json!(["Achievement"]));
        achievement.insert("achievementType".into(), "Certification".into());
        achievement.insert("name".into(), self.tier.name.clone().into());
        achievement.insert("description".into(), self.tier.description.clone().into());
        achievement.insert(
            "criteria".into(),
            json!({ "narrative": self.tier.criteria }),
        );
        // The tier's badge image, so wallets show it (OB 3.0 §B.1.3 Achievement.image, an
        // `Image`; the issuer serves it).
        achievement.insert(
            "image".into(),
            json!({
                "id": format!("{tier_url}/image.png"),
                "type": "Image",
                "caption": self.tier.name,
            }),
        );
        if !alignment.is_empty() {
            achievement.insert("alignment".into(), alignment.into());
        }
        if !result_description.is_empty() {
            achievement.insert("resultDescription".into(), result_description.into());
        }

        let mut subject = Map::new();
        subject.insert("id".into(), self.partner.id.clone().into());
        subject.insert("type".into(), json!(["AchievementSubject"]));
        subject.insert(
            "identifier".into(),
            json!([{
                "type": "IdentityObject",
                "identityHash": self.partner.name,
                "identityType": "name",
                "hashed": false,
            }]),
        );
        subject.insert("role".into(), self.role.clone().into());
        subject.insert("achievement".into(), achievement.into());
        if !result.is_empty() {
            subject.insert("result".into(), result.into());
        }

        let mut issuer = Map::new();
        issuer.insert("id".into(), self.issuer.id.clone().into());
        issuer.insert("type".into(), json!(["Profile"]));
        issuer.insert("name".into(), self.issuer.name.clone().into());
        if let Some(url) = &self.issuer.url {
            issuer.insert("url".into(), url.clone().into());
        }

        let mut c = Map::new();
        c.insert("@context".into(), json!([CREDENTIALS_V2, OB_CONTEXT]));
        c.insert(
            "id".into(),
            format!("{base}/credentials/{}", self.credential_uuid).into(),
        );
        c.insert(
            "type".into(),
            json!(["VerifiableCredential", "OpenBadgeCredential"]),
        );
        c.insert(
            "name".into(),
            format!("{} — {}", self.tier.name, title_case(&self.role)).into(),
        );
        c.insert("issuer".into(), issuer.into());
        c.insert("validFrom".into(), datetime::format(self.valid_from).into());
        c.insert(
            "validUntil".into(),
            datetime::format(self.valid_until).into(),
        );
        c.insert("credentialSubject".into(), subject.into());
        if !self.evidence.is_empty() {
            let evidence: Vec<Value> = self
                .evidence
                .iter()
                .map(|e| {
                    json!({
                        "type": ["Evidence"],
                        "name": e.name,
                        "description": e.description,
                        "genre": e.genre,
                    })
                })
                .collect();
            c.insert("evidence".into(), evidence.into());
        }
        match self.credential_status.as_slice() {
            [] => {}
            [one] => {
                c.insert("credentialStatus".into(), one.clone());
            }
            many => {
                c.insert("credentialStatus".into(), many.to_vec().into());
            }
        }
        UnsignedCredential::try_from(Value::Object(c))
            .map_err(|_| BadgeError::Missing("a well-formed credential"))
    }
}

/// A realistic example badge from `issuer` (used by docs, tests, benchmarks and the demo):
/// Gold Partner, solutions role, three competencies, exam and demo results, one reference.
pub fn example(issuer: &Did) -> PartnerBadge {
    let competency = |code: &str, name: &str| Competency {
        code: code.into(),
        name: name.into(),
        url: None,
        framework: Some("Acme Competencies 2026".into()),
    };
    PartnerBadge {
        base_url: "https://acme.example".into(),
        credential_uuid: "3f2a7c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b".into(),
        issuer: Issuer {
            id: issuer.to_string(),
            name: "Acme Cloud Partner Program".into(),
            url: Some("https://acme.example".into()),
        },
        partner: Partner {
            id: "https://northwind.example".into(),
            name: "Northwind Consulting GmbH".into(),
        },
        role: "solutions".into(),
        tier: Tier {
            slug: "gold".into(),
            name: "Gold Partner".into(),
            description: "Designs and delivers complex Acme Cloud solutions for enterprise customers.".into(),
            criteria: "Exam score of at least 80%, Proficient or better in the live demo, three validated customer references.".into(),
            specialization: false,
        },
        competencies: vec![
            competency("CLOUD-ARCH", "Cloud solution architecture"),
            competency("DATA-MIG", "Data migration at scale"),
            competency("SEC-IAM", "Identity and access management"),
        ],
        exam: Some(Exam { score: 87, required: 80 }),
        demo: Some(Demo {
            levels: vec!["Developing".into(), "Proficient".into(), "Expert".into()],
            required: "Proficient".into(),
            achieved: "Expert".into(),
        }),
        evidence: vec![
            Evidence {
                name: "Contoso Retail — platform migration".into(),
                description: "Migrated 40 TB and 120 services to Acme Cloud with zero downtime; validated by the customer.".into(),
                genre: "Customer reference".into(),
            },
        ],
        valid_from: time::macros::datetime!(2026-01-15 00:00 UTC),
        valid_until: time::macros::datetime!(2027-01-15 00:00 UTC),
        credential_status: Vec::new(),
    }
}

fn require(field: &'static str, value: &str) -> Result<(), BadgeError> {
    if value.trim().is_empty() {
        Err(BadgeError::Missing(field))
    } else {
        Ok(())
    }
}

fn require_url(field: &'static str, value: &str) -> Result<(), BadgeError> {
    require(field, value)?;
    if is_absolute_url(value) {
        Ok(())
    } else {
        Err(BadgeError::NotAUrl {
            field,
            value: value.to_owned(),
        })
    }
}

fn slug(field: &'static str, value: &str) -> Result<(), BadgeError> {
    require(field, value)?;
    if value
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        Ok(())
    } else {
        Err(BadgeError::BadSlug {
            field,
            value: value.to_owned(),
        })
    }
}

fn url_slug(name: &str) -> String {
    name.trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn title_case(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SecretKey;

    fn issuer() -> Did {
        Did::key(&SecretKey::from_seed(&[3; 32]).public_key())
    }

    #[test]
    fn example_badge_has_the_design_shape() {
        let badge = example(&issuer()).build().unwrap();
        let c = badge.as_map();
        assert_eq!(
            c["type"],
            json!(["VerifiableCredential", "OpenBadgeCredential"])
        );
        assert_eq!(c["@context"][1], OB_CONTEXT);
        assert_eq!(c["name"], "Gold Partner — Solutions");
        assert_eq!(
            c["id"],
            "https://acme.example/credentials/3f2a7c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b"
        );
        let subject = &c["credentialSubject"];
        assert_eq!(
            subject["identifier"][0]["identityHash"],
            "Northwind Consulting GmbH"
        );
        assert_eq!(
            subject["achievement"]["id"],
            "https://acme.example/program/tiers/gold"
        );
        assert_eq!(
            subject["achievement"]["image"],
            json!({
                "id": "https://acme.example/program/tiers/gold/image.png",
                "type": "Image",
                "caption": "Gold Partner",
            })
        );
        assert_eq!(
            subject["achievement"]["alignment"][1]["targetCode"],
            "DATA-MIG"
        );
        assert_eq!(
            subject["achievement"]["alignment"][1]["targetType"],
            "ceasn:Competency"
        );
        assert_eq!(subject["result"][0]["value"], "87");
        assert_eq!(
            subject["result"][1]["achievedLevel"],
            "https://acme.example/program/tiers/gold/results/demo/levels/expert"
        );
        assert_eq!(c["validUntil"], "2027-01-15T00:00:00Z");
        // About 3 KB: the size the benchmarks are stated for.
        let size = serde_json::to_vec(c).unwrap().len();
        assert!((2800..3400).contains(&size), "{size}");
    }

    #[test]
    fn refuses_what_ob3_requires_missing() {
        let mut b = example(&issuer());
        b.tier.description = " ".into();
        assert_eq!(b.build(), Err(BadgeError::Missing("tier description")));
        let mut b = example(&issuer());
        b.partner.id = "northwind".into();
        assert!(matches!(
            b.build(),
            Err(BadgeError::NotAUrl {
                field: "partner id",
                ..
            })
        ));
        let mut b = example(&issuer());
        b.valid_until = b.valid_from;
        assert!(matches!(b.build(), Err(BadgeError::EmptyValidity { .. })));
        let mut b = example(&issuer());
        b.exam = Some(Exam {
            score: 101,
            required: 80,
        });
        assert_eq!(b.build(), Err(BadgeError::NotAPercentage("exam score")));
        let mut b = example(&issuer());
        b.demo.as_mut().unwrap().achieved = "Wizard".into();
        assert!(matches!(b.build(), Err(BadgeError::UnknownLevel { .. })));
        let mut b = example(&issuer());
        b.tier.slug = "Gold Tier".into();
        assert!(matches!(b.build(), Err(BadgeError::BadSlug { .. })));
    }
}
