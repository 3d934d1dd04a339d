//! The JSON-LD and RDFC-1.0 half of [`super`], built with the `rdfc` feature: JSON-LD 1.1 to
//! RDF (the fast path, `oxjsonld` behind it) and canonical N-Quads. Without the feature (the
//! browser's jcs-only build) an `eddsa-rdfc-2022` proof is refused as not built in.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::fmt::Write as _;

use oxjsonld::{JsonLdParser, JsonLdRemoteDocument};
use oxrdf::{BlankNode, GraphNameRef, NamedOrBlankNodeRef, Quad, QuadRef, TermRef};
use serde_json::{Map, Value};

use super::*;
use crate::jcs;

/// The canonical N-Quads (RDFC-1.0, every line ending in `\n`) of `object`, leaving out the
/// top-level member `without` and, when `context` is given, using it as the `@context`.
///
/// # Errors
/// [`JsonLdError`]: undefined terms (data loss), relative IRIs, contexts that are not pinned,
/// invalid JSON-LD, and the [`Limits`].
pub fn canonical_nquads(
    object: &Map<String, Value>,
    without: Option<&str>,
    context: Option<&Value>,
    limits: &Limits,
) -> Result<String, JsonLdError> {
    let (text, contexts) = prepare(object, without, context, limits, Screening::Now)?;
    canonicalize_quads(quads(object, without, &contexts, &text)?, limits)
}

/// Which JSON-LD processor [`canonical_nquads_by`] runs.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Processor {
    /// The processed-context fast path ([`canonical_hash`] tries it first).
    Fast,
    /// The fast path reading steps 7 and 11.2 of JSON-LD 1.1 API §5.1.2 as `oxjsonld` 0.2 does
    /// (a node of `@id` and `@type` entries keeps a type-scoped context; each type-scoped
    /// context is applied to the context before any type's), where jsonld.js and the
    /// specification read otherwise; see [`fast`].
    FastAsOxjsonld,
    /// `oxjsonld`, the reference.
    Reference,
}

/// [`canonical_nquads`] by one processor only, for the differential tests that hold the fast
/// path to `oxjsonld`: `None` when the fast path does not cover the document (or, for
/// [`Processor::Fast`], finds a sentinel: an undefined term or a relative IRI).
#[doc(hidden)]
pub fn canonical_nquads_by(
    object: &Map<String, Value>,
    without: Option<&str>,
    context: Option<&Value>,
    limits: &Limits,
    processor: Processor,
) -> Option<Result<String, JsonLdError>> {
    let (text, contexts) = match prepare(object, without, context, limits, Screening::Now) {
        Ok(prepared) => prepared,
        Err(e) => return Some(Err(e)),
    };
    let quads = match processor {
        Processor::Fast | Processor::FastAsOxjsonld => {
            let as_oxjsonld = processor == Processor::FastAsOxjsonld;
            let quads = fast::to_rdf(object, without, &contexts, as_oxjsonld)?;
            match check_sentinels(&quads) {
                Ok(()) => Ok(quads),
                Err(e) if as_oxjsonld => Err(e),
                Err(_) => return None,
            }
        }
        Processor::Reference => to_rdf(&text).and_then(|q| check_sentinels(&q).map(|()| q)),
    };
    Some(quads.and_then(|q| canonicalize_quads(q, limits)))
}

/// SHA-256 of [`canonical_nquads`] (final newline included), as VC-DI-EdDSA §3.2.4 hashes
/// it, remembered: a document that was canonicalized before (the same JSON-LD input bytes
/// under the same limits; a badge verified again, a status list re-checked) costs a JCS
/// serialization and a hash lookup instead of JSON-LD processing. Errors are remembered too.
/// Results are kept in [`Limits::hashes`], when the caller gives a cache.
///
/// # Errors
/// As [`canonical_nquads`].
pub fn canonical_hash(
    object: &Map<String, Value>,
    without: Option<&str>,
    context: Option<&Value>,
    limits: &Limits,
) -> Result<[u8; 32], JsonLdError> {
    use sha2::{Digest, Sha256};
    let (text, contexts) = prepare(object, without, context, limits, Screening::OnCacheMiss)?;
    let key = cache_key(&text, limits);
    if let Some(found) = cached(limits, &key) {
        return found;
    }
    let result = screen(object, without, context)
        .and_then(|()| budget_left(limits))
        .and_then(|()| quads(object, without, &contexts, &text))
        .and_then(|q| canonicalize_quads(q, limits))
        .map(|nq| Sha256::digest(nq.as_bytes()).into());
    remember(limits, key, &result);
    result
}

/// The canonical hashes of a proof configuration and of the document it secures, both under
/// `context` (VC-DI-EdDSA §3.2.5 gives the proof configuration the document's `@context`),
/// from **one** JSON-LD pass when neither is cached: the two are expanded together, the
/// configuration inside a named graph that is then taken apart, and each half is canonicalized
/// on its own, so the contexts are processed once instead of twice. The results equal two
/// [`canonical_hash`] calls (and share its cache); anything unusual (a top-level `@graph` or
/// `@included`, an error of the JSON-LD pass) takes the two-call path, so errors are reported
/// exactly. A half refused by a limit is that half's result, as its own call would give it.
///
/// Returns `(configuration hash, document hash)`.
pub fn canonical_hash_pair(
    config: &Map<String, Value>,
    config_without: Option<&str>,
    document: &Map<String, Value>,
    document_without: Option<&str>,
    context: &Value,
    limits: &Limits,
) -> (Result<[u8; 32], JsonLdError>, Result<[u8; 32], JsonLdError>) {
    let separate = || {
        (
            canonical_hash(config, config_without, Some(context), limits),
            canonical_hash(document, document_without, Some(context), limits),
        )
    };
    // The fast path processes the contexts once per process: two passes cost nothing extra.
    if let (Some(c), Some(d)) = (
        fast_hash(config, config_without, context, limits),
        fast_hash(document, document_without, context, limits),
    ) {
        return (c, d);
    }
    let unusual = |m: &Map<String, Value>| m.contains_key("@graph") || m.contains_key("@included");
    if unusual(config) || unusual(document) {
        return separate();
    }
    let (Ok((config_text, _)), Ok((document_text, _))) = (
        prepare(
            config,
            config_without,
            Some(context),
            limits,
            Screening::Now,
        ),
        prepare(
            document,
            document_without,
            Some(context),
            limits,
            Screening::Now,
        ),
    ) else {
        return separate();
    };
    let (config_key, document_key) = (
        cache_key(&config_text, limits),
        cache_key(&document_text, limits),
    );
    if cached(limits, &config_key).is_some()
        || cached(limits, &document_key).is_some()
        || budget_left(limits).is_err()
    {
        return separate();
    }
    let Some((config_hash, document_hash)) = combined(
        config,
        config_without,
        document,
        document_without,
        context,
        limits,
    ) else {
        return separate();
    };
    // A half refused by a limit is final: its dataset is the one `canonical_hash` would
    // canonicalize, so doing it again would only spend the request's budget twice (and
    // report the budget instead of the document's own refusal).
    remember(limits, config_key, &config_hash);
    remember(limits, document_key, &document_hash);
    (config_hash, document_hash)
}

/// The named graph the proof configuration is expanded into by [`canonical_hash_pair`].
pub(super) const CONFIG_GRAPH: &str = "urn:hallmark:proof-configuration-graph";

pub(super) fn combined(
    config: &Map<String, Value>,
    config_without: Option<&str>,
    document: &Map<String, Value>,
    document_without: Option<&str>,
    context: &Value,
    limits: &Limits,
) -> Option<(HashResult, HashResult)> {
    use sha2::{Digest, Sha256};
    let strip = |m: &Map<String, Value>, without: Option<&str>| -> Value {
        Value::Object(
            m.iter()
                .filter(|(k, _)| k.as_str() != "@context" && Some(k.as_str()) != without)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    };
    let contexts = with_sentinel(Some(context));
    let both = serde_json::json!({
        "@context": contexts,
        "@graph": [
            strip(document, document_without),
            { "@id": CONFIG_GRAPH, "@graph": [strip(config, config_without)] }
        ]
    });
    let text = serde_json::to_vec(&both).ok()?;
    let quads = to_rdf(&text).ok()?;
    check_sentinels(&quads).ok()?;
    let (config_quads, document_quads): (Vec<Quad>, Vec<Quad>) = quads.into_iter().partition(
        |q| matches!(&q.graph_name, oxrdf::GraphName::NamedNode(n) if n.as_str() == CONFIG_GRAPH),
    );
    let config_quads = config_quads
        .into_iter()
        .map(|q| {
            Quad::new(
                q.subject,
                q.predicate,
                q.object,
                oxrdf::GraphName::DefaultGraph,
            )
        })
        .collect();
    // Only the limits can refuse from here on (blank nodes, the estimate, the meter).
    let hash = |nq: String| -> [u8; 32] { Sha256::digest(nq.as_bytes()).into() };
    let config_hash = canonicalize_quads(config_quads, limits).map(hash);
    let document_hash = canonicalize_quads(document_quads, limits).map(hash);
    Some((config_hash, document_hash))
}

pub(super) fn cache_key(text: &[u8], limits: &Limits) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut key = Sha256::new();
    for n in [
        limits.max_document_bytes as u64,
        limits.max_depth as u64,
        limits.max_blank_nodes as u64,
        limits.max_work,
    ] {
        key.update(n.to_le_bytes());
    }
    key.update(text);
    key.finalize().into()
}

pub(super) fn cached(limits: &Limits, key: &[u8; 32]) -> Option<HashResult> {
    let cache = limits.hashes.as_deref()?;
    cache.map.lock().ok()?.get(key).cloned()
}

/// Refuses to start on a document once the request's budget is spent (JSON-LD expansion is
/// not metered step by step; bounded by the document's size, it still should not run for a
/// request whose budget is gone, e.g. one past its deadline: [`WorkBudget::exhaust`]).
pub(super) fn budget_left(limits: &Limits) -> Result<(), JsonLdError> {
    match &limits.budget {
        Some(shared) if shared.spent() >= shared.total() => {
            Err(JsonLdError::RequestBudgetExhausted {
                budget: shared.total(),
            })
        }
        _ => Ok(()),
    }
}

/// Keeps a result for [`canonical_hash`] in the limits' cache, but not a spent request budget
/// (another request, with budget left, may succeed). Bytes are bounded: the cache's entries,
/// and what an error quotes of the input is clipped ([`clip`]).
pub(super) fn remember(limits: &Limits, key: [u8; 32], result: &HashResult) {
    if let Err(JsonLdError::RequestBudgetExhausted { .. }) = result {
        return;
    }
    let Some(cache) = limits.hashes.as_deref() else {
        return;
    };
    if cache.capacity == 0 {
        return;
    }
    if let Ok(mut map) = cache.map.lock() {
        if map.len() >= cache.capacity {
            map.clear();
        }
        map.insert(key, result.clone());
    }
}

/// At most [`MAX_QUOTED`] bytes of an error's text (what it quotes of the input: a term, an IRI,
/// a JSON-LD processor's message), cut at a character boundary with `…`.
pub(super) fn clip(text: &str) -> String {
    if text.len() <= MAX_QUOTED {
        return text.to_owned();
    }
    let mut end = MAX_QUOTED;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Term definitions all the inline contexts of one document may hold: a chain of compact IRIs
/// (each term defined by the next) recurses once per term when processed, and a long one
/// overflowed a server thread's stack.
pub(super) const MAX_INLINE_TERMS: usize = 256;

/// Remote (pinned) contexts inline contexts may name in all: a type-scoped context naming the
/// pinned contexts many times, applied to many nodes, cost seconds of expansion.
pub(super) const MAX_INLINE_REMOTE: usize = 2;

/// The JSON-LD 1.1 keywords (JSON-LD 1.1 §1.7), for keys that look like one.
pub(super) const KEYWORDS: &[&str] = &[
    "@base",
    "@container",
    "@context",
    "@direction",
    "@graph",
    "@id",
    "@import",
    "@included",
    "@index",
    "@json",
    "@language",
    "@list",
    "@nest",
    "@none",
    "@prefix",
    "@propagate",
    "@protected",
    "@reverse",
    "@set",
    "@type",
    "@value",
    "@version",
    "@vocab",
];

/// What [`prepare`] refuses before any JSON-LD processing: data that expansion or RDF would
/// drop silently, and inline contexts beyond the caps above.
#[derive(Default)]
pub(super) struct Screen {
    inline_terms: usize,
    inline_remote: usize,
}

impl Screen {
    fn member(&mut self, key: &str, value: &Value) -> Result<(), JsonLdError> {
        let dropped = |what: String| Err(JsonLdError::Dropped { what: clip(&what) });
        if key.starts_with('@') && (!KEYWORDS.contains(&key) || key == "@index") {
            return dropped(format!("the key {key:?}"));
        }
        match (key, value) {
            ("@context", c) => return self.context(c),
            ("id" | "@id", Value::String(iri)) if !is_iri_text(iri) => {
                return dropped(format!("the node {iri:?} (not a valid IRI)"));
            }
            ("type" | "@type", v) => {
                for t in as_slice(v).iter().filter_map(Value::as_str) {
                    if !is_iri_text(t) {
                        return dropped(format!("the type {t:?} (not a valid IRI or term)"));
                    }
                }
            }
            _ => {}
        }
        self.value(value)
    }

    fn value(&mut self, value: &Value) -> Result<(), JsonLdError> {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    self.member(k, v)?;
                }
            }
            Value::Array(items) => {
                for v in items {
                    self.value(v)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Counts an `@context` value's inline term definitions and the remote contexts they name.
    fn context(&mut self, value: &Value) -> Result<(), JsonLdError> {
        match value {
            Value::Array(items) => {
                for v in items {
                    self.context(v)?;
                }
            }
            Value::Object(map) => {
                for (k, v) in map {
                    if k == "@import" {
                        // Each use of a term whose scoped context imports one re-processes
                        // the imported context; the fast path does not take it, and the
                        // reference processor cannot be metered: refused, as no credential
                        // needs it.
                        return Err(JsonLdError::ContextTooLarge(
                            "an inline context uses @import, which Hallmark does not process"
                                .into(),
                        ));
                    }
                    if !k.starts_with('@') {
                        self.inline_terms += 1;
                    }
                    if let Value::Object(def) = v {
                        if let Some(scoped) = def.get("@context") {
                            self.scoped(scoped)?;
                        }
                    }
                    if k == "@context" {
                        self.scoped(v)?;
                    }
                }
            }
            _ => {}
        }
        if self.inline_terms > MAX_INLINE_TERMS {
            return Err(JsonLdError::ContextTooLarge(format!(
                "over {MAX_INLINE_TERMS} term definitions"
            )));
        }
        Ok(())
    }

    /// A context inside an inline context: its remote contexts count too.
    fn scoped(&mut self, value: &Value) -> Result<(), JsonLdError> {
        for v in as_slice(value) {
            if v.is_string() {
                self.inline_remote += 1;
            }
        }
        if self.inline_remote > MAX_INLINE_REMOTE {
            return Err(JsonLdError::ContextTooLarge(format!(
                "scoped contexts name over {MAX_INLINE_REMOTE} remote contexts"
            )));
        }
        self.context(value)
    }
}

pub(super) fn as_slice(v: &Value) -> &[Value] {
    match v {
        Value::Array(items) => items,
        other => std::slice::from_ref(other),
    }
}

/// Whether an id or type could be an IRI (RFC 3987): none of the characters IRIs exclude,
/// and `%` only before two hex digits. Blank node ids and terms pass; their meaning is the
/// JSON-LD processor's to decide.
pub(super) fn is_iri_text(text: &str) -> bool {
    let bytes = text.as_bytes();
    // Bytes first (every request's ids and types pass here); only non-ASCII text is decoded.
    let ascii_ok = bytes.iter().enumerate().all(|(i, &b)| match b {
        0x00..=0x20 | 0x7f => false,
        b'<' | b'>' | b'"' | b'{' | b'}' | b'|' | b'\\' | b'^' | b'`' => false,
        b'%' => {
            bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
        }
        _ => true,
    });
    !text.is_empty()
        && ascii_ok
        && (text.is_ascii()
            || !text.chars().any(|c| {
                c.is_control()
                    || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
            }))
}

/// [`canonical_hash`] when it is remembered or [`fast`] covers the document (its `@context`s
/// all pinned or plain, its features covered, no sentinel); `None` otherwise.
pub(super) fn fast_hash(
    object: &Map<String, Value>,
    without: Option<&str>,
    context: &Value,
    limits: &Limits,
) -> Option<Result<[u8; 32], JsonLdError>> {
    use sha2::{Digest, Sha256};
    let (text, contexts) = prepare(
        object,
        without,
        Some(context),
        limits,
        Screening::OnCacheMiss,
    )
    .ok()?;
    let key = cache_key(&text, limits);
    if let Some(found) = cached(limits, &key) {
        return Some(found);
    }
    screen(object, without, Some(context)).ok()?;
    if let Err(e) = budget_left(limits) {
        return Some(Err(e));
    }
    let quads = fast::to_rdf(object, without, &contexts, false)?;
    check_sentinels(&quads).ok()?;
    let result = canonicalize_quads(quads, limits).map(|nq| Sha256::digest(nq.as_bytes()).into());
    remember(limits, key, &result);
    Some(result)
}

/// The quads of a prepared document: by [`fast`] when it covers the document and finds no
/// sentinel, otherwise by `oxjsonld` (which then also reports the exact error).
pub(super) fn quads(
    object: &Map<String, Value>,
    without: Option<&str>,
    contexts: &Value,
    text: &[u8],
) -> Result<Vec<Quad>, JsonLdError> {
    if let Some(q) = fast::to_rdf(object, without, contexts, false) {
        if check_sentinels(&q).is_ok() {
            return Ok(q);
        }
    }
    let quads = to_rdf(text)?;
    check_sentinels(&quads)?;
    Ok(quads)
}

/// The JSON text that is expanded, with the `@context` value it carries: the depth and size
/// limits checked, the sentinel `@vocab` placed before the document's contexts (see the module
/// docs), and the document screened ([`screen`]) when `screening` says so.
pub(super) fn prepare(
    object: &Map<String, Value>,
    without: Option<&str>,
    context: Option<&Value>,
    limits: &Limits,
    screening: Screening,
) -> Result<(Vec<u8>, Value), JsonLdError> {
    check_depth(object, without, limits)?;
    if screening == Screening::Now {
        screen(object, without, context)?;
    }
    jsonld_text(object, without, context, limits)
}

/// Whether [`prepare`] screens the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Screening {
    Now,
    /// Only on a hash-cache miss: a remembered result is of the same text, which was screened
    /// before it was canonicalized.
    OnCacheMiss,
}

pub(super) fn check_depth(
    object: &Map<String, Value>,
    without: Option<&str>,
    limits: &Limits,
) -> Result<(), JsonLdError> {
    let depth = object
        .iter()
        .filter(|(k, _)| Some(k.as_str()) != without)
        .map(|(_, v)| depth(v))
        .max()
        .unwrap_or(0)
        + 1;
    if depth > limits.max_depth {
        return Err(JsonLdError::TooDeep {
            max: limits.max_depth,
        });
    }
    Ok(())
}

/// What JSON-LD would silently drop or misread, refused ([`Screen`]).
pub(super) fn screen(
    object: &Map<String, Value>,
    without: Option<&str>,
    context: Option<&Value>,
) -> Result<(), JsonLdError> {
    let mut screen = Screen::default();
    for (key, value) in object.iter().filter(|(k, _)| Some(k.as_str()) != without) {
        screen.member(key, value)?;
    }
    if let Some(c) = context {
        screen.context(c)?;
    }
    Ok(())
}

/// The JSON-LD input text (JCS, the contexts with the sentinel) and those contexts.
pub(super) fn jsonld_text(
    object: &Map<String, Value>,
    without: Option<&str>,
    context: Option<&Value>,
    limits: &Limits,
) -> Result<(Vec<u8>, Value), JsonLdError> {
    let own = context.or_else(|| object.get("@context"));
    let contexts = Value::Array(with_sentinel(own));
    let mut text = Vec::with_capacity(4096);
    jcs::write_object(&mut text, object, without, Some(&contexts));
    if text.len() > limits.max_document_bytes {
        return Err(JsonLdError::TooLarge {
            size: text.len(),
            max: limits.max_document_bytes,
        });
    }
    Ok((text, contexts))
}

/// The blank node and work limits, then RDFC-1.0 and the sorted canonical N-Quads.
pub(super) fn canonicalize_quads(quads: Vec<Quad>, limits: &Limits) -> Result<String, JsonLdError> {
    let blank_nodes = blank_node_quads(&quads);
    if blank_nodes.len() > limits.max_blank_nodes {
        return Err(JsonLdError::TooManyBlankNodes {
            count: blank_nodes.len(),
            max: limits.max_blank_nodes,
        });
    }
    let estimate = work_estimate(&quads, &blank_nodes);
    if estimate > limits.max_work {
        return Err(JsonLdError::WorkBudgetExceeded {
            estimate,
            budget: limits.max_work,
        });
    }
    rdfc::canonicalize(quads, &mut rdfc::Meter::new(limits))
}

/// `oxrdf`'s RDFC-1.0, the reference [`rdfc`] is held to in tests (it cannot be stopped, so it
/// never runs on untrusted input outside tests; cargo feature `rdfc-reference`).
#[doc(hidden)]
#[cfg(feature = "rdfc-reference")]
pub fn reference_canonicalize(quads: Vec<Quad>) -> String {
    use oxrdf::dataset::{CanonicalizationAlgorithm, CanonicalizationHashAlgorithm};
    let mut dataset: oxrdf::Dataset = quads.into_iter().collect();
    dataset.canonicalize(CanonicalizationAlgorithm::Rdfc10 {
        hash_algorithm: CanonicalizationHashAlgorithm::Sha256,
    });
    let mut lines: Vec<String> = dataset.iter().map(|q| format!("{q} .\n")).collect();
    lines.sort_unstable();
    lines.concat()
}

/// Hallmark's RDFC-1.0 ([`rdfc`]) over a dataset, within `limits` (for tests against
/// [`reference_canonicalize`], fuzzing and benchmarks): the canonical N-Quads and the work.
///
/// # Errors
/// [`JsonLdError::WorkBudgetExceeded`] or [`JsonLdError::RequestBudgetExhausted`].
#[doc(hidden)]
pub fn canonicalize_dataset(
    quads: Vec<Quad>,
    limits: &Limits,
) -> Result<(String, Work), JsonLdError> {
    let mut meter = rdfc::Meter::new(limits);
    let nq = rdfc::canonicalize(quads, &mut meter)?;
    Ok((
        nq,
        Work {
            steps: meter.spent(),
            hashed_bytes: meter.hashed(),
        },
    ))
}

/// What one canonicalization did ([`canonicalize_dataset`]).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Work {
    /// Steps counted against the budget.
    pub steps: u64,
    /// Bytes hashed with SHA-256.
    pub hashed_bytes: u64,
}

/// The `@context` items a document is expanded with: the sentinel `@vocab` first (see the
/// module docs), then the document's own. An inline item written as `{"@context": {…}}` (a
/// context document pasted inline) counts as the context inside it, as jsonld.js reads it:
/// JSON-LD 1.1 would call it a keyword redefinition, but credentials signed by the JavaScript
/// libraries carry it (the W3C eddsa suite's `previousProof` fixture), and its meaning is plain.
pub(super) fn with_sentinel(own: Option<&Value>) -> Vec<Value> {
    let mut contexts = vec![serde_json::json!({ "@vocab": UNDEFINED_TERM_VOCAB })];
    let items = match own {
        Some(Value::Array(items)) => items.as_slice(),
        Some(Value::Null) | None => &[],
        Some(one) => std::slice::from_ref(one),
    };
    for item in items {
        match item {
            Value::Object(m) if m.len() == 1 && m.get("@context").is_some_and(Value::is_object) => {
                contexts.push(m["@context"].clone());
            }
            other => contexts.push(other.clone()),
        }
    }
    contexts
}

/// JSON-LD to RDF with the pinned loader and the sentinel base IRI.
pub(super) fn to_rdf(text: &[u8]) -> Result<Vec<Quad>, JsonLdError> {
    let refused: Arc<Mutex<Option<String>>> = Arc::default();
    let refused_in_loader = Arc::clone(&refused);
    let parser = JsonLdParser::new()
        .with_base_iri(RELATIVE_IRI_BASE)
        .map_err(|e| JsonLdError::Invalid(e.to_string()))?
        .for_slice(text)
        .with_load_document_callback(move |url, _| match pinned(url) {
            Some(c) => Ok(JsonLdRemoteDocument {
                document: c.bytes.to_vec(),
                document_url: c.url.to_owned(),
            }),
            None => {
                if let Ok(mut slot) = refused_in_loader.lock() {
                    slot.get_or_insert_with(|| url.to_owned());
                }
                Err(Box::<dyn StdError + Send + Sync>::from(format!(
                    "{url} is not a pinned context"
                )))
            }
        });
    let mut quads = Vec::with_capacity(128);
    for quad in parser {
        match quad {
            Ok(q) => quads.push(q),
            Err(e) => {
                if let Some(url) = refused.lock().ok().and_then(|mut s| s.take()) {
                    return Err(JsonLdError::ContextNotPinned { url: clip(&url) });
                }
                return Err(JsonLdError::Invalid(clip(&e.to_string())));
            }
        }
    }
    if let Some(url) = refused.lock().ok().and_then(|mut s| s.take()) {
        return Err(JsonLdError::ContextNotPinned { url: clip(&url) });
    }
    Ok(quads)
}

/// Refuses quads that hold a sentinel IRI: an undefined term or a relative IRI.
pub(super) fn check_sentinels(quads: &[Quad]) -> Result<(), JsonLdError> {
    let check = |iri: &str| -> Result<(), JsonLdError> {
        if let Some(term) = iri.strip_prefix(UNDEFINED_TERM_VOCAB) {
            return Err(JsonLdError::UndefinedTerm { term: clip(term) });
        }
        if let Some(rest) = iri.strip_prefix(RELATIVE_IRI_BASE) {
            return Err(JsonLdError::RelativeIri { iri: clip(rest) });
        }
        Ok(())
    };
    for q in quads {
        if let oxrdf::NamedOrBlankNode::NamedNode(n) = &q.subject {
            check(n.as_str())?;
        }
        check(q.predicate.as_str())?;
        match &q.object {
            oxrdf::Term::NamedNode(n) => check(n.as_str())?,
            oxrdf::Term::Literal(l) => check(l.datatype().as_str())?,
            _ => {}
        }
        if let oxrdf::GraphName::NamedNode(n) = &q.graph_name {
            check(n.as_str())?;
        }
    }
    Ok(())
}

/// Each blank node with the indexes of the quads it appears in (RDFC-1.0 §4.4.3 step 2).
pub(super) fn blank_node_quads(quads: &[Quad]) -> HashMap<&BlankNode, Vec<usize>> {
    let mut map: HashMap<&BlankNode, Vec<usize>> = HashMap::new();
    for (i, q) in quads.iter().enumerate() {
        if let oxrdf::NamedOrBlankNode::BlankNode(b) = &q.subject {
            map.entry(b).or_default().push(i);
        }
        if let oxrdf::Term::BlankNode(b) = &q.object {
            map.entry(b).or_default().push(i);
        }
        if let oxrdf::GraphName::BlankNode(b) = &q.graph_name {
            map.entry(b).or_default().push(i);
        }
    }
    for list in map.values_mut() {
        list.dedup();
    }
    map
}

/// The work estimate of the module docs: blank nodes grouped by their first-degree hash input
/// (RDFC-1.0 §4.7.3: their quads with themselves as `_:a` and other blank nodes as `_:z`).
pub(super) fn work_estimate(quads: &[Quad], blank_nodes: &HashMap<&BlankNode, Vec<usize>>) -> u64 {
    let mut groups: HashMap<String, u64> = HashMap::with_capacity(blank_nodes.len());
    for (me, indexes) in blank_nodes {
        let mut lines: Vec<String> = indexes
            .iter()
            .map(|&i| first_degree_line(quads[i].as_ref(), me))
            .collect();
        lines.sort_unstable();
        *groups.entry(lines.concat()).or_default() += 1;
    }
    let shared: u64 = groups.values().filter(|&&k| k > 1).sum();
    groups
        .values()
        .filter(|&&k| k > 1)
        .map(|&k| (2..=k).fold(1u64, u64::saturating_mul))
        .fold(0u64, u64::saturating_add)
        .saturating_mul(shared)
}

pub(super) fn first_degree_line(q: QuadRef<'_>, me: &BlankNode) -> String {
    let bnode = |b: oxrdf::BlankNodeRef<'_>| if b == me.as_ref() { "_:a" } else { "_:z" };
    let mut line = String::with_capacity(128);
    let _ = match q.subject {
        NamedOrBlankNodeRef::BlankNode(b) => write!(line, "{} ", bnode(b)),
        other => write!(line, "{other} "),
    };
    let _ = write!(line, "{} ", q.predicate);
    let _ = match q.object {
        TermRef::BlankNode(b) => write!(line, "{}", bnode(b)),
        other => write!(line, "{other}"),
    };
    let _ = match q.graph_name {
        GraphNameRef::BlankNode(b) => write!(line, " {}", bnode(b)),
        GraphNameRef::NamedNode(n) => write!(line, " {n}"),
        GraphNameRef::DefaultGraph => Ok(()),
    };
    line.push_str(" .\n");
    line
}

pub(super) fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}
