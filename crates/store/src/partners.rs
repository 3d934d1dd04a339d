//! Partners and their approvals: recording a partner, reading one, and listing partners (by
//! name) and approvals (by partner, newest first). Approvals are written with the credential
//! issued for them ([`Store::record_issuance`]).

use sqlx::Row;

/// Inserts partner `$partner` inside transaction `$tx` (its name and URL keys with it).
macro_rules! insert_partner {
    ($tx:ident, $sqlite:ident, $partner:expr) => {{
        let partner: &$crate::Partner = $partner;
        sqlx::query(&$crate::sql($sqlite, "INSERT INTO partners (id, name, url, created_at, listed, name_key, contacts, url_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"))
            .bind(&partner.id).bind(&partner.name).bind(&partner.url).bind(partner.created_at)
            .bind(partner.listed).bind($crate::partners::name_key(&partner.name)).bind(serde_json::json!(partner.contacts).to_string())
            .bind($crate::partners::url_key(&partner.url))
            .execute(&mut *$tx).await?;
    }};
}

use crate::page::{Arg, Conditions, Key};
use crate::{sql, AuditEntry, Page, PageRequest, Store, StoreError, Table};

/// A partner organisation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Partner {
    /// UUID.
    pub id: String,
    /// Display name, stored as given (text, never markup).
    pub name: String,
    /// Its URL or DID: the badge's credentialSubject.id.
    pub url: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Whether the agency lists it in the public directory (default: not).
    #[serde(default)]
    pub listed: bool,
    /// E-mail addresses the agency writes to about the partner's badges (expiry reminders),
    /// at most a few, checked by the issuer.
    #[serde(default)]
    pub contacts: Vec<String>,
}

/// An approval: the program's decision with its assessment record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Approval {
    /// UUID.
    pub id: String,
    /// The partner.
    pub partner_id: String,
    /// Tier slug.
    pub tier: String,
    /// Role.
    pub role: String,
    /// The assessment record (competencies, scores, references, approver) as JSON.
    pub record: serde_json::Value,
    /// When it was approved, Unix seconds.
    pub approved_at: i64,
    /// When it was recorded, Unix seconds.
    pub created_at: i64,
}

/// Which partners [`Store::partners`] lists: those matching every filter that is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartnerFilter {
    /// Whose name starts with this text (compared exactly: case and accents count).
    pub name_prefix: Option<String>,
    /// Whose name or URL holds this text, case-insensitively (`%` and `_` are plain text).
    pub search: Option<String>,
    /// Whose URL is this one, compared by [`url_key`].
    pub url: Option<String>,
    /// Listed in the public directory (`true`) or not (`false`).
    pub listed: Option<bool>,
}

/// Which approvals [`Store::approvals`] lists: those matching every filter that is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApprovalFilter {
    /// Of this partner.
    pub partner: Option<String>,
    /// For this tier (slug).
    pub tier: Option<String>,
    /// For this role.
    pub role: Option<String>,
    /// Approved before this time (Unix seconds, exclusive).
    pub approved_before: Option<i64>,
    /// Approved at or after this time (Unix seconds).
    pub approved_after: Option<i64>,
}

/// A partner's new name, URL, contacts and listing ([`Store::update_partner`]), checked by
/// the issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerEdit {
    /// Display name.
    pub name: String,
    /// URL or DID, normalized.
    pub url: String,
    /// Listed in the directory.
    pub listed: bool,
    /// Contact addresses.
    pub contacts: Vec<String>,
}

/// A partner URL as duplicates are found by (the unique `partners.url_key`, migration
/// 0010): a web address in ASCII lower case, `http://` read as `https://`, trailing slashes
/// dropped, so `HTTP://Northwind.example/` and `https://northwind.example` are one partner;
/// anything else (a DID, whose identifiers are case-sensitive) as it is, trailing slashes
/// dropped.
pub fn url_key(url: &str) -> String {
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return url.trim_end_matches('/').to_owned();
    }
    let trimmed = lower.trim_end_matches('/');
    match trimmed.strip_prefix("http://") {
        Some(rest) => format!("https://{rest}"),
        None => trimmed.to_owned(),
    }
}

/// `text` as a `LIKE … ESCAPE '!'` pattern matching it anywhere.
fn contains_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '!') {
            out.push('!');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The columns [`partner_from_row`] reads.
pub(crate) const PARTNER_COLUMNS: &str = "id, name, url, created_at, listed, contacts";

/// A name as the directory's search compares it: lower case (Unicode).
pub(crate) fn name_key(name: &str) -> String {
    name.to_lowercase()
}

pub(crate) fn partner_from_row<R: Row>(r: &R) -> Result<Partner, sqlx::Error>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> bool: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Partner {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        url: r.try_get("url")?,
        created_at: r.try_get("created_at")?,
        listed: r.try_get("listed")?,
        contacts: {
            let text: String = r.try_get("contacts")?;
            serde_json::from_str(&text).map_err(|e| sqlx::Error::ColumnDecode {
                index: "contacts".into(),
                source: Box::new(e),
            })?
        },
    })
}

fn approval_from_row<R: Row>(r: &R) -> Result<Approval, sqlx::Error>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let record: String = r.try_get("record")?;
    Ok(Approval {
        id: r.try_get("id")?,
        partner_id: r.try_get("partner_id")?,
        tier: r.try_get("tier")?,
        role: r.try_get("role")?,
        record: serde_json::from_str(&record).map_err(|e| sqlx::Error::ColumnDecode {
            index: "record".into(),
            source: Box::new(e),
        })?,
        approved_at: r.try_get("approved_at")?,
        created_at: r.try_get("created_at")?,
    })
}

/// The end of a change of partner `$id` in transaction `$tx` whose UPDATE gave `$done`: none
/// when no row changed (nothing written), else the audit entry `$audit`, the commit, and the
/// partner as it now is.
macro_rules! changed_partner {
    ($tx:ident, $sqlite:ident, $done:expr, $audit:expr, $id:expr) => {{
        if $done.rows_affected() == 0 {
            return Ok(None);
        }
        audit!($tx, $sqlite, $audit);
        let row = sqlx::query(&sql(
            $sqlite,
            &format!("SELECT {PARTNER_COLUMNS} FROM partners WHERE id = $1"),
        ))
        .bind($id)
        .fetch_one(&mut *$tx)
        .await?;
        let partner = partner_from_row(&row)?;
        $tx.commit().await?;
        Ok(Some(partner))
    }};
}

impl Store {
    /// Records a new partner, with its audit entry.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] for a duplicate id, or [`crate::Taken::PartnerUrl`] when
    /// another partner has the same URL ([`url_key`]).
    pub async fn create_partner(
        &self,
        partner: &Partner,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            insert_partner!(tx, sqlite, partner);
            audit!(tx, sqlite, audit);
            tx.commit().await?;
            Ok(())
        })
    }

    /// Lists or unlists a partner in the public directory, with its audit entry; the
    /// partner as it now is, or `None` (nothing written) when there is no such partner.
    ///
    /// # Errors
    /// A database error.
    pub async fn set_partner_listed(
        &self,
        id: &str,
        listed: bool,
        audit: &AuditEntry,
    ) -> Result<Option<Partner>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(&sql(sqlite, "UPDATE partners SET listed = $1 WHERE id = $2"))
                .bind(listed).bind(id).execute(&mut *tx).await?;
            changed_partner!(tx, sqlite, done, audit, id)
        })
    }

    /// Replaces a partner's contact addresses, with its audit entry; the partner as it now
    /// is, or `None` (nothing written) when there is no such partner.
    ///
    /// # Errors
    /// A database error.
    pub async fn set_partner_contacts(
        &self,
        id: &str,
        contacts: &[String],
        audit: &AuditEntry,
    ) -> Result<Option<Partner>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(&sql(sqlite, "UPDATE partners SET contacts = $1 WHERE id = $2"))
                .bind(serde_json::json!(contacts).to_string()).bind(id).execute(&mut *tx).await?;
            changed_partner!(tx, sqlite, done, audit, id)
        })
    }

    /// Replaces a partner's name, URL, contacts and listing, with its audit entry; the
    /// partner as it now is, or `None` (nothing written) when there is no such partner.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] with [`crate::Taken::PartnerUrl`] when another partner has
    /// the URL (nothing written), or a database error.
    pub async fn update_partner(
        &self,
        id: &str,
        edit: &PartnerEdit,
        audit: &AuditEntry,
    ) -> Result<Option<Partner>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(&sql(sqlite, "UPDATE partners SET name = $1, name_key = $2, url = $3, url_key = $4, listed = $5, contacts = $6 WHERE id = $7"))
                .bind(&edit.name).bind(name_key(&edit.name)).bind(&edit.url).bind(url_key(&edit.url))
                .bind(edit.listed).bind(serde_json::json!(edit.contacts).to_string()).bind(id)
                .execute(&mut *tx).await?;
            changed_partner!(tx, sqlite, done, audit, id)
        })
    }

    /// The partner whose URL is `url` (compared by [`url_key`]).
    ///
    /// # Errors
    /// A database error.
    pub async fn partner_by_url(&self, url: &str) -> Result<Option<Partner>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let row = sqlx::query(&sql(sqlite, &format!("SELECT {PARTNER_COLUMNS} FROM partners WHERE url_key = $1")))
                .bind(url_key(url)).fetch_optional(pool).await?;
            Ok(row.as_ref().map(partner_from_row).transpose()?)
        })
    }

    /// The partners with these ids or URL keys ([`url_key`]), at most 500 of each.
    ///
    /// # Errors
    /// A database error.
    pub async fn partners_by(
        &self,
        ids: &[String],
        url_keys: &[String],
    ) -> Result<Vec<Partner>, StoreError> {
        let (ids, url_keys) = (
            &ids[..ids.len().min(500)],
            &url_keys[..url_keys.len().min(500)],
        );
        let list = |from: usize, n: usize| {
            (from..from + n)
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut found = Vec::new();
        for (column, values) in [("id", ids), ("url_key", url_keys)] {
            if values.is_empty() {
                continue;
            }
            let text = format!(
                "SELECT {PARTNER_COLUMNS} FROM partners WHERE {column} IN ({})",
                list(1, values.len())
            );
            with_pool!(self, pool, sqlite => {
                let text = sql(sqlite, &text);
                let mut q = sqlx::query(&text);
                for v in values {
                    q = q.bind(v);
                }
                for r in q.fetch_all(pool).await? {
                    found.push(partner_from_row(&r)?);
                }
            });
        }
        Ok(found)
    }

    /// A partner by id.
    ///
    /// # Errors
    /// A database error.
    pub async fn partner(&self, id: &str) -> Result<Option<Partner>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let row = sqlx::query(&sql(sqlite, &format!("SELECT {PARTNER_COLUMNS} FROM partners WHERE id = $1")))
                .bind(id).fetch_optional(pool).await?;
            Ok(row.as_ref().map(partner_from_row).transpose()?)
        })
    }

    /// An approval by id.
    ///
    /// # Errors
    /// A database error.
    pub async fn approval(&self, id: &str) -> Result<Option<Approval>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let row = sqlx::query(&sql(sqlite, "SELECT id, partner_id, tier, role, record, approved_at, created_at FROM approvals WHERE id = $1"))
                .bind(id).fetch_optional(pool).await?;
            Ok(row.as_ref().map(approval_from_row).transpose()?)
        })
    }

    /// A page of the partners that match `filter`, by name, then id (names compare as the
    /// database's collation orders them).
    ///
    /// # Errors
    /// [`StoreError::InvalidCursor`] for a cursor that is not one of this list's, or a
    /// database error.
    pub async fn partners(
        &self,
        filter: &PartnerFilter,
        page: &PageRequest,
    ) -> Result<Page<Partner>, StoreError> {
        let mut c = Conditions::default();
        if let Some(prefix) = &filter.name_prefix {
            let p = c.bind(Arg::Text(prefix.clone()));
            c.push(format!("substr(name, 1, length({p})) = {p}"));
        }
        if let Some(text) = &filter.search {
            let p = c.bind(Arg::Text(contains_pattern(&text.to_lowercase())));
            c.push(format!(
                "(name_key LIKE {p} ESCAPE '!' OR lower(url) LIKE {p} ESCAPE '!')"
            ));
        }
        if let Some(url) = &filter.url {
            let p = c.bind(Arg::Text(url_key(url)));
            c.push(format!("url_key = {p}"));
        }
        if let Some(listed) = filter.listed {
            c.push(format!(
                "listed = {}",
                if listed { "TRUE" } else { "FALSE" }
            ));
        }
        if let Some(key) = page.start(Table::Partners, "tt")? {
            let name = c.bind(Arg::Text(key.text(0)));
            let id = c.bind(Arg::Text(key.text(1)));
            c.push(format!("(name > {name} OR (name = {name} AND id > {id}))"));
        }
        let rows = list_rows!(
            self,
            &mut c,
            page,
            format!("SELECT {PARTNER_COLUMNS} FROM partners"),
            "name, id",
            |r| partner_from_row(r)?
        );
        Ok(Page::of(rows, page, Table::Partners, |p| {
            Key(vec![Arg::Text(p.name.clone()), Arg::Text(p.id.clone())])
        }))
    }

    /// A page of the approvals that match `filter`, newest first (by when they were
    /// recorded; those recorded in the same second by id).
    ///
    /// # Errors
    /// [`StoreError::InvalidCursor`] for a cursor that is not one of this list's, or a
    /// database error.
    pub async fn approvals(
        &self,
        filter: &ApprovalFilter,
        page: &PageRequest,
    ) -> Result<Page<Approval>, StoreError> {
        let mut c = Conditions::default();
        if let Some(partner) = &filter.partner {
            let p = c.bind(Arg::Text(partner.clone()));
            c.push(format!("partner_id = {p}"));
        }
        for (column, value) in [("tier", &filter.tier), ("role", &filter.role)] {
            if let Some(value) = value {
                let p = c.bind(Arg::Text(value.clone()));
                c.push(format!("{column} = {p}"));
            }
        }
        if let Some(before) = filter.approved_before {
            let p = c.bind(Arg::Int(before));
            c.push(format!("approved_at < {p}"));
        }
        if let Some(after) = filter.approved_after {
            let p = c.bind(Arg::Int(after));
            c.push(format!("approved_at >= {p}"));
        }
        if let Some(key) = page.start(Table::Approvals, "it")? {
            let at = c.bind(Arg::Int(key.int(0)));
            let id = c.bind(Arg::Text(key.text(1)));
            c.push(format!(
                "(created_at < {at} OR (created_at = {at} AND id > {id}))"
            ));
        }
        let rows = list_rows!(
            self,
            &mut c,
            page,
            "SELECT id, partner_id, tier, role, record, approved_at, created_at FROM approvals",
            "created_at DESC, id",
            |r| approval_from_row(r)?
        );
        Ok(Page::of(rows, page, Table::Approvals, |a| {
            Key(vec![Arg::Int(a.created_at), Arg::Text(a.id.clone())])
        }))
    }
}
