//! The values people type into the issuer, checked before anything is stored or signed: free
//! text (names, descriptions, reasons), a partner's URL, an approval's date.

use hallmark_core::datetime;
use time::{Duration, OffsetDateTime};

use super::now;

/// The longest name (partner, approver, reference, genre) accepted, in characters.
pub const MAX_NAME: usize = 200;
/// The longest reference description or revocation reason accepted, in characters.
pub const MAX_DESCRIPTION: usize = 2000;
/// The longest partner URL accepted, in bytes.
pub const MAX_URL: usize = 500;
/// How far ahead of the issuer's clock an approval may be dated (time zones, clock skew).
const MAX_APPROVAL_AHEAD: Duration = Duration::days(1);
/// No approval is dated before this (the program did not exist yet): 2000-01-01T00:00:00Z.
const EARLIEST_APPROVAL: i64 = 946_684_800;

/// Why a text field was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// Empty or blank, and required.
    #[error("{field} is required")]
    Required {
        /// The field, e.g. `references[1].name`.
        field: String,
    },
    /// Longer than allowed.
    #[error("{field} is {chars} characters long; at most {max} are allowed")]
    TooLong {
        /// The field.
        field: String,
        /// Its length, in characters.
        chars: usize,
        /// The most allowed, in characters.
        max: usize,
    },
    /// A character that may not appear (see [`forbidden_char`]).
    #[error("{field} contains the {what} U+{:04X} at character {at}; names and descriptions are one line of plain text", u32::from(*character))]
    Forbidden {
        /// The field.
        field: String,
        /// What kind of character it is.
        what: &'static str,
        /// The character.
        character: char,
        /// Where it is, counted in characters from 0.
        at: usize,
    },
}

/// Why a partner's URL was refused; each message ends with what to give instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// Longer than [`MAX_URL`] bytes as given.
    #[error("url {url:?} is longer than {max} bytes; give the partner's web address (https://…) or its DID")]
    TooLong {
        /// The URL given.
        url: String,
        /// The most allowed, in bytes.
        max: usize,
    },
    /// Whitespace, a control character or another character [`forbidden_char`] refuses.
    #[error("url {url:?} contains U+{:04X} (whitespace or a control character); give the partner's web address (https://…) or its DID", u32::from(*character))]
    Character {
        /// The URL given.
        url: String,
        /// The character.
        character: char,
    },
    /// Starts with `did:` but is not a DID.
    #[error(
        "url {url:?} is not a valid DID; give the partner's web address (https://…) or its DID"
    )]
    Did {
        /// The URL given.
        url: String,
    },
    /// Not an absolute URL.
    #[error("url {url:?} is not an absolute URL ({source}); give the partner's web address (https://…) or its DID")]
    NotAbsolute {
        /// The URL given.
        url: String,
        /// The parser's reason.
        source: url::ParseError,
    },
    /// Neither `http` nor `https`.
    #[error("url {url:?} has the scheme {scheme:?}; only http and https are accepted; give the partner's web address (https://…) or its DID")]
    Scheme {
        /// The URL given.
        url: String,
        /// Its scheme.
        scheme: String,
    },
    /// A backslash (which the WHATWG parser would read as a slash).
    #[error(
        "url {url:?} contains a backslash; give the partner's web address (https://…) or its DID"
    )]
    Backslash {
        /// The URL given.
        url: String,
    },
    /// Not `scheme://host…` (`http:///x.example`, `https:x.example`).
    #[error("url {url:?} is not of the form {scheme}://host/…; give the partner's web address (https://…) or its DID")]
    NotHostForm {
        /// The URL given.
        url: String,
        /// Its scheme.
        scheme: String,
    },
    /// No host.
    #[error("url {url:?} has no host; give the partner's web address (https://…) or its DID")]
    NoHost {
        /// The URL given.
        url: String,
    },
    /// A user name or password.
    #[error("url {url:?} carries a user name or password; give the partner's web address (https://…) or its DID")]
    UserInfo {
        /// The URL given.
        url: String,
    },
    /// Longer than [`MAX_URL`] bytes once normalized (percent-encoding, Punycode).
    #[error("url {url:?} is longer than {max} bytes once normalized; give the partner's web address (https://…) or its DID")]
    TooLongNormalized {
        /// The URL given.
        url: String,
        /// The most allowed, in bytes.
        max: usize,
    },
}

/// Why an approval's `approved_at` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApprovedAtError {
    /// Not an RFC 3339 date-time with a time zone.
    #[error("approved_at must be an RFC 3339 date-time with a time zone, e.g. 2026-12-01T09:00:00Z; {text:?}: {why}")]
    Syntax {
        /// The text given.
        text: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// More than a day ahead of the issuer's clock.
    #[error("approved_at {text} is in the future (now is {}); an approval is dated when it was decided, at most a day ahead", datetime::format(*now))]
    Future {
        /// The text given.
        text: String,
        /// The issuer's clock.
        now: OffsetDateTime,
    },
    /// Before 2000-01-01.
    #[error("approved_at {text} is before 2000-01-01, before the program existed")]
    TooEarly {
        /// The text given.
        text: String,
    },
}

/// Why a character may not appear in text the issuer stores or signs, or `None` when it may.
///
/// Refused: control characters (C0, DEL, C1: NUL, newlines, escapes…); the Unicode
/// bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), with
/// which text can display differently from what it is (Trojan Source, CVE-2021-42574); the
/// invisible bidirectional marks U+200E, U+200F and U+061C; the line and paragraph separators
/// U+2028 and U+2029 (line breaks in all but name); U+FEFF (a byte order mark, or an
/// invisible zero-width no-break space); and the other characters that display as nothing, so
/// that "Micro\u{200B}soft" cannot pass for another partner's name: the zero-width space
/// U+200B, the soft hyphen U+00AD, the combining grapheme joiner U+034F, the Mongolian vowel
/// separator U+180E, the word joiner and invisible operators U+2060–U+2064, the Hangul fillers,
/// the interlinear annotation marks U+FFF9–U+FFFB, tag characters (U+E0000–U+E007F) and
/// private-use characters. The zero-width joiner and non-joiner (U+200C, U+200D) stay: many
/// scripts (Persian, the Indic scripts) and emoji need them.
pub fn forbidden_char(c: char) -> Option<&'static str> {
    match c {
        c if c.is_control() => Some("control character"),
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => Some("Unicode bidirectional control"),
        '\u{200E}' | '\u{200F}' | '\u{061C}' => Some("invisible Unicode bidirectional mark"),
        '\u{2028}' | '\u{2029}' => Some("Unicode line or paragraph separator"),
        '\u{FEFF}' => Some("invisible Unicode byte order mark"),
        '\u{200B}'
        | '\u{00AD}'
        | '\u{034F}'
        | '\u{180E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{115F}'
        | '\u{1160}'
        | '\u{3164}'
        | '\u{FFA0}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E007F}' => Some("invisible Unicode character"),
        '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{FFFFD}' | '\u{100000}'..='\u{10FFFD}' => {
            Some("Unicode private-use character")
        }
        // Noncharacters: XML (the SVG images, baked badges) does not allow U+FFFE and U+FFFF.
        c if is_noncharacter(c) => Some("Unicode noncharacter"),
        _ => None,
    }
}

/// U+FDD0–U+FDEF, and the last two code points of every plane (U+FFFE, U+FFFF, U+1FFFE, …).
pub fn is_noncharacter(c: char) -> bool {
    let n = u32::from(c);
    (0xFDD0..=0xFDEF).contains(&n) || n & 0xFFFE == 0xFFFE
}

/// Checks free text that ends up in badges and the admin API: at most `max` characters,
/// non-blank when `required`, and no character [`forbidden_char`] refuses.
pub(crate) fn check_text(
    field: &str,
    value: &str,
    max: usize,
    required: bool,
) -> Result<(), TextError> {
    if required && value.trim().is_empty() {
        return Err(TextError::Required {
            field: field.to_owned(),
        });
    }
    let chars = value.chars().count();
    if chars > max {
        return Err(TextError::TooLong {
            field: field.to_owned(),
            chars,
            max,
        });
    }
    if let Some((at, character, what)) = value
        .chars()
        .enumerate()
        .find_map(|(at, c)| forbidden_char(c).map(|what| (at, c, what)))
    {
        return Err(TextError::Forbidden {
            field: field.to_owned(),
            what,
            character,
            at,
        });
    }
    Ok(())
}

/// A partner's URL (the badge's `credentialSubject.id`), in the form stored and signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerUrl(String);

impl PartnerUrl {
    /// Checks a partner's URL: an absolute `http://` or `https://` URL with a host and no
    /// user name or password, kept as the WHATWG URL parser (the `url` crate) serializes it
    /// (`HTTPS://Northwind.Example` becomes `https://northwind.example/`), or a DID as given.
    /// Refused besides: whitespace, control and the other characters [`forbidden_char`]
    /// refuses, backslashes, and URLs the parser would only accept by repairing them
    /// (`http:///x.example`, `https:x.example`); at most [`MAX_URL`] bytes.
    ///
    /// # Errors
    /// [`UrlError`] saying what is wrong.
    pub fn parse(url: &str) -> Result<Self, UrlError> {
        let given = || url.to_owned();
        if url.len() > MAX_URL {
            return Err(UrlError::TooLong {
                url: given(),
                max: MAX_URL,
            });
        }
        if let Some(character) = url
            .chars()
            .find(|c| c.is_whitespace() || forbidden_char(*c).is_some())
        {
            return Err(UrlError::Character {
                url: given(),
                character,
            });
        }
        if url.starts_with("did:") {
            return hallmark_core::did::Did::parse(url)
                .map(|_| Self(given()))
                .map_err(|_| UrlError::Did { url: given() });
        }
        let parsed = url::Url::parse(url).map_err(|source| UrlError::NotAbsolute {
            url: given(),
            source,
        })?;
        let scheme = parsed.scheme().to_owned();
        if !matches!(scheme.as_str(), "http" | "https") {
            return Err(UrlError::Scheme {
                url: given(),
                scheme,
            });
        }
        // The WHATWG parser repairs what RFC 3986 refuses: a backslash is read as a slash, and
        // any number of slashes (or none) may follow `http:`. Accept only `scheme://host…`.
        if url.contains('\\') {
            return Err(UrlError::Backslash { url: given() });
        }
        let after_scheme = url.get(scheme.len() + 1..).unwrap_or_default();
        if !after_scheme.starts_with("//") || after_scheme[2..].starts_with('/') {
            return Err(UrlError::NotHostForm {
                url: given(),
                scheme,
            });
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(UrlError::NoHost { url: given() });
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(UrlError::UserInfo { url: given() });
        }
        // Non-ASCII text is percent-encoded (or Punycode) in the normalized form.
        if parsed.as_str().len() > MAX_URL {
            return Err(UrlError::TooLongNormalized {
                url: given(),
                max: MAX_URL,
            });
        }
        Ok(Self(parsed.into()))
    }

    /// The URL as stored and signed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<PartnerUrl> for String {
    fn from(url: PartnerUrl) -> Self {
        url.0
    }
}

/// When an approval was decided: `approved_at` (default now), refused when it is more than
/// [`MAX_APPROVAL_AHEAD`] ahead of the issuer's clock or before [`EARLIEST_APPROVAL`].
pub(crate) fn approved_at(text: Option<&str>) -> Result<OffsetDateTime, ApprovedAtError> {
    let now = now();
    let Some(text) = text else {
        return Ok(now);
    };
    let at = datetime::parse(text).map_err(|e| {
        // Say what is missing when the text is a date-time but for its time zone.
        let why = if datetime::parse(&format!("{text}Z")).is_ok()
            || datetime::parse(&format!("{text}:00Z")).is_ok()
        {
            "no time zone (add Z for UTC, or an offset such as +02:00)"
        } else if datetime::parse(&format!("{text}T00:00:00Z")).is_ok() {
            "a date without a time and time zone"
        } else {
            e.reason
        };
        ApprovedAtError::Syntax {
            text: text.to_owned(),
            why,
        }
    })?;
    let latest = now.checked_add(MAX_APPROVAL_AHEAD).unwrap_or(now);
    if at > latest {
        return Err(ApprovedAtError::Future {
            text: text.to_owned(),
            now,
        });
    }
    if at.unix_timestamp() < EARLIEST_APPROVAL {
        return Err(ApprovedAtError::TooEarly {
            text: text.to_owned(),
        });
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// XML refuses U+FFFE and U+FFFF: a name holding them broke the SVG images (attacker
    /// check); every noncharacter is refused, and their neighbours are not.
    #[test]
    fn noncharacters_are_refused() {
        for c in [
            '\u{FFFE}',
            '\u{FFFF}',
            '\u{FDD0}',
            '\u{FDEF}',
            '\u{1FFFE}',
            '\u{10FFFF}',
        ] {
            assert_eq!(forbidden_char(c), Some("Unicode noncharacter"), "{c:?}");
        }
        for c in ['\u{FDCF}', '\u{FDF0}', '\u{FFFD}', '\u{1FFFD}', 'é'] {
            assert_eq!(forbidden_char(c), None, "{c:?}");
        }
        assert!(check_text("name", "Nonchar \u{FFFE} co", MAX_NAME, true).is_err());
    }

    /// The variant names the failure; the form stored is the WHATWG serialization.
    #[test]
    fn partner_urls_are_normalized_or_refused_by_kind() {
        let url = PartnerUrl::parse("HTTPS://Northwind.Example").unwrap();
        assert_eq!(url.as_str(), "https://northwind.example/");
        assert_eq!(
            PartnerUrl::parse("did:web:northwind.example")
                .unwrap()
                .as_str(),
            "did:web:northwind.example"
        );
        let refused = |u: &str| PartnerUrl::parse(u).unwrap_err();
        assert!(matches!(
            refused("http:///x.example"),
            UrlError::NotHostForm { .. }
        ));
        assert!(matches!(
            refused("https:x.example"),
            UrlError::NotHostForm { .. }
        ));
        assert!(matches!(
            refused("https://x.example\\a"),
            UrlError::Backslash { .. }
        ));
        assert!(matches!(
            refused("ftp://x.example"),
            UrlError::Scheme { .. }
        ));
        assert!(matches!(
            refused("https://u:p@x.example"),
            UrlError::UserInfo { .. }
        ));
        assert!(matches!(
            refused("https://x.example/\u{202E}"),
            UrlError::Character {
                character: '\u{202E}',
                ..
            }
        ));
    }

    #[test]
    fn text_errors_carry_the_field_and_the_character() {
        assert_eq!(
            check_text("references[1].name", "Micro\u{200B}soft", MAX_NAME, true),
            Err(TextError::Forbidden {
                field: "references[1].name".into(),
                what: "invisible Unicode character",
                character: '\u{200B}',
                at: 5,
            })
        );
        assert!(check_text("approver", "Zoë \u{200D}", MAX_NAME, true).is_ok());
        assert!(matches!(
            check_text("name", " ", MAX_NAME, true),
            Err(TextError::Required { .. })
        ));
    }

    #[test]
    fn approval_dates_need_a_time_zone_and_a_plausible_year() {
        assert!(matches!(
            approved_at(Some("2026-01-01T09:00:00")),
            Err(ApprovedAtError::Syntax { why, .. }) if why.starts_with("no time zone")
        ));
        assert!(matches!(
            approved_at(Some("1999-12-31T23:59:59Z")),
            Err(ApprovedAtError::TooEarly { .. })
        ));
        assert!(matches!(
            approved_at(Some("9999-01-01T00:00:00Z")),
            Err(ApprovedAtError::Future { .. })
        ));
        assert!(approved_at(Some("2026-01-01T10:00:00+01:00")).is_ok());
    }
}
