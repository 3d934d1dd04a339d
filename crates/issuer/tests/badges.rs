//! A badge's images through `router()` (no socket, SQLite): baked PNG and SVG read back by
//! independent readers (a PNG chunk walk written here, roxmltree) give exactly the stored
//! credential, which verifies; the QR codes decode (rqrr) to the verify URL; tier images;
//! 404s, ETags, CORS; a verify URL too long for a QR code is a 422, not a panic.

mod common;

use axum::http::StatusCode;
use common::{harness, Harness, Reply, BASE};
use serde_json::{json, Value};

impl Harness {
    /// A gold badge for a partner named `name`: its uuid.
    async fn badge(&self, name: &str) -> String {
        let r = self
            .send(
                "POST",
                "/api/v1/partners",
                &[],
                Some(json!({"name": name, "url": "https://northwind.example"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        let partner: Value = serde_json::from_slice(&r.body).unwrap();
        let approved_at = hallmark_core::datetime::format(
            time::OffsetDateTime::now_utc() - time::Duration::days(30),
        );
        let approval = json!({
            "partner_id": partner["id"], "tier": "gold", "role": "solutions",
            "competencies": ["CLOUD-FUND", "CLOUD-ARCH", "SEC-IAM", "DATA-MIG"],
            "exam_score": 87, "demo_level": "Advanced", "approver": "Jane Approver",
            "approved_at": approved_at,
            "references": [
                {"name": "Contoso", "description": "Migration", "validated": true, "public": true},
                {"name": "Fabrikam", "validated": true, "public": true},
                {"name": "Secret bank", "validated": true, "public": false}
            ]
        });
        let r = self
            .send("POST", "/api/v1/approvals", &[], Some(approval))
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        body["credential"]["uuid"].as_str().unwrap().to_owned()
    }
}

/// The chunks of a PNG, walked here (independently of hallmark_core::baked): (type, data).
fn png_chunks(png: &[u8]) -> Vec<(String, Vec<u8>)> {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let mut at = 8;
    let mut chunks = Vec::new();
    while at < png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let kind = String::from_utf8(png[at + 4..at + 8].to_vec()).unwrap();
        let data = png[at + 8..at + 8 + len].to_vec();
        let crc = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into().unwrap());
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&png[at + 4..at + 8 + len]);
        assert_eq!(hasher.finalize(), crc, "CRC of {kind}");
        chunks.push((kind, data));
        at += 12 + len;
    }
    chunks
}

fn assert_public_image(r: &Reply, content_type: &str) {
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.header("content-type"), content_type);
    assert_eq!(r.header("access-control-allow-origin"), "*");
    assert!(
        r.header("cache-control").starts_with("public, max-age="),
        "{}",
        r.header("cache-control")
    );
    assert!(r.header("etag").starts_with('"'), "{:?}", r.headers);
}

/// Decodes a PNG QR code with rqrr.
fn decode_qr(png_bytes: &[u8]) -> String {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1);
    grids[0].decode().unwrap().1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baked_images_carry_exactly_the_stored_credential() {
    let h = harness(BASE, "").await;
    let uuid = h.badge("<img src=x onerror=alert(1)> & Sons").await;
    let stored = h.get(&format!("/credentials/{uuid}")).await.body;
    let credential: Value = serde_json::from_slice(&stored).unwrap();

    // PNG: one openbadgecredential iTXt chunk right after IHDR, uncompressed, exactly the
    // stored bytes; the credential inside verifies.
    let r = h.get(&format!("/badges/{uuid}/baked.png")).await;
    assert_public_image(&r, "image/png");
    assert_eq!(
        r.header("content-disposition"),
        format!("inline; filename=\"badge-{uuid}.png\"")
    );
    let chunks = png_chunks(&r.body);
    assert_eq!(chunks[0].0, "IHDR");
    assert_eq!(chunks[1].0, "iTXt");
    assert_eq!(chunks.last().unwrap().0, "IEND");
    let ours: Vec<_> = chunks
        .iter()
        .filter(|(k, d)| k == "iTXt" && d.starts_with(b"openbadgecredential\0"))
        .collect();
    assert_eq!(ours.len(), 1);
    let mut expected = b"openbadgecredential\0\0\0\0\0".to_vec();
    expected.extend_from_slice(&stored);
    assert_eq!(ours[0].1, expected);
    let unbaked = hallmark_core::baked::unbake(&r.body).unwrap().unwrap();
    assert_eq!(unbaked, stored);
    let report = h
        .verify(&hallmark_core::json::parse(&unbaked).unwrap())
        .await;
    assert!(report.verified(), "{report:?}");

    // SVG: read with an XML parser, the first child of <svg> is the credential element whose
    // text is exactly the stored document; the partner's name is not markup anywhere.
    let r = h.get(&format!("/badges/{uuid}/baked.svg")).await;
    assert_public_image(&r, "image/svg+xml");
    assert_eq!(
        r.header("content-disposition"),
        format!("inline; filename=\"badge-{uuid}.svg\"")
    );
    let text = String::from_utf8(r.body.clone()).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let first = root.first_element_child().unwrap();
    assert_eq!(
        first.tag_name().namespace(),
        Some("https://purl.imsglobal.org/ob/v3p0")
    );
    assert_eq!(first.tag_name().name(), "credential");
    let inner: String = first.children().filter_map(|n| n.text()).collect();
    assert_eq!(inner.as_bytes(), stored.as_slice());
    assert!(doc.descendants().all(|n| n.tag_name().name() != "img"));
    assert_eq!(
        hallmark_core::baked::unbake(&r.body).unwrap().unwrap(),
        stored
    );
    assert_eq!(credential["id"], format!("{BASE}/credentials/{uuid}"));

    // ETag: a second request with If-None-Match is 304.
    let etag = r.header("etag").to_owned();
    let again = h
        .send(
            "GET",
            &format!("/badges/{uuid}/baked.svg"),
            &[("if-none-match", &etag)],
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qr_codes_decode_to_the_verify_url() {
    let h = harness(BASE, "").await;
    let uuid = h.badge("Northwind").await;
    let r = h.get(&format!("/badges/{uuid}/qr.png")).await;
    assert_public_image(&r, "image/png");
    assert!(r.header("cache-control").contains("immutable"));
    assert_eq!(decode_qr(&r.body), format!("{BASE}/credentials/{uuid}"));
    let r = h.get(&format!("/badges/{uuid}/qr.svg")).await;
    assert_public_image(&r, "image/svg+xml");
    let svg = String::from_utf8(r.body).unwrap();
    assert_eq!(
        roxmltree::Document::parse(&svg)
            .unwrap()
            .root_element()
            .tag_name()
            .name(),
        "svg"
    );

    // Unknown badge or tier: 404 problem details.
    for path in [
        "/badges/no-such-badge/qr.svg",
        "/badges/no-such-badge/qr.png",
        "/badges/no-such-badge/baked.png",
        "/badges/no-such-badge/baked.svg",
        "/program/tiers/no-such-tier/image.svg",
        "/program/tiers/no-such-tier/image.png",
    ] {
        let r = h.get(path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            r.header("content-type"),
            "application/problem+json",
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tier_images_name_the_tier_and_are_pngs() {
    let h = harness(BASE, "").await;
    let r = h.get("/program/tiers/gold/image.svg").await;
    assert_public_image(&r, "image/svg+xml");
    let svg = String::from_utf8(r.body).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "text")
        .filter_map(|n| n.text())
        .collect();
    let program = &h.issuer.program();
    let gold = program.tiers.iter().find(|t| t.id == "gold").unwrap();
    assert_eq!(texts, [gold.name.as_str(), program.name.as_str()]);
    let r = h.get("/program/tiers/gold/image.png").await;
    assert_public_image(&r, "image/png");
    let chunks = png_chunks(&r.body);
    assert_eq!(chunks[0].0, "IHDR");
    // 240×280
    assert_eq!(&chunks[0].1[..8], &[0, 0, 0, 240, 0, 0, 1, 24]);
}

/// A base URL so long that the verify URL exceeds a printable QR code: 422, never a panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verify_url_too_long_for_a_qr_code_is_422() {
    let long = format!("{BASE}/{}", "x".repeat(600));
    let h = harness(&long, "").await;
    let uuid = h.badge("Northwind").await;
    for path in [
        format!("/badges/{uuid}/qr.png"),
        format!("/badges/{uuid}/qr.svg"),
    ] {
        let r = h.get(&path).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        let problem: Value = serde_json::from_slice(&r.body).unwrap();
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("longer than the 512 bytes"),
            "{problem}"
        );
    }
}
