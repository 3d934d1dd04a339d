//! Data Integrity proofs (VC Data Integrity 1.0 §4) with the EdDSA cryptosuites of
//! VC-DI-EdDSA 1.0: `eddsa-rdfc-2022` (§3.2) and `eddsa-jcs-2022` (§3.3). Creating a
//! `DataIntegrityProof` and verifying one proof or a proof set share everything (proof
//! sets, purpose, `created`/`expires`, key lookup); only the transformation and hashing differ:
//!
//! * `eddsa-jcs-2022`: `SHA-256(JCS(proofConfig)) ‖ SHA-256(JCS(document))`, where
//!   `proofConfig` is the proof without `proofValue` and with the document's `@context`, which
//!   the stored proof keeps (§3.3.1).
//! * `eddsa-rdfc-2022`: `SHA-256(RDFC(proofConfig)) ‖ SHA-256(RDFC(document))`, where RDFC is
//!   the canonical N-Quads of RDFC-1.0, final newline included (see [`crate::jsonld`]), and
//!   `proofConfig` again takes the document's `@context`, which the stored proof does **not**
//!   keep (§3.2.1, §3.2.5). A term no context defines is a DATA_LOSS_DETECTION_ERROR, both
//!   when signing and when verifying.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::cache::{BoundedCache, Budget, Standing, Usage};
use crate::datetime;
use crate::did::{Relationship, VerificationMethodId};
use crate::jcs;
use crate::jsonld::{self, JsonLdError, Limits};
use crate::keys::{PublicKey, SecretKey};
use crate::multibase::Multibase;
use crate::report::ErrorCode;

/// The proof `type` of every proof Hallmark makes or accepts.
pub const DATA_INTEGRITY_PROOF: &str = "DataIntegrityProof";

/// A Data Integrity cryptosuite Hallmark implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cryptosuite {
    /// `eddsa-rdfc-2022`: JSON-LD and RDF Dataset Canonicalization (VC-DI-EdDSA §3.2); what
    /// Open Badges 3.0 conformance requires, and the default for badges (docs/design.md §2).
    EddsaRdfc2022,
    /// `eddsa-jcs-2022`: JSON Canonicalization Scheme, no JSON-LD (VC-DI-EdDSA §3.3).
    EddsaJcs2022,
}

impl Cryptosuite {
    /// The `cryptosuite` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EddsaRdfc2022 => "eddsa-rdfc-2022",
            Self::EddsaJcs2022 => "eddsa-jcs-2022",
        }
    }
}

impl FromStr for Cryptosuite {
    type Err = ProofError;

    fn from_str(s: &str) -> Result<Self, ProofError> {
        match s {
            "eddsa-rdfc-2022" => Ok(Self::EddsaRdfc2022),
            "eddsa-jcs-2022" => Ok(Self::EddsaJcs2022),
            other => Err(ProofError::UnsupportedCryptosuite(other.to_owned())),
        }
    }
}

impl fmt::Display for Cryptosuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a proof could not be created or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The document is not a JSON object.
    #[error("the document is not a JSON object")]
    NotAnObject,
    /// `proof` is neither an object nor an array of objects, or is absent.
    #[error("{0}")]
    Malformed(String),
    /// The document has no `proof` at all.
    #[error("the credential has no proof: it is not signed")]
    NoProof,
    /// A required proof property is missing (VC-DI §4.3 step 3).
    #[error("the proof has no {0}")]
    Missing(&'static str),
    /// The proof `type` is not `DataIntegrityProof`.
    #[error("proof type {0:?} is not DataIntegrityProof")]
    UnsupportedType(String),
    /// The `cryptosuite` is not one Hallmark implements.
    #[error("cryptosuite {0:?} is not supported (supported: eddsa-rdfc-2022, eddsa-jcs-2022)")]
    UnsupportedCryptosuite(String),
    /// The `proofPurpose` is not the one the verifier expects (VC-DI §4.3 step 4).
    #[error("proofPurpose is {found:?}, expected {expected:?}")]
    WrongPurpose {
        /// What the proof says.
        found: String,
        /// What the verifier expects.
        expected: &'static str,
    },
    /// `verificationMethod` is not an absolute URL.
    #[error("verificationMethod {0:?} is not an absolute URL")]
    InvalidVerificationMethod(String),
    /// `created` or `expires` is not a `dateTimeStamp`.
    #[error("proof {field}: {source}")]
    BadDate {
        /// `created` or `expires`.
        field: &'static str,
        /// The parse error.
        source: datetime::DateTimeError,
    },
    /// The proof's `expires` has passed.
    #[error("the proof expired at {expires}")]
    Expired {
        /// The proof's `expires`.
        expires: String,
    },
    /// The proof's `@context` is not a prefix of the document's (VC-DI-EdDSA §3.3.2 step 4).
    #[error("the document's @context does not start with the proof's @context")]
    ContextMismatch,
    /// `proofValue` is not base58btc multibase of 64 bytes.
    #[error("proofValue is not a base58btc multibase Ed25519 signature: {0}")]
    BadProofValue(String),
    /// The document could not be canonicalized (RFC 8785).
    #[error("canonicalization failed: {0}")]
    Transformation(String),
    /// JSON-LD processing or RDFC-1.0 canonicalization failed (VC-DI-EdDSA §3.2.3): data loss,
    /// a relative IRI, a context that is not pinned, or a limit.
    #[error("{0}")]
    JsonLd(#[from] JsonLdError),
    /// The signature does not verify with the key (`verify_strict`).
    #[error("the signature does not verify with {verification_method}")]
    BadSignature {
        /// The key's id.
        verification_method: String,
    },
}

impl ProofError {
    /// The VC-DI error code this maps to (VC-DI §2.3 Processing Errors).
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Transformation(_) | Self::NotAnObject => ErrorCode::ProofTransformationError,
            Self::JsonLd(e) => e.code(),
            Self::InvalidVerificationMethod(_) => ErrorCode::InvalidVerificationMethod,
            _ => ErrorCode::ProofVerificationError,
        }
    }
}

/// What a new proof says: its suite, key, purpose and creation time (VC-DI §2.1).
#[derive(Debug, Clone)]
pub struct ProofOptions {
    /// The cryptosuite.
    pub cryptosuite: Cryptosuite,
    /// The key the verifier will use.
    pub verification_method: VerificationMethodId,
    /// The purpose, normally [`Relationship::AssertionMethod`].
    pub proof_purpose: Relationship,
    /// `created`; `None` leaves it out.
    pub created: Option<OffsetDateTime>,
}

impl ProofOptions {
    /// Options for an `assertionMethod` proof by the `did:key` of `public` (`did:key:X#X`).
    pub fn did_key(
        public: &PublicKey,
        cryptosuite: Cryptosuite,
        created: Option<OffsetDateTime>,
    ) -> Self {
        let did = crate::did::Did::key(public);
        let key = public.to_multibase();
        Self {
            cryptosuite,
            verification_method: VerificationMethodId::parse(&format!("{did}#{key}"))
                .unwrap_or_else(|_| unreachable!("a did:key URL is an absolute URL")),
            proof_purpose: Relationship::AssertionMethod,
            created,
        }
    }
}

/// Adds an `eddsa-rdfc-2022` (VC-DI-EdDSA §3.2.1) or `eddsa-jcs-2022` (§3.3.1) proof to
/// `document`. An existing `proof` becomes a proof set that the new proof does not cover.
///
/// # Errors
/// [`ProofError::NotAnObject`]; [`ProofError::Transformation`] when the document has integers
/// beyond ±(2^53−1) or cannot be canonicalized; for `eddsa-rdfc-2022`, [`ProofError::JsonLd`]
/// when a term is undefined (data loss), an IRI is relative, or a limit is exceeded.
pub fn sign(
    mut document: Map<String, Value>,
    options: &ProofOptions,
    key: &SecretKey,
) -> Result<Map<String, Value>, ProofError> {
    crate::json::check_object_integers(&document)
        .map_err(|e| ProofError::Transformation(e.to_string()))?;
    let existing = document.remove("proof");
    let mut proof = Map::new();
    proof.insert("type".into(), DATA_INTEGRITY_PROOF.into());
    proof.insert("cryptosuite".into(), options.cryptosuite.as_str().into());
    if let Some(created) = options.created {
        proof.insert("created".into(), datetime::format(created).into());
    }
    proof.insert(
        "verificationMethod".into(),
        options.verification_method.as_str().into(),
    );
    proof.insert("proofPurpose".into(), options.proof_purpose.as_str().into());
    let hash = match options.cryptosuite {
        Cryptosuite::EddsaJcs2022 => {
            if let Some(context) = document.get("@context") {
                proof.insert("@context".into(), context.clone());
            }
            hash_data(&document, &proof)
        }
        Cryptosuite::EddsaRdfc2022 => {
            let limits = Limits::default();
            let (config, doc) = match document.get("@context") {
                Some(context) => jsonld::canonical_hash_pair(
                    &proof,
                    Some("proofValue"),
                    &document,
                    Some("proof"),
                    context,
                    &limits,
                ),
                None => (
                    jsonld::canonical_hash(&proof, Some("proofValue"), None, &limits),
                    jsonld::canonical_hash(&document, Some("proof"), None, &limits),
                ),
            };
            let mut hash = [0u8; 64];
            hash[32..].copy_from_slice(&doc?);
            hash[..32].copy_from_slice(&config?);
            hash
        }
    };
    let signature = key.sign(&hash);
    proof.insert(
        "proofValue".into(),
        Multibase::encode_base58btc(&signature).as_str().into(),
    );
    let proof = Value::Object(proof);
    let proof = match existing {
        None => proof,
        Some(Value::Array(mut set)) => {
            set.push(proof);
            Value::Array(set)
        }
        Some(one) => Value::Array(vec![one, proof]),
    };
    document.insert("proof".into(), proof);
    Ok(document)
}

/// Writes a single `proof` object as a proof set of one (`[proof]`), as the Open Badges 3.0
/// JSON Schema requires; VC-DI §2.1 allows either form and the signature covers neither, so
/// no proof changes. A document without `proof`, or whose `proof` is already an array, is left
/// as it is.
pub fn into_proof_set(document: &mut Map<String, Value>) {
    if let Some(proof) = document.get_mut("proof") {
        if proof.is_object() {
            let one = proof.take();
            *proof = Value::Array(vec![one]);
        }
    }
}

/// `SHA-256(JCS(proofConfig)) ‖ SHA-256(JCS(unsecuredDocument))` (VC-DI-EdDSA §3.3.4).
/// `proof_config` may still hold `proofValue`; it is left out of the hash.
fn hash_data(unsecured: &Map<String, Value>, proof_config: &Map<String, Value>) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&Sha256::digest(jcs::object_to_vec(
        proof_config,
        Some("proofValue"),
        None,
    )));
    out[32..].copy_from_slice(&Sha256::digest(jcs::object_to_vec(
        unsecured,
        Some("proof"),
        None,
    )));
    out
}

/// Signatures already verified, by SHA-256 of (key ‖ signed hash ‖ signature): a verifier
/// that sees the same badge again (an embedded badge checked on every page view) skips the
/// curve arithmetic, which is most of a verification. Only successes are kept; a hit means
/// this exact signature over this exact hash by this exact key verified before, so the
/// answer is the same.
///
/// Bounded by bytes ([`BoundedCache`], about 130 bytes a signature), with a trusted partition
/// for signatures by trusted issuers' methods so that a flood of other signatures does not
/// push those out. Owned by a verifier ([`crate::verify::Verifier`]) and shared by its clones;
/// [`verify_cached`] uses one.
#[derive(Debug, Clone)]
pub struct SignatureCache {
    cache: Arc<BoundedCache<[u8; 32], ()>>,
}

/// The default budget of a [`SignatureCache`]: 2 MiB, about 8,000 signatures per partition.
pub const DEFAULT_SIGNATURE_CACHE_BYTES: usize = 2 << 20;

impl Default for SignatureCache {
    fn default() -> Self {
        Self::new(DEFAULT_SIGNATURE_CACHE_BYTES)
    }
}

impl SignatureCache {
    /// A cache of at most `bytes` accounted bytes, half for trusted methods' signatures;
    /// 0 remembers nothing.
    pub fn new(bytes: usize) -> Self {
        Self {
            cache: Arc::new(BoundedCache::new(Budget::split(bytes), |_, ()| 0)),
        }
    }

    /// What it holds.
    pub fn usage(&self) -> Usage {
        self.cache.usage()
    }

    /// Its budget.
    pub fn budget(&self) -> Budget {
        self.cache.budget()
    }

    /// Forgets every signature.
    pub fn clear(&self) {
        self.cache.clear();
    }

    /// The cache id of a signature, `None` when the cache is off or has no room at all.
    fn id(&self, key: &PublicKey, hash: &[u8; 64], signature: &[u8; 64]) -> Option<[u8; 32]> {
        // Off, or a budget of 0 (`signature_cache = false`): no key to hash, no lock to take.
        if !SIGNATURE_CACHE_ON.load(std::sync::atomic::Ordering::Relaxed)
            || self.cache.budget().total() == 0
        {
            return None;
        }
        let mut h = Sha256::new();
        h.update(key.as_bytes());
        h.update(hash);
        h.update(signature);
        Some(h.finalize().into())
    }

    /// True when this signature verified before (and is still remembered).
    #[cfg(feature = "batch")]
    fn known(&self, key: &PublicKey, hash: &[u8; 64], signature: &[u8; 64]) -> bool {
        self.id(key, hash, signature)
            .is_some_and(|id| self.cache.get(&id).is_some())
    }

    /// Remembers a signature a batch verified.
    #[cfg(feature = "batch")]
    pub(crate) fn remember(&self, item: &crate::batch::SignatureItem, standing: Standing) {
        if let Some(id) = self.id(&item.key, &item.message, &item.signature) {
            self.cache.insert(id, (), standing);
        }
    }

    fn verify(
        &self,
        key: &PublicKey,
        hash: &[u8; 64],
        signature: &[u8; 64],
        standing: Standing,
    ) -> bool {
        let Some(id) = self.id(key, hash, signature) else {
            return key.verify_strict(hash, signature);
        };
        if self.cache.get(&id).is_some() {
            return true;
        }
        let ok = key.verify_strict(hash, signature);
        if ok {
            self.cache.insert(id, (), standing);
        }
        ok
    }
}

/// Where [`verify_cached`] remembers verified signatures, and which verification methods'
/// signatures go to the cache's trusted partition.
pub struct Signatures<'a> {
    /// The cache.
    pub cache: &'a SignatureCache,
    /// True for a method of a trusted issuer (e.g. its controller is in the trust list).
    pub trusted: &'a dyn Fn(&VerificationMethodId) -> bool,
}

impl fmt::Debug for Signatures<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signatures")
            .field("cache", self.cache)
            .finish_non_exhaustive()
    }
}

static SIGNATURE_CACHE_ON: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Turns every [`SignatureCache`] of the process on or off (on by default), e.g. for a
/// benchmark to measure cold verification. A verifier's own budget
/// ([`crate::verify::CacheLimits::signatures`], 0 for none) is the way to configure one
/// deployment.
pub fn set_signature_cache(on: bool) {
    SIGNATURE_CACHE_ON.store(on, std::sync::atomic::Ordering::Relaxed);
}

fn verified_signature(
    signatures: Option<&Signatures<'_>>,
    vm: &VerificationMethodId,
    key: &PublicKey,
    hash: &[u8; 64],
    signature: &[u8; 64],
) -> bool {
    #[cfg(feature = "batch")]
    if let Some(answer) = deferred::record(signatures, vm, key, hash, signature) {
        return answer;
    }
    match signatures {
        Some(s) => s.cache.verify(
            key,
            hash,
            signature,
            Standing::from_trusted((s.trusted)(vm)),
        ),
        None => key.verify_strict(hash, signature),
    }
}

/// Runs `f` with signature checks taken out of any deferral ([`deferring`]): a status list's
/// proof, whose verdict is cached with the list, must be decided at once.
pub(crate) fn undeferred<T>(f: impl FnOnce() -> T) -> T {
    #[cfg(feature = "batch")]
    {
        deferred::suspended(f)
    }
    #[cfg(not(feature = "batch"))]
    {
        f()
    }
}

#[cfg(feature = "batch")]
pub(crate) use deferred::deferring;

/// Deferred signature checks for [`crate::batch`]: while [`deferring`] runs a verification on
/// this thread, every signature check of the pipeline records the signature and answers
/// "verified"; the caller batch-verifies what was recorded and verifies again, normally, any
/// credential with a bad one. A signature already in the verified-signature cache is not
/// recorded.
#[cfg(feature = "batch")]
mod deferred {
    use std::cell::RefCell;

    use super::{Signatures, Standing, VerificationMethodId};
    use crate::batch::SignatureItem;
    use crate::keys::PublicKey;

    /// A recorded signature and the cache partition it belongs in once verified.
    pub(crate) struct Deferred {
        pub(crate) item: SignatureItem,
        pub(crate) standing: Standing,
    }

    thread_local! {
        static RECORDED: RefCell<Option<Vec<Deferred>>> = const { RefCell::new(None) };
    }

    /// Puts back what was there when dropped, even on a panic.
    struct Restore(Option<Vec<Deferred>>);

    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            RECORDED.with(|r| *r.borrow_mut() = previous);
        }
    }

    /// Runs `f` with signature checks deferred; returns its result and the signatures it met.
    pub(crate) fn deferring<T>(f: impl FnOnce() -> T) -> (T, Vec<Deferred>) {
        let restore = Restore(RECORDED.with(|r| r.borrow_mut().replace(Vec::new())));
        let out = f();
        let recorded = RECORDED.with(|r| r.borrow_mut().take()).unwrap_or_default();
        drop(restore);
        (out, recorded)
    }

    /// Runs `f` with signature checks done at once.
    pub(crate) fn suspended<T>(f: impl FnOnce() -> T) -> T {
        let _restore = Restore(RECORDED.with(|r| r.borrow_mut().take()));
        f()
    }

    /// `Some(true)` when deferring (recorded, or already known good), `None` otherwise.
    pub(super) fn record(
        signatures: Option<&Signatures<'_>>,
        vm: &VerificationMethodId,
        key: &PublicKey,
        hash: &[u8; 64],
        signature: &[u8; 64],
    ) -> Option<bool> {
        RECORDED.with(|r| {
            let mut recorded = r.borrow_mut();
            let list = recorded.as_mut()?;
            if signatures.is_some_and(|s| s.cache.known(key, hash, signature)) {
                return Some(true);
            }
            let standing = signatures.map_or(Standing::Untrusted, |s| {
                Standing::from_trusted((s.trusted)(vm))
            });
            list.push(Deferred {
                item: SignatureItem {
                    key: *key,
                    message: *hash,
                    signature: *signature,
                },
                standing,
            });
            Some(true)
        })
    }
}

/// The proofs a chained proof names in `previousProof` (a string or an array of strings), in
/// that order; `None` when it names none (VC-DI §4.4 step 5).
fn previous_proofs(
    proof: &Map<String, Value>,
    all: &[&Map<String, Value>],
) -> Option<Result<Vec<Value>, ProofError>> {
    let ids: Vec<&str> = match proof.get("previousProof")? {
        Value::String(id) => vec![id],
        Value::Array(items) => match items.iter().map(Value::as_str).collect::<Option<Vec<_>>>() {
            Some(ids) => ids,
            None => {
                return Some(Err(ProofError::Malformed(
                    "previousProof must be a string or an array of strings".into(),
                )))
            }
        },
        _ => {
            return Some(Err(ProofError::Malformed(
                "previousProof must be a string or an array of strings".into(),
            )))
        }
    };
    Some(
        ids.iter()
            .map(|id| {
                all.iter()
                    .find(|p| p.get("id").and_then(Value::as_str) == Some(id))
                    .map(|p| Value::Object((*p).clone()))
                    .ok_or_else(|| {
                        ProofError::Malformed(format!(
                            "previousProof {id:?} is not a proof of this document"
                        ))
                    })
            })
            .collect(),
    )
}

/// Why a verification method's key could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLookupError {
    /// The error code to report.
    pub code: ErrorCode,
    /// What happened, for people.
    pub detail: String,
    /// True when it could not be decided (e.g. a DID document could not be fetched), as
    /// opposed to decided wrong (the method does not exist in the fetched document).
    pub undecided: bool,
}

/// The outcome of verifying one proof of a proof set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofResult {
    /// The proof's `verificationMethod`, when it had a valid one.
    pub verification_method: Option<VerificationMethodId>,
    /// The proof's `cryptosuite` text, when present.
    pub cryptosuite: Option<String>,
    /// `Ok` when the signature verified; otherwise why not.
    pub outcome: Result<(), ProofFailure>,
}

/// Why one proof did not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofFailure {
    /// The proof is wrong.
    Invalid(ProofError),
    /// The key could not be had.
    Key(KeyLookupError),
}

impl ProofFailure {
    /// The error code to report.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(e) => e.code(),
            Self::Key(k) => k.code,
        }
    }
}

impl fmt::Display for ProofFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(e) => write!(f, "{e}"),
            Self::Key(k) => f.write_str(&k.detail),
        }
    }
}

/// `SHA-256` of the canonical N-Quads of an object, final newline included (VC-DI-EdDSA
/// §3.2.3 transformation, §3.2.4 hashing).
fn rdfc_hash(
    object: &Map<String, Value>,
    without: Option<&str>,
    context: Option<&Value>,
    limits: &Limits,
) -> Result<[u8; 32], ProofError> {
    Ok(jsonld::canonical_hash(object, without, context, limits)?)
}

/// Verifies every proof of a secured document: one `proof` object or a proof set (VC-DI §4.3,
/// §2.1.1; VC-DI-EdDSA §3.2.2, §3.3.2). Each proof is checked against the document without any
/// `proof`; `keys` supplies the public key of each verification method. JSON-LD processing for
/// `eddsa-rdfc-2022` runs within the default [`Limits`].
///
/// # Errors
/// [`ProofError::NoProof`] when there is no `proof`, [`ProofError::Malformed`] when it is not an
/// object or a non-empty array of objects.
pub fn verify(
    document: &Map<String, Value>,
    expected_purpose: Relationship,
    now: OffsetDateTime,
    keys: &mut dyn FnMut(&VerificationMethodId) -> Result<PublicKey, KeyLookupError>,
) -> Result<Vec<ProofResult>, ProofError> {
    verify_with_limits(document, expected_purpose, now, &Limits::default(), keys)
}

/// [`verify`] with caller-chosen [`Limits`] for JSON-LD processing.
///
/// # Errors
/// As [`verify`].
pub fn verify_with_limits(
    document: &Map<String, Value>,
    expected_purpose: Relationship,
    now: OffsetDateTime,
    limits: &Limits,
    keys: &mut dyn FnMut(&VerificationMethodId) -> Result<PublicKey, KeyLookupError>,
) -> Result<Vec<ProofResult>, ProofError> {
    verify_proofs(document, expected_purpose, now, limits, None, None, keys)
}

/// [`verify_with_limits`], remembering verified signatures in `signatures` (and skipping the
/// curve arithmetic for one already there).
///
/// # Errors
/// As [`verify`].
pub fn verify_cached(
    document: &Map<String, Value>,
    expected_purpose: Relationship,
    now: OffsetDateTime,
    limits: &Limits,
    signatures: &Signatures<'_>,
    keys: &mut dyn FnMut(&VerificationMethodId) -> Result<PublicKey, KeyLookupError>,
) -> Result<Vec<ProofResult>, ProofError> {
    verify_cached_with_jcs_text(
        document,
        None,
        expected_purpose,
        now,
        limits,
        signatures,
        keys,
    )
}

/// [`verify_cached`] for a document whose JCS form without `proof` is, when given, the
/// concatenation of `jcs_text`'s two slices (from [`crate::json::parse_with_jcs`]): an
/// eddsa-jcs-2022 proof then hashes that text instead of writing the document again.
pub(crate) fn verify_cached_with_jcs_text(
    document: &Map<String, Value>,
    jcs_text: Option<[&[u8]; 2]>,
    expected_purpose: Relationship,
    now: OffsetDateTime,
    limits: &Limits,
    signatures: &Signatures<'_>,
    keys: &mut dyn FnMut(&VerificationMethodId) -> Result<PublicKey, KeyLookupError>,
) -> Result<Vec<ProofResult>, ProofError> {
    verify_proofs(
        document,
        expected_purpose,
        now,
        limits,
        Some(signatures),
        jcs_text,
        keys,
    )
}

fn verify_proofs(
    document: &Map<String, Value>,
    expected_purpose: Relationship,
    now: OffsetDateTime,
    limits: &Limits,
    signatures: Option<&Signatures<'_>>,
    jcs_text: Option<[&[u8]; 2]>,
    keys: &mut dyn FnMut(&VerificationMethodId) -> Result<PublicKey, KeyLookupError>,
) -> Result<Vec<ProofResult>, ProofError> {
    let proofs: Vec<&Map<String, Value>> = match document.get("proof") {
        None => return Err(ProofError::NoProof),
        Some(Value::Object(p)) => vec![p],
        Some(Value::Array(set)) if !set.is_empty() => set
            .iter()
            .map(|p| {
                p.as_object().ok_or_else(|| {
                    ProofError::Malformed("a proof in the proof set is not an object".into())
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(ProofError::Malformed(
                "proof must be an object or a non-empty array of objects".into(),
            ))
        }
    };
    // The document hash is the same for every proof of a suite that uses the document's
    // own @context.
    let mut doc_hashes = DocHashes {
        without: Some("proof"),
        jcs: None,
        jcs_text,
        rdfc: None,
        limits,
    };
    let results = proofs
        .iter()
        .map(|proof| {
            let mut vm = None;
            let outcome = match previous_proofs(proof, &proofs) {
                // A chained proof (VC-DI §4.4 step 5): it signed the document with the proofs
                // it names as `proof`, so it is checked against exactly that.
                Some(Ok(chain)) => {
                    let mut chained = document.clone();
                    chained.insert("proof".into(), Value::Array(chain));
                    let mut own = DocHashes {
                        without: None,
                        jcs: None,
                        jcs_text: None,
                        rdfc: None,
                        limits,
                    };
                    verify_one(
                        &chained,
                        proof,
                        expected_purpose,
                        now,
                        keys,
                        signatures,
                        &mut own,
                        &mut vm,
                    )
                }
                Some(Err(e)) => Err(ProofFailure::Invalid(e)),
                None => verify_one(
                    document,
                    proof,
                    expected_purpose,
                    now,
                    keys,
                    signatures,
                    &mut doc_hashes,
                    &mut vm,
                ),
            };
            ProofResult {
                verification_method: vm,
                cryptosuite: proof
                    .get("cryptosuite")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                outcome,
            }
        })
        .collect();
    Ok(results)
}

// One proof's inputs; grouping them in a struct would only rename them.
#[allow(clippy::too_many_arguments)]
fn verify_one(
    document: &Map<String, Value>,
    proof: &Map<String, Value>,
    expected_purpose: Relationship,
    now: OffsetDateTime,
    keys: &mut dyn FnMut(&VerificationMethodId) -> Result<PublicKey, KeyLookupError>,
    signatures: Option<&Signatures<'_>>,
    doc_hashes: &mut DocHashes<'_>,
    vm_out: &mut Option<VerificationMethodId>,
) -> Result<(), ProofFailure> {
    let invalid = ProofFailure::Invalid;
    let text = |name: &'static str| -> Result<&str, ProofFailure> {
        match proof.get(name) {
            None => Err(invalid(ProofError::Missing(name))),
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(invalid(ProofError::Malformed(format!(
                "proof {name} is not a string"
            )))),
        }
    };
    // VC-DI §4.3 step 3: type, verificationMethod and proofPurpose must exist.
    let proof_type = text("type")?;
    let vm_text = text("verificationMethod")?;
    let purpose = text("proofPurpose")?;
    let vm = VerificationMethodId::parse(vm_text)
        .map_err(|_| invalid(ProofError::InvalidVerificationMethod(vm_text.to_owned())))?;
    *vm_out = Some(vm.clone());
    if proof_type != DATA_INTEGRITY_PROOF {
        return Err(invalid(ProofError::UnsupportedType(proof_type.to_owned())));
    }
    let suite: Cryptosuite = text("cryptosuite")?.parse().map_err(invalid)?;
    // VC-DI §4.3 step 4.
    if purpose != expected_purpose.as_str() {
        return Err(invalid(ProofError::WrongPurpose {
            found: purpose.to_owned(),
            expected: expected_purpose.as_str(),
        }));
    }
    for field in ["created", "expires"] {
        if let Some(value) = proof.get(field) {
            let parsed = value
                .as_str()
                .ok_or_else(|| {
                    invalid(ProofError::Malformed(format!(
                        "proof {field} is not a string"
                    )))
                })
                .and_then(|t| {
                    datetime::parse(t)
                        .map_err(|source| invalid(ProofError::BadDate { field, source }))
                })?;
            if field == "expires" && parsed < now {
                return Err(invalid(ProofError::Expired {
                    expires: datetime::format(parsed),
                }));
            }
        }
    }
    let proof_value = text("proofValue")?;
    let signature: [u8; 64] = Multibase::decode_base58btc(proof_value)
        .map_err(|e| invalid(ProofError::BadProofValue(e.to_string())))?
        .try_into()
        .map_err(|b: Vec<u8>| {
            invalid(ProofError::BadProofValue(format!(
                "{} bytes, expected 64",
                b.len()
            )))
        })?;

    // VC-DI-EdDSA §3.2.2 / §3.3.2 step 4: the proof's @context must be a prefix of the
    // document's, and then stands in for it.
    let doc_context = document.get("@context");
    let proof_context = proof.get("@context");
    let mut hash = [0u8; 64];
    let own_context = match proof_context {
        Some(pc) if Some(pc) != doc_context => {
            if !is_prefix(pc, doc_context) {
                return Err(invalid(ProofError::ContextMismatch));
            }
            false
        }
        _ => true,
    };
    let config_context = if own_context {
        doc_context
    } else {
        proof_context
    };
    match suite {
        Cryptosuite::EddsaJcs2022 => {
            let dh = if own_context {
                *doc_hashes
                    .jcs
                    .get_or_insert_with(|| match doc_hashes.jcs_text {
                        Some(parts) => {
                            let mut hasher = Sha256::new();
                            parts.iter().for_each(|part| hasher.update(part));
                            hasher.finalize().into()
                        }
                        None => jcs_hash(document, doc_hashes.without, None),
                    })
            } else {
                jcs_hash(document, doc_hashes.without, proof_context)
            };
            hash[32..].copy_from_slice(&dh);
            // The proof configuration: the proof without proofValue, with the document's
            // @context (VC-DI-EdDSA §3.3.5).
            let config = match config_context {
                Some(c) => jcs_hash(proof, Some("proofValue"), Some(c)),
                None => jcs_hash(&without_context(proof), Some("proofValue"), None),
            };
            hash[..32].copy_from_slice(&config);
        }
        Cryptosuite::EddsaRdfc2022 => {
            let limits = doc_hashes.limits;
            // The usual case, first proof: the document and the proof configuration share one
            // JSON-LD pass.
            let mut config_done = None;
            if let (true, None, Some(context)) = (own_context, &doc_hashes.rdfc, doc_context) {
                let (config, doc) = jsonld::canonical_hash_pair(
                    proof,
                    Some("proofValue"),
                    document,
                    doc_hashes.without,
                    context,
                    limits,
                );
                doc_hashes.rdfc = Some(doc.map_err(ProofError::from));
                config_done = Some(config.map_err(ProofError::from));
            }
            let dh = if own_context {
                doc_hashes
                    .rdfc
                    .get_or_insert_with(|| rdfc_hash(document, doc_hashes.without, None, limits))
                    .clone()
            } else {
                rdfc_hash(document, doc_hashes.without, proof_context, limits)
            }
            .map_err(invalid)?;
            hash[32..].copy_from_slice(&dh);
            // The proof configuration with the document's @context (VC-DI-EdDSA §3.2.5); a
            // document without one leaves the proof's terms undefined, which is data loss.
            let config = match (config_done, config_context) {
                (Some(done), _) => done,
                (None, Some(c)) => rdfc_hash(proof, Some("proofValue"), Some(c), limits),
                (None, None) => {
                    rdfc_hash(&without_context(proof), Some("proofValue"), None, limits)
                }
            }
            .map_err(invalid)?;
            hash[..32].copy_from_slice(&config);
        }
    }
    let key = keys(&vm).map_err(ProofFailure::Key)?;
    if verified_signature(signatures, &vm, &key, &hash, &signature) {
        Ok(())
    } else {
        Err(invalid(ProofError::BadSignature {
            verification_method: vm.to_string(),
        }))
    }
}

/// Document hashes computed once for every proof of a set that uses the document's @context.
struct DocHashes<'l> {
    /// The member left out of the hashed document: `proof`, or nothing for a chained proof,
    /// whose document carries the proofs it signed.
    without: Option<&'static str>,
    jcs: Option<[u8; 32]>,
    /// The JCS form of the document without `proof` as two slices of its text, when the
    /// text was already canonical (only with `without: Some("proof")`).
    jcs_text: Option<[&'l [u8]; 2]>,
    rdfc: Option<Result<[u8; 32], ProofError>>,
    limits: &'l Limits,
}

/// SHA-256 of the JCS form of an object (see [`jcs::write_object`]), hashed as it is written.
fn jcs_hash(
    object: &Map<String, Value>,
    without: Option<&str>,
    context: Option<&Value>,
) -> [u8; 32] {
    // Buffered, then hashed once: many small hash updates cost more than the copy.
    let mut buffer = Vec::with_capacity(4096);
    jcs::write_object(&mut buffer, object, without, context);
    let mut hasher = Sha256::new();
    hasher.update(&buffer);
    hasher.finalize().into()
}

fn without_context(proof: &Map<String, Value>) -> Map<String, Value> {
    let mut copy = proof.clone();
    copy.remove("@context");
    copy
}

fn is_prefix(proof_context: &Value, doc_context: Option<&Value>) -> bool {
    fn as_slice(v: &Value) -> &[Value] {
        match v {
            Value::Array(items) => items,
            other => std::slice::from_ref(other),
        }
    }
    let Some(doc) = doc_context else { return false };
    let (p, d) = (as_slice(proof_context), as_slice(doc));
    p.len() <= d.len() && d[..p.len()] == *p
}

#[cfg(test)]
mod signature_cache_tests {
    use super::*;

    #[test]
    fn trusted_signatures_survive_a_flood_and_the_bytes_stay_bounded() {
        // Room for four signatures in each half.
        let entry = SignatureCache::new(0).cache.entry_bytes(&[0; 32], &());
        let cache = SignatureCache::new(8 * entry);
        let trusted = SecretKey::from_seed(&[1; 32]);
        let attacker = SecretKey::from_seed(&[2; 32]);
        let hash = [7u8; 64];
        let good = trusted.sign(&hash);
        assert!(cache.verify(&trusted.public_key(), &hash, &good, Standing::Trusted));
        for i in 0..40u8 {
            let hash = [i; 64];
            let signature = attacker.sign(&hash);
            assert!(cache.verify(
                &attacker.public_key(),
                &hash,
                &signature,
                Standing::Untrusted
            ));
            let usage = cache.usage();
            assert!(
                usage.untrusted_bytes <= cache.budget().untrusted,
                "{usage:?}"
            );
        }
        let usage = cache.usage();
        assert_eq!(usage.trusted_entries, 1);
        assert_eq!(usage.untrusted_entries, 4);
        // A signature that does not verify is never remembered.
        let mut bad = good;
        bad[0] ^= 1;
        assert!(!cache.verify(&trusted.public_key(), &hash, &bad, Standing::Trusted));
        assert_eq!(cache.usage().trusted_entries, 1);
        // A budget of 0 remembers nothing.
        let none = SignatureCache::new(0);
        assert!(none.verify(&trusted.public_key(), &hash, &good, Standing::Trusted));
        assert_eq!(none.usage().entries(), 0);
    }
}
