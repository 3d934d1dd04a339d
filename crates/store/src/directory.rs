//! The public partner directory: listed partners that hold a badge matching the filters
//! (name, tier, role, competency; current badges only unless asked), by name, with the
//! matching badges and their competencies. Three queries a page, whatever its size: the
//! partners, their badges, the badges' competencies.

use std::collections::HashMap;

use sqlx::Row;

use crate::page::{Arg, Conditions, Key};
use crate::partners::{name_key, partner_from_row, PARTNER_COLUMNS};
use crate::{sql, Page, PageRequest, Partner, Store, StoreError, Table};

/// Which partners and badges [`Store::directory`] lists: listed partners with at least one
/// badge matching every filter that is set; each entry shows those matching badges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryFilter {
    /// Whose name contains this text, ignoring case (Unicode lower case on both sides).
    pub name: Option<String>,
    /// Badges of this tier (slug).
    pub tier: Option<String>,
    /// Badges for this role.
    pub role: Option<String>,
    /// Badges issued for this competency (code, as the approval named it).
    pub competency: Option<String>,
    /// Only badges current at this instant (Unix seconds): not revoked, not suspended, not
    /// expired. `None`: every badge.
    pub current_at: Option<i64>,
}

/// A partner in the directory, with its matching badges.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DirectoryEntry {
    /// The partner.
    pub partner: Partner,
    /// Its badges that match the filter, newest first.
    pub badges: Vec<DirectoryBadge>,
}

/// A badge as the directory shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DirectoryBadge {
    /// The credential's UUID.
    pub id: String,
    /// Tier slug; a specialization badge's specialization slug (slugs are unique across
    /// both).
    pub tier: Option<String>,
    /// Role.
    pub role: Option<String>,
    /// Competency codes, sorted.
    pub competencies: Vec<String>,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds.
    pub valid_until: Option<i64>,
    /// Revoked.
    pub revoked: bool,
    /// Suspended.
    pub suspended: bool,
}

/// `%text%` for `LIKE … ESCAPE '\'`, with the text's own `%`, `_` and `\` taken literally.
fn contains_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for ch in name_key(text).chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

/// The conditions on a badge (credentials aliased `c`) that `filter` sets, their values
/// bound to `c`.
fn badge_conditions(c: &mut Conditions, filter: &DirectoryFilter) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(tier) = &filter.tier {
        let p = c.bind(Arg::Text(tier.clone()));
        out.push(format!("c.tier = {p}"));
    }
    if let Some(role) = &filter.role {
        let p = c.bind(Arg::Text(role.clone()));
        out.push(format!("c.role = {p}"));
    }
    if let Some(code) = &filter.competency {
        let p = c.bind(Arg::Text(code.clone()));
        out.push(format!("EXISTS (SELECT 1 FROM credential_competencies k WHERE k.credential_id = c.id AND k.code = {p})"));
    }
    if let Some(now) = filter.current_at {
        let p = c.bind(Arg::Int(now));
        out.push(format!("c.revoked_at IS NULL AND c.suspended = FALSE AND (c.valid_until IS NULL OR c.valid_until > {p})"));
    }
    out
}

/// `$a, $b, …` binding each of `values`.
fn in_list(c: &mut Conditions, values: &[&str]) -> String {
    values
        .iter()
        .map(|v| c.bind(Arg::Text((*v).to_owned())))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// A page of the directory: listed partners with a badge matching `filter`, by name,
    /// then id, each with its matching badges (newest first) and their competencies.
    ///
    /// # Errors
    /// [`StoreError::InvalidCursor`] for a cursor that is not one of the partners' lists,
    /// or a database error.
    pub async fn directory(
        &self,
        filter: &DirectoryFilter,
        page: &PageRequest,
    ) -> Result<Page<DirectoryEntry>, StoreError> {
        // 1. The page's partners.
        let mut c = Conditions::default();
        c.push("p.listed = TRUE".into());
        if let Some(name) = &filter.name {
            let p = c.bind(Arg::Text(contains_pattern(name)));
            c.push(format!("p.name_key LIKE {p} ESCAPE '\\'"));
        }
        let mut on_badge = vec!["c.partner_id = p.id".to_owned()];
        on_badge.extend(badge_conditions(&mut c, filter));
        c.push(format!(
            "EXISTS (SELECT 1 FROM credentials c WHERE {})",
            on_badge.join(" AND ")
        ));
        if let Some(key) = page.start(Table::Partners, "tt")? {
            let name = c.bind(Arg::Text(key.text(0)));
            let id = c.bind(Arg::Text(key.text(1)));
            c.push(format!(
                "(p.name > {name} OR (p.name = {name} AND p.id > {id}))"
            ));
        }
        let columns = PARTNER_COLUMNS
            .split(", ")
            .map(|col| format!("p.{col}"))
            .collect::<Vec<_>>()
            .join(", ");
        let partners = list_rows!(
            self,
            &mut c,
            page,
            format!("SELECT {columns} FROM partners p"),
            "p.name, p.id",
            |r| partner_from_row(r)?
        );
        let page = Page::of(partners, page, Table::Partners, |p| {
            Key(vec![Arg::Text(p.name.clone()), Arg::Text(p.id.clone())])
        });
        if page.items.is_empty() {
            return Ok(Page {
                items: Vec::new(),
                next: page.next,
            });
        }

        // 2. Their matching badges.
        let ids: Vec<&str> = page.items.iter().map(|p| p.id.as_str()).collect();
        let mut c = Conditions::default();
        let list = in_list(&mut c, &ids);
        c.push(format!("c.partner_id IN ({list})"));
        for clause in badge_conditions(&mut c, filter) {
            c.push(clause);
        }
        let text = format!(
            "SELECT c.id, c.partner_id, COALESCE(c.tier, c.specialization) AS tier, c.role, c.issued_at, c.valid_until, c.revoked_at, c.suspended FROM credentials c{} ORDER BY c.issued_at DESC, c.id",
            c.clause()
        );
        let badges: Vec<(String, DirectoryBadge)> = with_pool!(self, pool, sqlite => {
            let text = sql(sqlite, &text);
            let rows = bind_all!(sqlx::query(&text), &c.args).fetch_all(pool).await?;
            rows.iter().map(|r| -> Result<_, sqlx::Error> {
                let revoked_at: Option<i64> = r.try_get("revoked_at")?;
                Ok((r.try_get("partner_id")?, DirectoryBadge {
                    id: r.try_get("id")?,
                    tier: r.try_get("tier")?,
                    role: r.try_get("role")?,
                    competencies: Vec::new(),
                    issued_at: r.try_get("issued_at")?,
                    valid_until: r.try_get("valid_until")?,
                    revoked: revoked_at.is_some(),
                    suspended: r.try_get("suspended")?,
                }))
            }).collect::<Result<Vec<_>, _>>()?
        });

        // 3. Their competencies.
        let mut codes: HashMap<String, Vec<String>> = HashMap::new();
        if !badges.is_empty() {
            let ids: Vec<&str> = badges.iter().map(|(_, b)| b.id.as_str()).collect();
            let mut c = Conditions::default();
            let list = in_list(&mut c, &ids);
            let text = format!(
                "SELECT credential_id, code FROM credential_competencies WHERE credential_id IN ({list}) ORDER BY credential_id, code"
            );
            let rows: Vec<(String, String)> = with_pool!(self, pool, sqlite => {
                let text = sql(sqlite, &text);
                let rows = bind_all!(sqlx::query(&text), &c.args).fetch_all(pool).await?;
                rows.iter().map(|r| Ok::<_, sqlx::Error>((r.try_get("credential_id")?, r.try_get("code")?)))
                    .collect::<Result<Vec<_>, _>>()?
            });
            for (id, code) in rows {
                codes.entry(id).or_default().push(code);
            }
        }

        let mut by_partner: HashMap<String, Vec<DirectoryBadge>> = HashMap::new();
        for (partner, mut b) in badges {
            b.competencies = codes.remove(&b.id).unwrap_or_default();
            by_partner.entry(partner).or_default().push(b);
        }
        let items = page
            .items
            .into_iter()
            .map(|partner| DirectoryEntry {
                badges: by_partner.remove(&partner.id).unwrap_or_default(),
                partner,
            })
            .collect();
        Ok(Page {
            items,
            next: page.next,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_literal_and_folded() {
        assert_eq!(contains_pattern("Nörth_10%"), "%nörth\\_10\\%%");
        assert_eq!(contains_pattern("a\\b"), "%a\\\\b%");
    }
}
