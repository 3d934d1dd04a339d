//! The tier badge images (the badge's `achievement.image`, docs/design.md §2): a shield
//! coloured by the tier's rank, as SVG (with the tier and program names, from
//! `web/templates/tier.svg`, every text escaped by askama) and as PNG (what wallets want; no
//! text, so no font rendering: the shield and a star, drawn here, deterministic).
//!
//! A tier's colour comes from its position among the program's tiers by rank (0 = lowest):
//! bronze, silver, gold, platinum, diamond; positions past the last take the last.

use std::sync::OnceLock;

use askama::Template;

/// The colours of one rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    /// The shield's fill, `#rrggbb`.
    pub main: &'static str,
    /// Its border.
    pub edge: &'static str,
    /// The star and inner line.
    pub light: &'static str,
    /// The text on the shield (contrast ≥ 4.5:1 with `main`).
    pub text: &'static str,
}

/// Bronze, silver, gold, platinum, diamond.
const PALETTES: [Palette; 5] = [
    Palette {
        main: "#b87333",
        edge: "#7a4a1e",
        light: "#f3d3b0",
        text: "#1b1e22",
    },
    Palette {
        main: "#b4b9bf",
        edge: "#6b7079",
        light: "#f2f4f6",
        text: "#1b1e22",
    },
    Palette {
        main: "#d4a017",
        edge: "#8a6508",
        light: "#fff3c4",
        text: "#1b1e22",
    },
    Palette {
        main: "#4e6e87",
        edge: "#2c4456",
        light: "#e6eef5",
        text: "#ffffff",
    },
    Palette {
        main: "#2f6690",
        edge: "#173a55",
        light: "#d9f0ff",
        text: "#ffffff",
    },
];

/// How many distinct rank colours (and PNGs) there are.
pub const RANKS: usize = PALETTES.len();

impl Palette {
    /// The palette of the tier at `position` among the program's tiers by rank (0 = lowest).
    pub fn for_position(position: usize) -> Self {
        PALETTES[position.min(RANKS - 1)]
    }
}

#[derive(Template)]
#[template(path = "tier.svg")]
struct TierSvg<'a> {
    tier: &'a str,
    program: &'a str,
    colour: Palette,
    tier_size: u32,
    program_size: u32,
}

/// A font size (px) at which `text` fits in `width` px (about 0.6 em a character, bold
/// sans-serif), at most `max`, at least 8.
fn fitting(text: &str, width: u32, max: u32) -> u32 {
    let chars = u32::try_from(text.chars().count().max(1)).unwrap_or(u32::MAX);
    (width * 10 / (chars * 6)).clamp(8, max)
}

/// The SVG badge image of a tier: 240×280, the shield in the rank's colours, the tier's and
/// program's names (XML-escaped) and a `<title>` for screen readers.
///
/// # Errors
/// askama's rendering error (not expected: the template writes only strings).
pub fn tier_svg(tier: &str, program: &str, position: usize) -> Result<String, askama::Error> {
    TierSvg {
        tier,
        program,
        colour: Palette::for_position(position),
        // Inside the shield's inner outline at those heights: about 150 and 140 px.
        tier_size: fitting(tier, 150, 22),
        program_size: fitting(program, 140, 13),
    }
    .render()
}

/// The PNG badge image of the tier at `position` (0 = lowest): 240×280 RGBA, transparent
/// around the shield. Drawn once per colour and kept (a few KB each).
pub fn tier_png(position: usize) -> &'static [u8] {
    static PNGS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    let pngs = PNGS.get_or_init(|| PALETTES.iter().map(draw_png).collect());
    &pngs[position.min(RANKS - 1)]
}

const W: u32 = 240;
const H: u32 = 280;
/// The star of the SVG (same points).
const STAR: [(f32, f32); 10] = [
    (120.0, 62.0),
    (131.0, 92.0),
    (163.0, 92.0),
    (137.0, 111.0),
    (147.0, 142.0),
    (120.0, 123.0),
    (93.0, 142.0),
    (103.0, 111.0),
    (77.0, 92.0),
    (109.0, 92.0),
];

/// Whether (x, y) is inside the shield grown by `grow` px: a pointed top, straight sides, an
/// elliptic bottom (the SVG's path, approximated).
fn in_shield(x: f32, y: f32, grow: f32) -> bool {
    let (left, right) = (16.0 - grow, 224.0 + grow);
    if x < left || x > right {
        return false;
    }
    if y <= 132.0 {
        y >= 8.0 - grow + (x - 120.0).abs() * 36.0 / 104.0
    } else {
        let (a, b) = (104.0 + grow, 140.0 + grow);
        ((x - 120.0) / a).powi(2) + ((y - 132.0) / b).powi(2) <= 1.0
    }
}

/// Even-odd point-in-polygon.
fn in_star(x: f32, y: f32) -> bool {
    let mut inside = false;
    let mut previous = STAR[STAR.len() - 1];
    for &(xi, yi) in &STAR {
        let (xj, yj) = previous;
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        previous = (xi, yi);
    }
    inside
}

fn rgb(hex: &str) -> [u8; 3] {
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0);
    [byte(1), byte(3), byte(5)]
}

/// One palette's PNG, 2×2 supersampled for smooth edges.
fn draw_png(palette: &Palette) -> Vec<u8> {
    let (main, edge, light) = (rgb(palette.main), rgb(palette.edge), rgb(palette.light));
    let mut pixels = Vec::with_capacity((W * H * 4) as usize);
    for py in 0..H {
        for px in 0..W {
            let mut sum = [0u32; 4];
            for (dx, dy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
                let (x, y) = (px as f32 + dx, py as f32 + dy);
                let colour = if in_star(x, y) {
                    light
                } else if in_shield(x, y, -4.0) {
                    main
                } else if in_shield(x, y, 4.0) {
                    edge
                } else {
                    continue;
                };
                for c in 0..3 {
                    sum[c] += u32::from(colour[c]);
                }
                sum[3] += 1;
            }
            if sum[3] == 0 {
                pixels.extend_from_slice(&[0, 0, 0, 0]);
            } else {
                let n = sum[3];
                // Colour averaged over covered samples, alpha by coverage.
                pixels.extend(sum[..3].iter().map(|&s| (s / n) as u8));
                pixels.push((n * 255 / 4) as u8);
            }
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, W, H);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::High);
    // Writing to a Vec cannot fail for a well-sized image.
    let written = encoder
        .write_header()
        .and_then(|mut w| w.write_image_data(&pixels).and_then(|()| w.finish()));
    debug_assert!(written.is_ok(), "{written:?}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_escapes_names_and_colours_by_rank() {
        let svg = tier_svg("<img src=x onerror=alert(1)>", "A & B \"Partners\"", 2).unwrap();
        // askama's XML-safe escaping (numeric character references), in the text and title.
        let escaped = "&#60;img src=x onerror=alert(1)&#62;";
        assert_eq!(svg.matches(escaped).count(), 2, "{svg}");
        assert!(!svg.contains("<img"), "{svg}");
        assert!(
            svg.contains(">A &#38; B &#34;Partners&#34;</text>"),
            "{svg}"
        );
        assert!(
            svg.contains("fill=\"#d4a017\""),
            "gold at position 2: {svg}"
        );
        assert!(!svg.contains("style="), "no style attribute: {svg}");
        assert_eq!(Palette::for_position(99), PALETTES[RANKS - 1]);
    }

    #[test]
    fn png_is_a_decodable_shield_in_the_ranks_colour() {
        for (position, palette) in PALETTES.iter().enumerate() {
            let bytes = tier_png(position);
            let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
            let mut reader = decoder.read_info().unwrap();
            let mut buf = vec![0; reader.output_buffer_size().unwrap()];
            let info = reader.next_frame(&mut buf).unwrap();
            assert_eq!((info.width, info.height), (W, H));
            let at =
                |x: u32, y: u32| &buf[((y * W + x) * 4) as usize..((y * W + x) * 4 + 4) as usize];
            // Transparent corner, main colour inside, light star centre.
            assert_eq!(at(0, 0)[3], 0);
            let main = rgb(palette.main);
            assert_eq!(&at(60, 200)[..3], &main, "position {position}");
            assert_eq!(at(60, 200)[3], 255);
            assert_eq!(&at(120, 105)[..3], &rgb(palette.light));
        }
        assert_eq!(tier_png(7), tier_png(RANKS - 1));
    }
}
