//! Hallmark's verification pipeline for the browser: the core compiled to
//! `wasm32-unknown-unknown`, with `wasm-bindgen` bindings that `scripts/build-wasm.sh` turns into
//! ES modules (`web/pkg/`, embedded in the `hallmark` binary and served under `/assets/`).
//!
//! The page does the I/O and this crate the checking, the split of the core's verification
//! plan ([`hallmark_core::plan`]): JavaScript asks [`documents_needed`] which documents a badge
//! needs (DID documents, status lists, then the lists' own keys), fetches each once with the
//! browser's `fetch`, and hands them to [`verify`], which runs the very pipeline `hallmark verify`
//! runs and answers the report `hallmark verify --json` prints. Everything crosses the boundary
//! as JSON text, so the bindings need neither `js-sys` nor `serde-wasm-bindgen`.
//!
//! Two builds: with the `rdfc` feature (the default: `eddsa-rdfc-2022` and `eddsa-jcs-2022`) and
//! without (`eddsa-jcs-2022` only, a smaller download); the page loads the larger one only for a
//! badge, or a status list, whose proof needs it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use hallmark_core::trust::{TrustArg, TrustList, TrustedIssuer};
use hallmark_core::verify::{Offline, ResolveError, Resources, Verifier};
use hallmark_core::{json, plan};
use serde::Deserialize;
use time::{Duration, OffsetDateTime};
use wasm_bindgen::prelude::*;

/// The most documents one badge may name (its keys, status lists and their keys): a hostile
/// badge may name thousands, and the page fetches no more than this.
pub const MAX_DOCUMENTS: usize = 16;

/// The default tolerance on `validFrom` and `validUntil`, seconds (as `hallmark verify`).
pub const DEFAULT_CLOCK_SKEW_SECONDS: u32 = 300;

/// A document as the page fetched it: its body's bytes (base64, so that what the pipeline
/// reads is byte for byte what the server sent: a text decoder would drop a byte order mark and
/// replace invalid UTF-8, and the pipeline would then accept what the CLI refuses), or its text,
/// or why it could not be had (a network error, a refusal, a status other than 200).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fetched {
    /// The response body's bytes, base64 (RFC 4648 §4, padded), when the fetch succeeded.
    #[serde(default)]
    pub base64: Option<String>,
    /// The response body as text (the tests' shorthand; the page sends `base64`).
    #[serde(default)]
    pub body: Option<String>,
    /// What went wrong, when it did not.
    #[serde(default)]
    pub error: Option<String>,
}

/// How to verify, as JSON: `{"at": "2026-12-05T10:00:00Z", "trust": ["did:web:…"],
/// "clock_skew": 300}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// The instant the time checks are evaluated at, RFC 3339 (the browser has no clock the
    /// core can read: JavaScript passes `new Date().toISOString()`).
    pub at: String,
    /// Trusted issuers: DIDs or http(s) issuer URLs, as `hallmark verify --trust`, or entries
    /// of a trust-list file (`{"id": …, "name": …}`). Empty: no trust list (the trust check
    /// warns, as `hallmark verify` without `--trust`).
    #[serde(default)]
    pub trust: Vec<Trusted>,
    /// Tolerated clock skew on the validity window, seconds (default 300).
    #[serde(default)]
    pub clock_skew: Option<u32>,
}

/// One trusted issuer in [`Options::trust`]: its id, or its id and display name.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Trusted {
    /// A DID or an http(s) issuer URL.
    Id(String),
    /// As in a trust-list file.
    Named(TrustedIssuer),
}

/// Why the bindings could not run: an argument that is not what they take. (A badge that does
/// not verify is not an error: it is a report.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgumentError(pub String);

impl std::fmt::Display for ArgumentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ArgumentError {}

/// The documents the page fetched, as the pipeline asks for them; what it asks for and was not
/// given is recorded, so the page can fetch it and verify again.
struct Documents {
    fetched: HashMap<String, Result<Arc<[u8]>, String>>,
    missing: RefCell<Vec<String>>,
}

impl Documents {
    fn parse(documents: &str) -> Result<Self, ArgumentError> {
        let documents = if documents.trim().is_empty() {
            HashMap::new()
        } else {
            serde_json::from_str::<HashMap<String, Fetched>>(documents).map_err(|e| {
                ArgumentError(format!(
                    "documents: expected {{\"URL\": {{\"body\": TEXT}} or {{\"error\": TEXT}}}}: {e}"
                ))
            })?
        };
        let fetched = documents
            .into_iter()
            .map(|(url, f)| {
                let entry = match (f.base64, f.body, f.error) {
                    (_, _, Some(error)) => Err(error),
                    (Some(encoded), _, None) => {
                        use base64::Engine as _;
                        let bytes = base64::engine::general_purpose::STANDARD
                            .decode(encoded)
                            .map_err(|e| {
                                ArgumentError(format!("documents[{url:?}].base64: {e}"))
                            })?;
                        Ok(Arc::from(bytes.into_boxed_slice()))
                    }
                    (None, Some(body), None) => Ok(Arc::from(body.into_bytes().into_boxed_slice())),
                    (None, None, None) => {
                        Err(format!("{url} was fetched, but the page gave no body"))
                    }
                };
                Ok((url, entry))
            })
            .collect::<Result<_, ArgumentError>>()?;
        Ok(Self {
            fetched,
            missing: RefCell::new(Vec::new()),
        })
    }

    fn body(&self, url: &str) -> Option<Arc<[u8]>> {
        self.fetched.get(url)?.as_ref().ok().cloned()
    }
}

impl Resources for Documents {
    fn fetch(&self, url: &str) -> Result<Arc<[u8]>, ResolveError> {
        match self.fetched.get(url) {
            Some(Ok(bytes)) => Ok(bytes.clone()),
            // As the fetch crate: refused and unreachable are both "could not tell".
            Some(Err(error)) => Err(ResolveError {
                undecided: true,
                detail: error.clone(),
            }),
            None => {
                let mut missing = self.missing.borrow_mut();
                if !missing.iter().any(|m| m == url) {
                    missing.push(url.to_owned());
                }
                Err(ResolveError {
                    undecided: true,
                    detail: format!("{url} was not fetched"),
                })
            }
        }
    }
}

/// The URLs `credential` (its bytes, as presented) needs that `documents` (JSON, see [`Fetched`]) does not
/// hold yet, in the order found, at most [`MAX_DOCUMENTS`] in all, as a JSON array. The page
/// fetches them, adds them to `documents` and asks again until the answer is `[]`: a status
/// list's own keys are named once the list is at hand. A credential that is not JSON needs
/// nothing (its report says why).
///
/// # Errors
/// [`ArgumentError`] when `documents` is not the map described.
pub fn documents_needed(credential: &[u8], documents: &str) -> Result<String, ArgumentError> {
    let documents = Documents::parse(documents)?;
    let Ok(value) = json::parse(credential) else {
        return Ok("[]".into());
    };
    let known = |url: &str| documents.body(url);
    let urls: Vec<String> = plan::documents_needed(&value, &known, MAX_DOCUMENTS)
        .into_iter()
        .filter(|url| !documents.fetched.contains_key(url))
        .collect();
    Ok(serde_json::to_string(&urls).unwrap_or_else(|_| "[]".into()))
}

/// Verifies `credential` (its bytes, as presented: JSON, strictly parsed) with the fetched `documents` under `options` (both JSON,
/// see [`Fetched`] and [`Options`]): `{"report": R, "standing": S, "missing": [URL…]}`, where
/// `R` is the object `hallmark verify --json` prints for the same badge, documents and instant
/// (without its `input`), `S` the badge's state in one word (`valid`, `revoked`, …, as
/// [`hallmark_core::Standing`]), and `missing` lists what the pipeline asked for that `documents` did not hold
/// (the page fetches those and verifies again; an empty list means the report is final).
///
/// # Errors
/// [`ArgumentError`] for `documents` or `options` that are not what they should be, an `at`
/// that is not RFC 3339, or a trust entry that is not a DID or an http(s) URL.
pub fn verify(credential: &[u8], documents: &str, options: &str) -> Result<String, ArgumentError> {
    let documents = Documents::parse(documents)?;
    let verifier = verifier(options)?;
    let report = match json::parse(credential) {
        Ok(value) => verifier.verify_value(&value, &documents),
        Err(_) => verifier.verify_bytes(credential, &Offline),
    };
    let report = report.with_cli_hints();
    let missing = documents.missing.into_inner();
    let answer = serde_json::json!({
        "report": report.to_json(),
        "standing": report.standing().as_str(),
        "missing": missing,
    });
    Ok(answer.to_string())
}

/// The verifier `options` describe.
fn verifier(options: &str) -> Result<Verifier, ArgumentError> {
    let options: Options = serde_json::from_str(options).map_err(|e| {
        ArgumentError(format!(
            "options: expected {{\"at\": RFC 3339, \"trust\": [DID or URL…], \"clock_skew\": seconds}}: {e}"
        ))
    })?;
    let at = OffsetDateTime::parse(&options.at, &time::format_description::well_known::Rfc3339)
        .map_err(|e| ArgumentError(format!("options.at: {:?} is not RFC 3339: {e}", options.at)))?;
    let skew = options.clock_skew.unwrap_or(DEFAULT_CLOCK_SKEW_SECONDS);
    let mut verifier = Verifier::new(at).clock_skew(Duration::seconds(i64::from(skew)));
    if !options.trust.is_empty() {
        let mut list = TrustList::new();
        for entry in options.trust {
            let issuer = match entry {
                Trusted::Named(issuer) => issuer,
                Trusted::Id(id) => TrustedIssuer { id, name: None },
            };
            match TrustArg::parse(&issuer.id) {
                TrustArg::Issuer(id) if id.starts_with("did:") => {
                    hallmark_core::did::Did::parse(id)
                        .map_err(|e| ArgumentError(format!("options.trust: {id:?}: {e}")))?;
                }
                TrustArg::Issuer(_) => {}
                TrustArg::File(id) => {
                    return Err(ArgumentError(format!(
                        "options.trust: {id:?} is neither a DID nor an http(s) URL"
                    )))
                }
            }
            list.add(issuer);
        }
        verifier = verifier.trust(list);
    }
    Ok(verifier)
}

/// The credential baked into a PNG or SVG badge image (Open Badges 3.0 §5.3), as JSON text;
/// `None` when `bytes` are not an image (a credential as it is, say).
///
/// # Errors
/// [`ArgumentError`] naming why an image holds no readable credential.
pub fn unbake(bytes: &[u8]) -> Result<Option<String>, ArgumentError> {
    match hallmark_core::baked::unbake(bytes) {
        Ok(None) => Ok(None),
        Ok(Some(json)) => String::from_utf8(json)
            .map(Some)
            .map_err(|_| ArgumentError("the baked credential is not UTF-8".into())),
        Err(e) => Err(ArgumentError(e.to_string())),
    }
}

/// Whether this build verifies `eddsa-rdfc-2022` proofs.
pub const fn rdfc() -> bool {
    cfg!(feature = "rdfc")
}

/// `documentsNeeded(credential, documents)`: [`documents_needed`], for JavaScript.
///
/// # Errors
/// A JavaScript `Error` with the [`ArgumentError`]'s message.
#[wasm_bindgen(js_name = documentsNeeded)]
pub fn documents_needed_js(credential: &[u8], documents: &str) -> Result<String, JsError> {
    documents_needed(credential, documents).map_err(|e| JsError::new(&e.0))
}

/// `verify(credential, documents, options)`: [`verify`], for JavaScript.
///
/// # Errors
/// A JavaScript `Error` with the [`ArgumentError`]'s message.
#[wasm_bindgen(js_name = verify)]
pub fn verify_js(credential: &[u8], documents: &str, options: &str) -> Result<String, JsError> {
    verify(credential, documents, options).map_err(|e| JsError::new(&e.0))
}

/// `unbake(bytes)`: [`unbake`], for JavaScript (`undefined` for bytes that are no image).
///
/// # Errors
/// A JavaScript `Error` with the [`ArgumentError`]'s message.
#[wasm_bindgen(js_name = unbake)]
pub fn unbake_js(bytes: &[u8]) -> Result<Option<String>, JsError> {
    unbake(bytes).map_err(|e| JsError::new(&e.0))
}

/// `supportsRdfc()`: [`rdfc`], for JavaScript.
#[wasm_bindgen(js_name = supportsRdfc)]
pub fn supports_rdfc_js() -> bool {
    rdfc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    const AT: &str = r#"{"at": "2026-06-01T00:00:00Z"}"#;

    fn badge() -> Value {
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": "did:web:acme.example",
            "credentialSubject": {"id": "https://northwind.example"},
            "credentialStatus": {
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": "7",
                "statusListCredential": "https://acme.example/status/1"
            },
            "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022",
                      "verificationMethod": "did:web:acme.example#key-1",
                      "proofPurpose": "assertionMethod", "proofValue": "z1"}
        })
    }

    #[test]
    fn the_plan_names_what_is_missing_then_the_lists_keys() {
        let credential = badge().to_string();
        let first: Vec<String> =
            serde_json::from_str(&documents_needed(credential.as_bytes(), "{}").unwrap()).unwrap();
        assert_eq!(
            first,
            [
                "https://acme.example/.well-known/did.json",
                "https://acme.example/status/1"
            ]
        );
        // The list is signed by another host's key: named once the list is at hand.
        let list = json!({"proof": {"verificationMethod": "did:web:lists.example#k"}});
        let documents = json!({
            "https://acme.example/.well-known/did.json": {"error": "unreachable"},
            "https://acme.example/status/1": {"body": list.to_string()},
        })
        .to_string();
        let next: Vec<String> =
            serde_json::from_str(&documents_needed(credential.as_bytes(), &documents).unwrap())
                .unwrap();
        assert_eq!(next, ["https://lists.example/.well-known/did.json"]);
        assert_eq!(documents_needed(b"not json", "").unwrap(), "[]");
    }

    #[test]
    fn what_the_pipeline_asks_for_beyond_the_documents_is_listed_as_missing() {
        let answer: Value =
            serde_json::from_str(&verify(badge().to_string().as_bytes(), "{}", AT).unwrap())
                .unwrap();
        assert_eq!(
            answer["missing"],
            json!([
                "https://acme.example/.well-known/did.json",
                "https://acme.example/status/1"
            ])
        );
        // The proof value is not a signature: invalid, whatever the documents say.
        assert_eq!(answer["standing"], "invalid", "{answer}");
        assert_eq!(answer["report"]["verified"], false);
    }

    #[test]
    fn a_credential_that_is_not_json_is_a_report_not_an_error() {
        let answer: Value = serde_json::from_str(&verify(b"{", "{}", AT).unwrap()).unwrap();
        assert_eq!(answer["standing"], "invalid");
        assert_eq!(answer["report"]["checks"][0]["code"], "PARSING_ERROR");
        assert_eq!(answer["missing"], json!([]));
    }

    #[test]
    fn bad_arguments_are_errors_naming_the_argument() {
        let err = |documents: &str, options: &str| verify(b"{}", documents, options).unwrap_err().0;
        assert!(
            err("[]", AT).starts_with("documents: expected"),
            "{}",
            err("[]", AT)
        );
        assert!(err("{}", "{}").starts_with("options: expected"));
        assert!(err("{}", r#"{"at": "yesterday"}"#).starts_with("options.at: \"yesterday\""));
        let trust = r#"{"at": "2026-06-01T00:00:00Z", "trust": ["acme.json"]}"#;
        assert!(err("{}", trust).contains("neither a DID nor an http(s) URL"));
        let trust = r#"{"at": "2026-06-01T00:00:00Z", "trust": ["did:web:"]}"#;
        assert!(err("{}", trust).starts_with("options.trust: \"did:web:\""));
        // Names, as in a trust-list file, are taken.
        let named = r#"{"at": "2026-06-01T00:00:00Z", "trust": [{"id": "did:web:acme.example", "name": "Acme"}]}"#;
        assert!(verify(b"{}", "{}", named).is_ok());
    }

    #[test]
    fn documents_arrive_byte_for_byte() {
        // A byte order mark and a byte that is not UTF-8: a text decoder would have changed
        // both, and the pipeline would read what the server never sent.
        let documents =
            Documents::parse(r#"{"https://a.example/l": {"base64": "77u/e30K/w=="}}"#).unwrap();
        assert_eq!(
            &*documents.body("https://a.example/l").unwrap(),
            b"\xef\xbb\xbf{}\n\xff"
        );
        let bad = Documents::parse(r#"{"https://a.example/l": {"base64": "%%"}}"#).err();
        assert!(bad
            .unwrap()
            .0
            .starts_with("documents[\"https://a.example/l\"].base64"));
        let failed = Documents::parse(r#"{"https://a.example/l": {"error": "503"}}"#).unwrap();
        assert_eq!(
            failed.fetch("https://a.example/l").unwrap_err(),
            ResolveError {
                undecided: true,
                detail: "503".into()
            }
        );
    }

    #[test]
    fn unbake_reads_images_and_leaves_json_alone() {
        assert_eq!(unbake(b"{\"a\": 1}").unwrap(), None);
        let err = unbake(b"\x89PNG\r\n\x1a\n\0\0\0\0").unwrap_err();
        assert!(!err.0.is_empty());
        assert!(rdfc());
    }
}
