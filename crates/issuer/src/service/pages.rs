//! The data of the program's public pages: the URLs signed into every badge (the tier
//! `{base}/program/tiers/{slug}`, each competency's `targetUrl`
//! `{base}/program/competencies/{code}`) and the program `{base}/program`, each as a page's
//! view and as JSON in Open Badges 3.0 shapes (an `Achievement` for a tier, a `Profile` of
//! the issuer with the program, a competency as its alignment target describes it).

use hallmark_web::program::{http_url, CompetencyView, Link, ProgramView, RoleView, TierView};
use serde_json::{json, Value};

use super::Issuer;
use crate::program::Tier;

/// What the program has no page for (404).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PageError {
    /// No tier with this slug.
    #[error("the program has no tier {0:?}")]
    Tier(String),
    /// No competency with this code.
    #[error("the program has no competency {0:?}")]
    Competency(String),
    /// No specialization with this slug.
    #[error("the program has no specialization {0:?}")]
    Specialization(String),
}

/// A page's view and its JSON.
#[derive(Debug, Clone)]
pub struct Described<V> {
    /// What the page shows.
    pub view: V,
    /// The same, for machines.
    pub json: Value,
}

fn competency_path(code: &str) -> String {
    format!("/program/competencies/{}", code.to_ascii_lowercase())
}

impl Issuer {
    fn tiers_by_rank(&self) -> Vec<&Tier> {
        let mut tiers: Vec<&Tier> = self.program().tiers.iter().collect();
        tiers.sort_by_key(|t| std::cmp::Reverse(t.rank));
        tiers
    }

    /// The program (`/program`): the issuer's `Profile` with the program's roles, tiers and
    /// competencies.
    pub fn program_page(&self) -> Described<ProgramView> {
        let (program, config) = (self.program(), self.config());
        let base = &config.base_url;
        let issuer_id = self.keys().issuer().to_owned();
        let view = ProgramView {
            name: program.name.clone(),
            framework: program.framework.clone(),
            issuer_name: config.issuer_name.clone(),
            issuer_id: issuer_id.clone(),
            issuer_url: config.issuer_url.as_deref().and_then(http_url),
            roles: program
                .roles
                .iter()
                .map(|r| RoleView {
                    name: r.name.clone(),
                    description: r.description.clone(),
                })
                .collect(),
            tiers: self
                .tiers_by_rank()
                .iter()
                .map(|t| Link {
                    name: t.name.clone(),
                    href: format!("/program/tiers/{}", t.id),
                })
                .collect(),
            competencies: program
                .competencies
                .iter()
                .map(|c| Link {
                    name: c.name.clone(),
                    href: competency_path(&c.code),
                })
                .collect(),
            specializations: program
                .specializations
                .iter()
                .map(|s| Link {
                    name: s.name.clone(),
                    href: format!("/program/specializations/{}", s.id),
                })
                .collect(),
        };
        let mut profile = json!({
            "id": issuer_id,
            "type": "Profile",
            "name": config.issuer_name,
            "program": {
                "id": format!("{base}/program"),
                "name": program.name,
                "framework": program.framework,
                "roles": program.roles.iter().map(|r| json!({"id": r.id, "name": r.name, "description": r.description})).collect::<Vec<_>>(),
                "tiers": self.tiers_by_rank().iter().map(|t| json!({"id": format!("{base}/program/tiers/{}", t.id), "name": t.name, "rank": t.rank})).collect::<Vec<_>>(),
                "competencies": program.competencies.iter().map(|c| json!({"id": format!("{base}{}", competency_path(&c.code)), "code": c.code, "name": c.name})).collect::<Vec<_>>(),
                "specializations": program.specializations.iter().map(|s| json!({"id": format!("{base}/program/specializations/{}", s.id), "name": s.name, "minTier": s.min_tier, "roles": s.roles})).collect::<Vec<_>>(),
            },
        });
        if let Some(url) = &config.issuer_url {
            profile["url"] = url.clone().into();
        }
        Described {
            view,
            json: profile,
        }
    }

    /// A tier (`/program/tiers/{slug}`): an OB 3.0 `Achievement` with the same `id`,
    /// `name`, `description`, `criteria`, `image` and `alignment` the badges carry, and the
    /// requirements in detail.
    ///
    /// # Errors
    /// [`PageError::Tier`] for a slug the program does not have.
    pub fn tier_page(&self, slug: &str) -> Result<Described<TierView>, PageError> {
        let tier = self
            .program()
            .tier(slug)
            .ok_or_else(|| PageError::Tier(slug.to_owned()))?;
        Ok(self.achievement_page(tier, "tiers"))
    }

    /// A specialization (`/program/specializations/{slug}`): as a tier's page
    /// ([`Issuer::tier_page`]), the `Achievement` its badges carry, with the roles it is open
    /// to (`roles`, empty: every role) and the tier a partner must hold (`minTier`) in the
    /// JSON.
    ///
    /// # Errors
    /// [`PageError::Specialization`] for a slug the program does not have.
    pub fn specialization_page(&self, slug: &str) -> Result<Described<TierView>, PageError> {
        let special = self
            .program()
            .specialization(slug)
            .ok_or_else(|| PageError::Specialization(slug.to_owned()))?;
        let program = self.program();
        let mut page = self.achievement_page(&special.as_tier(), "specializations");
        page.view.min_tier = special
            .min_tier
            .as_deref()
            .and_then(|t| program.tier(t))
            .map(|t| Link {
                name: t.name.clone(),
                href: format!("/program/tiers/{}", t.id),
            });
        page.view.open_to = special
            .roles
            .iter()
            .map(|r| {
                program
                    .role(r)
                    .map_or_else(|| r.clone(), |r| r.name.clone())
            })
            .collect();
        page.json["roles"] = json!(special.roles);
        page.json["minTier"] = json!(special.min_tier);
        if let Some(obj) = page.json.as_object_mut() {
            obj.remove("rank");
        }
        Ok(page)
    }

    /// The page of a tier or a specialization (`/program/{collection}/{slug}`).
    fn achievement_page(&self, tier: &Tier, collection: &str) -> Described<TierView> {
        let program = self.program();
        let base = &self.config().base_url;
        let id = format!("{base}/program/{collection}/{}", tier.id);
        let criteria = tier.criteria(program);
        let required: Vec<_> = tier
            .required_competencies
            .iter()
            .filter_map(|c| program.competency(c))
            .collect();
        let view = TierView {
            program: program.name.clone(),
            name: tier.name.clone(),
            description: tier.description.clone(),
            criteria: criteria.clone(),
            benefits: tier.benefits.clone(),
            competencies: required
                .iter()
                .map(|c| Link {
                    name: c.name.clone(),
                    href: competency_path(&c.code),
                })
                .collect(),
            min_exam_score: tier.min_exam_score,
            min_demo_level: tier.min_demo_level.clone(),
            required_references: tier.required_references,
            validity_days: tier.validity_days,
            grace_days: tier.grace_days,
            renewal: tier
                .renewal
                .is_some()
                .then(|| tier.for_renewal().criteria(program)),
            image: format!("/program/{collection}/{}/image.svg", tier.id),
            min_tier: None,
            open_to: Vec::new(),
        };
        let json = json!({
            "id": id,
            "type": "Achievement",
            "achievementType": "Certification",
            "name": tier.name,
            "description": tier.description,
            "criteria": {"id": id, "narrative": criteria},
            "image": {"id": format!("{id}/image.png"), "type": "Image", "caption": tier.name},
            "alignment": required.iter().map(|c| json!({
                "type": "Alignment",
                "targetName": c.name,
                "targetUrl": format!("{base}{}", competency_path(&c.code)),
                "targetCode": c.code,
                "targetFramework": c.framework.clone().unwrap_or_else(|| program.framework.clone()),
                "targetType": "ceasn:Competency",
            })).collect::<Vec<_>>(),
            "requirements": {
                "minExamScore": tier.min_exam_score,
                "minDemoLevel": tier.min_demo_level,
                "requiredReferences": tier.required_references,
                "validityDays": tier.validity_days,
                "graceDays": tier.grace_days,
                "renewal": tier.renewal.as_ref().map(|r| json!({
                    "narrative": tier.for_renewal().criteria(program),
                    "requiredCompetencies": r.required_competencies,
                    "minExamScore": r.min_exam_score,
                    "minDemoLevel": r.min_demo_level,
                    "requiredReferences": r.required_references,
                    "afterGrace": r.after_grace,
                })),
            },
            "benefits": tier.benefits,
            "rank": tier.rank,
        });
        Described { view, json }
    }

    /// A competency (`/program/competencies/{code}`, the code in any case): its name,
    /// description, framework, and the tiers requiring it.
    ///
    /// # Errors
    /// [`PageError::Competency`] for a code the program does not have.
    pub fn competency_page(&self, code: &str) -> Result<Described<CompetencyView>, PageError> {
        let program = self.program();
        let c = program
            .competencies
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(code))
            .ok_or_else(|| PageError::Competency(code.to_owned()))?;
        let base = &self.config().base_url;
        let framework = c
            .framework
            .clone()
            .unwrap_or_else(|| program.framework.clone());
        let tiers: Vec<&Tier> = self
            .tiers_by_rank()
            .into_iter()
            .filter(|t| t.required_competencies.contains(&c.code))
            .collect();
        let view = CompetencyView {
            code: c.code.clone(),
            name: c.name.clone(),
            description: c.description.clone(),
            framework: framework.clone(),
            tiers: tiers
                .iter()
                .map(|t| Link {
                    name: t.name.clone(),
                    href: format!("/program/tiers/{}", t.id),
                })
                .collect(),
        };
        let json = json!({
            "id": format!("{base}{}", competency_path(&c.code)),
            "type": "Competency",
            "code": c.code,
            "name": c.name,
            "description": c.description,
            "framework": framework,
            "requiredBy": tiers.iter().map(|t| json!({"id": format!("{base}/program/tiers/{}", t.id), "name": t.name})).collect::<Vec<_>>(),
        });
        Ok(Described { view, json })
    }
}
