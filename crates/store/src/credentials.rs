//! Issued credentials: issuance (with its approval and audit entry, in one transaction),
//! reading one, and listing them by partner, tier and state, newest first.

use sqlx::Row;

use crate::page::{Arg, Conditions, Key};
use crate::{sql, Approval, AuditEntry, Page, PageRequest, StatusSlot, Store, StoreError, Table};

/// An issued credential and its status.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CredentialRow {
    /// UUID (the credential id is `{base}/credentials/{id}`).
    pub id: String,
    /// The approval it was issued for (none for VC API issuance).
    pub approval_id: Option<String>,
    /// The partner.
    pub partner_id: Option<String>,
    /// Tier slug.
    pub tier: Option<String>,
    /// Role.
    pub role: Option<String>,
    /// Its revocation slot.
    pub revocation: Option<StatusSlot>,
    /// Its suspension slot.
    pub suspension: Option<StatusSlot>,
    /// The signed credential, JSON text.
    pub document: String,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds.
    pub valid_until: Option<i64>,
    /// When revoked, Unix seconds.
    pub revoked_at: Option<i64>,
    /// Why (private: never published).
    pub revocation_reason: Option<String>,
    /// Suspended now.
    pub suspended: bool,
    /// Its "message" slot (Bitstring Status List `statusPurpose` "message").
    pub message: Option<StatusSlot>,
    /// The current "message" status value.
    pub message_status: i64,
}

/// Where a credential's status stands (its validity window aside).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum CredentialState {
    /// Neither revoked nor suspended.
    Active,
    /// Suspended, not revoked.
    Suspended,
    /// Revoked (whether or not it was suspended before).
    Revoked,
}

/// Which credentials [`Store::credentials`] lists: those matching every filter that is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CredentialFilter {
    /// Issued to this partner.
    pub partner: Option<String>,
    /// Of this tier.
    pub tier: Option<String>,
    /// In this state.
    pub state: Option<CredentialState>,
}

const CREDENTIAL_COLUMNS: &str = "id, approval_id, partner_id, tier, role, revocation_list, revocation_index, suspension_list, suspension_index, document, issued_at, valid_until, revoked_at, revocation_reason, suspended, message_list, message_index, message_status";

fn credential_from_row<R: Row>(row: &R) -> Result<CredentialRow, sqlx::Error>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> bool: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let slot = |purpose: &str| {
        let index = format!("{purpose}_index");
        StatusSlot::from_columns(
            row.try_get(format!("{purpose}_list").as_str())?,
            row.try_get(index.as_str())?,
            &index,
        )
    };
    Ok(CredentialRow {
        id: row.try_get("id")?,
        approval_id: row.try_get("approval_id")?,
        partner_id: row.try_get("partner_id")?,
        tier: row.try_get("tier")?,
        role: row.try_get("role")?,
        revocation: slot("revocation")?,
        suspension: slot("suspension")?,
        document: row.try_get("document")?,
        issued_at: row.try_get("issued_at")?,
        valid_until: row.try_get("valid_until")?,
        revoked_at: row.try_get("revoked_at")?,
        revocation_reason: row.try_get("revocation_reason")?,
        suspended: row.try_get("suspended")?,
        message: slot("message")?,
        message_status: row.try_get("message_status")?,
    })
}

/// The distinct competency codes of an approval's record (`record.competencies`, strings).
fn competency_codes(approval: &Approval) -> Vec<&str> {
    let mut codes: Vec<&str> = approval
        .record
        .get("competencies")
        .and_then(serde_json::Value::as_array)
        .map(|a| a.iter().filter_map(serde_json::Value::as_str).collect())
        .unwrap_or_default();
    codes.sort_unstable();
    codes.dedup();
    codes
}

impl Store {
    /// Records an issuance in one transaction: the approval (if any), the credential, the
    /// competencies it was issued for (the approval record's `competencies`, a list of codes,
    /// indexed for the directory's filter), the key that signed it ([`crate::signer_of`]), and
    /// the audit entry. A status slot already taken is [`StoreError::Conflict`] with
    /// [`crate::Taken::StatusSlot`]: pick another index and sign again.
    ///
    /// # Errors
    /// [`StoreError::Conflict`], or a database error.
    pub async fn record_issuance(
        &self,
        approval: Option<&Approval>,
        credential: &CredentialRow,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let c = credential;
        let list = |s: &Option<StatusSlot>| s.as_ref().map(|s| s.list.clone());
        let index = |s: &Option<StatusSlot>| s.as_ref().map(|s| i64::from(s.index));
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            if let Some(a) = approval {
                sqlx::query(&sql(sqlite, "INSERT INTO approvals (id, partner_id, tier, role, record, approved_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"))
                    .bind(&a.id).bind(&a.partner_id).bind(&a.tier).bind(&a.role).bind(a.record.to_string()).bind(a.approved_at).bind(a.created_at)
                    .execute(&mut *tx).await?;
            }
            sqlx::query(&sql(sqlite, &format!("INSERT INTO credentials ({CREDENTIAL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)")))
                .bind(&c.id).bind(&c.approval_id).bind(&c.partner_id).bind(&c.tier).bind(&c.role)
                .bind(list(&c.revocation)).bind(index(&c.revocation))
                .bind(list(&c.suspension)).bind(index(&c.suspension))
                .bind(&c.document).bind(c.issued_at).bind(c.valid_until).bind(c.revoked_at).bind(&c.revocation_reason).bind(c.suspended)
                .bind(list(&c.message)).bind(index(&c.message)).bind(c.message_status)
                .execute(&mut *tx).await?;
            // Which key signed it, for `hallmark key revoke` (migration 0008).
            sqlx::query(&sql(sqlite, "UPDATE credentials SET signed_by = $1 WHERE id = $2"))
                .bind(crate::signer_of(&c.document).unwrap_or_default()).bind(&c.id)
                .execute(&mut *tx).await?;
            for code in approval.map(competency_codes).unwrap_or_default() {
                sqlx::query(&sql(sqlite, "INSERT INTO credential_competencies (credential_id, code) VALUES ($1, $2)"))
                    .bind(&c.id).bind(code)
                    .execute(&mut *tx).await?;
            }
            audit!(tx, sqlite, audit);
            tx.commit().await?;
            Ok(())
        })
    }

    /// A credential by id.
    ///
    /// # Errors
    /// A database error.
    pub async fn credential(&self, id: &str) -> Result<Option<CredentialRow>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let row = sqlx::query(&sql(sqlite, &format!("SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE id = $1")))
                .bind(id).fetch_optional(pool).await?;
            Ok(row.as_ref().map(credential_from_row).transpose()?)
        })
    }

    /// A page of the credentials that match `filter`, newest first (by `issued_at`; those
    /// issued in the same second by id).
    ///
    /// # Errors
    /// [`StoreError::InvalidCursor`] for a cursor that is not one of this list's, or a
    /// database error.
    pub async fn credentials(
        &self,
        filter: &CredentialFilter,
        page: &PageRequest,
    ) -> Result<Page<CredentialRow>, StoreError> {
        let mut c = Conditions::default();
        if let Some(partner) = &filter.partner {
            let p = c.bind(Arg::Text(partner.clone()));
            c.push(format!("partner_id = {p}"));
        }
        if let Some(tier) = &filter.tier {
            let p = c.bind(Arg::Text(tier.clone()));
            c.push(format!("tier = {p}"));
        }
        match filter.state {
            None => {}
            Some(CredentialState::Active) => {
                c.push("revoked_at IS NULL AND suspended = FALSE".into());
            }
            Some(CredentialState::Suspended) => {
                c.push("revoked_at IS NULL AND suspended = TRUE".into());
            }
            Some(CredentialState::Revoked) => c.push("revoked_at IS NOT NULL".into()),
        }
        if let Some(key) = page.start(Table::Credentials, "it")? {
            let at = c.bind(Arg::Int(key.int(0)));
            let id = c.bind(Arg::Text(key.text(1)));
            c.push(format!(
                "(issued_at < {at} OR (issued_at = {at} AND id > {id}))"
            ));
        }
        let text = format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM credentials{} ORDER BY issued_at DESC, id{}",
            c.clause(),
            c.limit(page)
        );
        let rows = with_pool!(self, pool, sqlite => {
            let text = sql(sqlite, &text);
            let rows = bind_all!(sqlx::query(&text), &c.args).fetch_all(pool).await?;
            rows.iter().map(credential_from_row).collect::<Result<Vec<_>, _>>()?
        });
        Ok(Page::of(rows, page, Table::Credentials, |r| {
            Key(vec![Arg::Int(r.issued_at), Arg::Text(r.id.clone())])
        }))
    }
}
