//! The partner directory: only listed partners, filters by name (case-insensitive
//! substring), tier, role and competency, current badges only unless asked, pages by name;
//! listing and unlisting with an audit entry. On SQLite and, when
//! HALLMARK_TEST_POSTGRES_URL names a server, on PostgreSQL.

mod common;

use common::{bare_credential, entry, migrated};
use hallmark_store::{
    Approval, AuditFilter, DirectoryFilter, PageRequest, Partner, Store, StoreError,
};
use serde_json::json;

const NOW: i64 = 1_000;

async fn partner(store: &Store, id: &str, name: &str, listed: bool) {
    let p = Partner {
        id: id.into(),
        name: name.into(),
        url: format!("https://{id}.example/"),
        created_at: 1,
        listed,
        contacts: Vec::new(),
    };
    store
        .create_partner(&p, &entry("t", "partner.create", id))
        .await
        .unwrap();
}

/// A badge `id` of `partner` for `tier`/`role` with `codes`, issued at `at`, valid until
/// `until`.
#[allow(clippy::too_many_arguments)]
async fn badge(
    store: &Store,
    id: &str,
    partner: &str,
    tier: &str,
    role: &str,
    codes: &[&str],
    at: i64,
    until: i64,
) {
    let approval = Approval {
        id: format!("a-{id}"),
        partner_id: partner.into(),
        tier: tier.into(),
        role: role.into(),
        record: json!({"competencies": codes}),
        approved_at: at,
        created_at: at,
    };
    let row = hallmark_store::CredentialRow {
        approval_id: Some(approval.id.clone()),
        partner_id: Some(partner.into()),
        tier: Some(tier.into()),
        role: Some(role.into()),
        valid_until: Some(until),
        ..bare_credential(id, at)
    };
    store
        .record_issuance(Some(&approval), &row, &entry("t", "credential.issue", id))
        .await
        .unwrap();
}

async fn seed(store: &Store) {
    partner(store, "p1", "Northwind Consulting", true).await;
    partner(store, "p2", "Contoso Cloud", true).await;
    partner(store, "p3", "Hidden Partner", false).await;
    partner(store, "p4", "NORTHERN Lights", true).await;
    partner(store, "p5", "Expired Ltd", true).await;
    partner(store, "p6", "Revoked 100% Inc", true).await;
    badge(
        store,
        "c1",
        "p1",
        "gold",
        "solutions",
        &["CLOUD-ARCH", "DATA-MIG"],
        10,
        2_000,
    )
    .await;
    badge(
        store,
        "c2",
        "p1",
        "silver",
        "sales",
        &["VALUE-SELL"],
        20,
        2_000,
    )
    .await;
    badge(
        store,
        "c3",
        "p2",
        "silver",
        "sales",
        &["VALUE-SELL", "CLOUD-FUND"],
        30,
        2_000,
    )
    .await;
    badge(
        store,
        "c4",
        "p3",
        "gold",
        "solutions",
        &["CLOUD-ARCH"],
        40,
        2_000,
    )
    .await;
    badge(
        store,
        "c5",
        "p4",
        "platinum",
        "delivery",
        &["OBS-SRE"],
        50,
        2_000,
    )
    .await;
    badge(
        store,
        "c6",
        "p5",
        "gold",
        "solutions",
        &["CLOUD-ARCH"],
        60,
        900,
    )
    .await;
    badge(
        store,
        "c7",
        "p6",
        "gold",
        "solutions",
        &["CLOUD-ARCH"],
        70,
        2_000,
    )
    .await;
    common::execute(
        store,
        "UPDATE credentials SET revoked_at = 80 WHERE id = 'c7'",
    )
    .await;
}

async fn names(store: &Store, filter: DirectoryFilter) -> Vec<String> {
    store
        .directory(&filter, &PageRequest::first(100))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.partner.name)
        .collect()
}

fn current() -> DirectoryFilter {
    DirectoryFilter {
        current_at: Some(NOW),
        ..DirectoryFilter::default()
    }
}

async fn filters_and_listing(postgres: bool) {
    let Some(store) = migrated(postgres).await else {
        return;
    };
    seed(&store).await;
    // Listed partners with a current badge, by name: no unlisted, expired or revoked one.
    assert_eq!(
        names(&store, current()).await,
        ["Contoso Cloud", "NORTHERN Lights", "Northwind Consulting"]
    );
    // Every badge: the expired and revoked ones' partners too, never the unlisted one.
    assert_eq!(
        names(&store, DirectoryFilter::default()).await,
        [
            "Contoso Cloud",
            "Expired Ltd",
            "NORTHERN Lights",
            "Northwind Consulting",
            "Revoked 100% Inc"
        ]
    );
    // Name: a case-insensitive substring; % and _ are literal.
    let by_name = |q: &str| DirectoryFilter {
        name: Some(q.into()),
        ..DirectoryFilter::default()
    };
    assert_eq!(
        names(&store, by_name("north")).await,
        ["NORTHERN Lights", "Northwind Consulting"]
    );
    assert_eq!(
        names(&store, by_name("WIND CON")).await,
        ["Northwind Consulting"]
    );
    assert_eq!(names(&store, by_name("100%")).await, ["Revoked 100% Inc"]);
    assert!(names(&store, by_name("%")).await.len() == 1);
    assert!(names(&store, by_name("_")).await.is_empty());
    assert!(names(&store, by_name("hidden")).await.is_empty());
    // Tier, role, competency; the entry shows only the matching badges.
    let page = store
        .directory(
            &DirectoryFilter {
                tier: Some("gold".into()),
                ..current()
            },
            &PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].partner.id, "p1");
    assert_eq!(page.items[0].badges.len(), 1);
    assert_eq!(page.items[0].badges[0].id, "c1");
    assert_eq!(
        page.items[0].badges[0].competencies,
        ["CLOUD-ARCH", "DATA-MIG"]
    );
    assert_eq!(
        names(
            &store,
            DirectoryFilter {
                role: Some("sales".into()),
                ..current()
            }
        )
        .await,
        ["Contoso Cloud", "Northwind Consulting"]
    );
    assert_eq!(
        names(
            &store,
            DirectoryFilter {
                competency: Some("OBS-SRE".into()),
                ..current()
            }
        )
        .await,
        ["NORTHERN Lights"]
    );
    assert_eq!(
        names(
            &store,
            DirectoryFilter {
                competency: Some("VALUE-SELL".into()),
                role: Some("solutions".into()),
                ..current()
            }
        )
        .await,
        Vec::<String>::new()
    );
    // Without a filter, an entry has every current badge, newest first.
    let all = store
        .directory(&current(), &PageRequest::first(10))
        .await
        .unwrap();
    let northwind = all.items.iter().find(|e| e.partner.id == "p1").unwrap();
    let ids: Vec<&str> = northwind.badges.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids, ["c2", "c1"]);

    // Listing and unlisting, with an audit entry; an unknown partner changes nothing.
    let hidden = store
        .set_partner_listed("p3", true, &entry("admin", "partner.list", "p3"))
        .await
        .unwrap()
        .unwrap();
    assert!(hidden.listed);
    assert!(store.partner("p3").await.unwrap().unwrap().listed);
    assert_eq!(names(&store, by_name("hidden")).await, ["Hidden Partner"]);
    store
        .set_partner_listed("p3", false, &entry("admin", "partner.unlist", "p3"))
        .await
        .unwrap();
    assert!(names(&store, by_name("hidden")).await.is_empty());
    assert_eq!(
        store
            .set_partner_listed("nope", true, &entry("admin", "partner.list", "nope"))
            .await
            .unwrap(),
        None
    );
    let audit = store
        .audit_log(
            &AuditFilter {
                subject: Some("nope".into()),
                ..AuditFilter::default()
            },
            &PageRequest::first(10),
        )
        .await
        .unwrap();
    assert!(audit.items.is_empty());
    let audit = store
        .audit_log(
            &AuditFilter {
                subject: Some("p3".into()),
                ..AuditFilter::default()
            },
            &PageRequest::first(10),
        )
        .await
        .unwrap();
    let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["partner.unlist", "partner.list", "partner.create"]
    );
}
on_both!(filters_and_listing);

async fn pages_by_name(postgres: bool) {
    let Some(store) = migrated(postgres).await else {
        return;
    };
    for i in 0..7 {
        let id = format!("p{i}");
        partner(&store, &id, &format!("Partner {}", 6 - i), true).await;
        badge(
            &store,
            &format!("c{i}"),
            &id,
            "gold",
            "sales",
            &["X"],
            1,
            2_000,
        )
        .await;
    }
    let mut request = PageRequest::first(3);
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    loop {
        let page = store.directory(&current(), &request).await.unwrap();
        sizes.push(page.items.len());
        seen.extend(page.items.into_iter().map(|e| e.partner.name));
        match page.next {
            Some(next) => request = PageRequest::after(3, next),
            None => break,
        }
    }
    assert_eq!(sizes, [3, 3, 1]);
    let expected: Vec<String> = (0..7).map(|i| format!("Partner {i}")).collect();
    assert_eq!(seen, expected);
    // A cursor of another list is refused.
    let credentials = store
        .credentials(&Default::default(), &PageRequest::first(1))
        .await
        .unwrap();
    let err = store
        .directory(
            &current(),
            &PageRequest::after(3, credentials.next.unwrap()),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidCursor(_)), "{err:?}");
}
on_both!(pages_by_name);
