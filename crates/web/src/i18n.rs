//! Languages: every text of a page or an image comes from one Fluent catalog per language
//! (`web/locales/{en,de}.ftl`), chosen by `?lang=` (the visible switch) or else by the
//! request's `Accept-Language` (RFC 9110 §12.5.4), English by default.

use std::borrow::Cow;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use time::OffsetDateTime;

/// A language the pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// English, the default.
    #[default]
    En,
    /// German.
    De,
}

impl Lang {
    /// Every language, English first.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::De];

    /// The BCP 47 tag (`en`, `de`), as in `<html lang>` and `?lang=`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }

    /// The language named by a BCP 47 tag's primary subtag (`de`, `de-AT`, `EN-gb`).
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.trim();
        if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else if primary.eq_ignore_ascii_case("de") {
            Some(Lang::De)
        } else {
            None
        }
    }

    /// The language of a request: `?lang=` when it names one, else the first language of
    /// `Accept-Language` by quality (`q`; ties in the order written) that the pages are written
    /// in, else English. A malformed header counts as absent.
    pub fn negotiate(query: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(lang) = query.and_then(Lang::from_tag) {
            return lang;
        }
        let Some(header) = accept_language else {
            return Lang::En;
        };
        let mut best: Option<(u16, Lang)> = None;
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=").map(quality))
                .unwrap_or(Some(1000));
            let (Some(q), Some(lang)) = (q, Lang::from_tag(tag)) else {
                continue;
            };
            if q > 0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::En, |(_, lang)| lang)
    }

    /// The other language, for the switch.
    pub fn others(self) -> impl Iterator<Item = Lang> {
        Lang::ALL.into_iter().filter(move |l| *l != self)
    }
}

/// A `q` value (RFC 9110 §12.4.2) in thousandths, or `None` when malformed.
fn quality(text: &str) -> Option<u16> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole = match whole {
        "0" => 0,
        "1" => 1000,
        _ => return None,
    };
    let mut thousandths = 0u16;
    for (i, digit) in fraction.bytes().enumerate() {
        thousandths += u16::from(digit - b'0') * [100, 10, 1][i];
    }
    let q = whole + thousandths;
    (q <= 1000).then_some(q)
}

const EN: &str = include_str!("../../../web/locales/en.ftl");
const DE: &str = include_str!("../../../web/locales/de.ftl");

struct Catalog {
    en: FluentBundle<FluentResource>,
    de: FluentBundle<FluentResource>,
}

fn bundle(lang: Lang, source: &str) -> FluentBundle<FluentResource> {
    let id: unic_langid::LanguageIdentifier = lang.code().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // No Unicode isolation marks around arguments: the pages set `dir` themselves.
    bundle.set_use_isolating(false);
    // A syntax error in a catalog is caught by this module's tests; what parsed is kept.
    let resource = FluentResource::try_new(source.to_owned()).unwrap_or_else(|(r, _)| r);
    let _ = bundle.add_resource(resource);
    bundle
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog {
        en: bundle(Lang::En, EN),
        de: bundle(Lang::De, DE),
    })
}

/// The texts of one language, as templates use them: `{{ t.get("verify-title") }}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Text {
    /// The language.
    pub lang: Lang,
}

impl Text {
    /// The texts of `lang`.
    pub fn new(lang: Lang) -> Self {
        Self { lang }
    }

    /// The message `id`; falls back to English, then to the id itself (a test keeps the
    /// catalogs complete).
    pub fn get(&self, id: &str) -> Cow<'static, str> {
        self.format(id, None)
    }

    /// The message `id` with one argument.
    pub fn with<'a>(&self, id: &str, name: &'a str, value: impl Into<FluentValue<'a>>) -> String {
        let mut args = FluentArgs::new();
        args.set(name, value);
        self.format(id, Some(&args)).into_owned()
    }

    /// The message `id` with two arguments.
    pub fn with2<'a>(
        &self,
        id: &str,
        first: (&'a str, FluentValue<'a>),
        second: (&'a str, FluentValue<'a>),
    ) -> String {
        let mut args = FluentArgs::new();
        args.set(first.0, first.1);
        args.set(second.0, second.1);
        self.format(id, Some(&args)).into_owned()
    }

    fn format(&self, id: &str, args: Option<&FluentArgs<'_>>) -> Cow<'static, str> {
        let catalog = catalog();
        let first = match self.lang {
            Lang::En => &catalog.en,
            Lang::De => &catalog.de,
        };
        for bundle in [first, &catalog.en] {
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, args, &mut errors);
                return Cow::Owned(text.into_owned());
            }
        }
        Cow::Owned(id.to_owned())
    }

    /// A date in words: `4 December 2026`, `4. Dezember 2026`.
    pub fn date(&self, at: OffsetDateTime) -> String {
        let month = self.get(&format!("month-{}", u8::from(at.month())));
        match self.lang {
            Lang::En => format!("{} {month} {}", at.day(), at.year()),
            Lang::De => format!("{}. {month} {}", at.day(), at.year()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(source: &str) -> std::collections::BTreeSet<String> {
        let resource = FluentResource::try_new(source.to_owned())
            .unwrap_or_else(|(_, e)| panic!("catalog does not parse: {e:?}"));
        resource
            .entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_catalog_has_every_message() {
        let en = ids(EN);
        let de = ids(DE);
        assert!(en.len() > 20, "{en:?}");
        assert_eq!(
            en.difference(&de).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "missing in de.ftl"
        );
        assert_eq!(
            de.difference(&en).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "missing in en.ftl"
        );
    }

    #[test]
    fn negotiation_follows_query_then_quality_then_english() {
        assert_eq!(Lang::negotiate(Some("de"), Some("en")), Lang::De);
        assert_eq!(Lang::negotiate(Some("fr"), Some("de-AT")), Lang::De);
        assert_eq!(
            Lang::negotiate(None, Some("fr, de;q=0.8, en;q=0.7")),
            Lang::De
        );
        assert_eq!(
            Lang::negotiate(None, Some("de;q=0.5, en-GB;q=0.9")),
            Lang::En
        );
        assert_eq!(Lang::negotiate(None, Some("de;q=0")), Lang::En);
        assert_eq!(Lang::negotiate(None, Some("de;q=2, en;q=x")), Lang::En);
        assert_eq!(Lang::negotiate(None, Some("fr")), Lang::En);
        assert_eq!(Lang::negotiate(None, None), Lang::En);
    }

    #[test]
    fn messages_are_formatted_in_the_language_asked_for() {
        let de = Text::new(Lang::De);
        assert_eq!(de.get("state-revoked"), "Widerrufen");
        assert_eq!(Text::new(Lang::En).get("state-revoked"), "Revoked");
        assert_eq!(de.get("no-such-message"), "no-such-message");
        let at = time::macros::datetime!(2026-12-04 10:00 UTC);
        assert_eq!(de.date(at), "4. Dezember 2026");
        assert_eq!(Text::new(Lang::En).date(at), "4 December 2026");
    }
}
