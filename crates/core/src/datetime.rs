//! Instants as VC 2.0 writes them: XML Schema 1.1 `dateTimeStamp` (VC 2.0 §4.9, XMLSCHEMA11-2
//! §3.4.28), i.e. `YYYY-MM-DDThh:mm:ss(.s+)?` followed by `Z` or `±hh:mm`. Comparisons are
//! made on the UTC instant, never on the text.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// Why a date-time string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not an XML Schema dateTimeStamp (like 2026-01-31T12:00:00Z): {reason}")]
pub struct DateTimeError {
    /// The text given.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// Parses a `dateTimeStamp`. The time zone is required; `24:00:00` and years outside
/// 0000–9999 are refused.
///
/// # Errors
/// [`DateTimeError`] naming the text and the problem.
pub fn parse(text: &str) -> Result<OffsetDateTime, DateTimeError> {
    let err = |reason| DateTimeError {
        text: text.to_owned(),
        reason,
    };
    // A dateTimeStamp is ASCII; the slicing below relies on it (a multi-byte character across
    // byte 19 would otherwise panic, as the fuzzers found).
    if !text.is_ascii() {
        return Err(err(
            "only ASCII digits, separators and a time zone are allowed",
        ));
    }
    let b = text.as_bytes();
    // Shape checks that RFC 3339 parsers are lenient about (lowercase t/z, space separator).
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return Err(err("expected YYYY-MM-DDThh:mm:ss with an uppercase T"));
    }
    let zone = &text[19..].trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    if !(*zone == "Z" || (zone.len() == 6 && (zone.starts_with('+') || zone.starts_with('-')))) {
        return Err(err("a time zone (Z or ±hh:mm) is required"));
    }
    if text[19..].starts_with('.') && text[20..].starts_with(|c: char| !c.is_ascii_digit()) {
        return Err(err("fractional seconds need digits"));
    }
    let parsed =
        OffsetDateTime::parse(text, &Rfc3339).map_err(|_| err("not a valid date and time"))?;
    if parsed.offset().whole_hours().abs() > 14 {
        return Err(err("time zone offset beyond ±14:00"));
    }
    // `9999-12-31T23:59:59-01:00` is in year 10000 in UTC: an error, not a panic.
    parsed
        .checked_to_offset(UtcOffset::UTC)
        .ok_or_else(|| err("outside the years 0000 to 9999 in UTC"))
}

/// Formats an instant as `YYYY-MM-DDThh:mm:ssZ` (UTC, whole seconds).
pub fn format(instant: OffsetDateTime) -> String {
    let t = instant.to_offset(UtcOffset::UTC);
    if let Ok(year @ 0..=9999) = u32::try_from(t.year()) {
        // What the format! below writes, without the formatting machinery: every report
        // writes a few of these.
        let mut out = *b"0000-00-00T00:00:00Z";
        let digits = |out: &mut [u8; 20], at: usize, n: u32, width: u32| {
            for k in 0..width {
                out[at + k as usize] = b'0' + (n / 10u32.pow(width - 1 - k) % 10) as u8;
            }
        };
        digits(&mut out, 0, year, 4);
        digits(&mut out, 5, u32::from(u8::from(t.month())), 2);
        digits(&mut out, 8, u32::from(t.day()), 2);
        digits(&mut out, 11, u32::from(t.hour()), 2);
        digits(&mut out, 14, u32::from(t.minute()), 2);
        digits(&mut out, 17, u32::from(t.second()), 2);
        // ASCII digits and separators.
        return String::from_utf8_lossy(&out).into_owned();
    }
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn instants_beyond_year_9999_in_utc_are_errors() {
        let e = parse("9999-12-31T23:59:59-01:00").unwrap_err();
        assert_eq!(e.reason, "outside the years 0000 to 9999 in UTC");
        assert_eq!(
            parse("9999-12-31T22:59:59-01:00").unwrap(),
            datetime!(9999-12-31 23:59:59 UTC)
        );
    }

    #[test]
    fn format_writes_what_format_would() {
        let reference = |t: OffsetDateTime| {
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        };
        for t in [
            datetime!(2026-01-15 09:00 UTC),
            datetime!(0000-01-01 00:00 UTC),
            datetime!(0999-12-31 23:59:59.999 UTC),
            datetime!(9999-12-31 23:59:59 UTC),
            datetime!(2026-06-01 00:00 +02:00),
            datetime!(-0005-03-04 05:06:07 UTC),
            OffsetDateTime::UNIX_EPOCH,
        ] {
            assert_eq!(format(t), reference(t.to_offset(UtcOffset::UTC)), "{t}");
        }
        assert_eq!(
            format(datetime!(2026-01-15 09:00 UTC)),
            "2026-01-15T09:00:00Z"
        );
    }

    #[test]
    fn offsets_become_utc() {
        assert_eq!(
            parse("2026-01-01T01:00:00+02:00").unwrap(),
            datetime!(2025-12-31 23:00 UTC)
        );
        assert_eq!(
            parse("2026-01-01T00:00:00.5Z").unwrap(),
            datetime!(2026-01-01 00:00:00.5 UTC)
        );
        assert_eq!(
            parse("2025-06-30T20:00:00-05:30").unwrap(),
            datetime!(2025-07-01 01:30 UTC)
        );
    }

    #[test]
    fn refuses_what_is_not_a_date_time_stamp() {
        for bad in [
            "2026-01-01",
            "2026-01-01T00:00:00",
            "2026-01-01t00:00:00z",
            "2026-01-01 00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-01-01T25:00:00Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00+0200",
            "next tuesday",
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn non_ascii_is_an_error_not_a_panic() {
        // Found by the verify_jcs and status_list fuzz targets: a character of 3 bytes across
        // byte 19 (in a proof's `created`, a list's `validFrom`).
        for bad in [
            "2026-01-15T09:00:\u{264b}00Z",
            "2026-01-01T00:00:0\u{2c96}0Z",
            "2026-01-01T00:00:00\u{e9}",
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(
                e.reason,
                "only ASCII digits, separators and a time zone are allowed"
            );
        }
    }

    #[test]
    fn formats_utc_seconds() {
        assert_eq!(
            format(datetime!(2026-03-04 05:06:07.9 +01:00)),
            "2026-03-04T04:06:07Z"
        );
    }
}
