//! What each fuzz target checks, as plain functions over bytes that panic on a real failure
//! only. The libFuzzer targets (fuzz/fuzz_targets) call them, and so does
//! `crates/core/tests/fuzz_regressions.rs` (through `#[path]`) on every input under
//! fuzz/regressions and fuzz/corpus, so CI replays them without libFuzzer.
//!
//! This file uses nothing but `hallmark_core`, `oxrdf`, `serde_json`, `serde_json_canonicalizer`
//! and `time`, which both crates have.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use hallmark_core::badge;
use hallmark_core::did::{
    did_web_url, ControllerDocument, Did, Relationship, VerificationMethodId,
};
use hallmark_core::jcs;
use hallmark_core::json;
use hallmark_core::jsonld::{canonical_nquads_by, Limits, Processor};
use hallmark_core::keys::{KeyFile, PublicKey, SecretKey};
use hallmark_core::multibase::Multibase;
use hallmark_core::proof::{self, Cryptosuite, KeyLookupError, ProofOptions};
use hallmark_core::status::{
    Bitstring, StatusEntry, StatusList, StatusListSpec, StatusPurpose, MIN_ENTRIES,
};
use hallmark_core::trust::{TrustList, TrustedIssuer};
use hallmark_core::verify::{ResolveError, Resources, Verifier};
use hallmark_core::{CheckId, ErrorCode, Outcome, Report};
use serde_json::{json, Map, Value};
use time::macros::datetime;
use time::OffsetDateTime;

/// Every target with a check here, by name (the fuzz/corpus and fuzz/regressions folders).
pub const TARGETS: &[&str] = &[
    "json_strict",
    "verify_jcs",
    "verify_rdfc",
    "status_list",
    "jsonld_fast",
    "did_multibase",
    "rdfc_budget",
    "unbake",
];

/// Runs the check of `target` on `data`; `false` when no such target is known here.
pub fn run(target: &str, data: &[u8]) -> bool {
    match target {
        "json_strict" => json_strict(data),
        "verify_jcs" => verify(data, Cryptosuite::EddsaJcs2022),
        "verify_rdfc" => verify(data, Cryptosuite::EddsaRdfc2022),
        "status_list" => status_list(data),
        "jsonld_fast" => jsonld_fast(data),
        "did_multibase" => did_multibase(data),
        "rdfc_budget" => rdfc_budget(data),
        "unbake" => unbake(data),
        _ => return false,
    }
    true
}

// ---------------------------------------------------------------------------------------------
// json_strict

/// The strict parser never panics, and whatever it accepts `serde_json` reads as the same
/// value; the JCS writer then agrees with the reference RFC 8785 crate.
pub fn json_strict(data: &[u8]) {
    let _ = json::check_integer_literals(data);
    // The direct reader and the serde_json reference agree on everything, refusals included;
    // text it calls canonical is, without its proof, what the JCS writer writes.
    assert_eq!(
        json::parse(data),
        json::parse_reference(data),
        "the direct reader and the reference parser disagree"
    );
    if let Ok((value, Some([a, b]))) = json::parse_with_jcs(data) {
        let mut text = data[a].to_vec();
        text.extend_from_slice(&data[b]);
        let object = value.as_object().expect("JCS ranges only for an object");
        assert_eq!(
            String::from_utf8_lossy(&text),
            String::from_utf8_lossy(&jcs::object_to_vec(object, Some("proof"), None)),
            "the canonical text ranges are not the JCS form"
        );
    }
    let Ok(value) = json::parse(data) else {
        return;
    };
    let plain: Value = serde_json::from_slice(data)
        .unwrap_or_else(|e| panic!("the strict parser accepted what serde_json refuses: {e}"));
    assert_eq!(
        value, plain,
        "the strict parser and serde_json read different values"
    );
    if json::check_integer_range(&value).is_ok() {
        let ours = jcs::to_vec(&value);
        let reference = serde_json_canonicalizer::to_vec(&value).expect("the reference writes it");
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&reference),
            "JCS output differs from serde_json_canonicalizer"
        );
        // Canonical text is strict JSON whose canonical form is itself (numbers may change
        // type on the way, 2.0 becoming 2, as RFC 8785 writes them).
        let again = json::parse(&ours).expect("JCS output is strict JSON");
        assert_eq!(
            jcs::to_vec(&again),
            ours,
            "JCS of JCS output is not the same text"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// verify_jcs, verify_rdfc

/// The instant every verification runs at: the world's badges are valid then.
pub const NOW: OffsetDateTime = datetime!(2026-06-01 00:00 UTC);

/// The did:web issuer of the world, its DID document served at [`DID_WEB_URL`].
pub const DID_WEB: &str = "did:web:acme.example";
/// Where [`DID_WEB`]'s document is.
pub const DID_WEB_URL: &str = "https://acme.example/.well-known/did.json";

/// An in-memory world for one cryptosuite: an issuer key known as a did:key and as
/// [`DID_WEB`], its status lists, badges it signed, and what it signed, canonically.
pub struct World {
    /// The suite everything is signed with.
    pub suite: Cryptosuite,
    /// URL → bytes: the DID document and the status lists.
    pub resources: HashMap<String, Arc<[u8]>>,
    /// Fuzz inputs: signed badges, alone or with resources given in the input.
    pub seeds: Vec<Vec<u8>>,
    /// The issuer's public key.
    pub key: PublicKey,
    /// JCS text of each signed document without its proof.
    known_jcs: HashSet<Vec<u8>>,
    /// Canonical N-Quads (by the reference JSON-LD processor) of each, without its proof.
    known_rdfc: HashSet<String>,
}

const LISTS: &[(&str, StatusPurpose, u8)] = &[
    (
        "https://acme.example/status/revocation",
        StatusPurpose::Revocation,
        1,
    ),
    (
        "https://acme.example/status/suspension",
        StatusPurpose::Suspension,
        1,
    ),
    (
        "https://acme.example/status/message",
        StatusPurpose::Message,
        2,
    ),
];

fn entry(list: usize, index: u64) -> StatusEntry {
    let (url, purpose, status_size) = LISTS[list];
    StatusEntry {
        purpose,
        index,
        list_url: url.into(),
        status_size,
        messages: if status_size > 1 {
            (0..1u8 << status_size)
                .map(|v| (v, format!("message {v}")))
                .collect()
        } else {
            Vec::new()
        },
        reference: Vec::new(),
    }
}

fn reference_nquads(doc: &Map<String, Value>) -> Option<String> {
    canonical_nquads_by(
        doc,
        Some("proof"),
        None,
        &Limits::default(),
        Processor::Reference,
    )?
    .ok()
}

impl World {
    fn build(suite: Cryptosuite) -> Self {
        let secret = SecretKey::from_seed(&[0x5e; 32]);
        let key = secret.public_key();
        let did_key = Did::key(&key);
        let web_vm = format!("{DID_WEB}#key-1");
        let did_doc = json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": DID_WEB,
            "verificationMethod": [{
                "id": web_vm,
                "type": "Multikey",
                "controller": DID_WEB,
                "publicKeyMultibase": key.to_multibase().as_str(),
            }],
            "assertionMethod": [web_vm],
            "authentication": ["#key-1"],
        });
        let web_options = ProofOptions {
            cryptosuite: suite,
            verification_method: VerificationMethodId::parse(&web_vm).expect("a method id"),
            proof_purpose: Relationship::AssertionMethod,
            created: Some(datetime!(2026-01-15 09:00 UTC)),
        };
        let key_options = ProofOptions::did_key(&key, suite, Some(datetime!(2026-01-15 09:00 UTC)));
        let sign = |doc: Map<String, Value>, options: &ProofOptions| {
            proof::sign(doc, options, &secret).expect("the world signs")
        };

        let mut signed: Vec<Map<String, Value>> = Vec::new();
        let mut resources: HashMap<String, Arc<[u8]>> = HashMap::new();
        resources.insert(
            DID_WEB_URL.into(),
            serde_json::to_vec(&did_doc).unwrap().into(),
        );
        let mut list_bytes = Vec::new();
        for (i, (url, purpose, size)) in LISTS.iter().enumerate() {
            let mut bits = Bitstring::new(MIN_ENTRIES, *size).unwrap();
            bits.set(12, *size, 1).unwrap();
            if i == 2 {
                bits.set(3, *size, 2).unwrap();
            }
            let spec = StatusListSpec {
                url: (*url).into(),
                issuer: DID_WEB.into(),
                purpose: *purpose,
                valid_from: datetime!(2026-01-01 00:00 UTC),
                valid_until: None,
                ttl_ms: Some(300_000),
            };
            let list = sign(spec.build(&bits).unwrap().into_map(), &web_options);
            let bytes = serde_json::to_vec(&list).unwrap();
            resources.insert((*url).into(), bytes.clone().into());
            list_bytes.push(bytes);
            signed.push(list);
        }

        let web = Did::parse(DID_WEB).unwrap();
        let mut badges: Vec<(Map<String, Value>, bool)> = Vec::new();
        // did:web, revocation (clear) and suspension (clear) entries.
        let mut b = badge::example(&web);
        b.credential_status = vec![entry(0, 5).to_json(), entry(1, 7).to_json()];
        badges.push((sign(b.build().unwrap().into_map(), &web_options), true));
        // did:web, revoked, with a message entry.
        let mut b = badge::example(&web);
        b.credential_uuid = "0e1d2c3b-4a59-4877-8695-a4b3c2d1e0f9".into();
        b.credential_status = vec![entry(0, 12).to_json(), entry(2, 3).to_json()];
        badges.push((sign(b.build().unwrap().into_map(), &web_options), true));
        // did:key, no status, the example badge.
        let b = badge::example(&did_key);
        let plain = sign(b.build().unwrap().into_map(), &key_options);
        badges.push((plain.clone(), false));
        // did:key, minimal badge.
        let mut b = badge::example(&did_key);
        b.competencies.clear();
        b.exam = None;
        b.demo = None;
        b.evidence.clear();
        b.issuer.url = None;
        badges.push((sign(b.build().unwrap().into_map(), &key_options), false));
        // A proof set: the example badge signed again, by the did:web method.
        badges.push((sign(plain, &web_options), true));

        let mut seeds = Vec::new();
        for (doc, uses_web) in &badges {
            seeds.push(serde_json::to_vec_pretty(doc).unwrap());
            if *uses_web {
                // The same badge with the resources it needs given in the input, so that
                // mutations reach the DID document and status list readers too.
                let mut input = serde_json::to_vec(doc).unwrap();
                for (url, bytes) in [(DID_WEB_URL, serde_json::to_vec(&did_doc).unwrap())]
                    .into_iter()
                    .chain(LISTS.iter().map(|l| l.0).zip(list_bytes.iter().cloned()))
                {
                    if doc_mentions(doc, url) || url == DID_WEB_URL {
                        input.push(0);
                        input.extend_from_slice(url.as_bytes());
                        input.push(b'\n');
                        input.extend_from_slice(&bytes);
                    }
                }
                seeds.push(input);
            }
            signed.push(doc.clone());
        }

        // The corpora hold badges the world signed before badges carried an achievement
        // image (issue 12): the same documents without it are the world's too.
        let before_images: Vec<Map<String, Value>> = signed
            .iter()
            .filter_map(|d| {
                let mut d = d.clone();
                let achievement = d
                    .get_mut("credentialSubject")?
                    .get_mut("achievement")?
                    .as_object_mut()?;
                achievement.remove("image")?;
                Some(d)
            })
            .collect();
        signed.extend(before_images);
        let known_jcs = signed
            .iter()
            .map(|d| jcs::object_to_vec(d, Some("proof"), None))
            .collect();
        let known_rdfc = signed.iter().filter_map(reference_nquads).collect();
        Self {
            suite,
            resources,
            seeds,
            key,
            known_jcs,
            known_rdfc,
        }
    }

    /// The world of `suite`, built once per process.
    pub fn get(suite: Cryptosuite) -> &'static World {
        static JCS: OnceLock<World> = OnceLock::new();
        static RDFC: OnceLock<World> = OnceLock::new();
        let cell = if suite == Cryptosuite::EddsaJcs2022 {
            &JCS
        } else {
            &RDFC
        };
        cell.get_or_init(|| World::build(suite))
    }

    fn verifier(&self) -> Verifier {
        let mut trust = TrustList::new();
        for id in [DID_WEB.to_owned(), Did::key(&self.key).to_string()] {
            trust.add(TrustedIssuer {
                id,
                name: Some("Acme".into()),
            });
        }
        Verifier::new(NOW).trust(trust)
    }
}

fn doc_mentions(doc: &Map<String, Value>, text: &str) -> bool {
    serde_json::to_string(doc).unwrap().contains(text)
}

/// The world's resources, with those the fuzz input gives in their place.
struct InputResources<'a> {
    world: &'a World,
    given: HashMap<String, Arc<[u8]>>,
}

impl Resources for InputResources<'_> {
    fn fetch(&self, url: &str) -> Result<Arc<[u8]>, ResolveError> {
        self.given
            .get(url)
            .or_else(|| self.world.resources.get(url))
            .cloned()
            .ok_or_else(|| ResolveError {
                undecided: true,
                detail: format!("{url} is not in the fuzz world"),
            })
    }
}

/// A `\0URL\nBYTES` section of a verify input: the URL and the bytes served there.
pub type Section<'a> = (&'a [u8], &'a [u8]);

/// Splits a verify input: the credential, then `\0URL\nBYTES` sections that serve BYTES at URL
/// in place of the world's (JSON text never holds a raw NUL, so the split is unambiguous).
pub fn split_sections(data: &[u8]) -> (&[u8], Vec<Section<'_>>) {
    let mut parts = data.split(|b| *b == 0);
    let credential = parts.next().unwrap_or_default();
    let sections = parts
        .map(|p| match p.iter().position(|b| *b == b'\n') {
            Some(i) => (&p[..i], &p[i + 1..]),
            None => (p, &p[..0]),
        })
        .collect();
    (credential, sections)
}

/// The report of a verify input, checked to be the same when verified again (the second time
/// from the verifier's caches).
pub fn verify_report(data: &[u8], suite: Cryptosuite) -> Report {
    let world = World::get(suite);
    let (credential, sections) = split_sections(data);
    let given = sections
        .into_iter()
        .map(|(url, bytes)| (String::from_utf8_lossy(url).into_owned(), Arc::from(bytes)))
        .collect();
    let resources = InputResources { world, given };
    let verifier = world.verifier();
    let report = verifier.verify_bytes(credential, &resources);
    let _ = report.to_json();
    let again = verifier.verify_bytes(credential, &resources);
    assert_eq!(
        comparable(&again),
        comparable(&report),
        "a second verification (cached documents and lists) reported differently"
    );
    report
}

/// A report with the detail of a JSON-LD processor's error cut to "not valid JSON-LD": on a
/// document with several JSON-LD errors, oxjsonld names one, and which one depends on the
/// hash order of its maps, which differs between calls (a result that fell out of the
/// canonical-hash cache is computed again). Verdict, outcomes, codes and every other detail
/// must still be the same. Found by verify_rdfc: fuzz/regressions/verify_rdfc/
/// second-verification-names-another-json-ld-error.
fn comparable(report: &Report) -> Report {
    let mut report = report.clone();
    for check in &mut report.checks {
        if let Some(at) = check.detail.find("not valid JSON-LD: ") {
            check.detail.truncate(at + "not valid JSON-LD".len());
        }
    }
    report
}

/// The whole verification pipeline on the input, with the world's DID document and status
/// lists in memory. Never panics; and whenever a proof by the world's key verifies, the
/// document is, canonically, one the world signed (a changed document that still verifies
/// is a forgery).
pub fn verify(data: &[u8], suite: Cryptosuite) {
    let world = World::get(suite);
    let report = verify_report(data, suite);
    let (credential, _) = split_sections(data);
    for check in &report.checks {
        if check.outcome == Outcome::Passed {
            assert!(
                check.code.is_none(),
                "a passed check carries a code: {check:?}"
            );
        }
    }
    let proof_passed = report
        .check(CheckId::Proof)
        .is_some_and(|c| c.outcome == Outcome::Passed);
    if !proof_passed {
        return;
    }
    let Ok(Value::Object(doc)) = json::parse(credential) else {
        panic!("the proof check passed on input the strict parser refuses");
    };
    // Which proofs the world's own key made, verified again with that key only.
    let mut world_key = |vm: &VerificationMethodId| -> Result<PublicKey, KeyLookupError> {
        let ours = vm.as_str() == format!("{DID_WEB}#key-1")
            || vm
                .as_str()
                .starts_with(&format!("{}#", Did::key(&world.key)));
        if ours {
            Ok(world.key)
        } else {
            Err(KeyLookupError {
                code: ErrorCode::InvalidVerificationMethod,
                detail: "not the world's key".into(),
                undecided: false,
            })
        }
    };
    let Ok(results) = proof::verify(&doc, Relationship::AssertionMethod, NOW, &mut world_key)
    else {
        return;
    };
    for r in results.iter().filter(|r| r.outcome.is_ok()) {
        match r.cryptosuite.as_deref() {
            Some("eddsa-jcs-2022") => {
                // VC-DI-EdDSA §3.3.2: a proof's own @context (a prefix of the document's)
                // replaces the document's when hashing, so entries appended after it are not
                // signed (the verify_jcs run found this; it is the suite's rule).
                let proof_contexts: Vec<Option<&Value>> = match doc.get("proof") {
                    Some(Value::Object(p)) => vec![p.get("@context")],
                    Some(Value::Array(set)) => set
                        .iter()
                        .map(|p| p.as_object().and_then(|p| p.get("@context")))
                        .collect(),
                    _ => vec![None],
                };
                assert!(
                    std::iter::once(None)
                        .chain(proof_contexts)
                        .any(|c| world
                            .known_jcs
                            .contains(&jcs::object_to_vec(&doc, Some("proof"), c))),
                    "an eddsa-jcs-2022 proof by the world's key verified on a document it never signed"
                )
            }
            Some("eddsa-rdfc-2022") => {
                let nquads = reference_nquads(&doc);
                assert!(
                    nquads
                        .as_ref()
                        .is_some_and(|n| world.known_rdfc.contains(n)),
                    "an eddsa-rdfc-2022 proof by the world's key verified on a document whose \
                     reference N-Quads it never signed: {nquads:?}"
                );
            }
            other => panic!("a proof of suite {other:?} verified"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// status_list

/// The largest list the status target inflates (the verifier's default is 16 MiB; 1 MiB keeps
/// executions fast while still far past any compressed input libFuzzer makes).
pub const STATUS_MAX_BYTES: usize = 1 << 20;

/// The Bitstring Status List readers never panic and stay within [`STATUS_MAX_BYTES`]; what
/// decodes re-encodes to the same bits, and an entry re-read from its JSON is the same entry.
/// JSON input is read as a status list credential (and its entries); other input as an
/// `encodedList`.
pub fn status_list(data: &[u8]) {
    match json::parse(data) {
        Ok(Value::Object(map)) => {
            if let Ok(list) = StatusList::read(&map, STATUS_MAX_BYTES) {
                bitstring_checks(&list.bitstring);
            }
            let mut entries = StatusEntry::read_all(&map);
            // The object itself, as an entry.
            entries.push(StatusEntry::read(&Value::Object(map.clone())));
            for entry in entries.into_iter().flatten() {
                let again = StatusEntry::read(&entry.to_json());
                assert_eq!(again.as_ref(), Ok(&entry), "an entry re-read from its JSON");
            }
        }
        Ok(other) => {
            let _ = StatusEntry::read(&other);
            if let Some(text) = other.as_str() {
                encoded_list(text);
            }
        }
        Err(_) => encoded_list(&String::from_utf8_lossy(data)),
    }
}

fn encoded_list(text: &str) {
    let Ok(bits) = Bitstring::decode(text, STATUS_MAX_BYTES) else {
        return;
    };
    assert!(bits.as_bytes().len() <= STATUS_MAX_BYTES);
    bitstring_checks(&bits);
    let again = Bitstring::decode(&bits.encode(), STATUS_MAX_BYTES);
    assert_eq!(again.as_ref(), Ok(&bits), "decode(encode(bits))");
}

fn bitstring_checks(bits: &Bitstring) {
    for size in 1..=8u8 {
        let entries = bits.entries(size);
        assert_eq!(entries, bits.len_bits() / usize::from(size));
        let _ = bits.check_length(size);
        if entries > 0 {
            let last = entries as u64 - 1;
            let value = bits.get(last, size).expect("the last entry reads");
            assert!(u16::from(value) < 1 << size);
            let mut copy = bits.clone();
            copy.set(last, size, value)
                .expect("writing back what was read");
            assert_eq!(&copy, bits);
        }
        assert!(bits.get(entries as u64, size).is_err());
        assert!(bits.get(u64::MAX, size).is_err());
    }
    assert!(bits.get(0, 0).is_err() && bits.get(0, 9).is_err());
}

// ---------------------------------------------------------------------------------------------
// jsonld_fast

/// Limits for the differential target: the defaults, but a smaller canonicalization budget so
/// that blank-node-heavy inputs are refused quickly rather than slowing the fuzzer.
fn jsonld_limits() -> Limits {
    Limits::default().max_work(20_000)
}

/// Whenever the JSON-LD fast path takes a document, its canonical N-Quads equal those of the
/// reference (oxjsonld) processor, error for error. Checks the input without its `proof` and
/// each proof configuration under the input's `@context`, as verification does.
pub fn jsonld_fast(data: &[u8]) {
    let Ok(Value::Object(doc)) = json::parse(data) else {
        return;
    };
    same_dataset(&doc, Some("proof"), None);
    let proofs: Vec<&Map<String, Value>> = match doc.get("proof") {
        Some(Value::Object(p)) => vec![p],
        Some(Value::Array(set)) => set.iter().filter_map(Value::as_object).collect(),
        _ => Vec::new(),
    };
    for p in proofs {
        same_dataset(p, Some("proofValue"), doc.get("@context"));
    }
}

fn same_dataset(doc: &Map<String, Value>, without: Option<&str>, context: Option<&Value>) {
    let limits = jsonld_limits();
    let Some(fast) = canonical_nquads_by(doc, without, context, &limits, Processor::Fast) else {
        return;
    };
    let reference = canonical_nquads_by(doc, without, context, &limits, Processor::Reference)
        .expect("the reference processor always answers");
    if fast == reference {
        return;
    }
    // oxjsonld 0.2 reads two steps of expansion otherwise than the specification and jsonld.js
    // (see crates/core/tests/jsonld_fast.rs); read its way the fast path must agree exactly.
    let compat = canonical_nquads_by(doc, without, context, &limits, Processor::FastAsOxjsonld);
    if compat.as_ref() == Some(&reference) {
        return;
    }
    panic!(
        "the fast path and oxjsonld differ\nfast: {fast:?}\noxjsonld: {reference:?}\ndocument: {}",
        serde_json::to_string(doc).unwrap_or_default()
    );
}

// ---------------------------------------------------------------------------------------------
// did_multibase

/// DID, DID URL, did:web, multibase and Multikey parsing never panic; what decodes encodes
/// back to the same text; JSON input is also read as a controller document and a key file.
pub fn did_multibase(data: &[u8]) {
    if let Ok(value) = json::parse(data) {
        if let Ok(doc) = ControllerDocument::from_json(&value) {
            let id = doc.id.clone();
            let _ = doc.method(&id);
            let _ = doc.has_relationship(&id, Relationship::AssertionMethod);
        }
        if let Ok(file) = KeyFile::from_json(data) {
            assert_eq!(file.public_key(), file.secret_key().public_key());
        }
        if let Some(text) = value.as_str() {
            identifiers(text);
        }
    }
    identifiers(&String::from_utf8_lossy(data));
}

fn identifiers(text: &str) {
    let _ = hallmark_core::did::is_absolute_url(text);
    if let Ok(did) = Did::parse(text) {
        assert_eq!(did.as_str(), text);
        assert!(!did.method().is_empty());
        if let Ok(url) = did_web_url(&did) {
            assert!(
                url.starts_with("https://") && url.ends_with("did.json"),
                "{url}"
            );
        }
        if let Ok(doc) = ControllerDocument::did_key(&did) {
            assert_eq!(doc.id, text);
            let key = text.strip_prefix("did:key:").expect("a did:key");
            let vm = format!("{text}#{key}");
            assert!(doc.has_relationship(&vm, Relationship::AssertionMethod));
            assert!(doc.method(&vm).is_some_and(|m| m.key.is_ok()));
        }
    }
    if let Ok(vm) = VerificationMethodId::parse(text) {
        assert!(text.starts_with(vm.controller_document_id()));
    }
    if let Ok(bytes) = Multibase::decode_base58btc(text) {
        assert_eq!(
            Multibase::encode_base58btc(&bytes).as_str(),
            text,
            "base58btc round trip"
        );
    }
    if let Ok(key) = PublicKey::from_multibase(text) {
        assert_eq!(
            key.to_multibase().as_str(),
            text,
            "publicKeyMultibase round trip"
        );
        let did = Did::key(&key);
        let doc = ControllerDocument::did_key(&did).expect("the did:key of a key resolves");
        assert_eq!(doc.id, did.as_str());
    }
    if let Ok(secret) = SecretKey::from_multibase(text) {
        assert_eq!(
            secret.to_multibase().expose(),
            text,
            "secretKeyMultibase round trip"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// rdfc_budget

/// The work cap of the `rdfc_budget` target, in steps: small, so that poisoned datasets are
/// stopped quickly and the fuzzer keeps its pace.
const RDFC_FUZZ_STEPS: u64 = 5_000;

/// Most bytes hashed for one step (`crates/core/tests/rdfc.rs` asserts the same bound).
const RDFC_MAX_BYTES_PER_STEP: u64 = 1024;

/// A dataset from bytes, four a quad (subject, predicate, object, graph) over eight blank nodes
/// and a few IRIs and literals, so that blank nodes collide in every position.
pub fn rdfc_dataset(data: &[u8]) -> Vec<oxrdf::Quad> {
    use oxrdf::{BlankNode, GraphName, Literal, NamedNode, NamedOrBlankNode, Quad, Term};
    let iri = |s: String| NamedNode::new_unchecked(format!("https://example.org/{s}"));
    let blank = |b: u8| BlankNode::new_unchecked(format!("n{}", b % 8));
    data.chunks_exact(4)
        .take(64)
        .map(|c| {
            let subject: NamedOrBlankNode = if c[0] < 0xE0 {
                blank(c[0]).into()
            } else {
                iri(format!("s{}", c[0] % 4)).into()
            };
            let predicate = iri(format!("p{}", c[1] % 3));
            let object: Term = match c[2] % 16 {
                0..=9 => blank(c[2] / 16).into(),
                10..=12 => iri(format!("o{}", c[2] % 2)).into(),
                13 => Literal::new_simple_literal("v").into(),
                14 => Literal::new_language_tagged_literal_unchecked("é \"q\"\n\t", "en").into(),
                _ => Literal::new_typed_literal("1", iri("t".into())).into(),
            };
            let graph = match c[3] % 8 {
                0..=4 => GraphName::DefaultGraph,
                5 | 6 => GraphName::BlankNode(blank(c[3] / 8)),
                _ => GraphName::NamedNode(iri("g".into())),
            };
            Quad::new(subject, predicate, object, graph)
        })
        .collect()
}

/// RDFC-1.0 under a work cap: it never runs past the cap, a step never stands for more than
/// [`RDFC_MAX_BYTES_PER_STEP`] bytes hashed, the output is the input relabelled, and the
/// blank nodes' names do not change it.
pub fn rdfc_budget(data: &[u8]) {
    use hallmark_core::jsonld::{canonicalize_dataset, JsonLdError};
    let quads = rdfc_dataset(data);
    let limits = Limits::default().max_work(RDFC_FUZZ_STEPS);
    let (canonical, work) = match canonicalize_dataset(quads.clone(), &limits) {
        Ok(done) => done,
        Err(JsonLdError::WorkBudgetExceeded { estimate, budget }) => {
            assert_eq!(budget, RDFC_FUZZ_STEPS);
            // Stopped at the step that crossed the cap (a step is at most a few units).
            assert!(estimate <= RDFC_FUZZ_STEPS + 64, "{estimate} steps spent");
            return;
        }
        Err(e) => panic!("unexpected error: {e}"),
    };
    assert!(work.steps <= RDFC_FUZZ_STEPS);
    assert!(
        work.hashed_bytes <= RDFC_MAX_BYTES_PER_STEP * work.steps.max(1),
        "{work:?}: a step hid unbounded work"
    );
    // The output is the input relabelled: the same quads, once each, blank nodes aside.
    let mut input: Vec<String> = quads.iter().map(|q| format!("{q} .\n")).collect();
    input.sort_unstable();
    input.dedup();
    let mut input: Vec<String> = input.iter().map(|l| unlabelled(l)).collect();
    input.sort_unstable();
    let mut output: Vec<String> = canonical.split_inclusive('\n').map(unlabelled).collect();
    output.sort_unstable();
    assert_eq!(
        input, output,
        "the canonical form is not the input relabelled"
    );
    // Blank node names do not matter (their order of appearance does, in RDFC-1.0's ties:
    // blank nodes that only the graph names of their quads tell apart are numbered by input
    // order, in jsonld.js's rdf-canonize too, so reordering the quads is not checked).
    let rename = |b: &oxrdf::BlankNode| oxrdf::BlankNode::new_unchecked(format!("x{}", b.as_str()));
    let renamed: Vec<oxrdf::Quad> = quads
        .iter()
        .map(|q| {
            oxrdf::Quad::new(
                match &q.subject {
                    oxrdf::NamedOrBlankNode::BlankNode(b) => rename(b).into(),
                    other => other.clone(),
                },
                q.predicate.clone(),
                match &q.object {
                    oxrdf::Term::BlankNode(b) => rename(b).into(),
                    other => other.clone(),
                },
                match &q.graph_name {
                    oxrdf::GraphName::BlankNode(b) => oxrdf::GraphName::BlankNode(rename(b)),
                    other => other.clone(),
                },
            )
        })
        .collect();
    let (again, same_work) = canonicalize_dataset(renamed, &limits).expect("the same work");
    assert_eq!(
        canonical, again,
        "the canonical form depends on blank node names"
    );
    assert_eq!(work, same_work);
}

/// An N-Quads line with every blank node label (`_:name`) cut to `_:`.
fn unlabelled(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find("_:") {
        out.push_str(&rest[..at + 2]);
        rest = rest[at + 2..].trim_start_matches(|c: char| c.is_ascii_alphanumeric());
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------------------------
// unbake

use hallmark_core::baked;

/// A 1×1 grayscale PNG.
const UNBAKE_PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\0\0\0\0\x3a\x7e\x9b\x55\0\0\0\x0aIDATx\x01c`\0\0\0\x02\0\x01\x73\x75\x01\x18\0\0\0\0IEND\xaeB`\x82";

/// The `unbake` target: see fuzz_targets/unbake.rs.
pub fn unbake(data: &[u8]) {
    // Bake whatever the input is as a credential text, and read it back.
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(png) = baked::bake_png(UNBAKE_PNG, text) {
            assert_eq!(
                baked::unbake(&png).ok().flatten().as_deref(),
                compact_jws_or(text, data)
            );
        }
        if let Ok(svg) = baked::bake_svg("<svg xmlns=\"http://www.w3.org/2000/svg\"/>", text) {
            let back = baked::unbake(svg.as_bytes());
            if !text.trim().is_empty() {
                assert_eq!(back.ok().flatten().as_deref(), compact_jws_or(text, data));
            }
        }
    }
    // Read the input as an image: any answer but a panic.
    if let Ok(Some(json)) = baked::unbake(data) {
        assert!(json.len() <= data.len());
    }
}

/// What unbake returns for a baked `text`: nothing for a compact JWS (refused), else the bytes.
fn compact_jws_or<'a>(text: &str, data: &'a [u8]) -> Option<&'a [u8]> {
    let t = text.trim_ascii();
    let jws = !t.is_empty()
        && t.matches('.').count() == 2
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'='));
    (!jws).then_some(data)
}
