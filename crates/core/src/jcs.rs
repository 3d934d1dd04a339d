//! The JSON Canonicalization Scheme (RFC 8785) over parsed JSON values.
//!
//! Members are sorted by their names' UTF-16 code units (§3.2.3), strings are escaped as
//! ECMAScript's `JSON.stringify` does (§3.2.2.2), and numbers are printed as ECMAScript's
//! `Number.prototype.toString` does (§3.2.2.3), by the `ryu-js` crate. Tests hold this writer
//! to the `serde_json_canonicalizer` crate and to the RFC's own examples; it exists because
//! that crate re-buffers every member and costs about ten times as much on a 3 KB badge,
//! which matters on the verification hot path.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

/// Where canonical bytes go: a buffer, or straight into a hash.
pub trait Sink {
    /// Appends bytes.
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

impl Sink for sha2::Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        sha2::Digest::update(self, bytes);
    }
}

/// RFC 8785 bytes of `value`.
pub fn to_vec(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    write_value(&mut out, value);
    out
}

/// Writes the RFC 8785 form of an object, leaving out the top-level member named `without`
/// and, when `context` is given, writing it in place of the object's own `@context`.
pub fn write_object(
    out: &mut impl Sink,
    object: &Map<String, Value>,
    without: Option<&str>,
    context: Option<&Value>,
) {
    let context_entry = context.map(|c| ("@context", c));
    let mut members: Vec<(&str, &Value)> = object
        .iter()
        .filter(|(k, _)| Some(k.as_str()) != without && !(context.is_some() && k == &"@context"))
        .map(|(k, v)| (k.as_str(), v))
        .chain(context_entry)
        .collect();
    write_members(out, &mut members);
}

/// [`write_object`] into a new buffer.
pub fn object_to_vec(
    object: &Map<String, Value>,
    without: Option<&str>,
    context: Option<&Value>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    write_object(&mut out, object, without, context);
    out
}

fn write_value(out: &mut impl Sink, value: &Value) {
    match value {
        Value::Null => out.put(b"null"),
        Value::Bool(true) => out.put(b"true"),
        Value::Bool(false) => out.put(b"false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.put(b"[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.put(b",");
                }
                write_value(out, item);
            }
            out.put(b"]");
        }
        Value::Object(map) => {
            let mut members: Vec<(&str, &Value)> =
                map.iter().map(|(k, v)| (k.as_str(), v)).collect();
            write_members(out, &mut members);
        }
    }
}

fn write_members(out: &mut impl Sink, members: &mut [(&str, &Value)]) {
    // serde_json's map iterates in UTF-8 byte (code point) order, which equals UTF-16 order
    // unless names mix supplementary characters with U+E000–U+FFFF; sort only then.
    let sorted = members
        .windows(2)
        .all(|w| utf16_cmp(w[0].0, w[1].0) != Ordering::Greater);
    if !sorted {
        members.sort_by(|a, b| utf16_cmp(a.0, b.0));
    }
    out.put(b"{");
    for (i, (name, value)) in members.iter().enumerate() {
        if i > 0 {
            out.put(b",");
        }
        write_string(out, name);
        out.put(b":");
        write_value(out, value);
    }
    out.put(b"}");
}

/// Compares two strings by UTF-16 code units (RFC 8785 §3.2.3).
pub(crate) fn utf16_cmp(a: &str, b: &str) -> Ordering {
    // UTF-8 bytes sort as code points, and code points as UTF-16 units except a
    // supplementary character (lead byte F0–F4) against U+E000–U+FFFF (lead byte EE–EF):
    // only a first difference between two such lead bytes needs the UTF-16 comparison.
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let differ = x.iter().zip(y).position(|(p, q)| p != q);
    match differ.map(|i| (x[i], y[i])) {
        Some((p, q))
            if (p >= 0xF0 && (0xEE..=0xEF).contains(&q))
                || (q >= 0xF0 && (0xEE..=0xEF).contains(&p)) =>
        {
            a.encode_utf16().cmp(b.encode_utf16())
        }
        _ => x.cmp(y),
    }
}

fn write_number(out: &mut impl Sink, n: &Number) {
    const SAFE: u64 = crate::json::MAX_SAFE_INTEGER;
    if let Some(u) = n.as_u64().filter(|u| *u <= SAFE) {
        out.put(itoa::Buffer::new().format(u).as_bytes());
    } else if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= SAFE) {
        out.put(itoa::Buffer::new().format(i).as_bytes());
    } else {
        // Everything else is an IEEE 754 double in ECMAScript (serde_json numbers are finite).
        let f = n.as_f64().unwrap_or(0.0);
        if f == 0.0 {
            out.put(b"0"); // -0 prints as 0
        } else {
            out.put(ryu_js::Buffer::new().format_finite(f).as_bytes());
        }
    }
}

/// A JSON string as `JSON.stringify` writes it: `"` and `\` escaped, U+0000–U+001F as the
/// short escapes `\b \t \n \f \r` or `\u00xx` (lowercase hex), everything else as is.
fn write_string(out: &mut impl Sink, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.put(b"\"");
    let bytes = s.as_bytes();
    // Most strings need no escape; this test has no early exit, so it vectorizes.
    if !bytes.iter().fold(false, |acc, &b| {
        acc | (b < 0x20) | (b == b'"') | (b == b'\\')
    }) {
        out.put(bytes);
        out.put(b"\"");
        return;
    }
    let mut start = 0;
    while let Some(offset) = bytes[start..]
        .iter()
        .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
    {
        let i = start + offset;
        out.put(&bytes[start..i]);
        let b = bytes[i];
        match b {
            b'"' => out.put(b"\\\""),
            b'\\' => out.put(b"\\\\"),
            b'\n' => out.put(b"\\n"),
            b'\r' => out.put(b"\\r"),
            b'\t' => out.put(b"\\t"),
            0x08 => out.put(b"\\b"),
            0x0c => out.put(b"\\f"),
            _ => out.put(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]),
        }
        start = i + 1;
    }
    out.put(&bytes[start..]);
    out.put(b"\"");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn oracle(v: &Value) -> String {
        serde_json_canonicalizer::to_string(v).unwrap()
    }

    fn canon(v: &Value) -> String {
        String::from_utf8(to_vec(v)).unwrap()
    }

    #[test]
    fn rfc8785_section_3_2_2_example() {
        let input = crate::json::parse(
            br#"{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
                 "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
                 "literals": [null, true, false]}"#,
        )
        .unwrap();
        let expected = r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#;
        assert_eq!(canon(&input), expected);
        assert_eq!(oracle(&input), expected);
    }

    #[test]
    fn rfc8785_section_3_2_3_sorting_by_utf16() {
        let input = crate::json::parse(
            br#"{"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
                 "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control",
                 "\u00f6": "Latin Small Letter O With Diaeresis"}"#,
        )
        .unwrap();
        let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\
            \"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\
            \"😀\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}";
        assert_eq!(canon(&input), expected);
        assert_eq!(canon(&input), oracle(&input));
    }

    #[test]
    fn rfc8785_appendix_b_numbers() {
        // (IEEE 754 bits, ECMAScript text) from RFC 8785 Appendix B.
        let cases: &[(u64, &str)] = &[
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for (bits, expected) in cases {
            let v = json!(f64::from_bits(*bits));
            assert_eq!(canon(&v), *expected, "{bits:#x}");
            assert_eq!(oracle(&v), *expected, "oracle {bits:#x}");
        }
        // Integers: exact up to 2^53, then as the double they round to.
        for (text, expected) in [
            ("9007199254740991", "9007199254740991"),
            ("-9007199254740991", "-9007199254740991"),
            ("9007199254740993", "9007199254740992"),
            ("18446744073709551615", "18446744073709552000"),
            ("-0", "0"),
            ("1.0", "1"),
            ("1E2", "100"),
        ] {
            let v = crate::json::parse(text.as_bytes()).unwrap();
            assert_eq!(canon(&v), expected, "{text}");
            assert_eq!(oracle(&v), expected, "oracle {text}");
        }
    }

    #[test]
    fn utf16_order_is_that_of_encode_utf16() {
        let names = [
            "",
            "a",
            "ab",
            "b",
            "\r",
            "é",
            "€",
            "\u{e000}",
            "\u{ffff}",
            "\u{fb33}",
            "😀",
            "😀a",
            "\u{10ffff}",
            "a😀",
            "a\u{e000}",
            "\u{e000}😀",
            "😀\u{e000}",
            "\u{7f}",
            "\u{80}",
        ];
        for a in names {
            for b in names {
                assert_eq!(
                    utf16_cmp(a, b),
                    a.encode_utf16().cmp(b.encode_utf16()),
                    "{a:?} {b:?}"
                );
            }
        }
    }

    #[test]
    fn strings_escape_like_json_stringify() {
        let v = json!({"s": "\u{0}\u{1f}\u{7f}\u{2028}\u{8}\u{c}\t\"\\/é😀"});
        assert_eq!(
            canon(&v),
            "{\"s\":\"\\u0000\\u001f\u{7f}\u{2028}\\b\\f\\t\\\"\\\\/é😀\"}"
        );
        assert_eq!(canon(&v), oracle(&v));
    }

    #[test]
    fn matches_the_reference_crate_on_generated_documents() {
        // A small deterministic generator covering nesting, odd names, and number shapes.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let names = [
            "a", "B", "é", "\u{e000}", "😀", "דּ", "\r", "10", "1", "", "@context", "z\"q",
        ];
        fn gen(next: &mut dyn FnMut() -> u64, names: &[&str], depth: u32) -> Value {
            match next() % if depth > 3 { 4 } else { 6 } {
                0 => Value::Null,
                1 => json!(next().is_multiple_of(2)),
                2 => match next() % 3 {
                    0 => json!((next() % 20_000_000_000) as i64 - 10_000_000_000),
                    1 => json!(f64::from_bits(next() >> 2)),
                    _ => json!((next() % 1000) as f64 / 8.0),
                },
                3 => json!(
                    names[(next() % names.len() as u64) as usize].repeat((next() % 3) as usize)
                ),
                4 => Value::Array(
                    (0..next() % 4)
                        .map(|_| gen(next, names, depth + 1))
                        .collect(),
                ),
                _ => Value::Object(
                    (0..next() % 6)
                        .map(|_| {
                            (
                                names[(next() % names.len() as u64) as usize].to_owned(),
                                gen(next, names, depth + 1),
                            )
                        })
                        .collect(),
                ),
            }
        }
        for _ in 0..2000 {
            let v = gen(&mut next, &names, 0);
            assert_eq!(canon(&v), oracle(&v), "{v}");
        }
    }

    #[test]
    fn object_view_leaves_out_and_replaces() {
        let doc = json!({"b": 1, "@context": ["x"], "proof": {"p": 1}, "a": 2});
        let map = doc.as_object().unwrap();
        assert_eq!(
            String::from_utf8(object_to_vec(map, Some("proof"), None)).unwrap(),
            r#"{"@context":["x"],"a":2,"b":1}"#
        );
        let ctx = json!(["y"]);
        assert_eq!(
            String::from_utf8(object_to_vec(map, Some("proof"), Some(&ctx))).unwrap(),
            r#"{"@context":["y"],"a":2,"b":1}"#
        );
    }
}
