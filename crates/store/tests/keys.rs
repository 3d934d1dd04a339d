//! The issuer's key registry: filled once, one current key, rotation and revocation with
//! their audit entries, which key signed each credential (recorded at issuance, backfilled
//! for older rows). On SQLite and, when HALLMARK_TEST_POSTGRES_URL names a server, on
//! PostgreSQL.

mod common;

use common::{bare_credential, entry, execute, migrated};
use hallmark_store::{AuditFilter, KeyRow, KeyState, Missing, PageRequest, StoreError};

fn key(public_key: &str, state: KeyState, file: &str, created_at: i64) -> KeyRow {
    KeyRow {
        public_key: public_key.into(),
        state,
        file: file.into(),
        created_at,
        retired_at: (state == KeyState::Retired).then_some(created_at),
        revoked_at: None,
        revocation_reason: None,
    }
}

fn signed(method: &str) -> String {
    format!(r#"{{"proof": [{{"verificationMethod": "{method}"}}]}}"#)
}

async fn registry(postgres: bool) {
    let Some(store) = migrated(postgres).await else {
        return;
    };
    assert_eq!(store.current_key().await.unwrap(), None);
    // Rotating an empty registry names what is missing.
    let err = store
        .rotate_key(
            &key("z6MkN", KeyState::Current, "n.json", 5),
            5,
            &entry("cli", "key.rotate", "z6MkN"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound(Missing::CurrentKey)),
        "{err}"
    );

    let first = [
        key("z6MkA", KeyState::Current, "issuer.json", 1),
        key("z6MkOld", KeyState::Retired, "retired/old.json", 1),
    ];
    assert!(store.fill_key_registry(&first).await.unwrap());
    // Filled once: a second fill (another process, a restart) writes nothing.
    assert!(!store
        .fill_key_registry(&[key("z6MkX", KeyState::Current, "x.json", 2)])
        .await
        .unwrap());
    assert_eq!(store.issuer_keys().await.unwrap().len(), 2);
    assert_eq!(
        store.current_key().await.unwrap().unwrap().public_key,
        "z6MkA"
    );

    // Rotation: A retired at 10, B current; audited.
    let b = key("z6MkB", KeyState::Current, "key-b.json", 10);
    let old = store
        .rotate_key(&b, 10, &entry("cli", "key.rotate", "z6MkB"))
        .await
        .unwrap();
    assert_eq!(
        (old.public_key.as_str(), old.state, old.retired_at),
        ("z6MkA", KeyState::Retired, Some(10))
    );
    assert_eq!(store.current_key().await.unwrap(), Some(b.clone()));
    // A second current key cannot exist, nor the same key twice.
    let err = store
        .rotate_key(&b, 11, &entry("cli", "key.rotate", "z6MkB"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    assert_eq!(store.current_key().await.unwrap(), Some(b.clone()));

    // Revocation: only a retired key.
    assert!(!store
        .revoke_key(
            "z6MkB",
            "compromised",
            20,
            &entry("cli", "key.revoke", "z6MkB")
        )
        .await
        .unwrap());
    assert!(!store
        .revoke_key(
            "z6MkNone",
            "compromised",
            20,
            &entry("cli", "key.revoke", "z6MkNone")
        )
        .await
        .unwrap());
    assert!(store
        .revoke_key(
            "z6MkA",
            "compromised",
            20,
            &entry("cli", "key.revoke", "z6MkA")
        )
        .await
        .unwrap());
    assert!(!store
        .revoke_key("z6MkA", "again", 21, &entry("cli", "key.revoke", "z6MkA"))
        .await
        .unwrap());
    let keys = store.issuer_keys().await.unwrap();
    let a = keys.iter().find(|k| k.public_key == "z6MkA").unwrap();
    assert_eq!(
        (
            a.state,
            a.retired_at,
            a.revoked_at,
            a.revocation_reason.as_deref(),
            a.file.as_str()
        ),
        (
            KeyState::Revoked,
            Some(10),
            Some(20),
            Some("compromised"),
            "issuer.json"
        )
    );
    let actions: Vec<String> = store
        .audit_log(&AuditFilter::default(), &PageRequest::first(10))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| format!("{} {}", e.action, e.subject))
        .collect();
    assert_eq!(actions, ["key.revoke z6MkA", "key.rotate z6MkB"]);
}
on_both!(registry);

async fn signers(postgres: bool) {
    let Some(store) = migrated(postgres).await else {
        return;
    };
    for (id, at, method) in [
        ("c1", 1, "did:web:acme.example#z6MkA"),
        ("c2", 2, "did:web:acme.example#z6MkB"),
        ("c3", 3, "did:web:acme.example#z6MkA"),
    ] {
        let row = hallmark_store::CredentialRow {
            document: signed(method),
            ..bare_credential(id, at)
        };
        store
            .record_issuance(None, &row, &entry("t", "credential.issue", id))
            .await
            .unwrap();
    }
    assert_eq!(
        store.credentials_signed_by("z6MkA").await.unwrap(),
        ["c1", "c3"]
    );
    assert_eq!(store.credentials_signed_by("z6MkB").await.unwrap(), ["c2"]);
    assert!(store
        .credentials_signed_by("z6MkC")
        .await
        .unwrap()
        .is_empty());

    // Rows stored before migration 0008 have no signer: read from their proofs, once.
    execute(
        &store,
        "UPDATE credentials SET signed_by = NULL WHERE id <> 'c2'",
    )
    .await;
    execute(
        &store,
        "UPDATE credentials SET document = '{\"proof\": 1}' WHERE id = 'c3'",
    )
    .await;
    assert_eq!(store.backfill_signed_by().await.unwrap(), 2);
    assert_eq!(store.backfill_signed_by().await.unwrap(), 0);
    assert_eq!(store.credentials_signed_by("z6MkA").await.unwrap(), ["c1"]);
    let mut counts = store.signed_counts().await.unwrap();
    counts.sort();
    assert_eq!(
        counts,
        [(String::new(), 1), ("z6MkA".into(), 1), ("z6MkB".into(), 1)]
    );
}
on_both!(signers);
