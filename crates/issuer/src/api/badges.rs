//! A badge's images (docs/design.md §5), public and cacheable: its QR code (the verify URL,
//! `{base}/credentials/{uuid}`), its baked images (OB 3.0 §5.3: the tier's image carrying the
//! stored credential, byte for byte) and the tier images they are baked into (the badge's
//! `achievement.image`, `{base}/program/tiers/{slug}/image.png`).
//!
//! The work is small (a QR code of a short URL, a chunk inserted into a few-KB PNG: well
//! under a millisecond), so it runs on the request's task. Every response carries a strong
//! `ETag` (a hash of the body) and answers a matching `If-None-Match` with 304; CORS is open
//! (`*`): these are public images for any site.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hallmark_core::baked;
use hallmark_web::qr::{self, QrError};
use hallmark_web::tier_image;
use sha2::{Digest, Sha256};

use crate::problem::Problem;
use crate::service::Issuer;

/// A QR code's or baked image's lifetime: the verify URL and the signed document never change
/// (a revocation changes the status list, not the badge).
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// A tier image's lifetime: a day, as the program's names may be edited.
const TIER_IMAGE: &str = "public, max-age=86400";
/// Pixels per module of `qr.png`: about 500 px for a verify URL, 4 cm at 300 dpi.
const QR_PNG_SCALE: u32 = 10;

/// A public image: content type, cache lifetime, ETag (304 when it matches), CORS `*`, and
/// optionally `Content-Disposition: inline; filename=…`.
fn image(
    request: &HeaderMap,
    content_type: &'static str,
    cache: &'static str,
    filename: Option<String>,
    body: Vec<u8>,
) -> Response {
    let hash = Sha256::digest(&body);
    let etag: String = hash[..12].iter().map(|b| format!("{b:02x}")).collect();
    let etag = format!("\"{etag}\"");
    let matches = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, body).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    hallmark_web::page::image_headers(headers);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    if let Some(value) = filename
        .map(|f| format!("inline; filename=\"{f}\""))
        .and_then(|v| HeaderValue::from_str(&v).ok())
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

fn qr_problem(e: &QrError) -> Problem {
    match e {
        QrError::TooLong { .. } | QrError::Empty => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "qr-content",
            "Cannot make this QR code",
            e.to_string(),
        ),
        _ => Problem::internal("QR code", e),
    }
}

/// The tier's position among the program's tiers by rank (0 = lowest) and the tier, or 404.
fn tier_position<'a>(
    issuer: &'a Issuer,
    slug: &str,
) -> Result<(usize, &'a crate::program::Tier), Problem> {
    let tiers = &issuer.program().tiers;
    let tier = tiers
        .iter()
        .find(|t| t.id == slug)
        .ok_or_else(|| Problem::not_found(format!("no tier {slug:?} in this program")))?;
    Ok((tiers.iter().filter(|t| t.rank < tier.rank).count(), tier))
}

/// A specialization's image colour (that of its `min_tier`, the highest tier's without one)
/// and the specialization; not found for a slug the program does not have.
fn specialization_position<'a>(
    issuer: &'a Issuer,
    slug: &str,
) -> Result<(usize, &'a crate::program::Specialization), Problem> {
    let program = issuer.program();
    let special = program
        .specialization(slug)
        .ok_or_else(|| Problem::not_found(format!("no specialization {slug:?} in this program")))?;
    let position = match special.min_tier.as_deref() {
        Some(tier) => tier_position(issuer, tier)?.0,
        None => program.tiers.len().saturating_sub(1),
    };
    Ok((position, special))
}

/// The image a badge is baked into: its tier's or specialization's (position, name); a badge
/// without either of the program (e.g. issued through the VC API) gets the first colour and
/// the program's name.
fn badge_tier(issuer: &Issuer, row: &hallmark_store::CredentialRow) -> (usize, String, String) {
    let program = issuer.program().name.clone();
    let found = match (&row.specialization, &row.tier) {
        (Some(slug), _) => specialization_position(issuer, slug)
            .ok()
            .map(|(p, s)| (p, s.name.clone())),
        (None, Some(slug)) => tier_position(issuer, slug)
            .ok()
            .map(|(p, t)| (p, t.name.clone())),
        (None, None) => None,
    };
    match found {
        Some((position, name)) => (position, name, program),
        None => (0, program, String::new()),
    }
}

/// `GET /badges/{id}/qr.svg`: the verify URL as an SVG QR code.
pub(super) async fn qr_svg(
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let row = issuer.credential(&id).await?;
    let svg = qr::qr_svg(&issuer.credential_url(&row.id)).map_err(|e| qr_problem(&e))?;
    Ok(image(
        &headers,
        "image/svg+xml",
        IMMUTABLE,
        None,
        svg.into_bytes(),
    ))
}

/// `GET /badges/{id}/qr.png`: the verify URL as a PNG QR code, 10 px per module.
pub(super) async fn qr_png(
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let row = issuer.credential(&id).await?;
    let png =
        qr::qr_png(&issuer.credential_url(&row.id), QR_PNG_SCALE).map_err(|e| qr_problem(&e))?;
    Ok(image(&headers, "image/png", IMMUTABLE, None, png))
}

/// `GET /badges/{id}/baked.png`: the tier's PNG with the stored credential in an
/// `openbadgecredential` iTXt chunk (OB 3.0 §5.3.1).
pub(super) async fn baked_png(
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let row = issuer.credential(&id).await?;
    let (position, ..) = badge_tier(&issuer, &row);
    let png = baked::bake_png(tier_image::tier_png(position), &row.document)
        .map_err(|e| Problem::internal("baking a PNG", &e))?;
    let name = format!("badge-{}.png", row.id);
    Ok(image(&headers, "image/png", IMMUTABLE, Some(name), png))
}

/// `GET /badges/{id}/baked.svg`: the tier's SVG with the stored credential in an
/// `<openbadges:credential>` element (OB 3.0 §5.3.2).
pub(super) async fn baked_svg(
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let row = issuer.credential(&id).await?;
    let (position, tier, program) = badge_tier(&issuer, &row);
    let svg = tier_image::tier_svg(&tier, &program, position)
        .map_err(|e| Problem::internal("tier image", &e))?;
    let svg =
        baked::bake_svg(&svg, &row.document).map_err(|e| Problem::internal("baking an SVG", &e))?;
    let name = format!("badge-{}.svg", row.id);
    // A day, not immutable: the image around the credential shows the program's names.
    Ok(image(
        &headers,
        "image/svg+xml",
        TIER_IMAGE,
        Some(name),
        svg.into_bytes(),
    ))
}

/// `GET /program/tiers/{id}/image.svg`: the tier's badge image with its and the program's names.
pub(super) async fn tier_svg(
    State(issuer): State<Issuer>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let (position, tier) = tier_position(&issuer, &slug)?;
    achievement_svg(&issuer, &headers, position, &tier.name)
}

/// `GET /program/tiers/{id}/image.png`: the tier's badge image for wallets (the badge's
/// `achievement.image`).
pub(super) async fn tier_png(
    State(issuer): State<Issuer>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let (position, _) = tier_position(&issuer, &slug)?;
    Ok(achievement_png(&headers, position))
}

/// `GET /program/specializations/{id}/image.svg`: a specialization's badge image with its
/// and the program's names.
pub(super) async fn specialization_svg(
    State(issuer): State<Issuer>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let (position, special) = specialization_position(&issuer, &slug)?;
    achievement_svg(&issuer, &headers, position, &special.name)
}

/// `GET /program/specializations/{id}/image.png`: a specialization's badge image for wallets
/// (its badges' `achievement.image`).
pub(super) async fn specialization_png(
    State(issuer): State<Issuer>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let (position, _) = specialization_position(&issuer, &slug)?;
    Ok(achievement_png(&headers, position))
}

/// A tier's or specialization's image (SVG) in colour `position`, named `name` and by the
/// program.
fn achievement_svg(
    issuer: &Issuer,
    headers: &HeaderMap,
    position: usize,
    name: &str,
) -> Result<Response, Problem> {
    let svg = tier_image::tier_svg(name, &issuer.program().name, position)
        .map_err(|e| Problem::internal("tier image", &e))?;
    Ok(image(
        headers,
        "image/svg+xml",
        TIER_IMAGE,
        None,
        svg.into_bytes(),
    ))
}

/// A tier's or specialization's image (PNG, for wallets) in colour `position`.
fn achievement_png(headers: &HeaderMap, position: usize) -> Response {
    let png = tier_image::tier_png(position).to_vec();
    image(headers, "image/png", TIER_IMAGE, None, png)
}
