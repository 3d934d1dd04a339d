//! JSON-LD processing for `eddsa-rdfc-2022` (VC-DI-EdDSA §3.2): a JSON-LD document is turned
//! into an RDF dataset (JSON-LD 1.1 API §8.1 *Deserialize JSON-LD to RDF*, by the `oxjsonld`
//! crate) and canonicalized with RDF Dataset Canonicalization (RDFC-1.0, by [`rdfc`], held to
//! `oxrdf`'s `rdfc-10` in tests), giving canonical N-Quads that end with a newline.
//!
//! # Only pinned contexts, never the network
//! The document loader serves the contexts in [`PINNED`], copies shipped inside the binary
//! (`crates/core/contexts/`, each with its source and SHA-256), and refuses every other URL
//! ([`JsonLdError::ContextNotPinned`]). VC-DI 1.0 §2.4.1 allows such local copies.
//!
//! # Data loss is an error
//! A JSON-LD processor silently drops a term or type that no context defines, so two documents
//! that differ in such a term would share one signature. VC-DI-EdDSA §3.2 requires an error
//! instead (DATA_LOSS_DETECTION_ERROR). Hallmark expands every document with a sentinel
//! `@vocab` placed *before* the document's own contexts: a term any context defines keeps its
//! meaning (a context's own `@vocab`, like that of `credentials/examples/v2`, still wins), and
//! an undefined one expands to an IRI under [`UNDEFINED_TERM_VOCAB`], which
//! [`canonical_nquads`] reports as [`JsonLdError::UndefinedTerm`]. Relative IRIs (an `id` that
//! is not an absolute URL) are caught the same way through a sentinel base IRI
//! ([`JsonLdError::RelativeIri`]). When neither sentinel appears, the dataset is exactly the one
//! expansion without them yields, so the canonical form is unchanged.
//!
//! # Limits against hostile input
//! [`Limits`] caps the serialized size, the nesting depth and the number of blank nodes, and
//! bounds the canonicalization work. RDFC-1.0 is exponential in the worst case (RDFC-1.0 §4.8.2
//! and "Dataset Poisoning"): the permutations tried by *Hash N-Degree Quads* grow with the
//! factorial of the number of blank nodes that share a first-degree hash. The core has no clock
//! on `wasm32-unknown-unknown`, so the time budget is a **work budget** counted in steps (a
//! hash or a permutation tried) by Hallmark's own RDFC-1.0 ([`rdfc`]) as it runs: a document
//! stops at [`Limits::max_work`] steps, and every document of one request (each proof, each
//! chained proof, each credential of a presentation, each status list) draws on one shared
//! [`WorkBudget`] when the caller puts one in [`Limits::budget`]. An estimate still refuses the
//! obvious cases before any work: blank nodes grouped by their first-degree hash input
//! (RDFC-1.0 §4.7.3), `Σ k!` over groups of size `k > 1`, times the number of blank nodes in
//! such groups. Documents whose blank nodes all have distinct first-degree hashes, which
//! includes every Hallmark badge, cost no N-degree work at all.
//!
//! # Cost: processed contexts are kept
//! `oxjsonld` processes every context anew for each document (and every type-scoped context
//! for every typed node), about 4 ms for a 3 KB badge; its API offers no way to hand it a
//! processed context. So the documents Hallmark meets go through [`fast`] first: the same
//! algorithms over processed contexts that are memoized for the life of the process (about
//! 0.4 ms for the badge, most of it RDFC-1.0). It covers what credentials use and steps aside
//! for anything else — and for every error — so `oxjsonld` stays the reference: it produces
//! the dataset of the rest and every error message, and tests hold the two to the same
//! canonical N-Quads on every vector and on thousands of mutated badges. One reading differs:
//! with two type-scoped contexts on one node (a badge's `VerifiableCredential` and
//! `OpenBadgeCredential`), JSON-LD 1.1 API §5.1.2 step 11.2 applies each on top of the last,
//! as jsonld.js does; `oxjsonld` 0.2 applies each to the context before any, so only the last
//! counts. The fast path follows the specification.
//!
//! On top of that, [`canonical_hash`] remembers results by the digest of the exact JSON-LD
//! input, so a badge or status list that is verified again costs a JCS serialization and a
//! lookup.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use oxjsonld::{JsonLdParser, JsonLdRemoteDocument};
use oxrdf::{BlankNode, GraphNameRef, NamedOrBlankNodeRef, Quad, QuadRef, TermRef};
use serde_json::{Map, Value};

use crate::jcs;
use crate::report::ErrorCode;

mod fast;
pub(crate) mod rdfc;

/// A JSON-LD context shipped inside Hallmark.
#[derive(Debug, Clone, Copy)]
pub struct PinnedContext {
    /// The context URL documents name.
    pub url: &'static str,
    /// The file under `crates/core/contexts/`.
    pub file: &'static str,
    /// SHA-256 of the file, hex.
    pub sha256: &'static str,
    /// The file's bytes.
    pub bytes: &'static [u8],
}

macro_rules! pinned {
    ($url:expr, $file:expr, $sha:expr) => {
        PinnedContext {
            url: $url,
            file: $file,
            sha256: $sha,
            bytes: include_bytes!(concat!("../../contexts/", $file)),
        }
    };
}

/// The contexts the document loader serves; see `crates/core/contexts/README.md` for sources.
pub const PINNED: &[PinnedContext] = &[
    pinned!(
        "https://www.w3.org/ns/credentials/v2",
        "credentials-v2.jsonld",
        "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734"
    ),
    pinned!(
        "https://www.w3.org/ns/credentials/examples/v2",
        "credentials-examples-v2.jsonld",
        "57393fbc69d6efb9b9b5dc9cb6b9880b0944360abfe2eaf459c9e58cf2279d7c"
    ),
    pinned!(
        "https://www.w3.org/2018/credentials/v1",
        "credentials-v1.jsonld",
        "ab4ddd9a531758807a79a5b450510d61ae8d147eab966cc9a200c07095b0cdcc"
    ),
    pinned!(
        "https://www.w3.org/ns/credentials/status/v1",
        "credentials-status-v1.jsonld",
        "fda5add353231e6a6884a46b12e6c75464281900cb348284d9c360f62381d9f7"
    ),
    pinned!(
        "https://w3id.org/security/data-integrity/v2",
        "data-integrity-v2.jsonld",
        "67f21e6e33a6c14e5ccfd2fc7865f7474fb71a04af7e94136cb399dfac8ae8f4"
    ),
    pinned!(
        "https://w3id.org/security/multikey/v1",
        "multikey-v1.jsonld",
        "ba2c182de2d92f7e47184bcca8fcf0beaee6d3986c527bf664c195bbc7c58597"
    ),
    pinned!(
        "https://www.w3.org/ns/cid/v1",
        "cid-v1.jsonld",
        "ea216ecc1cb02cd39b693dba2250141e270ba0bf95890be107dd9a9e8e43de85"
    ),
    pinned!(
        "https://www.w3.org/ns/did/v1",
        "did-v1.jsonld",
        "4f3eae5568c9c5f036a082088f9e192019ee06faa78973c87ff91d5421b88dad"
    ),
    pinned!(
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        "ob-v3p0-context-3.0.3.json",
        "ef2fa9c7846dce233cc166b43639027278be4ee44f00bb1d45c75de2dd0cd761"
    ),
    pinned!(
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
        "ob-v3p0-context-3.0.2.json",
        "00666ad080ba407687ed1846b7f5e7495f5019042b202a727de47c48a1755c53"
    ),
    pinned!(
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
        "ob-v3p0-context-3.0.1.json",
        "d582f3564282fb3b709136d28412e78e70b678b4dbc2f0221f67d84932748355"
    ),
    pinned!(
        "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
        "ob-v3p0-context.json",
        "b077fa134d909d92c1dcd1c153f2af1b244aeb415967fdc1467d7fc5dd48ac10"
    ),
    pinned!(
        "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
        "ob-v3p0-extensions.json",
        "146f85aa16effd7ca1da8056eb443f53ce1eca8a34186cb062832c0a97d889c3"
    ),
];

/// The pinned context for `url`, if Hallmark ships one.
pub fn pinned(url: &str) -> Option<&'static PinnedContext> {
    PINNED.iter().find(|c| c.url == url)
}

/// The `@vocab` that undefined terms expand under, which marks them as data loss.
pub const UNDEFINED_TERM_VOCAB: &str = "urn:hallmark:undefined-term:";

/// The base IRI relative IRIs resolve against, which marks them as not absolute.
pub const RELATIVE_IRI_BASE: &str = "https://relative-iri.hallmark.invalid/";

/// Caps on what one JSON-LD document may cost. The defaults are far above any badge (a
/// Hallmark badge is ~3 KB, 7 levels deep, ~15 blank nodes, no N-degree work).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The largest document, bytes (as serialized for processing).
    pub max_document_bytes: usize,
    /// The deepest nesting of arrays and objects.
    pub max_depth: usize,
    /// The most blank nodes in the dataset.
    pub max_blank_nodes: usize,
    /// The canonicalization work one document may take, in steps (a hash computed or a
    /// permutation tried; see the module docs): a clock-free stand-in for a time budget.
    pub max_work: u64,
    /// The work budget shared by every document of one request, if any.
    pub budget: Option<WorkBudget>,
    /// Where [`canonical_hash`] remembers results: a verifier's own cache
    /// ([`crate::verify::CacheLimits::canonical_hashes`]); `None` remembers nothing.
    pub hashes: Option<Arc<HashCache>>,
}

/// A canonicalization work budget, in steps, shared by every JSON-LD document one request
/// canonicalizes (clones share it; it is thread-safe). Once spent, canonicalization stops with
/// [`JsonLdError::RequestBudgetExhausted`].
#[derive(Debug, Clone)]
pub struct WorkBudget {
    left: Arc<AtomicU64>,
    total: u64,
}

impl WorkBudget {
    /// A budget of `steps`.
    pub fn new(steps: u64) -> Self {
        Self {
            left: Arc::new(AtomicU64::new(steps)),
            total: steps,
        }
    }

    /// The steps it started with.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The steps spent so far.
    pub fn spent(&self) -> u64 {
        self.total - self.left.load(Ordering::Relaxed)
    }

    /// Spends what is left: work drawing on this budget stops at its next metered step with
    /// [`JsonLdError::RequestBudgetExhausted`] (a request past its deadline, whose answer was
    /// already sent, stops instead of running on).
    pub fn exhaust(&self) {
        self.left.store(0, Ordering::Relaxed);
    }

    /// Takes `steps`; `false` (and the budget emptied) when fewer are left.
    pub(crate) fn take(&self, steps: u64) -> bool {
        let taken = self
            .left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(steps)
            });
        if taken.is_err() {
            self.left.store(0, Ordering::Relaxed);
        }
        taken.is_ok()
    }
}

/// Two budgets are equal when they are the same budget.
impl PartialEq for WorkBudget {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.left, &other.left)
    }
}

impl Eq for WorkBudget {}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_document_bytes: 256 * 1024,
            max_depth: 32,
            max_blank_nodes: 1024,
            max_work: 25_000,
            budget: None,
            hashes: None,
        }
    }
}

impl Limits {
    /// Sets [`Limits::max_document_bytes`].
    #[must_use]
    pub fn max_document_bytes(mut self, max: usize) -> Self {
        self.max_document_bytes = max;
        self
    }

    /// Sets [`Limits::max_depth`].
    #[must_use]
    pub fn max_depth(mut self, max: usize) -> Self {
        self.max_depth = max;
        self
    }

    /// Sets [`Limits::max_blank_nodes`].
    #[must_use]
    pub fn max_blank_nodes(mut self, max: usize) -> Self {
        self.max_blank_nodes = max;
        self
    }

    /// Sets [`Limits::max_work`].
    #[must_use]
    pub fn max_work(mut self, max: u64) -> Self {
        self.max_work = max;
        self
    }

    /// Sets [`Limits::budget`]: the request's shared work budget.
    #[must_use]
    pub fn budget(mut self, budget: WorkBudget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Sets [`Limits::hashes`]: the cache [`canonical_hash`] remembers results in.
    #[must_use]
    pub fn hashes(mut self, hashes: Arc<HashCache>) -> Self {
        self.hashes = Some(hashes);
        self
    }
}

/// Why a document could not be turned into canonical N-Quads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonLdError {
    /// A term or type that no context defines would be dropped (VC-DI-EdDSA §3.2.1 data loss).
    #[error("{term:?} is not defined by any of the document's contexts: JSON-LD would drop it, so a signature could not protect it")]
    UndefinedTerm {
        /// The undefined term, as written.
        term: String,
    },
    /// An IRI (an `id`, or a value typed `@id`) that is not absolute.
    #[error("{iri:?} is not an absolute URL")]
    RelativeIri {
        /// The relative reference, as written.
        iri: String,
    },
    /// A context URL that Hallmark does not ship; nothing is fetched.
    #[error("the JSON-LD context {url} is not one Hallmark ships, and contexts are never fetched")]
    ContextNotPinned {
        /// The URL asked for.
        url: String,
    },
    /// The document is larger than [`Limits::max_document_bytes`].
    #[error("the document is {size} bytes, over the {max}-byte limit for JSON-LD processing")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The document nests deeper than [`Limits::max_depth`].
    #[error("the document nests deeper than {max} levels")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// The dataset has more blank nodes than [`Limits::max_blank_nodes`].
    #[error("the document makes {count} blank nodes, over the limit of {max}")]
    TooManyBlankNodes {
        /// How many.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// Canonicalizing would cost more than [`Limits::max_work`].
    #[error("canonicalizing the document would take at least {estimate} hash steps, over the work budget of {budget} (blank nodes that cannot be told apart)")]
    WorkBudgetExceeded {
        /// The estimate, or the steps spent when canonicalization was stopped (saturating).
        estimate: u64,
        /// The budget.
        budget: u64,
    },
    /// The request's shared [`WorkBudget`] ran out (many documents, or one costly one).
    #[error(
        "canonicalization stopped: this request's work budget of {budget} hash steps is spent"
    )]
    RequestBudgetExhausted {
        /// The request's whole budget.
        budget: u64,
    },
    /// Something JSON-LD to RDF would drop without a word, so a signature could not protect it:
    /// an id or type that is not a valid IRI (with its whole node), a key shaped like a
    /// keyword that is none, `@index` (VC-DI-EdDSA §3.2.1 data loss).
    #[error("{what} would be dropped by JSON-LD, so a signature could not protect it")]
    Dropped {
        /// What, quoting the input (clipped).
        what: String,
    },
    /// Inline contexts larger than Hallmark processes (term definitions in all, or remote
    /// contexts loaded from within them).
    #[error("the document's inline contexts are too large: {0}")]
    ContextTooLarge(String),
    /// Not valid JSON-LD (JSON-LD 1.1 API error, e.g. `invalid @id value`).
    #[error("not valid JSON-LD: {0}")]
    Invalid(String),
}

impl JsonLdError {
    /// The VC-DI error code this maps to (VC-DI §2.3 Processing Errors).
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::UndefinedTerm { .. } | Self::Dropped { .. } => ErrorCode::DataLossDetectionError,
            Self::RelativeIri { .. } => ErrorCode::MalformedValueError,
            _ => ErrorCode::ProofTransformationError,
        }
    }
}

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
const CONFIG_GRAPH: &str = "urn:hallmark:proof-configuration-graph";

fn combined(
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

fn cache_key(text: &[u8], limits: &Limits) -> [u8; 32] {
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

/// The bytes one remembered canonical hash is counted as: its key and hash (64), what an
/// error quotes of the input at most ([`MAX_QUOTED`]), and the map's own overhead.
pub const HASH_ENTRY_BYTES: usize = 64 + MAX_QUOTED + 64;

/// The default byte bound of a [`HashCache`]: 1 MiB, about 2,700 documents.
pub const DEFAULT_HASH_CACHE_BYTES: usize = 1 << 20;

/// A canonical hash, or why there is none.
type HashResult = Result<[u8; 32], JsonLdError>;

/// The canonical hashes one verifier remembers ([`canonical_hash`] through
/// [`Limits::hashes`]), keyed by the SHA-256 of the JSON-LD input and the limits, bounded by
/// bytes ([`HASH_ENTRY_BYTES`] each): when full it starts over, which costs a re-computation,
/// never memory. Thread-safe; share it with an `Arc`.
#[derive(Debug)]
pub struct HashCache {
    map: Mutex<HashMap<[u8; 32], HashResult>>,
    capacity: usize,
}

impl HashCache {
    /// A cache of at most `bytes` (0 keeps nothing).
    pub fn new(bytes: usize) -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            capacity: bytes / HASH_ENTRY_BYTES,
        }
    }

    /// The byte bound it was made with, rounded down to whole entries.
    pub fn capacity_bytes(&self) -> usize {
        self.capacity * HASH_ENTRY_BYTES
    }

    /// Results remembered now.
    pub fn len(&self) -> usize {
        self.map.lock().map_or(0, |m| m.len())
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets everything (benchmarks of the cold path).
    pub fn clear(&self) {
        if let Ok(mut map) = self.map.lock() {
            map.clear();
        }
    }
}

/// Two [`Limits`] are equal only when they share the same cache.
impl PartialEq for HashCache {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for HashCache {}

fn cached(limits: &Limits, key: &[u8; 32]) -> Option<HashResult> {
    let cache = limits.hashes.as_deref()?;
    cache.map.lock().ok()?.get(key).cloned()
}

/// Refuses to start on a document once the request's budget is spent (JSON-LD expansion is
/// not metered step by step; bounded by the document's size, it still should not run for a
/// request whose budget is gone, e.g. one past its deadline: [`WorkBudget::exhaust`]).
fn budget_left(limits: &Limits) -> Result<(), JsonLdError> {
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
fn remember(limits: &Limits, key: [u8; 32], result: &HashResult) {
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
fn clip(text: &str) -> String {
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
const MAX_INLINE_TERMS: usize = 256;

/// Remote (pinned) contexts inline contexts may name in all: a type-scoped context naming the
/// pinned contexts many times, applied to many nodes, cost seconds of expansion.
const MAX_INLINE_REMOTE: usize = 2;

/// The JSON-LD 1.1 keywords (JSON-LD 1.1 §1.7), for keys that look like one.
const KEYWORDS: &[&str] = &[
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
struct Screen {
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

fn as_slice(v: &Value) -> &[Value] {
    match v {
        Value::Array(items) => items,
        other => std::slice::from_ref(other),
    }
}

/// Whether an id or type could be an IRI (RFC 3987): none of the characters IRIs exclude,
/// and `%` only before two hex digits. Blank node ids and terms pass; their meaning is the
/// JSON-LD processor's to decide.
fn is_iri_text(text: &str) -> bool {
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

/// The most bytes of the input an error quotes.
const MAX_QUOTED: usize = 256;

/// [`canonical_hash`] when it is remembered or [`fast`] covers the document (its `@context`s
/// all pinned or plain, its features covered, no sentinel); `None` otherwise.
fn fast_hash(
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
fn quads(
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
fn prepare(
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
enum Screening {
    Now,
    /// Only on a hash-cache miss: a remembered result is of the same text, which was screened
    /// before it was canonicalized.
    OnCacheMiss,
}

fn check_depth(
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
fn screen(
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
fn jsonld_text(
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
fn canonicalize_quads(quads: Vec<Quad>, limits: &Limits) -> Result<String, JsonLdError> {
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
fn with_sentinel(own: Option<&Value>) -> Vec<Value> {
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
fn to_rdf(text: &[u8]) -> Result<Vec<Quad>, JsonLdError> {
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
fn check_sentinels(quads: &[Quad]) -> Result<(), JsonLdError> {
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
fn blank_node_quads(quads: &[Quad]) -> HashMap<&BlankNode, Vec<usize>> {
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
fn work_estimate(quads: &[Quad], blank_nodes: &HashMap<&BlankNode, Vec<usize>>) -> u64 {
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

fn first_degree_line(q: QuadRef<'_>, me: &BlankNode) -> String {
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

fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use sha2::{Digest, Sha256};

    fn object(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    /// `is_iri_text` reads bytes first for speed; it must say what the plain per-character
    /// rule says on every text.
    #[test]
    fn is_iri_text_equals_the_per_character_rule() {
        fn rule(text: &str) -> bool {
            let bytes = text.as_bytes();
            !text.is_empty()
                && !text.chars().any(|c| {
                    c.is_control()
                        || matches!(c, ' ' | '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`')
                        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
                })
                && bytes.iter().enumerate().all(|(i, &b)| {
                    b != b'%'
                        || (bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
                })
        }
        let pieces = [
            "",
            "a",
            "https://x.example/p?q=1#f",
            " ",
            "%",
            "%4",
            "%41",
            "%zz",
            "é",
            "\u{85}",
            "\u{9f}",
            "\u{a0}",
            "\u{200e}",
            "\u{2028}",
            "\u{202e}",
            "\u{2066}",
            "\u{feff}",
            "<",
            "`",
            "\u{7f}",
            "\t",
            "日本",
            "_:b0",
            "did:web:x.example",
            "\u{10FFFF}",
        ];
        for a in pieces {
            for b in pieces {
                for c in ["", "x", "%", "é"] {
                    let text = format!("{a}{c}{b}");
                    assert_eq!(is_iri_text(&text), rule(&text), "{text:?}");
                }
            }
        }
    }

    #[test]
    fn pinned_files_match_their_sha256() {
        for c in PINNED {
            let hex: String = Sha256::digest(c.bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(hex, c.sha256, "{}", c.file);
            assert!(crate::json::parse(c.bytes).is_ok(), "{}", c.file);
        }
    }

    #[test]
    fn known_contexts_are_all_pinned() {
        for url in crate::credential::KNOWN_CONTEXTS {
            assert!(pinned(url).is_some(), "{url}");
        }
    }

    #[test]
    fn a_context_document_pasted_inline_counts_as_its_context() {
        let doc = |inline: Value| {
            object(json!({
                "@context": ["https://www.w3.org/ns/credentials/v2", inline],
                "type": ["VerifiableCredential", "AlumniCredential"],
                "issuer": "did:example:issuer",
                "credentialSubject": {"alumniOf": "Example University"}
            }))
        };
        let terms = json!({
            "AlumniCredential": "https://www.example.org/AlumniCredential",
            "alumniOf": "https://www.example.org/alumniOf"
        });
        let limits = Limits::default();
        let plain = canonical_nquads(&doc(terms.clone()), None, None, &limits).unwrap();
        assert!(
            plain.contains("<https://www.example.org/alumniOf>"),
            "{plain}"
        );
        for processor in [Processor::Fast, Processor::Reference] {
            let wrapped = json!({ "@context": terms });
            let nq = canonical_nquads_by(&doc(wrapped), None, None, &limits, processor);
            assert_eq!(nq, Some(Ok(plain.clone())), "{processor:?}");
        }
        // Anything beside the nested @context is still an error.
        let odd = json!({ "@context": terms, "extra": "https://www.example.org/extra" });
        assert!(canonical_nquads(&doc(odd), None, None, &limits).is_err());
    }

    #[test]
    fn defined_terms_canonicalize() {
        let doc = object(json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": "urn:uuid:1",
            "type": ["VerifiableCredential"],
            "issuer": "did:example:1",
            "credentialSubject": {"name": "A \"quoted\"\nname"}
        }));
        let nq = canonical_nquads(&doc, None, None, &Limits::default()).unwrap();
        assert!(nq.ends_with(" .\n"), "{nq}");
        assert!(
            nq.contains("_:c14n0 <https://schema.org/name> \"A \\\"quoted\\\"\\nname\" .\n"),
            "{nq}"
        );
        assert!(!nq.contains("hallmark"), "{nq}");
    }

    #[test]
    fn canonical_hash_is_the_hash_of_the_nquads_and_remembers_errors() {
        use sha2::{Digest, Sha256};
        let doc = object(json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": "did:example:cache"
        }));
        let nq = canonical_nquads(&doc, None, None, &Limits::default()).unwrap();
        let expected: [u8; 32] = Sha256::digest(nq.as_bytes()).into();
        for _ in 0..2 {
            assert_eq!(
                canonical_hash(&doc, None, None, &Limits::default()),
                Ok(expected)
            );
        }
        let mut bad = doc.clone();
        bad.insert("cacheColour".into(), "red".into());
        for _ in 0..2 {
            assert_eq!(
                canonical_hash(&bad, None, None, &Limits::default()),
                Err(JsonLdError::UndefinedTerm {
                    term: "cacheColour".into()
                })
            );
        }
        // Limits are part of the key: a stricter limit is not bypassed by a remembered success.
        assert!(matches!(
            canonical_hash(&doc, None, None, &Limits::default().max_document_bytes(10)),
            Err(JsonLdError::TooLarge { .. })
        ));
    }

    #[test]
    fn undefined_terms_and_types_are_data_loss() {
        let base = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": "did:example:1",
            "credentialSubject": {"id": "did:example:2"}
        });
        let mut term = base.clone();
        term["credentialSubject"]["favouriteColour"] = "blue".into();
        let e = canonical_nquads(&object(term), None, None, &Limits::default()).unwrap_err();
        assert_eq!(
            e,
            JsonLdError::UndefinedTerm {
                term: "favouriteColour".into()
            }
        );
        assert_eq!(e.code(), ErrorCode::DataLossDetectionError);
        let mut ty = base.clone();
        ty["credentialSubject"]["type"] = "Wizard".into();
        let e = canonical_nquads(&object(ty), None, None, &Limits::default()).unwrap_err();
        assert_eq!(
            e,
            JsonLdError::UndefinedTerm {
                term: "Wizard".into()
            }
        );
        let mut id = base;
        id["credentialSubject"]["id"] = "partner-7".into();
        let e = canonical_nquads(&object(id), None, None, &Limits::default()).unwrap_err();
        assert_eq!(
            e,
            JsonLdError::RelativeIri {
                iri: "partner-7".into()
            }
        );
        assert_eq!(e.code(), ErrorCode::MalformedValueError);
    }

    #[test]
    fn a_context_vocab_still_defines_terms() {
        let doc = object(json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
            "type": ["VerifiableCredential", "AlumniCredential"],
            "credentialSubject": {"alumniOf": "x"}
        }));
        let nq = canonical_nquads(&doc, None, None, &Limits::default()).unwrap();
        assert!(
            nq.contains("<https://www.w3.org/ns/credentials/examples#alumniOf>"),
            "{nq}"
        );
    }

    #[test]
    fn other_contexts_are_never_loaded() {
        let doc = object(json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://evil.example/context.jsonld"],
            "type": ["VerifiableCredential"]
        }));
        assert_eq!(
            canonical_nquads(&doc, None, None, &Limits::default()),
            Err(JsonLdError::ContextNotPinned {
                url: "https://evil.example/context.jsonld".into()
            })
        );
    }

    /// What JSON-LD to RDF would drop silently is refused before (issue 10, the attacker's
    /// forged badges: a node with an invalid IRI id and its claims, keyword-like keys, @index).
    #[test]
    fn what_rdf_would_drop_is_refused() {
        let doc = |extra: Value| {
            object(serde_json::json!({
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiableCredential"],
                "issuer": "did:example:issuer",
                "credentialSubject": extra,
            }))
        };
        let cases = [
            serde_json::json!({"id": "https://x.example/<q>", "name": "forged"}),
            serde_json::json!({"id": "https://x.example/a b"}),
            serde_json::json!({"id": "https://x.example/%zz"}),
            serde_json::json!({"id": "https://a\u{200B}.example/"}),
            serde_json::json!({"@claims": {"name": "forged"}}),
            serde_json::json!({"name": {"@value": "87", "@index": "100"}}),
            serde_json::json!({"type": ["https://x.example/{T}"]}),
        ];
        for extra in cases {
            let r = canonical_nquads(&doc(extra.clone()), None, None, &Limits::default());
            assert!(
                matches!(&r, Err(e @ JsonLdError::Dropped { .. }) if e.code() == ErrorCode::DataLossDetectionError),
                "{extra}: {r:?}"
            );
        }
        // A valid IRI id is fine.
        let ok = doc(serde_json::json!({"id": "https://x.example/q%20r", "name": "Ann"}));
        assert!(canonical_nquads(&ok, None, None, &Limits::default()).is_ok());
    }

    /// A chain of 1,000 compact-IRI terms overflowed a server thread's stack; 60 pinned
    /// contexts in a type-scoped context cost seconds per document: both refused up front.
    #[test]
    fn oversized_inline_contexts_are_refused() {
        let mut chain = Map::new();
        for i in 0..1000 {
            chain.insert(format!("t{i}"), Value::String(format!("t{}:", i + 1)));
        }
        chain.insert("t1000".into(), "https://a.example/".into());
        chain.insert("k".into(), "t0:k".into());
        let doc = object(serde_json::json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", chain],
            "type": ["VerifiableCredential"], "issuer": "did:example:i",
            "credentialSubject": {"k": "v"},
        }));
        let r = canonical_nquads(&doc, None, None, &Limits::default());
        assert!(matches!(r, Err(JsonLdError::ContextTooLarge(_))), "{r:?}");
        let scoped = serde_json::json!({"T": {"@id": "https://a.example/T",
            "@context": vec!["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"; 60]}});
        let doc = object(serde_json::json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", scoped],
            "type": ["VerifiableCredential"], "issuer": "did:example:i",
            "credentialSubject": {"type": "T"},
        }));
        let r = canonical_nquads(&doc, None, None, &Limits::default());
        assert!(matches!(r, Err(JsonLdError::ContextTooLarge(_))), "{r:?}");
        // @import in a scoped context: each use re-processed the imported context, unmetered
        // (an attacker's 10 KB request froze a verifier); refused however few.
        let imported = serde_json::json!({"T": {"@id": "https://a.example/T",
            "@context": [{"@import": "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"}]}});
        let doc = object(serde_json::json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", imported],
            "type": ["VerifiableCredential"], "issuer": "did:example:i",
            "credentialSubject": {"type": "T"},
        }));
        let r = canonical_nquads(&doc, None, None, &Limits::default());
        assert!(
            matches!(&r, Err(JsonLdError::ContextTooLarge(m)) if m.contains("@import")),
            "{r:?}"
        );
    }

    #[test]
    fn limits_refuse_hostile_documents() {
        let doc = object(json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "description": "x".repeat(2000)
        }));
        assert!(matches!(
            canonical_nquads(
                &doc,
                None,
                None,
                &Limits::default().max_document_bytes(1000)
            ),
            Err(JsonLdError::TooLarge { max: 1000, .. })
        ));
        let mut deep = json!("leaf");
        for _ in 0..40 {
            deep = json!({ "credentialSubject": deep });
        }
        let deep = object(
            json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "credentialSubject": deep}),
        );
        assert_eq!(
            canonical_nquads(&deep, None, None, &Limits::default()),
            Err(JsonLdError::TooDeep { max: 32 })
        );
        // Ten blank nodes that cannot be told apart: a poisoned dataset.
        let twins: Vec<Value> = (0..10).map(|_| json!({"name": "twin"})).collect();
        let poison = object(json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": "VerifiableCredential",
            "credentialSubject": twins
        }));
        let r = canonical_nquads(&poison, None, None, &Limits::default());
        assert!(
            matches!(r, Err(JsonLdError::WorkBudgetExceeded { .. })),
            "{r:?}"
        );
        assert!(matches!(
            canonical_nquads(&poison, None, None, &Limits::default().max_blank_nodes(5)),
            Err(JsonLdError::TooManyBlankNodes { count: 11, max: 5 })
        ));
        // A few twins are fine.
        let twins: Vec<Value> = (0..3).map(|_| json!({"name": "twin"})).collect();
        let few = object(json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": "VerifiableCredential",
            "credentialSubject": twins
        }));
        assert!(canonical_nquads(&few, None, None, &Limits::default()).is_ok());
    }
}
