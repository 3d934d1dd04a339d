//! The server over real loopback sockets, on tokio's paused clock (timeouts fire when the
//! runtime has nothing else to do; no test waits for real time): half-sent headers and idle
//! connections are dropped, the connection cap holds, shutdown finishes what is in flight.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use hallmark_http::{serve, ServeConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, Notify};
use tokio::time::{timeout, Instant};

const HOUR: Duration = Duration::from_secs(3600);

fn config(header_read: u64, idle: u64, max_connections: usize) -> ServeConfig {
    ServeConfig {
        header_read_timeout: Duration::from_secs(header_read),
        idle_timeout: Duration::from_secs(idle),
        max_connections,
        max_connections_per_client: 1024,
        shutdown_grace: Duration::from_secs(30),
    }
}

struct Running {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<()>,
}

async fn start(config: ServeConfig, app: Router) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let done = tokio::spawn(async move {
        serve(listener, app, config, None, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    Running {
        addr,
        stop: Some(stop),
        done,
    }
}

fn app() -> Router {
    Router::new().route("/ok", get(|| async { "ok" }))
}

/// Sends a keep-alive GET and reads its response (headers and a Content-Length body).
async fn get_on(stream: &mut TcpStream, path: &str) -> String {
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nhost: t\r\n\r\n").as_bytes())
        .await
        .unwrap();
    read_response(stream).await
}

async fn read_response(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(
            n > 0,
            "closed mid-response: {}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if body.len() >= length {
                return text;
            }
        }
    }
}

/// Reads until the server closes the connection; how long that took (paused clock).
async fn closed_after(stream: &mut TcpStream) -> Duration {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    timeout(HOUR, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .expect("the server never closed the connection");
    started.elapsed()
}

#[tokio::test(start_paused = true)]
async fn half_sent_headers_are_dropped_after_the_header_read_timeout() {
    let server = start(config(10, 3600, 16), app()).await;
    let mut stalled = TcpStream::connect(server.addr).await.unwrap();
    stalled
        .write_all(b"GET /ok HTTP/1.1\r\nhost: t\r\nx-half: ")
        .await
        .unwrap();
    let after = closed_after(&mut stalled).await;
    assert!(
        after >= Duration::from_secs(10) && after < Duration::from_secs(11),
        "{after:?}"
    );
    // The server still serves others.
    let mut fine = TcpStream::connect(server.addr).await.unwrap();
    assert!(get_on(&mut fine, "/ok").await.starts_with("HTTP/1.1 200"));
}

#[tokio::test(start_paused = true)]
async fn idle_keep_alive_connections_are_closed() {
    let server = start(config(3600, 60, 16), app()).await;
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    assert!(get_on(&mut idle, "/ok").await.starts_with("HTTP/1.1 200"));
    let after = closed_after(&mut idle).await;
    assert!(
        after >= Duration::from_secs(60) && after < Duration::from_secs(61),
        "{after:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_request_in_flight_is_not_idle() {
    let slow = Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(200)).await;
            "done"
        }),
    );
    let server = start(config(3600, 60, 16), slow).await;
    let mut client = TcpStream::connect(server.addr).await.unwrap();
    let started = Instant::now();
    let response = get_on(&mut client, "/slow").await;
    assert!(response.ends_with("done"), "{response}");
    assert!(started.elapsed() >= Duration::from_secs(200));
}

#[tokio::test(start_paused = true)]
async fn the_connection_cap_holds_until_one_closes() {
    let server = start(config(3600, 3600, 2), app()).await;
    let mut first = TcpStream::connect(server.addr).await.unwrap();
    let mut second = TcpStream::connect(server.addr).await.unwrap();
    assert!(get_on(&mut first, "/ok").await.starts_with("HTTP/1.1 200"));
    assert!(get_on(&mut second, "/ok").await.starts_with("HTTP/1.1 200"));
    // The third waits in the backlog: no answer while both stay open.
    let mut third = TcpStream::connect(server.addr).await.unwrap();
    third
        .write_all(b"GET /ok HTTP/1.1\r\nhost: t\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    assert!(
        timeout(Duration::from_secs(30), third.read(&mut buf))
            .await
            .is_err(),
        "the third connection was served beyond the cap"
    );
    drop(first);
    let response = timeout(HOUR, read_response(&mut third)).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}

#[tokio::test(start_paused = true)]
async fn one_client_holds_at_most_its_share_of_connections() {
    let server = start(
        ServeConfig {
            max_connections_per_client: 2,
            ..config(3600, 3600, 100)
        },
        app(),
    )
    .await;
    let mut first = TcpStream::connect(server.addr).await.unwrap();
    let mut second = TcpStream::connect(server.addr).await.unwrap();
    assert!(get_on(&mut first, "/ok").await.starts_with("HTTP/1.1 200"));
    assert!(get_on(&mut second, "/ok").await.starts_with("HTTP/1.1 200"));
    // A third from the same address is closed at once, unanswered (slowloris from one host
    // cannot take every slot of the global cap).
    let mut third = TcpStream::connect(server.addr).await.unwrap();
    let _ = third
        .write_all(b"GET /ok HTTP/1.1\r\nhost: t\r\n\r\n")
        .await;
    assert_eq!(closed_after(&mut third).await, Duration::ZERO);
    // Once one closes, the client may open another.
    drop(first);
    tokio::task::yield_now().await;
    let mut fourth = loop {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        s.write_all(b"GET /ok HTTP/1.1\r\nhost: t\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 15];
        match s.read_exact(&mut buf).await {
            Ok(_) => {
                assert_eq!(&buf, b"HTTP/1.1 200 OK");
                break s;
            }
            // The server had not yet seen the first close: try again.
            Err(_) => tokio::task::yield_now().await,
        }
    };
    drop(fourth.shutdown().await);
    assert!(get_on(&mut second, "/ok").await.starts_with("HTTP/1.1 200"));
}

#[tokio::test(start_paused = true)]
async fn shutdown_finishes_requests_in_flight_and_closes_idle_connections() {
    let entered = Arc::new(Notify::new());
    let gate = Arc::new(Notify::new());
    let app = {
        let (entered, gate) = (entered.clone(), gate.clone());
        Router::new().route("/ok", get(|| async { "ok" })).route(
            "/wait",
            get(move || {
                let (entered, gate) = (entered.clone(), gate.clone());
                async move {
                    entered.notify_one();
                    gate.notified().await;
                    "finished"
                }
            }),
        )
    };
    let mut server = start(config(3600, 3600, 16), app).await;
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    assert!(get_on(&mut idle, "/ok").await.starts_with("HTTP/1.1 200"));
    let mut busy = TcpStream::connect(server.addr).await.unwrap();
    busy.write_all(b"GET /wait HTTP/1.1\r\nhost: t\r\n\r\n")
        .await
        .unwrap();
    entered.notified().await;
    server.stop.take().unwrap().send(()).unwrap();
    // The idle connection is closed at once; the busy one gets its answer, then closes.
    assert_eq!(closed_after(&mut idle).await, Duration::ZERO);
    assert!(!server.done.is_finished());
    gate.notify_one();
    let response = timeout(HOUR, read_response(&mut busy)).await.unwrap();
    assert!(response.ends_with("finished"), "{response}");
    assert!(response.to_ascii_lowercase().contains("connection: close"));
    timeout(HOUR, server.done).await.unwrap().unwrap();
    assert!(
        TcpStream::connect(server.addr).await.is_err(),
        "no longer listening"
    );
}
