//! The admin API's lists (issue 14): partners, approvals and the audit log, a page at a
//! time with filters, as the query string gives them ([`PartnerQuery`], [`ApprovalQuery`],
//! [`AuditQuery`]); and a partner with its current badges. Every parameter that is not
//! understood is refused with the parameter's name ([`QueryError`]).

use hallmark_store::{
    Approval, ApprovalFilter, AuditEntry, AuditFilter, CredentialFilter, CredentialRow, Page,
    PageRequest, Partner, PartnerFilter, StoreError, MAX_PAGE_SIZE,
};
use time::OffsetDateTime;

use super::{Issuer, LookupError, PageSize, PartnerUrl};

/// `GET /api/v1/partners`: filters (each optional, all combined), page size and start.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerQuery {
    /// Name or URL holds this text, case-insensitively.
    pub q: Option<String>,
    /// The URL is this one (normalized as at creation: `HTTPS://X.example` finds
    /// `https://x.example/`).
    pub url: Option<String>,
    /// `true`: listed in the public directory; `false`: not.
    pub listed: Option<String>,
    /// Rows a page: 1 to 1000, 100 by default.
    pub limit: Option<i64>,
    /// The cursor of the page to read (from the previous page's `Link: rel="next"`).
    pub after: Option<String>,
}

/// `GET /api/v1/approvals`: filters (each optional, all combined), page size and start.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalQuery {
    /// Of this partner (its id).
    pub partner: Option<String>,
    /// For this tier (slug).
    pub tier: Option<String>,
    /// For this role.
    pub role: Option<String>,
    /// Approved before this RFC 3339 instant.
    pub approved_before: Option<String>,
    /// Approved at or after this RFC 3339 instant.
    pub approved_after: Option<String>,
    /// Rows a page: 1 to 1000, 100 by default.
    pub limit: Option<i64>,
    /// The cursor of the page to read.
    pub after: Option<String>,
}

/// `GET /api/v1/audit`: filters (each optional, all combined), page size and start.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// By this actor (a token's name, `cli` or `system`).
    pub actor: Option<String>,
    /// Of this action (`partner.create`, `credential.revoke`, `token.revoke`, …).
    pub action: Option<String>,
    /// On this subject (an id).
    pub subject: Option<String>,
    /// Written before this RFC 3339 instant.
    pub before: Option<String>,
    /// Written at or after this RFC 3339 instant.
    pub since: Option<String>,
    /// Rows a page: 1 to 1000, 100 by default.
    pub limit: Option<i64>,
    /// The cursor of the page to read.
    pub after: Option<String>,
}

/// Why a listing was refused: the parameter and what is wrong with it (400).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// Not an RFC 3339 date-time with a time zone.
    #[error(
        "{parameter}: {given:?} is not an RFC 3339 date-time such as 2027-01-31T00:00:00Z ({why})"
    )]
    Date {
        /// The parameter.
        parameter: &'static str,
        /// The text given.
        given: String,
        /// Why.
        why: &'static str,
    },
    /// A credential state that is none of them.
    #[error("state: {given:?} is not one of active, suspended, revoked")]
    State {
        /// The text given.
        given: String,
    },
    /// Not `true` or `false`.
    #[error("{parameter}: {given:?} is neither true nor false")]
    Bool {
        /// The parameter.
        parameter: &'static str,
        /// The text given.
        given: String,
    },
    /// Not a partner URL.
    #[error("url: {0}")]
    Url(#[from] super::UrlError),
    /// `after` is not a cursor of this list.
    #[error("after: {0}")]
    Cursor(hallmark_store::CursorError),
    /// The database.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for QueryError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::InvalidCursor(e) => Self::Cursor(e),
            e => Self::Store(e),
        }
    }
}

/// `text` as Unix seconds, for `parameter`.
pub(super) fn instant(
    parameter: &'static str,
    text: Option<&str>,
) -> Result<Option<i64>, QueryError> {
    text.filter(|t| !t.is_empty())
        .map(|t| {
            hallmark_core::datetime::parse(t)
                .map(OffsetDateTime::unix_timestamp)
                .map_err(|e| QueryError::Date {
                    parameter,
                    given: t.to_owned(),
                    why: e.reason,
                })
        })
        .transpose()
}

/// The page `limit` rows long after cursor `after` (or the first).
pub(super) fn page_request(
    limit: Option<i64>,
    after: Option<&str>,
) -> Result<PageRequest, QueryError> {
    let limit = PageSize::new(limit).get();
    Ok(match after.filter(|a| !a.is_empty()) {
        None => PageRequest::first(limit),
        Some(text) => PageRequest::after(limit, text.parse().map_err(QueryError::Cursor)?),
    })
}

/// An empty filter value means "no filter".
pub(super) fn given(value: &Option<String>) -> Option<String> {
    value.clone().filter(|v| !v.is_empty())
}

/// The most badges [`Issuer::partner_badges`] reads for one partner.
const MAX_PARTNER_BADGES: u32 = MAX_PAGE_SIZE;

impl Issuer {
    /// A page of partners by `query`, by name then id.
    ///
    /// # Errors
    /// [`QueryError`] naming the parameter at fault, or the database.
    pub async fn partner_page(&self, query: &PartnerQuery) -> Result<Page<Partner>, QueryError> {
        let listed = match query.listed.as_deref() {
            None | Some("") => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(other) => {
                return Err(QueryError::Bool {
                    parameter: "listed",
                    given: other.to_owned(),
                })
            }
        };
        let url = match given(&query.url) {
            None => None,
            Some(url) => Some(PartnerUrl::parse(&url)?.into()),
        };
        let filter = PartnerFilter {
            search: given(&query.q),
            url,
            listed,
            ..PartnerFilter::default()
        };
        let page = page_request(query.limit, query.after.as_deref())?;
        Ok(self.store().partners(&filter, &page).await?)
    }

    /// A page of approvals by `query`, newest first.
    ///
    /// # Errors
    /// [`QueryError`] naming the parameter at fault, or the database.
    pub async fn approval_page(&self, query: &ApprovalQuery) -> Result<Page<Approval>, QueryError> {
        let filter = ApprovalFilter {
            partner: given(&query.partner),
            tier: given(&query.tier),
            role: given(&query.role),
            approved_before: instant("approved_before", query.approved_before.as_deref())?,
            approved_after: instant("approved_after", query.approved_after.as_deref())?,
        };
        let page = page_request(query.limit, query.after.as_deref())?;
        Ok(self.store().approvals(&filter, &page).await?)
    }

    /// A page of the audit log by `query`, newest first.
    ///
    /// # Errors
    /// [`QueryError`] naming the parameter at fault, or the database.
    pub async fn audit_page(&self, query: &AuditQuery) -> Result<Page<AuditEntry>, QueryError> {
        let filter = AuditFilter {
            actor: given(&query.actor),
            action: given(&query.action),
            subject: given(&query.subject),
            before: instant("before", query.before.as_deref())?,
            after: instant("since", query.since.as_deref())?,
        };
        let page = page_request(query.limit, query.after.as_deref())?;
        Ok(self.store().audit_log(&filter, &page).await?)
    }

    /// An approval by id.
    ///
    /// # Errors
    /// [`LookupError::Approval`] when there is none, or the database.
    pub async fn approval(&self, id: &str) -> Result<Approval, LookupError> {
        self.store()
            .approval(id)
            .await?
            .ok_or_else(|| LookupError::Approval { id: id.to_owned() })
    }

    /// A partner's current badges: not revoked and not superseded (suspended ones too),
    /// newest first; at most 1000.
    ///
    /// # Errors
    /// The database.
    pub async fn partner_badges(&self, id: &str) -> Result<Vec<CredentialRow>, StoreError> {
        let filter = CredentialFilter {
            partner: Some(id.to_owned()),
            ..CredentialFilter::default()
        };
        let page = self
            .store()
            .credentials(&filter, &PageRequest::first(MAX_PARTNER_BADGES))
            .await?;
        Ok(page
            .items
            .into_iter()
            .filter(|c| c.revoked_at.is_none() && c.superseded_by.is_none())
            .collect())
    }
}
