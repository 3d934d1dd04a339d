//! Issued credentials: issuance (with its approval and audit entry, in one transaction),
//! reading one, and listing them by partner, tier and state, newest first.

use sqlx::Row;

use crate::page::{Arg, Conditions, Key};
use crate::{sql, Approval, AuditEntry, Page, PageRequest, StatusSlot, Store, StoreError, Table};

/// One issuance of a batch ([`Store::record_first_issuances`]).
#[derive(Debug, Clone, Copy)]
pub struct BatchIssuance<'a> {
    /// The approval.
    pub approval: &'a Approval,
    /// Its badge.
    pub credential: &'a CredentialRow,
    /// The badge's audit entry.
    pub audit: &'a AuditEntry,
    /// A partner created with it (its row named by a bulk row's URL), and its audit entry.
    pub partner: Option<(&'a crate::Partner, &'a AuditEntry)>,
    /// The idempotency key marked with it (`committed`), and the response stored with it
    /// when it is known before the commit (a bulk row's receipt: `done`).
    pub claim: Option<(&'a crate::ClaimMark, Option<&'a crate::StoredResponse>)>,
}

/// Inserts an issuance inside transaction `$tx`: the approval (if any), the credential and
/// the competencies it was issued for.
macro_rules! insert_issuance {
    ($tx:ident, $sqlite:ident, $approval:expr, $credential:expr) => {{
        let (approval, c): (Option<&$crate::Approval>, &$crate::CredentialRow) = ($approval, $credential);
        let sqlite = $sqlite;
        let list = |s: &Option<$crate::StatusSlot>| s.as_ref().map(|s| s.list.clone());
        let index = |s: &Option<$crate::StatusSlot>| s.as_ref().map(|s| i64::from(s.index));
        if let Some(a) = approval {
            sqlx::query(&$crate::sql(sqlite, "INSERT INTO approvals (id, partner_id, tier, role, record, approved_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"))
                .bind(&a.id).bind(&a.partner_id).bind(&a.tier).bind(&a.role).bind(a.record.to_string()).bind(a.approved_at).bind(a.created_at)
                .execute(&mut *$tx).await?;
        }
        sqlx::query(&$crate::sql(sqlite, &format!("INSERT INTO credentials ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)", $crate::credentials::CREDENTIAL_COLUMNS)))
            .bind(&c.id).bind(&c.approval_id).bind(&c.partner_id).bind(&c.tier).bind(&c.role)
            .bind(list(&c.revocation)).bind(index(&c.revocation))
            .bind(list(&c.suspension)).bind(index(&c.suspension))
            .bind(&c.document).bind(c.issued_at).bind(c.valid_until).bind(c.revoked_at).bind(&c.revocation_reason).bind(c.suspended)
            .bind(list(&c.message)).bind(index(&c.message)).bind(c.message_status).bind(&c.specialization)
            .execute(&mut *$tx).await?;
        // Which key signed it, for `hallmark key revoke` (migration 0008).
        sqlx::query(&$crate::sql(sqlite, "UPDATE credentials SET signed_by = $1 WHERE id = $2"))
            .bind($crate::signer_of(&c.document).unwrap_or_default()).bind(&c.id)
            .execute(&mut *$tx).await?;
        for code in approval.map($crate::credentials::competency_codes).unwrap_or_default() {
            sqlx::query(&$crate::sql(sqlite, "INSERT INTO credential_competencies (credential_id, code) VALUES ($1, $2)"))
                .bind(&c.id).bind(code)
                .execute(&mut *$tx).await?;
        }
    }};
}

/// Revokes `$old` (credentials read in transaction `$tx`) with a public "message": sets
/// their revocation bits and "message" values, and the `$extra` `(slot, value)` writes (a
/// re-issued badge's carried state), re-signs each list touched (locked, in id order),
/// revokes the rows and names the successor (`Some` for a supersession), with one audit
/// entry each (`credential.supersede`, or `credential.revoke` without a successor; the
/// private reason is in it, never in the outbox's payload).
macro_rules! supersede_in {
    ($tx:ident, $sqlite:ident, $old:expr, $successor:expr, $supersede:expr, $extra:expr) => {{
        let (old, successor, s): (&[$crate::CredentialRow], Option<&str>, &$crate::credentials::Supersession<'_>) = ($old, $successor, $supersede);
        let extra: &[($crate::StatusSlot, i64)] = $extra;
        let sqlite = $sqlite;
        let mut writes: std::collections::BTreeMap<String, Vec<(u32, i64)>> = Default::default();
        for (slot, value) in extra {
            writes.entry(slot.list.clone()).or_default().push((slot.index, *value));
        }
        for c in old {
            if let Some(slot) = &c.revocation {
                writes.entry(slot.list.clone()).or_default().push((slot.index, 1));
            }
            if let Some(slot) = &c.message {
                writes.entry(slot.list.clone()).or_default().push((slot.index, s.message));
            }
        }
        for (list_id, values) in &writes {
            let r = sqlx::query(&$crate::sql(sqlite, &format!("SELECT {} FROM status_lists WHERE id = $1 FOR UPDATE", $crate::status::LIST_COLUMNS)))
                .bind(list_id).fetch_optional(&mut *$tx).await?
                .ok_or_else(|| $crate::StoreError::NotFound($crate::Missing::StatusList(list_id.clone())))?;
            let list = $crate::status::list_from_row(&r)?;
            let (bits, document) = s.lists.rewrite_list(&list, values).map_err(|e| $crate::StoreError::ListSigning { list: list_id.clone(), source: e })?;
            sqlx::query(&$crate::sql(sqlite, "UPDATE status_lists SET bits = $1, document = $2, updated_at = $3 WHERE id = $4"))
                .bind(&bits).bind(&document).bind(s.at).bind(list_id).execute(&mut *$tx).await?;
        }
        for c in old {
            sqlx::query(&$crate::sql(sqlite, "UPDATE credentials SET revoked_at = $1, revocation_reason = $2, message_status = CASE WHEN message_list IS NULL THEN message_status ELSE $3 END, superseded_by = $4 WHERE id = $5"))
                .bind(s.at).bind(s.reason).bind(s.message).bind(successor).bind(&c.id)
                .execute(&mut *$tx).await?;
            let entry = $crate::AuditEntry {
                at: s.at,
                actor: s.actor.to_owned(),
                action: if successor.is_some() { "credential.supersede" } else { "credential.revoke" }.into(),
                subject: c.id.clone(),
                detail: serde_json::json!({"successor": successor, "kind": s.kind, "message": s.message, "reason": s.reason, "tier": c.tier, "specialization": c.specialization, "role": c.role, "partner": c.partner_id}),
            };
            audit!($tx, sqlite, &entry);
        }
    }};
}

/// Locks partner `$partner`'s row inside transaction `$tx` (SQLite: takes the database's
/// write lock), so changes to its badges take turns.
macro_rules! lock_partner {
    ($tx:ident, $sqlite:ident, $partner:expr) => {{
        let partner: &str = $partner;
        if $sqlite {
            sqlx::query("UPDATE partners SET name = name WHERE id = ?1")
                .bind(partner)
                .execute(&mut *$tx)
                .await?;
        } else {
            sqlx::query("SELECT id FROM partners WHERE id = $1 FOR UPDATE")
                .bind(partner)
                .fetch_optional(&mut *$tx)
                .await?;
        }
    }};
}

/// An issuance's expectation of the partner's newest badge for the role that is not revoked
/// ([`Store::record_issuance_superseding`]): what the caller decided on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected<'a> {
    /// Its id.
    pub id: &'a str,
    /// Whether it was suspended.
    pub suspended: bool,
}

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
    /// The credential that replaced this one (a renewal, an upgrade or downgrade, a
    /// re-issue), when it was superseded.
    pub superseded_by: Option<String>,
    /// The specialization a specialization badge is for (its `tier` is `None` then); `None`
    /// for tier badges and VC API credentials. A partner's badges for a role are superseded,
    /// renewed and lapse per specialization: a tier badge never replaces a specialization
    /// badge, nor the other way round.
    #[serde(default)]
    pub specialization: Option<String>,
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
    /// For this role.
    pub role: Option<String>,
    /// In this state.
    pub state: Option<CredentialState>,
    /// Specialization badges of this specialization.
    pub specialization: Option<String>,
}

/// The condition that a credential is for specialization `$3` (`''`: a tier badge), so a
/// partner's badges for a role are replaced per specialization.
const SAME_ACHIEVEMENT: &str = "COALESCE(specialization, '') = $3";

/// The columns written at issuance, in the order of its placeholders.
pub(crate) const CREDENTIAL_COLUMNS: &str = "id, approval_id, partner_id, tier, role, revocation_list, revocation_index, suspension_list, suspension_index, document, issued_at, valid_until, revoked_at, revocation_reason, suspended, message_list, message_index, message_status, specialization";

/// The columns read: those written at issuance and what changes later.
pub(crate) const CREDENTIAL_READ_COLUMNS: &str = "id, approval_id, partner_id, tier, role, revocation_list, revocation_index, suspension_list, suspension_index, document, issued_at, valid_until, revoked_at, revocation_reason, suspended, message_list, message_index, message_status, superseded_by, specialization";

pub(crate) fn credential_from_row<R: Row>(row: &R) -> Result<CredentialRow, sqlx::Error>
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
        superseded_by: row.try_get("superseded_by")?,
        specialization: row.try_get("specialization")?,
    })
}

/// The conditions of `filter` (partner, tier, state), shared by the lists of credentials.
pub(crate) fn filter_conditions(filter: &CredentialFilter) -> Conditions {
    let mut c = Conditions::default();
    if let Some(partner) = &filter.partner {
        let p = c.bind(Arg::Text(partner.clone()));
        c.push(format!("partner_id = {p}"));
    }
    if let Some(tier) = &filter.tier {
        let p = c.bind(Arg::Text(tier.clone()));
        c.push(format!("tier = {p}"));
    }
    if let Some(role) = &filter.role {
        let p = c.bind(Arg::Text(role.clone()));
        c.push(format!("role = {p}"));
    }
    if let Some(specialization) = &filter.specialization {
        let p = c.bind(Arg::Text(specialization.clone()));
        c.push(format!("specialization = {p}"));
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
    c
}

/// The distinct competency codes of an approval's record (`record.competencies`, strings).
pub(crate) fn competency_codes(approval: &Approval) -> Vec<&str> {
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
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            insert_issuance!(tx, sqlite, approval, credential);
            audit!(tx, sqlite, audit);
            tx.commit().await?;
            Ok(())
        })
    }

    /// Records a batch of first badges (bulk approvals, group-committed single approvals) in
    /// one transaction, one commit for all: the partners new with them inserted, every partner
    /// locked (in id order) and each found still without a badge for the role and
    /// specialization (none: a tier badge) (else [`StoreError::Changed`], also for two of the
    /// batch for one partner, role and specialization), then the
    /// approvals, credentials and audit entries inserted and, with a claim, each idempotency
    /// key marked (with its response, when given).
    /// Nothing is written when any of them fails.
    ///
    /// # Errors
    /// [`StoreError::Changed`] (a badge for a partner and role appeared meanwhile),
    /// [`StoreError::Conflict`] (a status index taken meanwhile),
    /// [`StoreError::IdempotencyLost`], or a database error.
    pub async fn record_first_issuances(
        &self,
        batch: &[BatchIssuance<'_>],
    ) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut partners: Vec<&str> = batch
            .iter()
            .map(|b| b.approval.partner_id.as_str())
            .collect();
        partners.sort_unstable();
        partners.dedup();
        // Two of the batch for one partner and role (and specialization) are a change too.
        let mut pairs = std::collections::HashSet::new();
        for b in batch {
            if !pairs.insert((
                b.approval.partner_id.as_str(),
                b.approval.role.as_str(),
                b.credential.specialization.as_deref().unwrap_or(""),
            )) {
                return Err(StoreError::Changed {
                    partner: b.approval.partner_id.clone(),
                    role: b.approval.role.clone(),
                    expected: None,
                    found: None,
                });
            }
        }
        // Few statements whatever the batch's size (multi-row INSERTs): on SQLite each
        // statement is a round trip to the database thread.
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            let created: Vec<_> = batch.iter().filter_map(|b| b.partner).collect();
            if !created.is_empty() {
                let mut q = sqlx::QueryBuilder::new("INSERT INTO partners (id, name, url, created_at, listed, name_key, contacts, url_key) ");
                q.push_values(&created, |mut r, (p, _)| {
                    r.push_bind(&p.id).push_bind(&p.name).push_bind(&p.url).push_bind(p.created_at).push_bind(p.listed)
                        .push_bind(crate::partners::name_key(&p.name)).push_bind(serde_json::json!(p.contacts).to_string())
                        .push_bind(crate::partners::url_key(&p.url));
                });
                q.build().execute(&mut *tx).await?;
            }
            // Lock the partners (in id order): approvals, re-issues and revocations of their
            // badges take turns.
            let mut lock = sqlx::QueryBuilder::new(if sqlite { "UPDATE partners SET name = name WHERE id IN (" } else { "SELECT id FROM partners WHERE id IN (" });
            let mut ids = lock.separated(", ");
            for p in &partners {
                ids.push_bind(*p);
            }
            lock.push(if sqlite { ")" } else { ") ORDER BY id FOR UPDATE" });
            lock.build().execute(&mut *tx).await?;
            let mut q = sqlx::QueryBuilder::new("SELECT partner_id, role, COALESCE(specialization, '') FROM credentials WHERE revoked_at IS NULL AND approval_id IS NOT NULL AND partner_id IN (");
            let mut ids = q.separated(", ");
            for p in &partners {
                ids.push_bind(*p);
            }
            q.push(")");
            for r in q.build().fetch_all(&mut *tx).await? {
                let (partner, role, special): (String, String, String) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
                if pairs.contains(&(partner.as_str(), role.as_str(), special.as_str())) {
                    return Err(StoreError::Changed { partner, role, expected: None, found: None });
                }
            }
            let mut q = sqlx::QueryBuilder::new("INSERT INTO approvals (id, partner_id, tier, role, record, approved_at, created_at) ");
            q.push_values(batch, |mut r, b| {
                let a = b.approval;
                r.push_bind(&a.id).push_bind(&a.partner_id).push_bind(&a.tier).push_bind(&a.role).push_bind(a.record.to_string()).push_bind(a.approved_at).push_bind(a.created_at);
            });
            q.build().execute(&mut *tx).await?;
            let list = |s: &Option<StatusSlot>| s.as_ref().map(|s| s.list.clone());
            let index = |s: &Option<StatusSlot>| s.as_ref().map(|s| i64::from(s.index));
            let mut q = sqlx::QueryBuilder::new(format!("INSERT INTO credentials ({CREDENTIAL_COLUMNS}, signed_by) "));
            q.push_values(batch, |mut r, b| {
                let c = b.credential;
                r.push_bind(&c.id).push_bind(&c.approval_id).push_bind(&c.partner_id).push_bind(&c.tier).push_bind(&c.role)
                    .push_bind(list(&c.revocation)).push_bind(index(&c.revocation))
                    .push_bind(list(&c.suspension)).push_bind(index(&c.suspension))
                    .push_bind(&c.document).push_bind(c.issued_at).push_bind(c.valid_until).push_bind(c.revoked_at).push_bind(&c.revocation_reason).push_bind(c.suspended)
                    .push_bind(list(&c.message)).push_bind(index(&c.message)).push_bind(c.message_status).push_bind(&c.specialization)
                    .push_bind(crate::signer_of(&c.document).unwrap_or_default());
            });
            q.build().execute(&mut *tx).await?;
            let codes: Vec<(&str, &str)> = batch.iter().flat_map(|b| competency_codes(b.approval).into_iter().map(|code| (b.credential.id.as_str(), code))).collect();
            if !codes.is_empty() {
                let mut q = sqlx::QueryBuilder::new("INSERT INTO credential_competencies (credential_id, code) ");
                q.push_values(&codes, |mut r, (id, code)| {
                    r.push_bind(*id).push_bind(*code);
                });
                q.build().execute(&mut *tx).await?;
            }
            let entries: Vec<&AuditEntry> = created.iter().map(|(_, e)| *e).chain(batch.iter().map(|b| b.audit)).collect();
            audit_many!(tx, sqlite, &entries);
            for b in batch {
                if let Some((mark, response)) = b.claim {
                    mark_committed!(tx, sqlite, mark, &b.credential.id, response);
                }
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Which of `indexes` are taken in status list `list` (by credentials of any purpose).
    ///
    /// # Errors
    /// A database error.
    pub async fn taken_among(&self, list: &str, indexes: &[i64]) -> Result<Vec<i64>, StoreError> {
        if indexes.is_empty() {
            return Ok(Vec::new());
        }
        with_pool!(self, pool, sqlite => {
            let _ = sqlite;
            let mut q = sqlx::QueryBuilder::new("");
            for (n, purpose) in ["revocation", "suspension", "message"].iter().enumerate() {
                if n > 0 {
                    q.push(" UNION ALL ");
                }
                q.push(format!("SELECT {purpose}_index FROM credentials WHERE {purpose}_list = "));
                q.push_bind(list);
                q.push(format!(" AND {purpose}_index IN ("));
                let mut each = q.separated(", ");
                for i in indexes {
                    each.push_bind(*i);
                }
                q.push(")");
            }
            let rows = q.build().fetch_all(pool).await?;
            Ok(rows.iter().map(|r| r.try_get::<i64, _>(0)).collect::<Result<_, _>>()?)
        })
    }

    /// A credential by id.
    ///
    /// # Errors
    /// A database error.
    pub async fn credential(&self, id: &str) -> Result<Option<CredentialRow>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let row = sqlx::query(&sql(sqlite, &format!("SELECT {CREDENTIAL_READ_COLUMNS} FROM credentials WHERE id = $1")))
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
        let mut c = filter_conditions(filter);
        if let Some(key) = page.start(Table::Credentials, "it")? {
            let at = c.bind(Arg::Int(key.int(0)));
            let id = c.bind(Arg::Text(key.text(1)));
            c.push(format!(
                "(issued_at < {at} OR (issued_at = {at} AND id > {id}))"
            ));
        }
        let rows = list_rows!(
            self,
            &mut c,
            page,
            format!("SELECT {CREDENTIAL_READ_COLUMNS} FROM credentials"),
            "issued_at DESC, id",
            |r| credential_from_row(r)?
        );
        Ok(Page::of(rows, page, Table::Credentials, |r| {
            Key(vec![Arg::Int(r.issued_at), Arg::Text(r.id.clone())])
        }))
    }
}

/// Rewrites a status list's bits and signs it again: what the store needs from the issuer
/// to change several entries of a list inside one of its transactions.
pub trait ListRewrite: Send + Sync {
    /// `list`'s bits with each `(index, value)` written, and the list credential signed
    /// again for them (JSON text).
    ///
    /// # Errors
    /// A value does not fit its entry, or signing failed.
    fn rewrite_list(
        &self,
        list: &crate::StatusListRow,
        values: &[(u32, i64)],
    ) -> Result<(Vec<u8>, String), crate::BoxError>;
}

/// A revocation with a public reason: what a new badge replaces (every other badge of the
/// partner for the role that is not revoked, normally one, revoked with its "message" set to
/// `message` and the new badge named as its successor, in the issuance's transaction), or a
/// badge withdrawn ([`Store::revoke_publicly`]).
pub struct Supersession<'a> {
    /// The private revocation reason written on each replaced badge.
    pub reason: &'a str,
    /// The "message" value each replaced badge gets (the issuer's "superseded").
    pub message: i64,
    /// Who did it, for the audit log.
    pub actor: &'a str,
    /// What replaced them, for the audit log (`renewal`, `upgrade`, `downgrade`,
    /// `reissue`, `certification`).
    pub kind: &'a str,
    /// Unix seconds.
    pub at: i64,
    /// Signs the changed status lists.
    pub lists: &'a dyn ListRewrite,
}

impl Store {
    /// Records a badge's issuance (as [`Store::record_issuance`]) and, in the same
    /// transaction, supersedes the partner's other badges for the same role (and the same
    /// specialization: `credential.specialization`, none for a tier badge) that are not
    /// revoked — when the newest of them is still `expected` (none: there is none), else
    /// [`StoreError::Changed`] and nothing is written. A `credential` issued suspended or with
    /// a "message" value (a re-issue keeping its badge's state) gets those bits too. Each
    /// superseded badge: their revocation bits set, their "message" entries (when they have one) set
    /// to `supersede.message`, both lists re-signed through `supersede.lists`, each row
    /// revoked with `supersede.reason` and `superseded_by` the new badge, and a
    /// `credential.supersede` audit entry each. The partner's row is locked first, so two
    /// approvals for one partner never leave two current badges for a role.
    ///
    /// Returns the superseded credentials as they were before.
    ///
    /// # Errors
    /// As [`Store::record_issuance`]; [`StoreError::ListSigning`] when re-signing a list
    /// failed. Nothing is written then.
    pub async fn record_issuance_superseding(
        &self,
        approval: &Approval,
        credential: &CredentialRow,
        audit: &AuditEntry,
        supersede: &Supersession<'_>,
        expected: Option<&Expected<'_>>,
    ) -> Result<Vec<CredentialRow>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            // Lock the partner: approvals, re-issues and revocations of its badges take turns.
            lock_partner!(tx, sqlite, &approval.partner_id);
            let rows = sqlx::query(&sql(sqlite, &format!("SELECT {CREDENTIAL_READ_COLUMNS} FROM credentials WHERE partner_id = $1 AND role = $2 AND {SAME_ACHIEVEMENT} AND revoked_at IS NULL AND approval_id IS NOT NULL ORDER BY issued_at, id")))
                .bind(&approval.partner_id).bind(&approval.role).bind(credential.specialization.as_deref().unwrap_or("")).fetch_all(&mut *tx).await?;
            let old = rows.iter().map(credential_from_row).collect::<Result<Vec<_>, _>>()?;
            // What the caller decided on (a renewal of this badge, a re-issue of that one)
            // must still be so now that the partner is locked.
            let found = old.last().map(|c| (c.id.as_str(), c.suspended));
            if found != expected.map(|e| (e.id, e.suspended)) {
                return Err(StoreError::Changed {
                    partner: approval.partner_id.clone(),
                    role: approval.role.clone(),
                    expected: expected.map(|e| e.id.to_owned()),
                    found: found.map(|(id, _)| id.to_owned()),
                });
            }
            insert_issuance!(tx, sqlite, Some(approval), credential);
            audit!(tx, sqlite, audit);
            // The new badge's carried state (a re-issue keeps a suspension and the message).
            let mut extra = Vec::new();
            if let (true, Some(slot)) = (credential.suspended, &credential.suspension) {
                extra.push((slot.clone(), 1));
            }
            if let (Some(slot), v) = (&credential.message, credential.message_status) {
                if v != 0 {
                    extra.push((slot.clone(), v));
                }
            }
            supersede_in!(tx, sqlite, &old, Some(&credential.id), supersede, &extra);
            // A re-issue keeps its badge's validity: the reminders already sent for it count
            // for the new one too (sent once per badge and threshold).
            if supersede.kind == "reissue" {
                if let Some(previous) = expected {
                    sqlx::query(&sql(sqlite, "INSERT INTO reminders (credential_id, days, at) SELECT $1, days, at FROM reminders WHERE credential_id = $2 ON CONFLICT DO NOTHING"))
                        .bind(&credential.id).bind(previous.id)
                        .execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
            Ok(old)
        })
    }

    /// Supersedes, by `keep`, every other badge of its partner for its role that is not
    /// revoked, as [`Store::record_issuance_superseding`] does: for badges that coexist from
    /// before supersession existed. Returns those superseded.
    ///
    /// # Errors
    /// [`StoreError::ListSigning`], or a database error; nothing is written then.
    pub async fn supersede_others(
        &self,
        keep: &CredentialRow,
        supersede: &Supersession<'_>,
    ) -> Result<Vec<CredentialRow>, StoreError> {
        let (Some(partner), Some(role)) = (&keep.partner_id, &keep.role) else {
            return Ok(Vec::new());
        };
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            lock_partner!(tx, sqlite, partner);
            let rows = sqlx::query(&sql(sqlite, &format!("SELECT {CREDENTIAL_READ_COLUMNS} FROM credentials WHERE partner_id = $1 AND role = $2 AND {SAME_ACHIEVEMENT} AND revoked_at IS NULL AND approval_id IS NOT NULL AND id <> $4 ORDER BY issued_at, id")))
                .bind(partner).bind(role).bind(keep.specialization.as_deref().unwrap_or("")).bind(&keep.id).fetch_all(&mut *tx).await?;
            let old = rows.iter().map(credential_from_row).collect::<Result<Vec<_>, _>>()?;
            supersede_in!(tx, sqlite, &old, Some(&keep.id), supersede, &[]);
            tx.commit().await?;
            Ok(old)
        })
    }

    /// Revokes credential `id` (unless it is revoked already) for the private
    /// `revocation.reason`, setting its "message" entry, when it has one, to
    /// `revocation.message` (the public reason), both lists re-signed, in one transaction
    /// with a `credential.revoke` audit entry. Returns the credential as it was before, or
    /// `None` when it was revoked already.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown credential, [`StoreError::ListSigning`], or a
    /// database error; nothing is written then.
    pub async fn revoke_publicly(
        &self,
        id: &str,
        revocation: &Supersession<'_>,
    ) -> Result<Option<CredentialRow>, StoreError> {
        let read = format!("SELECT {CREDENTIAL_READ_COLUMNS} FROM credentials WHERE id = $1");
        let missing = || StoreError::NotFound(crate::Missing::Credential(id.to_owned()));
        let partner = self.credential(id).await?.ok_or_else(missing)?.partner_id;
        with_pool!(self, pool, sqlite => {
            let mut tx = pool.begin().await?;
            // The partner first, as approvals and re-issues lock it (then the lists, then the
            // rows): one lock order, so none of them deadlocks with another.
            match &partner {
                Some(partner) => lock_partner!(tx, sqlite, partner),
                // SQLite: take the write lock now, so the read below cannot go stale.
                None if sqlite => {
                    sqlx::query("UPDATE credentials SET id = id WHERE id = ?1").bind(id).execute(&mut *tx).await?;
                }
                None => {}
            }
            let row = sqlx::query(&sql(sqlite, &read))
                .bind(id).fetch_optional(&mut *tx).await?
                .ok_or_else(missing)?;
            let row = credential_from_row(&row)?;
            if row.revoked_at.is_some() {
                return Ok(None);
            }
            supersede_in!(tx, sqlite, std::slice::from_ref(&row), None, revocation, &[]);
            tx.commit().await?;
            Ok(Some(row))
        })
    }

    /// Partners with more than one badge for a role (and specialization: `None` for tier
    /// badges) that is not revoked: `(partner, role, specialization)`, for
    /// [`Store::supersede_others`].
    ///
    /// # Errors
    /// A database error.
    pub async fn coexisting_badges(
        &self,
    ) -> Result<Vec<(String, String, Option<String>)>, StoreError> {
        with_pool!(self, pool, _sqlite => {
            let rows = sqlx::query("SELECT partner_id, role, specialization FROM credentials WHERE revoked_at IS NULL AND approval_id IS NOT NULL AND partner_id IS NOT NULL AND role IS NOT NULL GROUP BY partner_id, role, specialization HAVING COUNT(*) > 1 ORDER BY partner_id, role, specialization")
                .fetch_all(pool).await?;
            rows.iter().map(|r| Ok((r.try_get("partner_id")?, r.try_get("role")?, r.try_get("specialization")?))).collect()
        })
    }

    /// The newest tier badge of a partner for a role that is not revoked (current, expired
    /// or lapsed), if any: [`Store::latest_badge_of`] without a specialization.
    ///
    /// # Errors
    /// A database error.
    pub async fn latest_badge(
        &self,
        partner: &str,
        role: &str,
    ) -> Result<Option<CredentialRow>, StoreError> {
        self.latest_badge_of(partner, role, None).await
    }

    /// The newest badge of a partner for a role and `specialization` (`None`: its tier
    /// badges) that is not revoked (current, expired or lapsed), if any.
    ///
    /// # Errors
    /// A database error.
    pub async fn latest_badge_of(
        &self,
        partner: &str,
        role: &str,
        specialization: Option<&str>,
    ) -> Result<Option<CredentialRow>, StoreError> {
        with_pool!(self, pool, sqlite => {
            let row = sqlx::query(&sql(sqlite, &format!("SELECT {CREDENTIAL_READ_COLUMNS} FROM credentials WHERE partner_id = $1 AND role = $2 AND {SAME_ACHIEVEMENT} AND revoked_at IS NULL AND approval_id IS NOT NULL ORDER BY issued_at DESC, id DESC LIMIT 1")))
                .bind(partner).bind(role).bind(specialization.unwrap_or("")).fetch_optional(pool).await?;
            Ok(row.as_ref().map(credential_from_row).transpose()?)
        })
    }
}
