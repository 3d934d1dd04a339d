//! Property tests (proptest): generated partner badges signed with either cryptosuite verify;
//! any single change to a signed badge's fields makes it fail; Bitstring Status List entries
//! of 1 to 8 bits read back what was set and cleared at random indexes. Case counts are kept
//! small (`PROPTEST_CASES` raises them).

use std::collections::BTreeMap;

use hallmark_core::badge::{self, Competency, Demo, Evidence, Exam, PartnerBadge};
use hallmark_core::did::Did;
use hallmark_core::keys::SecretKey;
use hallmark_core::proof::{self, Cryptosuite, ProofOptions};
use hallmark_core::status::{Bitstring, StatusListError, MIN_ENTRIES};
use hallmark_core::trust::{TrustList, TrustedIssuer};
use hallmark_core::verify::{Offline, Verifier};
use hallmark_core::{CheckId, Outcome, Report};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};

/// Text from a small alphabet (to make collisions and edge cases likely) or any printable
/// Unicode (letters, marks, symbols, spaces of every script; no control or format characters).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z][A-Za-z .,&'()-]{0,30}",
        "\\PC{1,40}".prop_filter("not blank", |s| !s.trim().is_empty()),
    ]
}

fn host() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,15}\\.example"
}

fn competency() -> impl Strategy<Value = Competency> {
    (
        "[A-Z][A-Z0-9]{1,5}(-[A-Z0-9]{2,4})?",
        text(),
        proptest::option::of(host().prop_map(|h| format!("https://{h}/c"))),
        proptest::option::of(text()),
    )
        .prop_map(|(code, name, url, framework)| Competency {
            code,
            name,
            url,
            framework,
        })
}

fn demo() -> impl Strategy<Value = Demo> {
    proptest::collection::vec("[A-Z][a-z]{2,10}", 1..5).prop_flat_map(|levels| {
        let n = levels.len();
        (Just(levels), 0..n, 0..n).prop_map(|(levels, r, a)| Demo {
            required: levels[r].clone(),
            achieved: levels[a].clone(),
            levels,
        })
    })
}

fn evidence() -> impl Strategy<Value = Evidence> {
    (text(), text(), text()).prop_map(|(name, description, genre)| Evidence {
        name,
        description,
        genre,
    })
}

/// A badge and the instant to verify it at (inside its validity).
#[derive(Debug, Clone)]
struct Generated {
    badge: PartnerBadge,
    key_seed: [u8; 32],
    suite: Cryptosuite,
    at: OffsetDateTime,
}

fn generated() -> impl Strategy<Value = Generated> {
    let partner = (
        prop_oneof![
            host().prop_map(|h| format!("https://{h}")),
            host().prop_map(|h| format!("did:web:{h}")),
        ],
        text(),
    );
    let tier = ("[a-z][a-z0-9-]{0,11}", text(), text(), text());
    let results = (
        proptest::option::of((0u8..=100, 0u8..=100)),
        proptest::option::of(demo()),
    );
    let lists = (
        proptest::collection::vec(competency(), 0..4),
        proptest::collection::vec(evidence(), 0..3),
    );
    // validFrom between 2020 and 2035; validity of a day to six years; checked inside it.
    let dates = (0i64..16 * 365, 1i64..6 * 365, 0.0f64..1.0);
    (
        partner,
        tier,
        "[a-z]{1,10}",
        results,
        lists,
        dates,
        any::<[u8; 32]>(),
        prop_oneof![
            Just(Cryptosuite::EddsaJcs2022),
            Just(Cryptosuite::EddsaRdfc2022)
        ],
        "[0-9a-f]{8}-[0-9a-f]{4}",
    )
        .prop_map(
            |(
                (partner_id, partner_name),
                (slug, tier_name, description, criteria),
                role,
                (exam, demo),
                (competencies, evidence),
                (from_days, days, at),
                key_seed,
                suite,
                uuid,
            )| {
                let key = SecretKey::from_seed(&key_seed);
                let mut badge = badge::example(&Did::key(&key.public_key()));
                badge.credential_uuid = uuid;
                badge.partner.id = partner_id;
                badge.partner.name = partner_name;
                badge.role = role;
                badge.tier.slug = slug;
                badge.tier.name = tier_name;
                badge.tier.description = description;
                badge.tier.criteria = criteria;
                badge.competencies = competencies;
                badge.exam = exam.map(|(score, required)| Exam { score, required });
                badge.demo = demo;
                badge.evidence = evidence;
                badge.valid_from = time::macros::datetime!(2020-01-01 00:00 UTC)
                    + Duration::days(from_days)
                    + Duration::seconds(from_days * 7919 % 86_400);
                badge.valid_until = badge.valid_from + Duration::days(days);
                let span = (badge.valid_until - badge.valid_from).whole_seconds() as f64;
                let at = badge.valid_from + Duration::seconds((span * at) as i64);
                Generated {
                    badge,
                    key_seed,
                    suite,
                    at,
                }
            },
        )
}

/// Signs the badge (the proof created at validFrom) and returns it as JSON text, with a
/// verifier that trusts its issuer at the chosen instant.
fn sign(g: &Generated) -> (Map<String, Value>, Verifier) {
    let key = SecretKey::from_seed(&g.key_seed);
    let unsigned = g
        .badge
        .build()
        .unwrap_or_else(|e| panic!("the generated badge builds: {e}"));
    let options = ProofOptions::did_key(&key.public_key(), g.suite, Some(g.badge.valid_from));
    let signed = proof::sign(unsigned.into_map(), &options, &key)
        .unwrap_or_else(|e| panic!("the generated badge signs: {e}"));
    let mut trust = TrustList::new();
    trust.add(TrustedIssuer {
        id: Did::key(&key.public_key()).to_string(),
        name: None,
    });
    (signed, Verifier::new(g.at).trust(trust))
}

fn verify(verifier: &Verifier, doc: &Map<String, Value>) -> Report {
    verifier.verify_bytes(&serde_json::to_vec(doc).unwrap(), &Offline)
}

/// JSON Pointers of every string, number and boolean in `value`.
fn leaves(value: &Value, path: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                leaves(
                    v,
                    format!("{path}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                leaves(v, format!("{path}/{i}"), out);
            }
        }
        Value::Null => {}
        _ => out.push(path),
    }
}

/// A different value for a leaf: another string (appended to, emptied, case-changed, or a
/// look-alike), the other boolean, another number.
fn change(value: &Value, how: usize) -> Value {
    match value {
        Value::String(s) => {
            let upper = s.to_uppercase();
            let candidates = [
                format!("{s}x"),
                String::new(),
                if upper != *s { upper } else { s.to_lowercase() },
                format!(" {s}"),
                s.replacen('e', "\u{0435}", 1), // Cyrillic е, a look-alike
                s.chars().skip(1).collect(),
            ];
            let picked = (how..how + candidates.len())
                .map(|i| &candidates[i % candidates.len()])
                .find(|c| *c != s)
                .cloned()
                .unwrap_or_else(|| format!("{s}x"));
            Value::String(picked)
        }
        Value::Bool(b) => Value::Bool(!b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Value::from(i.wrapping_add(1 + how as i64)),
            None => Value::from(n.as_f64().unwrap_or(0.0) + 1.0),
        },
        other => other.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every generated badge, signed with either suite, verifies: all six checks pass or
    /// skip (no status entries), trust included.
    #[test]
    fn generated_badges_sign_and_verify(g in generated()) {
        let (signed, verifier) = sign(&g);
        let report = verify(&verifier, &signed);
        prop_assert!(report.verified(), "{:?}: {report:#?}", g.suite);
        prop_assert_eq!(report.check(CheckId::Proof).unwrap().outcome, Outcome::Passed);
        prop_assert_eq!(report.check(CheckId::Trust).unwrap().outcome, Outcome::Passed);
    }

    /// Changing any one leaf of a signed badge (its proof included) makes it fail, and the
    /// proof check in particular: every field is covered by the signature.
    #[test]
    fn any_single_field_change_fails(g in generated(), pick in any::<Index>(), how in 0usize..6) {
        let (signed, verifier) = sign(&g);
        let signed = Value::Object(signed);
        let mut paths = Vec::new();
        leaves(&signed, String::new(), &mut paths);
        let path = pick.get(&paths);
        let mut changed = signed.clone();
        let leaf = changed.pointer_mut(path).unwrap();
        let new = change(leaf, how);
        prop_assume!(new != *leaf);
        *leaf = new;
        let report = verify(&verifier, changed.as_object().unwrap());
        prop_assert!(!report.verified(), "{path} changed, still verified: {changed:#}");
        prop_assert_ne!(
            report.check(CheckId::Proof).unwrap().outcome,
            Outcome::Passed,
            "{} changed, proof passed: {:#}", path, changed
        );
    }

    /// Setting and clearing entries of `statusSize` 1–8 at random indexes (the ends
    /// included) reads back as a model map says, lists the set indexes, and survives
    /// encoding; indexes past the end and values that do not fit are refused.
    #[test]
    fn status_entries_set_clear_read(
        size in 1u8..=8,
        ops in proptest::collection::vec(
            (prop_oneof![0u64..MIN_ENTRIES as u64, (MIN_ENTRIES as u64 - 4)..MIN_ENTRIES as u64, 0u64..8],
             any::<u8>(), any::<bool>()),
            1..40,
        ),
    ) {
        let mut bits = Bitstring::new(MIN_ENTRIES, size).unwrap();
        prop_assert_eq!(bits.entries(size), MIN_ENTRIES);
        let mask = ((1u16 << size) - 1) as u8;
        let mut model: BTreeMap<u64, u8> = BTreeMap::new();
        for (index, value, clear) in ops {
            let value = if clear { 0 } else { value & mask };
            bits.set(index, size, value).unwrap();
            model.insert(index, value);
            prop_assert_eq!(bits.get(index, size), Ok(value));
            if size < 8 {
                let too_big = mask + 1;
                prop_assert!(matches!(bits.set(index, size, too_big), Err(StatusListError::Malformed(_))));
            }
        }
        for (index, value) in &model {
            prop_assert_eq!(bits.get(*index, size), Ok(*value));
        }
        let set: Vec<u64> = model.iter().filter(|(_, v)| **v != 0).map(|(i, _)| *i).collect();
        prop_assert_eq!(bits.set_indexes(size), set);
        let decoded = Bitstring::decode(&bits.encode(), 1 << 20).unwrap();
        prop_assert_eq!(&decoded, &bits);
        let end = MIN_ENTRIES as u64;
        let out_of_range = matches!(bits.get(end, size), Err(StatusListError::OutOfRange { .. }));
        prop_assert!(out_of_range);
        prop_assert!(bits.clone().set(end, size, 0).is_err());
        prop_assert!(decoded.check_length(size).is_ok());
    }
}

/// The case proptest found: a 7-bit entry whose first bit is in a zero byte and whose set bit
/// is in the next one was left out of `set_indexes`.
#[test]
fn set_indexes_sees_entries_that_span_two_bytes() {
    for size in 1..=8u8 {
        let mut bits = Bitstring::new(MIN_ENTRIES, size).unwrap();
        bits.set(1, size, 1).unwrap();
        assert_eq!(bits.set_indexes(size), [1], "statusSize {size}");
    }
}
