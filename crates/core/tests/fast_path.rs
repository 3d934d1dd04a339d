//! The fast path from bytes (issue 17) against the reference: `json::parse` (the direct
//! reader) against `json::parse_reference` (serde_json), the JCS text ranges of
//! `json::parse_with_jcs` against `jcs::object_to_vec`, and `Verifier::verify_bytes` against
//! `Verifier::verify_value` of the reference parse, on every vector of tests/vectors and
//! ../shared/vectors and on mutations of each: the same values, the same refusals with the same
//! errors, the same canonical bytes, the same reports.

use std::path::{Path, PathBuf};

use hallmark_core::badge;
use hallmark_core::did::Did;
use hallmark_core::jcs;
use hallmark_core::json;
use hallmark_core::keys::SecretKey;
use hallmark_core::proof::{self, Cryptosuite, ProofOptions};
use hallmark_core::trust::{TrustList, TrustedIssuer};
use hallmark_core::verify::{Offline, Verifier};
use serde_json::Value;
use time::macros::datetime;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "json" || e == "txt" || e == "jsonld")
        {
            out.push(path);
        }
    }
}

fn vector_files() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    files(&root.join("tests/vectors"), &mut out);
    // The shared vectors sit beside the checkout when they are there at all.
    files(&root.join("../shared/vectors"), &mut out);
    out.sort();
    out
}

/// Parse, JCS and (when `pipeline`) report equality of the fast path with the reference;
/// true when the text was canonical (the JCS ranges were compared).
fn same(verifier: &Verifier, bytes: &[u8], pipeline: bool, what: &str) -> bool {
    let reference = json::parse_reference(bytes);
    assert_eq!(json::parse(bytes), reference, "parse: {what}");
    let (value, ranges) = match json::parse_with_jcs(bytes) {
        Ok(parsed) => parsed,
        Err(e) => {
            assert_eq!(Err(e.clone()), reference, "parse_with_jcs: {what}");
            let report = verifier.verify_bytes(bytes, &Offline);
            assert_eq!(report.checks[0].detail, e.to_string(), "{what}");
            assert!(!report.verified());
            return false;
        }
    };
    let reference = reference.unwrap();
    assert_eq!(value, reference, "parse_with_jcs: {what}");
    if let Some([a, b]) = ranges.clone() {
        let mut text = bytes[a].to_vec();
        text.extend_from_slice(&bytes[b]);
        let object = reference.as_object().expect("ranges only for an object");
        assert_eq!(
            String::from_utf8(text).unwrap(),
            String::from_utf8(jcs::object_to_vec(object, Some("proof"), None)).unwrap(),
            "JCS text ranges: {what}"
        );
    }
    if pipeline {
        assert_eq!(
            verifier.verify_bytes(bytes, &Offline).to_json(),
            verifier.verify_value(&reference, &Offline).to_json(),
            "report: {what}"
        );
    }
    ranges.is_some()
}

/// Members the mutations add, first and last.
const MEMBERS: &[&str] = &[
    r#""zz":1e3"#,
    r#""zz":-0"#,
    r#""zz":1.0"#,
    r#""zz":0"#,
    r#""zz":-7"#,
    r#""zz":0.1"#,
    r#""zz":1E400"#,
    r#""zz":9007199254740991"#,
    r#""zz":9007199254740993"#,
    r#""zz":123456789012345678"#,
    r#""zz":1234567890123456789"#,
    r#""zz":123456789012345678901234567890"#,
    r#""zz":-9223372036854775808"#,
    r#""zz":01"#,
    r#""zz":1."#,
    r#""zz":-"#,
    r#""zz":[[[],[{}]],[1,[2,[3]]]]"#,
    r#""zz":"caf\u00e9 \ud83d\ude00 \/ \" \\ \n\t\b\f\r""#,
    r#""zz":"q\"b\\c\n\r\t\b\f""#,
    r#""zz":["\u001f","\u00e9","é","\u0008"]"#,
    r#""zz":"tab	raw""#,
    r#""zz":"\ud800""#,
    r#""zz":"\udc00\ud800""#,
    r#""zz":"\x""#,
    r#""zz":"\u12""#,
    r#""z\u007a":true"#,
    r#""zz":true,"zz":false"#,
    r#""zz":{"a":1,"a":1}"#,
    r#""zz":{"b":null,"a":[false]}"#,
    r#""\u20ac":1,"😀":2,"\ufb33":3"#,
    r#""zz":tru"#,
    r#""zz":nul"#,
    r#""zz" : [ 1 , 2 ]"#,
    r#""zz":[1,]"#,
];

/// Text mutations of a JSON object's text: members added first and last (numbers of every
/// shape, escapes, nesting), duplicates, trailing data and broken syntax.
fn mutations(text: &str) -> Vec<String> {
    let Some(body) = text.trim_start().strip_prefix('{') else {
        return Vec::new();
    };
    let Some(last) = text.rfind('}') else {
        return Vec::new();
    };
    let head = &text[..last];
    let empty = body.trim_start().starts_with('}');
    let mut out = Vec::new();
    for member in MEMBERS {
        let sep = if empty { "" } else { "," };
        out.push(format!("{head}{sep}{member}}}"));
        out.push(format!("{{{member}{sep}{body}"));
    }
    out.push(format!("{text} {{}}"));
    out.push(format!("{text}x"));
    out.push(format!("\u{feff}{text}"));
    out.push(format!(" \n{text}\t\r\n"));
    out.push(text.replacen(':', " : ", 3));
    out.push(text[..text.len() / 2].to_owned());
    out
}

/// The same document written other ways: compact with sorted keys (the canonical path),
/// pretty, and with every object's members reversed.
fn rewritings(value: &Value) -> Vec<Vec<u8>> {
    fn reversed(v: &Value, out: &mut String) {
        match v {
            Value::Object(map) => {
                out.push('{');
                for (i, (k, item)) in map.iter().rev().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(k).unwrap());
                    out.push(':');
                    reversed(item, out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    reversed(item, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut rev = String::new();
    reversed(value, &mut rev);
    vec![
        serde_json::to_vec(value).unwrap(),
        serde_json::to_vec_pretty(value).unwrap(),
        rev.into_bytes(),
    ]
}

/// Tampered copies of a parsed object: a string changed, a member removed, the proof moved
/// out of the way or made the only member.
fn tamperings(value: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let Some(map) = value.as_object() else {
        return out;
    };
    if let Some((k, _)) = map.iter().find(|(_, v)| v.is_string()) {
        let mut t = map.clone();
        let s = t[k].as_str().unwrap().to_owned() + "x";
        t.insert(k.clone(), Value::String(s));
        out.push(Value::Object(t));
    }
    if let Some(k) = map.keys().find(|k| *k != "proof") {
        let mut t = map.clone();
        t.remove(k);
        out.push(Value::Object(t));
    }
    if let Some(proof) = map.get("proof") {
        let mut only = serde_json::Map::new();
        only.insert("proof".into(), proof.clone());
        out.push(Value::Object(only));
        let mut first = map.clone();
        let p = first.remove("proof").unwrap();
        first.insert("!".into(), Value::Null);
        first.insert("proof".into(), p);
        out.push(Value::Object(first));
    }
    out
}

fn verifier() -> Verifier {
    Verifier::new(datetime!(2026-06-01 00:00 UTC))
}

#[test]
fn every_vector_and_its_mutations_parse_hash_and_verify_as_the_reference() {
    let verifier = verifier();
    let files = vector_files();
    assert!(files.len() > 100, "only {} vector files", files.len());
    let mut objects = 0;
    let mut canonical = 0;
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let what = path.display().to_string();
        same(&verifier, &bytes, true, &what);
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        for (i, m) in mutations(text).iter().enumerate() {
            same(
                &verifier,
                m.as_bytes(),
                i % 4 == 0,
                &format!("{what} mutation {i}"),
            );
        }
        let Ok(value) = json::parse_reference(&bytes) else {
            continue;
        };
        if !value.is_object() {
            continue;
        }
        objects += 1;
        for (i, rewritten) in rewritings(&value).iter().enumerate() {
            canonical += usize::from(same(
                &verifier,
                rewritten,
                true,
                &format!("{what} rewriting {i}"),
            ));
            let text = std::str::from_utf8(rewritten).unwrap();
            for (j, m) in mutations(text).iter().enumerate() {
                canonical += usize::from(same(
                    &verifier,
                    m.as_bytes(),
                    i == 0 && j % 3 == 0,
                    &format!("{what} rewriting {i} mutation {j}"),
                ));
            }
        }
        for (i, t) in tamperings(&value).iter().enumerate() {
            let compact = serde_json::to_vec(t).unwrap();
            canonical += usize::from(same(
                &verifier,
                &compact,
                true,
                &format!("{what} tampering {i}"),
            ));
        }
    }
    assert!(objects > 80, "only {objects} JSON objects");
    // The text path was taken, and its bytes compared, many times.
    assert!(canonical > 5 * objects, "{canonical} canonical texts");
}

#[test]
fn a_signed_jcs_badge_takes_the_text_path_and_reports_as_the_reference() {
    let key = SecretKey::from_seed(&[9; 32]);
    let issuer = Did::key(&key.public_key());
    let unsigned = badge::example(&issuer).build().unwrap();
    let options = ProofOptions::did_key(
        &key.public_key(),
        Cryptosuite::EddsaJcs2022,
        Some(datetime!(2026-01-15 09:00 UTC)),
    );
    let signed = proof::sign(unsigned.into_map(), &options, &key).unwrap();
    let bytes = serde_json::to_vec(&signed).unwrap();
    let (_, ranges) = json::parse_with_jcs(&bytes).unwrap();
    assert!(ranges.is_some(), "Hallmark's own text is canonical");
    let mut trust = TrustList::new();
    trust.add(TrustedIssuer {
        id: issuer.to_string(),
        name: Some("Acme".into()),
    });
    let verifier = verifier().trust(trust);
    let report = verifier.verify_bytes(&bytes, &Offline);
    assert!(report.verified(), "{:#}", report.to_json());
    same(&verifier, &bytes, true, "signed badge");
    let value = Value::Object(signed);
    for (i, rewritten) in rewritings(&value).iter().enumerate() {
        let report = verifier.verify_bytes(rewritten, &Offline);
        assert!(report.verified(), "rewriting {i}: {:#}", report.to_json());
        same(&verifier, rewritten, true, &format!("rewriting {i}"));
        for (j, m) in mutations(std::str::from_utf8(rewritten).unwrap())
            .iter()
            .enumerate()
        {
            let what = format!("rewriting {i} mutation {j}");
            same(&verifier, m.as_bytes(), true, &what);
            // An added member is not signed (the later mutations only move whitespace or
            // break the text).
            if j < 2 * MEMBERS.len() {
                assert!(
                    !verifier.verify_bytes(m.as_bytes(), &Offline).verified(),
                    "{what}"
                );
            }
        }
    }
    for (i, t) in tamperings(&value).iter().enumerate() {
        let compact = serde_json::to_vec(t).unwrap();
        let what = format!("tampering {i}");
        same(&verifier, &compact, true, &what);
        // "!" sorts before "proof" and is not signed.
        assert!(
            !verifier.verify_bytes(&compact, &Offline).verified(),
            "{what}"
        );
    }
}

#[test]
fn nesting_limits_are_the_references() {
    let verifier = verifier();
    for depth in [63, 64, 65, 200] {
        for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
            let mut text = open.repeat(depth) + "1" + &close.repeat(depth);
            if open == "[" {
                text = format!("{{\"x\":{text}}}");
            }
            same(
                &verifier,
                text.as_bytes(),
                true,
                &format!("depth {depth} {open}"),
            );
        }
    }
    for text in [
        "",
        " ",
        "{",
        "}",
        "[]",
        "\"s\"",
        "1",
        "null",
        "{}",
        "{\"proof\":{}}",
    ] {
        same(&verifier, text.as_bytes(), true, text);
    }
    same(&verifier, b"{\"a\":\"\xff\"}", true, "invalid UTF-8");
}
