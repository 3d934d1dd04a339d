//! QR codes of a badge's verify URL (docs/design.md §5: `GET /badges/{id}/qr.svg|qr.png`), for
//! slides, proposals and booth posters.
//!
//! - Error correction level Q (about 25 % of the symbol recoverable): printed codes get
//!   scuffed, folded, partly covered by a thumb or photographed at an angle, and a verify URL is
//!   short, so the extra modules over M cost little size.
//! - A quiet zone of 4 modules on every side (ISO/IEC 18004 §6.3.8), so a code placed on a busy
//!   slide still scans.
//! - The content is limited to [`MAX_CONTENT_BYTES`]: a longer URL would give a code too dense
//!   to print small and scan, and the limit is checked before the encoder runs (qrcode-rust has
//!   panicked on capacity overflow); anything the encoder still refuses is a [`QrError`] too.

use std::io::Cursor;

use qrcode::{Color, EcLevel, QrCode};

/// The error correction level of every code (see the module docs for why Q).
pub const EC_LEVEL: EcLevel = EcLevel::Q;
/// The quiet zone, in modules, on each side.
pub const QUIET_ZONE: usize = 4;
/// The longest content encoded, in bytes: version 19 at level Q holds 535 bytes; beyond a few
/// hundred bytes modules get too small for a printed code of a few centimetres.
pub const MAX_CONTENT_BYTES: usize = 512;
/// The SVG's pixels per module (its `width`/`height`; it scales freely).
const SVG_MODULE_PX: u32 = 8;
/// The largest PNG scale accepted, pixels per module.
pub const MAX_SCALE: u32 = 40;

/// Why a QR code could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    /// The content is longer than [`MAX_CONTENT_BYTES`].
    #[error("the content is {len} bytes, longer than the {MAX_CONTENT_BYTES} bytes a printable QR code holds")]
    TooLong {
        /// The content's length in bytes.
        len: usize,
    },
    /// The content is empty.
    #[error("nothing to encode")]
    Empty,
    /// The scale is 0 or above [`MAX_SCALE`].
    #[error("scale {0} is out of range (1 to {MAX_SCALE} pixels per module)")]
    Scale(u32),
    /// The encoder refused the content.
    #[error("cannot encode the content: {0}")]
    Encode(String),
    /// The PNG encoder failed.
    #[error("cannot write the PNG: {0}")]
    Png(String),
}

/// The code of `content`, after the length guard.
fn encode(content: &str) -> Result<QrCode, QrError> {
    if content.is_empty() {
        return Err(QrError::Empty);
    }
    if content.len() > MAX_CONTENT_BYTES {
        return Err(QrError::TooLong { len: content.len() });
    }
    QrCode::with_error_correction_level(content.as_bytes(), EC_LEVEL)
        .map_err(|e| QrError::Encode(e.to_string()))
}

/// The module matrix of `content`'s QR code, quiet zone included: `(side, dark)`, `dark` row
/// by row, `side × side` entries, `true` for a dark module.
///
/// # Errors
/// [`QrError::TooLong`], [`QrError::Empty`] or [`QrError::Encode`].
pub fn qr_modules(content: &str) -> Result<(usize, Vec<bool>), QrError> {
    let code = encode(content)?;
    let width = code.width();
    let side = width + 2 * QUIET_ZONE;
    let colors = code.to_colors();
    let mut dark = vec![false; side * side];
    for (i, color) in colors.iter().enumerate() {
        let (y, x) = (i / width, i % width);
        dark[(y + QUIET_ZONE) * side + x + QUIET_ZONE] = *color == Color::Dark;
    }
    Ok((side, dark))
}

/// `content` (a verify URL) as an SVG QR code: black modules on a white background, quiet zone
/// included, 8 px per module at its natural size (it scales without loss).
///
/// # Errors
/// [`QrError::TooLong`] over [`MAX_CONTENT_BYTES`], [`QrError::Empty`], [`QrError::Encode`].
pub fn qr_svg(content: &str) -> Result<String, QrError> {
    let code = encode(content)?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .quiet_zone(true)
        .module_dimensions(SVG_MODULE_PX, SVG_MODULE_PX)
        .build())
}

/// `content` (a verify URL) as a 1-bit grayscale PNG QR code, `scale` pixels per module, quiet
/// zone included: `(modules + 8) × scale` pixels square. At scale 10 a verify URL (version 5 or
/// 6, about 50 modules) is about 500 px, 4 cm at 300 dpi.
///
/// # Errors
/// [`QrError::Scale`] when `scale` is 0 or above [`MAX_SCALE`]; as [`qr_svg`] otherwise.
pub fn qr_png(content: &str, scale: u32) -> Result<Vec<u8>, QrError> {
    if scale == 0 || scale > MAX_SCALE {
        return Err(QrError::Scale(scale));
    }
    let (side, dark) = qr_modules(content)?;
    let scale = scale as usize;
    let px = side * scale;
    let row_bytes = px.div_ceil(8);
    let mut pixels = vec![0u8; row_bytes * px];
    for y in 0..px {
        let row = &mut pixels[y * row_bytes..(y + 1) * row_bytes];
        for x in 0..px {
            // 1 is white in grayscale.
            if !dark[(y / scale) * side + x / scale] {
                row[x / 8] |= 0x80 >> (x % 8);
            }
        }
    }
    let size = u32::try_from(px).map_err(|_| QrError::Scale(scale as u32))?;
    let mut out = Cursor::new(Vec::new());
    let mut encoder = png::Encoder::new(&mut out, size, size);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    let png_error = |e: png::EncodingError| QrError::Png(e.to_string());
    let mut writer = encoder.write_header().map_err(png_error)?;
    writer.write_image_data(&pixels).map_err(png_error)?;
    writer.finish().map_err(png_error)?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://agency.example/credentials/0b6a1f7e-3c2d-4e5f-8a9b-1c2d3e4f5a6b";

    /// Decodes a PNG QR code with rqrr (an independent decoder).
    fn decode(png_bytes: &[u8]) -> String {
        let mut decoder = png::Decoder::new(Cursor::new(png_bytes));
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Grayscale);
        let (w, h) = (info.width as usize, info.height as usize);
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1);
        grids[0].decode().unwrap().1
    }

    #[test]
    fn png_decodes_back_to_the_url() {
        let png_bytes = qr_png(URL, 4).unwrap();
        assert_eq!(decode(&png_bytes), URL);
        let (side, dark) = qr_modules(URL).unwrap();
        // Quiet zone: the outer 4 modules are light.
        for i in 0..side {
            for q in 0..QUIET_ZONE {
                assert!(!dark[q * side + i] && !dark[i * side + q]);
                assert!(!dark[(side - 1 - q) * side + i] && !dark[i * side + side - 1 - q]);
            }
        }
        // The top-left finder pattern's corner is dark.
        assert!(dark[QUIET_ZONE * side + QUIET_ZONE]);
    }

    /// The SVG's dark rectangles, as a module matrix, are the PNG's.
    #[test]
    fn svg_modules_equal_the_pngs() {
        let svg = qr_svg(URL).unwrap();
        let (side, dark) = qr_modules(URL).unwrap();
        let px = side as u32 * SVG_MODULE_PX;
        assert!(
            svg.contains(&format!(r#"viewBox="0 0 {px} {px}""#)),
            "{svg}"
        );
        let d = svg.split(r##"<path fill="#000" d=""##).nth(1).unwrap();
        let d = d.split('"').next().unwrap();
        let mut from_svg = vec![false; side * side];
        for rect in d.split('M').filter(|r| !r.is_empty()) {
            // M{left} {top}h{width}v{height}H{left}V{top}
            let nums: Vec<u32> = rect
                .split(|c: char| !c.is_ascii_digit())
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().unwrap())
                .collect();
            let (left, top, w, h) = (nums[0], nums[1], nums[2], nums[3]);
            for y in (top..top + h).step_by(SVG_MODULE_PX as usize) {
                for x in (left..left + w).step_by(SVG_MODULE_PX as usize) {
                    let (mx, my) = ((x / SVG_MODULE_PX) as usize, (y / SVG_MODULE_PX) as usize);
                    from_svg[my * side + mx] = true;
                }
            }
        }
        assert_eq!(from_svg, dark);
    }

    #[test]
    fn too_long_empty_and_bad_scale_are_errors_not_panics() {
        let long = format!("https://a.example/{}", "x".repeat(MAX_CONTENT_BYTES));
        assert_eq!(qr_svg(&long), Err(QrError::TooLong { len: long.len() }));
        assert!(matches!(qr_png(&long, 4), Err(QrError::TooLong { .. })));
        // Far beyond any QR capacity: still an error.
        assert!(matches!(
            qr_png(&"9".repeat(100_000), 4),
            Err(QrError::TooLong { .. })
        ));
        assert_eq!(qr_svg(""), Err(QrError::Empty));
        assert_eq!(qr_png(URL, 0), Err(QrError::Scale(0)));
        assert_eq!(
            qr_png(URL, MAX_SCALE + 1),
            Err(QrError::Scale(MAX_SCALE + 1))
        );
        // At the limit, it encodes and decodes.
        let max = format!("https://a.example/{}", "y".repeat(MAX_CONTENT_BYTES - 18));
        assert_eq!(max.len(), MAX_CONTENT_BYTES);
        assert_eq!(decode(&qr_png(&max, 3).unwrap()), max);
    }
}
