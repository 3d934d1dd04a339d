//! The shared layers, driven through a router without a socket: every error is problem
//! details, request ids are generated or kept and echoed.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query};
use axum::http::{Request, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use hallmark_http::{layers, Problem};
use serde_json::Value;
use tower::ServiceExt;

#[derive(serde::Deserialize)]
struct Limit {
    #[allow(dead_code)]
    limit: u32,
}

fn app() -> Router {
    let routes = Router::new()
        .route("/ok", get(|| async { "ok" }))
        .route(
            "/items/{n}",
            get(|Path(n): Path<u32>| async move { n.to_string() }),
        )
        .route("/q", get(|Query(_): Query<Limit>| async { "ok" }))
        .route(
            "/json",
            post(|Json(v): Json<Value>| async move { Json(v) }).layer(DefaultBodyLimit::max(16)),
        )
        .route(
            "/panic",
            get(|| async {
                if true {
                    panic!("boom");
                }
                "unreachable"
            }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                "late"
            }),
        )
        .route(
            "/teapot",
            get(|| async {
                Problem::new(
                    StatusCode::IM_A_TEAPOT,
                    "teapot",
                    "Teapot",
                    "short and stout",
                )
            }),
        );
    layers(routes, Duration::from_secs(10))
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Value,
}

async fn call(request: Request<Body>) -> Reply {
    let res = app().oneshot(request).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Reply {
        status,
        headers,
        body,
    }
}

fn get_req(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

/// A problem+json answer with this status whose detail contains `needle`.
fn assert_problem(r: &Reply, status: StatusCode, needle: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(
        r.headers["content-type"], "application/problem+json",
        "{}",
        r.body
    );
    assert_eq!(r.body["status"], status.as_u16(), "{}", r.body);
    assert!(
        r.body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("urn:hallmark:problem:")),
        "{}",
        r.body
    );
    let detail = r.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(needle), "{needle:?} not in {}", r.body);
}

#[tokio::test]
async fn every_error_is_problem_json() {
    assert_problem(
        &call(get_req("/nowhere")).await,
        StatusCode::NOT_FOUND,
        "no such endpoint",
    );
    let r = call(Request::delete("/ok").body(Body::empty()).unwrap()).await;
    assert_problem(
        &r,
        StatusCode::METHOD_NOT_ALLOWED,
        "DELETE is not allowed on this path; allowed: GET,HEAD",
    );
    assert!(
        r.headers.contains_key("allow"),
        "405 keeps its Allow header"
    );
    assert_problem(
        &call(get_req("/items/abc")).await,
        StatusCode::BAD_REQUEST,
        "abc",
    );
    assert_problem(
        &call(get_req("/items/%FF")).await,
        StatusCode::BAD_REQUEST,
        "",
    );
    assert_problem(
        &call(get_req("/q?limit=many")).await,
        StatusCode::BAD_REQUEST,
        "limit",
    );
    assert_problem(&call(get_req("/q")).await, StatusCode::BAD_REQUEST, "limit");
    let big = Request::post("/json")
        .header("content-type", "application/json")
        .body(Body::from(format!("{{\"a\": \"{}\"}}", "x".repeat(100))))
        .unwrap();
    assert_problem(&call(big).await, StatusCode::PAYLOAD_TOO_LARGE, "limit");
    let text = Request::post("/json")
        .header("content-type", "text/plain")
        .body(Body::from("{}"))
        .unwrap();
    assert_problem(
        &call(text).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "Content-Type",
    );
    let r = call(get_req("/panic")).await;
    assert_problem(&r, StatusCode::INTERNAL_SERVER_ERROR, "see the server log");
    assert!(
        !r.body.to_string().contains("boom"),
        "no internals: {}",
        r.body
    );
    // A service's own problem passes untouched.
    let r = call(get_req("/teapot")).await;
    assert_eq!(r.body["type"], "urn:hallmark:problem:teapot");
    assert_eq!(r.body["detail"], "short and stout");
    // Successes are untouched.
    let r = call(get_req("/ok")).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, Some("ok")));
}

#[tokio::test(start_paused = true)]
async fn the_request_timeout_is_a_408_problem_that_closes_the_connection() {
    let r = call(get_req("/slow")).await;
    assert_problem(
        &r,
        StatusCode::REQUEST_TIMEOUT,
        "longer than the server allows",
    );
    assert_eq!(r.headers["connection"], "close");
}

#[tokio::test]
async fn request_ids_are_generated_kept_and_echoed() {
    let a = call(get_req("/ok")).await;
    let b = call(get_req("/nowhere")).await;
    let (a, b) = (&a.headers["x-request-id"], &b.headers["x-request-id"]);
    assert!(!a.is_empty());
    assert_ne!(a, b, "one id per request");
    let kept = call(
        Request::get("/ok")
            .header("x-request-id", "client-42.abc")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(kept.headers["x-request-id"], "client-42.abc");
    let replaced = call(
        Request::get("/ok")
            .header("x-request-id", "x".repeat(200))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_ne!(replaced.headers["x-request-id"], "x".repeat(200).as_str());
}
