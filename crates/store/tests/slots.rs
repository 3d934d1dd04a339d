//! Status slots are unique, and a database from before migration 0003 whose credentials share
//! "message" slots is repaired on migrate: the same scenarios on SQLite and, when
//! HALLMARK_TEST_POSTGRES_URL names a server, on PostgreSQL (a fresh database per test).

mod common;

use std::sync::Mutex;

use common::{execute, fresh};
use hallmark_store::{
    AuditEntry, AuditFilter, BoxError, CredentialRow, PageRequest, SlotMove, SlotRepair,
    StatusListRow, StatusPurpose, StatusSlot, Store, StoreError,
};
use serde_json::{json, Value};

/// Puts the database back as it was before migration 0003, when nothing kept two
/// credentials off one "message" slot.
async fn without_unique_message_slots(store: &Store) {
    execute(store, "DROP INDEX credentials_message_slot").await;
    execute(store, "DELETE FROM _sqlx_migrations WHERE version = 3").await;
}

const LIST: &str = "message-2bit-1";

fn list() -> StatusListRow {
    StatusListRow {
        id: LIST.into(),
        purpose: StatusPurpose::Message,
        entries: 8,
        status_size: 2,
        // One byte per entry: this test's repair does not pack bits.
        bits: vec![0; 8],
        document: "{}".into(),
        updated_at: 0,
    }
}

fn credential(
    id: &str,
    issued_at: i64,
    message: Option<(&str, u32)>,
    status: i64,
) -> CredentialRow {
    CredentialRow {
        id: id.into(),
        approval_id: None,
        partner_id: None,
        tier: None,
        role: None,
        revocation: None,
        suspension: None,
        document: json!({"index": message.map(|m| m.1)}).to_string(),
        issued_at,
        valid_until: None,
        revoked_at: None,
        revocation_reason: None,
        suspended: false,
        message: message.map(|(l, i)| StatusSlot::new(l, i)),
        message_status: status,
        superseded_by: None,
        specialization: None,
    }
}

fn issue_audit(id: &str) -> AuditEntry {
    AuditEntry {
        at: 0,
        actor: "test".into(),
        action: "credential.issue".into(),
        subject: id.into(),
        detail: json!({}),
    }
}

/// A repair that "signs" by writing JSON, with scripted index draws.
struct Scripted {
    draws: Mutex<Vec<u32>>,
}

impl SlotRepair for Scripted {
    fn draw_index(&self, entries: i64) -> Result<u32, BoxError> {
        let mut draws = self.draws.lock().unwrap();
        assert!(!draws.is_empty(), "more draws than scripted");
        let i = draws.remove(0);
        assert!(i64::from(i) < entries);
        Ok(i)
    }

    fn move_credential(
        &self,
        document: &str,
        from: &StatusSlot,
        to: &StatusSlot,
    ) -> Result<String, BoxError> {
        let doc: Value = serde_json::from_str(document).unwrap();
        assert_eq!(doc["index"], from.index, "the entry being moved");
        assert_eq!(from.list, LIST);
        assert_eq!(to.list, LIST);
        Ok(json!({"index": to.index, "resigned": true}).to_string())
    }

    fn rewrite_list(
        &self,
        list: &StatusListRow,
        values: &[(u32, i64)],
    ) -> Result<(Vec<u8>, String), BoxError> {
        let mut bits = list.bits.clone();
        for &(i, v) in values {
            bits[usize::try_from(i).unwrap()] = u8::try_from(v).unwrap();
        }
        Ok((bits.clone(), json!({"bits": bits}).to_string()))
    }
}

async fn slot_of(store: &Store, id: &str) -> (Option<(String, i64)>, Value) {
    let row = store.credential(id).await.unwrap().unwrap();
    (
        row.message.map(|s| (s.list, i64::from(s.index))),
        serde_json::from_str(&row.document).unwrap(),
    )
}

on_both!(shared_message_slots_are_moved_on_migrate_with_audit_entries);
async fn shared_message_slots_are_moved_on_migrate_with_audit_entries(postgres: bool) {
    let Some(store) = fresh(postgres).await else {
        return;
    };
    store.migrate().await.unwrap();
    without_unique_message_slots(&store).await;
    store.ensure_status_list(&list()).await.unwrap();
    // Three credentials on index 5 (the oldest is "a"), one alone on index 6; the list's
    // bit at 5 holds whichever message was set last ("c"'s, 3).
    for (id, at, index, status) in [
        ("b", 200, 5, 2),
        ("a", 100, 5, 1),
        ("c", 300, 5, 3),
        ("d", 50, 6, 1),
    ] {
        store
            .record_issuance(
                None,
                &credential(id, at, Some((LIST, index)), status),
                &issue_audit(id),
            )
            .await
            .unwrap();
    }
    let mut bits = vec![0u8; 8];
    bits[5] = 3;
    bits[6] = 1;
    store.update_status_document(LIST, "{}", 0).await.unwrap();
    execute_bits(&store, &bits).await;

    // Without the issuer's keys the schema stops short, naming the problem.
    let err = store.migrate().await.unwrap_err();
    assert!(matches!(err, StoreError::SharedStatusSlots(2)), "{err}");
    assert!(err.to_string().contains("hallmark serve"), "{err}");

    // Draws: the shared index itself, then one taken by "d", then free ones.
    let repair = Scripted {
        draws: Mutex::new(vec![5, 6, 2, 3]),
    };
    let moves = store.migrate_repairing(&repair, 1_000).await.unwrap();
    assert_eq!(
        moves,
        vec![
            SlotMove {
                credential: "b".into(),
                kept: "a".into(),
                from: StatusSlot::new(LIST, 5),
                to: StatusSlot::new(LIST, 2),
                status: 2
            },
            SlotMove {
                credential: "c".into(),
                kept: "a".into(),
                from: StatusSlot::new(LIST, 5),
                to: StatusSlot::new(LIST, 3),
                status: 3
            },
        ]
    );
    assert_eq!(
        slot_of(&store, "a").await,
        (Some((LIST.into(), 5)), json!({"index": 5}))
    );
    assert_eq!(
        slot_of(&store, "b").await,
        (
            Some((LIST.into(), 2)),
            json!({"index": 2, "resigned": true})
        )
    );
    assert_eq!(
        slot_of(&store, "c").await,
        (
            Some((LIST.into(), 3)),
            json!({"index": 3, "resigned": true})
        )
    );
    assert_eq!(
        slot_of(&store, "d").await,
        (Some((LIST.into(), 6)), json!({"index": 6}))
    );
    // Each value where its credential now is; the kept one's back at the shared index.
    let row = store.status_list(LIST).await.unwrap().unwrap();
    assert_eq!(row.bits, vec![0, 0, 2, 3, 0, 1, 1, 0]);
    assert_eq!(row.document, json!({"bits": row.bits}).to_string());
    assert_eq!(row.updated_at, 1_000);

    // Each move is in the audit log.
    let audit = store
        .audit_log(&AuditFilter::default(), &PageRequest::first(10))
        .await
        .unwrap()
        .items;
    let moved: Vec<&AuditEntry> = audit
        .iter()
        .filter(|e| e.action == "credential.status.move")
        .collect();
    assert_eq!(moved.len(), 2, "{audit:?}");
    for (e, (id, to)) in moved.iter().rev().zip([("b", 2), ("c", 3)]) {
        assert_eq!(e.actor, "system");
        assert_eq!(e.subject, id);
        assert_eq!(e.at, 1_000);
        assert_eq!(e.detail["list"], LIST);
        assert_eq!(e.detail["from"], 5);
        assert_eq!(e.detail["to"], to);
        assert_eq!(e.detail["kept"], "a");
    }

    // The constraint is in place now: a second credential on a slot is a conflict.
    let err = store
        .record_issuance(
            None,
            &credential("e", 400, Some((LIST, 2)), 0),
            &issue_audit("e"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    // Migrating again moves nothing, and plain migrate is content.
    let again = Scripted {
        draws: Mutex::new(vec![]),
    };
    assert_eq!(
        store.migrate_repairing(&again, 2_000).await.unwrap(),
        vec![]
    );
    store.migrate().await.unwrap();
}

/// Writes the list's bits directly, as an old issuer's last status change left them.
async fn execute_bits(store: &Store, bits: &[u8]) {
    match store {
        Store::Sqlite(pool) => sqlx::query("UPDATE status_lists SET bits = ?1 WHERE id = ?2")
            .bind(bits)
            .bind(LIST)
            .execute(pool)
            .await
            .map(|_| ()),
        Store::Postgres(pool) => sqlx::query("UPDATE status_lists SET bits = $1 WHERE id = $2")
            .bind(bits)
            .bind(LIST)
            .execute(pool)
            .await
            .map(|_| ()),
    }
    .unwrap();
}

on_both!(every_status_slot_holds_one_credential);
async fn every_status_slot_holds_one_credential(postgres: bool) {
    let Some(store) = fresh(postgres).await else {
        return;
    };
    store.migrate().await.unwrap();
    store.ensure_status_list(&list()).await.unwrap();
    let first = CredentialRow {
        revocation: Some(StatusSlot::new("revocation-1", 7)),
        suspension: Some(StatusSlot::new("suspension-1", 7)),
        ..credential("first", 1, Some((LIST, 7)), 0)
    };
    store
        .record_issuance(None, &first, &issue_audit("first"))
        .await
        .unwrap();
    let base = credential("second", 2, None, 0);
    for (purpose, second) in [
        (
            "revocation",
            CredentialRow {
                revocation: Some(StatusSlot::new("revocation-1", 7)),
                ..base.clone()
            },
        ),
        (
            "suspension",
            CredentialRow {
                suspension: Some(StatusSlot::new("suspension-1", 7)),
                ..base.clone()
            },
        ),
        ("message", credential("second", 2, Some((LIST, 7)), 0)),
    ] {
        let err = store
            .record_issuance(None, &second, &issue_audit("second"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Conflict { .. }),
            "{purpose}: {err}"
        );
    }
    // Nothing of the refused issuances was written.
    assert!(store.credential("second").await.unwrap().is_none());
    // Credentials without a message entry do not collide with each other.
    for id in ["x", "y"] {
        store
            .record_issuance(None, &credential(id, 3, None, 0), &issue_audit(id))
            .await
            .unwrap();
    }
}
