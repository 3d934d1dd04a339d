//! What the store's tests share: fresh databases on SQLite and, when
//! HALLMARK_TEST_POSTGRES_URL names a server, on PostgreSQL (a fresh database per test).
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};

use hallmark_store::{AuditEntry, CredentialRow, Store};
use serde_json::json;

/// A name no other test run uses.
pub fn unique(tag: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{tag}_{}_{nanos}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The PostgreSQL server's URL, or None outside CI when it is not set.
pub fn postgres_url() -> Option<String> {
    hallmark_testkit::postgres_admin_url()
}

/// A fresh database, not yet migrated; None for PostgreSQL without a server (outside CI).
pub async fn fresh(postgres: bool) -> Option<Store> {
    if !postgres {
        let path = std::env::temp_dir().join(format!("{}.db", unique("hallmark_store")));
        return Some(
            Store::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap(),
        );
    }
    let admin = postgres_url()?;
    let name = unique("hallmark_store_test");
    let store = Store::connect(&admin).await.unwrap();
    execute(&store, &format!("CREATE DATABASE {name}")).await;
    store.close().await;
    let base = admin.rsplit_once('/').unwrap().0;
    Some(Store::connect(&format!("{base}/{name}")).await.unwrap())
}

/// A fresh, migrated database.
pub async fn migrated(postgres: bool) -> Option<Store> {
    let store = fresh(postgres).await?;
    store.migrate().await.unwrap();
    Some(store)
}

/// Runs `sql` on whichever backend.
pub async fn execute(store: &Store, sql: &str) {
    match store {
        Store::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
        Store::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
    }
    .unwrap();
}

/// A credential without status slots, issued at `issued_at`.
pub fn bare_credential(id: &str, issued_at: i64) -> CredentialRow {
    CredentialRow {
        id: id.into(),
        approval_id: None,
        partner_id: None,
        tier: None,
        role: None,
        revocation: None,
        suspension: None,
        document: "{}".into(),
        issued_at,
        valid_until: None,
        revoked_at: None,
        revocation_reason: None,
        suspended: false,
        message: None,
        message_status: 0,
        superseded_by: None,
        specialization: None,
    }
}

/// An audit entry for `action` on `subject` by `actor`.
pub fn entry(actor: &str, action: &str, subject: &str) -> AuditEntry {
    AuditEntry {
        at: 0,
        actor: actor.into(),
        action: action.into(),
        subject: subject.into(),
        detail: json!({}),
    }
}

/// `$name(postgres: bool)` as two tests, `$name::sqlite` and `$name::postgres`.
#[macro_export]
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(false).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(true).await
            }
        }
    };
}
