//! The OpenAPI 3.1 document (`GET /openapi.json`): served publicly as JSON, and listing every
//! route of the admin API and the VC API that the router (`src/api/mod.rs`, read as source)
//! declares, so a new route without its path stub fails here.

mod common;

use common::{harness_with, Backend};
use hallmark_testkit::openapi::{has_operation, operations, router_routes};
use serde_json::Value;

const ROUTER: &str = include_str!("../src/api/mod.rs");

/// The API routes the document must cover: everything under `/api/`, and the VC API.
fn api_routes() -> Vec<(String, String)> {
    router_routes(ROUTER)
        .into_iter()
        .filter(|(_, path)| path.starts_with("/api/") || path == "/credentials/issue")
        .collect()
}

async fn served(backend: Backend) -> Option<Value> {
    let h = harness_with(
        backend,
        common::BASE,
        hallmark_issuer::program::DEMO_PROGRAM,
        "",
    )
    .await?;
    // No token: the document is public.
    let reply = h.get("/openapi.json").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.content_type, "application/json");
    assert!(reply.header("cache-control").starts_with("public"));
    Some(reply.json())
}

async fn covers_every_api_route_of_the_router(backend: Backend) {
    let Some(doc) = served(backend).await else {
        return;
    };
    let routes = api_routes();
    // The router's source was read: the admin API has well over a dozen operations.
    assert!(routes.len() >= 20, "{routes:?}");
    let missing: Vec<_> = routes
        .iter()
        .filter(|(method, path)| !has_operation(&doc, method, path))
        .collect();
    assert!(
        missing.is_empty(),
        "routes missing from /openapi.json (add a path stub in src/api/openapi.rs): {missing:?}"
    );
    // The public JSON documents, and the document itself.
    for path in [
        "/credentials/{id}",
        "/status/{id}",
        "/.well-known/did.json",
        "/healthz",
        "/openapi.json",
    ] {
        assert!(has_operation(&doc, "GET", path), "{path}");
    }
}

async fn is_openapi_3_1_with_responses_roles_and_problems(backend: Backend) {
    let Some(doc) = served(backend).await else {
        return;
    };
    let version = doc["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1."), "{version}");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let ops = operations(&doc);
    for (method, path, op) in &ops {
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{method} {path}: no success response"
        );
        for (status, response) in responses {
            if status.as_str() >= "400" {
                assert!(
                    response["content"]["application/problem+json"].is_object(),
                    "{method} {path} {status}: not problem details"
                );
            }
        }
        let secured = path.starts_with("/api/") || path == "/credentials/issue";
        assert_eq!(op["security"].is_array(), secured, "{method} {path}");
        if secured {
            assert!(responses.contains_key("401") && responses.contains_key("403"));
            assert!(
                op["description"].as_str().unwrap().contains("Role: "),
                "{method} {path}"
            );
        }
        if method == "POST" {
            assert!(
                op["parameters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p["name"] == "Idempotency-Key"),
                "{method} {path}"
            );
        }
    }
    // The contracts' list headers and the role of a token route.
    let list = &doc["paths"]["/api/v1/credentials"]["get"];
    assert!(list["responses"]["200"]["headers"]["Link"].is_object());
    let tokens = doc["paths"]["/api/v1/tokens"]["post"]["description"]
        .as_str()
        .unwrap();
    assert!(tokens.contains("Role: admin"), "{tokens}");
    // Request bodies are the service's own types.
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["NewApproval"]["additionalProperties"], false);
    assert!(schemas["NewApproval"]["required"]
        .as_array()
        .unwrap()
        .contains(&Value::from("partner_id")));
    assert!(schemas["PartnerChange"]["properties"]["contacts"].is_object());
}

on_both!(
    covers_every_api_route_of_the_router,
    is_openapi_3_1_with_responses_roles_and_problems
);

#[test]
fn the_router_source_is_read() {
    let routes = api_routes();
    assert!(routes.contains(&("PATCH".into(), "/api/v1/partners/{id}".into())));
    assert!(routes.contains(&("POST".into(), "/credentials/issue".into())));
    assert!(routes.contains(&("DELETE".into(), "/api/v1/webhooks/{id}".into())));
}
