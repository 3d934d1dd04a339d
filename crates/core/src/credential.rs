//! The Verifiable Credentials Data Model 2.0 shape (VC 2.0 §4): what a credential must have
//! before Hallmark signs it ([`UnsignedCredential`]) and what the `parse` check reads
//! ([`Shape`]). Credentials of the Data Model 1.1 (VC 1.1 §4: the
//! `https://www.w3.org/2018/credentials/v1` context, `issuanceDate` / `expirationDate`) are
//! read for verification, since many badges in circulation are 1.1; Hallmark signs 2.0 only.

use serde_json::{Map, Value};

use crate::did::is_absolute_url;
use crate::json;
use crate::report::{Competency, ErrorCode, Party, Summary};

/// The VC 2.0 base context, which must come first (VC 2.0 §4.3).
pub const CREDENTIALS_V2: &str = "https://www.w3.org/ns/credentials/v2";

/// The VC 1.1 base context, first in a 1.1 credential (VC 1.1 §4.1).
pub const CREDENTIALS_V1: &str = "https://www.w3.org/2018/credentials/v1";

/// Which Verifiable Credentials Data Model a credential follows, by its first `@context`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DataModel {
    /// VC Data Model 2.0 (`validFrom` / `validUntil`).
    V2,
    /// VC Data Model 1.1 (`issuanceDate` / `expirationDate`), verified but never issued.
    V1_1,
}

/// Context URLs Hallmark knows (pinned copies ship with the JSON-LD processing). A credential
/// naming another context URL is refused: its terms could mean anything.
pub const KNOWN_CONTEXTS: &[&str] = &[
    CREDENTIALS_V2,
    CREDENTIALS_V1,
    "https://www.w3.org/ns/credentials/examples/v2",
    "https://www.w3.org/ns/credentials/status/v1",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
    "https://w3id.org/security/data-integrity/v2",
    "https://w3id.org/security/multikey/v1",
    "https://www.w3.org/ns/did/v1",
    "https://www.w3.org/ns/cid/v1",
];

/// Why a credential was refused for signing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// Not JSON, duplicate keys, excessive nesting or an unsafe integer.
    #[error(transparent)]
    Json(#[from] json::JsonError),
    /// Not the VC 2.0 shape.
    #[error("not a VC 2.0 credential: {0}")]
    Shape(String),
}

/// A credential that has the VC 2.0 shape and can be signed. Built only by
/// [`UnsignedCredential::try_from`], so signing never sees a half-formed document.
#[derive(Debug, Clone, PartialEq)]
pub struct UnsignedCredential(Map<String, Value>);

impl TryFrom<Value> for UnsignedCredential {
    type Error = CredentialError;

    /// # Errors
    /// [`CredentialError::Shape`] naming the first problem (see [`Shape`]);
    /// [`CredentialError::Json`] for integers beyond ±(2^53−1).
    fn try_from(value: Value) -> Result<Self, CredentialError> {
        let Value::Object(map) = value else {
            return Err(CredentialError::Shape("not a JSON object".into()));
        };
        json::check_object_integers(&map)?;
        let shape = Shape::read(&map);
        if let Some((_, problem)) = shape.problem {
            return Err(CredentialError::Shape(problem));
        }
        if shape.data_model != DataModel::V2 {
            return Err(CredentialError::Shape(format!(
                "Hallmark signs VC 2.0 credentials only: the first @context must be {CREDENTIALS_V2}"
            )));
        }
        Ok(Self(map))
    }
}

impl UnsignedCredential {
    /// Like [`TryFrom<Value>`], but also accepts a VC 1.1 credential
    /// (`https://www.w3.org/2018/credentials/v1`, `issuanceDate`): for the VC API's generic
    /// issue endpoint, which conformance suites call with 1.1 credentials. Badges are VC 2.0.
    ///
    /// # Errors
    /// As [`TryFrom<Value>`], except for the data model version.
    pub fn any_version(value: Value) -> Result<Self, CredentialError> {
        let Value::Object(map) = value else {
            return Err(CredentialError::Shape("not a JSON object".into()));
        };
        json::check_object_integers(&map)?;
        if let Some((_, problem)) = Shape::read(&map).problem {
            return Err(CredentialError::Shape(problem));
        }
        Ok(Self(map))
    }

    /// Parses JSON text (duplicate keys refused) into a credential.
    ///
    /// # Errors
    /// As [`TryFrom<Value>`], plus [`CredentialError::Json`] for bad JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Self, CredentialError> {
        let value = json::parse(bytes)?;
        json::check_integer_literals(bytes)?;
        Self::try_from(value)
    }

    /// The credential's members.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The credential's members, owned.
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }
}

/// What the `parse` check reads from a credential: the VC 2.0 shape and the values later
/// checks use.
#[derive(Debug, Clone)]
pub struct Shape<'a> {
    /// The first problem found, with its code; `None` when the shape is right.
    pub problem: Option<(ErrorCode, String)>,
    /// The issuer's id: `issuer` as a string, or `issuer.id`.
    pub issuer_id: Option<&'a str>,
    /// `validFrom`.
    pub valid_from: Option<&'a Value>,
    /// `validUntil`.
    pub valid_until: Option<&'a Value>,
    /// The names of the two properties above, for messages.
    pub validity_names: (&'static str, &'static str),
    /// The data model, by the first `@context` (2.0 when it is neither base context).
    pub data_model: DataModel,
    document: &'a Map<String, Value>,
}

impl<'a> Shape<'a> {
    /// Reads a credential's shape (VC 2.0 §4.3 contexts, §4.4 id, §4.5 type, §4.7 issuer,
    /// §4.8 credentialSubject, §4.9 validity period, §4.10 status; for a VC 1.1 credential,
    /// VC 1.1 §4.1 contexts and §4.6 `issuanceDate` / §4.7 `expirationDate` in place of the
    /// validity period).
    pub fn read(document: &'a Map<String, Value>) -> Self {
        let first_context = match document.get("@context") {
            Some(Value::Array(items)) => items.first().and_then(Value::as_str),
            Some(Value::String(s)) => Some(s.as_str()),
            _ => None,
        };
        let data_model = if first_context == Some(CREDENTIALS_V1) {
            DataModel::V1_1
        } else {
            DataModel::V2
        };
        let (from_name, until_name) = match data_model {
            DataModel::V1_1 => ("issuanceDate", "expirationDate"),
            DataModel::V2 => ("validFrom", "validUntil"),
        };
        let issuer_id = match document.get("issuer") {
            Some(Value::String(s)) => Some(s.as_str()),
            Some(Value::Object(o)) => o.get("id").and_then(Value::as_str),
            _ => None,
        };
        let mut shape = Self {
            problem: None,
            issuer_id,
            valid_from: document.get(from_name),
            valid_until: document.get(until_name),
            validity_names: (from_name, until_name),
            data_model,
            document,
        };
        shape.problem = shape.find_problem().err();
        shape
    }

    fn find_problem(&self) -> Result<(), (ErrorCode, String)> {
        let d = self.document;
        let malformed = |m: String| (ErrorCode::MalformedValueError, m);
        // §4.3 @context: an ordered set, v2 first, every URL known.
        let contexts: &[Value] = match d.get("@context") {
            Some(Value::Array(items)) => items,
            Some(one @ Value::String(_)) => std::slice::from_ref(one),
            Some(_) => return Err(malformed("@context must be a URL or an array".into())),
            None => return Err(malformed("@context is missing".into())),
        };
        let base = match self.data_model {
            DataModel::V2 => CREDENTIALS_V2,
            DataModel::V1_1 => CREDENTIALS_V1,
        };
        if contexts.first().and_then(Value::as_str) != Some(base) {
            return Err(malformed(format!(
                "the first @context must be {CREDENTIALS_V2} (or {CREDENTIALS_V1} for VC 1.1)"
            )));
        }
        if contexts.iter().skip(1).any(|c| {
            c.as_str()
                .is_some_and(|u| u == CREDENTIALS_V2 || u == CREDENTIALS_V1)
        }) {
            return Err(malformed(
                "a base context may appear only first in @context".into(),
            ));
        }
        for c in contexts {
            match c {
                Value::String(url) if !KNOWN_CONTEXTS.contains(&url.as_str()) => {
                    return Err(malformed(format!(
                        "unknown @context {url:?}: Hallmark only processes the contexts it ships"
                    )))
                }
                Value::Object(inline) => {
                    if let Some(bad) = inline_context_bad_iri(inline) {
                        return Err(malformed(format!(
                            "the inline @context maps a term to {bad:?}, which is not an IRI"
                        )));
                    }
                }
                Value::String(_) => {}
                _ => return Err(malformed("@context items must be URLs or objects".into())),
            }
        }
        // §4.4 id.
        if let Some(id) = d.get("id") {
            if !id.as_str().is_some_and(is_absolute_url) {
                return Err(malformed("id must be an absolute URL".into()));
            }
        }
        // §4.5 type.
        let types = as_strings(d.get("type"));
        if !types.contains(&"VerifiableCredential") {
            return Err(malformed(
                "type must include \"VerifiableCredential\"".into(),
            ));
        }
        // §4.7 issuer.
        match d.get("issuer") {
            None => return Err(malformed("issuer is missing".into())),
            Some(Value::String(_) | Value::Object(_)) => {}
            Some(_) => {
                return Err(malformed(
                    "issuer must be a URL or an object with an id".into(),
                ))
            }
        }
        if !self.issuer_id.is_some_and(is_absolute_url) {
            return Err(malformed("the issuer's id must be an absolute URL".into()));
        }
        // §4.8 credentialSubject.
        match d.get("credentialSubject") {
            Some(Value::Object(s)) if !s.is_empty() => {}
            Some(Value::Array(items))
                if !items.is_empty()
                    && items
                        .iter()
                        .all(|i| i.as_object().is_some_and(|o| !o.is_empty())) => {}
            None => return Err(malformed("credentialSubject is missing".into())),
            Some(_) => {
                return Err(malformed(
                    "credentialSubject must be an object or a non-empty array of objects".into(),
                ))
            }
        }
        // VC 1.1 §4.6: issuanceDate is required.
        if self.data_model == DataModel::V1_1 && self.valid_from.is_none() {
            return Err(malformed(
                "a VC 1.1 credential needs an issuanceDate".into(),
            ));
        }
        // §4.10 credentialStatus.
        if let Some(status) = d.get("credentialStatus") {
            let entries: &[Value] = match status {
                Value::Array(items) => items,
                other => std::slice::from_ref(other),
            };
            if entries.is_empty() || !entries.iter().all(|e| e.get("type").is_some()) {
                return Err(malformed(
                    "each credentialStatus entry must be an object with a type".into(),
                ));
            }
            if entries.iter().any(|e| {
                e.get("id")
                    .is_some_and(|id| !id.as_str().is_some_and(is_absolute_url))
            }) {
                return Err(malformed(
                    "a credentialStatus id must be an absolute URL".into(),
                ));
            }
        }
        // §5.2 evidence, §5.4 credentialSchema, §5.6 refreshService, §5.7 termsOfUse: every
        // object states its type; a schema also its id; ids are URLs.
        for (name, needs_id) in [
            ("evidence", false),
            ("credentialSchema", true),
            ("refreshService", false),
            ("termsOfUse", false),
        ] {
            for item in d.get(name).map(as_list).unwrap_or_default() {
                let Some(object) = item.as_object() else {
                    return Err(malformed(format!("each {name} must be an object")));
                };
                if !object
                    .get("type")
                    .is_some_and(|t| t.is_string() || t.is_array())
                {
                    return Err(malformed(format!("each {name} must state its type")));
                }
                match object.get("id") {
                    None if needs_id => {
                        return Err(malformed(format!("each {name} must have an id")))
                    }
                    Some(id) if !id.as_str().is_some_and(is_absolute_url) => {
                        return Err(malformed(format!(
                            "the id of a {name} must be an absolute URL"
                        )))
                    }
                    _ => {}
                }
            }
        }
        // §4.9: the validity period's dates are dateTimeStamps, the start not after the end.
        let (from_name, until_name) = self.validity_names;
        let date = |name: &str,
                    value: Option<&Value>|
         -> Result<Option<time::OffsetDateTime>, (ErrorCode, String)> {
            match value {
                None => Ok(None),
                Some(Value::String(t)) => crate::datetime::parse(t)
                    .map(Some)
                    .map_err(|e| malformed(format!("{name}: {e}"))),
                Some(_) => Err(malformed(format!("{name} must be a string"))),
            }
        };
        if let (Some(from), Some(until)) = (
            date(from_name, self.valid_from)?,
            date(until_name, self.valid_until)?,
        ) {
            if from > until {
                return Err((
                    ErrorCode::RangeError,
                    format!("{from_name} is later than {until_name}"),
                ));
            }
        }
        // §5.3 relatedResource.
        if let Some(related) = d.get("relatedResource") {
            check_related_resources(related).map_err(malformed)?;
        }
        // A BitstringStatusListEntry anywhere must be well formed (Bitstring Status List §2.1).
        if let Some(e) = d.values().find_map(first_malformed_status_entry) {
            return Err(malformed(e));
        }
        Ok(())
    }

    /// What the credential says, for display (issuer, subject, tier, competencies, validity).
    pub fn summary(&self) -> Summary {
        let d = self.document;
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        let subject = match d.get("credentialSubject") {
            Some(Value::Array(items)) => items.first(),
            other => other,
        };
        let achievement = subject.and_then(|s| s.get("achievement"));
        let competencies = achievement
            .and_then(|a| a.get("alignment"))
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|a| {
                        Some(Competency {
                            code: text(a.get("targetCode")),
                            name: text(a.get("targetName"))?,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let subject_name = subject.and_then(|s| {
            text(s.get("name")).or_else(|| {
                let ids: &[Value] = match s.get("identifier") {
                    Some(Value::Array(items)) => items,
                    Some(one) => std::slice::from_ref(one),
                    None => &[],
                };
                ids.iter()
                    .find(|i| {
                        i.get("identityType").and_then(Value::as_str) == Some("name")
                            && i.get("hashed") == Some(&Value::Bool(false))
                    })
                    .and_then(|i| text(i.get("identityHash")))
            })
        });
        Summary {
            id: text(d.get("id")),
            name: text(d.get("name")),
            issuer: Party {
                id: self.issuer_id.map(str::to_owned),
                name: d.get("issuer").and_then(|i| text(i.get("name"))),
            },
            subject: Party {
                id: subject.and_then(|s| text(s.get("id"))),
                name: subject_name,
            },
            role: subject.and_then(|s| text(s.get("role"))),
            tier: achievement.map(|a| Party {
                id: text(a.get("id")),
                name: text(a.get("name")),
            }),
            competencies,
            valid_from: text(self.valid_from),
            valid_until: text(self.valid_until),
        }
    }
}

fn as_list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        one => vec![one],
    }
}

/// The first IRI in an inline context's term definitions that cannot be an IRI (it holds
/// whitespace), e.g. `"https ://not-a-url#T"` (VC 2.0 §4.5: types map to URLs).
fn inline_context_bad_iri(context: &Map<String, Value>) -> Option<&str> {
    context.iter().find_map(|(term, definition)| {
        let iri = match definition {
            Value::String(iri) => Some(iri.as_str()),
            Value::Object(d) => d.get("@id").and_then(Value::as_str),
            _ => None,
        };
        iri.filter(|_| !term.starts_with('@') || term == "@vocab" || term == "@base")
            .filter(|i| i.chars().any(char::is_whitespace))
    })
}

/// VC 2.0 §5.3: objects with a unique URL `id` and a `digestSRI` or `digestMultibase`; when
/// the resource is a context Hallmark ships, the digest must match its bytes.
fn check_related_resources(related: &Value) -> Result<(), String> {
    let items: &[Value] = match related {
        Value::Array(items) => items,
        one @ Value::Object(_) => std::slice::from_ref(one),
        _ => return Err("relatedResource must be one or more objects".into()),
    };
    let mut seen = Vec::new();
    for item in items {
        let Some(object) = item.as_object() else {
            return Err("each relatedResource must be an object".into());
        };
        let Some(id) = object
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| is_absolute_url(id))
        else {
            return Err("each relatedResource needs an id that is a URL".into());
        };
        if seen.contains(&id) {
            return Err(format!("relatedResource {id} is listed twice"));
        }
        seen.push(id);
        let sri = object.get("digestSRI");
        let multibase = object.get("digestMultibase");
        if sri.is_none() && multibase.is_none() {
            return Err(format!(
                "relatedResource {id} has neither digestSRI nor digestMultibase"
            ));
        }
        let Some(pinned) = crate::jsonld::pinned(id) else {
            continue;
        };
        if let Some(sri) = sri {
            let text = sri.as_str().ok_or("digestSRI must be a string")?;
            if !digest_sri_matches(text, pinned.bytes) {
                return Err(format!("the digestSRI of {id} does not match the context"));
            }
        }
        if let Some(m) = multibase {
            let text = m.as_str().ok_or("digestMultibase must be a string")?;
            if !digest_multibase_matches(text, pinned.bytes) {
                return Err(format!(
                    "the digestMultibase of {id} does not match the context"
                ));
            }
        }
    }
    Ok(())
}

fn digest(algorithm: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    use sha2::Digest;
    match algorithm {
        "sha256" => Some(sha2::Sha256::digest(bytes).to_vec()),
        "sha384" => Some(sha2::Sha384::digest(bytes).to_vec()),
        "sha512" => Some(sha2::Sha512::digest(bytes).to_vec()),
        _ => None,
    }
}

/// Subresource Integrity: `sha384-<base64>` (several, space-separated: any may match).
fn digest_sri_matches(text: &str, bytes: &[u8]) -> bool {
    use base64::Engine;
    text.split_whitespace().any(|one| {
        one.split_once('-').is_some_and(|(alg, b64)| {
            let want = base64::engine::general_purpose::STANDARD.decode(b64).ok();
            want.is_some() && digest(alg, bytes) == want
        })
    })
}

/// A multibase (`u` base64url or `z` base58btc) multihash of sha2-256, -384 or -512.
fn digest_multibase_matches(text: &str, bytes: &[u8]) -> bool {
    use base64::Engine;
    let decoded = match text.chars().next() {
        Some('u') => base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&text[1..])
            .ok(),
        Some('z') => crate::multibase::Multibase::decode_base58btc(text).ok(),
        _ => None,
    };
    let Some(d) = decoded else { return false };
    let alg = match d.first() {
        Some(0x12) => "sha256",
        Some(0x20) => "sha384",
        Some(0x13) => "sha512",
        _ => return false,
    };
    d.len() > 2
        && usize::from(d[1]) == d.len() - 2
        && digest(alg, bytes).as_deref() == Some(&d[2..])
}

/// The first object typed `BitstringStatusListEntry` that is not a valid entry, anywhere.
fn first_malformed_status_entry(value: &Value) -> Option<String> {
    match value {
        Value::Object(map) => {
            let typed = match map.get("type") {
                Some(Value::String(t)) => t == "BitstringStatusListEntry",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "BitstringStatusListEntry"),
                _ => false,
            };
            if typed {
                if let Err(e) = crate::status::StatusEntry::read(value) {
                    return Some(e.to_string());
                }
            }
            map.values().find_map(first_malformed_status_entry)
        }
        Value::Array(items) => items.iter().find_map(first_malformed_status_entry),
        _ => None,
    }
}

fn as_strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use serde_json::json;
    use sha2::Digest;

    fn credential(extra: Value) -> Result<UnsignedCredential, CredentialError> {
        let mut c = json!({
            "@context": [CREDENTIALS_V2, "https://www.w3.org/ns/credentials/examples/v2"],
            "type": ["VerifiableCredential"],
            "issuer": "did:example:issuer",
            "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:subject"}
        });
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        UnsignedCredential::try_from(c)
    }

    fn refused(extra: Value, needle: &str) {
        let e = credential(extra.clone()).unwrap_err().to_string();
        assert!(e.contains(needle), "{extra}: {e}");
    }

    #[test]
    fn objects_state_their_type() {
        refused(json!({"evidence": {}}), "evidence must state its type");
        refused(
            json!({"termsOfUse": {"id": "did:example:terms/1"}}),
            "termsOfUse must state its type",
        );
        refused(
            json!({"refreshService": {"id": "https://a.example/refresh"}}),
            "refreshService must state its type",
        );
        refused(
            json!({"credentialSchema": {"type": "JsonSchema"}}),
            "credentialSchema must have an id",
        );
        refused(
            json!({"credentialStatus": {"id": "https ://not-a-url/4", "type": "X"}}),
            "credentialStatus id",
        );
        assert!(credential(json!({"evidence": [{"type": ["Evidence"]}], "credentialSchema": {"id": "https://a.example/s.json", "type": "JsonSchema"}})).is_ok());
    }

    #[test]
    fn dates_are_date_time_stamps_in_order() {
        refused(
            json!({"validFrom": "Sat 25 Feb 2023 07:16:31 PM CST"}),
            "validFrom",
        );
        refused(
            json!({"validUntil": "Sun, 26 Feb 2023 01:22:14 +0000"}),
            "validUntil",
        );
        refused(
            json!({"validUntil": "2025-01-01T00:00:00Z"}),
            "later than validUntil",
        );
        assert!(
            credential(json!({"validUntil": "2026-01-01T00:00:00Z"})).is_ok(),
            "equal is allowed"
        );
    }

    #[test]
    fn related_resources_need_unique_ids_and_matching_digests() {
        let v2 = crate::jsonld::pinned(CREDENTIALS_V2).unwrap().bytes;
        let sri = format!(
            "sha384-{}",
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha384::digest(v2))
        );
        let mut mh = vec![0x12, 0x20];
        mh.extend_from_slice(&sha2::Sha256::digest(v2));
        let multibase = format!(
            "u{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&mh)
        );
        assert!(
            credential(json!({"relatedResource": [{"id": CREDENTIALS_V2, "digestSRI": sri}]}))
                .is_ok()
        );
        assert!(credential(
            json!({"relatedResource": [{"id": CREDENTIALS_V2, "digestMultibase": multibase}]})
        )
        .is_ok());
        // The digest VC 2.0 §5.3's example gives for the v2 context matches the pinned copy…
        let example = "uEiBZlVztZpfWHgPyslVv6-UwirFoQoRvW1htfx963sknNA";
        let related =
            |d: &str| json!({"relatedResource": [{"id": CREDENTIALS_V2, "digestMultibase": d}]});
        assert!(credential(related(example)).is_ok());
        // …and one changed character does not.
        refused(related(&example.replace('W', "X")), "does not match");
        refused(
            json!({"relatedResource": ["https://a.example/x"]}),
            "must be an object",
        );
        refused(
            json!({"relatedResource": [{"digestSRI": sri}]}),
            "needs an id",
        );
        refused(
            json!({"relatedResource": [{"id": "https://a.example/x", "digestSRI": "sha384-AAAA"}, {"id": "https://a.example/x", "digestSRI": "sha384-AAAA"}]}),
            "listed twice",
        );
        refused(
            json!({"relatedResource": [{"id": "https://a.example/x"}]}),
            "neither digestSRI nor digestMultibase",
        );
        // Resources Hallmark does not ship are checked for shape only.
        assert!(credential(
            json!({"relatedResource": [{"id": "https://a.example/x", "digestSRI": "sha384-AAAA"}]})
        )
        .is_ok());
    }

    #[test]
    fn inline_contexts_map_terms_to_iris() {
        let mut c = json!({
            "@context": [CREDENTIALS_V2, {"ExampleTestCredential": "https ://not-a-url#ExampleTestCredential"}],
            "type": ["VerifiableCredential", "ExampleTestCredential"],
            "issuer": "did:example:issuer",
            "credentialSubject": {"id": "did:example:subject"}
        });
        assert!(UnsignedCredential::try_from(c.clone())
            .unwrap_err()
            .to_string()
            .contains("not an IRI"));
        c["@context"][1]["ExampleTestCredential"] =
            json!("https://example.org/#ExampleTestCredential");
        assert!(UnsignedCredential::try_from(c).is_ok());
    }

    #[test]
    fn status_entries_anywhere_are_well_formed() {
        refused(
            json!({"statusEntry": {"type": "BitstringStatusListEntry", "statusListIndex": true, "statusListCredential": "https://example.com"}}),
            "status entry",
        );
    }
}
