//! A badge's images through `router()` (no socket, SQLite): baked PNG and SVG read back by
//! independent readers (a PNG chunk walk written here, roxmltree) give exactly the stored
//! credential, which verifies; the QR codes decode (rqrr) to the verify URL; tier images;
//! 404s, ETags, CORS; a verify URL too long for a QR code is a 422, not a panic.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use hallmark_core::keys::{KeyFile, SecretKey};
use hallmark_core::verify::{ResolveError, Resources, Verifier};
use hallmark_issuer::{router, Config, Issuer, Overrides};
use serde_json::{json, Value};
use tower::ServiceExt;

const BASE: &str = "https://partners.acme.example";

struct Harness {
    state: Issuer,
    token: String,
    _dir: PathBuf,
}

async fn harness(base_url: &str) -> Harness {
    let mut r = [0u8; 8];
    getrandom::fill(&mut r).unwrap();
    let tag: String = r.iter().map(|b| format!("{b:02x}")).collect();
    let dir = std::env::temp_dir().join(format!("hallmark-badges-{tag}"));
    std::fs::create_dir_all(dir.join("keys")).unwrap();
    let key = KeyFile::new(SecretKey::from_seed(&[12; 32]));
    std::fs::write(dir.join("keys/issuer.json"), key.to_json().expose()).unwrap();
    std::fs::write(
        dir.join("program.toml"),
        hallmark_issuer::program::DEMO_PROGRAM,
    )
    .unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!("issuer_name = \"Acme\"\nbase_url = \"{base_url}\"\ndatabase_url = \"sqlite:hallmark.db\"\n"),
    )
    .unwrap();
    let config = Config::load(&dir.join("config.toml"), &Overrides::default()).unwrap();
    let state = Issuer::open(config).await.unwrap();
    let token = hallmark_issuer::create_token(state.store(), "test-admin")
        .await
        .unwrap();
    Harness {
        state,
        token,
        _dir: dir,
    }
}

struct Raw {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", |v| v.to_str().unwrap())
    }
}

impl Harness {
    async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Raw {
        let mut req = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if body.is_some() {
            req = req
                .header("authorization", format!("Bearer {}", self.token))
                .header("content-type", "application/json");
        }
        let req = req
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .unwrap();
        let res = router(self.state.clone()).oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = axum::body::to_bytes(res.into_body(), 1 << 22)
            .await
            .unwrap()
            .to_vec();
        Raw {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, path: &str) -> Raw {
        self.send("GET", path, &[], None).await
    }

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

    /// Verifies `badge` with the status lists and DID document this service publishes.
    async fn verify(&self, badge: &Value) -> hallmark_core::Report {
        let mut docs = HashMap::new();
        for path in [
            "/status/revocation-1",
            "/status/suspension-1",
            "/status/message-2bit-1",
            "/.well-known/did.json",
        ] {
            let r = self.get(path).await;
            if r.status == StatusCode::OK {
                docs.insert(format!("{BASE}{path}"), Arc::<[u8]>::from(r.body));
            }
        }
        Verifier::new(time::OffsetDateTime::now_utc()).verify_value(badge, &Served(docs))
    }
}

struct Served(HashMap<String, Arc<[u8]>>);

impl Resources for Served {
    fn fetch(&self, url: &str) -> Result<Arc<[u8]>, ResolveError> {
        self.0.get(url).cloned().ok_or_else(|| ResolveError {
            undecided: true,
            detail: format!("{url} not served"),
        })
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

fn assert_public_image(r: &Raw, content_type: &str) {
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
    let h = harness(BASE).await;
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
    let h = harness(BASE).await;
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
    let h = harness(BASE).await;
    let r = h.get("/program/tiers/gold/image.svg").await;
    assert_public_image(&r, "image/svg+xml");
    let svg = String::from_utf8(r.body).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "text")
        .filter_map(|n| n.text())
        .collect();
    let program = &h.state.program();
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
    let h = harness(&long).await;
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
