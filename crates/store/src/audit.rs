//! The audit log: an entry is appended in the same transaction as the change it records
//! (the `audit!` macro in lib.rs, used by every writing module), and read newest first.

use sqlx::Row;

use crate::page::{Arg, Conditions, Key};
use crate::{Page, PageRequest, Store, StoreError, Table};

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    /// Unix seconds.
    pub at: i64,
    /// Who (a token's name, or `system`).
    pub actor: String,
    /// What (`partner.create`, `credential.issue`, `credential.revoke`, …).
    pub action: String,
    /// On what (an id).
    pub subject: String,
    /// Details, JSON.
    pub detail: serde_json::Value,
}

/// Which entries [`Store::audit_log`] lists: those matching every filter that is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// By this actor.
    pub actor: Option<String>,
    /// Of this action.
    pub action: Option<String>,
    /// On this subject.
    pub subject: Option<String>,
    /// Written before this time (Unix seconds, exclusive).
    pub before: Option<i64>,
    /// Written at or after this time (Unix seconds).
    pub after: Option<i64>,
}

impl Store {
    /// A page of the audit entries that match `filter`, newest first (in the order they
    /// were written).
    ///
    /// # Errors
    /// [`StoreError::InvalidCursor`] for a cursor that is not one of this list's, or a
    /// database error.
    pub async fn audit_log(
        &self,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>, StoreError> {
        let mut c = Conditions::default();
        for (column, value) in [
            ("actor", &filter.actor),
            ("action", &filter.action),
            ("subject", &filter.subject),
        ] {
            if let Some(value) = value {
                let p = c.bind(Arg::Text(value.clone()));
                c.push(format!("{column} = {p}"));
            }
        }
        if let Some(before) = filter.before {
            let p = c.bind(Arg::Int(before));
            c.push(format!("at < {p}"));
        }
        if let Some(after) = filter.after {
            let p = c.bind(Arg::Int(after));
            c.push(format!("at >= {p}"));
        }
        if let Some(key) = page.start(Table::AuditLog, "i")? {
            let id = c.bind(Arg::Int(key.int(0)));
            c.push(format!("id < {id}"));
        }
        let rows = list_rows!(
            self,
            &mut c,
            page,
            "SELECT id, at, actor, action, subject, detail FROM audit_log",
            "id DESC",
            |r| {
                let id: i64 = r.try_get("id")?;
                let detail: String = r.try_get("detail")?;
                let entry = AuditEntry {
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    subject: r.try_get("subject")?,
                    detail: serde_json::from_str(&detail)
                        .unwrap_or(serde_json::Value::String(detail)),
                };
                (id, entry)
            }
        );
        let page = Page::of(rows, page, Table::AuditLog, |(id, _)| {
            Key(vec![Arg::Int(*id)])
        });
        Ok(Page {
            items: page.items.into_iter().map(|(_, e)| e).collect(),
            next: page.next,
        })
    }
}
