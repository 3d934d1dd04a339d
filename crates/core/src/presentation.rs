//! Verifiable presentations (VC 2.0 §4.13): what a verifier asks of one
//! ([`PresentationOptions`]: the challenge and domain of VC-DI §4.3), how one is told from a
//! credential ([`is_presentation`]), and the checks of its own that need no key: its shape and
//! its proofs' challenge and domain. [`crate::verify::Verifier::verify_presentation`] runs
//! them with the holder's proof and every embedded credential.

use serde_json::{Map, Value};

use crate::report::{Check, CheckId, ErrorCode, Outcome};

/// The `type` a presentation must have (VC 2.0 §4.13).
pub const PRESENTATION_TYPE: &str = "VerifiablePresentation";

/// `verifiableCredential` as an IRI: documents written for JSON-LD processors may use it
/// as the key (the W3C VC 2.0 test suite's presentations do).
const VERIFIABLE_CREDENTIAL_IRI: &str = "https://www.w3.org/2018/credentials#verifiableCredential";

/// What the verifier expects of the holder's proof (VC-DI 1.0 §4.3 steps 5–6): the
/// `challenge` it issued and the `domain` it is. `None` asks nothing.
///
/// ```
/// use hallmark_core::presentation::PresentationOptions;
/// let options = PresentationOptions::default()
///     .with_challenge("4f1e…")
///     .with_domain(["verifier.example"]);
/// assert_eq!(options.challenge.as_deref(), Some("4f1e…"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PresentationOptions {
    /// The challenge every proof must carry.
    pub challenge: Option<String>,
    /// The domain every proof must carry: these values, in any order. `Some` of an empty list
    /// asks for a proof without a domain.
    pub domain: Option<Vec<String>>,
}

impl PresentationOptions {
    /// Asks for this challenge.
    #[must_use]
    pub fn with_challenge(mut self, challenge: impl Into<String>) -> Self {
        self.challenge = Some(challenge.into());
        self
    }

    /// Asks for this domain (one value or several).
    #[must_use]
    pub fn with_domain<I: IntoIterator<Item = S>, S: Into<String>>(mut self, domain: I) -> Self {
        self.domain = Some(domain.into_iter().map(Into::into).collect());
        self
    }

    /// The VC API's `options` of `POST /presentations/verify`: `challenge` (a string) and
    /// `domain` (a string or an array of strings; `null` asks for a proof without a domain).
    ///
    /// # Errors
    /// [`OptionsError`] for a challenge or domain of another type: a relying party that sent
    /// its nonce as a number must not get "no challenge asked" (a replay accepted).
    pub fn from_vc_api(options: Option<&Value>) -> Result<Self, OptionsError> {
        let challenge = match options.and_then(|o| o.get("challenge")) {
            None => None,
            Some(Value::String(c)) => Some(c.clone()),
            Some(_) => return Err(OptionsError::Challenge),
        };
        let domain = match options.and_then(|o| o.get("domain")) {
            None => None,
            Some(Value::Null) => Some(Vec::new()),
            Some(value) => Some(exact_strings(value).ok_or(OptionsError::Domain)?),
        };
        Ok(Self { challenge, domain })
    }

    fn asks_anything(&self) -> bool {
        self.challenge.is_some() || self.domain.is_some()
    }
}

/// Why [`PresentationOptions::from_vc_api`] refuses the options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OptionsError {
    /// `challenge` is not a string.
    #[error("options.challenge must be a string")]
    Challenge,
    /// `domain` is not a string, an array of strings or null.
    #[error("options.domain must be a string, an array of strings or null")]
    Domain,
}

/// The strings of a string or an array of strings; `None` when anything else is in it (a
/// value that is not a string never matches one).
fn exact_strings(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Value::String(s) => Some(vec![s.clone()]),
        _ => None,
    }
}

/// The most credentials one presentation may hold: each is a full verification and a report
/// of its own (a 240 KB body of 120,000 `0`s made a 100 MB answer).
pub const MAX_CREDENTIALS: usize = 100;

fn types(document: &Map<String, Value>) -> Vec<&str> {
    match document.get("type") {
        Some(Value::Array(t)) => t.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(t)) => vec![t.as_str()],
        _ => vec![],
    }
}

/// Whether a document is meant as a presentation rather than a credential: its `type`
/// includes `VerifiablePresentation`, or, lacking `VerifiableCredential`, it holds
/// credentials or names a holder (so a presentation that forgot its type is judged, and
/// refused, as the presentation it is). Front ends that take either use this to choose.
pub fn is_presentation(document: &Value) -> bool {
    let Some(map) = document.as_object() else {
        return false;
    };
    let types = types(map);
    types.contains(&PRESENTATION_TYPE)
        || (!types.contains(&"VerifiableCredential")
            && ["verifiableCredential", VERIFIABLE_CREDENTIAL_IRI, "holder"]
                .iter()
                .any(|k| map.contains_key(*k)))
}

/// A presentation's `holder`.
pub(crate) enum Holder<'a> {
    /// None is named.
    Absent,
    /// `holder` as a string, or the `id` (or `@id`) string of a `holder` object.
    Id(&'a str),
    /// Named in another shape (an array, a number, an object without one string id): the
    /// holder check fails rather than disappear.
    Malformed,
}

/// The presentation's [`Holder`].
pub(crate) fn holder(vp: &Map<String, Value>) -> Holder<'_> {
    match vp.get("holder") {
        None => Holder::Absent,
        Some(Value::String(h)) => Holder::Id(h),
        Some(Value::Object(h)) => match (h.get("id"), h.get("@id")) {
            (Some(Value::String(id)), None) | (None, Some(Value::String(id))) => Holder::Id(id),
            _ => Holder::Malformed,
        },
        Some(_) => Holder::Malformed,
    }
}

/// The embedded credentials, in order: `verifiableCredential` (one, or an array) and the
/// same property written as its IRI, which JSON-LD reads as the same.
pub(crate) fn credentials(vp: &Map<String, Value>) -> Vec<&Value> {
    let mut all = Vec::new();
    for key in ["verifiableCredential", VERIFIABLE_CREDENTIAL_IRI] {
        match vp.get(key) {
            None => {}
            Some(Value::Array(items)) => all.extend(items),
            Some(one) => all.push(one),
        }
    }
    all
}

/// The `parse` check of a presentation (VC 2.0 §4.13): its first `@context` is the VC base
/// context and its type includes `VerifiablePresentation`.
pub(crate) fn shape_check(vp: &Map<String, Value>) -> Check {
    let first = match vp.get("@context") {
        Some(Value::Array(c)) => c.first().and_then(Value::as_str),
        Some(Value::String(c)) => Some(c.as_str()),
        _ => None,
    };
    let held = credentials(vp).len();
    let problem = if !matches!(
        first,
        Some("https://www.w3.org/ns/credentials/v2" | "https://www.w3.org/2018/credentials/v1")
    ) {
        Some(
            "the presentation's first @context must be https://www.w3.org/ns/credentials/v2".into(),
        )
    } else if !types(vp).contains(&PRESENTATION_TYPE) {
        Some("the presentation's type must include VerifiablePresentation".into())
    } else if held > MAX_CREDENTIALS {
        Some(format!(
            "a presentation may hold at most {MAX_CREDENTIALS} credentials; this one holds {held} (none was verified)"
        ))
    } else {
        None
    };
    match problem {
        None => Check::new(
            CheckId::Parse,
            Outcome::Passed,
            None,
            "a VC 2.0 presentation",
        ),
        Some(d) => Check::new(
            CheckId::Parse,
            Outcome::Failed,
            Some(ErrorCode::MalformedValueError),
            d,
        ),
    }
}

/// The `proof` check of a presentation without one: skipped, unless the verifier asked for a
/// challenge or domain, which only a proof can carry.
pub(crate) fn unsigned_check(options: &PresentationOptions) -> Check {
    if options.asks_anything() {
        Check::new(
            CheckId::Proof,
            Outcome::Failed,
            Some(ErrorCode::ProofVerificationError),
            "a challenge or domain was given, but the presentation is not signed",
        )
    } else {
        Check::new(
            CheckId::Proof,
            Outcome::Skipped,
            None,
            "the presentation has no proof (an unsigned presentation)",
        )
    }
}

/// The `challenge` check of a credential given where a challenge or domain was asked for:
/// failed, since only a presentation signed by its holder carries them and anyone can show a
/// credential; `None` when nothing was asked.
pub fn credential_given_check(options: &PresentationOptions) -> Option<Check> {
    options.asks_anything().then(|| {
        Check::new(
            CheckId::Challenge,
            Outcome::Failed,
            Some(ErrorCode::InvalidChallengeError),
            "a challenge or domain was asked for, which only a presentation signed by its holder carries; this is a credential",
        )
    })
}

/// The `challenge` check (VC-DI 1.0 §4.3 steps 5–6): every proof carries the expected
/// `challenge` and `domain` (domain values in any order). They are signed, so once the
/// `proof` check passed they are the values the holder signed.
pub(crate) fn challenge_check(vp: &Map<String, Value>, options: &PresentationOptions) -> Check {
    let id = CheckId::Challenge;
    let proofs: Vec<&Value> = match vp.get("proof") {
        Some(Value::Array(p)) => p.iter().collect(),
        Some(p) => vec![p],
        None => vec![],
    };
    for p in &proofs {
        if let Some(expected) = &options.challenge {
            if p.get("challenge").and_then(Value::as_str) != Some(expected.as_str()) {
                return Check::new(
                    id,
                    Outcome::Failed,
                    Some(ErrorCode::InvalidChallengeError),
                    format!("the proof's challenge is not {expected:?}"),
                );
            }
        }
        if let Some(expected) = &options.domain {
            let mut wanted: Vec<&str> = expected.iter().map(String::as_str).collect();
            // A domain entry that is not a string matches nothing: the whole domain fails.
            let got = match p.get("domain") {
                None => Some(Vec::new()),
                Some(d) => exact_strings(d),
            };
            let mut got: Option<Vec<&str>> =
                got.as_ref().map(|g| g.iter().map(String::as_str).collect());
            wanted.sort_unstable();
            if let Some(g) = &mut got {
                g.sort_unstable();
            }
            if got.as_ref() != Some(&wanted) {
                return Check::new(
                    id,
                    Outcome::Failed,
                    Some(ErrorCode::InvalidDomainError),
                    format!("the proof's domain is not {}", expected.join(", ")),
                );
            }
        }
    }
    let detail = if options.asks_anything() {
        "the proof carries the expected challenge and domain"
    } else {
        "no challenge or domain was asked for"
    };
    Check::new(id, Outcome::Passed, None, detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn presentations_are_told_from_credentials() {
        for vp in [
            json!({"type": ["VerifiablePresentation"]}),
            json!({"type": "VerifiablePresentation"}),
            json!({"verifiableCredential": []}),
            json!({"https://www.w3.org/2018/credentials#verifiableCredential": []}),
            json!({"type": ["Other"], "holder": "did:example:h"}),
        ] {
            assert!(is_presentation(&vp), "{vp}");
        }
        for vc in [
            json!({"type": ["VerifiableCredential"], "holder": "did:example:h"}),
            json!({"type": ["VerifiableCredential", "OpenBadgeCredential"]}),
            json!({}),
            json!([]),
        ] {
            assert!(!is_presentation(&vc), "{vc}");
        }
    }

    #[test]
    fn vc_api_options_keep_their_meaning() {
        let o = PresentationOptions::from_vc_api(Some(&json!({"challenge": "c", "domain": null})))
            .unwrap();
        assert_eq!(o.challenge.as_deref(), Some("c"));
        assert_eq!(o.domain, Some(vec![]));
        let o = PresentationOptions::from_vc_api(Some(&json!({"domain": ["b", "a"]}))).unwrap();
        assert_eq!(o.domain, Some(vec!["b".to_owned(), "a".to_owned()]));
        // A nonce of another type is an error, never "no challenge asked" (attacker check).
        for (options, error) in [
            (json!({"challenge": 5}), OptionsError::Challenge),
            (json!({"challenge": null}), OptionsError::Challenge),
            (json!({"challenge": ["c1"]}), OptionsError::Challenge),
            (json!({"domain": ["b", 1, "a"]}), OptionsError::Domain),
            (json!({"domain": 5}), OptionsError::Domain),
        ] {
            assert_eq!(
                PresentationOptions::from_vc_api(Some(&options)),
                Err(error),
                "{options}"
            );
        }
        assert_eq!(
            PresentationOptions::from_vc_api(None),
            Ok(PresentationOptions::default())
        );
    }
}
