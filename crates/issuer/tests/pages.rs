//! The badge's faces at the issuer, through `router()` (no socket): the verify page in every
//! state, content negotiation, the embed image (live state, ETag, CORS), escaping and the
//! German page. The browser suite (`tests/browser`) checks the same pages in Chromium.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{harness, Harness, Verdict, BASE, BROWSER};
use hallmark_issuer::router;
use serde_json::json;
use tower::ServiceExt;

const CONFIG: &str = "linkedin_organization_id = \"4242\"\n";

impl Harness {
    /// A badge for a new partner named `name`, approved `days_ago`; its uuid.
    async fn badge(&self, name: &str, days_ago: i64) -> String {
        let r = self
            .send(
                "POST",
                "/api/v1/partners",
                &[],
                Some(json!({"name": name, "url": unique_url()})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let partner = r.json()["id"].as_str().unwrap().to_owned();
        let approved = time::OffsetDateTime::now_utc() - time::Duration::days(days_ago);
        let r = self
            .send(
                "POST",
                "/api/v1/approvals",
                &[],
                Some(json!({
                    "partner_id": partner, "tier": "silver", "role": "solutions",
                    "competencies": ["CLOUD-FUND", "CLOUD-ARCH"], "exam_score": 75,
                    "approver": "Jane", "approved_at": hallmark_core::datetime::format(approved),
                    "references": [{"name": "Contoso", "validated": true, "public": true}]
                })),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let location = r.header("location").to_owned();
        location.rsplit('/').next().unwrap().to_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verify_page_shows_every_state_and_json_stays_the_default() {
    let h = harness(BASE, CONFIG).await;
    let valid = h.badge("Northwind", 10).await;
    let path = format!("/credentials/{valid}");

    // Machines keep the JSON document: no Accept, */*, or ?format=json.
    for headers in [
        vec![],
        vec![("accept", "*/*")],
        vec![("accept", "application/json")],
    ] {
        let r = h.send("GET", &path, &headers, None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.header("content-type"), "application/json");
        assert_eq!(
            r.json()["id"],
            format!("https://partners.acme.example{path}")
        );
        assert_eq!(r.header("access-control-allow-origin"), "*");
        // The JSON form says it depends on Accept too, so no cache hands it to a browser.
        assert_eq!(r.header("vary"), "Accept, Accept-Language, Cookie");
        assert_eq!(r.header("cache-control"), "no-cache");
    }
    let r = h
        .send(
            "GET",
            &format!("{path}?format=json"),
            &[("accept", BROWSER)],
            None,
        )
        .await;
    assert_eq!(r.header("content-type"), "application/json");

    let page = h.page(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    assert!(page
        .header("content-security-policy")
        .contains("script-src 'self'"));
    assert!(!page
        .header("content-security-policy")
        .contains("unsafe-inline"));
    assert_eq!(page.header("cache-control"), "no-store");
    assert_eq!(page.state(), "valid");
    for expected in [
        ">Valid<",
        "<bdi id=\"partner-name\">Northwind</bdi>",
        "<bdi id=\"tier-name\">Silver Partner</bdi>",
        "data-check=\"proof\" data-outcome=\"passed\"",
        "data-check=\"status\" data-outcome=\"passed\"",
        "data-check=\"trust\" data-outcome=\"passed\"",
        "id=\"raw-credential\" href=\"/credentials/",
        "organizationId=4242",
        "hallmark verify --trust did:key:",
        "property=\"og:title\" content=\"Northwind — Silver Partner · Valid\"",
        "/badges/",
    ] {
        assert!(
            page.text.contains(expected),
            "{expected:?} not in the page:\n{}",
            page.text
        );
    }

    // Revoked, with its public reason (never the agency's own); LinkedIn only for a valid
    // badge.
    let revoked = h.badge("Revoked Ltd", 10).await;
    let r = h
        .send(
            "POST",
            &format!("/api/v1/credentials/{revoked}/revoke"),
            &[],
            Some(json!({"reason": "Left the program"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let page = h.page(&format!("/credentials/{revoked}")).await;
    assert_eq!(page.state(), "revoked");
    assert!(
        page.text.contains("Reason: withdrawn by the program"),
        "{}",
        page.text
    );
    assert!(!page.text.contains("Left the program"));
    assert!(page.text.contains("data-code") || page.text.contains("STATUS_REVOKED"));
    assert!(!page.text.contains("id=\"linkedin\""));

    let suspended = h.badge("Paused GmbH", 10).await;
    let r = h
        .send(
            "POST",
            &format!("/api/v1/credentials/{suspended}/suspend"),
            &[],
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        h.page(&format!("/credentials/{suspended}")).await.state(),
        "suspended"
    );

    // A silver badge lasts 365 days: approved 400 days ago, it has expired.
    let expired = h.badge("Lapsed Inc", 400).await;
    let page = h.page(&format!("/credentials/{expired}")).await;
    assert_eq!(page.state(), "expired");
    assert!(page
        .text
        .contains("data-check=\"validity\" data-outcome=\"failed\""));

    // Altered in the database: the signature no longer matches.
    let tampered = h.badge("Honest Partner", 10).await;
    h.execute(&format!(
        "UPDATE credentials SET document = replace(document, 'Honest Partner', 'Forged Partner') WHERE id = '{tampered}'"
    ))
    .await;
    let page = h.page(&format!("/credentials/{tampered}")).await;
    assert_eq!(page.state(), "invalid");
    assert!(page.text.contains("Forged Partner"));
    assert!(page
        .text
        .contains("data-check=\"proof\" data-outcome=\"failed\""));

    // A status list the issuer no longer has: undecided, never shown as valid.
    let orphan = h.badge("Orphan AG", 10).await;
    h.execute("DELETE FROM status_lists WHERE purpose = 'suspension'")
        .await;
    let page = h.page(&format!("/credentials/{orphan}")).await;
    assert_eq!(page.state(), "unknown", "{}", page.text);
    assert!(page
        .text
        .contains("data-check=\"status\" data-outcome=\"unknown\""));

    // No such badge: a 404 page for a browser, problem details for a machine.
    let page = h
        .page("/credentials/00000000-0000-4000-8000-000000000000")
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.header("content-type").starts_with("text/html"));
    let r = h
        .send(
            "GET",
            "/credentials/00000000-0000-4000-8000-000000000000",
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.header("content-type"), "application/problem+json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_text_on_the_page_and_in_the_image_and_german_is_german() {
    let h = harness(BASE, CONFIG).await;
    let evil = "<img src=x onerror=alert(1)>";
    let id = h.badge(evil, 10).await;
    let page = h.page(&format!("/credentials/{id}")).await;
    assert!(!page.text.contains("<img src=x"), "{}", page.text);
    assert!(
        page.text.contains("&#60;img src=x onerror=alert(1)&#62;"),
        "{}",
        page.text
    );
    let image = h
        .send("GET", &format!("/badges/{id}/badge.svg"), &[], None)
        .await;
    assert!(!image.text.contains("<img"), "{}", image.text);
    assert!(image.text.contains("&#60;img src=x"), "{}", image.text);

    let de = h
        .send(
            "GET",
            &format!("/credentials/{id}"),
            &[
                ("accept", BROWSER),
                ("accept-language", "de-DE,de;q=0.9,en;q=0.8"),
            ],
            None,
        )
        .await;
    assert!(de.text.contains("<html lang=\"de\">"));
    assert!(de.text.contains(">Gültig<"), "{}", de.text);
    assert!(de.text.contains("Alle Prüfungen"));
    let en = h.page(&format!("/credentials/{id}?lang=en")).await;
    assert!(en.text.contains("<html lang=\"en\">"));
    let svg = h
        .send("GET", &format!("/badges/{id}/badge.svg?lang=de"), &[], None)
        .await;
    assert!(svg.text.contains(">Gültig<"), "{}", svg.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embed_shows_the_live_state_with_an_etag_and_cors() {
    let h = harness(BASE, CONFIG).await;
    let id = h.badge("Northwind", 10).await;
    let path = format!("/badges/{id}/badge.svg");
    let r = h.send("GET", &path, &[], None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), "image/svg+xml; charset=utf-8");
    assert_eq!(r.header("cache-control"), "public, max-age=30");
    assert_eq!(r.header("access-control-allow-origin"), "*");
    assert_eq!(r.state(), "valid");
    assert!(
        r.text.contains(">Northwind<")
            && r.text.contains(">Silver Partner<")
            && r.text.contains(">Valid<")
    );
    let etag = r.header("etag").to_owned();
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");

    let again = h
        .send("GET", &path, &[("if-none-match", etag.as_str())], None)
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.text.is_empty());
    assert_eq!(again.header("etag"), etag);

    // Revoked here: the very next image says so, with a new entity tag.
    let r = h
        .send(
            "POST",
            &format!("/api/v1/credentials/{id}/revoke"),
            &[],
            Some(json!({"reason": "Fraud"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let after = h
        .send("GET", &path, &[("if-none-match", etag.as_str())], None)
        .await;
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(after.state(), "revoked");
    assert!(after.text.contains(">Revoked<"));
    assert_ne!(after.header("etag"), etag);

    // The admin API sends no CORS header; an unknown badge is a 404 problem.
    let admin = h
        .send(
            "GET",
            "/api/v1/credentials",
            &[("authorization", &format!("Bearer {}", h.token))],
            None,
        )
        .await;
    assert_eq!(admin.status, StatusCode::OK);
    assert_eq!(admin.header("access-control-allow-origin"), "");
    let missing = h.send("GET", "/badges/nope/badge.svg", &[], None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.header("content-type"), "application/problem+json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_paste_page_verifies_this_issuers_badges_from_the_store() {
    let h = harness(BASE, CONFIG).await;
    let page = h.page("/verify").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("id=\"paste\"") && page.text.contains("href=\"/directory\""));

    let id = h.badge("Northwind", 10).await;
    let json = h
        .send("GET", &format!("/credentials/{id}"), &[], None)
        .await
        .text;
    let form = |json: &str| {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("credential", json)
            .finish()
    };
    let issuer = h.issuer.clone();
    let post = |body: String| {
        let issuer = issuer.clone();
        async move {
            let req = Request::post("/verify")
                .header("accept", BROWSER)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap();
            let res = router(issuer).oneshot(req).await.unwrap();
            let status = res.status();
            let bytes = axum::body::to_bytes(res.into_body(), 1 << 22)
                .await
                .unwrap();
            (status, String::from_utf8_lossy(&bytes).into_owned())
        }
    };
    let (status, text) = post(form(&json)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    // Its status list read from the store (the base URL is not even resolvable here).
    assert!(text.contains("data-state=\"valid\""), "{text}");
    assert!(
        text.contains("data-check=\"status\" data-outcome=\"passed\""),
        "{text}"
    );
    assert!(
        text.contains("data-check=\"trust\" data-outcome=\"passed\""),
        "{text}"
    );

    let r = h
        .send(
            "POST",
            &format!("/api/v1/credentials/{id}/revoke"),
            &[],
            Some(json!({"reason": "Ended"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let (_, text) = post(form(&json)).await;
    assert!(text.contains("data-state=\"revoked\""), "{text}");

    // Anyone else's badge, however well signed and whatever name it claims, is not shown as
    // valid on this issuer's site (attacker check): its trust check fails, and says whose.
    let key =
        hallmark_core::keys::KeyFile::new(hallmark_core::keys::SecretKey::from_seed(&[99; 32]));
    let did = hallmark_core::did::Did::key(&key.public_key());
    let mut forged = hallmark_core::badge::example(&did);
    forged.issuer.name = "Acme".into();
    forged.valid_from = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    forged.valid_until = time::OffsetDateTime::now_utc() + time::Duration::days(100);
    let options = hallmark_core::proof::ProofOptions::did_key(
        &key.public_key(),
        hallmark_core::proof::Cryptosuite::EddsaJcs2022,
        None,
    );
    let signed = hallmark_core::proof::sign(
        forged.build().unwrap().into_map(),
        &options,
        key.secret_key(),
    )
    .unwrap();
    let (_, text) = post(form(&serde_json::Value::Object(signed).to_string())).await;
    assert!(text.contains("data-state=\"invalid\""), "{text}");
    assert!(
        text.contains("data-check=\"trust\" data-outcome=\"failed\""),
        "{text}"
    );
    assert!(text.contains("is not one this service trusts"), "{text}");

    // This issuer's own badge by its URL: read from the store (the base URL is not even
    // resolvable here), never fetched.
    let url = format!("{BASE}/credentials/{id}");
    let by_url = form_urlencoded::Serializer::new(String::new())
        .append_pair("url", &url)
        .finish();
    let (status, text) = post(by_url).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("data-state=\"revoked\""), "{text}");
    // Any other spelling of this issuer's host is read from the store too, or refused as no
    // badge of it: never fetched (re-check: these went to the fetcher).
    let upper = url.replace("partners.acme.example", "PARTNERS.acme.example.");
    let (status, text) = post(
        form_urlencoded::Serializer::new(String::new())
            .append_pair("url", &upper)
            .finish(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    for other in [
        format!("{url}?x"),
        format!("{BASE}/credentials/../status/revocation-1"),
        format!("{BASE}/credentials/00000000-0000-4000-8000-000000000000"),
    ] {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("url", &other)
            .finish();
        let (status, text) = post(body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{other}: {text}");
        assert!(
            text.contains("own address but names no badge"),
            "{other}: {text}"
        );
    }

    // Nothing given: the paste page again, saying so.
    let (status, text) = post("credential=".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("id=\"paste-error\""), "{text}");
    // A URL at a private address is refused by the fetcher's guard.
    let (status, text) = post("url=https%3A%2F%2F10.0.0.1%2Fbadge.json".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("could not be fetched"), "{text}");
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
