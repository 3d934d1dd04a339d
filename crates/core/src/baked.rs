//! Baked badges (Open Badges 3.0 §5.3 "Embedding in images"): a credential carried inside its
//! own badge image, so the image alone can be verified.
//!
//! - PNG (§5.3.1): one `iTXt` chunk (PNG spec §11.3.4.5) with keyword `openbadgecredential`,
//!   compression flag 0, empty language tag and translated keyword, the credential JSON as
//!   text.
//! - SVG (§5.3.2): `xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"` on the root `<svg>`
//!   and an `<openbadges:credential>` element, first child of the root, the JSON in CDATA.
//!
//! [`bake_png`] and [`bake_svg`] write them, [`unbake`] reads either back (and tells an image
//! from a JSON document). No I/O; the work is linear in the input and allocates at most about
//! its size (plus the XML tree of an SVG, bounded in nodes).

use std::fmt;

/// The `iTXt` keyword of an OB 3.0 baked PNG (§5.3.1).
pub const PNG_KEYWORD: &str = "openbadgecredential";
/// The Open Badges 2.0 keyword (`openbadges`), recognised only to name it in an error.
const PNG_KEYWORD_OB2: &str = "openbadges";
/// The namespace of the `openbadges:` prefix in a baked SVG (§5.3.2).
pub const SVG_NAMESPACE: &str = "https://purl.imsglobal.org/ob/v3p0";
/// The PNG signature (PNG spec §5.2).
const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
/// The largest chunk length the PNG spec allows (§5.3: 2^31 − 1).
const MAX_CHUNK: u32 = 0x7fff_ffff;
/// The most XML nodes an SVG may have for [`unbake`] and [`bake_svg`]: bounds the tree (and
/// entity expansion) a hostile SVG can make us build.
const MAX_XML_NODES: u32 = 200_000;

/// The image format of a baked badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// PNG (signature `\x89PNG\r\n\x1a\n`).
    Png,
    /// SVG (an XML document whose root is `<svg>`).
    Svg,
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Png => "PNG",
            Self::Svg => "SVG",
        })
    }
}

/// Why an image could not be baked: the image given is not one we can bake into.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BakeError {
    /// Not a well-formed PNG (signature, chunk layout, CRC, IHDR first).
    #[error("cannot bake into this PNG: {0}")]
    Png(String),
    /// Not a well-formed SVG document.
    #[error("cannot bake into this SVG: {0}")]
    Svg(String),
    /// The credential cannot be carried (too long for a PNG chunk, or characters XML forbids).
    #[error("cannot bake this credential: {0}")]
    Credential(String),
}

/// Why a baked image could not be read: it is a PNG or an SVG, but does not carry exactly one
/// readable OB 3.0 credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BakedError {
    /// A well-formed image with no credential in it.
    #[error("this {0} image carries no Open Badges 3.0 credential (no {hint})", hint = no_credential_hint(*.0))]
    NoCredential(ImageFormat),
    /// An Open Badges 2.0 baked image (keyword `openbadges` / `<openbadges:assertion>`).
    #[error(
        "this {0} image carries an Open Badges 2.0 assertion, not an Open Badges 3.0 credential"
    )]
    Ob2(ImageFormat),
    /// More than one credential in one image (§5.3: exactly one).
    #[error("this {0} image carries more than one credential; Open Badges 3.0 allows one")]
    Duplicate(ImageFormat),
    /// A compressed `iTXt` chunk (§5.3.1: compression MUST NOT be used).
    #[error("the PNG's openbadgecredential iTXt chunk is compressed; Open Badges 3.0 forbids compression")]
    Compressed,
    /// A credential baked as a compact JWS (VC-JOSE), which Hallmark does not verify.
    #[error("this {0} image carries a JWT (compact JWS) credential; Hallmark verifies Data Integrity proofs only, JWT-baked badges are not supported")]
    Jwt(ImageFormat),
    /// The image is damaged: truncated, bad CRC, malformed chunk or XML, not UTF-8.
    #[error("this {format} image is damaged: {detail}")]
    Corrupt {
        /// PNG or SVG.
        format: ImageFormat,
        /// What is wrong, e.g. "chunk IDAT at byte 33: CRC mismatch".
        detail: String,
    },
}

fn no_credential_hint(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Png => "iTXt chunk with keyword openbadgecredential",
        ImageFormat::Svg => "<openbadges:credential> element",
    }
}

fn corrupt(format: ImageFormat, detail: impl Into<String>) -> BakedError {
    BakedError::Corrupt {
        format,
        detail: detail.into(),
    }
}

/// One PNG chunk, borrowed from the datastream.
struct Chunk<'a> {
    kind: [u8; 4],
    data: &'a [u8],
    /// The whole chunk: length, type, data and CRC.
    raw: &'a [u8],
}

/// Walks a PNG's chunks up to and including `IEND`, checking each length, type and CRC
/// (PNG spec §5.3). Bytes after `IEND` are ignored, as decoders do.
fn png_chunks(bytes: &[u8]) -> Result<Vec<Chunk<'_>>, String> {
    if !bytes.starts_with(&PNG_SIGNATURE) {
        return Err("no PNG signature".into());
    }
    let mut chunks = Vec::new();
    let mut at = PNG_SIGNATURE.len();
    loop {
        let rest = &bytes[at..];
        if rest.is_empty() {
            return Err(format!("truncated: no IEND chunk (ends at byte {at})"));
        }
        let Some(header) = rest.get(..8) else {
            return Err(format!("truncated chunk header at byte {at}"));
        };
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let kind = [header[4], header[5], header[6], header[7]];
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(format!("invalid chunk type at byte {at}"));
        }
        let name = String::from_utf8_lossy(&kind).into_owned();
        if len > MAX_CHUNK {
            return Err(format!(
                "chunk {name} at byte {at}: length {len} exceeds 2^31-1"
            ));
        }
        let total = 12 + len as usize;
        let Some(raw) = rest.get(..total) else {
            return Err(format!(
                "chunk {name} at byte {at}: truncated ({len} data bytes declared, {} present)",
                rest.len().saturating_sub(12)
            ));
        };
        let data = &raw[8..8 + len as usize];
        let stored = u32::from_be_bytes([
            raw[total - 4],
            raw[total - 3],
            raw[total - 2],
            raw[total - 1],
        ]);
        if crc32fast::hash(&raw[4..total - 4]) != stored {
            return Err(format!("chunk {name} at byte {at}: CRC mismatch"));
        }
        if chunks.is_empty() && &kind != b"IHDR" {
            return Err(format!("the first chunk is {name}, not IHDR"));
        }
        chunks.push(Chunk { kind, data, raw });
        at += total;
        if &kind == b"IEND" {
            return Ok(chunks);
        }
    }
}

/// The keyword of an `iTXt` chunk's data, and what follows its NUL separator.
fn itxt_keyword(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let nul = data.iter().position(|&b| b == 0)?;
    Some((&data[..nul], &data[nul + 1..]))
}

/// Bakes `credential_json` into a PNG (OB 3.0 §5.3.1): one uncompressed `iTXt` chunk with
/// keyword `openbadgecredential`, empty language tag and translated keyword, inserted right
/// after `IHDR`. An `openbadgecredential` chunk already there is replaced, so the output holds
/// exactly one. Other chunks are copied unchanged.
///
/// # Errors
/// [`BakeError::Png`] when `png` is not a well-formed PNG (signature, lengths, CRCs, `IHDR`
/// first, `IEND` last); [`BakeError::Credential`] when the JSON does not fit a chunk.
pub fn bake_png(png: &[u8], credential_json: &str) -> Result<Vec<u8>, BakeError> {
    let chunks = png_chunks(png).map_err(BakeError::Png)?;
    // keyword NUL, compression flag 0, method 0, language tag "" NUL, translated keyword "" NUL
    let mut data = Vec::with_capacity(PNG_KEYWORD.len() + 5 + credential_json.len());
    data.extend_from_slice(PNG_KEYWORD.as_bytes());
    data.extend_from_slice(&[0, 0, 0, 0, 0]);
    data.extend_from_slice(credential_json.as_bytes());
    let len = u32::try_from(data.len())
        .ok()
        .filter(|&l| l <= MAX_CHUNK)
        .ok_or_else(|| {
            BakeError::Credential("longer than a PNG chunk can hold (2^31-1 bytes)".into())
        })?;
    let mut out = Vec::with_capacity(png.len() + data.len() + 12);
    out.extend_from_slice(&PNG_SIGNATURE);
    for (i, chunk) in chunks.iter().enumerate() {
        let ours = &chunk.kind == b"iTXt"
            && itxt_keyword(chunk.data).is_some_and(|(k, _)| k == PNG_KEYWORD.as_bytes());
        if !ours {
            out.extend_from_slice(chunk.raw);
        }
        if i == 0 {
            out.extend_from_slice(&len.to_be_bytes());
            let start = out.len();
            out.extend_from_slice(b"iTXt");
            out.extend_from_slice(&data);
            let crc = crc32fast::hash(&out[start..]);
            out.extend_from_slice(&crc.to_be_bytes());
        }
    }
    Ok(out)
}

/// The credential of a PNG's `openbadgecredential` `iTXt` chunk.
fn unbake_png(bytes: &[u8]) -> Result<Vec<u8>, BakedError> {
    let format = ImageFormat::Png;
    let chunks = png_chunks(bytes).map_err(|d| corrupt(format, d))?;
    let mut found: Option<&[u8]> = None;
    let mut ob2 = false;
    for chunk in chunks.iter().filter(|c| &c.kind == b"iTXt") {
        let Some((keyword, rest)) = itxt_keyword(chunk.data) else {
            return Err(corrupt(format, "an iTXt chunk without a keyword separator"));
        };
        if keyword == PNG_KEYWORD_OB2.as_bytes() {
            ob2 = true;
        }
        if keyword != PNG_KEYWORD.as_bytes() {
            continue;
        }
        if found.is_some() {
            return Err(BakedError::Duplicate(format));
        }
        let [flag, method, rest @ ..] = rest else {
            return Err(corrupt(
                format,
                "the openbadgecredential iTXt chunk is truncated",
            ));
        };
        if *flag != 0 || *method != 0 {
            return Err(BakedError::Compressed);
        }
        // language tag NUL, translated keyword NUL, text
        let mut parts = rest.splitn(3, |&b| b == 0);
        let (Some(_lang), Some(_translated), Some(text)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(corrupt(
                format,
                "the openbadgecredential iTXt chunk lacks its language tag or translated keyword",
            ));
        };
        found = Some(text);
    }
    match found {
        Some(text) => credential_text(format, text),
        None if ob2 => Err(BakedError::Ob2(format)),
        None => Err(BakedError::NoCredential(format)),
    }
}

/// Checks that a baked text is a JSON credential (not a compact JWS) and UTF-8.
fn credential_text(format: ImageFormat, text: &[u8]) -> Result<Vec<u8>, BakedError> {
    let trimmed = text.trim_ascii();
    if is_compact_jws(trimmed) {
        return Err(BakedError::Jwt(format));
    }
    if std::str::from_utf8(text).is_err() {
        return Err(corrupt(format, "the credential text is not UTF-8"));
    }
    Ok(text.to_vec())
}

/// `header.payload.signature` in base64url (RFC 7515 §7.1).
fn is_compact_jws(text: &[u8]) -> bool {
    !text.is_empty()
        && text.iter().filter(|&&b| b == b'.').count() == 2
        && text
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'='))
}

/// Whether a character may appear in an XML 1.0 document (XML 1.0 §2.2 `Char`).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

fn xml_options<'i>() -> roxmltree::ParsingOptions<'i> {
    // SVGs commonly carry `<!DOCTYPE svg PUBLIC …>`; roxmltree never fetches external DTDs and
    // bounds entity expansion, and `nodes_limit` bounds the tree.
    roxmltree::ParsingOptions {
        allow_dtd: true,
        nodes_limit: MAX_XML_NODES,
        ..roxmltree::ParsingOptions::default()
    }
}

fn parse_svg(svg: &str) -> Result<roxmltree::Document<'_>, String> {
    let doc =
        roxmltree::Document::parse_with_options(svg, xml_options()).map_err(|e| e.to_string())?;
    let root = doc.root_element();
    if root.tag_name().name() != "svg" {
        return Err(format!(
            "the root element is <{}>, not <svg>",
            root.tag_name().name()
        ));
    }
    Ok(doc)
}

/// The `openbadges:credential` (and OB 2.0 `openbadges:assertion`) elements of a document.
fn ob_elements<'a, 'i>(
    doc: &'a roxmltree::Document<'i>,
    local: &'a str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> + 'a {
    doc.descendants().filter(move |n| {
        n.is_element()
            && n.tag_name().name() == local
            && n.tag_name().namespace() == Some(SVG_NAMESPACE)
    })
}

/// Bakes `credential_json` into an SVG (OB 3.0 §5.3.2): declares
/// `xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"` on the root `<svg>` (unless it is
/// already declared so) and inserts `<openbadges:credential><![CDATA[…]]></openbadges:credential>`
/// as its first child. A `]]>` inside the JSON is split across two CDATA sections, so an XML
/// parser reads back exactly `credential_json`. A credential element already there is removed.
///
/// The edit is textual (positions from roxmltree's parse): the rest of the document stays byte
/// for byte as given.
///
/// # Errors
/// [`BakeError::Svg`] when `svg` is not well-formed XML with an `<svg>` root, or binds the
/// `openbadges` prefix to another namespace; [`BakeError::Credential`] when the JSON holds a
/// character XML 1.0 forbids (e.g. U+FFFE).
pub fn bake_svg(svg: &str, credential_json: &str) -> Result<String, BakeError> {
    if let Some(c) = credential_json.chars().find(|&c| !xml_char(c)) {
        return Err(BakeError::Credential(format!(
            "it contains U+{:04X}, which XML does not allow",
            u32::from(c)
        )));
    }
    let doc = parse_svg(svg).map_err(BakeError::Svg)?;
    let root = doc.root_element();
    let declared = root
        .namespaces()
        .find(|ns| ns.name() == Some("openbadges"))
        .map(|ns| ns.uri());
    let declare = match declared {
        None => true,
        Some(uri) if uri == SVG_NAMESPACE => false,
        Some(other) => {
            return Err(BakeError::Svg(format!(
                "the openbadges prefix is bound to {other}, not {SVG_NAMESPACE}"
            )))
        }
    };
    // The root's start tag, scanned from its name: the document is well-formed (parsed above),
    // so outside quoted attribute values the first `>` ends it (a namespace declaration has no
    // range in roxmltree, so attribute ranges alone would not do).
    let tag_start = root.range().start;
    let name_len = svg[tag_start + 1..]
        .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .ok_or_else(|| BakeError::Svg("the <svg> start tag does not end".into()))?;
    let name = &svg[tag_start + 1..tag_start + 1 + name_len];
    let mut quote = None;
    let mut gt = None;
    for (i, c) in svg[tag_start..].char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => {
                gt = Some(tag_start + i);
                break;
            }
            _ => {}
        }
    }
    let gt = gt.ok_or_else(|| BakeError::Svg("the <svg> start tag does not end".into()))?;
    let self_closing = svg[..gt].ends_with('/');
    // Where the namespace declaration goes: after the last attribute, before any blank space.
    let attrs_end = svg[..if self_closing { gt - 1 } else { gt }]
        .trim_end()
        .len();

    let element = format!(
        "<openbadges:credential><![CDATA[{}]]></openbadges:credential>",
        credential_json
            .replace("]]>", "]]]]><![CDATA[>")
            // XML parsers turn a CR into LF even in CDATA (XML 1.0 §2.11): a character
            // reference between two CDATA sections keeps it.
            .replace('\r', "]]>&#13;<![CDATA[")
    );
    // Existing credential elements (ranges after the start tag), removed.
    let mut removed: Vec<std::ops::Range<usize>> =
        ob_elements(&doc, "credential").map(|n| n.range()).collect();
    removed.sort_by_key(|r| r.start);

    let mut out = String::with_capacity(svg.len() + element.len() + SVG_NAMESPACE.len() + 40);
    out.push_str(&svg[..attrs_end]);
    if declare {
        out.push_str(" xmlns:openbadges=\"");
        out.push_str(SVG_NAMESPACE);
        out.push('"');
    }
    if self_closing {
        out.push('>');
        out.push_str(&element);
        out.push_str("</");
        out.push_str(name);
        out.push('>');
        out.push_str(&svg[gt + 1..]);
        return Ok(out);
    }
    out.push_str(&svg[attrs_end..=gt]);
    out.push_str(&element);
    let mut at = gt + 1;
    for range in removed {
        if range.start >= at {
            out.push_str(&svg[at..range.start]);
            at = range.end;
        }
    }
    out.push_str(&svg[at..]);
    Ok(out)
}

/// The credential of an SVG's `<openbadges:credential>` element.
fn unbake_svg(bytes: &[u8]) -> Result<Vec<u8>, BakedError> {
    let format = ImageFormat::Svg;
    let text =
        std::str::from_utf8(bytes).map_err(|e| corrupt(format, format!("not UTF-8: {e}")))?;
    let doc = parse_svg(text).map_err(|d| corrupt(format, d))?;
    let mut elements = ob_elements(&doc, "credential");
    let Some(element) = elements.next() else {
        if ob_elements(&doc, "assertion").next().is_some() {
            return Err(BakedError::Ob2(format));
        }
        return Err(BakedError::NoCredential(format));
    };
    if elements.next().is_some() {
        return Err(BakedError::Duplicate(format));
    }
    if element.attribute("verify").is_some() {
        return Err(BakedError::Jwt(format));
    }
    // The text and CDATA children, in order (roxmltree merges adjacent ones, but a split CDATA
    // section may still come as several).
    let mut json = String::new();
    for child in element.children() {
        if child.is_element() {
            return Err(corrupt(
                format,
                "<openbadges:credential> contains an element, not only the credential's JSON",
            ));
        }
        if let Some(t) = child.text().filter(|_| child.is_text()) {
            json.push_str(t);
        }
    }
    if json.trim().is_empty() {
        return Err(corrupt(format, "<openbadges:credential> is empty"));
    }
    credential_text(format, json.as_bytes())
}

/// The credential baked into an image, or `None` when `bytes` are not an image.
///
/// - A PNG (by its signature): the text of its one `openbadgecredential` `iTXt` chunk.
/// - An SVG document (first non-blank byte `<`, after an optional UTF-8 BOM, and an `<svg`
///   tag in it): the text of the one `<openbadges:credential>` element of its `<svg>`.
/// - Anything else (e.g. a JSON credential): `Ok(None)`, for the caller to read as JSON.
///
/// The bytes returned are the JSON as baked, byte for byte (surrounding whitespace included);
/// they are not parsed here.
///
/// # Errors
/// [`BakedError`] when the bytes are a PNG or SVG without exactly one readable credential:
/// none, an OB 2.0 assertion, several, a compressed chunk, a JWT, or a damaged image
/// (truncated, CRC mismatch, malformed XML).
pub fn unbake(bytes: &[u8]) -> Result<Option<Vec<u8>>, BakedError> {
    if bytes.starts_with(&PNG_SIGNATURE) {
        return unbake_png(bytes).map(Some);
    }
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    // Markup that names no <svg> (an HTML error page fetched instead of a badge) is not an
    // image: the caller reports it as what it is, not JSON.
    if text.trim_ascii_start().first() == Some(&b'<') && text.windows(4).any(|w| w == b"<svg") {
        return unbake_svg(text).map(Some);
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1×1 grayscale PNG: IHDR, IDAT, IEND, with right CRCs.
    fn tiny_png() -> Vec<u8> {
        fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
            out.extend_from_slice(&(data.len() as u32).to_be_bytes());
            let start = out.len();
            out.extend_from_slice(kind);
            out.extend_from_slice(data);
            let crc = crc32fast::hash(&out[start..]);
            out.extend_from_slice(&crc.to_be_bytes());
        }
        let mut out = PNG_SIGNATURE.to_vec();
        chunk(&mut out, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
        // zlib stream of [0 filter, 0 pixel]
        chunk(
            &mut out,
            b"IDAT",
            &[0x78, 0x01, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01],
        );
        chunk(&mut out, b"IEND", &[]);
        out
    }

    const JSON: &str = "{\"id\":\"urn:x\",\r\n\"name\":\"a ]]> b <c> & d ü\"}";

    fn kinds(png: &[u8]) -> Vec<String> {
        png_chunks(png)
            .unwrap()
            .iter()
            .map(|c| String::from_utf8_lossy(&c.kind).into_owned())
            .collect()
    }

    #[test]
    fn png_round_trip_after_ihdr() {
        let baked = bake_png(&tiny_png(), JSON).unwrap();
        assert_eq!(kinds(&baked), ["IHDR", "iTXt", "IDAT", "IEND"]);
        let chunks = png_chunks(&baked).unwrap();
        let mut expected = b"openbadgecredential\0\0\0\0\0".to_vec();
        expected.extend_from_slice(JSON.as_bytes());
        assert_eq!(chunks[1].data, expected.as_slice());
        assert_eq!(unbake(&baked).unwrap().unwrap(), JSON.as_bytes());
    }

    #[test]
    fn png_rebake_replaces_the_credential() {
        let once = bake_png(&tiny_png(), "{\"a\":1}").unwrap();
        let twice = bake_png(&once, JSON).unwrap();
        assert_eq!(kinds(&twice), ["IHDR", "iTXt", "IDAT", "IEND"]);
        assert_eq!(unbake(&twice).unwrap().unwrap(), JSON.as_bytes());
    }

    #[test]
    fn png_without_credential_or_damaged() {
        let png = tiny_png();
        assert_eq!(
            unbake(&png),
            Err(BakedError::NoCredential(ImageFormat::Png))
        );
        let baked = bake_png(&png, JSON).unwrap();
        // Truncated anywhere: an error naming the damage, never a panic.
        for cut in 8..baked.len() {
            let e = unbake(&baked[..cut]).unwrap_err();
            assert!(
                matches!(
                    e,
                    BakedError::Corrupt {
                        format: ImageFormat::Png,
                        ..
                    }
                ),
                "{cut}: {e}"
            );
        }
        // A flipped byte in the credential text: CRC mismatch.
        let mut flipped = baked.clone();
        let at = 33 + 8 + 30;
        flipped[at] ^= 1;
        let e = unbake(&flipped).unwrap_err().to_string();
        assert!(e.contains("chunk iTXt at byte 33: CRC mismatch"), "{e}");
        assert!(matches!(
            bake_png(b"\x89PNG\r\n\x1a\nxx", JSON),
            Err(BakeError::Png(_))
        ));
        assert!(matches!(bake_png(b"GIF89a", JSON), Err(BakeError::Png(_))));
    }

    /// Inserts a raw iTXt chunk after IHDR, without bake_png's replacement.
    fn with_itxt(png: &[u8], data: &[u8]) -> Vec<u8> {
        let mut out = png[..33].to_vec();
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(b"iTXt");
        out.extend_from_slice(data);
        let crc = crc32fast::hash(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
        out.extend_from_slice(&png[33..]);
        out
    }

    #[test]
    fn png_compressed_duplicate_jwt_and_ob2_are_named() {
        let baked = bake_png(&tiny_png(), JSON).unwrap();
        let twice = with_itxt(&baked, b"openbadgecredential\0\0\0\0\0{}");
        assert_eq!(unbake(&twice), Err(BakedError::Duplicate(ImageFormat::Png)));
        let compressed = with_itxt(&tiny_png(), b"openbadgecredential\0\x01\0\0\0x\x9c");
        assert_eq!(unbake(&compressed), Err(BakedError::Compressed));
        assert!(unbake(&compressed)
            .unwrap_err()
            .to_string()
            .contains("compressed"));
        let jwt = with_itxt(
            &tiny_png(),
            b"openbadgecredential\0\0\0\0\0eyJhbGciOiJFZERTQSJ9.eyJ9.c2ln",
        );
        assert_eq!(unbake(&jwt), Err(BakedError::Jwt(ImageFormat::Png)));
        let ob2 = with_itxt(&tiny_png(), b"openbadges\0\0\0\0\0{}");
        assert_eq!(unbake(&ob2), Err(BakedError::Ob2(ImageFormat::Png)));
        let truncated = with_itxt(&tiny_png(), b"openbadgecredential\0\0\0");
        assert!(matches!(
            unbake(&truncated),
            Err(BakedError::Corrupt { .. })
        ));
    }

    const SVG: &str = r#"<?xml version="1.0"?>
<!-- a > comment <svg -->
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" data-x="a>b"><circle r="4"/></svg>
"#;

    #[test]
    fn svg_round_trip_with_cdata_end_in_the_json() {
        let baked = bake_svg(SVG, JSON).unwrap();
        assert!(baked.contains(r#"data-x="a>b" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential><![CDATA["#), "{baked}");
        assert!(baked.contains("a ]]]]><![CDATA[> b"), "{baked}");
        assert!(baked.ends_with("<circle r=\"4\"/></svg>\n"), "{baked}");
        assert_eq!(unbake(baked.as_bytes()).unwrap().unwrap(), JSON.as_bytes());
        // The credential is the root's first child.
        let doc = roxmltree::Document::parse(&baked).unwrap();
        let first = doc.root_element().first_child().unwrap();
        assert_eq!(first.tag_name().name(), "credential");
        // Re-baking replaces it and declares the namespace once.
        let again = bake_svg(&baked, "{\"b\":2}").unwrap();
        assert_eq!(again.matches("xmlns:openbadges").count(), 1, "{again}");
        assert_eq!(
            again.matches("<openbadges:credential>").count(),
            1,
            "{again}"
        );
        assert_eq!(unbake(again.as_bytes()).unwrap().unwrap(), b"{\"b\":2}");
    }

    #[test]
    fn svg_self_closing_root() {
        let baked = bake_svg(r#"<svg xmlns="http://www.w3.org/2000/svg" />"#, "{}").unwrap();
        assert_eq!(
            baked,
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential><![CDATA[{}]]></openbadges:credential></svg>"#
        );
        assert_eq!(unbake(baked.as_bytes()).unwrap().unwrap(), b"{}");
    }

    #[test]
    fn svg_errors_are_named() {
        assert_eq!(
            unbake(SVG.as_bytes()),
            Err(BakedError::NoCredential(ImageFormat::Svg))
        );
        assert!(matches!(
            unbake(b"<svg><unclosed></svg>"),
            Err(BakedError::Corrupt {
                format: ImageFormat::Svg,
                ..
            })
        ));
        assert_eq!(unbake(b"<html>not a badge</html>"), Ok(None));
        assert!(unbake(b"<html><svg/></html>")
            .unwrap_err()
            .to_string()
            .contains("root element is <html>"));
        let ns = r#"<svg xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">"#;
        let two = format!("{ns}<openbadges:credential>{{}}</openbadges:credential><openbadges:credential>{{}}</openbadges:credential></svg>");
        assert_eq!(
            unbake(two.as_bytes()),
            Err(BakedError::Duplicate(ImageFormat::Svg))
        );
        let jwt = format!("{ns}<openbadges:credential verify=\"a.b.c\"/></svg>");
        assert_eq!(
            unbake(jwt.as_bytes()),
            Err(BakedError::Jwt(ImageFormat::Svg))
        );
        let ob2 = format!("{ns}<openbadges:assertion verify=\"a.b.c\"/></svg>");
        assert_eq!(
            unbake(ob2.as_bytes()),
            Err(BakedError::Ob2(ImageFormat::Svg))
        );
        let empty = format!("{ns}<openbadges:credential/></svg>");
        assert!(matches!(
            unbake(empty.as_bytes()),
            Err(BakedError::Corrupt { .. })
        ));
        let other = r#"<svg xmlns:openbadges="urn:other"/>"#;
        assert!(matches!(bake_svg(other, "{}"), Err(BakeError::Svg(_))));
        assert!(matches!(
            bake_svg(SVG, "{\"a\":\"\u{fffe}\"}"),
            Err(BakeError::Credential(_))
        ));
        // A billion-laughs document stops at roxmltree's limits, with an error.
        let laughs = r#"<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">]><svg>&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;</svg>"#;
        assert!(unbake(laughs.as_bytes()).is_err());
    }

    #[test]
    fn json_and_other_bytes_are_not_images() {
        assert_eq!(unbake(b"  {\"a\":1}"), Ok(None));
        assert_eq!(unbake(b"[]"), Ok(None));
        assert_eq!(unbake(b""), Ok(None));
        assert_eq!(unbake(b"GIF89a"), Ok(None));
        assert_eq!(
            unbake(b"\xef\xbb\xbf <svg/>"),
            Err(BakedError::NoCredential(ImageFormat::Svg))
        );
    }
}
