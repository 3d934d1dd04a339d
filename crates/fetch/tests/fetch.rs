//! The fetcher against a real local HTTP server: the SSRF guard in its default configuration,
//! redirects, size limits, and the cache's lifetime rules.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hallmark_fetch::{FetchError, FetchPolicy, Fetcher};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A canned response: extra headers and body, per path.
#[derive(Clone)]
struct Route {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

/// Serves `routes` on 127.0.0.1; returns the port and a hit counter per path.
async fn serve(
    routes: HashMap<&'static str, Route>,
) -> (u16, Arc<std::sync::Mutex<HashMap<String, usize>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(std::sync::Mutex::new(HashMap::new()));
    let counter = hits.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let routes = routes.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let mut read = 0;
                while !buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf[read..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => read += n,
                    }
                }
                let request = String::from_utf8_lossy(&buf[..read]);
                let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
                *counter.lock().unwrap().entry(path.clone()).or_insert(0) += 1;
                let route = routes.get(path.as_str()).cloned().unwrap_or(Route {
                    status: 404,
                    headers: vec![],
                    body: b"not found".to_vec(),
                });
                let mut head = format!(
                    "HTTP/1.1 {} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                    route.status,
                    route.body.len()
                );
                for (k, v) in &route.headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&route.body).await;
            });
        }
    });
    (port, hits)
}

fn ok(body: &str, headers: Vec<(&'static str, String)>) -> Route {
    Route {
        status: 200,
        headers,
        body: body.as_bytes().to_vec(),
    }
}

fn local_policy(port: u16) -> FetchPolicy {
    FetchPolicy {
        insecure_hosts: vec![format!("127.0.0.1:{port}")],
        ..FetchPolicy::default()
    }
}

fn hits(counter: &std::sync::Mutex<HashMap<String, usize>>, path: &str) -> usize {
    counter.lock().unwrap().get(path).copied().unwrap_or(0)
}

#[tokio::test]
async fn default_policy_refuses_internal_addresses() {
    // A server is listening on loopback, so a refusal is the guard's doing, not a closed port.
    let (port, counter) = serve(HashMap::from([("/x", ok("secret", vec![]))])).await;
    let fetcher = Fetcher::new(FetchPolicy::default()).unwrap();
    for url in [
        format!("http://127.0.0.1:{port}/x"),
        format!("https://127.0.0.1:{port}/x"),
        "http://127.0.0.1/x".to_owned(),
        "https://10.0.0.1/x".to_owned(),
        "https://[::1]/x".to_owned(),
        "https://169.254.169.254/latest/meta-data".to_owned(),
        format!("https://localhost:{port}/x"),
    ] {
        let err = fetcher.get(&url).await.unwrap_err();
        assert!(matches!(err, FetchError::Refused { .. }), "{url}: {err}");
    }
    assert_eq!(hits(&counter, "/x"), 0);

    // A host name whose address is private is refused after resolution.
    let policy = FetchPolicy {
        static_hosts: HashMap::from([(
            "badges.internal.example".to_owned(),
            vec!["10.1.2.3".parse().unwrap()],
        )]),
        ..FetchPolicy::default()
    };
    let fetcher = Fetcher::new(policy).unwrap();
    let err = fetcher
        .get("https://badges.internal.example/status/1")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("10.1.2.3, an internal address"),
        "{err}"
    );
    let policy = FetchPolicy {
        static_hosts: HashMap::from([(
            "loop.example".to_owned(),
            vec!["127.0.0.1".parse().unwrap()],
        )]),
        ..FetchPolicy::default()
    };
    let err = Fetcher::new(policy)
        .unwrap()
        .get(&format!("https://loop.example:{port}/x"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("internal address"), "{err}");
    assert_eq!(hits(&counter, "/x"), 0);
}

#[tokio::test]
async fn redirects_are_checked_and_bounded() {
    let (port, _) = serve(HashMap::from([
        (
            "/to-internal",
            Route {
                status: 302,
                headers: vec![("location", "https://10.0.0.1/x".into())],
                body: vec![],
            },
        ),
        (
            "/a",
            Route {
                status: 302,
                headers: vec![("location", "/b".into())],
                body: vec![],
            },
        ),
        (
            "/b",
            Route {
                status: 302,
                headers: vec![("location", "/c".into())],
                body: vec![],
            },
        ),
        (
            "/c",
            Route {
                status: 302,
                headers: vec![("location", "/d".into())],
                body: vec![],
            },
        ),
        (
            "/d",
            Route {
                status: 302,
                headers: vec![("location", "/e".into())],
                body: vec![],
            },
        ),
        (
            "/e",
            Route {
                status: 302,
                headers: vec![("location", "/f".into())],
                body: vec![],
            },
        ),
        ("/f", ok("{}", vec![])),
        ("/d2", ok("{}", vec![])),
    ]))
    .await;
    let fetcher = Fetcher::new(local_policy(port)).unwrap();
    let base = format!("https://127.0.0.1:{port}");
    let err = fetcher
        .get(&format!("{base}/to-internal"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("10.0.0.1"), "{err}");
    let err = fetcher.get(&format!("{base}/a")).await.unwrap_err();
    assert!(err.to_string().contains("redirects"), "{err}");
    assert_eq!(&*fetcher.get(&format!("{base}/d2")).await.unwrap(), b"{}");
}

#[tokio::test]
async fn size_limit_and_status() {
    let big = "x".repeat(2 << 20);
    let (port, _) = serve(HashMap::from([
        ("/big", ok(&big, vec![])),
        (
            "/gone",
            Route {
                status: 410,
                headers: vec![],
                body: vec![],
            },
        ),
    ]))
    .await;
    let fetcher = Fetcher::new(local_policy(port)).unwrap();
    let base = format!("https://127.0.0.1:{port}");
    assert!(matches!(
        fetcher.get(&format!("{base}/big")).await,
        Err(FetchError::TooLarge { max: 1048576, .. })
    ));
    assert!(matches!(
        fetcher.get(&format!("{base}/gone")).await,
        Err(FetchError::Status { status: 410, .. })
    ));
}

#[tokio::test]
async fn cache_honours_cache_control_ttl_and_the_configured_bound() {
    let list_with_ttl = r#"{"type": ["VerifiableCredential", "BitstringStatusListCredential"], "credentialSubject": {"ttl": 0}}"#;
    let (port, counter) = serve(HashMap::from([
        (
            "/max-age",
            ok("{}", vec![("cache-control", "public, max-age=600".into())]),
        ),
        (
            "/no-store",
            ok("{}", vec![("cache-control", "no-store".into())]),
        ),
        ("/plain", ok("{}", vec![])),
        (
            "/ttl-zero",
            ok(list_with_ttl, vec![("cache-control", "max-age=600".into())]),
        ),
    ]))
    .await;
    let base = format!("https://127.0.0.1:{port}");
    let fetcher = Fetcher::new(local_policy(port)).unwrap();
    for path in ["/max-age", "/no-store", "/plain", "/ttl-zero"] {
        let first = fetcher.get(&format!("{base}{path}")).await.unwrap();
        let second = fetcher.get(&format!("{base}{path}")).await.unwrap();
        let cached = Arc::ptr_eq(&first, &second);
        match path {
            "/max-age" | "/plain" => assert!(cached && hits(&counter, path) == 1, "{path}"),
            _ => assert!(!cached && hits(&counter, path) == 2, "{path}"),
        }
    }
    // The configured maximum age bounds even a long max-age.
    let short = FetchPolicy {
        max_age: Duration::from_millis(200),
        ..local_policy(port)
    };
    let fetcher = Fetcher::new(short).unwrap();
    let url = format!("{base}/max-age");
    let first = fetcher.get(&url).await.unwrap();
    assert!(Arc::ptr_eq(&first, &fetcher.get(&url).await.unwrap()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let later = fetcher.get(&url).await.unwrap();
    assert!(!Arc::ptr_eq(&first, &later));
}

#[tokio::test]
async fn local_copies_and_offline() {
    let policy = FetchPolicy {
        offline: true,
        ..FetchPolicy::default()
    };
    let fetcher = Fetcher::new(policy)
        .unwrap()
        .with_local("https://acme.example/status/1", b"{\"a\":1}".to_vec());
    assert_eq!(
        &*fetcher.get("https://acme.example/status/1").await.unwrap(),
        b"{\"a\":1}"
    );
    assert!(matches!(
        fetcher.get("https://acme.example/status/2").await,
        Err(FetchError::Offline { .. })
    ));
}

#[tokio::test]
async fn unreachable_is_an_error_not_a_hang() {
    // A port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let fetcher = Fetcher::new(local_policy(port)).unwrap();
    let err = fetcher
        .get(&format!("https://127.0.0.1:{port}/status/1"))
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Unreachable { .. }), "{err}");
    let _ = AtomicUsize::new(0).load(Ordering::Relaxed);
}
