//! A structure-aware mutator for JSON inputs: most of the time it parses the input (for the
//! verify targets, one of its `\0`-separated sections), changes one node of the document and
//! writes it back, so that mutations of a signed badge stay JSON and reach the proof, status
//! and JSON-LD code instead of dying in the parser. The rest of the time, and whenever the
//! input is not JSON, libFuzzer's own byte mutations run.

use serde_json::{Map, Value};

/// A small deterministic generator (xorshift64*) seeded by libFuzzer.
struct Rng(u64);

impl Rng {
    fn new(seed: u32) -> Self {
        Self(u64::from(seed).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// Strings that mean something to a credential verifier, for replacing values and keys.
#[rustfmt::skip]
const WORDS: &[&str] = &[
    "", "@context", "@id", "@type", "@value", "@list", "@graph", "@included", "@vocab", "@base",
    "@language", "@direction", "@json", "@protected", "@reverse", "@nest", "@set", "@index",
    "id", "type", "proof", "proofValue", "proofPurpose", "cryptosuite", "verificationMethod",
    "created", "expires", "previousProof", "challenge", "domain", "eddsa-rdfc-2022",
    "eddsa-jcs-2022", "DataIntegrityProof", "assertionMethod", "authentication",
    "credentialSubject", "credentialStatus", "issuer", "validFrom", "validUntil",
    "issuanceDate", "expirationDate", "VerifiableCredential", "OpenBadgeCredential",
    "BitstringStatusListEntry", "BitstringStatusListCredential", "BitstringStatusList",
    "statusPurpose", "statusListIndex", "statusListCredential", "statusSize", "statusMessage",
    "statusReference", "encodedList", "ttl", "revocation", "suspension", "message", "0x1",
    "name", "description", "achievement", "evidence", "https://www.w3.org/ns/credentials/v2",
    "https://www.w3.org/2018/credentials/v1",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    "https://w3id.org/security/data-integrity/v2", "https://acme.example/status/revocation",
    "did:web:acme.example", "did:web:acme.example#key-1", "did:key:z6Mk", "_:b0", "_:b1",
    "urn:x", "relative", "#frag", "2026-01-15T00:00:00Z", "2026-13-01T00:00:00Z",
    "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "2026-01-15T00:00:00+14:00",
    "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA",
    "z", "u", "0", "131072", "18446744073709551616", "-1", "\u{0}", "\u{202e}", "é",
];

fn random_string(rng: &mut Rng, base: &str) -> String {
    match rng.below(6) {
        0 => WORDS[rng.below(WORDS.len())].to_owned(),
        1 => {
            let mut s = base.to_owned();
            s.push_str(WORDS[rng.below(WORDS.len())]);
            s
        }
        2 => {
            // Truncate at a char boundary.
            let cut = rng.below(base.len() + 1);
            let cut = (0..=cut)
                .rev()
                .find(|i| base.is_char_boundary(*i))
                .unwrap_or(0);
            base[..cut].to_owned()
        }
        3 => {
            // Change one character.
            let mut chars: Vec<char> = base.chars().collect();
            if !chars.is_empty() {
                let i = rng.below(chars.len());
                let c = chars[i] as u32 ^ (1 << rng.below(7));
                chars[i] = char::from_u32(c).unwrap_or('x');
            }
            chars.into_iter().collect()
        }
        4 => base.repeat(1 + rng.below(3)),
        _ => {
            let mut s = base.to_owned();
            let at = rng.below(s.len() + 1);
            let at = (0..=at).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
            s.insert(at, char::from_u32(rng.below(0x3000) as u32).unwrap_or('?'));
            s
        }
    }
}

fn random_value(rng: &mut Rng, elsewhere: &Value) -> Value {
    match rng.below(9) {
        0 => Value::Null,
        1 => Value::Bool(rng.chance(2)),
        2 => Value::from(rng.next() as i64 >> rng.below(64)),
        3 => Value::from([0.5, -0.0, 1e300, 1e-7, 9007199254740993.0][rng.below(5)]),
        4 => Value::String(WORDS[rng.below(WORDS.len())].to_owned()),
        5 => Value::Array(Vec::new()),
        6 => Value::Object(Map::new()),
        // Splice: a copy of another node of the same document.
        _ => {
            let n = count(elsewhere);
            nth(elsewhere, rng.below(n)).cloned().unwrap_or(Value::Null)
        }
    }
}

fn count(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count).sum(),
        Value::Object(o) => o.values().map(count).sum(),
        _ => 0,
    }
}

fn nth(v: &Value, mut n: usize) -> Option<&Value> {
    if n == 0 {
        return Some(v);
    }
    n -= 1;
    let children: Box<dyn Iterator<Item = &Value>> = match v {
        Value::Array(a) => Box::new(a.iter()),
        Value::Object(o) => Box::new(o.values()),
        _ => return None,
    };
    for c in children {
        let k = count(c);
        if n < k {
            return nth(c, n);
        }
        n -= k;
    }
    None
}

fn nth_mut(v: &mut Value, mut n: usize) -> Option<&mut Value> {
    if n == 0 {
        return Some(v);
    }
    n -= 1;
    let children: Box<dyn Iterator<Item = &mut Value>> = match v {
        Value::Array(a) => Box::new(a.iter_mut()),
        Value::Object(o) => Box::new(o.values_mut()),
        _ => return None,
    };
    for c in children {
        let k = count(c);
        if n < k {
            return nth_mut(c, n);
        }
        n -= k;
    }
    None
}

/// Changes one node of `doc`.
fn mutate_value(doc: &mut Value, rng: &mut Rng) {
    let snapshot = doc.clone();
    let n = count(doc);
    let Some(node) = nth_mut(doc, rng.below(n)) else {
        return;
    };
    match node {
        Value::Object(map) if !map.is_empty() && rng.chance(2) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = keys[rng.below(keys.len())].clone();
            match rng.below(4) {
                0 => {
                    map.remove(&key);
                }
                1 => {
                    if let Some(v) = map.remove(&key) {
                        map.insert(random_string(rng, &key), v);
                    }
                }
                2 => {
                    map.insert(
                        WORDS[rng.below(WORDS.len())].to_owned(),
                        random_value(rng, &snapshot),
                    );
                }
                _ => {
                    // Wrap in an array, or unwrap a one-item array.
                    let v = map.remove(&key).unwrap_or(Value::Null);
                    let v = match v {
                        Value::Array(mut a) if a.len() == 1 => a.remove(0),
                        other => Value::Array(vec![other]),
                    };
                    map.insert(key, v);
                }
            }
        }
        Value::Array(items) if !items.is_empty() && rng.chance(2) => {
            let i = rng.below(items.len());
            match rng.below(3) {
                0 => {
                    items.remove(i);
                }
                1 => {
                    let v = items[i].clone();
                    items.insert(i, v);
                }
                _ => {
                    let j = rng.below(items.len());
                    items.swap(i, j);
                }
            }
        }
        Value::String(s) => *s = random_string(rng, s),
        other => *other = random_value(rng, &snapshot),
    }
}

/// Mutates `data[..size]` in place (at most `max_size` bytes) and returns the new size; the
/// body of `libfuzzer_sys::fuzz_mutator!` for the JSON targets.
pub fn json(data: &mut [u8], size: usize, max_size: usize, seed: u32) -> usize {
    let mut rng = Rng::new(seed);
    if rng.chance(3) {
        return libfuzzer_sys::fuzzer_mutate(data, size, max_size);
    }
    // Pick one `\0`-separated section; a section after the first starts with a URL line.
    let input = &data[..size];
    let bounds: Vec<(usize, usize)> = {
        let mut out = Vec::new();
        let mut start = 0;
        for (i, b) in input.iter().enumerate() {
            if *b == 0 {
                out.push((start, i));
                start = i + 1;
            }
        }
        out.push((start, size));
        out
    };
    let which = rng.below(bounds.len());
    let (mut start, end) = bounds[which];
    if which > 0 {
        start += input[start..end]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(end - start, |i| i + 1);
    }
    let Ok(mut doc) = serde_json::from_slice::<Value>(&input[start..end]) else {
        return libfuzzer_sys::fuzzer_mutate(data, size, max_size);
    };
    for _ in 0..1 + rng.below(2) {
        mutate_value(&mut doc, &mut rng);
    }
    let text = if rng.chance(2) {
        serde_json::to_vec(&doc)
    } else {
        serde_json::to_vec_pretty(&doc)
    }
    .unwrap_or_default();
    let new_size = size - (end - start) + text.len();
    if new_size > max_size {
        return libfuzzer_sys::fuzzer_mutate(data, size, max_size);
    }
    let tail = input[end..].to_vec();
    data[start..start + text.len()].copy_from_slice(&text);
    data[start + text.len()..new_size].copy_from_slice(&tail);
    new_size
}
