//! Keyset-paginated lists with filters (credentials, partners, approvals, the audit log), and
//! cursors that are opaque and refused with a typed error when bad: on SQLite and, when
//! HALLMARK_TEST_POSTGRES_URL names a server, on PostgreSQL.

mod common;

use std::future::Future;

use common::{bare_credential, entry, migrated};
use hallmark_store::{
    Approval, ApprovalFilter, AuditFilter, CredentialFilter, CredentialRow, CredentialState,
    Cursor, CursorError, Page, PageRequest, Partner, PartnerFilter, StoreError, Table,
};
use serde_json::json;

/// Every page of a list, `limit` rows at a time: the rows in order, and the page sizes.
async fn walk<T, F, Fut>(limit: u32, mut read: F) -> (Vec<T>, Vec<usize>)
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, StoreError>>,
{
    let mut request = PageRequest::first(limit);
    let (mut all, mut sizes) = (Vec::new(), Vec::new());
    loop {
        let page = read(request).await.unwrap();
        assert!(page.items.len() <= limit as usize);
        sizes.push(page.items.len());
        all.extend(page.items);
        match page.next {
            Some(cursor) => {
                // A cursor goes to a client and comes back as text.
                let text = serde_json::to_string(&cursor).unwrap();
                let back: Cursor = serde_json::from_str(&text).unwrap();
                assert_eq!(back, cursor);
                request = PageRequest::after(limit, back);
            }
            None => break,
        }
        assert!(sizes.len() < 100, "no end");
    }
    (all, sizes)
}

fn partner(id: &str, name: &str) -> Partner {
    Partner {
        id: id.into(),
        name: name.into(),
        url: format!("https://{id}.example/"),
        created_at: 1,
        listed: false,
        contacts: Vec::new(),
    }
}

/// (id, issued_at, partner, tier, state)
const CREDENTIALS: [(&str, i64, &str, &str, CredentialState); 9] = [
    ("c5", 500, "p1", "gold", CredentialState::Active),
    ("c1", 100, "p1", "silver", CredentialState::Active),
    ("c3b", 300, "p2", "gold", CredentialState::Revoked),
    ("c3a", 300, "p1", "gold", CredentialState::Suspended),
    ("c3c", 300, "p1", "gold", CredentialState::Active),
    ("c2", 200, "p2", "silver", CredentialState::Suspended),
    ("c4", 400, "p2", "gold", CredentialState::Active),
    ("c0", 100, "p2", "gold", CredentialState::Revoked),
    ("c6", 600, "p1", "silver", CredentialState::Revoked),
];

on_both!(credentials_page_newest_first_with_filters);
async fn credentials_page_newest_first_with_filters(postgres: bool) {
    let Some(store) = migrated(postgres).await else {
        return;
    };
    for id in ["p1", "p2"] {
        store
            .create_partner(&partner(id, id), &entry("t", "partner.create", id))
            .await
            .unwrap();
    }
    for (id, at, partner, tier, state) in CREDENTIALS {
        let row = CredentialRow {
            partner_id: Some(partner.into()),
            tier: Some(tier.into()),
            // A revoked credential may have been suspended first.
            suspended: state != CredentialState::Active,
            revoked_at: (state == CredentialState::Revoked).then_some(at + 1),
            ..bare_credential(id, at)
        };
        store
            .record_issuance(None, &row, &entry("t", "credential.issue", id))
            .await
            .unwrap();
    }
    // Newest first; issued in the same second: by id.
    let expected = |keep: &dyn Fn(&str, &str, CredentialState) -> bool| {
        let mut rows: Vec<(i64, &str)> = CREDENTIALS
            .iter()
            .filter(|(_, _, p, t, s)| keep(p, t, *s))
            .map(|(id, at, ..)| (*at, *id))
            .collect();
        rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        rows.into_iter()
            .map(|(_, id)| id.to_owned())
            .collect::<Vec<_>>()
    };
    let all = expected(&|_, _, _| true);
    assert_eq!(
        all,
        ["c6", "c5", "c4", "c3a", "c3b", "c3c", "c2", "c0", "c1"]
    );
    for limit in [1, 2, 3, 4, 9, 10, 1000] {
        let (rows, sizes) = walk(limit, |page| {
            let store = store.clone();
            async move { store.credentials(&CredentialFilter::default(), &page).await }
        })
        .await;
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        assert_eq!(ids, all, "limit {limit}");
        // Full pages but the last; no empty page after a full one.
        let l = limit as usize;
        let mut want = vec![l; all.len() / l];
        if all.len() % l != 0 {
            want.push(all.len() % l);
        }
        assert_eq!(sizes, want, "limit {limit}");
    }
    let filters: Vec<(CredentialFilter, Vec<String>)> = vec![
        (
            CredentialFilter {
                partner: Some("p1".into()),
                ..Default::default()
            },
            expected(&|p, _, _| p == "p1"),
        ),
        (
            CredentialFilter {
                tier: Some("gold".into()),
                ..Default::default()
            },
            expected(&|_, t, _| t == "gold"),
        ),
        (
            CredentialFilter {
                state: Some(CredentialState::Active),
                ..Default::default()
            },
            expected(&|_, _, s| s == CredentialState::Active),
        ),
        (
            CredentialFilter {
                state: Some(CredentialState::Suspended),
                ..Default::default()
            },
            expected(&|_, _, s| s == CredentialState::Suspended),
        ),
        (
            CredentialFilter {
                state: Some(CredentialState::Revoked),
                ..Default::default()
            },
            expected(&|_, _, s| s == CredentialState::Revoked),
        ),
        (
            CredentialFilter {
                partner: Some("p1".into()),
                tier: Some("gold".into()),
                state: Some(CredentialState::Active),
                ..Default::default()
            },
            vec!["c5".into(), "c3c".into()],
        ),
        (
            CredentialFilter {
                partner: Some("nobody".into()),
                ..Default::default()
            },
            vec![],
        ),
    ];
    for (filter, want) in filters {
        for limit in [1, 2, 100] {
            let (rows, _) = walk(limit, |page| {
                let (store, filter) = (store.clone(), filter.clone());
                async move { store.credentials(&filter, &page).await }
            })
            .await;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            assert_eq!(ids, want, "{filter:?}, limit {limit}");
        }
    }

    // A credential issued after the first page was read neither shifts nor repeats a row.
    let first = store
        .credentials(&CredentialFilter::default(), &PageRequest::first(3))
        .await
        .unwrap();
    store
        .record_issuance(
            None,
            &bare_credential("c7", 700),
            &entry("t", "credential.issue", "c7"),
        )
        .await
        .unwrap();
    let rest = store
        .credentials(
            &CredentialFilter::default(),
            &PageRequest::after(100, first.next.unwrap()),
        )
        .await
        .unwrap();
    let ids: Vec<&str> = first
        .items
        .iter()
        .chain(&rest.items)
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(ids, all);
    assert_eq!(rest.next, None);
}

on_both!(partners_page_by_name_then_id);
async fn partners_page_by_name_then_id(postgres: bool) {
    let Some(store) = migrated(postgres).await else {
        return;
    };
    // Lowercase ASCII names: every collation orders them alike.
    for (id, name) in [
        ("id-5", "delta"),
        ("id-2", "alpha"),
        ("id-9", "bravo"),
        ("id-1", "bravo"),
        ("id-3", "brave"),
        ("id-4", "charlie"),
    ] {
        store
            .create_partner(&partner(id, name), &entry("t", "partner.create", id))
            .await
            .unwrap();
    }
    for (prefix, want) in [
        (None, vec!["id-2", "id-3", "id-1", "id-9", "id-4", "id-5"]),
        (Some("br"), vec!["id-3", "id-1", "id-9"]),
        (Some("bravo"), vec!["id-1", "id-9"]),
        (Some("B"), vec![]),
        (Some("%"), vec![]),
        (
            Some(""),
            vec!["id-2", "id-3", "id-1", "id-9", "id-4", "id-5"],
        ),
    ] {
        let filter = PartnerFilter {
            name_prefix: prefix.map(str::to_owned),
            ..Default::default()
        };
        for limit in [1, 2, 4, 100] {
            let (rows, _) = walk(limit, |page| {
                let (store, filter) = (store.clone(), filter.clone());
                async move { store.partners(&filter, &page).await }
            })
            .await;
            let ids: Vec<&str> = rows.iter().map(|p| p.id.as_str()).collect();
            assert_eq!(ids, want, "{prefix:?}, limit {limit}");
        }
    }
}

on_both!(approvals_page_newest_first_by_partner);
async fn approvals_page_newest_first_by_partner(postgres: bool) {
    let Some(store) = migrated(postgres).await else {
        return;
    };
    for id in ["p1", "p2"] {
        store
            .create_partner(&partner(id, id), &entry("t", "partner.create", id))
            .await
            .unwrap();
    }
    for (id, partner, created_at) in [
        ("a1", "p1", 10),
        ("a2", "p2", 20),
        ("a3b", "p1", 30),
        ("a3a", "p1", 30),
        ("a4", "p2", 40),
    ] {
        let approval = Approval {
            id: id.into(),
            partner_id: partner.into(),
            tier: "gold".into(),
            role: "delivery".into(),
            record: json!({"exam_score": created_at}),
            approved_at: created_at - 1,
            created_at,
        };
        let credential = CredentialRow {
            approval_id: Some(id.into()),
            ..bare_credential(&format!("c-{id}"), created_at)
        };
        store
            .record_issuance(
                Some(&approval),
                &credential,
                &entry("t", "credential.issue", id),
            )
            .await
            .unwrap();
    }
    for (partner, want) in [
        (None, vec!["a4", "a3a", "a3b", "a2", "a1"]),
        (Some("p1"), vec!["a3a", "a3b", "a1"]),
        (Some("p2"), vec!["a4", "a2"]),
    ] {
        let filter = ApprovalFilter {
            partner: partner.map(str::to_owned),
            ..Default::default()
        };
        for limit in [1, 2, 100] {
            let (rows, _) = walk(limit, |page| {
                let (store, filter) = (store.clone(), filter.clone());
                async move { store.approvals(&filter, &page).await }
            })
            .await;
            let ids: Vec<&str> = rows.iter().map(|a| a.id.as_str()).collect();
            assert_eq!(ids, want, "{partner:?}, limit {limit}");
            for a in &rows {
                assert_eq!(a.record, json!({"exam_score": a.created_at}));
                assert_eq!(a.approved_at, a.created_at - 1);
            }
        }
    }
}

on_both!(audit_log_pages_newest_first_with_filters);
async fn audit_log_pages_newest_first_with_filters(postgres: bool) {
    let Some(store) = migrated(postgres).await else {
        return;
    };
    // Each write appends its entry: 7 partners, by two actors, about two subjects' kinds.
    for i in 0..7 {
        let actor = if i % 2 == 0 { "alice" } else { "bob" };
        let action = if i < 4 {
            "partner.create"
        } else {
            "partner.import"
        };
        let id = format!("p{i}");
        store
            .create_partner(&partner(&id, &id), &entry(actor, action, &id))
            .await
            .unwrap();
    }
    let subjects = |rows: &[hallmark_store::AuditEntry]| {
        rows.iter().map(|e| e.subject.clone()).collect::<Vec<_>>()
    };
    for (filter, want) in [
        (
            AuditFilter::default(),
            vec!["p6", "p5", "p4", "p3", "p2", "p1", "p0"],
        ),
        (
            AuditFilter {
                actor: Some("alice".into()),
                ..Default::default()
            },
            vec!["p6", "p4", "p2", "p0"],
        ),
        (
            AuditFilter {
                action: Some("partner.import".into()),
                ..Default::default()
            },
            vec!["p6", "p5", "p4"],
        ),
        (
            AuditFilter {
                actor: Some("bob".into()),
                action: Some("partner.create".into()),
                ..Default::default()
            },
            vec!["p3", "p1"],
        ),
        (
            AuditFilter {
                subject: Some("p2".into()),
                ..Default::default()
            },
            vec!["p2"],
        ),
    ] {
        for limit in [1, 3, 100] {
            let (rows, _) = walk(limit, |page| {
                let (store, filter) = (store.clone(), filter.clone());
                async move { store.audit_log(&filter, &page).await }
            })
            .await;
            assert_eq!(subjects(&rows), want, "{filter:?}, limit {limit}");
        }
    }
}

on_both!(bad_cursors_are_typed_errors);
async fn bad_cursors_are_typed_errors(postgres: bool) {
    let Some(store) = migrated(postgres).await else {
        return;
    };
    for i in 0..3 {
        let id = format!("p{i}");
        store
            .create_partner(&partner(&id, &id), &entry("t", "partner.create", &id))
            .await
            .unwrap();
        store
            .record_issuance(
                None,
                &bare_credential(&format!("c{i}"), i),
                &entry("t", "credential.issue", &id),
            )
            .await
            .unwrap();
    }
    // Text that is no cursor is refused when read, before any query.
    for text in ["", "not a cursor!", "%%%", "eyJ", &"A".repeat(10_000)] {
        let err = text.parse::<Cursor>().unwrap_err();
        assert!(
            matches!(
                err,
                CursorError::Encoding | CursorError::Malformed | CursorError::TooLong { .. }
            ),
            "{text:?}: {err:?}"
        );
        assert!(serde_json::from_value::<Cursor>(json!(text)).is_err());
    }
    // A cursor of one list is refused by the others.
    let partners_cursor = store
        .partners(&PartnerFilter::default(), &PageRequest::first(1))
        .await
        .unwrap()
        .next
        .unwrap();
    let credentials_cursor = store
        .credentials(&CredentialFilter::default(), &PageRequest::first(1))
        .await
        .unwrap()
        .next
        .unwrap();
    let err = store
        .credentials(
            &CredentialFilter::default(),
            &PageRequest::after(1, partners_cursor.clone()),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::InvalidCursor(CursorError::WrongList {
                expected: Table::Credentials,
                found: Table::Partners
            })
        ),
        "{err:?}"
    );
    let err = store
        .partners(
            &PartnerFilter::default(),
            &PageRequest::after(1, credentials_cursor.clone()),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidCursor(_)), "{err:?}");
    let err = store
        .approvals(
            &ApprovalFilter::default(),
            &PageRequest::after(1, credentials_cursor.clone()),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidCursor(_)), "{err:?}");
    let err = store
        .audit_log(
            &AuditFilter::default(),
            &PageRequest::after(1, partners_cursor),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidCursor(_)), "{err:?}");
    assert!(err.to_string().starts_with("invalid cursor: "), "{err}");

    // Forged cursors: well-formed but of the wrong shape is refused; well-formed with any
    // values is only a position (values are bound, never part of the SQL).
    use base64::Engine as _;
    let forge = |value: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(value.to_string())
            .parse::<Cursor>()
            .unwrap()
    };
    let err = store
        .credentials(
            &CredentialFilter::default(),
            &PageRequest::after(10, forge(json!(["credentials", "x", "y"]))),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::InvalidCursor(CursorError::Malformed)),
        "{err:?}"
    );
    let page = store
        .credentials(
            &CredentialFilter::default(),
            &PageRequest::after(10, forge(json!(["credentials", 2, "' OR 1=1 --"]))),
        )
        .await
        .unwrap();
    let ids: Vec<&str> = page.items.iter().map(|c| c.id.as_str()).collect();
    // After (2, "' OR 1=1 --"): c2 (its id sorts after the quote), then those before 2.
    assert_eq!(ids, ["c2", "c1", "c0"]);
    let page = store
        .audit_log(
            &AuditFilter::default(),
            &PageRequest::after(10, forge(json!(["audit_log", i64::MIN]))),
        )
        .await
        .unwrap();
    assert!(page.items.is_empty());
}
