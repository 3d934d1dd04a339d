//! The processed-context fast path of JSON-LD to RDF gives exactly the canonical N-Quads that
//! `oxjsonld` (the reference) gives, or steps aside: on every JSON-LD document in tests/vectors,
//! on Hallmark's badges and status lists, and on thousands of mutated badges (undefined terms,
//! other types, relative and blank-node IRIs, value objects, lists, nested contexts, keywords).
//! It must cover every badge Hallmark issues and the W3C and 1EdTech rdfc vectors, since that
//! is what makes rdfc verification fast.

use std::path::{Path, PathBuf};

use hallmark_core::badge;
use hallmark_core::did::Did;
use hallmark_core::jsonld::{canonical_nquads_by, Limits, Processor};
use hallmark_core::keys::SecretKey;
use serde_json::{json, Map, Value};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "json" || e == "jsonld")
        {
            out.push(path);
        }
    }
}

/// Documents where oxjsonld's readings of type-scoped contexts changed the result.
static DIVERGENT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Compares the two processors on `doc` (without `without`, under `context`); returns whether
/// the fast path covered it.
fn same(
    name: &str,
    doc: &Map<String, Value>,
    without: Option<&str>,
    context: Option<&Value>,
) -> bool {
    let limits = Limits::default();
    let fast = canonical_nquads_by(doc, without, context, &limits, Processor::Fast);
    let Some(fast) = fast else {
        return false;
    };
    let reference = canonical_nquads_by(doc, without, context, &limits, Processor::Reference)
        .expect("the reference always answers");
    if fast != reference {
        // oxjsonld 0.2 reads two steps of expansion otherwise than the specification and
        // jsonld.js: with two typed scopes on one node only the last counts, and a node of
        // `id` and `type` keeps its parent's type-scoped context (see `Processor`). Read its
        // way, the fast path must agree.
        let compat = canonical_nquads_by(doc, without, context, &limits, Processor::FastAsOxjsonld);
        if compat.as_ref() == Some(&reference) {
            DIVERGENT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return true;
        }
    }
    if fast != reference {
        let lines = |r: &Result<String, _>| -> Vec<String> {
            match r {
                Ok(s) => s.lines().map(str::to_owned).collect(),
                Err(e) => vec![format!("error: {e}")],
            }
        };
        let (f, r) = (lines(&fast), lines(&reference));
        let only_fast: Vec<_> = f.iter().filter(|l| !r.contains(l)).collect();
        let only_reference: Vec<_> = r.iter().filter(|l| !f.contains(l)).collect();
        panic!(
            "{name}: the fast path and oxjsonld differ on\n{}\nonly fast: {only_fast:#?}\nonly oxjsonld: {only_reference:#?}",
            serde_json::to_string_pretty(doc).unwrap()
        );
    }
    true
}

/// The document and each of its proof configurations (under the document's context).
fn same_with_proofs(name: &str, doc: &Map<String, Value>) -> (usize, usize) {
    let (mut covered, mut total) = (0, 1);
    covered += usize::from(same(name, doc, Some("proof"), None));
    let proofs: Vec<&Map<String, Value>> = match doc.get("proof") {
        Some(Value::Object(p)) => vec![p],
        Some(Value::Array(set)) => set.iter().filter_map(Value::as_object).collect(),
        _ => Vec::new(),
    };
    for p in proofs {
        total += 1;
        covered += usize::from(same(name, p, Some("proofValue"), doc.get("@context")));
    }
    (covered, total)
}

fn vectors() -> Vec<(String, Map<String, Value>)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors");
    let mut paths = Vec::new();
    files(&root, &mut paths);
    paths
        .into_iter()
        .filter_map(|path| {
            let value: Value = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
            let doc = value.as_object()?.clone();
            doc.contains_key("@context")
                .then(|| (path.display().to_string(), doc))
        })
        .collect()
}

#[test]
fn fast_path_equals_oxjsonld_on_every_vector() {
    let (mut covered, mut total) = (0, 0);
    for (name, doc) in vectors() {
        let (c, t) = same_with_proofs(&name, &doc);
        covered += c;
        total += t;
        // The rdfc vectors are what must be fast (those meant to fail are oxjsonld's to refuse).
        if name.contains("rdfc") && !name.contains("complete") && !name.contains("Fail") {
            assert_eq!(c, t, "{name}: not covered by the fast path");
        }
    }
    eprintln!("fast path covered {covered} of {total} documents and proof configurations");
    assert!(total > 60 && covered * 10 > total * 7, "{covered}/{total}");
}

fn badges() -> Vec<Map<String, Value>> {
    let key = SecretKey::from_seed(&[3; 32]);
    let issuer = Did::key(&key.public_key());
    let full = badge::example(&issuer);
    let mut minimal = badge::example(&issuer);
    minimal.competencies.clear();
    minimal.exam = None;
    minimal.demo = None;
    minimal.evidence.clear();
    let mut web = badge::example(&issuer);
    web.issuer.id = "did:web:acme.example".into();
    web.issuer.url = None;
    [full, minimal, web]
        .iter()
        .map(|b| b.build().unwrap().into_map())
        .collect()
}

#[test]
fn fast_path_covers_every_badge_hallmark_issues() {
    for (i, doc) in badges().iter().enumerate() {
        assert_eq!(same_with_proofs(&format!("badge {i}"), doc), (1, 1));
    }
}

/// A node object of `id` and `type` under a type-scoped context: §5.1.2 step 7 reverts the
/// type scope (only a lone `@id` entry keeps it), so `type` expands with `@vocab`. jsonld.js
/// 8.3 gives `examples#credentialSubject`, as the fast path does; oxjsonld 0.2 keeps the
/// scope and gives `cred#credentialSubject` (the fuzzer's find, kept in
/// fuzz/regressions/jsonld_fast/).
#[test]
fn a_node_of_id_and_type_leaves_the_type_scope_as_jsonld_js_does() {
    let doc = json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2"
        ],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:12345",
        "credentialSubject": {"id": "did:example:6789", "type": "credentialSubject"}
    });
    let doc = doc.as_object().unwrap();
    let limits = Limits::default();
    let by = |p| {
        canonical_nquads_by(doc, None, None, &limits, p)
            .unwrap()
            .unwrap()
    };
    let jsonld_js = "<did:example:6789> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> \
                     <https://www.w3.org/ns/credentials/examples#credentialSubject> .";
    let oxjsonld = "<did:example:6789> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> \
                    <https://www.w3.org/2018/credentials#credentialSubject> .";
    let fast = by(Processor::Fast);
    assert!(fast.lines().any(|l| l == jsonld_js), "{fast}");
    let reference = by(Processor::Reference);
    assert!(reference.lines().any(|l| l == oxjsonld), "{reference}");
    assert_eq!(by(Processor::FastAsOxjsonld), reference);
    assert!(same("id and type", doc, None, None));
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const KEYS: &[&str] = &[
    "name",
    "description",
    "id",
    "type",
    "achievement",
    "alignment",
    "targetName",
    "targetUrl",
    "targetType",
    "criteria",
    "narrative",
    "image",
    "evidence",
    "result",
    "resultDescription",
    "allowedValue",
    "value",
    "validFrom",
    "validUntil",
    "issuer",
    "credentialSubject",
    "credentialStatus",
    "statusPurpose",
    "statusListIndex",
    "identifier",
    "source",
    "endorsement",
    "tag",
    "related",
    "creator",
    "url",
    "email",
    "proof",
    "relatedResource",
    "digestSRI",
    "termsOfUse",
    "credentialSchema",
    "jsonSchema",
    "achievementType",
    "creditsAvailable",
    "inLanguage",
    "version",
    "@type",
    "@id",
    "@value",
    "@list",
    "@set",
    "@graph",
    "@language",
    "@index",
    "@reverse",
    "@nest",
    "@included",
    "@foo",
    "unknownThing",
    "ex:thing",
    "xsd:thing",
    "https://example.org/prop",
    "_:b",
    "",
    "previousProof",
    "verificationMethod",
    "cryptosuite",
];

const TYPES: &[&str] = &[
    "Achievement",
    "Profile",
    "Result",
    "ResultDescription",
    "Alignment",
    "Criteria",
    "Image",
    "EndorsementCredential",
    "Evidence",
    "IdentityObject",
    "AchievementSubject",
    "VerifiableCredential",
    "OpenBadgeCredential",
    "BitstringStatusListEntry",
    "DataIntegrityProof",
    "UnknownType",
    "https://example.org/T",
    "_:t",
    "xsd:string",
    "RubricCriterionLevel",
    "EndorsementSubject",
    "Multikey",
];

const STRINGS: &[&str] = &[
    "hello",
    "https://example.org/x",
    "urn:uuid:1234",
    "relative/path",
    "_:b1",
    "xsd:dateTime",
    "2026-01-01T00:00:00Z",
    "",
    "did:key:z6Mk#z6Mk",
    "http://a b",
    "Achievement",
    "ex:x",
    "#frag",
    "mailto:a@example.org",
];

fn value(rng: &mut Rng, depth: usize) -> Value {
    let leaf = depth > 2;
    match rng.below(if leaf { 6 } else { 14 }) {
        0 => json!(*rng.pick(STRINGS)),
        1 => json!(*rng.pick(&[1i64, -5, 0, 42])),
        2 => json!(*rng.pick(&[2.5f64, 1e30, 5.0])),
        3 => json!(rng.below(2) == 0),
        4 => Value::Null,
        5 => json!(9_007_199_254_740_993u64),
        6 => Value::Array((0..rng.below(3)).map(|_| value(rng, depth + 1)).collect()),
        7 => json!({ "type": *rng.pick(TYPES), "name": "n" }),
        8 => json!({ "id": *rng.pick(STRINGS) }),
        9 => {
            json!({ "@value": *rng.pick(STRINGS), "@type": *rng.pick(&["xsd:string", "xsd:dateTime", "https://example.org/dt", "@json"]) })
        }
        10 => json!({ "@value": value(rng, 3) }),
        11 => json!({ "@value": "x", "@language": "en" }),
        12 => json!({ *rng.pick(&["@list", "@set"]): [value(rng, depth + 1)] }),
        _ => json!({
            "@context": *rng.pick(&[
                json!({ "@vocab": "https://ex.org/" }),
                json!({ "foo": "https://ex.org/foo" }),
                json!({ "foo": { "@id": "https://ex.org/foo", "@type": "@id" } }),
                json!({ "name": "https://ex.org/name" }),
                json!("https://www.w3.org/ns/credentials/examples/v2"),
                json!(null),
            ]),
            "foo": value(rng, depth + 1),
            "type": *rng.pick(TYPES),
        }),
    }
}

/// Every object in `v`, as paths of keys and indexes.
fn objects(v: &Value, path: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    match v {
        Value::Object(map) => {
            out.push(path.clone());
            for (k, child) in map {
                path.push(PathStep::Key(k.clone()));
                objects(child, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                path.push(PathStep::Index(i));
                objects(child, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn at<'v>(v: &'v mut Value, path: &[PathStep]) -> &'v mut Map<String, Value> {
    let mut cur = v;
    for step in path {
        cur = match step {
            PathStep::Key(k) => cur.get_mut(k.as_str()).unwrap(),
            PathStep::Index(i) => cur.get_mut(*i).unwrap(),
        };
    }
    cur.as_object_mut().unwrap()
}

fn mutate(rng: &mut Rng, doc: &mut Value) {
    let mut all = Vec::new();
    objects(doc, &mut Vec::new(), &mut all);
    let path = rng.pick(&all).clone();
    let obj = at(doc, &path);
    let keys: Vec<String> = obj.keys().filter(|k| *k != "@context").cloned().collect();
    match rng.below(7) {
        0 | 1 => {
            let v = value(rng, 0);
            obj.insert((*rng.pick(KEYS)).to_owned(), v);
        }
        2 if !keys.is_empty() => {
            let k = rng.pick(&keys).clone();
            let v = value(rng, 0);
            obj.insert(k, v);
        }
        3 if !keys.is_empty() => {
            let k = rng.pick(&keys).clone();
            obj.remove(&k);
        }
        4 => {
            let t = if rng.below(2) == 0 {
                json!(*rng.pick(TYPES))
            } else {
                json!([*rng.pick(TYPES), *rng.pick(TYPES)])
            };
            obj.insert("type".into(), t);
        }
        5 => {
            obj.insert(
                (*rng.pick(&["id", "@id"])).into(),
                json!(*rng.pick(STRINGS)),
            );
        }
        _ if !keys.is_empty() => {
            let k = rng.pick(&keys).clone();
            let v = obj.remove(&k).unwrap();
            obj.insert(k, json!([v]));
        }
        _ => {}
    }
}

#[test]
fn fast_path_equals_oxjsonld_on_mutated_badges() {
    let cases: usize = std::env::var("HALLMARK_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(400);
    let mut seeds: Vec<Value> = badges().into_iter().map(Value::Object).collect();
    for (name, doc) in vectors() {
        if name.contains("ob3") || name.contains("rdfc") {
            seeds.push(Value::Object(doc));
        }
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut covered = 0;
    for case in 0..cases {
        let mut doc = rng.pick(&seeds).clone();
        for _ in 0..=rng.below(3) {
            mutate(&mut rng, &mut doc);
        }
        let doc = doc.as_object().unwrap();
        covered += usize::from(same(&format!("case {case}"), doc, Some("proof"), None));
    }
    eprintln!(
        "fast path covered {covered} of {cases} mutated documents; oxjsonld read two type scopes \
         differently on {}",
        DIVERGENT.load(std::sync::atomic::Ordering::Relaxed)
    );
    assert!(
        covered * 10 > cases,
        "the fast path should cover many mutations: {covered}/{cases}"
    );
}
