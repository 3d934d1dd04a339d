//! The verifier's OpenAPI 3.1 document (`GET /openapi.json`): served as JSON, and listing
//! the VC API routes the router (`src/lib.rs`, read as source) declares, so a new route
//! without its path stub fails here.

use axum::body::Body;
use axum::http::Request;
use hallmark_testkit::openapi::{has_operation, operations, router_routes};
use hallmark_testkit::Answer;
use hallmark_verifier::{router, VerifierConfig, VerifierState};
use tower::ServiceExt;

const ROUTER: &str = include_str!("../src/lib.rs");

async fn served() -> serde_json::Value {
    let state = VerifierState::new(VerifierConfig::default()).unwrap();
    let req = Request::get("/openapi.json").body(Body::empty()).unwrap();
    let reply = Answer::read(router(state).oneshot(req).await.unwrap()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.content_type, "application/json");
    assert!(reply.header("cache-control").starts_with("public"));
    reply.json()
}

#[tokio::test]
async fn covers_the_vc_api_routes_of_the_router() {
    let doc = served().await;
    let routes: Vec<_> = router_routes(ROUTER)
        .into_iter()
        .filter(|(_, p)| p == "/credentials/verify" || p == "/presentations/verify")
        .collect();
    assert_eq!(routes.len(), 2, "{routes:?}");
    let missing: Vec<_> = routes
        .iter()
        .filter(|(m, p)| !has_operation(&doc, m, p))
        .collect();
    assert!(
        missing.is_empty(),
        "routes missing from /openapi.json (add a path stub in src/openapi.rs): {missing:?}"
    );
    assert!(has_operation(&doc, "GET", "/healthz"));
    assert!(has_operation(&doc, "GET", "/openapi.json"));
}

#[tokio::test]
async fn is_openapi_3_1_and_every_error_is_documented() {
    let doc = served().await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."));
    for (method, path, op) in operations(&doc) {
        let responses = op["responses"].as_object().unwrap();
        assert!(responses.contains_key("200"), "{method} {path}");
        assert!(responses["429"]["content"]["application/problem+json"].is_object());
        if method == "POST" {
            // A credential that does not verify: the report, as JSON.
            let not_verified = &responses["422"]["content"];
            assert!(not_verified["application/json"].is_object(), "{path}");
            for status in ["400", "413"] {
                assert!(
                    responses[status]["content"]["application/problem+json"].is_object(),
                    "{path} {status}"
                );
            }
        }
    }
}
