//! Migration 0010 (issue 14) on SQLite and PostgreSQL: tokens made before roles become
//! admins; partners recorded twice with one URL before the unique key do not make the
//! migration fail (the later ones get a key of their own), and from then on a second
//! partner with that URL is refused.

mod common;

use common::{entry, execute, migrated};
use hallmark_store::{url_key, Partner, Role, StoreError, Taken, TokenRow};

fn partner(id: &str, url: &str, created_at: i64) -> Partner {
    Partner {
        id: id.into(),
        name: id.into(),
        url: url.into(),
        created_at,
        listed: false,
        contacts: Vec::new(),
    }
}

#[test]
fn url_keys_fold_case_scheme_and_trailing_slashes() {
    assert_eq!(
        url_key("HTTP://Northwind.example/"),
        "https://northwind.example"
    );
    assert_eq!(
        url_key("https://northwind.example//"),
        "https://northwind.example"
    );
    assert_eq!(url_key("https://x.example/a/"), "https://x.example/a");
    assert_eq!(url_key("did:web:x.example"), "did:web:x.example");
}

/// Takes the database back to before migration 0010 (its columns and indexes dropped, its
/// row forgotten), so the test can write what older versions allowed and migrate again.
async fn before_0010(store: &hallmark_store::Store) {
    for sql in [
        "DROP INDEX partners_url_key",
        "DROP INDEX approvals_tier_role",
        "ALTER TABLE partners DROP COLUMN url_key",
        "ALTER TABLE tokens DROP COLUMN role",
        "DELETE FROM _sqlx_migrations WHERE version = 10",
    ] {
        execute(store, sql).await;
    }
}

on_both!(migration_0010_keeps_duplicates_and_makes_tokens_admins);
async fn migration_0010_keeps_duplicates_and_makes_tokens_admins(postgres: bool) {
    let Some(store) = migrated(postgres).await else {
        return;
    };
    before_0010(&store).await;
    for (id, url, at) in [
        ("p-new", "https://northwind.example/", 20),
        ("p-old", "https://northwind.example/", 10),
        ("p-http", "http://NORTHWIND.example/", 30),
        ("p-other", "https://contoso.example/", 5),
    ] {
        execute(
            &store,
            &format!("INSERT INTO partners (id, name, url, created_at, listed, name_key, contacts) VALUES ('{id}', '{id}', '{url}', {at}, FALSE, '{id}', '[]')"),
        )
        .await;
    }
    execute(
        &store,
        "INSERT INTO tokens (id, name, hash, created_at) VALUES ('t-old', 'old', 'abcd', 1)",
    )
    .await;
    store.migrate().await.unwrap();

    let tokens = store.tokens().await.unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(
        (tokens[0].id.as_str(), tokens[0].role),
        ("t-old", Role::Admin)
    );
    // The oldest keeps the URL's key; the partner found by URL is that one.
    let found = store
        .partner_by_url("https://northwind.example")
        .await
        .unwrap();
    assert_eq!(found.map(|p| p.id).as_deref(), Some("p-old"));
    // A new partner with the URL is refused, by the unique key.
    let err = store
        .create_partner(
            &partner("p-again", "https://northwind.example/", 40),
            &entry("t", "partner.create", "p-again"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                taken: Taken::PartnerUrl,
                ..
            }
        ),
        "{err:?}"
    );
    // Every partner is still there, the duplicates with their URL as it was.
    for id in ["p-new", "p-old", "p-http", "p-other"] {
        assert!(store.partner(id).await.unwrap().is_some(), "{id}");
    }
    // Tokens: list and revoke, the revocation audited once and kept.
    let token = TokenRow {
        id: "t-new".into(),
        name: "viewer".into(),
        hash: "ef01".into(),
        role: Role::Viewer,
        created_at: 2,
        revoked_at: None,
    };
    store
        .create_token(&token, &entry("cli", "token.create", "t-new"))
        .await
        .unwrap();
    assert_eq!(
        store.token_by_hash("ef01").await.unwrap().map(|t| t.role),
        Some(Role::Viewer)
    );
    let revoked = store
        .revoke_token("t-new", 50, &entry("cli", "token.revoke", "t-new"))
        .await
        .unwrap();
    assert_eq!(revoked.and_then(|t| t.revoked_at), Some(50));
    let again = store
        .revoke_token("t-new", 60, &entry("cli", "token.revoke", "t-new"))
        .await
        .unwrap();
    assert_eq!(
        again.and_then(|t| t.revoked_at),
        Some(50),
        "the first revocation is kept"
    );
    assert!(store.token_by_hash("ef01").await.unwrap().is_none());
    assert!(store
        .revoke_token("nope", 1, &entry("cli", "token.revoke", "nope"))
        .await
        .unwrap()
        .is_none());
}
