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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::report::ErrorCode;

#[cfg(feature = "rdfc")]
mod fast;
#[cfg(feature = "rdfc")]
mod process;
#[cfg(feature = "rdfc")]
pub(crate) mod rdfc;
#[cfg(feature = "rdfc")]
pub use process::*;

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
    #[cfg_attr(not(feature = "rdfc"), allow(dead_code))]
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
    /// This build has no JSON-LD processing (the browser's jcs-only build, without the
    /// `rdfc` feature): an `eddsa-rdfc-2022` proof cannot be checked by it.
    #[error("this build verifies eddsa-jcs-2022 only: eddsa-rdfc-2022 needs the build with the rdfc feature")]
    NotBuiltIn,
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

/// The most bytes of the input an error quotes.
const MAX_QUOTED: usize = 256;

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

/// Without the `rdfc` feature: every JSON-LD canonicalization is refused
/// ([`JsonLdError::NotBuiltIn`]), so an `eddsa-rdfc-2022` proof fails as one this build cannot
/// check.
#[cfg(not(feature = "rdfc"))]
mod without_rdfc {
    use serde_json::{Map, Value};

    use super::*;

    /// As the `rdfc` build's: refused.
    ///
    /// # Errors
    /// Always [`JsonLdError::NotBuiltIn`].
    pub fn canonical_nquads(
        _: &Map<String, Value>,
        _: Option<&str>,
        _: Option<&Value>,
        _: &Limits,
    ) -> Result<String, JsonLdError> {
        Err(JsonLdError::NotBuiltIn)
    }

    /// As the `rdfc` build's: refused.
    ///
    /// # Errors
    /// Always [`JsonLdError::NotBuiltIn`].
    pub fn canonical_hash(
        _: &Map<String, Value>,
        _: Option<&str>,
        _: Option<&Value>,
        _: &Limits,
    ) -> Result<[u8; 32], JsonLdError> {
        Err(JsonLdError::NotBuiltIn)
    }

    /// As the `rdfc` build's: refused.
    ///
    /// # Errors
    /// Always [`JsonLdError::NotBuiltIn`].
    pub fn canonical_hash_pair(
        _: &Map<String, Value>,
        _: Option<&str>,
        _: &Map<String, Value>,
        _: Option<&str>,
        _: &Value,
        _: &Limits,
    ) -> (Result<[u8; 32], JsonLdError>, Result<[u8; 32], JsonLdError>) {
        (Err(JsonLdError::NotBuiltIn), Err(JsonLdError::NotBuiltIn))
    }
}
#[cfg(not(feature = "rdfc"))]
pub use without_rdfc::*;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};
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
