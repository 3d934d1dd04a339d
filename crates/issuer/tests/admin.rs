//! Administration (issue 14) on SQLite and PostgreSQL: every route of the router walked
//! with no, revoked, viewer, issuer and admin tokens (401 / 403 problem+json / allowed, a
//! route missing from the table fails the test); tokens over the API (the secret shown
//! once, revocation at the next request); partners (one per URL, 409 `duplicate-partner`
//! with `existing`, edits, search, current badges); lists with filters, `Link` pages and
//! unknown parameters refused.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{Backend, Harness, BASE};
use hallmark_store::Role;
use hallmark_testkit::Answer;
use serde_json::{json, Value};
use tower::ServiceExt;

/// The weakest caller a route lets in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// Anyone, no token.
    Public,
    /// A token of this role or a stronger one.
    Token(Role),
}

use Need::{Public, Token};
const VIEWER: Need = Token(Role::Viewer);
const ISSUER: Need = Token(Role::Issuer);
const ADMIN: Need = Token(Role::Admin);

/// Every (method, path) of `api/mod.rs`'s router and who may call it.
const ROUTES: &[(&str, &str, Need)] = &[
    ("GET", "/api/v1/program", VIEWER),
    ("GET", "/api/v1/partners", VIEWER),
    ("POST", "/api/v1/partners", ISSUER),
    ("GET", "/api/v1/partners/{id}", VIEWER),
    ("PATCH", "/api/v1/partners/{id}", ISSUER),
    ("GET", "/api/v1/approvals", VIEWER),
    ("POST", "/api/v1/approvals", ISSUER),
    ("GET", "/api/v1/approvals/{id}", VIEWER),
    ("POST", "/api/v1/approvals/bulk", ISSUER),
    ("GET", "/api/v1/credentials", VIEWER),
    ("GET", "/api/v1/credentials/{id}", VIEWER),
    ("POST", "/api/v1/credentials/{id}/revoke", ISSUER),
    ("POST", "/api/v1/credentials/{id}/suspend", ISSUER),
    ("POST", "/api/v1/credentials/{id}/reinstate", ISSUER),
    ("POST", "/api/v1/credentials/{id}/status", ISSUER),
    ("POST", "/api/v1/credentials/{id}/reissue", ISSUER),
    ("GET", "/api/v1/audit", VIEWER),
    ("GET", "/api/v1/kpis", VIEWER),
    ("GET", "/api/v1/tokens", ADMIN),
    ("POST", "/api/v1/tokens", ADMIN),
    ("POST", "/api/v1/tokens/{id}/revoke", ADMIN),
    ("GET", "/api/v1/webhooks", ADMIN),
    ("POST", "/api/v1/webhooks", ADMIN),
    ("GET", "/api/v1/webhooks/{id}", ADMIN),
    ("DELETE", "/api/v1/webhooks/{id}", ADMIN),
    ("GET", "/api/v1/webhooks/{id}/deliveries", ADMIN),
    ("GET", "/api/v1/applications", VIEWER),
    ("POST", "/api/v1/applications", ISSUER),
    ("GET", "/api/v1/attempts", VIEWER),
    ("POST", "/api/v1/attempts", ISSUER),
    ("GET", "/api/v1/partners/{id}/training", VIEWER),
    ("POST", "/api/v1/partners/{id}/training", ISSUER),
    ("GET", "/api/v1/partners/{id}/scorecards", VIEWER),
    ("PUT", "/api/v1/partners/{id}/scorecards/{period}", ISSUER),
    ("GET", "/api/v1/partners/{id}/scorecards/{period}", VIEWER),
    ("POST", "/api/v1/scorecards", ISSUER),
    ("GET", "/api/v1/risks", VIEWER),
    ("POST", "/credentials/issue", ISSUER),
    ("GET", "/credentials/{id}", Public),
    ("GET", "/badges/{id}/badge.svg", Public),
    ("GET", "/assets/{name}", Public),
    // The in-browser verifier (issue 16).
    ("GET", "/verifier", Public),
    ("GET", "/embed/frame", Public),
    ("GET", "/verify", Public),
    ("POST", "/verify", Public),
    ("GET", "/status/{id}", Public),
    ("GET", "/.well-known/did.json", Public),
    ("GET", "/healthz", Public),
    ("GET", "/openapi.json", Public),
    ("GET", "/", Public),
    ("GET", "/directory", Public),
    ("GET", "/program", Public),
    ("GET", "/program/tiers/{slug}", Public),
    ("GET", "/program/tiers/{slug}/results/{*rest}", Public),
    ("GET", "/program/competencies/{code}", Public),
    ("GET", "/badges/{id}/qr.svg", Public),
    ("GET", "/badges/{id}/qr.png", Public),
    ("GET", "/badges/{id}/baked.png", Public),
    ("GET", "/badges/{id}/baked.svg", Public),
    ("GET", "/program/tiers/{id}/image.svg", Public),
    ("GET", "/program/tiers/{id}/image.png", Public),
    // Advanced specializations (issue 15, SPEC).
    ("GET", "/program/specializations/{slug}", Public),
    (
        "GET",
        "/program/specializations/{slug}/results/{*rest}",
        Public,
    ),
    ("GET", "/program/specializations/{id}/image.svg", Public),
    ("GET", "/program/specializations/{id}/image.png", Public),
];

/// Routes the table lists before they are merged (the integrator's bulk endpoint): absent
/// from the router is tolerated, present they are checked like the others.
const PENDING: &[&str] = &[];

/// The (method, path) pairs of the router, read from its source: each `.route("path", …)`
/// and the `get(`/`post(`/`patch(`/`delete(`/`put(` calls up to the next route.
fn router_routes() -> Vec<(String, String)> {
    let source = include_str!("../src/api/mod.rs");
    let body = &source[source.find("pub fn router(").expect("the router")..];
    let body = &body[..body.find(".fallback(").expect("the fallback")];
    let mut out = Vec::new();
    for chunk in body.split(".route(").skip(1) {
        let path = chunk.split('"').nth(1).expect("a path literal").to_owned();
        for method in ["get", "post", "patch", "delete", "put"] {
            let calls = chunk.match_indices(&format!("{method}(")).any(|(at, _)| {
                at == 0
                    || !chunk.as_bytes()[at - 1].is_ascii_alphanumeric()
                        && chunk.as_bytes()[at - 1] != b'_'
            });
            if calls {
                out.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn the_table_names_every_route_of_the_router() {
    let routes = router_routes();
    assert!(routes.len() > 40, "the parser found the routes: {routes:?}");
    for (method, path) in &routes {
        assert!(
            ROUTES.iter().any(|(m, p, _)| m == method && p == path),
            "{method} {path} is in api/mod.rs but not in this test's ROUTES: say who may call it"
        );
    }
    for (method, path, _) in ROUTES {
        assert!(
            PENDING.contains(path) || routes.iter().any(|(m, p)| m == method && p == path),
            "{method} {path} is in ROUTES but not in the router"
        );
    }
}

/// A request through the router with `token` (none: no Authorization header).
/// `GET path`, as the harness's admin.
async fn get(h: &Harness, path: &str) -> Answer {
    call(h, "GET", path, Some(&h.token), None).await
}

/// `PATCH path` with `body`, as the harness's admin.
async fn patch(h: &Harness, path: &str, body: Value) -> Answer {
    call(h, "PATCH", path, Some(&h.token), Some(body)).await
}

async fn call(
    h: &Harness,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let req = req
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    Answer::read(
        hallmark_issuer::router(h.issuer.clone())
            .oneshot(req)
            .await
            .unwrap(),
    )
    .await
}

fn json_of(r: &Answer) -> Value {
    serde_json::from_slice(&r.body).unwrap_or(Value::Null)
}

/// A token of `role` named `name`.
async fn token(h: &Harness, name: &str, role: Role) -> String {
    hallmark_issuer::new_token(h.issuer.store(), "test", name, role)
        .await
        .unwrap()
        .1
}

async fn harness(backend: Backend) -> Option<Harness> {
    common::harness_with(backend, BASE, hallmark_issuer::program::DEMO_PROGRAM, "").await
}

on_both!(every_route_enforces_its_role);
async fn every_route_enforces_its_role(backend: Backend) {
    let Some(h) = harness(backend).await else {
        return;
    };
    let viewer = token(&h, "viewer", Role::Viewer).await;
    let issuer = token(&h, "issuer", Role::Issuer).await;
    let revoked = token(&h, "gone", Role::Admin).await;
    hallmark_issuer::revoke_token(h.issuer.store(), "test", "gone")
        .await
        .unwrap();
    let routes = router_routes();
    let id = "00000000-0000-4000-8000-000000000000";
    for &(method, template, need) in ROUTES {
        if !routes.iter().any(|(m, p)| m == method && p == template) {
            continue; // PENDING, not merged yet
        }
        let path = template
            .replace("{id}", id)
            .replace("{slug}", "gold")
            .replace("{name}", "style.css")
            .replace("{code}", "CLOUD-FUND")
            .replace("{*rest}", "x");
        let body = matches!(method, "POST" | "PATCH").then(|| json!({}));
        let callers: [(&str, Option<&str>, Option<Role>); 5] = [
            ("no token", None, None),
            ("revoked", Some(&revoked), None),
            ("viewer", Some(&viewer), Some(Role::Viewer)),
            ("issuer", Some(&issuer), Some(Role::Issuer)),
            ("admin", Some(&h.token), Some(Role::Admin)),
        ];
        for (who, token, role) in callers {
            let r = call(&h, method, &path, token, body.clone()).await;
            let what = format!("{method} {path} as {who}: {} {}", r.status, r.text);
            match (need, role) {
                (Public, _) => assert!(
                    r.status != StatusCode::UNAUTHORIZED && r.status != StatusCode::FORBIDDEN,
                    "{what}"
                ),
                (Token(_), None) => {
                    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what}");
                    assert_eq!(
                        r.headers["content-type"], "application/problem+json",
                        "{what}"
                    );
                }
                (Token(needed), Some(role)) if role < needed => {
                    assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}");
                    assert_eq!(
                        r.headers["content-type"], "application/problem+json",
                        "{what}"
                    );
                    let problem = json_of(&r);
                    assert!(
                        problem["type"].as_str().unwrap().ends_with("forbidden"),
                        "{what}"
                    );
                    assert_eq!(problem["required"], needed.as_str(), "{what}");
                    assert_eq!(problem["role"], role.as_str(), "{what}");
                }
                (Token(_), Some(_)) => assert!(
                    r.status != StatusCode::UNAUTHORIZED
                        && r.status != StatusCode::FORBIDDEN
                        && r.status.as_u16() < 500,
                    "{what}"
                ),
            }
        }
    }
}

on_both!(tokens_over_the_api_secret_once_revoked_at_once);
async fn tokens_over_the_api_secret_once_revoked_at_once(backend: Backend) {
    let Some(h) = harness(backend).await else {
        return;
    };
    let r = call(
        &h,
        "POST",
        "/api/v1/tokens",
        Some(&h.token),
        Some(json!({"name": "ci", "role": "issuer"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let made = json_of(&r);
    assert_eq!(made["role"], "issuer");
    let secret = made["secret"].as_str().unwrap().to_owned();
    let id = made["id"].as_str().unwrap().to_owned();
    let r = call(
        &h,
        "POST",
        "/api/v1/tokens",
        Some(&h.token),
        Some(json!({"name": "x", "role": "root"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("root"), "{}", r.text);

    let r = get(&h, "/api/v1/tokens").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        !r.text.contains(&secret) && !r.text.contains("hash"),
        "{}",
        r.text
    );
    let list = json_of(&r);
    // Oldest first; tokens made in the same second by id, so compare as a set.
    let mut names: Vec<(&str, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["role"].as_str().unwrap()))
        .collect();
    names.sort_unstable();
    assert_eq!(names, [("ci", "issuer"), ("test-admin", "admin")]);

    // The new token works, then is revoked and refused at the very next request.
    let r = call(&h, "GET", "/api/v1/partners", Some(&secret), None).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = call(
        &h,
        "POST",
        &format!("/api/v1/tokens/{id}/revoke"),
        Some(&h.token),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(json_of(&r)["revoked_at"].is_i64());
    let r = call(&h, "GET", "/api/v1/partners", Some(&secret), None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = call(
        &h,
        "POST",
        "/api/v1/tokens/nope/revoke",
        Some(&h.token),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Audited, by the admin token's name.
    let r = get(&h, &format!("/api/v1/audit?subject={id}")).await;
    let actions: Vec<(String, String)> = json_of(&r)
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("token.revoke".to_owned(), "test-admin".to_owned()),
            ("token.create".to_owned(), "test-admin".to_owned())
        ]
    );
}

/// The `Link: <…>; rel="next"` target of `r`, if any.
fn next_link(r: &Answer) -> Option<String> {
    let link = r.headers.get("link")?.to_str().unwrap();
    Some(
        link.strip_prefix('<')
            .and_then(|l| l.strip_suffix(">; rel=\"next\""))
            .unwrap_or_else(|| panic!("{link}"))
            .to_owned(),
    )
}

/// Every page of `path` (following `Link`), as one array, and how many pages.
async fn walk(h: &Harness, path: &str) -> (Vec<Value>, usize) {
    let (mut all, mut pages, mut next) = (Vec::new(), 0, Some(path.to_owned()));
    while let Some(path) = next {
        let r = call(h, "GET", &path, Some(&h.token), None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
        all.extend(json_of(&r).as_array().unwrap().iter().cloned());
        pages += 1;
        next = next_link(&r);
        assert!(pages < 50);
    }
    (all, pages)
}

fn names(items: &[Value]) -> Vec<&str> {
    items.iter().map(|p| p["name"].as_str().unwrap()).collect()
}

on_both!(partners_are_one_per_url_editable_findable_with_badges);
async fn partners_are_one_per_url_editable_findable_with_badges(backend: Backend) {
    let Some(h) = harness(backend).await else {
        return;
    };
    let create =
        |name: &str, url: &str, listed: bool| json!({"name": name, "url": url, "listed": listed});
    let mut ids = Vec::new();
    for (name, url, listed) in [
        ("Northwind Traders", "https://northwind.example/", true),
        ("Contoso", "https://contoso.example/shop", false),
        ("Fabrikam 100%", "https://fabrikam.example", true),
    ] {
        let r = call(
            &h,
            "POST",
            "/api/v1/partners",
            Some(&h.token),
            Some(create(name, url, listed)),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        ids.push(json_of(&r)["id"].as_str().unwrap().to_owned());
    }
    // The same URL, however it is spelt: 409 naming the partner that has it; nothing made.
    for url in [
        "https://northwind.example",
        "HTTP://NorthWind.example/",
        "https://northwind.example//",
    ] {
        let r = call(
            &h,
            "POST",
            "/api/v1/partners",
            Some(&h.token),
            Some(create("Northwind again", url, false)),
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{url}: {}", r.text);
        assert_eq!(r.headers["content-type"], "application/problem+json");
        let problem = json_of(&r);
        assert!(
            problem["type"]
                .as_str()
                .unwrap()
                .ends_with("duplicate-partner"),
            "{problem}"
        );
        assert_eq!(
            problem["existing"],
            format!("{BASE}/api/v1/partners/{}", ids[0])
        );
    }
    let (all, _) = walk(&h, "/api/v1/partners").await;
    assert_eq!(
        names(&all),
        ["Contoso", "Fabrikam 100%", "Northwind Traders"]
    );

    // Edit: name and URL; a URL another partner has is a 409 and changes nothing.
    let path = format!("/api/v1/partners/{}", ids[1]);
    let r = patch(&h, &path, json!({"url": "https://fabrikam.example/"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(
        json_of(&r)["existing"],
        format!("{BASE}/api/v1/partners/{}", ids[2])
    );
    let r = patch(&h, &path, json!({"name": "Contoso Ltd", "url": "https://contoso.example/", "listed": true, "contacts": ["ops@contoso.example"]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let edited = json_of(&r);
    assert_eq!(
        (
            edited["name"].clone(),
            edited["url"].clone(),
            edited["listed"].clone(),
            edited["contacts"].clone()
        ),
        (
            json!("Contoso Ltd"),
            json!("https://contoso.example/"),
            json!(true),
            json!(["ops@contoso.example"])
        )
    );
    // Its own URL again is no conflict; bad input is 422 naming the field; unknown is 404.
    let r = patch(&h, &path, json!({"url": "https://contoso.example"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = patch(&h, &path, json!({"name": ""})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("name"), "{}", r.text);
    let r = patch(&h, &path, json!({"url": "javascript:alert(1)"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = patch(&h, "/api/v1/partners/nope", json!({"name": "X"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Find: by part of the name or URL (any case, % is plain text), by URL, listed or not.
    for (query, want) in [
        ("?q=north", vec!["Northwind Traders"]),
        ("?q=CONTOSO.EX", vec!["Contoso Ltd"]),
        ("?q=100%25", vec!["Fabrikam 100%"]),
        ("?q=%25", vec!["Fabrikam 100%"]),
        ("?url=HTTPS://Fabrikam.example", vec!["Fabrikam 100%"]),
        ("?listed=false", vec![]),
        ("?listed=true&q=o", vec!["Contoso Ltd", "Northwind Traders"]),
        (
            "?limit=1",
            vec!["Contoso Ltd", "Fabrikam 100%", "Northwind Traders"],
        ),
    ] {
        let (found, _) = walk(&h, &format!("/api/v1/partners{query}")).await;
        assert_eq!(names(&found), want, "{query}");
    }
    let (_, pages) = walk(&h, "/api/v1/partners?limit=1&listed=true").await;
    assert_eq!(pages, 3);
    for (query, names_it) in [
        ("?listed=maybe", "listed"),
        ("?offset=2", "offset"),
        ("?page=2", "page"),
        ("?url=ftp://x.example", "url"),
        ("?after=nonsense", "after"),
    ] {
        let r = get(&h, &format!("/api/v1/partners{query}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}: {}", r.text);
        assert!(
            json_of(&r)["detail"].as_str().unwrap().contains(names_it),
            "{query}: {}",
            r.text
        );
    }

    // A partner's page shows its current badges: not the superseded, not the revoked.
    let approve = |partner: &str, tier: &str| {
        json!({
            "partner_id": partner, "tier": tier, "role": "solutions",
            "competencies": ["CLOUD-FUND", "CLOUD-ARCH", "SEC-IAM", "DATA-MIG"],
            "exam_score": 87, "demo_level": "Advanced", "approver": "Jane Approver",
            "approved_at": hallmark_core::datetime::format(time::OffsetDateTime::now_utc() - time::Duration::days(30)),
            "references": [
                {"name": "Contoso", "validated": true, "public": true},
                {"name": "Fabrikam", "validated": true, "public": true},
                {"name": "Bank", "validated": true, "public": false}
            ]
        })
    };
    let mut badges = Vec::new();
    for _ in 0..2 {
        let r = call(
            &h,
            "POST",
            "/api/v1/approvals",
            Some(&h.token),
            Some(approve(&ids[0], "gold")),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        badges.push(
            json_of(&r)["credential"]["uuid"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let r = call(
        &h,
        "GET",
        &format!("/api/v1/partners/{}", ids[0]),
        Some(&h.token),
        None,
    )
    .await;
    let shown = json_of(&r);
    let current: Vec<&str> = shown["badges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["uuid"].as_str().unwrap())
        .collect();
    assert_eq!(
        current,
        [badges[1].as_str()],
        "the renewal superseded the first: {shown}"
    );
    let r = call(
        &h,
        "POST",
        &format!("/api/v1/credentials/{}/revoke", badges[1]),
        Some(&h.token),
        Some(json!({"reason": "test"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = call(
        &h,
        "GET",
        &format!("/api/v1/partners/{}", ids[0]),
        Some(&h.token),
        None,
    )
    .await;
    assert_eq!(json_of(&r)["badges"], json!([]));

    // Approvals: listed newest first, filtered, read one by one.
    let (approvals, _) = walk(
        &h,
        &format!(
            "/api/v1/approvals?partner={}&tier=gold&role=solutions&limit=1",
            ids[0]
        ),
    )
    .await;
    assert_eq!(approvals.len(), 2);
    let first = approvals[0]["id"].as_str().unwrap();
    let r = get(&h, &format!("/api/v1/approvals/{first}")).await;
    assert_eq!(json_of(&r)["id"], first);
    let r = get(&h, "/api/v1/approvals/nope").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    for (query, count) in [
        ("?tier=silver", 0),
        ("?role=delivery", 0),
        ("?approved_before=2000-01-01T00:00:00Z", 0),
        ("?approved_after=2000-01-01T00:00:00Z", 2),
    ] {
        let (found, _) = walk(&h, &format!("/api/v1/approvals{query}")).await;
        assert_eq!(found.len(), count, "{query}");
    }
    let r = get(&h, "/api/v1/approvals?approved_before=yesterday").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("approved_before"), "{}", r.text);
    // Credentials by role; audit by action and time.
    let (found, _) = walk(&h, "/api/v1/credentials?role=solutions").await;
    assert_eq!(found.len(), 2);
    let (found, _) = walk(&h, "/api/v1/credentials?role=delivery").await;
    assert!(found.is_empty());
    let r = get(&h, "/api/v1/credentials?offset=1").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("offset"), "{}", r.text);
    let (found, pages) = walk(&h, "/api/v1/audit?action=partner.create&limit=2").await;
    assert_eq!((found.len(), pages), (3, 2));
    let (found, _) = walk(&h, "/api/v1/audit?action=partner.update").await;
    assert_eq!(found.len(), 2, "the two edits");
    assert_eq!(found[0]["detail"]["fields"], json!(["url"]));
    let (found, _) = walk(&h, "/api/v1/audit?before=2000-01-01T00:00:00Z").await;
    assert!(found.is_empty());
    let (found, _) = walk(
        &h,
        "/api/v1/audit?since=2000-01-01T00:00:00Z&actor=test-admin&limit=3",
    )
    .await;
    assert!(found.len() >= 8, "{}", found.len());
}
