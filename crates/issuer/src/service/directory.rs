//! The public partner directory's data (`GET /directory`): the search checked against the
//! program, one page of listed partners with their badges, as the page's view and as JSON.
//!
//! Name search is a case-insensitive substring (Unicode lower case); tier, role and
//! competency are the program's (a competency code matches in any case). Current badges
//! only (issued, not revoked, not suspended, not expired now) unless `all` is asked.

use hallmark_store::{Cursor, DirectoryFilter, PageRequest, StoreError};
use hallmark_web::directory::{BadgeView, Choice, DirectoryView, EntryView};
use hallmark_web::program::http_url;
use hallmark_web::Text;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{now, Issuer};

/// The longest name search, in characters.
pub const MAX_QUERY_CHARS: usize = 100;

/// The largest directory page, in partners (the default is 20).
pub const MAX_DIRECTORY_PAGE: u32 = 50;

const DEFAULT_DIRECTORY_PAGE: u32 = 20;

/// The longest tier, role or competency value read, in characters.
const MAX_FILTER_CHARS: usize = 100;

/// A directory search as the URL's query carries it (`?q=&tier=&role=&competency=&all=1
/// &after=&limit=`); empty values mean "any".
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DirectoryQuery {
    /// Name contains (case-insensitive), at most [`MAX_QUERY_CHARS`] characters.
    pub q: Option<String>,
    /// A tier's slug.
    pub tier: Option<String>,
    /// A role's id.
    pub role: Option<String>,
    /// A competency's code (any case).
    pub competency: Option<String>,
    /// `1`, `true` or `on`: include expired, suspended and revoked badges.
    pub all: Option<String>,
    /// Where the page starts (the previous page's `next`).
    pub after: Option<String>,
    /// Partners a page, 1 to [`MAX_DIRECTORY_PAGE`].
    pub limit: Option<u32>,
    /// The page's language (read by the handler; accepted here so it is not an error).
    pub lang: Option<String>,
}

/// Why a directory search was refused (400).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DirectoryError {
    /// A value longer than allowed.
    #[error("{field} is longer than {max} characters")]
    TooLong {
        /// Which parameter.
        field: &'static str,
        /// Its limit.
        max: usize,
    },
    /// A tier, role or competency the program does not have.
    #[error("the program has no {field} {value:?}")]
    Unknown {
        /// Which parameter.
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// `after` is not a cursor of this list.
    #[error("after: {0}")]
    Cursor(String),
    /// The database.
    #[error(transparent)]
    Store(StoreError),
}

/// One page of the directory.
#[derive(Debug, Clone)]
pub struct Directory {
    /// What the page shows.
    pub view: DirectoryView,
    /// The same, for machines.
    pub json: Value,
}

/// The value of a parameter, trimmed, or `None` when empty; too long is an error.
fn param<'a>(
    field: &'static str,
    value: Option<&'a str>,
    max: usize,
) -> Result<Option<&'a str>, DirectoryError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > max {
        return Err(DirectoryError::TooLong { field, max });
    }
    Ok(Some(v))
}

impl Issuer {
    /// A page of the directory for `query`, its dates in the language of `t`.
    ///
    /// # Errors
    /// [`DirectoryError`]: a value too long, a tier, role or competency the program does not
    /// have, a bad cursor, or the database.
    pub async fn directory(
        &self,
        query: &DirectoryQuery,
        t: &Text,
    ) -> Result<Directory, DirectoryError> {
        let program = self.program();
        let q = param("q", query.q.as_deref(), MAX_QUERY_CHARS)?;
        let tier = param("tier", query.tier.as_deref(), MAX_FILTER_CHARS)?
            .map(|v| {
                program
                    .tier(v)
                    .map(|t| t.id.clone())
                    .ok_or_else(|| DirectoryError::Unknown {
                        field: "tier",
                        value: v.to_owned(),
                    })
            })
            .transpose()?;
        let role = param("role", query.role.as_deref(), MAX_FILTER_CHARS)?
            .map(|v| {
                program
                    .roles
                    .iter()
                    .find(|r| r.id == v)
                    .map(|r| r.id.clone())
                    .ok_or_else(|| DirectoryError::Unknown {
                        field: "role",
                        value: v.to_owned(),
                    })
            })
            .transpose()?;
        let competency = param("competency", query.competency.as_deref(), MAX_FILTER_CHARS)?
            .map(|v| {
                program
                    .competencies
                    .iter()
                    .find(|c| c.code.eq_ignore_ascii_case(v))
                    .map(|c| c.code.clone())
                    .ok_or_else(|| DirectoryError::Unknown {
                        field: "competency",
                        value: v.to_owned(),
                    })
            })
            .transpose()?;
        let all = matches!(
            query.all.as_deref().map(str::trim),
            Some("1" | "true" | "on")
        );
        let limit = query
            .limit
            .unwrap_or(DEFAULT_DIRECTORY_PAGE)
            .clamp(1, MAX_DIRECTORY_PAGE);
        let page = match param("after", query.after.as_deref(), 2048)? {
            None => PageRequest::first(limit),
            Some(text) => PageRequest::after(
                limit,
                text.parse::<Cursor>()
                    .map_err(|e| DirectoryError::Cursor(e.to_string()))?,
            ),
        };
        let filter = DirectoryFilter {
            name: q.map(str::to_owned),
            tier: tier.clone(),
            role: role.clone(),
            competency: competency.clone(),
            current_at: (!all).then(|| now().unix_timestamp()),
        };
        let read = self
            .store()
            .directory(&filter, &page)
            .await
            .map_err(|e| match e {
                StoreError::InvalidCursor(e) => DirectoryError::Cursor(e.to_string()),
                e => DirectoryError::Store(e),
            })?;

        let base = &self.config().base_url;
        let next = read.next.as_ref().map(|cursor| {
            let mut s = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in [
                ("q", q),
                ("tier", tier.as_deref()),
                ("role", role.as_deref()),
                ("competency", competency.as_deref()),
                ("all", all.then_some("1")),
            ] {
                if let Some(v) = v {
                    s.append_pair(k, v);
                }
            }
            if query.limit.is_some() {
                s.append_pair("limit", &limit.to_string());
            }
            s.append_pair("after", cursor.as_str());
            format!("/directory?{}", s.finish())
        });
        let mut entries = Vec::with_capacity(read.items.len());
        let mut items = Vec::with_capacity(read.items.len());
        for entry in &read.items {
            let mut badges = Vec::new();
            let mut badges_json = Vec::new();
            for b in &entry.badges {
                let slug = b.tier.clone().unwrap_or_default();
                // A specialization badge comes with its specialization's slug (slugs are
                // unique across tiers and specializations).
                let special =
                    program.tier(&slug).is_none() && program.specialization(&slug).is_some();
                let collection = if special { "specializations" } else { "tiers" };
                let tier_name = program
                    .achievement(Some(&slug), special.then_some(slug.as_str()))
                    .map_or(slug.clone(), |t| t.name);
                let role_id = b.role.clone().unwrap_or_default();
                let role_name = program
                    .roles
                    .iter()
                    .find(|r| r.id == role_id)
                    .map_or(role_id.clone(), |r| r.name.clone());
                let competencies: Vec<(String, String)> = b
                    .competencies
                    .iter()
                    .map(|code| {
                        let name = program
                            .competency(code)
                            .map_or(code.clone(), |c| c.name.clone());
                        (code.clone(), name)
                    })
                    .collect();
                let until = b
                    .valid_until
                    .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok());
                let verify = self.credential_url(&b.id);
                badges.push(BadgeView {
                    verify_url: verify.clone(),
                    tier: tier_name.clone(),
                    tier_url: format!("/program/{collection}/{slug}"),
                    role: role_name.clone(),
                    competencies: competencies
                        .iter()
                        .map(|(code, name)| Choice {
                            value: format!("/program/competencies/{}", code.to_ascii_lowercase()),
                            name: name.clone(),
                        })
                        .collect(),
                    valid_until: until.map(|u| t.date(u)),
                });
                badges_json.push(json!({
                    "id": verify,
                    "uuid": b.id,
                    "tier": {"id": format!("{base}/program/{collection}/{slug}"), "slug": slug, "name": tier_name},
                    "specialization": special,
                    "role": {"id": role_id, "name": role_name},
                    "competencies": competencies.iter().map(|(code, name)| json!({
                        "code": code, "name": name,
                        "id": format!("{base}/program/competencies/{}", code.to_ascii_lowercase()),
                    })).collect::<Vec<_>>(),
                    "issuedAt": b.issued_at,
                    "validUntil": b.valid_until,
                    "revoked": b.revoked,
                    "suspended": b.suspended,
                }));
            }
            entries.push(EntryView {
                name: entry.partner.name.clone(),
                website: http_url(&entry.partner.url),
                badges,
            });
            items.push(json!({
                "name": entry.partner.name,
                "url": entry.partner.url,
                "badges": badges_json,
            }));
        }
        let json = json!({
            "items": items,
            "next": next.as_ref().map(|n| format!("{base}{n}")),
        });
        let choice = |value: &str, name: &str| Choice {
            value: value.to_owned(),
            name: name.to_owned(),
        };
        let mut tiers: Vec<_> = program.tiers.iter().collect();
        tiers.sort_by_key(|t| std::cmp::Reverse(t.rank));
        let view = DirectoryView {
            q: q.unwrap_or_default().to_owned(),
            tier: tier.unwrap_or_default(),
            role: role.unwrap_or_default(),
            competency: competency.unwrap_or_default(),
            all,
            tiers: tiers.iter().map(|t| choice(&t.id, &t.name)).collect(),
            roles: program
                .roles
                .iter()
                .map(|r| choice(&r.id, &r.name))
                .collect(),
            competencies: program
                .competencies
                .iter()
                .map(|c| choice(&c.code, &c.name))
                .collect(),
            entries,
            next,
        };
        Ok(Directory { view, json })
    }
}
