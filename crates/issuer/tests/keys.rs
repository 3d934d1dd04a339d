//! The issuer's keys through the service, on SQLite and (when HALLMARK_TEST_POSTGRES_URL
//! names a server) PostgreSQL: two issuers on one database (two processes) follow a rotation
//! made by the other without a restart; a revocation takes the key out of the DID document
//! and lists what it signed; a host without the current key's file says which file; an
//! existing keys folder (issuer.json, retired/*.json) fills the registry; the public
//! documents carry ETags and answer If-None-Match with 304.

mod common;

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use hallmark_core::keys::{KeyFile, SecretKey};
use hallmark_issuer::service::{KeyChangeError, NewApproval, NewPartner};
use hallmark_issuer::{router, Config, Issuer, Overrides};
use hallmark_store::KeyState;
use hallmark_testkit::Answer;
use serde_json::Value;
use tower::ServiceExt;

use common::Backend;

const DID: &str = "did:web:partners.acme.example";

/// A did:web issuer folder on SQLite or a fresh PostgreSQL database; None for PostgreSQL
/// without a server.
async fn folder(backend: Backend, retired: Option<&KeyFile>) -> Option<PathBuf> {
    let database_url = common::database_url(backend).await?;
    let key = KeyFile::new(SecretKey::from_seed(&[21; 32]));
    let dir = hallmark_testkit::issuer_folder(
        "keys",
        key.to_json().expose(),
        hallmark_issuer::program::DEMO_PROGRAM,
        &format!("issuer_id = \"{DID}\"\nissuer_name = \"Acme\"\nbase_url = \"https://partners.acme.example\"\ndatabase_url = \"{database_url}\"\nstatus_ttl_seconds = 90\n"),
    );
    if let Some(old) = retired {
        std::fs::create_dir_all(dir.join("keys/retired")).unwrap();
        std::fs::write(dir.join("keys/retired/old.json"), old.to_json().expose()).unwrap();
    }
    Some(dir)
}

/// An issuer process on `dir`.
async fn open(dir: &std::path::Path) -> Issuer {
    let config = Config::load(&dir.join("config.toml"), &Overrides::default()).unwrap();
    Issuer::open(config).await.unwrap()
}

/// Issues a registered sales badge; its uuid and verification method.
async fn issue(issuer: &Issuer, name: &str) -> Result<(String, String), String> {
    let partner = issuer
        .create_partner(
            "test",
            &NewPartner {
                name: name.into(),
                url: unique_url(),
                listed: false,
                contacts: Vec::new(),
            },
        )
        .await
        .unwrap();
    let approval: NewApproval = serde_json::from_value(serde_json::json!({
        "partner_id": partner.id, "tier": "registered", "role": "sales",
        "competencies": ["CLOUD-FUND"], "approver": "test"
    }))
    .unwrap();
    let approved = issuer
        .approve("test", &approval)
        .await
        .map_err(|e| e.to_string())?;
    let document: Value = serde_json::from_str(&approved.credential.row.document).unwrap();
    Ok((
        approved.credential.row.id.clone(),
        document["proof"][0]["verificationMethod"]
            .as_str()
            .unwrap()
            .to_owned(),
    ))
}

async fn get(issuer: &Issuer, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = router(issuer.clone())
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    Answer::read(response).await
}

async fn assertion_methods(issuer: &Issuer) -> Vec<String> {
    let document = issuer.did_document().await.unwrap();
    serde_json::from_value(document["assertionMethod"].clone()).unwrap()
}

on_both!(two_processes_follow_a_rotation);
async fn two_processes_follow_a_rotation(backend: Backend) {
    let Some(dir) = folder(backend, None).await else {
        return;
    };
    let (serving, cli) = (open(&dir).await, open(&dir).await);
    let (before, old_method) = issue(&serving, "Before").await.unwrap();
    let old_key = old_method.rsplit_once('#').unwrap().1.to_owned();

    // Rotated by the other process: this one signs with the new key from its next signing.
    let rotated = cli.rotate_key("cli").await.unwrap();
    assert_eq!(rotated.retired.public_key, old_key);
    assert!(rotated.file.exists());
    assert!(
        rotated.lists.contains(&"revocation-1".to_owned()),
        "{:?}",
        rotated.lists
    );
    let new_method = format!("{DID}#{}", rotated.current.public_key);
    let (after, method) = issue(&serving, "After").await.unwrap();
    assert_eq!(method, new_method);
    assert_eq!(
        assertion_methods(&serving).await,
        [new_method.clone(), old_method.clone()]
    );
    // The list the badge names is signed with the new key (by the rotation).
    let list = serving.status_list("revocation-1").await.unwrap();
    assert_eq!(
        hallmark_store::signer_of(&list.document).as_deref(),
        Some(rotated.current.public_key.as_str())
    );

    let keys = serving.key_list().await.unwrap();
    let states: Vec<(KeyState, i64, &str)> = keys
        .iter()
        .map(|k| (k.row.state, k.signed, k.method.as_str()))
        .collect();
    assert_eq!(
        states,
        [
            (KeyState::Retired, 1, old_method.as_str()),
            (KeyState::Current, 1, new_method.as_str())
        ]
    );

    // Revocation: refused for the current key, an unknown key, without a reason.
    let current = rotated.current.public_key.clone();
    assert!(matches!(
        cli.revoke_key("cli", &current, "x").await,
        Err(KeyChangeError::Current { .. })
    ));
    assert!(matches!(
        cli.revoke_key("cli", "z6MkNoSuchKey", "x").await,
        Err(KeyChangeError::NoSuchKey { .. })
    ));
    assert!(matches!(
        cli.revoke_key("cli", &old_key, " ").await,
        Err(KeyChangeError::NoReason)
    ));
    assert!(matches!(
        cli.revoke_key("cli", "z6Mk", "x").await,
        Err(KeyChangeError::Ambiguous { count: 2, .. })
    ));
    let revoked = cli
        .revoke_key("cli", &old_method, "compromised")
        .await
        .unwrap();
    assert_eq!(revoked.credentials, [serving.credential_url(&before)]);
    assert!(
        revoked.lists.is_empty(),
        "re-signed at the rotation already"
    );
    assert_eq!(assertion_methods(&serving).await, [new_method]);
    assert!(matches!(
        cli.revoke_key("cli", &old_key, "again").await,
        Err(KeyChangeError::AlreadyRevoked { .. })
    ));
    // The badge it signed is not valid any more on the issuer's own check; the other is.
    let checked = serving.check_credential(&before).await.unwrap();
    assert_eq!(checked.report.standing().as_str(), "invalid");
    let checked = serving.check_credential(&after).await.unwrap();
    assert_eq!(checked.report.standing().as_str(), "valid");

    // A host without the current key's file refuses to sign, naming the file.
    let again = cli.rotate_key("cli").await.unwrap();
    std::fs::remove_file(&again.file).unwrap();
    let err = issue(&serving, "Nowhere").await.unwrap_err();
    assert!(err.contains(&again.current.file), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// An existing keys folder: issuer.json current, retired/*.json retired, both published.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_keys_folder_fills_the_registry() {
    let old = KeyFile::new(SecretKey::from_seed(&[22; 32]));
    let dir = folder(Backend::Sqlite, Some(&old)).await.unwrap();
    let issuer = open(&dir).await;
    let keys = issuer.key_list().await.unwrap();
    let mut rows: Vec<(&str, KeyState)> = keys
        .iter()
        .map(|k| (k.row.file.as_str(), k.row.state))
        .collect();
    rows.sort_unstable_by_key(|r| r.0);
    assert_eq!(
        rows,
        [
            ("issuer.json", KeyState::Current),
            ("retired/old.json", KeyState::Retired)
        ]
    );
    let old_method = format!("{DID}#{}", old.public_key().to_multibase());
    assert_eq!(assertion_methods(&issuer).await[1], old_method);
    // Opened again: the registry is not filled twice.
    drop(issuer);
    assert_eq!(open(&dir).await.key_list().await.unwrap().len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Status lists, the DID document and badges (JSON) carry a strong ETag; If-None-Match gets
/// 304 without a body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_documents_carry_etags() {
    let dir = folder(Backend::Sqlite, None).await.unwrap();
    let issuer = open(&dir).await;
    let (id, _) = issue(&issuer, "Tagged").await.unwrap();
    for (path, cache) in [
        ("/status/revocation-1".to_owned(), "public, max-age=90"),
        ("/.well-known/did.json".to_owned(), "public, max-age=90"),
        (format!("/credentials/{id}"), "no-cache"),
    ] {
        let first = get(&issuer, &path, &[("accept", "application/json")]).await;
        assert_eq!(first.status, StatusCode::OK, "{path}");
        assert_eq!(first.header("cache-control"), cache, "{path}");
        let etag = first.header("etag").to_owned();
        assert!(etag.starts_with('"') && etag.len() == 34, "{path}: {etag}");
        let again = get(
            &issuer,
            &path,
            &[("accept", "application/json"), ("if-none-match", &etag)],
        )
        .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(again.body.is_empty());
        assert_eq!(again.header("etag"), etag);
        let weak = format!("W/{etag}");
        let listed = format!("\"other\", {weak}");
        let again = get(
            &issuer,
            &path,
            &[("accept", "application/json"), ("if-none-match", &listed)],
        )
        .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path}");
        let other = get(
            &issuer,
            &path,
            &[
                ("accept", "application/json"),
                ("if-none-match", "\"other\""),
            ],
        )
        .await;
        assert_eq!(other.status, StatusCode::OK, "{path}");
        assert_eq!(other.body, first.body);
    }
    // A revocation changes the list's bytes, so its tag.
    let before = get(&issuer, "/status/revocation-1", &[]).await;
    issuer.revoke("test", &id, "left").await.unwrap();
    let after = get(
        &issuer,
        "/status/revocation-1",
        &[("if-none-match", before.header("etag"))],
    )
    .await;
    assert_eq!(after.status, StatusCode::OK);
    assert_ne!(after.header("etag"), before.header("etag"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A web address no other partner of the test has (one partner per URL).
fn unique_url() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "https://partner-{}.example",
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}
