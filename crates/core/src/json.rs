//! Strict JSON input: RFC 8259 text parsed into a [`serde_json::Value`] while refusing what a
//! plain parser would silently accept and a signature would then disagree about.
//!
//! * Duplicate object keys are an error (RFC 8785 §3.1 requires unique property names, and two
//!   parsers keeping different duplicates would see two different signed documents).
//! * Nesting deeper than [`MAX_DEPTH`] is an error, so hostile input cannot exhaust the stack.
//! * [`check_integer_range`] refuses integers JCS cannot carry exactly (RFC 8785 §3.2.2.3:
//!   numbers are IEEE 754 doubles, so integers beyond ±(2^53−1) would change when re-read).

use std::fmt;
use std::ops::Range;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

mod fast;

/// The deepest nesting of arrays and objects accepted (serde_json's own recursion limit is 128).
pub const MAX_DEPTH: usize = 64;

/// The largest integer magnitude an IEEE 754 double carries exactly: 2^53 − 1.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Why a JSON text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    /// Not JSON text at all, or a JSON value with trailing data.
    #[error("not valid JSON: {0}")]
    Syntax(String),
    /// The same property name appears twice in one object.
    #[error("duplicate key {key:?} in one JSON object")]
    DuplicateKey {
        /// The repeated property name.
        key: String,
    },
    /// Arrays and objects nest deeper than [`MAX_DEPTH`].
    #[error("JSON nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// An integer outside ±(2^53−1), which RFC 8785 cannot carry exactly.
    #[error(
        "integer {value} at {path} is outside ±(2^53−1) and would not survive canonicalization"
    )]
    UnsafeInteger {
        /// The number as written.
        value: String,
        /// A JSON Pointer (RFC 6901) to it.
        path: String,
    },
}

/// Parses JSON text, refusing duplicate keys and excessive nesting.
///
/// # Errors
/// [`JsonError::Syntax`] for text that is not one JSON value, [`JsonError::DuplicateKey`] and
/// [`JsonError::TooDeep`] as described in the module docs.
pub fn parse(bytes: &[u8]) -> Result<Value, JsonError> {
    // Validating UTF-8 once up front is faster than string by string.
    let text =
        std::str::from_utf8(bytes).map_err(|e| JsonError::Syntax(format!("not UTF-8: {e}")))?;
    // The fast reader answers for well-formed text; anything else (every error) is decided,
    // and its error worded, by the reference.
    match fast::parse(text) {
        Some((value, _)) => Ok(value),
        None => parse_text(text),
    }
}

/// Two byte ranges of a JSON text whose concatenation is the RFC 8785 form of the object it
/// holds, without its top-level `proof` member ([`parse_with_jcs`]).
pub type JcsRanges = [Range<usize>; 2];

/// [`parse`], and when `bytes` hold an object already in RFC 8785 form (no whitespace,
/// members in order, strings and integers as JCS writes them; what Hallmark itself writes),
/// the two byte ranges of `bytes` whose concatenation is the JCS form of that object without
/// its top-level `proof` member: the eddsa-jcs-2022 document hash then needs no writing.
///
/// # Errors
/// As [`parse`].
pub fn parse_with_jcs(bytes: &[u8]) -> Result<(Value, Option<JcsRanges>), JsonError> {
    let text =
        std::str::from_utf8(bytes).map_err(|e| JsonError::Syntax(format!("not UTF-8: {e}")))?;
    match fast::parse(text) {
        Some(parsed) => Ok(parsed),
        None => parse_text(text).map(|value| (value, None)),
    }
}

/// [`parse`] by serde_json's deserializer alone: the reference the fast reader in [`parse`]
/// is held to (same values, same refusals), and what words [`parse`]'s errors.
///
/// # Errors
/// As [`parse`].
pub fn parse_reference(bytes: &[u8]) -> Result<Value, JsonError> {
    let text =
        std::str::from_utf8(bytes).map_err(|e| JsonError::Syntax(format!("not UTF-8: {e}")))?;
    parse_text(text)
}

fn parse_text(text: &str) -> Result<Value, JsonError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = StrictSeed { depth: 0 }
        .deserialize(&mut de)
        .map_err(classify)?;
    de.end().map_err(classify)?;
    Ok(value)
}

/// Refuses integers outside ±(2^53−1) anywhere in `value` (RFC 8785 §3.2.2.3).
///
/// # Errors
/// [`JsonError::UnsafeInteger`] naming the first offending number and its JSON Pointer.
pub fn check_integer_range(value: &Value) -> Result<(), JsonError> {
    walk_integers(value, &mut String::new())
}

/// [`check_integer_range`] for the members of an object.
///
/// # Errors
/// As [`check_integer_range`].
pub fn check_object_integers(object: &Map<String, Value>) -> Result<(), JsonError> {
    let mut path = String::new();
    for (key, item) in object {
        path.clear();
        path.push('/');
        path.push_str(&key.replace('~', "~0").replace('/', "~1"));
        walk_integers(item, &mut path)?;
    }
    Ok(())
}

fn walk_integers(value: &Value, path: &mut String) -> Result<(), JsonError> {
    match value {
        Value::Number(n) => {
            let unsafe_int = match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => u > MAX_SAFE_INTEGER,
                (None, Some(i)) => i.unsigned_abs() > MAX_SAFE_INTEGER,
                // A double (written with a fraction or exponent, or an integer literal beyond
                // 64 bits, which only [`check_integer_literals`] can tell apart).
                (None, None) => false,
            };
            if unsafe_int {
                return Err(JsonError::UnsafeInteger {
                    value: n.to_string(),
                    path: if path.is_empty() {
                        "/".into()
                    } else {
                        path.clone()
                    },
                });
            }
            Ok(())
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push('/');
                path.push_str(&i.to_string());
                walk_integers(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                path.push('/');
                path.push_str(&key.replace('~', "~0").replace('/', "~1"));
                walk_integers(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Refuses integer literals (no fraction, no exponent) beyond ±(2^53−1) in JSON text,
/// including those too long for 64 bits, which a parser silently turns into doubles.
/// `1E30` is a double as written and passes.
///
/// # Errors
/// [`JsonError::UnsafeInteger`] naming the literal; its path is its byte offset.
pub fn check_integer_literals(bytes: &[u8]) -> Result<(), JsonError> {
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // Skip the string, escapes included.
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                i += 1;
                while i < bytes.len()
                    && matches!(bytes[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    i += 1;
                }
                let literal = &bytes[start..i];
                let integral = !literal.iter().any(|b| matches!(b, b'.' | b'e' | b'E'));
                let digits = literal.strip_prefix(b"-").unwrap_or(literal);
                let too_big = digits.len() > 16
                    || std::str::from_utf8(digits)
                        .ok()
                        .and_then(|d| d.parse::<u64>().ok())
                        .is_some_and(|v| v > MAX_SAFE_INTEGER);
                if integral && too_big {
                    return Err(JsonError::UnsafeInteger {
                        value: String::from_utf8_lossy(literal).into_owned(),
                        path: format!("byte {start}"),
                    });
                }
            }
            _ => i += 1,
        }
    }
    Ok(())
}

const DUPLICATE_MARK: &str = "\u{0}duplicate key:";
const DEPTH_MARK: &str = "\u{0}too deep";

fn classify(e: serde_json::Error) -> JsonError {
    let text = e.to_string();
    if let Some(rest) = text.strip_prefix(DUPLICATE_MARK) {
        // serde_json appends " at line L column C"; keep only the key.
        let key = rest.rsplit_once(" at line ").map_or(rest, |(k, _)| k);
        JsonError::DuplicateKey {
            key: key.to_owned(),
        }
    } else if text.starts_with(DEPTH_MARK) || text.starts_with("recursion limit exceeded") {
        JsonError::TooDeep
    } else {
        JsonError::Syntax(text)
    }
}

struct StrictSeed {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for StrictSeed {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictSeed {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let depth = self.enter::<A::Error>()?;
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(StrictSeed { depth })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let depth = self.enter::<A::Error>()?;
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let value = access.next_value_seed(StrictSeed { depth })?;
            match map.entry(key) {
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                serde_json::map::Entry::Occupied(taken) => {
                    return Err(de::Error::custom(format_args!(
                        "{DUPLICATE_MARK}{}",
                        taken.key()
                    )));
                }
            }
        }
        Ok(Value::Object(map))
    }
}

impl StrictSeed {
    fn enter<E: de::Error>(&self) -> Result<usize, E> {
        if self.depth >= MAX_DEPTH {
            Err(E::custom(DEPTH_MARK))
        } else {
            Ok(self.depth + 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ordinary_json() {
        let v = parse(br#"{"b":1,"a":[true,null,"x",1.5]}"#).unwrap();
        assert_eq!(v, serde_json::json!({"a": [true, null, "x", 1.5], "b": 1}));
    }

    #[test]
    fn refuses_duplicate_keys_at_any_depth() {
        assert_eq!(
            parse(br#"{"a":1,"a":2}"#),
            Err(JsonError::DuplicateKey { key: "a".into() })
        );
        assert_eq!(
            parse(br#"{"x":{"proof":1,"y":[{"id":1,"id":1}]}}"#),
            Err(JsonError::DuplicateKey { key: "id".into() })
        );
    }

    #[test]
    fn refuses_deep_nesting_and_trailing_data() {
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(parse(deep.as_bytes()), Err(JsonError::TooDeep));
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(ok.as_bytes()).is_ok());
        assert!(matches!(parse(b"{} {}"), Err(JsonError::Syntax(_))));
        assert!(matches!(parse(b"not json"), Err(JsonError::Syntax(_))));
    }

    #[test]
    fn integer_range_is_that_of_a_double() {
        let ok = parse(b"[9007199254740991, -9007199254740991, 1.5e-7, 0.5]").unwrap();
        assert_eq!(check_integer_range(&ok), Ok(()));
        let big = parse(br#"{"a":{"b/c":[1, 9007199254740992]}}"#).unwrap();
        assert_eq!(
            check_integer_range(&big),
            Err(JsonError::UnsafeInteger {
                value: "9007199254740992".into(),
                path: "/a/b~1c/1".into()
            })
        );
        let neg = parse(b"-9007199254740992").unwrap();
        assert!(check_integer_range(&neg).is_err());
        // Beyond u64 the parser already rounded to a double: only the text tells.
        assert!(check_integer_literals(b"[1, 123456789012345678901234567890]").is_err());
        assert!(check_integer_literals(b"{\"a\": -9007199254740992}").is_err());
        assert_eq!(
            check_integer_literals(b"[9007199254740991, 1E30, 4.50, -0.5e-3]"),
            Ok(())
        );
        assert_eq!(
            check_integer_literals(br#"{"s": "12345678901234567890 \" 99999999999999999999"}"#),
            Ok(())
        );
        assert_eq!(check_integer_range(&parse(b"1e300").unwrap()), Ok(()));
    }
}
