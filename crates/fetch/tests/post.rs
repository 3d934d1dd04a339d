//! `Fetcher::post_json`: the webhook sender's POST, under the same guard as fetches.

use hallmark_fetch::{FetchError, FetchPolicy, Fetcher};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server answering every request with `answer` (a status line and headers), handing the
/// request's bytes to the test.
async fn canned(answer: &'static str) -> (u16, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Head, then a body of Content-Length bytes.
                loop {
                    let n = socket.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).into_owned();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length: ")
                                    .map(|v| v.trim().parse::<usize>().unwrap())
                            })
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                let _ = tx.send(String::from_utf8_lossy(&buf).into_owned());
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (port, rx)
}

fn allowing(port: u16) -> Fetcher {
    Fetcher::new(FetchPolicy {
        insecure_hosts: vec![format!("127.0.0.1:{port}")],
        ..FetchPolicy::default()
    })
    .unwrap()
}

#[tokio::test]
async fn posts_json_with_headers_and_returns_the_status() {
    let (port, mut requests) = canned("HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n").await;
    let status = allowing(port)
        .post_json(
            &format!("http://127.0.0.1:{port}/hook"),
            &[("webhook-id", "msg_1")],
            br#"{"a":1}"#.to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(status, 204);
    let request = requests.recv().await.unwrap();
    assert!(request.starts_with("POST /hook HTTP/1.1\r\n"), "{request}");
    assert!(request.contains("webhook-id: msg_1\r\n"), "{request}");
    assert!(
        request.contains("content-type: application/json\r\n"),
        "{request}"
    );
    assert!(request.ends_with("\r\n\r\n{\"a\":1}"), "{request}");
}

#[tokio::test]
async fn redirects_are_returned_not_followed() {
    let (port, mut requests) = canned(
        "HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.1:1/x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
    )
    .await;
    let status = allowing(port)
        .post_json(&format!("http://127.0.0.1:{port}/"), &[], b"{}".to_vec())
        .await
        .unwrap();
    assert_eq!(status, 307);
    assert!(requests.recv().await.is_some());
    assert!(requests.try_recv().is_err(), "one request only");
}

#[tokio::test]
async fn internal_addresses_are_refused_before_connecting() {
    let (port, mut requests) = canned("HTTP/1.1 204 No Content\r\n\r\n").await;
    let fetcher = Fetcher::new(FetchPolicy::default()).unwrap();
    for url in [
        format!("https://127.0.0.1:{port}/"),
        format!("http://127.0.0.1:{port}/"),
        format!("https://localhost:{port}/"),
    ] {
        let e = fetcher
            .post_json(&url, &[], b"{}".to_vec())
            .await
            .unwrap_err();
        assert!(matches!(e, FetchError::Refused { .. }), "{url}: {e}");
    }
    assert!(requests.try_recv().is_err(), "nothing reached the server");
}
