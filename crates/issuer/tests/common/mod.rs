//! What the issuer's page and image tests share: an issuer on SQLite in a temporary folder,
//! requests through `router()` (no socket), and verification of a badge against the documents
//! the service publishes.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use hallmark_core::keys::{KeyFile, SecretKey};
use hallmark_core::verify::{ResolveError, Resources, Verifier};
use hallmark_issuer::{router, Config, Issuer, Overrides};
use hallmark_testkit::Answer;
use serde_json::Value;
use tower::ServiceExt;

/// The base URL of the tests' issuer.
pub const BASE: &str = "https://partners.acme.example";

/// What a browser sends as `Accept`.
pub const BROWSER: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

/// An issuer with the demo program, a fixed key and an admin token.
pub struct Harness {
    pub issuer: Issuer,
    pub token: String,
    _dir: PathBuf,
}

/// An answer: status, headers, body as bytes and as (lossy) text.
pub use hallmark_testkit::Answer as Reply;

/// The verdict a page or image shows.
pub trait Verdict {
    /// The `data-state` of a page's verdict or an image's root.
    fn state(&self) -> &str;
}

impl Verdict for Reply {
    fn state(&self) -> &str {
        let at = self.text.find("data-state=\"").expect("a data-state") + 12;
        let end = self.text[at..].find('"').unwrap();
        &self.text[at..at + end]
    }
}

/// The database a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    /// SQLite in the issuer's folder.
    Sqlite,
    /// A fresh database on the PostgreSQL server of HALLMARK_TEST_POSTGRES_URL.
    Postgres,
}

/// Runs each async test function `$name(backend: Backend)` on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::common::Backend::Postgres).await
            }
        }
    )+};
}

/// The `database_url` of a test on `backend`: SQLite in the issuer's folder, or a fresh
/// PostgreSQL database; None on PostgreSQL when no server is configured.
pub async fn database_url(backend: Backend) -> Option<String> {
    match backend {
        Backend::Sqlite => Some("sqlite:hallmark.db".to_owned()),
        Backend::Postgres => postgres_url().await,
    }
}

/// A fresh PostgreSQL database, or None when no server is configured (outside CI).
pub async fn postgres_url() -> Option<String> {
    let admin = hallmark_testkit::postgres_admin_url()?;
    let mut r = [0u8; 6];
    getrandom::fill(&mut r).unwrap();
    let name = format!(
        "hallmark_test_{}",
        r.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let store = hallmark_store::Store::connect(&admin)
        .await
        .expect("PostgreSQL is reachable");
    let hallmark_store::Store::Postgres(pool) = &store else {
        unreachable!()
    };
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(pool)
        .await
        .unwrap();
    store.close().await;
    let base = admin.rsplit_once('/').unwrap().0;
    Some(format!("{base}/{name}"))
}

/// An issuer at `base_url` with `extra` lines of configuration, on SQLite.
pub async fn harness(base_url: &str, extra: &str) -> Harness {
    harness_with(
        Backend::Sqlite,
        base_url,
        hallmark_issuer::program::DEMO_PROGRAM,
        extra,
    )
    .await
    .expect("SQLite is always there")
}

/// An issuer on `backend` at `base_url`, running `program`, with `extra` lines of
/// configuration; None on PostgreSQL when no server is configured.
pub async fn harness_with(
    backend: Backend,
    base_url: &str,
    program: &str,
    extra: &str,
) -> Option<Harness> {
    let database_url = database_url(backend).await?;
    let key = KeyFile::new(SecretKey::from_seed(&[12; 32]));
    let dir = hallmark_testkit::issuer_folder(
        "faces",
        key.to_json().expose(),
        program,
        &format!("issuer_name = \"Acme\"\nissuer_url = \"https://acme.example\"\nbase_url = \"{base_url}\"\ndatabase_url = \"{database_url}\"\n{extra}"),
    );
    let config = Config::load(&dir.join("config.toml"), &Overrides::default()).unwrap();
    let issuer = Issuer::open(config).await.unwrap();
    let token = hallmark_issuer::create_token(issuer.store(), "test-admin")
        .await
        .unwrap();
    Some(Harness {
        issuer,
        token,
        _dir: dir,
    })
}

impl Harness {
    /// A request with `headers`; a JSON `body` and anything under `/api/` carry the token.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        if (body.is_some() || path.starts_with("/api/"))
            && !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        {
            req = req.header("authorization", format!("Bearer {}", self.token));
        }
        let req = req
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .unwrap();
        Answer::read(router(self.issuer.clone()).oneshot(req).await.unwrap()).await
    }

    /// A request with `headers` and a raw `body`, carrying the token (unless `headers` has
    /// an `authorization`).
    #[allow(dead_code)]
    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        {
            req = req.header("authorization", format!("Bearer {}", self.token));
        }
        let req = req.body(Body::from(body)).unwrap();
        Answer::read(router(self.issuer.clone()).oneshot(req).await.unwrap()).await
    }

    /// `GET path` with no headers.
    pub async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, &[], None).await
    }

    /// `GET path` as a browser.
    pub async fn page(&self, path: &str) -> Reply {
        self.send("GET", path, &[("accept", BROWSER)], None).await
    }

    /// Verifies `badge` with the status lists and DID document this service publishes.
    pub async fn verify(&self, badge: &Value) -> hallmark_core::Report {
        let base = self.issuer.config().base_url.clone();
        let mut docs = HashMap::new();
        for path in [
            "/status/revocation-1",
            "/status/suspension-1",
            "/status/message-2bit-1",
            "/status/message-3bit-1",
            "/.well-known/did.json",
        ] {
            let r = self.get(path).await;
            if r.status == StatusCode::OK {
                docs.insert(format!("{base}{path}"), Arc::<[u8]>::from(r.body));
            }
        }
        Verifier::new(time::OffsetDateTime::now_utc()).verify_value(badge, &Served(docs))
    }

    /// Runs `sql` on the issuer's database.
    pub async fn execute(&self, sql: &str) {
        match self.issuer.store() {
            hallmark_store::Store::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
            hallmark_store::Store::Postgres(pool) => {
                sqlx::query(sql).execute(pool).await.map(|_| ())
            }
        }
        .unwrap();
    }
}

/// Documents by URL.
pub struct Served(pub HashMap<String, Arc<[u8]>>);

impl Resources for Served {
    fn fetch(&self, url: &str) -> Result<Arc<[u8]>, ResolveError> {
        self.0.get(url).cloned().ok_or_else(|| ResolveError {
            undecided: true,
            detail: format!("{url} not served"),
        })
    }
}
