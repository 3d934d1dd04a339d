//! The verifier's pages: the paste page (`GET /verify`) and the report a browser gets from
//! `POST /verify` — pasted JSON, an uploaded baked PNG, errors as the paste page again —
//! while every other client keeps the JSON answer.

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use hallmark_core::badge;
use hallmark_core::did::Did;
use hallmark_core::keys::KeyFile;
use hallmark_core::proof::{self, Cryptosuite, ProofOptions};
use hallmark_testkit::Answer;
use hallmark_verifier::{router, VerifierConfig, VerifierState};
use serde_json::Value;
use tower::ServiceExt;

const BROWSER: &str = "text/html,application/xhtml+xml,*/*;q=0.8";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A signed example badge valid now, with no status entry.
fn badge_json(partner: &str) -> String {
    let key = KeyFile::from_json(&std::fs::read(root().join("keys.example/issuer.json")).unwrap())
        .unwrap();
    let mut b = badge::example(&Did::key(&key.public_key()));
    b.partner.name = partner.to_owned();
    b.valid_from = time::OffsetDateTime::now_utc() - time::Duration::days(10);
    b.valid_until = time::OffsetDateTime::now_utc() + time::Duration::days(300);
    let options = ProofOptions::did_key(&key.public_key(), Cryptosuite::EddsaJcs2022, None);
    let signed = proof::sign(b.build().unwrap().into_map(), &options, key.secret_key()).unwrap();
    Value::Object(signed).to_string()
}

async fn send(request: Request<Body>) -> Answer {
    let state = VerifierState::new(VerifierConfig::default()).unwrap();
    Answer::read(router(state).oneshot(request).await.unwrap()).await
}

fn form(field: &str, value: &str, accept: &str) -> Request<Body> {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .append_pair(field, value)
        .finish();
    Request::post("/verify")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", accept)
        .body(Body::from(body))
        .unwrap()
}

fn upload(file: &[u8], name: &str) -> Request<Body> {
    let boundary = "----hallmarktest";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Request::post("/verify")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("accept", BROWSER)
        .body(Body::from(body))
        .unwrap()
}

fn state_of(text: &str) -> &str {
    let at = text.find("data-state=\"").expect("a verdict") + 12;
    &text[at..at + text[at..].find('"').unwrap()]
}

#[tokio::test]
async fn the_paste_page_has_three_ways_in_in_both_languages() {
    let r = send(
        Request::get("/verify")
            .header("accept", BROWSER)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type, "text/html; charset=utf-8");
    for form in [
        "id=\"paste\"",
        "id=\"upload\"",
        "id=\"by-url\"",
        "name=\"credential\"",
        "name=\"file\"",
        "name=\"url\"",
        "enctype=\"multipart/form-data\"",
    ] {
        assert!(r.text.contains(form), "{form} not in {}", r.text);
    }
    // The verifier has no directory or program: its navigation does not promise them.
    assert!(!r.text.contains("href=\"/directory\""));
    let de = send(Request::get("/verify?lang=de").body(Body::empty()).unwrap()).await;
    assert!(de.text.contains("<html lang=\"de\">") && de.text.contains("Abzeichen prüfen"));
    let css = send(
        Request::get("/assets/style.css")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(css.content_type, "text/css; charset=utf-8");
}

#[tokio::test]
async fn a_pasted_badge_and_an_uploaded_baked_png_show_the_report() {
    let json = badge_json("Northwind <b>Consulting</b>");
    let r = send(form("credential", &json, BROWSER)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.content_type, "text/html; charset=utf-8");
    // No trust list here: a warning, and the badge is otherwise valid.
    assert_eq!(state_of(&r.text), "valid");
    assert!(r
        .text
        .contains("data-check=\"trust\" data-outcome=\"warning\""));
    // …and the page says that nobody vouched for the issuer.
    assert!(r.text.contains("id=\"unvouched\""), "{}", r.text);
    assert!(
        r.text
            .contains("Northwind &#60;b&#62;Consulting&#60;/b&#62;"),
        "{}",
        r.text
    );
    assert!(!r.text.contains("<b>Consulting"));

    // The same badge baked into a PNG, uploaded.
    let base =
        std::fs::read(root().join("tests/vectors/ob3/1edtech-validator/simple-json.png")).unwrap();
    let baked = hallmark_core::baked::bake_png(&base, &json).unwrap();
    let r = send(upload(&baked, "badge.png")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(state_of(&r.text), "valid");

    // Tampered after signing: not valid, the proof check says why.
    let tampered = json.replace("Northwind", "Southwind");
    let r = send(form("credential", &tampered, BROWSER)).await;
    assert_eq!(state_of(&r.text), "invalid");
    assert!(r
        .text
        .contains("data-check=\"proof\" data-outcome=\"failed\""));

    // A program (not a browser) gets the JSON report as before.
    let r = send(form("credential", &json, "application/json")).await;
    assert_eq!(r.content_type, "application/json");
    assert_eq!(
        serde_json::from_str::<Value>(&r.text).unwrap()["verified"],
        true
    );
}

#[tokio::test]
async fn what_cannot_be_verified_comes_back_as_the_paste_page_saying_why() {
    // An image without a badge.
    let png =
        std::fs::read(root().join("tests/vectors/ob3/1edtech-validator/simple-json.png")).unwrap();
    let plain = strip_itxt(&png);
    let r = send(upload(&plain, "plain.png")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"paste-error\""), "{}", r.text);
    assert!(r.text.contains("This image holds no badge"), "{}", r.text);
    // An address the verifier will not fetch (loopback).
    let r = send(form("url", "https://127.0.0.1/badge.json", BROWSER)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.text.contains("The badge could not be fetched"),
        "{}",
        r.text
    );
    // A presentation.
    let vp = r#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiablePresentation"]}"#;
    let r = send(form("credential", vp, BROWSER)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("presentation"), "{}", r.text);
    // Not JSON at all: the report's parse check fails, shown as not valid.
    let r = send(form("credential", "hello", BROWSER)).await;
    assert_eq!(state_of(&r.text), "invalid");
    assert!(r
        .text
        .contains("data-check=\"parse\" data-outcome=\"failed\""));
}

/// `png` without its iTXt chunks (a chunk walk: length, type, data, CRC).
fn strip_itxt(png: &[u8]) -> Vec<u8> {
    let mut out = png[..8].to_vec();
    let mut at = 8;
    while at + 12 <= png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let end = at + 12 + len;
        if &png[at + 4..at + 8] != b"iTXt" {
            out.extend_from_slice(&png[at..end]);
        }
        at = end;
    }
    out
}
