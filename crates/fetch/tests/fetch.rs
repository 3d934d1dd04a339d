//! The fetcher against a real local HTTP server: the SSRF guard in its default configuration,
//! redirects, size limits, and the cache's lifetime rules.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hallmark_fetch::{FetchError, FetchPolicy, Fetcher};
use hallmark_testkit::read_request_head;
use tokio::io::AsyncWriteExt;
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
                let Some(path) = read_request_head(&mut socket).await else {
                    return;
                };
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
    // Named by the host alone: what it resolved to is not told (see
    // `refusals_name_the_host_alone_whatever_it_resolves_to`).
    assert_eq!(
        err.to_string(),
        "refused to fetch https://badges.internal.example/status/1: \
         badges.internal.example is not a public address"
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
    assert!(err.to_string().contains("is not a public address"), "{err}");
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
    // The configured maximum age bounds even a long max-age (by the fetcher's clock: the
    // test moves it instead of sleeping).
    let clock = hallmark_core::clock::ManualClock::new();
    let short = FetchPolicy {
        max_age: Duration::from_secs(200),
        clock: Arc::new(clock.clone()),
        ..local_policy(port)
    };
    let fetcher = Fetcher::new(short).unwrap();
    let url = format!("{base}/max-age");
    let first = fetcher.get(&url).await.unwrap();
    clock.advance(Duration::from_secs(199));
    assert!(Arc::ptr_eq(&first, &fetcher.get(&url).await.unwrap()));
    clock.advance(Duration::from_secs(1));
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

/// A refused host is named as the URL names it, and nothing else: not the address it resolved
/// to, nor whether a port there is open, closed or silent (the same bytes for each).
#[tokio::test]
async fn refusals_name_the_host_alone_whatever_it_resolves_to() {
    let fetch = |ip: &str, url: String| {
        let policy = FetchPolicy {
            static_hosts: HashMap::from([(
                "intranet.example".to_owned(),
                vec![ip.parse().unwrap()],
            )]),
            timeout: Duration::from_secs(2),
            ..FetchPolicy::default()
        };
        async move {
            Fetcher::new(policy)
                .unwrap()
                .get(&url)
                .await
                .unwrap_err()
                .to_string()
        }
    };
    // An open port (something listens), then the same port closed.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let url = format!("https://intranet.example:{port}/status/1");
    let open = fetch("127.0.0.1", url.clone()).await;
    listener.set_nonblocking(true).unwrap();
    assert!(listener.accept().is_err(), "nothing connected");
    drop(listener);
    let closed = fetch("127.0.0.1", url.clone()).await;
    assert_eq!(
        open,
        format!("refused to fetch {url}: intranet.example is not a public address")
    );
    assert_eq!(closed, open);
    // A private address nothing answers on (a connection there would time out), and others.
    for ip in ["10.255.255.1", "::1", "169.254.169.254", "::ffff:127.0.0.1"] {
        assert_eq!(fetch(ip, url.clone()).await, open, "{ip}");
    }
    assert!(!open.contains("127.0.0.1") && !open.contains("loopback"));
    // An IP in the URL is the caller's own text: it is named, without its range.
    let err = Fetcher::new(FetchPolicy::default())
        .unwrap()
        .get("https://0x7f.1/x")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "refused to fetch https://0x7f.1/x: 127.0.0.1 is not a public address"
    );
}

/// A request that fails names what failed in the fetcher's words, not the network's:
/// a refused connection and a reset one read the same.
#[tokio::test]
async fn failed_requests_do_not_tell_refused_from_reset() {
    // Closed: nothing listens.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    // Reset: accepts, then closes at once.
    let reset = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let reset_port = reset.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in reset.incoming().flatten() {
            drop(stream);
        }
    });
    let mut reasons = Vec::new();
    for port in [closed_port, reset_port] {
        let fetcher = Fetcher::new(local_policy(port)).unwrap();
        match fetcher
            .get(&format!("https://127.0.0.1:{port}/status/1"))
            .await
        {
            Err(FetchError::Unreachable { reason, .. }) => reasons.push(reason),
            other => panic!("{port}: {other:?}"),
        }
    }
    assert_eq!(
        reasons[0],
        "no answer: the connection failed, or nothing answered within 10 s"
    );
    assert_eq!(reasons[1], reasons[0]);
}

/// Serves `length` bytes at every path on 127.0.0.1, with a `content-length` unless the path
/// holds `unsized` (then the body ends when the connection closes). Paths starting
/// with `/stall` send half the body, then wait for `release` before the rest.
async fn serve_large(length: usize, release: tokio::sync::watch::Receiver<bool>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut release = release.clone();
            tokio::spawn(async move {
                let Some(path) = read_request_head(&mut socket).await else {
                    return;
                };
                let head = if path.contains("unsized") {
                    "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n".to_owned()
                } else {
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: {length}\r\nconnection: close\r\n\r\n"
                    )
                };
                let body = vec![b'x'; length];
                let half = if path.starts_with("/stall") {
                    length / 2
                } else {
                    length
                };
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&body[..half]).await;
                if half < length {
                    let _ = release.wait_for(|r| *r).await;
                    let _ = socket.write_all(&body[half..]).await;
                }
            });
        }
    });
    port
}

/// Yields until `held` bytes are held (at most 30 s by the clock), checking the bound.
async fn until_held(budget: &hallmark_fetch::InFlight, held: usize) {
    let started = std::time::Instant::now();
    while budget.held() != held {
        assert!(budget.held() <= budget.capacity());
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{} bytes held, not {held}",
            budget.held()
        );
        tokio::task::yield_now().await;
    }
}

/// Issue: 64 verifications each reading large documents grew the verifier to ~2 GB. Every
/// fetch of a fetcher draws on one in-flight byte budget: however many read at once, the
/// bytes held never pass it; a fetch that finds no room within its timeout fails as busy
/// (an undecided check), and what a fetch held comes back when it ends or is dropped.
#[tokio::test]
async fn bodies_in_flight_share_one_byte_budget() {
    const LEN: usize = 256 << 10;
    let (release, released) = tokio::sync::watch::channel(false);
    let port = serve_large(LEN, released).await;
    let base = format!("https://127.0.0.1:{port}");
    // Room for two bodies and a half.
    let capacity = 2 * LEN + LEN / 2;
    let fetcher = Fetcher::new(FetchPolicy {
        in_flight_bytes: capacity,
        timeout: Duration::from_secs(30),
        ..local_policy(port)
    })
    .unwrap();
    let budget = fetcher.in_flight().clone();
    assert_eq!(budget.capacity(), capacity);
    assert_eq!(FetchPolicy::default().in_flight_bytes, 64 << 20);

    // Six fetches at once, each stalled halfway: two hold their whole stated length, the
    // others wait for room.
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let (fetcher, url) = (fetcher.clone(), format!("{base}/stall/{i}"));
            tokio::spawn(async move { fetcher.get(&url).await })
        })
        .collect();
    until_held(&budget, 2 * LEN).await;

    // A fetcher with a short timeout on the same budget: no room within it, so busy.
    let impatient = Fetcher::new(FetchPolicy {
        timeout: Duration::from_millis(300),
        ..local_policy(port)
    })
    .unwrap()
    .with_in_flight(budget.clone());
    let err = impatient.get(&format!("{base}/now")).await.unwrap_err();
    assert!(matches!(err, FetchError::Busy { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "{base}/now was not fetched: the verifier is busy fetching other documents; try again"
        )
    );
    // Through the verification loop, busy is undecided ("unknown"), never valid.
    let url = format!("{base}/now-2");
    let answer = hallmark_fetch::with_fetched(&impatient, |resources| {
        resources
            .fetch(&url)
            .map(|_| ())
            .map_err(|e| (e.undecided, e.detail))
    })
    .await;
    let (undecided, detail) = answer.unwrap_err();
    assert!(
        undecided && detail.contains("busy fetching other documents"),
        "{detail}"
    );

    // Released, every fetch completes in turn, and the budget was never passed.
    release.send(true).unwrap();
    for task in tasks {
        let body = task.await.unwrap().unwrap();
        assert_eq!(body.len(), LEN);
    }
    assert_eq!(budget.held(), 0);
    assert_eq!(budget.high_water(), 2 * LEN);

    // Without a stated length the budget is taken as the buffer grows, and given back.
    let body = fetcher.get(&format!("{base}/unsized")).await.unwrap();
    assert_eq!(body.len(), LEN);
    assert_eq!(budget.held(), 0);
    assert!(budget.high_water() <= capacity);

    // A body larger than the whole budget could never be read: too large, at once.
    let small = Fetcher::new(FetchPolicy {
        in_flight_bytes: LEN - 1,
        ..local_policy(port)
    })
    .unwrap();
    for path in ["/big", "/unsized-big"] {
        assert!(matches!(
            small.get(&format!("{base}{path}")).await,
            Err(FetchError::TooLarge { max, .. }) if max == LEN - 1
        ));
        assert_eq!(small.in_flight().held(), 0);
    }
    // A budget of nothing is refused.
    assert!(matches!(
        Fetcher::new(FetchPolicy {
            in_flight_bytes: 0,
            ..FetchPolicy::default()
        }),
        Err(FetchError::Policy { .. })
    ));
}

/// What a fetch held comes back when the fetch is dropped halfway (its caller gone).
#[tokio::test]
async fn a_dropped_fetch_gives_its_bytes_back() {
    const LEN: usize = 64 << 10;
    let (_release, released) = tokio::sync::watch::channel(false);
    let port = serve_large(LEN, released).await;
    let fetcher = Fetcher::new(FetchPolicy {
        in_flight_bytes: LEN,
        ..local_policy(port)
    })
    .unwrap();
    let budget = fetcher.in_flight().clone();
    for path in ["/stall", "/stall-unsized"] {
        let url = format!("https://127.0.0.1:{port}{path}");
        let task = {
            let fetcher = fetcher.clone();
            tokio::spawn(async move { fetcher.get(&url).await })
        };
        let started = std::time::Instant::now();
        while budget.held() == 0 {
            assert!(started.elapsed() < Duration::from_secs(30), "{path}");
            tokio::task::yield_now().await;
        }
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
        assert_eq!(budget.held(), 0, "{path}");
    }
}

/// The documents one pass of the pipeline names are fetched at once: a server that answers
/// only when both requests have arrived answers both (fetched one after the other, the first
/// would wait out the timeout, and both would fail).
#[tokio::test]
async fn the_documents_a_pass_names_are_fetched_concurrently() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let both = Arc::new(tokio::sync::Barrier::new(2));
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let both = both.clone();
            tokio::spawn(async move {
                if read_request_head(&mut socket).await.is_none() {
                    return;
                }
                both.wait().await;
                let _ = socket
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
                    )
                    .await;
            });
        }
    });
    let fetcher = Fetcher::new(FetchPolicy {
        timeout: Duration::from_secs(20),
        ..local_policy(port)
    })
    .unwrap();
    let urls = [
        format!("https://127.0.0.1:{port}/did.json"),
        format!("https://127.0.0.1:{port}/status/1"),
    ];
    let answers = hallmark_fetch::with_fetched(&fetcher, |resources| {
        urls.iter()
            .map(|u| resources.fetch(u).map(|b| b.to_vec()).map_err(|e| e.detail))
            .collect::<Vec<_>>()
    })
    .await;
    assert_eq!(answers, vec![Ok(b"{}".to_vec()), Ok(b"{}".to_vec())]);
}

#[tokio::test]
async fn a_run_holds_at_most_its_byte_budget() {
    let body = "x".repeat(600);
    let (port, counter) = serve(HashMap::from([
        ("/a", ok(&body, vec![])),
        ("/b", ok(&body, vec![])),
        ("/c", ok("small", vec![])),
    ]))
    .await;
    let fetcher = Fetcher::new(local_policy(port))
        .unwrap()
        .for_run(2)
        .run_bytes(1000);
    let url = |p: &str| format!("https://127.0.0.1:{port}{p}");
    assert_eq!(fetcher.get(&url("/a")).await.unwrap().len(), 600);
    // 600 + 600 > 1,000: refused, and that answer is the run's for /b.
    let err = fetcher.get(&url("/b")).await.unwrap_err();
    assert_eq!(
        err,
        FetchError::RunFull {
            url: url("/b"),
            max: 1000
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "{} was not fetched: this run already holds 1000 bytes of fetched documents",
            url("/b")
        )
    );
    assert!(matches!(
        fetcher.answered(&url("/b")),
        Some(Err(FetchError::RunFull { .. }))
    ));
    // What still fits is fetched.
    assert_eq!(&fetcher.get(&url("/c")).await.unwrap()[..], b"small");
    assert_eq!(hits(&counter, "/b"), 1);
    assert_eq!(fetcher.run_requests(), 3);
}
