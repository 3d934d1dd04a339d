//! The verification pipeline (docs/design.md §3): `parse`, `proof`, `issuer`, `trust`, `validity`,
//! `status`, in that order, producing one [`Report`]. A presentation
//! ([`Verifier::verify_presentation`]) adds its own `parse`, `proof` (the holder's, for
//! `authentication`), `holder` and `challenge` checks, and runs every embedded credential
//! through the same pipeline within the same work budget and resources, producing one
//! [`PresentationReport`].
//!
//! The pipeline does no I/O. What it cannot derive itself (a `did:web` DID document, an
//! issuer profile, a status list credential) it asks of a [`Resources`] implementation,
//! which the caller filled by fetching, from a cache, or not at all ([`Offline`]); what is
//! missing makes a check `unknown`, never `passed`. Parsed documents and verified, decoded
//! status lists are cached in the [`Verifier`], keyed by URL and by the identity of the bytes
//! the resources returned, so a cached list costs a hash lookup and a bit test. Those caches,
//! and the verified signatures, are bounded by bytes ([`CacheLimits`]), with what trusted
//! issuers signed kept apart from the rest ([`crate::cache`]).

use std::sync::Arc;

use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};

use crate::cache::{BoundedCache, Budget, Standing, Usage};
use crate::credential::{self, Shape};
use crate::datetime;
use crate::did::{did_web_url, ControllerDocument, Did, Relationship, VerificationMethodId};
use crate::json;
use crate::jsonld::{self, Limits};
use crate::keys::PublicKey;
use crate::presentation::{self, PresentationOptions};
use crate::proof::{self, KeyLookupError, ProofFailure, ProofResult};
use crate::report::{Check, CheckId, ErrorCode, Hint, Outcome, PresentationReport, Report};
use crate::status::{StatusEntry, StatusList, StatusPurpose, DEFAULT_MAX_DECODED_BYTES};
use crate::trust::TrustList;

/// Why a resource could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveError {
    /// True when it could not be had at all (unreachable, offline): the check is `unknown`.
    /// False when what was had is wrong (not a valid document): the check fails.
    pub undecided: bool,
    /// What happened, for people.
    pub detail: String,
}

impl ResolveError {
    fn wrong(detail: impl Into<String>) -> Self {
        Self {
            undecided: false,
            detail: detail.into(),
        }
    }
}

/// Already-fetched documents the pipeline may ask for, by URL: DID documents
/// (`https://host/.well-known/did.json` for `did:web:host`), issuer profiles, and status list
/// credentials.
pub trait Resources {
    /// The bytes at `url`. Return the same `Arc` for as long as the bytes are fresh: the
    /// verifier reuses what it derived from them until the `Arc` changes.
    ///
    /// # Errors
    /// [`ResolveError`] when it is not available.
    fn fetch(&self, url: &str) -> Result<Arc<[u8]>, ResolveError>;

    /// Told that `bytes`, fetched from `url`, are a trusted issuer's own document: the DID
    /// document of an issuer in the trust list, or a status list such an issuer signed (its
    /// proof verified). A caching implementation may keep them ahead of others
    /// ([`crate::cache::Standing::Trusted`]). The default does nothing.
    fn trusted(&self, url: &str, bytes: &Arc<[u8]>) {
        let _ = (url, bytes);
    }
}

/// Resources that have nothing: every lookup is undecided.
#[derive(Debug, Clone, Copy, Default)]
pub struct Offline;

impl Resources for Offline {
    fn fetch(&self, url: &str) -> Result<Arc<[u8]>, ResolveError> {
        Err(ResolveError {
            undecided: true,
            detail: format!("{url} was not fetched: nothing is fetched offline"),
        })
    }
}

/// Verifies credentials at a given instant against a trust list.
///
/// ```
/// use hallmark_core::verify::{Offline, Verifier};
/// let verifier = Verifier::new(time::OffsetDateTime::UNIX_EPOCH);
/// let report = verifier.verify_bytes(b"not json", &Offline);
/// assert!(!report.verified());
/// assert_eq!(report.checks[0].code.unwrap().as_str(), "PARSING_ERROR");
/// ```
#[derive(Debug, Clone)]
pub struct Verifier {
    now: OffsetDateTime,
    clock_skew: Duration,
    trust: Option<TrustList>,
    max_list_bytes: usize,
    work_budget: u64,
    caches: Caches,
}

/// Byte budgets of a [`Verifier`]'s caches. Each is split evenly between a trusted and an
/// untrusted partition (see [`crate::cache`]): what a trusted issuer signed or describes is
/// never evicted by anything else, so a flood of documents from others cannot make trusted
/// verifications slow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheLimits {
    /// Parsed controller documents (derived `did:key`, fetched `did:web` and https ones), with
    /// the bytes they were read from. Trusted: the document of an issuer in the trust list.
    pub documents: usize,
    /// Verified, decoded status lists, with the bytes they were read from. Trusted: a list
    /// signed by an issuer in the trust list.
    pub status_lists: usize,
    /// Verified signatures ([`proof::SignatureCache`]); 0 keeps none. Trusted: made with a
    /// method of an issuer in the trust list.
    pub signatures: usize,
    /// Canonical hashes of JSON-LD documents (`eddsa-rdfc-2022`; [`jsonld::HashCache`]), so
    /// a badge or status list seen before is not canonicalized again; 0 keeps none.
    pub canonical_hashes: usize,
}

impl Default for CacheLimits {
    /// 8 MiB of documents, 64 MiB of status lists, 2 MiB of signatures, 1 MiB of canonical
    /// hashes.
    fn default() -> Self {
        Self {
            documents: 8 << 20,
            status_lists: 64 << 20,
            signatures: proof::DEFAULT_SIGNATURE_CACHE_BYTES,
            canonical_hashes: jsonld::DEFAULT_HASH_CACHE_BYTES,
        }
    }
}

impl CacheLimits {
    /// The most all the caches together account, bytes.
    pub fn total(&self) -> usize {
        self.documents
            .saturating_add(self.status_lists)
            .saturating_add(self.signatures)
            .saturating_add(self.canonical_hashes)
    }
}

/// What a [`Verifier`]'s caches hold now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheUsage {
    /// Controller documents.
    pub documents: Usage,
    /// Status lists.
    pub status_lists: Usage,
    /// Verified signatures.
    pub signatures: Usage,
}

impl CacheUsage {
    /// All accounted bytes.
    pub fn bytes(&self) -> usize {
        self.documents.bytes() + self.status_lists.bytes() + self.signatures.bytes()
    }
}

/// A controller document or why there is none, with the fetched bytes it came from (`None`
/// for a `did:key` document, which is derived from its id).
type DocumentEntry = (
    Option<Arc<[u8]>>,
    Result<Arc<ControllerDocument>, ResolveError>,
);

/// A verified, decoded status list or why it cannot be used, with the bytes it came from.
type ListEntry = (Arc<[u8]>, Result<Arc<StatusList>, ListProblem>);

/// What a verifier derived from documents, shared by its clones.
#[derive(Debug, Clone)]
struct Caches {
    /// Controller documents: `did:key` ones by id (decoding the key and decompressing its
    /// point costs about a tenth of a verification), fetched ones by URL.
    documents: Arc<BoundedCache<String, DocumentEntry>>,
    /// Verified, decoded status lists by URL.
    lists: Arc<BoundedCache<String, ListEntry>>,
    /// Verified signatures.
    signatures: proof::SignatureCache,
    /// Canonical hashes, handed to canonicalization through [`Limits::hashes`].
    hashes: Arc<jsonld::HashCache>,
}

impl Default for Caches {
    fn default() -> Self {
        Self::new(CacheLimits::default())
    }
}

fn document_cost(url: &str, (bytes, found): &DocumentEntry) -> usize {
    url.len()
        + bytes.as_ref().map_or(0, |b| b.len())
        + match found {
            Ok(doc) => std::mem::size_of::<ControllerDocument>() + doc.heap_bytes(),
            Err(e) => e.detail.len(),
        }
}

fn list_cost(url: &str, (bytes, found): &ListEntry) -> usize {
    url.len()
        + bytes.len()
        + match found {
            Ok(list) => std::mem::size_of::<StatusList>() + list.heap_bytes(),
            Err(p) => p.detail.len(),
        }
}

/// The value cached under `key` if it was derived from these very bytes.
fn derived_from<B, T: Clone>(
    cache: &BoundedCache<String, (B, T)>,
    key: &str,
    same: impl FnOnce(&B) -> bool,
) -> Option<T> {
    cache
        .get_with(key, |(seen, value)| same(seen).then(|| value.clone()))
        .flatten()
}

/// Why a status list could not be used: the `status` check's outcome, code and detail.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ListProblem {
    outcome: Outcome,
    /// The spec's error code, or Hallmark's `STATUS_REVOKED` / `STATUS_SUSPENDED` for a status.
    code: Option<ErrorCode>,
    detail: String,
}

impl Caches {
    fn new(limits: CacheLimits) -> Self {
        Self {
            documents: Arc::new(BoundedCache::new(
                Budget::split(limits.documents),
                |url, entry| document_cost(url, entry),
            )),
            lists: Arc::new(BoundedCache::new(
                Budget::split(limits.status_lists),
                |url, entry| list_cost(url, entry),
            )),
            signatures: proof::SignatureCache::new(limits.signatures),
            hashes: Arc::new(jsonld::HashCache::new(limits.canonical_hashes)),
        }
    }

    fn did_key(
        &self,
        id: &str,
        standing: Standing,
    ) -> Result<Arc<ControllerDocument>, ResolveError> {
        if let Some(found) = derived_from(&self.documents, id, Option::is_none) {
            return found;
        }
        let doc = Did::parse(id)
            .and_then(|did| ControllerDocument::did_key(&did))
            .map(Arc::new)
            .map_err(|e| ResolveError::wrong(e.to_string()))?;
        self.documents
            .insert(id.to_owned(), (None, Ok(doc.clone())), standing);
        Ok(doc)
    }

    /// A controller document: `did:key` derived, `did:web` and https ids fetched (DID Core
    /// §7.1 resolution; did:web §3.2; CID 1.0 §3.1 retrieval).
    /// A trusted document is one of an issuer in the trust list (`trusted`).
    fn document(
        &self,
        id: &str,
        resources: &dyn Resources,
        trusted: bool,
    ) -> Result<Arc<ControllerDocument>, ResolveError> {
        let standing = Standing::from_trusted(trusted);
        if crate::did::method_of(id) == Some("key") {
            return self.did_key(id, standing);
        }
        let url = if crate::did::method_of(id) == Some("web") {
            let did = Did::parse(id).map_err(|e| ResolveError::wrong(e.to_string()))?;
            did_web_url(&did).map_err(|e| ResolveError::wrong(e.to_string()))?
        } else if id.starts_with("https://") || id.starts_with("http://") {
            id.to_owned()
        } else {
            return Err(ResolveError::wrong(format!(
                "{id}: Hallmark resolves did:key, did:web and https identifiers only"
            )));
        };
        let bytes = resources.fetch(&url)?;
        if let Some(found) = derived_from(&self.documents, &url, |seen| {
            seen.as_ref().is_some_and(|seen| Arc::ptr_eq(seen, &bytes))
        }) {
            return found;
        }
        let found = json::parse(&bytes)
            .map_err(|e| ResolveError::wrong(format!("{url}: {e}")))
            .and_then(|value| {
                ControllerDocument::from_json(&value)
                    .map_err(|e| ResolveError::wrong(format!("{url}: {e}")))
            })
            .and_then(|doc| {
                if doc.id == id {
                    Ok(Arc::new(doc))
                } else {
                    Err(ResolveError::wrong(format!(
                        "{url} describes {}, not {id}",
                        doc.id
                    )))
                }
            });
        if trusted && found.is_ok() {
            resources.trusted(&url, &bytes);
        }
        let standing = Standing::from_trusted(trusted && found.is_ok());
        self.documents
            .insert(url, (Some(bytes), found.clone()), standing);
        found
    }
}

/// The canonicalization work one verification may take by default, in steps (about 1 µs
/// each): two documents at their cap ([`jsonld::Limits::max_work`], 25,000), some 40 ms of one
/// core here. A badge takes a few hundred steps.
pub const DEFAULT_WORK_BUDGET: u64 = 50_000;

/// The default tolerance for clocks that disagree: five minutes.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::minutes(5);

impl Verifier {
    /// A verifier evaluating time checks at `now`, with [`DEFAULT_CLOCK_SKEW`] and no trust
    /// list (the `trust` check then warns).
    pub fn new(now: OffsetDateTime) -> Self {
        Self {
            now,
            clock_skew: DEFAULT_CLOCK_SKEW,
            trust: None,
            max_list_bytes: DEFAULT_MAX_DECODED_BYTES,
            work_budget: DEFAULT_WORK_BUDGET,
            caches: Caches::default(),
        }
    }

    /// The instant time checks are evaluated at.
    pub fn now(&self) -> OffsetDateTime {
        self.now
    }

    /// The same verifier evaluating time checks at `now` (keeps its caches).
    #[must_use]
    pub fn at(mut self, now: OffsetDateTime) -> Self {
        self.now = now;
        self
    }

    /// Sets the clock skew tolerated on `validFrom` and `validUntil`.
    #[must_use]
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = skew;
        self
    }

    /// The trust list, when one was given ([`Verifier::trust`]).
    pub fn trust_list(&self) -> Option<&TrustList> {
        self.trust.as_ref()
    }

    /// Sets the trust list.
    #[must_use]
    pub fn trust(mut self, list: TrustList) -> Self {
        self.trust = Some(list);
        self
    }

    /// The same verifier with new, empty caches of these budgets (the clones it was made from
    /// keep theirs).
    #[must_use]
    pub fn cache_limits(mut self, limits: CacheLimits) -> Self {
        self.caches = Caches::new(limits);
        self
    }

    /// What its caches hold (shared with its clones).
    pub fn cache_usage(&self) -> CacheUsage {
        CacheUsage {
            documents: self.caches.documents.usage(),
            status_lists: self.caches.lists.usage(),
            signatures: self.caches.signatures.usage(),
        }
    }

    /// Forgets the canonical hashes it remembered (benchmarks of the cold path).
    pub fn clear_canonical_hashes(&self) {
        self.caches.hashes.clear();
    }

    /// The budgets of its caches.
    pub fn cache_budgets(&self) -> CacheLimits {
        CacheLimits {
            documents: self.caches.documents.budget().total(),
            status_lists: self.caches.lists.budget().total(),
            signatures: self.caches.signatures.budget().total(),
            canonical_hashes: self.caches.hashes.capacity_bytes(),
        }
    }

    /// Its verified-signature cache (shared with its clones).
    #[cfg(feature = "batch")]
    pub(crate) fn signature_cache(&self) -> &proof::SignatureCache {
        &self.caches.signatures
    }

    /// True when `id` (an issuer, or a controller document's id) is in the trust list.
    fn trusts(&self, id: &str) -> bool {
        self.trust.as_ref().is_some_and(|t| t.find(id).is_some())
    }

    /// Every proof of `document`, remembering verified signatures in the verifier's cache.
    /// `jcs_text`: the document's JCS form without `proof`, when its text already was
    /// ([`json::parse_with_jcs`]).
    fn proofs(
        &self,
        document: &Map<String, Value>,
        purpose: Relationship,
        documents: &mut DocumentCache<'_>,
        jcs_text: Option<[&[u8]; 2]>,
    ) -> Result<Vec<ProofResult>, proof::ProofError> {
        let trusted = |vm: &VerificationMethodId| self.trusts(vm.controller_document_id());
        let signatures = proof::Signatures {
            cache: &self.caches.signatures,
            trusted: &trusted,
        };
        let limits = documents.limits.clone();
        let keys = &mut |vm: &VerificationMethodId| documents.key(vm);
        proof::verify_cached_with_jcs_text(
            document,
            jcs_text,
            purpose,
            self.now,
            &limits,
            &signatures,
            keys,
        )
    }

    /// Sets the canonicalization work one verification may take in all, in steps
    /// ([`jsonld::WorkBudget`]; default [`DEFAULT_WORK_BUDGET`]): every proof, chained proof
    /// and status list of one credential draws on it.
    #[must_use]
    pub fn work_budget(mut self, steps: u64) -> Self {
        self.work_budget = steps;
        self
    }

    /// A fresh budget of [`Verifier::work_budget`] steps, for the `_within` functions when one
    /// request verifies several documents (a presentation and its credentials).
    pub fn new_work_budget(&self) -> jsonld::WorkBudget {
        jsonld::WorkBudget::new(self.work_budget)
    }

    /// Verifies the proofs of any secured document for `purpose` (e.g. a holder's
    /// presentation, [`Relationship::Authentication`]) and, when `controller` is given, that a
    /// proof's method belongs to it for that purpose. Returns the `proof` check and the
    /// binding check (reported under the `issuer` id). Challenge and domain are the caller's
    /// to compare: they are signed, so a verified proof carries the values it was made with.
    pub fn verify_proofs(
        &self,
        document: &Map<String, Value>,
        purpose: Relationship,
        controller: Option<&str>,
        resources: &dyn Resources,
    ) -> (Check, Option<Check>) {
        let budget = self.new_work_budget();
        self.verify_proofs_within(document, purpose, controller, resources, &budget)
    }

    /// [`Verifier::verify_proofs`] drawing on a caller's work budget.
    pub fn verify_proofs_within(
        &self,
        document: &Map<String, Value>,
        purpose: Relationship,
        controller: Option<&str>,
        resources: &dyn Resources,
        budget: &jsonld::WorkBudget,
    ) -> (Check, Option<Check>) {
        let mut documents = DocumentCache::new(resources, self, budget);
        let proofs = self.proofs(document, purpose, &mut documents, None);
        let binding = controller.map(|c| {
            binding_check(
                CheckId::Issuer,
                Some(c),
                "the holder",
                purpose,
                &proofs,
                &mut documents,
            )
        });
        (proof_check(&proofs), binding)
    }

    /// Verifies a presentation (VC 2.0 §4.13) within a fresh work budget of
    /// [`Verifier::work_budget`] steps: see [`Verifier::verify_presentation_within`].
    pub fn verify_presentation(
        &self,
        vp: &Map<String, Value>,
        options: &PresentationOptions,
        resources: &dyn Resources,
    ) -> PresentationReport {
        self.verify_presentation_within(vp, options, resources, &self.new_work_budget())
    }

    /// Verifies a presentation drawing on a caller's work budget, which its proofs and every
    /// embedded credential share (so do `resources`: a document fetched for one is there for
    /// all). Its own checks, in order ([`CheckId::PRESENTATION`]):
    /// - `parse`: the VC base context first, a type including `VerifiablePresentation`;
    /// - `proof`: every proof verifies for `authentication` (VC-DI §4.3); skipped for an
    ///   unsigned presentation, failed when `options` ask for a challenge or domain, which
    ///   only a proof carries;
    /// - `holder` (signed presentations that name one): a proof's method belongs to the holder
    ///   and is listed under its `authentication`;
    /// - `challenge` (signed presentations): every proof carries `options`' challenge and
    ///   domain.
    ///
    /// Then one [`Report`] per `verifiableCredential`, as [`Verifier::verify_value_within`].
    pub fn verify_presentation_within(
        &self,
        vp: &Map<String, Value>,
        options: &PresentationOptions,
        resources: &dyn Resources,
        budget: &jsonld::WorkBudget,
    ) -> PresentationReport {
        let mut checks = vec![presentation::shape_check(vp)];
        if vp.contains_key("proof") {
            let mut documents = DocumentCache::new(resources, self, budget);
            let purpose = Relationship::Authentication;
            let proofs = self.proofs(vp, purpose, &mut documents, None);
            checks.push(proof_check(&proofs));
            match presentation::holder(vp) {
                presentation::Holder::Absent => {}
                presentation::Holder::Id(holder) => checks.push(binding_check(
                    CheckId::Holder,
                    Some(holder),
                    "the holder",
                    purpose,
                    &proofs,
                    &mut documents,
                )),
                presentation::Holder::Malformed => checks.push(Check::new(
                    CheckId::Holder,
                    Outcome::Failed,
                    Some(ErrorCode::MalformedValueError),
                    "holder must be one DID or URL: a string, or an object whose id is one",
                )),
            }
            checks.push(presentation::challenge_check(vp, options));
        } else {
            checks.push(presentation::unsigned_check(options));
        }
        let held = presentation::credentials(vp);
        // Over the cap, the parse check failed and none is verified.
        let credentials = if held.len() > presentation::MAX_CREDENTIALS {
            Vec::new()
        } else {
            held.into_iter()
                .map(|c| self.verify_value_within(c, resources, budget))
                .collect()
        };
        PresentationReport::new(checks, credentials)
    }

    /// Sets the cap on a decompressed status list, bytes.
    #[must_use]
    pub fn max_status_list_bytes(mut self, max: usize) -> Self {
        self.max_list_bytes = max;
        self
    }

    /// Verifies a credential given as JSON text.
    pub fn verify_bytes(&self, bytes: &[u8], resources: &dyn Resources) -> Report {
        match json::parse_with_jcs(bytes) {
            Ok((value, jcs)) => self.verify_document(
                &value,
                jcs.map(|[a, b]| [&bytes[a], &bytes[b]]),
                resources,
                &self.new_work_budget(),
            ),
            Err(e) => Report::from_checks(
                only_parse_failed(ErrorCode::ParsingError, e.to_string()),
                None,
            ),
        }
    }

    /// Verifies a credential already parsed (with [`json::parse`], so duplicate keys were
    /// refused), within a fresh work budget of [`Verifier::work_budget`] steps.
    pub fn verify_value(&self, value: &Value, resources: &dyn Resources) -> Report {
        self.verify_value_within(value, resources, &self.new_work_budget())
    }

    /// [`Verifier::verify_value`] drawing on a caller's work budget: one budget for every
    /// credential of a presentation, or for every pass of a fetch-and-verify loop.
    pub fn verify_value_within(
        &self,
        value: &Value,
        resources: &dyn Resources,
        budget: &jsonld::WorkBudget,
    ) -> Report {
        self.verify_document(value, None, resources, budget)
    }

    /// The pipeline, for every way in: `jcs_text` is the document's JCS form without
    /// `proof` when its text already was ([`json::parse_with_jcs`]).
    fn verify_document(
        &self,
        value: &Value,
        jcs_text: Option<[&[u8]; 2]>,
        resources: &dyn Resources,
        budget: &jsonld::WorkBudget,
    ) -> Report {
        let Some(document) = value.as_object() else {
            return Report::from_checks(
                only_parse_failed(
                    ErrorCode::ParsingError,
                    "the credential is not a JSON object",
                ),
                None,
            );
        };
        let shape = credential::Shape::read(document);
        let mut checks = Vec::with_capacity(6);
        checks.push(match &shape.problem {
            None => Check::new(
                CheckId::Parse,
                Outcome::Passed,
                None,
                match shape.data_model {
                    credential::DataModel::V1_1 => {
                        "JSON without duplicate keys; a VC 1.1 credential with known contexts"
                    }
                    _ => "JSON without duplicate keys; a VC 2.0 credential with known contexts",
                },
            ),
            Some((code, detail)) => {
                Check::new(CheckId::Parse, Outcome::Failed, Some(*code), detail.clone())
            }
        });

        let mut documents = DocumentCache::new(resources, self, budget);
        let proofs = self.proofs(
            document,
            Relationship::AssertionMethod,
            &mut documents,
            jcs_text,
        );
        checks.push(proof_check(&proofs));
        checks.push(issuer_check(&shape, &proofs, &mut documents));
        checks.push(self.trust_check(&shape));
        checks.push(self.validity_check(&shape));
        checks.push(self.status_check(document, shape.issuer_id, &mut documents));
        Report::from_checks(checks, Some(shape.summary()))
    }

    /// The `status` check (Bitstring Status List §3.2): every entry is checked, and a set bit
    /// in any revocation or suspension entry fails the check whatever the order of entries.
    /// `issuer` is the credential's issuer: each list must be its (or a trusted issuer's).
    fn status_check(
        &self,
        document: &Map<String, Value>,
        issuer: Option<&str>,
        documents: &mut DocumentCache<'_>,
    ) -> Check {
        let id = CheckId::Status;
        let entries = StatusEntry::read_all(document);
        if entries.is_empty() {
            return Check::new(
                id,
                Outcome::Skipped,
                None,
                "the credential has no credentialStatus",
            );
        }
        let mut failed: Option<Check> = None;
        let mut unknown: Option<Check> = None;
        let mut fine = Vec::new();
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    failed.get_or_insert(Check::new(
                        id,
                        Outcome::Failed,
                        Some(e.code()),
                        e.to_string(),
                    ));
                    continue;
                }
            };
            match self.entry_status(&entry, issuer, documents) {
                Ok(note) => fine.push(note),
                Err(problem) => {
                    let check = Check::new(id, problem.outcome, problem.code, problem.detail);
                    match problem.outcome {
                        Outcome::Unknown => {
                            unknown.get_or_insert(check);
                        }
                        _ => {
                            failed.get_or_insert(check);
                        }
                    }
                }
            }
        }
        match failed.or(unknown) {
            // What the other entries say still counts: a revoked badge's public "message"
            // (superseded, withdrawn) is why it was revoked, for whoever reads the report.
            Some(mut check) => {
                for note in fine {
                    check.detail.push_str("; ");
                    check.detail.push_str(&note);
                }
                check
            }
            None => Check::new(id, Outcome::Passed, None, fine.join("; ")),
        }
    }

    /// One entry's status: `Ok` with a note when it does not invalidate the credential.
    ///
    /// The list must be issued by the credential's issuer, or by an issuer of the trust list
    /// (one list for a federation): a list any key signed would let whoever serves the URL
    /// say "not revoked" (docs/design.md §3: the list's "proof and issuer checked").
    fn entry_status(
        &self,
        entry: &StatusEntry,
        issuer: Option<&str>,
        documents: &mut DocumentCache<'_>,
    ) -> Result<String, ListProblem> {
        let purpose = entry.purpose.as_str();
        let value = self.entry_value(entry, issuer, documents)?;
        let at = format!("index {} of {}", entry.index, entry.list_url);
        match (entry.purpose, value) {
            (StatusPurpose::Revocation, 0) => Ok(format!("not revoked ({at})")),
            (StatusPurpose::Suspension, 0) => Ok(format!("not suspended ({at})")),
            (StatusPurpose::Revocation, _) => Err(ListProblem {
                outcome: Outcome::Failed,
                code: Some(ErrorCode::StatusRevoked),
                detail: format!("REVOKED: the revocation bit is set at {at}"),
            }),
            (StatusPurpose::Suspension, _) => Err(ListProblem {
                outcome: Outcome::Failed,
                code: Some(ErrorCode::StatusSuspended),
                detail: format!("SUSPENDED: the suspension bit is set at {at}"),
            }),
            (_, value) => {
                let message = entry
                    .messages
                    .iter()
                    .find(|(v, _)| *v == value)
                    .map_or_else(|| format!("status 0x{value:x}"), |(_, m)| m.clone());
                Ok(format!("{purpose}: {message} ({at})"))
            }
        }
    }

    /// The value of one entry in its list, the list verified and bound to `issuer` (or a
    /// trusted issuer) as [`Verifier::status_messages`] and the status check require.
    fn entry_value(
        &self,
        entry: &StatusEntry,
        issuer: Option<&str>,
        documents: &mut DocumentCache<'_>,
    ) -> Result<u8, ListProblem> {
        let purpose = entry.purpose.as_str();
        let list = self.status_list(&entry.list_url, documents)?;
        let verification = |detail: String| ListProblem {
            outcome: Outcome::Failed,
            code: Some(ErrorCode::StatusVerificationError),
            detail,
        };
        if issuer != Some(list.issuer.as_str()) && !self.trusts(&list.issuer) {
            return Err(verification(format!(
                "the status list {} is issued by {}, not by the credential's issuer {} nor by a trusted issuer",
                entry.list_url,
                list.issuer,
                issuer.unwrap_or("(none)")
            )));
        }
        if !list.purposes.iter().any(|p| p == purpose) {
            return Err(verification(format!(
                "the {purpose} entry points at {}, a list for {}",
                entry.list_url,
                list.purposes.join(", ")
            )));
        }
        if list
            .valid_from
            .is_some_and(|f| self.now + self.clock_skew < f)
        {
            return Err(verification(format!(
                "the status list {} is not valid yet",
                entry.list_url
            )));
        }
        if list
            .valid_until
            .is_some_and(|u| self.now - self.clock_skew > u)
        {
            return Err(verification(format!(
                "the status list {} has expired",
                entry.list_url
            )));
        }
        let problem = |e: crate::status::StatusListError| ListProblem {
            outcome: Outcome::Failed,
            code: Some(e.code()),
            detail: format!("{}: {e}", entry.list_url),
        };
        list.bitstring
            .check_length(entry.status_size)
            .map_err(problem)?;
        list.bitstring
            .get(entry.index, entry.status_size)
            .map_err(problem)
    }

    /// The "message" entries of a credential (Bitstring Status List §2.1, `statusPurpose`
    /// "message") and the value each has in its list, in the credential's order: what the
    /// status check appends to its detail as text, here as data (e.g. an issuer's
    /// "superseded"). An entry whose list could not be had, verified or bound to the
    /// credential's issuer (or a trusted issuer) has no value. Reads what `resources` hold,
    /// as the verification did: after a verification, the lists are already decoded.
    pub fn status_messages(
        &self,
        credential: &Value,
        resources: &dyn Resources,
    ) -> Vec<StatusMessage> {
        let Some(document) = credential.as_object() else {
            return Vec::new();
        };
        let shape = credential::Shape::read(document);
        let budget = self.new_work_budget();
        let mut documents = DocumentCache::new(resources, self, &budget);
        StatusEntry::read_all(document)
            .into_iter()
            .flatten()
            .filter(|e| e.purpose == StatusPurpose::Message)
            .map(|entry| {
                let value = self
                    .entry_value(&entry, shape.issuer_id, &mut documents)
                    .ok();
                let message = value.and_then(|v| {
                    entry
                        .messages
                        .iter()
                        .find(|(m, _)| *m == v)
                        .map(|(_, text)| text.clone())
                });
                StatusMessage {
                    list_url: entry.list_url,
                    index: entry.index,
                    value,
                    message,
                }
            })
            .collect()
    }

    /// A status list credential, verified (proof, issuer binding) and decoded, from the cache
    /// while its bytes are unchanged.
    fn status_list(
        &self,
        url: &str,
        documents: &mut DocumentCache<'_>,
    ) -> Result<Arc<StatusList>, ListProblem> {
        let bytes = documents.resources.fetch(url).map_err(|e| ListProblem {
            outcome: if e.undecided {
                Outcome::Unknown
            } else {
                Outcome::Failed
            },
            code: Some(ErrorCode::StatusRetrievalError),
            detail: format!("the status list could not be retrieved: {}", e.detail),
        })?;
        if let Some(found) = derived_from(&self.caches.lists, url, |seen| Arc::ptr_eq(seen, &bytes))
        {
            return found;
        }
        // Checked at once even in a batch (`verify_many`): the verdict is cached with the list.
        let found = proof::undeferred(|| self.read_status_list(url, &bytes, documents));
        // Trusted: a list its proof and issuer binding show a trusted issuer signed.
        let trusted = found.as_ref().is_ok_and(|list| self.trusts(&list.issuer));
        if trusted {
            documents.resources.trusted(url, &bytes);
        }
        // An undecided result (a key that could not be fetched) is not kept.
        if !matches!(&found, Err(p) if p.outcome == Outcome::Unknown) {
            self.caches.lists.insert(
                url.to_owned(),
                (bytes, found.clone()),
                Standing::from_trusted(trusted),
            );
        }
        found
    }

    fn read_status_list(
        &self,
        url: &str,
        bytes: &[u8],
        documents: &mut DocumentCache<'_>,
    ) -> Result<Arc<StatusList>, ListProblem> {
        let failed = |code, detail: String| ListProblem {
            outcome: Outcome::Failed,
            code: Some(code),
            detail,
        };
        let value = json::parse(bytes).map_err(|e| {
            failed(
                ErrorCode::StatusRetrievalError,
                format!("the status list at {url} is not valid JSON: {e}"),
            )
        })?;
        let list = value.as_object().ok_or_else(|| {
            failed(
                ErrorCode::StatusRetrievalError,
                format!("the status list at {url} is not a JSON object"),
            )
        })?;
        // Its own proof and issuer binding; `entry_status` matches its issuer to the credential's.
        let proofs = self.proofs(list, Relationship::AssertionMethod, documents, None);
        for check in [
            proof_check(&proofs),
            issuer_check(&Shape::read(list), &proofs, documents),
        ] {
            if check.outcome != Outcome::Passed {
                return Err(ListProblem {
                    outcome: check.outcome,
                    code: Some(ErrorCode::StatusVerificationError),
                    detail: format!(
                        "the status list at {url} does not verify ({} check): {}",
                        check.check, check.detail
                    ),
                });
            }
        }
        StatusList::read(list, self.max_list_bytes)
            .and_then(|l| l.check_served_at(url).map(|()| l))
            .map(Arc::new)
            .map_err(|e| failed(ErrorCode::StatusVerificationError, format!("{url}: {e}")))
    }

    fn trust_check(&self, shape: &Shape<'_>) -> Check {
        let id = CheckId::Trust;
        let Some(issuer) = shape.issuer_id else {
            return Check::new(id, Outcome::Failed, None, "the credential names no issuer");
        };
        // How to trust the issuer is the front end's to say (a flag, a setting): a hint.
        let hint = || Hint::TrustIssuer {
            issuer: issuer.to_owned(),
        };
        match &self.trust {
            None => Check::new(
                id,
                Outcome::Warning,
                None,
                format!("no trust list is configured, so {issuer} was not checked against one"),
            )
            .with_hint(hint()),
            Some(list) => match list.find(issuer) {
                Some(entry) => Check::new(
                    id,
                    Outcome::Passed,
                    None,
                    match &entry.name {
                        Some(name) => format!("{issuer} is trusted as {name:?}"),
                        None => format!("{issuer} is in the trust list"),
                    },
                ),
                None => Check::new(
                    id,
                    Outcome::Failed,
                    None,
                    format!("issuer {issuer} is not in the trust list"),
                )
                .with_hint(hint()),
            },
        }
    }

    fn validity_check(&self, shape: &Shape<'_>) -> Check {
        let id = CheckId::Validity;
        let read = |name: &str, text: Option<&Value>| -> Result<Option<OffsetDateTime>, Check> {
            match text {
                None => Ok(None),
                Some(Value::String(t)) => datetime::parse(t).map(Some).map_err(|e| {
                    Check::new(
                        id,
                        Outcome::Failed,
                        Some(ErrorCode::MalformedValueError),
                        format!("{name}: {e}"),
                    )
                }),
                Some(_) => Err(Check::new(
                    id,
                    Outcome::Failed,
                    Some(ErrorCode::MalformedValueError),
                    format!("{name} is not a string"),
                )),
            }
        };
        let (from_name, until_name) = shape.validity_names;
        let from = match read(from_name, shape.valid_from) {
            Ok(v) => v,
            Err(c) => return c,
        };
        let until = match read(until_name, shape.valid_until) {
            Ok(v) => v,
            Err(c) => return c,
        };
        let now = self.now;
        let at = datetime::format(now);
        if let Some(from) = from {
            if now + self.clock_skew < from {
                return Check::new(
                    id,
                    Outcome::Failed,
                    Some(ErrorCode::RangeError),
                    format!(
                        "not yet valid: {from_name} is {}, it is now {at}",
                        datetime::format(from)
                    ),
                );
            }
        }
        if let Some(until) = until {
            if now - self.clock_skew > until {
                return Check::new(
                    id,
                    Outcome::Failed,
                    Some(ErrorCode::RangeError),
                    format!(
                        "expired: {until_name} was {}, it is now {at}",
                        datetime::format(until)
                    ),
                );
            }
        }
        let window = match (from, until) {
            (Some(f), Some(u)) => format!(
                "valid from {} until {}",
                datetime::format(f),
                datetime::format(u)
            ),
            (Some(f), None) => format!("valid from {}, no expiry", datetime::format(f)),
            (None, Some(u)) => format!("valid until {}", datetime::format(u)),
            (None, None) => "no validity period is stated".to_owned(),
        };
        Check::new(
            id,
            Outcome::Passed,
            None,
            format!("{window} (checked at {at})"),
        )
    }
}

fn only_parse_failed(code: ErrorCode, detail: impl Into<String>) -> Vec<Check> {
    let mut checks = vec![Check::new(
        CheckId::Parse,
        Outcome::Failed,
        Some(code),
        detail,
    )];
    for id in &CheckId::ALL[1..] {
        checks.push(Check::new(
            *id,
            Outcome::Skipped,
            None,
            "not run: the input could not be parsed",
        ));
    }
    checks
}

fn proof_check(proofs: &Result<Vec<ProofResult>, proof::ProofError>) -> Check {
    let id = CheckId::Proof;
    let proofs = match proofs {
        Ok(p) => p,
        Err(e) => return Check::new(id, Outcome::Failed, Some(e.code()), e.to_string()),
    };
    let n = proofs.len();
    for (i, p) in proofs.iter().enumerate() {
        if let Err(failure) = &p.outcome {
            let which = if n > 1 {
                format!("proof {} of {n}: ", i + 1)
            } else {
                String::new()
            };
            let outcome = match failure {
                ProofFailure::Key(k) if k.undecided => Outcome::Unknown,
                _ => Outcome::Failed,
            };
            return Check::new(
                id,
                outcome,
                Some(failure.code()),
                format!("{which}{failure}"),
            );
        }
    }
    let suites: Vec<&str> = proofs
        .iter()
        .filter_map(|p| p.cryptosuite.as_deref())
        .collect();
    let by: Vec<String> = proofs
        .iter()
        .filter_map(|p| p.verification_method.as_ref().map(ToString::to_string))
        .collect();
    Check::new(
        id,
        Outcome::Passed,
        None,
        format!(
            "{} ({}) signed by {}",
            if n > 1 {
                format!("{n} proofs verify")
            } else {
                "the signature verifies".into()
            },
            suites.join(", "),
            by.join(", ")
        ),
    )
}

fn issuer_check(
    shape: &Shape<'_>,
    proofs: &Result<Vec<ProofResult>, proof::ProofError>,
    documents: &mut DocumentCache<'_>,
) -> Check {
    binding_check(
        CheckId::Issuer,
        shape.issuer_id,
        "the issuer",
        Relationship::AssertionMethod,
        proofs,
        documents,
    )
}

/// That one proof's verification method is `controller`'s, listed under `relationship`
/// (VC-DI §4.3 Retrieve Verification Method; VC 2.0 §4.7 issuer; §4.13 holder), reported
/// under `id`.
fn binding_check(
    id: CheckId,
    controller: Option<&str>,
    role: &str,
    relationship: Relationship,
    proofs: &Result<Vec<ProofResult>, proof::ProofError>,
    documents: &mut DocumentCache<'_>,
) -> Check {
    let Some(issuer) = controller else {
        return Check::new(
            id,
            Outcome::Failed,
            Some(ErrorCode::MalformedValueError),
            format!("the document names no {}", role.trim_start_matches("the ")),
        );
    };
    let methods: Vec<&VerificationMethodId> = match proofs {
        Ok(p) => p
            .iter()
            .filter_map(|r| r.verification_method.as_ref())
            .collect(),
        Err(_) => Vec::new(),
    };
    if methods.is_empty() {
        return Check::new(
            id,
            Outcome::Failed,
            Some(ErrorCode::InvalidVerificationMethod),
            format!(
                "no proof names a verification method, so nothing ties the credential to {issuer}"
            ),
        );
    }
    // One proof by the issuer, for assertionMethod, binds the credential to it.
    let mut first_problem: Option<Check> = None;
    for vm in methods {
        let problem = match documents.document(vm.controller_document_id()) {
            Err(e) => Check::new(
                id,
                if e.undecided {
                    Outcome::Unknown
                } else {
                    Outcome::Failed
                },
                Some(ErrorCode::InvalidVerificationMethod),
                e.detail,
            ),
            Ok(doc) => match doc.method(vm.as_str()) {
                None => Check::new(
                    id,
                    Outcome::Failed,
                    Some(ErrorCode::InvalidVerificationMethod),
                    format!("{vm} is not a verification method of {}", doc.id),
                ),
                Some(method) if method.controller != issuer => Check::new(
                    id,
                    Outcome::Failed,
                    Some(ErrorCode::InvalidVerificationMethod),
                    format!(
                        "signed with {vm}, controlled by {}, which is not {role} {issuer}",
                        if method.controller.is_empty() {
                            "nobody named"
                        } else {
                            &method.controller
                        }
                    ),
                ),
                Some(_) if !doc.has_relationship(vm.as_str(), relationship) => Check::new(
                    id,
                    Outcome::Failed,
                    Some(ErrorCode::InvalidRelationshipForVerificationMethod),
                    format!(
                        "{vm} is not listed under {} by {issuer}",
                        relationship.as_str()
                    ),
                ),
                Some(_) => {
                    return Check::new(
                        id,
                        Outcome::Passed,
                        None,
                        format!(
                            "{vm} is an {} method of {role} {issuer}",
                            relationship.as_str()
                        ),
                    )
                }
            },
        };
        first_problem.get_or_insert(problem);
    }
    first_problem.unwrap_or_else(|| Check::new(id, Outcome::Failed, None, "no proof"))
}

/// A credential's "message" status entry and its value ([`Verifier::status_messages`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMessage {
    /// `statusListCredential`.
    pub list_url: String,
    /// `statusListIndex`.
    pub index: u64,
    /// The entry's value in the verified list; `None` when the list could not be had,
    /// verified, or bound to the credential's issuer.
    pub value: Option<u8>,
    /// The entry's `statusMessage` text for that value (e.g. "superseded"), when it gives one.
    pub message: Option<String>,
}

/// Controller documents looked up during one verification, each at most once.
struct DocumentCache<'r> {
    resources: &'r dyn Resources,
    verifier: &'r Verifier,
    seen: Vec<(String, Result<Arc<ControllerDocument>, ResolveError>)>,
    /// JSON-LD limits with this verification's shared work budget.
    limits: Limits,
}

impl<'r> DocumentCache<'r> {
    fn new(
        resources: &'r dyn Resources,
        verifier: &'r Verifier,
        budget: &jsonld::WorkBudget,
    ) -> Self {
        Self {
            resources,
            verifier,
            seen: Vec::new(),
            limits: Limits::default()
                .budget(budget.clone())
                .hashes(Arc::clone(&verifier.caches.hashes)),
        }
    }

    fn document(&mut self, id: &str) -> Result<Arc<ControllerDocument>, ResolveError> {
        if let Some((_, found)) = self.seen.iter().find(|(k, _)| k == id) {
            return found.clone();
        }
        let found = self
            .verifier
            .caches
            .document(id, self.resources, self.verifier.trusts(id));
        self.seen.push((id.to_owned(), found.clone()));
        found
    }

    fn key(&mut self, vm: &VerificationMethodId) -> Result<PublicKey, KeyLookupError> {
        let doc = self
            .document(vm.controller_document_id())
            .map_err(|e| KeyLookupError {
                code: ErrorCode::InvalidVerificationMethod,
                detail: e.detail,
                undecided: e.undecided,
            })?;
        let method = doc.method(vm.as_str()).ok_or_else(|| KeyLookupError {
            code: ErrorCode::InvalidVerificationMethod,
            detail: format!("{vm} is not a verification method of {}", doc.id),
            undecided: false,
        })?;
        method.key.clone().map_err(|detail| KeyLookupError {
            code: ErrorCode::InvalidVerificationMethod,
            detail: format!("{vm}: {detail}"),
            undecided: false,
        })
    }
}
