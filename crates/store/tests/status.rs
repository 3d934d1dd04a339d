//! Typed status slots (a list and an index, with the purpose where it matters), and status
//! changes that each write their own columns and nothing else: on SQLite and, when
//! HALLMARK_TEST_POSTGRES_URL names a server, on PostgreSQL.

mod common;

use common::{bare_credential, entry, execute, migrated};
use hallmark_store::{
    Approval, AuditFilter, CredentialRow, Missing, PageRequest, Partner, StatusChange,
    StatusListRow, StatusPurpose, StatusSlot, Store, StoreError, Table, Taken, TokenRow,
};
use serde_json::json;

fn list(id: &str, purpose: StatusPurpose) -> StatusListRow {
    StatusListRow {
        id: id.into(),
        purpose,
        entries: 16,
        status_size: if purpose == StatusPurpose::Message {
            2
        } else {
            1
        },
        bits: vec![0; 4],
        document: "{}".into(),
        updated_at: 0,
    }
}

/// A credential holding index `index` of each list.
fn with_slots(id: &str, index: u32) -> CredentialRow {
    CredentialRow {
        revocation: Some(StatusSlot::new("revocation-1", index)),
        suspension: Some(StatusSlot::new("suspension-1", index)),
        message: Some(StatusSlot::new("message-2bit-1", index)),
        message_status: 2,
        superseded_by: None,
        ..bare_credential(id, 100)
    }
}

async fn audit_count(store: &Store) -> usize {
    store
        .audit_log(&AuditFilter::default(), &PageRequest::first(1000))
        .await
        .unwrap()
        .items
        .len()
}

on_both!(slots_read_back_typed_and_conflicts_say_what_was_taken);
async fn slots_read_back_typed_and_conflicts_say_what_was_taken(postgres: bool) {
    let Some(store) = migrated(postgres).await else {
        return;
    };
    let first = with_slots("first", 7);
    store
        .record_issuance(None, &first, &entry("t", "credential.issue", "first"))
        .await
        .unwrap();
    let read = store.credential("first").await.unwrap().unwrap();
    assert_eq!(read, first);
    assert_eq!(
        read.message,
        Some(StatusSlot {
            list: "message-2bit-1".into(),
            index: 7
        })
    );

    // A slot taken is a conflict naming the purpose of the slot.
    for (purpose, second) in [
        (
            StatusPurpose::Revocation,
            CredentialRow {
                revocation: Some(StatusSlot::new("revocation-1", 7)),
                ..bare_credential("second", 1)
            },
        ),
        (
            StatusPurpose::Suspension,
            CredentialRow {
                suspension: Some(StatusSlot::new("suspension-1", 7)),
                ..bare_credential("second", 1)
            },
        ),
        (
            StatusPurpose::Message,
            CredentialRow {
                message: Some(StatusSlot::new("message-2bit-1", 7)),
                ..bare_credential("second", 1)
            },
        ),
    ] {
        let err = store
            .record_issuance(None, &second, &entry("t", "credential.issue", "second"))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Conflict { taken: Taken::StatusSlot(p), .. } if *p == purpose),
            "{purpose}: {err:?}"
        );
    }
    // The same index of another list is free.
    store
        .record_issuance(
            None,
            &CredentialRow {
                revocation: Some(StatusSlot::new("revocation-2", 7)),
                ..bare_credential("second", 1)
            },
            &entry("t", "credential.issue", "second"),
        )
        .await
        .unwrap();

    // Other conflicts say what they are about too.
    let err = store
        .record_issuance(
            None,
            &bare_credential("first", 1),
            &entry("t", "credential.issue", "first"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            StoreError::Conflict {
                taken: Taken::Id(Table::Credentials),
                ..
            }
        ),
        "{err:?}"
    );
    let partner = Partner {
        id: "p".into(),
        name: "P".into(),
        url: "https://p.example/".into(),
        created_at: 1,
        listed: false,
        contacts: Vec::new(),
    };
    store
        .create_partner(&partner, &entry("t", "partner.create", "p"))
        .await
        .unwrap();
    // The same id (with another URL: one partner per URL is a conflict of its own).
    let same_id = Partner {
        url: "https://other.example/".into(),
        ..partner.clone()
    };
    let err = store
        .create_partner(&same_id, &entry("t", "partner.create", "p"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            StoreError::Conflict {
                taken: Taken::Id(Table::Partners),
                ..
            }
        ),
        "{err:?}"
    );
    let approval = Approval {
        id: "a".into(),
        partner_id: "p".into(),
        tier: "gold".into(),
        role: "r".into(),
        record: json!({}),
        approved_at: 1,
        created_at: 1,
    };
    store
        .record_issuance(
            Some(&approval),
            &CredentialRow {
                approval_id: Some("a".into()),
                ..bare_credential("for-a", 1)
            },
            &entry("t", "credential.issue", "for-a"),
        )
        .await
        .unwrap();
    // A second credential for the same approval (without writing the approval again).
    let err = store
        .record_issuance(
            None,
            &CredentialRow {
                approval_id: Some("a".into()),
                ..bare_credential("for-a-again", 1)
            },
            &entry("t", "credential.issue", "for-a-again"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            StoreError::Conflict {
                taken: Taken::ApprovalCredential,
                ..
            }
        ),
        "{err:?}"
    );
    let token = |id: &str| TokenRow {
        id: id.into(),
        name: "n".into(),
        hash: "ab".repeat(32),
        role: hallmark_store::Role::Admin,
        created_at: 1,
        revoked_at: None,
    };
    store
        .create_token(&token("t1"), &entry("cli", "token.create", "t1"))
        .await
        .unwrap();
    let err = store
        .create_token(&token("t2"), &entry("cli", "token.create", "t2"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            StoreError::Conflict {
                taken: Taken::TokenHash,
                ..
            }
        ),
        "{err:?}"
    );
}

on_both!(a_stored_index_out_of_range_is_an_error_not_a_panic);
async fn a_stored_index_out_of_range_is_an_error_not_a_panic(postgres: bool) {
    let Some(store) = migrated(postgres).await else {
        return;
    };
    store
        .record_issuance(
            None,
            &with_slots("c", 3),
            &entry("t", "credential.issue", "c"),
        )
        .await
        .unwrap();
    for bad in [
        "UPDATE credentials SET message_index = -1",
        "UPDATE credentials SET message_index = 4294967296",
        "UPDATE credentials SET message_index = NULL",
    ] {
        execute(&store, bad).await;
        let err = store.credential("c").await.unwrap_err();
        assert!(matches!(err, StoreError::Database(_)), "{bad}: {err:?}");
        assert!(err.to_string().contains("message_index"), "{bad}: {err}");
    }
    store
        .ensure_status_list(&list("revocation-1", StatusPurpose::Revocation))
        .await
        .unwrap();
    execute(&store, "UPDATE status_lists SET purpose = 'refresh'").await;
    let err = store.status_list("revocation-1").await.unwrap_err();
    assert!(err.to_string().contains("purpose"), "{err}");
}

on_both!(each_status_change_writes_its_own_columns_only);
async fn each_status_change_writes_its_own_columns_only(postgres: bool) {
    let Some(store) = migrated(postgres).await else {
        return;
    };
    for (id, purpose) in [
        ("revocation-1", StatusPurpose::Revocation),
        ("suspension-1", StatusPurpose::Suspension),
        ("message-2bit-1", StatusPurpose::Message),
    ] {
        store.ensure_status_list(&list(id, purpose)).await.unwrap();
        assert_eq!(
            store.status_list(id).await.unwrap().unwrap().purpose,
            purpose
        );
    }
    let c = with_slots("c", 3);
    let other = with_slots("other", 4);
    for row in [&c, &other] {
        store
            .record_issuance(None, row, &entry("t", "credential.issue", &row.id))
            .await
            .unwrap();
    }
    // Each change: the new bits are written with the new document, and the credential's
    // columns for that change only.
    let mut expected = c.clone();
    let steps: [(StatusChange, &StatusSlot, i64, u8); 4] = [
        (StatusChange::Suspend, c.suspension.as_ref().unwrap(), 10, 1),
        (
            StatusChange::Reinstate,
            c.suspension.as_ref().unwrap(),
            20,
            2,
        ),
        (
            StatusChange::Message { status: 3 },
            c.message.as_ref().unwrap(),
            30,
            3,
        ),
        (
            StatusChange::Revoke {
                reason: "contract ended".into(),
            },
            c.revocation.as_ref().unwrap(),
            40,
            4,
        ),
    ];
    for (change, slot, now, marker) in steps {
        let before = audit_count(&store).await;
        store
            .change_status(
                "c",
                slot,
                &change,
                now,
                |mut bits: Vec<u8>| {
                    bits[0] = marker;
                    Ok((bits, format!("signed {marker}")))
                },
                &entry("t", "credential.change", "c"),
            )
            .await
            .unwrap();
        match &change {
            StatusChange::Suspend => expected.suspended = true,
            StatusChange::Reinstate => expected.suspended = false,
            StatusChange::Message { status } => expected.message_status = *status,
            StatusChange::Revoke { reason } => {
                expected.revoked_at = Some(now);
                expected.revocation_reason = Some(reason.clone());
            }
        }
        assert_eq!(
            store.credential("c").await.unwrap().unwrap(),
            expected,
            "{change:?}"
        );
        let written = store.status_list(&slot.list).await.unwrap().unwrap();
        assert_eq!(written.bits[0], marker, "{change:?}");
        assert_eq!(written.document, format!("signed {marker}"));
        assert_eq!(written.updated_at, now);
        assert_eq!(audit_count(&store).await, before + 1, "{change:?}");
    }
    // The other credential on the same lists was not touched.
    assert_eq!(store.credential("other").await.unwrap().unwrap(), other);

    // A slot the credential does not hold (another index, or another purpose's list), an
    // unknown credential, an unknown list, a failing update: typed errors, nothing written.
    let lists_before = [
        store.status_list("revocation-1").await.unwrap(),
        store.status_list("suspension-1").await.unwrap(),
    ];
    let audit_before = audit_count(&store).await;
    let fails = |id: &'static str, slot: StatusSlot, change: StatusChange| {
        let store = store.clone();
        async move {
            store
                .change_status(
                    id,
                    &slot,
                    &change,
                    99,
                    |bits: Vec<u8>| Ok((vec![0xff; bits.len()], "x".into())),
                    &entry("t", "credential.change", id),
                )
                .await
                .unwrap_err()
        }
    };
    let err = fails(
        "other",
        StatusSlot::new("suspension-1", 5),
        StatusChange::Suspend,
    )
    .await;
    assert!(
        matches!(&err, StoreError::NotFound(Missing::CredentialSlot { credential, purpose: StatusPurpose::Suspension, slot })
            if credential == "other" && *slot == StatusSlot::new("suspension-1", 5)),
        "{err:?}"
    );
    let err = fails(
        "other",
        StatusSlot::new("suspension-1", 4),
        StatusChange::Revoke { reason: "r".into() },
    )
    .await;
    assert!(
        matches!(
            &err,
            StoreError::NotFound(Missing::CredentialSlot {
                purpose: StatusPurpose::Revocation,
                ..
            })
        ),
        "{err:?}"
    );
    let err = fails(
        "nobody",
        StatusSlot::new("revocation-1", 4),
        StatusChange::Revoke { reason: "r".into() },
    )
    .await;
    assert!(
        matches!(&err, StoreError::NotFound(Missing::Credential(id)) if id == "nobody"),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "not found: credential nobody");
    let err = fails(
        "other",
        StatusSlot::new("revocation-9", 4),
        StatusChange::Revoke { reason: "r".into() },
    )
    .await;
    assert!(
        matches!(&err, StoreError::NotFound(Missing::StatusList(id)) if id == "revocation-9"),
        "{err:?}"
    );
    let err = store
        .change_status(
            "other",
            other.revocation.as_ref().unwrap(),
            &StatusChange::Revoke { reason: "r".into() },
            99,
            |_| Err("the bit could not be set".into()),
            &entry("t", "credential.revoke", "other"),
        )
        .await
        .unwrap_err();
    match &err {
        StoreError::StatusUpdate {
            credential,
            purpose,
            slot,
            source,
        } => {
            assert_eq!(credential, "other");
            assert_eq!(*purpose, StatusPurpose::Revocation);
            assert_eq!(slot, other.revocation.as_ref().unwrap());
            assert_eq!(source.to_string(), "the bit could not be set");
        }
        _ => panic!("{err:?}"),
    }
    assert_eq!(store.credential("other").await.unwrap().unwrap(), other);
    assert_eq!(
        [
            store.status_list("revocation-1").await.unwrap(),
            store.status_list("suspension-1").await.unwrap(),
        ],
        lists_before
    );
    assert_eq!(audit_count(&store).await, audit_before);
}

on_both!(resigning_a_list_keeps_its_bits);
async fn resigning_a_list_keeps_its_bits(postgres: bool) {
    let Some(store) = migrated(postgres).await else {
        return;
    };
    let mut row = list("revocation-1", StatusPurpose::Revocation);
    row.bits = vec![1, 2, 3, 4];
    store.ensure_status_list(&row).await.unwrap();
    assert_eq!(store.status_list_ids().await.unwrap(), ["revocation-1"]);
    // None leaves it as it is.
    let changed = store
        .resign_status_list("revocation-1", 5, |read| {
            assert_eq!(read, &row);
            Ok(None)
        })
        .await
        .unwrap();
    assert!(!changed);
    assert_eq!(
        store.status_list("revocation-1").await.unwrap().unwrap(),
        row
    );
    // A new document, the same bits.
    assert!(store
        .resign_status_list("revocation-1", 6, |_| Ok(Some("new".into())))
        .await
        .unwrap());
    let read = store.status_list("revocation-1").await.unwrap().unwrap();
    assert_eq!(
        (
            read.bits.as_slice(),
            read.document.as_str(),
            read.updated_at
        ),
        (&[1u8, 2, 3, 4][..], "new", 6)
    );
    // Failures are typed; nothing is written.
    let err = store
        .resign_status_list("revocation-1", 7, |_| Err("no key".into()))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::ListSigning { list, source } if list == "revocation-1" && source.to_string() == "no key"),
        "{err:?}"
    );
    let err = store
        .resign_status_list("nowhere", 7, |_| Ok(Some("x".into())))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::NotFound(Missing::StatusList(id)) if id == "nowhere"),
        "{err:?}"
    );
    assert_eq!(
        store
            .status_list("revocation-1")
            .await
            .unwrap()
            .unwrap()
            .updated_at,
        6
    );
}

on_both!(concurrent_changes_of_one_list_lose_no_update);
/// Sixteen revocations of credentials in one list at once (several connections, as several
/// processes would): each reads the list's bits and writes them back with its own bit set,
/// the row locked, so all sixteen bits are set at the end. And the per-purpose count and
/// the taken-slot lookup issuance uses.
async fn concurrent_changes_of_one_list_lose_no_update(postgres: bool) {
    let Some(store) = migrated(postgres).await else {
        return;
    };
    for (id, purpose) in [
        ("revocation-1", StatusPurpose::Revocation),
        ("suspension-1", StatusPurpose::Suspension),
        ("message-2bit-1", StatusPurpose::Message),
    ] {
        store.ensure_status_list(&list(id, purpose)).await.unwrap();
    }
    for index in 0..16 {
        let row = with_slots(&format!("c{index}"), index);
        store
            .record_issuance(None, &row, &entry("t", "credential.issue", &row.id))
            .await
            .unwrap();
    }
    assert_eq!(
        store
            .slots_used("revocation-1", StatusPurpose::Revocation)
            .await
            .unwrap(),
        16
    );
    assert_eq!(
        store
            .slots_used("revocation-1", StatusPurpose::Message)
            .await
            .unwrap(),
        0,
        "counted in the purpose's own columns"
    );
    let taken = StatusSlot::new("message-2bit-1", 15);
    assert!(store
        .slot_taken(StatusPurpose::Message, &taken)
        .await
        .unwrap());
    assert!(!store
        .slot_taken(StatusPurpose::Revocation, &taken)
        .await
        .unwrap());
    let free = StatusSlot::new("revocation-1", 16);
    assert!(!store
        .slot_taken(StatusPurpose::Revocation, &free)
        .await
        .unwrap());

    let tasks: Vec<_> = (0..16u32)
        .map(|index| {
            let store = store.clone();
            tokio::spawn(async move {
                let id = format!("c{index}");
                let slot = StatusSlot::new("revocation-1", index);
                let change = StatusChange::Revoke {
                    reason: "at once".into(),
                };
                let update = move |mut bits: Vec<u8>| {
                    bits[(index / 8) as usize] |= 0x80 >> (index % 8);
                    Ok((bits, format!("{{\"by\":{index}}}")))
                };
                store
                    .change_status(
                        &id,
                        &slot,
                        &change,
                        50,
                        update,
                        &entry("t", "credential.revoke", &id),
                    )
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let row = store.status_list("revocation-1").await.unwrap().unwrap();
    assert_eq!(&row.bits[..2], &[0xff, 0xff], "a bit was lost");
    assert_eq!(&row.bits[2..], &[0, 0]);
}
