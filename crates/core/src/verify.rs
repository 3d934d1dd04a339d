//! The verification pipeline (DESIGN §3): `parse`, `proof`, `issuer`, `trust`, `validity`,
//! `status`, in that order, producing one [`Report`].
//!
//! The pipeline does no I/O. Documents it cannot derive itself (a `did:web` DID document, an
//! issuer profile) come from a [`Resources`] implementation that the caller filled by
//! fetching, from a cache, or not at all ([`Offline`]); what is missing makes a check
//! `unknown`, never `passed`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};

use crate::credential::{self, Shape};
use crate::datetime;
use crate::did::{ControllerDocument, Did, Relationship, VerificationMethodId};
use crate::json;
use crate::keys::PublicKey;
use crate::proof::{self, KeyLookupError, ProofFailure, ProofResult};
use crate::report::{Check, CheckId, ErrorCode, Outcome, Report};
use crate::trust::TrustList;

/// Why a document could not be supplied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveError {
    /// True when it could not be had at all (unreachable, offline): the check is `unknown`.
    /// False when what was had is wrong (not a valid document): the check fails.
    pub undecided: bool,
    /// What happened, for people.
    pub detail: String,
}

/// Already-fetched documents the pipeline may ask for.
pub trait Resources {
    /// The controller document (DID document, CID 1.0 document or issuer profile) whose id
    /// is `id` (a DID or URL without fragment). `did:key` never reaches here.
    ///
    /// # Errors
    /// [`ResolveError`] when it is not available or not valid.
    fn controller_document(&self, id: &str) -> Result<Arc<ControllerDocument>, ResolveError>;
}

/// Resources that have nothing: every lookup is undecided.
#[derive(Debug, Clone, Copy, Default)]
pub struct Offline;

impl Resources for Offline {
    fn controller_document(&self, id: &str) -> Result<Arc<ControllerDocument>, ResolveError> {
        Err(ResolveError {
            undecided: true,
            detail: format!("{id} could not be resolved: nothing is fetched offline"),
        })
    }
}

/// Verifies credentials at a given instant against a trust list.
///
/// ```
/// use hallmark_core::verify::{Offline, Verifier};
/// let verifier = Verifier::new(time::OffsetDateTime::UNIX_EPOCH);
/// let report = verifier.verify_bytes(b"not json", &Offline);
/// assert!(!report.verified);
/// assert_eq!(report.checks[0].code.unwrap().as_str(), "PARSING_ERROR");
/// ```
#[derive(Debug, Clone)]
pub struct Verifier {
    now: OffsetDateTime,
    clock_skew: Duration,
    trust: Option<TrustList>,
    did_keys: DidKeyCache,
}

/// Resolved `did:key` documents, shared by clones of a [`Verifier`]: decoding a key and
/// decompressing its curve point costs about as much as a tenth of a verification.
#[derive(Debug, Clone, Default)]
struct DidKeyCache(Arc<Mutex<HashMap<String, Arc<ControllerDocument>>>>);

impl DidKeyCache {
    /// Entries kept before the cache starts over.
    const CAPACITY: usize = 4096;

    fn resolve(&self, id: &str) -> Result<Arc<ControllerDocument>, ResolveError> {
        if let Some(doc) = self.0.lock().ok().and_then(|m| m.get(id).cloned()) {
            return Ok(doc);
        }
        let doc = Did::parse(id)
            .and_then(|did| ControllerDocument::did_key(&did))
            .map(Arc::new)
            .map_err(|e| ResolveError {
                undecided: false,
                detail: e.to_string(),
            })?;
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= Self::CAPACITY {
                map.clear();
            }
            map.insert(id.to_owned(), doc.clone());
        }
        Ok(doc)
    }
}

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
            did_keys: DidKeyCache::default(),
        }
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

    /// Sets the trust list.
    #[must_use]
    pub fn trust(mut self, list: TrustList) -> Self {
        self.trust = Some(list);
        self
    }

    /// Verifies a credential given as JSON text.
    pub fn verify_bytes(&self, bytes: &[u8], resources: &dyn Resources) -> Report {
        match json::parse(bytes) {
            Ok(value) => self.verify_value(&value, resources),
            Err(e) => Report::from_checks(
                only_parse_failed(ErrorCode::ParsingError, e.to_string()),
                None,
            ),
        }
    }

    /// Verifies a credential already parsed (with [`json::parse`], so duplicate keys were
    /// refused).
    pub fn verify_value(&self, value: &Value, resources: &dyn Resources) -> Report {
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
                "JSON without duplicate keys; a VC 2.0 credential with known contexts",
            ),
            Some((code, detail)) => {
                Check::new(CheckId::Parse, Outcome::Failed, Some(*code), detail.clone())
            }
        });

        let mut documents = DocumentCache::new(resources, &self.did_keys);
        let proofs = proof::verify(
            document,
            Relationship::AssertionMethod,
            self.now,
            &mut |vm| documents.key(vm),
        );
        checks.push(proof_check(&proofs));
        checks.push(issuer_check(&shape, &proofs, &mut documents));
        checks.push(self.trust_check(&shape));
        checks.push(self.validity_check(&shape));
        checks.push(status_check(document));
        Report::from_checks(checks, Some(shape.summary()))
    }

    fn trust_check(&self, shape: &Shape<'_>) -> Check {
        let id = CheckId::Trust;
        let Some(issuer) = shape.issuer_id else {
            return Check::new(id, Outcome::Failed, None, "the credential names no issuer");
        };
        match &self.trust {
            None => Check::new(
                id,
                Outcome::Warning,
                None,
                format!("no trust list is configured, so {issuer} was not checked against one; add --trust {issuer} to trust it"),
            ),
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
                    format!("issuer {issuer} is not in the trust list; add it with --trust {issuer} if you trust it"),
                ),
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
    let id = CheckId::Issuer;
    let Some(issuer) = shape.issuer_id else {
        return Check::new(
            id,
            Outcome::Failed,
            Some(ErrorCode::MalformedValueError),
            "the credential names no issuer",
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
                if e.undecided { Outcome::Unknown } else { Outcome::Failed },
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
                        "signed with {vm}, controlled by {}, which is not the issuer {issuer}",
                        if method.controller.is_empty() { "nobody named" } else { &method.controller }
                    ),
                ),
                Some(_) if !doc.has_relationship(vm.as_str(), Relationship::AssertionMethod) => Check::new(
                    id,
                    Outcome::Failed,
                    Some(ErrorCode::InvalidRelationshipForVerificationMethod),
                    format!("{vm} is not listed under assertionMethod by {issuer}, so it may not issue credentials"),
                ),
                Some(_) => {
                    return Check::new(
                        id,
                        Outcome::Passed,
                        None,
                        format!("{vm} is an assertionMethod of the issuer {issuer}"),
                    )
                }
            },
        };
        first_problem.get_or_insert(problem);
    }
    first_problem.unwrap_or_else(|| Check::new(id, Outcome::Failed, None, "no proof"))
}

fn status_check(document: &Map<String, Value>) -> Check {
    let detail = if document.contains_key("credentialStatus") {
        "not checked: this version of Hallmark does not read status lists yet"
    } else {
        "the credential has no credentialStatus"
    };
    Check::new(CheckId::Status, Outcome::Skipped, None, detail)
}

/// Controller documents looked up during one verification, each at most once.
struct DocumentCache<'r> {
    resources: &'r dyn Resources,
    did_keys: &'r DidKeyCache,
    seen: Vec<(String, Result<Arc<ControllerDocument>, ResolveError>)>,
}

impl<'r> DocumentCache<'r> {
    fn new(resources: &'r dyn Resources, did_keys: &'r DidKeyCache) -> Self {
        Self {
            resources,
            did_keys,
            seen: Vec::new(),
        }
    }

    fn document(&mut self, id: &str) -> Result<Arc<ControllerDocument>, ResolveError> {
        if let Some((_, found)) = self.seen.iter().find(|(k, _)| k == id) {
            return found.clone();
        }
        let found = if id.starts_with("did:key:") {
            self.did_keys.resolve(id)
        } else {
            self.resources.controller_document(id)
        };
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
