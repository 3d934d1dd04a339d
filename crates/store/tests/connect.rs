//! A database URL's password never shows: not in connect errors (refused connection,
//! failed authentication, unsupported scheme), nor in a connected store's `Debug`.

mod common;

use common::{execute, postgres_url, unique};
use hallmark_store::{Store, StoreError};

/// Display and Debug of `e`, checked for `secret`.
fn assert_hidden(e: &StoreError, secret: &str) {
    let display = e.to_string();
    let debug = format!("{e:?}");
    let mut chain = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        chain.push_str(&format!("{s} / {s:?} / "));
        source = s.source();
    }
    for text in [&display, &debug, &chain] {
        assert!(!text.contains(secret), "{secret:?} in {text}");
    }
}

#[tokio::test]
async fn a_refused_connection_names_no_password() {
    // Nothing listens on port 1: the pool retries until its acquire timeout (10 s).
    let err = Store::connect("postgres://u:secret@127.0.0.1:1/x")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Connect { .. }), "{err:?}");
    assert_hidden(&err, "secret");
    assert!(
        err.to_string().contains("postgres://u:***@127.0.0.1:1/x"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unsupported_url_names_no_password() {
    for url in ["mysql://root:secret@db/x", "postgres:/u:secret@h/x"] {
        let err = Store::connect(url).await.unwrap_err();
        assert!(matches!(err, StoreError::UnsupportedUrl { .. }), "{err:?}");
        assert_hidden(&err, "secret");
    }
}

#[tokio::test]
async fn a_sqlite_file_that_cannot_be_opened_is_a_connect_error() {
    let err = Store::connect("sqlite:///nonexistent-hallmark-dir/sub/x.db")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Connect { .. }), "{err:?}");
    assert!(err.to_string().contains("x.db"), "{err}");
}

/// `url` with `user:password` in place of its user information.
fn with_user(url: &str, user: &str, password: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{user}:{password}@{host}")
}

#[tokio::test]
async fn a_wrong_password_is_not_named() {
    let Some(url) = postgres_url() else {
        return;
    };
    let user = url
        .split_once("://")
        .unwrap()
        .1
        .split(':')
        .next()
        .unwrap()
        .to_owned();
    for password in ["Wrong-Secret-4711", "Wr%40ng-Secret-4711"] {
        let err = Store::connect(&with_user(&url, &user, password))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Connect { .. }), "{err:?}");
        assert_hidden(&err, "Secret-4711");
    }
}

#[tokio::test]
async fn a_connected_store_does_not_show_its_password() {
    let Some(url) = postgres_url() else {
        return;
    };
    let admin = Store::connect(&url).await.unwrap();
    let role = unique("hallmark_redact");
    let password = "Pw-7f3c9a-Secret";
    execute(
        &admin,
        &format!("CREATE ROLE {role} LOGIN PASSWORD '{password}'"),
    )
    .await;
    let (scheme, rest) = url.split_once("://").unwrap();
    let host_and_db = rest.rsplit_once('@').unwrap().1;
    for own in [
        with_user(&url, &role, password),
        format!("{scheme}://{host_and_db}?user={role}&password={password}"),
    ] {
        let store = Store::connect(&own).await.unwrap();
        let debug = format!("{store:?}");
        assert!(!debug.contains("7f3c9a"), "{debug}");
        store.close().await;
    }
    execute(&admin, &format!("DROP ROLE {role}")).await;
    admin.close().await;
}
