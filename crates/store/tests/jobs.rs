//! Job leases: one process runs a periodic job per period; a shorter period (a changed
//! interval) takes effect at once. On SQLite and, when HALLMARK_TEST_POSTGRES_URL names a
//! server, on PostgreSQL.

mod common;

use common::migrated;

async fn a_lease_holds_for_its_period_and_a_shorter_one_takes_effect(postgres: bool) {
    let Some(store) = migrated(postgres).await else {
        return;
    };
    // A daily lease taken at 1,000.
    assert!(store
        .claim_job("lifecycle", "a", 1_000, 1_000 + 86_400)
        .await
        .unwrap());
    // Another process, a second later, with the same period: held.
    assert!(!store
        .claim_job("lifecycle", "b", 1_001, 1_001 + 86_400)
        .await
        .unwrap());
    // After a restart with a one-minute interval: the last run is more than a minute ago.
    assert!(!store
        .claim_job("lifecycle", "b", 1_030, 1_030 + 60)
        .await
        .unwrap());
    assert!(store
        .claim_job("lifecycle", "b", 1_060, 1_060 + 60)
        .await
        .unwrap());
    assert_eq!(
        store.job_lease("lifecycle").await.unwrap(),
        Some(("b".to_owned(), 1_120, 1_060))
    );
}
on_both!(a_lease_holds_for_its_period_and_a_shorter_one_takes_effect);
