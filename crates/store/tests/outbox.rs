//! The outbox's fan-out: an event whose deliveries cannot be planned is not marked done
//! (the whole batch rolls back and is fanned out on a later round). On SQLite and, when
//! HALLMARK_TEST_POSTGRES_URL names a server, on PostgreSQL.

mod common;

use common::{bare_credential, entry, migrated};

async fn a_failed_plan_rolls_the_batch_back(postgres: bool) {
    let Some(store) = migrated(postgres).await else {
        return;
    };
    store
        .record_issuance(
            None,
            &bare_credential("c1", 10),
            &entry("t", "credential.issue", "c1"),
        )
        .await
        .unwrap();
    let err = store
        .fan_out(20, 10, |_, _| Err("no randomness".into()))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no randomness"), "{err}");
    // Still to fan out: the next round sees the event.
    let mut seen = Vec::new();
    let n = store
        .fan_out(21, 10, |item, _| {
            seen.push((item.event.event.clone(), item.event.credential_id.clone()));
            Ok(Vec::new())
        })
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(seen, [("credential.issued".to_owned(), "c1".to_owned())]);
    assert_eq!(
        store.fan_out(22, 10, |_, _| Ok(Vec::new())).await.unwrap(),
        0
    );
}
on_both!(a_failed_plan_rolls_the_batch_back);
