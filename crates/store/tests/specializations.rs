//! Specialization badges in the store (issue 15), on SQLite and PostgreSQL: a partner's
//! badges for a role are looked up, listed and found coexisting per specialization, so a
//! tier badge and a specialization badge never stand for each other.

mod common;

use common::{bare_credential, entry, migrated};
use hallmark_store::{Approval, CredentialFilter, CredentialRow, PageRequest, Partner};
use serde_json::json;

/// An approval and its badge for partner `p1`, role `solutions`: a tier badge of `tier`, or
/// (with `specialization`) a specialization badge, issued at `at`.
fn issuance(
    id: &str,
    at: i64,
    tier: &str,
    specialization: Option<&str>,
) -> (Approval, CredentialRow) {
    let approval = Approval {
        id: format!("a-{id}"),
        partner_id: "p1".into(),
        tier: tier.into(),
        role: "solutions".into(),
        record: json!({"competencies": ["DATA-MIG"], "specialization": specialization}),
        approved_at: at,
        created_at: at,
    };
    let row = CredentialRow {
        approval_id: Some(approval.id.clone()),
        partner_id: Some("p1".into()),
        tier: specialization.is_none().then(|| tier.to_owned()),
        role: Some("solutions".into()),
        specialization: specialization.map(str::to_owned),
        ..bare_credential(id, at)
    };
    (approval, row)
}

on_both!(badges_are_found_per_specialization);
async fn badges_are_found_per_specialization(postgres: bool) {
    let Some(store) = migrated(postgres).await else {
        return;
    };
    let partner = Partner {
        id: "p1".into(),
        name: "Northwind".into(),
        url: "https://p1.example/".into(),
        created_at: 1,
        listed: false,
        contacts: Vec::new(),
    };
    store
        .create_partner(&partner, &entry("t", "partner.create", "p1"))
        .await
        .unwrap();
    // A tier badge, then two specialization badges of one specialization (coexisting, as
    // before supersession), the newest first in time order below.
    for (id, at, tier, special) in [
        ("silver", 100, "silver", None),
        ("dm-1", 200, "data-migration", Some("data-migration")),
        ("dm-2", 300, "data-migration", Some("data-migration")),
    ] {
        let (approval, row) = issuance(id, at, tier, special);
        store
            .record_issuance(Some(&approval), &row, &entry("t", "credential.issue", id))
            .await
            .unwrap();
    }
    let latest = |special: Option<&'static str>| {
        let store = store.clone();
        async move {
            store
                .latest_badge_of("p1", "solutions", special)
                .await
                .unwrap()
                .map(|c| c.id)
        }
    };
    // The tier badge is the newest tier badge, though specialization badges are newer.
    assert_eq!(latest(None).await.as_deref(), Some("silver"));
    assert_eq!(
        store
            .latest_badge("p1", "solutions")
            .await
            .unwrap()
            .map(|c| c.id)
            .as_deref(),
        Some("silver")
    );
    assert_eq!(
        latest(Some("data-migration")).await.as_deref(),
        Some("dm-2")
    );
    assert_eq!(latest(Some("security-compliance")).await, None);

    // Two badges of one specialization coexist; the tier badge and them do not count.
    assert_eq!(
        store.coexisting_badges().await.unwrap(),
        [(
            "p1".to_owned(),
            "solutions".to_owned(),
            Some("data-migration".to_owned())
        )]
    );

    // Read back and listed by specialization.
    let row = store.credential("dm-1").await.unwrap().unwrap();
    assert_eq!(
        (row.tier, row.specialization.as_deref()),
        (None, Some("data-migration"))
    );
    let filter = CredentialFilter {
        specialization: Some("data-migration".into()),
        ..CredentialFilter::default()
    };
    let page = store
        .credentials(&filter, &PageRequest::first(10))
        .await
        .unwrap();
    let ids: Vec<&str> = page.items.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["dm-2", "dm-1"]);
}
