//! The embeddable badge image (`GET /badges/{id}/badge.svg`): the partner's name, its tier
//! and the badge's live state, in words and icon, as an SVG a partner's website shows through
//! a plain `<img>`. Rendered by askama from `web/templates/badge.svg`, every text node
//! escaped; names too long for the image are shortened with an ellipsis.

use askama::Template;
use hallmark_core::report::Standing;

use crate::i18n::Text;

/// The image's width, CSS pixels.
pub const WIDTH: u32 = 340;
/// The image's height, CSS pixels.
pub const HEIGHT: u32 = 84;

/// The most characters of a name the image shows before an ellipsis.
const MAX_NAME_CHARS: usize = 30;

#[derive(Template)]
#[template(path = "badge.svg")]
struct Image<'a> {
    lang: &'static str,
    state: &'static str,
    standing: Standing,
    word: &'a str,
    partner: &'a str,
    tier: &'a str,
    title: &'a str,
    width: u32,
    height: u32,
}

/// The image for a badge of `partner` at `tier` in state `standing`, in the language of `t`.
pub fn badge_svg(partner: &str, tier: &str, standing: Standing, t: Text) -> String {
    let word = t.get(&format!("state-{}", standing.as_str()));
    let partner = shorten(partner);
    let tier = shorten(tier);
    let title = format!("{partner} · {tier} · {word}");
    let image = Image {
        lang: t.lang.code(),
        state: standing.as_str(),
        standing,
        word: &word,
        partner: &partner,
        tier: &tier,
        title: &title,
        width: WIDTH,
        height: HEIGHT,
    };
    // The template has no fallible parts (no filters, plain strings).
    image.render().unwrap_or_default()
}

/// `text` cut to [`MAX_NAME_CHARS`] characters with an ellipsis; control characters dropped.
fn shorten(text: &str) -> String {
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    if clean.chars().count() <= MAX_NAME_CHARS {
        return clean;
    }
    let mut cut: String = clean.chars().take(MAX_NAME_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn names_are_escaped_and_the_state_is_in_words() {
        let svg = badge_svg(
            "<img src=x onerror=alert(1)>",
            "Gold & \"Partner\"",
            Standing::Revoked,
            Text::new(Lang::En),
        );
        assert!(!svg.contains("<img"), "{svg}");
        assert!(
            svg.contains(">&#60;img src=x onerror=alert(1)&#62; ·"),
            "{svg}"
        );
        assert!(svg.contains("Gold &#38; &#34;Partner&#34;"), "{svg}");
        assert!(svg.contains(">Revoked<"), "{svg}");
        assert!(svg.contains("data-state=\"revoked\""), "{svg}");
        let de = badge_svg("Acme", "Gold", Standing::Valid, Text::new(Lang::De));
        assert!(de.contains(">Gültig<"), "{de}");
    }

    #[test]
    fn long_names_are_shortened() {
        assert_eq!(shorten(&"x".repeat(40)).chars().count(), MAX_NAME_CHARS);
        assert!(shorten(&"x".repeat(40)).ends_with('…'));
        assert_eq!(shorten("a\u{0}b\nc"), "abc");
    }
}
