//! The issuer's public pages driven through `router()` (no socket), on SQLite (the store's
//! directory query runs on both databases in hallmark-store's tests): the directory (filters,
//! listing, current badges only, pages, JSON and HTML, escaping), the program's pages (HTML
//! and JSON, 404s), the home page, and badges carrying the tier's image that still verify
//! with either cryptosuite.

mod common;

use axum::http::StatusCode;
use common::{Harness, Reply, BASE};
use serde_json::{json, Value};

const HTML: &str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8";

async fn harness(extra: &str) -> Harness {
    common::harness(BASE, extra).await
}

impl Harness {
    /// A request with `Accept: accept` (and the token, which public pages ignore).
    async fn ask(&self, method: &str, path: &str, accept: &str, body: Option<Value>) -> Reply {
        let token = format!("Bearer {}", self.token);
        let headers = [("accept", accept), ("authorization", token.as_str())];
        self.send(method, path, &headers, body).await
    }

    async fn json(&self, path: &str) -> Reply {
        self.ask("GET", path, "application/json", None).await
    }

    async fn html(&self, path: &str) -> Reply {
        self.ask("GET", path, HTML, None).await
    }

    async fn partner(&self, name: &str, listed: bool) -> String {
        let r = self
            .ask(
                "POST",
                "/api/v1/partners",
                "application/json",
                Some(json!({"name": name, "url": unique_url(), "listed": listed})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.json()["listed"], listed);
        r.json()["id"].as_str().unwrap().to_owned()
    }

    /// Approves `partner` for `tier` and `role`; the credential's uuid and document.
    async fn approve(&self, partner: &str, tier: &str, role: &str) -> (String, Value) {
        let (competencies, exam, demo, refs): (&[&str], Value, Value, usize) = match tier {
            "gold" => (
                &["CLOUD-FUND", "CLOUD-ARCH", "SEC-IAM", "DATA-MIG"],
                json!(87),
                json!("Advanced"),
                3,
            ),
            "silver" => (
                &["CLOUD-FUND", "CLOUD-ARCH", "VALUE-SELL"],
                json!(75),
                Value::Null,
                1,
            ),
            _ => (&["CLOUD-FUND", "DEVOPS"], Value::Null, Value::Null, 0),
        };
        let references: Vec<Value> = (0..refs)
            .map(|i| json!({"name": format!("Ref {i}"), "validated": true, "public": true}))
            .collect();
        let approved_at = hallmark_core::datetime::format(
            time::OffsetDateTime::now_utc() - time::Duration::days(30),
        );
        let r = self
            .ask(
                "POST",
                "/api/v1/approvals",
                "application/json",
                Some(json!({
                    "partner_id": partner, "tier": tier, "role": role,
                    "competencies": competencies, "exam_score": exam, "demo_level": demo,
                    "approver": "Jane", "approved_at": approved_at, "references": references,
                })),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let body = r.json();
        (
            body["credential"]["uuid"].as_str().unwrap().to_owned(),
            body["credential"]["document"].clone(),
        )
    }
}

/// The partner names of a directory JSON answer, in order.
fn names(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_finds_listed_partners_with_current_badges() {
    let h = harness("").await;
    let northwind = h.partner("Northwind Consulting", true).await;
    let contoso = h.partner("Contoso Cloud", true).await;
    let hidden = h.partner("Hidden Partner", false).await;
    let evil = h.partner("<img src=x onerror=alert(1)>", true).await;
    let revoked = h.partner("Revoked Ltd", true).await;
    let expired = h.partner("Expired GmbH", true).await;
    let (gold, badge) = h.approve(&northwind, "gold", "solutions").await;
    h.approve(&contoso, "silver", "sales").await;
    h.approve(&hidden, "gold", "solutions").await;
    h.approve(&evil, "registered", "delivery").await;
    let (r_uuid, _) = h.approve(&revoked, "gold", "solutions").await;
    let (e_uuid, _) = h.approve(&expired, "gold", "solutions").await;
    let r = h
        .ask(
            "POST",
            &format!("/api/v1/credentials/{r_uuid}/revoke"),
            "application/json",
            Some(json!({"reason": "ended"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    h.execute(&format!(
        "UPDATE credentials SET valid_until = 1 WHERE id = '{e_uuid}'"
    ))
    .await;

    // JSON by default: listed partners with a current badge, by name.
    let r = h.json("/directory").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.content_type.starts_with("application/json"));
    let body = r.json();
    assert_eq!(
        names(&body),
        [
            "<img src=x onerror=alert(1)>",
            "Contoso Cloud",
            "Northwind Consulting"
        ]
    );
    let entry = &body["items"][2];
    assert_eq!(
        entry["badges"][0]["id"],
        format!("{BASE}/credentials/{gold}")
    );
    assert_eq!(entry["badges"][0]["tier"]["name"], "Gold Partner");
    assert_eq!(entry["badges"][0]["role"]["name"], "Solutions");
    assert_eq!(
        entry["badges"][0]["competencies"][0],
        json!({"code": "CLOUD-ARCH", "name": "Cloud solution architecture", "id": format!("{BASE}/program/competencies/cloud-arch")})
    );
    assert_eq!(body["next"], Value::Null);
    // Every badge, when asked: revoked and expired too, never the unlisted partner.
    let all = names(&h.json("/directory?all=1").await.json());
    assert_eq!(all.len(), 5, "{all:?}");
    assert!(all.contains(&"Revoked Ltd".to_owned()) && all.contains(&"Expired GmbH".to_owned()));
    assert!(!all.contains(&"Hidden Partner".to_owned()));

    // Filters: name (case-insensitive substring), tier, role, competency (any case).
    for (query, expected) in [
        ("q=NORTH", vec!["Northwind Consulting"]),
        ("q=cloud", vec!["Contoso Cloud"]),
        ("tier=gold", vec!["Northwind Consulting"]),
        ("role=sales", vec!["Contoso Cloud"]),
        ("competency=devops", vec!["<img src=x onerror=alert(1)>"]),
        (
            "competency=CLOUD-ARCH",
            vec!["Contoso Cloud", "Northwind Consulting"],
        ),
        ("competency=VALUE-SELL&tier=gold", vec![]),
        ("q=revoked", vec![]),
        ("q=hidden&all=1", vec![]),
    ] {
        let r = h.json(&format!("/directory?{query}")).await;
        assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text);
        assert_eq!(names(&r.json()), expected, "{query}");
    }

    // Refused searches: 400 problem details naming what is wrong.
    for (query, says) in [
        (format!("q={}", "a".repeat(101)), "q is longer than 100"),
        ("tier=diamond".to_owned(), "no tier \"diamond\""),
        ("role=ceo".to_owned(), "no role"),
        ("competency=X".to_owned(), "no competency"),
        ("after=bogus".to_owned(), "after:"),
        ("limit=many".to_owned(), "limit"),
    ] {
        let r = h.json(&format!("/directory?{query}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(r.content_type, "application/problem+json", "{query}");
        assert!(
            r.json()["detail"].as_str().unwrap().contains(says),
            "{query}: {}",
            r.text
        );
    }
    let r = h.html("/directory?tier=diamond").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.content_type.starts_with("text/html"));

    // Pages of one: every partner once, in order, through `next`.
    let mut seen = Vec::new();
    let mut path = "/directory?limit=1".to_owned();
    loop {
        let body = h.json(&path).await.json();
        seen.extend(names(&body));
        match body["next"].as_str() {
            Some(next) => path = next.strip_prefix(BASE).unwrap().to_owned(),
            None => break,
        }
        assert!(seen.len() < 10);
    }
    assert_eq!(seen.len(), 3);

    // HTML for browsers: the form, the results, escaped names, links to verify pages.
    let r = h.html("/directory?limit=2").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.content_type.starts_with("text/html"));
    assert!(r.headers.get("content-security-policy").is_some());
    let page = &r.text;
    assert!(page.contains(r#"<form id="directory-search" class="search" method="get""#));
    for control in ["q", "tier", "role", "competency"] {
        assert!(
            page.contains(&format!(r#"<label for="{control}">"#)),
            "{control}"
        );
        assert!(page.contains(&format!(r#"name="{control}""#)), "{control}");
    }
    assert!(page.contains(r#"<ul id="results""#));
    assert_eq!(page.matches(r#"<li class="partner">"#).count(), 2);
    assert!(page.contains("&#60;img src=x onerror=alert(1)&#62;"));
    assert!(!page.contains("<img src=x"));
    assert!(page.contains(r#"<a rel="next" href="/directory?limit=2&#38;after="#));
    let r = h.html("/directory?q=north").await;
    assert!(r
        .text
        .contains(&format!(r#"href="{BASE}/credentials/{gold}""#)));
    assert!(r.text.contains(r#"value="north""#));

    // Listing and unlisting by the admin API, audited; unknown partners and fields refused.
    let r = h
        .ask(
            "PATCH",
            &format!("/api/v1/partners/{hidden}"),
            "application/json",
            Some(json!({"listed": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["listed"], true);
    assert_eq!(
        names(&h.json("/directory?q=hidden").await.json()),
        ["Hidden Partner"]
    );
    let r = h
        .ask(
            "PATCH",
            &format!("/api/v1/partners/{hidden}"),
            "application/json",
            Some(json!({"listed": false})),
        )
        .await;
    assert_eq!(r.json()["listed"], false);
    assert!(names(&h.json("/directory?q=hidden").await.json()).is_empty());
    let audit = h
        .issuer
        .store()
        .audit_log(
            &hallmark_store::AuditFilter {
                subject: Some(hidden.clone()),
                ..Default::default()
            },
            &hallmark_store::PageRequest::first(10),
        )
        .await
        .unwrap();
    let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.starts_with(&["partner.unlist", "partner.list"]),
        "{actions:?}"
    );
    let r = h
        .ask(
            "PATCH",
            "/api/v1/partners/nope",
            "application/json",
            Some(json!({"listed": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.content_type, "application/problem+json");
    let r = h
        .ask(
            "PATCH",
            &format!("/api/v1/partners/{hidden}"),
            "application/json",
            Some(json!({"listed": "yes"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = h
        .ask(
            "PATCH",
            &format!("/api/v1/partners/{hidden}"),
            "application/json",
            Some(json!({"nickname": "x"})),
        )
        .await;
    // A field partners do not have (name and url are editable since issue 14).
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The badge carries the tier's image, and verifies.
    assert_eq!(
        badge["credentialSubject"]["achievement"]["image"],
        json!({"id": format!("{BASE}/program/tiers/gold/image.png"), "type": "Image", "caption": "Gold Partner"})
    );
    let report = h.verify(&badge).await;
    assert!(report.verified(), "{:#?}", report.checks);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn badges_with_images_verify_with_jcs_too() {
    let h = harness("cryptosuite = \"eddsa-jcs-2022\"\n").await;
    let p = h.partner("Jcs Partner", true).await;
    let (_, badge) = h.approve(&p, "silver", "sales").await;
    assert_eq!(badge["proof"][0]["cryptosuite"], "eddsa-jcs-2022");
    assert_eq!(
        badge["credentialSubject"]["achievement"]["image"]["id"],
        format!("{BASE}/program/tiers/silver/image.png")
    );
    let report = h.verify(&badge).await;
    assert!(report.verified(), "{:#?}", report.checks);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_url_signed_into_a_badge_answers_with_a_page_and_json() {
    let h = harness("").await;
    let p = h.partner("Northwind", true).await;
    let (_, badge) = h.approve(&p, "gold", "solutions").await;
    let achievement = &badge["credentialSubject"]["achievement"];

    // The tier: an OB 3.0 Achievement with the badge's own id, name, criteria and image.
    let tier_url = achievement["id"].as_str().unwrap();
    let path = tier_url.strip_prefix(BASE).unwrap();
    let tier = h.json(path).await.json();
    assert_eq!(tier["id"], tier_url);
    assert_eq!(tier["type"], "Achievement");
    assert_eq!(tier["name"], achievement["name"]);
    assert_eq!(
        tier["criteria"]["narrative"],
        achievement["criteria"]["narrative"]
    );
    assert_eq!(tier["image"], achievement["image"]);
    assert_eq!(tier["alignment"].as_array().unwrap().len(), 4);
    assert_eq!(tier["requirements"]["minExamScore"], 80);
    let page = h.html(path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("<h1>Gold Partner</h1>"));
    assert!(page.text.contains(
        r#"<img class="tier-image" src="/program/tiers/gold/image.svg" alt="Gold Partner""#
    ));
    assert!(page
        .text
        .contains(r#"<a href="/program/competencies/sec-iam">Identity and access management</a>"#));

    // Every competency's targetUrl.
    for a in achievement["alignment"].as_array().unwrap() {
        let url = a["targetUrl"].as_str().unwrap();
        let path = url.strip_prefix(BASE).unwrap();
        let c = h.json(path).await;
        assert_eq!(c.status, StatusCode::OK, "{url}");
        let c = c.json();
        assert_eq!(c["id"], url);
        assert_eq!(c["name"], a["targetName"]);
        assert_eq!(c["framework"], a["targetFramework"]);
        assert!(c["requiredBy"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == tier_url));
        let page = h.html(path).await;
        assert_eq!(page.status, StatusCode::OK, "{url}");
        assert!(page
            .text
            .contains(&format!("<h1>{}</h1>", a["targetName"].as_str().unwrap())));
    }
    // Result description and rubric level ids lead to the tier.
    for result in achievement["resultDescription"].as_array().unwrap() {
        let path = result["id"].as_str().unwrap().strip_prefix(BASE).unwrap();
        let r = h.json(path).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.headers["location"], "/program/tiers/gold");
    }

    // The program: the issuer's Profile.
    let program = h.json("/program").await.json();
    assert_eq!(program["type"], "Profile");
    assert_eq!(program["id"], badge["issuer"]["id"]);
    assert_eq!(program["name"], "Acme");
    assert_eq!(program["url"], "https://acme.example");
    assert_eq!(
        program["program"]["tiers"][0]["id"],
        format!("{BASE}/program/tiers/platinum")
    );
    let page = h.html("/program").await;
    assert!(page.text.contains("<h1>Acme Cloud Partner Program</h1>"));
    assert!(page
        .text
        .contains(r#"<a href="/program/tiers/gold">Gold Partner</a>"#));
    assert!(page.text.contains(r#"<a href="https://acme.example">"#));

    // German.
    let page = h.html("/program/tiers/gold?lang=de").await;
    assert!(page.text.contains("Geforderte Kompetenzen"));

    // Unknown ones: 404 problem details, or a 404 page.
    for path in [
        "/program/tiers/diamond",
        "/program/competencies/nope",
        "/program/tiers/diamond/results/exam",
    ] {
        let r = h.json(path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.content_type, "application/problem+json", "{path}");
        let r = h.html(path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            r.content_type.starts_with("text/html"),
            "{path}: {} {}",
            r.content_type,
            r.text
        );
        assert!(r.text.contains("<h1>"));
    }

    // Home: a page for browsers, an index for machines.
    let home = h.html("/").await;
    assert_eq!(home.status, StatusCode::OK);
    for link in ["/directory", "/program", "/verify"] {
        assert!(
            home.text.contains(&format!(r#"<a href="{link}">"#)),
            "{link}"
        );
    }
    let index = h.json("/").await.json();
    assert_eq!(index["directory"], format!("{BASE}/directory"));
    // The stylesheet the pages link.
    let css = h.json("/assets/style.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.text.contains("/* directory and program pages */"));
}

/// A web address no other partner of the test has (one partner per URL).
fn unique_url() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "https://partner-{}.example",
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The in-browser verifier's pages (issue 16): `/verifier` leads to the standalone page under
/// `/assets/` (its relative URLs resolve there), `/embed/frame` is the component's frame with
/// its own CSP (WebAssembly allowed, framed by any site), both public and any-origin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standalone_verifier_and_the_embed_frame() {
    let h = harness("").await;
    let to = h.html("/verifier").await;
    assert!(to.status.is_redirection(), "{}", to.status);
    assert_eq!(to.header("location"), "/assets/standalone.html");
    let page = h.html("/assets/standalone.html").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.content_type.starts_with("text/html"));
    assert!(page
        .text
        .contains(r#"<script type="module" src="standalone.js"></script>"#));
    assert!(page.text.contains("script-src 'self' 'wasm-unsafe-eval'"));
    // Served with the pages' CSP as a header too: no framing.
    assert_eq!(
        page.header("content-security-policy"),
        hallmark_web::page::CSP
    );
    assert!(hallmark_web::page::CSP.contains("frame-ancestors 'none'"));
    assert_eq!(h.html("/assets/standalone.js").await.status, StatusCode::OK);

    let frame = h.html("/embed/frame").await;
    if !hallmark_web::browser::BUILT {
        assert_eq!(frame.status, StatusCode::NOT_FOUND);
        return;
    }
    assert_eq!(frame.status, StatusCode::OK);
    let csp = frame.header("content-security-policy");
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors *"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(frame
        .text
        .contains(r#"<script type="module" src="/assets/frame.js"></script>"#));
    assert_eq!(frame.header("access-control-allow-origin"), "*");
}
