//! The layers every route of both services sits behind: a request id (`x-request-id`, kept
//! when the client sent a sane one, else generated; echoed) and a tracing span per request,
//! panics answered as a 500 problem, the request timeout (408), and every error response
//! that is not problem details already — axum's rejections (bad query or path parameter,
//! 413, 415), 404, 405 with its `Allow`, 408, 429 — rewritten as one.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tracing::Instrument;

use crate::problem::{Problem, PROBLEM_JSON};

/// The request-id header.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request timeout both services had: 10 s.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The id of the request being handled (also in the `x-request-id` request header).
#[derive(Debug, Clone)]
pub struct RequestId(pub HeaderValue);

/// Wraps a service's router in the shared layers: request ids and spans, panics as 500
/// problems, `request_timeout` (answered 408), and problem details for every error.
///
/// They wrap the router as a whole (not each route, as `Router::layer` would), so they see
/// its final answers: a 405 with its `Allow` header, the fallback's 404.
pub fn layers(router: Router, request_timeout: Duration) -> Router {
    let service = ServiceBuilder::new()
        .layer_fn(|inner| Envelope { inner })
        .layer(CatchPanicLayer::custom(panicked))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .service(router);
    Router::new().fallback_service(service)
}

/// A handler panicked: log what it said, answer a 500 problem (the connection lives on).
fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic");
    Problem::internal("the request", &format!("handler panicked: {what}")).into_response()
}

/// The request id, span and problem rewriting around every request: a service of its own
/// rather than `axum::middleware::from_fn`, which boxes a clone of the whole stack per request
/// (on a busy verifier that showed in the profile).
#[derive(Clone)]
struct Envelope<S> {
    inner: S,
}

impl<S, B> tower::Service<Request> for Envelope<S>
where
    S: tower::Service<Request, Response = axum::http::Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Response, Infallible>> + Send + 'static>,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let id = request_id(request.headers());
        let method = request.method().clone();
        let span = tracing::info_span!(
            "request",
            id = id.to_str().unwrap_or_default(),
            method = %method,
            path = request.uri().path(),
        );
        request.headers_mut().insert(X_REQUEST_ID, id.clone());
        request.extensions_mut().insert(RequestId(id.clone()));
        // The service that was polled ready handles this request; a clone stays for the next.
        let clone = self.inner.clone();
        let mut ready = std::mem::replace(&mut self.inner, clone);
        let future = span.in_scope(|| {
            tracing::debug!("started");
            ready.call(request)
        });
        Box::pin(
            async move {
                let response = match future.await {
                    Ok(response) => response.map(axum::body::Body::new),
                    Err(never) => match never {},
                };
                let mut response = as_problem(response, &method).await;
                tracing::debug!(status = response.status().as_u16(), "answered");
                response.headers_mut().insert(X_REQUEST_ID, id);
                Ok(response)
            }
            .instrument(span),
        )
    }
}

/// The client's `x-request-id` when it is short and plain, else a new one.
fn request_id(headers: &HeaderMap) -> HeaderValue {
    if let Some(v) = headers.get(&X_REQUEST_ID) {
        let ok = (1..=64).contains(&v.len())
            && v.as_bytes()
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(b));
        if ok {
            return v.clone();
        }
    }
    static PREFIX: OnceLock<u32> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(1);
    // A random per-process prefix and a counter: unique, and no syscall per request.
    let prefix = PREFIX.get_or_init(|| {
        let mut b = [0u8; 4];
        let _ = getrandom::fill(&mut b);
        u32::from_le_bytes(b)
    });
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    HeaderValue::from_str(&format!("{prefix:08x}-{n:x}"))
        .unwrap_or_else(|_| HeaderValue::from_static("0"))
}

/// An error response that is not problem details (or a JSON answer of the service's own, or
/// an error page a page handler rendered for a browser, `text/html`) becomes one, keeping its headers (`Allow`, `Retry-After`, …) and its text as the detail.
async fn as_problem(response: Response, method: &Method) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with(PROBLEM_JSON)
        || content_type.starts_with("application/json")
        || content_type.starts_with("text/html")
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 16 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let detail = if text.is_empty() {
        default_detail(status, method, &parts.headers)
    } else {
        text
    };
    let problem = Problem::for_status(status, detail).into_response();
    let (problem_parts, body) = problem.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in &problem_parts.headers {
        parts.headers.insert(name.clone(), value.clone());
    }
    if status == StatusCode::REQUEST_TIMEOUT {
        // The client may still be sending: do not read on.
        parts
            .headers
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    Response::from_parts(parts, body)
}

fn default_detail(status: StatusCode, method: &Method, headers: &HeaderMap) -> String {
    match status {
        StatusCode::NOT_FOUND => "no such endpoint".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => {
            let allow = headers
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            format!("{method} is not allowed on this path; allowed: {allow}")
        }
        StatusCode::REQUEST_TIMEOUT => {
            "the request took longer than the server allows; send it again".to_owned()
        }
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is larger than allowed".to_owned(),
        StatusCode::TOO_MANY_REQUESTS => {
            let after = headers
                .get(header::RETRY_AFTER)
                .or_else(|| headers.get("x-ratelimit-after"))
                .and_then(|v| v.to_str().ok())
                .unwrap_or("a few");
            format!("too many requests from this address; retry after {after} s")
        }
        s => s.canonical_reason().unwrap_or("error").to_owned(),
    }
}
