//! Data Integrity proofs (VC Data Integrity 1.0 §4) with the `eddsa-jcs-2022` cryptosuite
//! (VC-DI-EdDSA 1.0 §3.3): creating a `DataIntegrityProof` and verifying one proof or a
//! proof set.
//!
//! The hash that is signed is `SHA-256(JCS(proofConfig)) ‖ SHA-256(JCS(document))`, where
//! `proofConfig` is the proof without `proofValue` and with the document's `@context`.

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::datetime;
use crate::did::{Relationship, VerificationMethodId};
use crate::jcs;
use crate::keys::{PublicKey, SecretKey};
use crate::multibase::Multibase;
use crate::report::ErrorCode;

/// The proof `type` of every proof Hallmark makes or accepts.
pub const DATA_INTEGRITY_PROOF: &str = "DataIntegrityProof";

/// A Data Integrity cryptosuite Hallmark implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cryptosuite {
    /// `eddsa-jcs-2022`: JSON Canonicalization Scheme, no JSON-LD (VC-DI-EdDSA §3.3).
    EddsaJcs2022,
}

impl Cryptosuite {
    /// The `cryptosuite` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EddsaJcs2022 => "eddsa-jcs-2022",
        }
    }
}

impl FromStr for Cryptosuite {
    type Err = ProofError;

    fn from_str(s: &str) -> Result<Self, ProofError> {
        match s {
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
    #[error("cryptosuite {0:?} is not supported (supported: eddsa-jcs-2022)")]
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

/// Adds an `eddsa-jcs-2022` proof to `document` (VC-DI-EdDSA §3.3.1). An existing `proof`
/// becomes a proof set that the new proof does not cover.
///
/// # Errors
/// [`ProofError::NotAnObject`]; [`ProofError::Transformation`] when the document has integers
/// beyond ±(2^53−1) or cannot be canonicalized.
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
    if let Some(context) = document.get("@context") {
        proof.insert("@context".into(), context.clone());
    }
    let hash = hash_data(&document, &proof);
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

/// Verifies every proof of a secured document: one `proof` object or a proof set (VC-DI §4.3,
/// §2.1.1; VC-DI-EdDSA §3.3.2). Each proof is checked against the document without any
/// `proof`; `keys` supplies the public key of each verification method.
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
    // The document hash is the same for every proof that copies the document's @context.
    let mut doc_hash: Option<[u8; 32]> = None;
    let results = proofs
        .into_iter()
        .map(|proof| {
            let mut vm = None;
            let outcome = verify_one(
                document,
                proof,
                expected_purpose,
                now,
                keys,
                &mut doc_hash,
                &mut vm,
            );
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

fn verify_one(
    document: &Map<String, Value>,
    proof: &Map<String, Value>,
    expected_purpose: Relationship,
    now: OffsetDateTime,
    keys: &mut dyn FnMut(&VerificationMethodId) -> Result<PublicKey, KeyLookupError>,
    doc_hash: &mut Option<[u8; 32]>,
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
    let _suite: Cryptosuite = text("cryptosuite")?.parse().map_err(invalid)?;
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

    // VC-DI-EdDSA §3.3.2 step 4: the proof's @context must be a prefix of the document's,
    // and then stands in for it.
    let doc_context = document.get("@context");
    let proof_context = proof.get("@context");
    let mut hash = [0u8; 64];
    let config_context = match proof_context {
        Some(pc) if Some(pc) != doc_context => {
            if !is_prefix(pc, doc_context) {
                return Err(invalid(ProofError::ContextMismatch));
            }
            hash[32..].copy_from_slice(&jcs_hash(document, Some("proof"), Some(pc)));
            Some(pc)
        }
        _ => {
            let dh = *doc_hash.get_or_insert_with(|| jcs_hash(document, Some("proof"), None));
            hash[32..].copy_from_slice(&dh);
            doc_context
        }
    };
    // The proof configuration: the proof without proofValue, with the document's @context
    // (VC-DI-EdDSA §3.3.5).
    let config = match config_context {
        Some(c) => jcs_hash(proof, Some("proofValue"), Some(c)),
        None => jcs_hash(&without_context(proof), Some("proofValue"), None),
    };
    hash[..32].copy_from_slice(&config);
    let key = keys(&vm).map_err(ProofFailure::Key)?;
    if key.verify_strict(&hash, &signature) {
        Ok(())
    } else {
        Err(invalid(ProofError::BadSignature {
            verification_method: vm.to_string(),
        }))
    }
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
