//! Identifiers and controller documents: DID syntax (DID Core §3.1), `did:key` for Ed25519
//! (did:key method §3.1), verification method ids, and the parts of a DID document or
//! controlled identifier document (CID 1.0 §2) that the `issuer` check needs.

use std::fmt;

use serde_json::{json, Map, Value};

use crate::keys::{KeyError, PublicKey};

/// Why an identifier or a controller document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DidError {
    /// Not `did:<method>:<method-specific-id>` (DID Core §3.1).
    #[error("{0:?} is not a DID (expected did:<method>:<id>)")]
    Syntax(String),
    /// Not an absolute URL (a scheme, a colon, then more).
    #[error("{0:?} is not an absolute URL")]
    NotAbsoluteUrl(String),
    /// A `did:key` whose key is not an Ed25519 Multikey.
    #[error("{did} is not an Ed25519 did:key: {source}")]
    DidKey {
        /// The DID.
        did: String,
        /// What was wrong with its key.
        source: KeyError,
    },
    /// A `did:key` URL whose fragment is not the key itself.
    #[error("{0:?}: a did:key verification method's fragment must repeat the key")]
    DidKeyFragment(String),
    /// A controller document that is not what CID 1.0 §2 describes.
    #[error("controller document: {0}")]
    Document(String),
}

/// A decentralized identifier (DID Core §3.1), e.g. `did:web:agency.example` or `did:key:z6Mk…`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Did(String);

impl Did {
    /// Checks DID syntax: `did:`, a lowercase alphanumeric method, `:`, a non-empty id without
    /// `#`, `?` or `/`.
    ///
    /// # Errors
    /// [`DidError::Syntax`].
    pub fn parse(text: &str) -> Result<Self, DidError> {
        let bad = || DidError::Syntax(text.to_owned());
        let rest = text.strip_prefix("did:").ok_or_else(bad)?;
        let (method, id) = rest.split_once(':').ok_or_else(bad)?;
        let method_ok = !method.is_empty()
            && method
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let id_ok = !id.is_empty()
            && !id.ends_with(':')
            && id.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'%')
            });
        if method_ok && id_ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(bad())
        }
    }

    /// The `did:key` of an Ed25519 public key: `did:key:` + its `publicKeyMultibase`.
    pub fn key(public: &PublicKey) -> Self {
        Self(format!("did:key:{}", public.to_multibase()))
    }

    /// The method name (`key`, `web`, …).
    pub fn method(&self) -> &str {
        method_of(&self.0).unwrap_or_default()
    }

    /// The DID text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Did({})", self.0)
    }
}

/// The method name of a DID or DID URL (`did:key:z6Mk…#z6Mk…` → `key`, `did:web:x.example`
/// → `web`): DID Core §3.1's `method-name` (lowercase letters and digits) between `did:` and
/// the next `:`; `None` for text that does not start like a DID. The one place that reads a
/// method from text (rather than `starts_with("did:key:")` at each caller).
pub fn method_of(text: &str) -> Option<&str> {
    let (method, _) = text.strip_prefix("did:")?.split_once(':')?;
    (!method.is_empty()
        && method
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
    .then_some(method)
}

/// The URL of a `did:web` DID document (did:web method spec §3.2 Read): `did:web:host` →
/// `https://host/.well-known/did.json`; `did:web:host:a:b` → `https://host/a/b/did.json`; a
/// percent-encoded port (`host%3A8443`) is decoded.
///
/// # Errors
/// [`DidError::Syntax`] when `did` is not a `did:web` with a host.
pub fn did_web_url(did: &Did) -> Result<String, DidError> {
    let bad = || DidError::Syntax(did.to_string());
    let rest = did.as_str().strip_prefix("did:web:").ok_or_else(bad)?;
    let mut parts = rest.split(':');
    let host = parts.next().filter(|h| !h.is_empty()).ok_or_else(bad)?;
    let host = host.replace("%3A", ":").replace("%3a", ":");
    if host.contains('%') || host.contains('/') {
        return Err(bad());
    }
    let path: Vec<&str> = parts.collect();
    if path.iter().any(|p| p.is_empty() || *p == "." || *p == "..") {
        return Err(bad());
    }
    Ok(if path.is_empty() {
        format!("https://{host}/.well-known/did.json")
    } else {
        format!("https://{host}/{}/did.json", path.join("/"))
    })
}

/// The id of a verification method: an absolute URL, normally `<controller>#<fragment>`.
///
/// A bare `did:key:X` means `did:key:X#X` (the Bitstring Status List spec's examples use it).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct VerificationMethodId(String);

impl VerificationMethodId {
    /// Parses and normalizes a `verificationMethod` value.
    ///
    /// # Errors
    /// [`DidError::NotAbsoluteUrl`] for relative or scheme-less text,
    /// [`DidError::Syntax`] for a malformed DID URL.
    pub fn parse(text: &str) -> Result<Self, DidError> {
        if !is_absolute_url(text) {
            return Err(DidError::NotAbsoluteUrl(text.to_owned()));
        }
        if text.starts_with("did:") {
            let (did, fragment) = text.split_once('#').unwrap_or((text, ""));
            let did = Did::parse(did)?;
            if fragment.is_empty() && did.method() == "key" {
                let key = &did.as_str()["did:key:".len()..];
                return Ok(Self(format!("{did}#{key}")));
            }
        }
        Ok(Self(text.to_owned()))
    }

    /// The id of the document that controls this method: the URL without its fragment.
    pub fn controller_document_id(&self) -> &str {
        self.0.split_once('#').map_or(&self.0, |(doc, _)| doc)
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VerificationMethodId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for VerificationMethodId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerificationMethodId({})", self.0)
    }
}

/// True when `text` has a URL scheme (RFC 3986 §3.1) followed by a non-empty rest.
pub fn is_absolute_url(text: &str) -> bool {
    match text.split_once(':') {
        Some((scheme, rest)) => {
            let mut bytes = scheme.bytes();
            bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
                && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
                && !rest.is_empty()
                && !text.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// A verification relationship (CID 1.0 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Relationship {
    /// `assertionMethod`: issuing credentials.
    AssertionMethod,
    /// `authentication`: proving control, e.g. a holder signing a presentation.
    Authentication,
}

impl Relationship {
    /// The property name, which is also the `proofPurpose` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AssertionMethod => "assertionMethod",
            Self::Authentication => "authentication",
        }
    }
}

/// One verification method of a controller document, with its key if it is Ed25519.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationMethod {
    /// Absolute id.
    pub id: String,
    /// Its `controller`.
    pub controller: String,
    /// The Ed25519 key, or why there is none usable.
    pub key: Result<PublicKey, String>,
}

/// The parts of a DID document / controlled identifier document used for verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerDocument {
    /// The document's `id`.
    pub id: String,
    methods: Vec<VerificationMethod>,
    assertion_method: Vec<String>,
    authentication: Vec<String>,
}

impl ControllerDocument {
    /// The heap bytes it owns (strings, lists), for caches bounded by bytes.
    pub fn heap_bytes(&self) -> usize {
        let strings = |v: &Vec<String>| {
            v.iter().map(String::capacity).sum::<usize>()
                + v.capacity() * std::mem::size_of::<String>()
        };
        self.id.capacity()
            + self.methods.capacity() * std::mem::size_of::<VerificationMethod>()
            + self
                .methods
                .iter()
                .map(|m| {
                    m.id.capacity()
                        + m.controller.capacity()
                        + m.key.as_ref().err().map_or(0, String::capacity)
                })
                .sum::<usize>()
            + strings(&self.assertion_method)
            + strings(&self.authentication)
    }

    /// Reads a DID document or controlled identifier document (CID 1.0 §2). Relative method ids
    /// (`#key-1`) are resolved against the document id. Keys are read from Ed25519
    /// `publicKeyMultibase` (Multikey, Ed25519VerificationKey2020) or an OKP/Ed25519
    /// `publicKeyJwk`.
    ///
    /// # Errors
    /// [`DidError::Document`] when `id` is missing or a method has no `id`.
    pub fn from_json(value: &Value) -> Result<Self, DidError> {
        /// The longest document id read (DIDs and URLs in the wild are far shorter).
        const MAX_ID_BYTES: usize = 2048;
        let obj = value
            .as_object()
            .ok_or_else(|| DidError::Document("not a JSON object".into()))?;
        let id = obj
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| DidError::Document("no \"id\"".into()))?
            .to_owned();
        // Every relative method id ("#key-1") is expanded with the id: a long id and many
        // methods would multiply a 1 MiB document many times over.
        if id.len() > MAX_ID_BYTES {
            return Err(DidError::Document(format!(
                "the id is {} bytes, over the {MAX_ID_BYTES}-byte limit",
                id.len()
            )));
        }
        let absolute = |m: &str| {
            if m.starts_with('#') {
                format!("{id}{m}")
            } else {
                m.to_owned()
            }
        };
        let mut methods = Vec::new();
        let read_method = |m: &Map<String, Value>| -> Result<VerificationMethod, DidError> {
            let mid = m
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(|| DidError::Document("a verification method has no \"id\"".into()))?;
            Ok(VerificationMethod {
                id: absolute(mid),
                controller: m
                    .get("controller")
                    .and_then(Value::as_str)
                    .map_or_else(String::new, absolute),
                key: method_key(m),
            })
        };
        for m in as_list(obj.get("verificationMethod")) {
            if let Some(m) = m.as_object() {
                methods.push(read_method(m)?);
            }
        }
        let mut relationship = |name: &str| -> Result<Vec<String>, DidError> {
            let mut ids = Vec::new();
            for entry in as_list(obj.get(name)) {
                match entry {
                    Value::String(r) => ids.push(absolute(r)),
                    Value::Object(m) => {
                        let method = read_method(m)?;
                        ids.push(method.id.clone());
                        methods.push(method);
                    }
                    _ => {}
                }
            }
            Ok(ids)
        };
        let assertion_method = relationship("assertionMethod")?;
        let authentication = relationship("authentication")?;
        Ok(Self {
            id,
            methods,
            assertion_method,
            authentication,
        })
    }

    /// Resolves a `did:key` to its document (did:key §3.1.2: one Multikey method, `#` + the
    /// key, listed in every relationship).
    ///
    /// # Errors
    /// [`DidError::DidKey`] when the DID is not an Ed25519 `did:key`.
    pub fn did_key(did: &Did) -> Result<Self, DidError> {
        let Some(key_text) = did.as_str().strip_prefix("did:key:") else {
            return Err(DidError::Syntax(did.to_string()));
        };
        let key = PublicKey::from_multibase_field(key_text, "did:key").map_err(|source| {
            DidError::DidKey {
                did: did.to_string(),
                source,
            }
        })?;
        let id = format!("{did}#{key_text}");
        Ok(Self {
            id: did.to_string(),
            methods: vec![VerificationMethod {
                id: id.clone(),
                controller: did.to_string(),
                key: Ok(key),
            }],
            assertion_method: vec![id.clone()],
            authentication: vec![id],
        })
    }

    /// The JSON DID document of a `did:key` (did:key §3.1.2), as a resolver would return it.
    pub fn did_key_json(public: &PublicKey) -> Value {
        let did = Did::key(public);
        let id = format!("{did}#{}", public.to_multibase());
        json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": did.as_str(),
            "verificationMethod": [{
                "id": id,
                "type": "Multikey",
                "controller": did.as_str(),
                "publicKeyMultibase": public.to_multibase().as_str(),
            }],
            "authentication": [id],
            "assertionMethod": [id],
            "capabilityDelegation": [id],
            "capabilityInvocation": [id],
        })
    }

    /// The verification method with this id.
    pub fn method(&self, id: &str) -> Option<&VerificationMethod> {
        self.methods.iter().find(|m| m.id == id)
    }

    /// True when `id` is listed under `relationship`.
    pub fn has_relationship(&self, id: &str, relationship: Relationship) -> bool {
        let list = match relationship {
            Relationship::AssertionMethod => &self.assertion_method,
            Relationship::Authentication => &self.authentication,
        };
        list.iter().any(|m| m == id)
    }
}

fn as_list(value: Option<&Value>) -> &[Value] {
    match value {
        Some(Value::Array(items)) => items,
        Some(one) => std::slice::from_ref(one),
        None => &[],
    }
}

fn method_key(m: &Map<String, Value>) -> Result<PublicKey, String> {
    if let Some(text) = m.get("publicKeyMultibase").and_then(Value::as_str) {
        return PublicKey::from_multibase(text).map_err(|e| e.to_string());
    }
    if let Some(jwk) = m.get("publicKeyJwk").and_then(Value::as_object) {
        let field = |k: &str| jwk.get(k).and_then(Value::as_str);
        if field("kty") != Some("OKP") || field("crv") != Some("Ed25519") {
            return Err("publicKeyJwk is not an OKP Ed25519 key".into());
        }
        let x = field("x").ok_or("publicKeyJwk has no \"x\"")?;
        let raw = base64url_decode(x).ok_or("publicKeyJwk \"x\" is not base64url")?;
        let mut bytes = Vec::with_capacity(34);
        bytes.extend_from_slice(&crate::keys::ED25519_PUB_HEADER);
        bytes.extend_from_slice(&raw);
        let text = crate::multibase::Multibase::encode_base58btc(&bytes);
        return PublicKey::from_multibase(text.as_str()).map_err(|e| e.to_string());
    }
    Err("no publicKeyMultibase or publicKeyJwk".into())
}

/// Unpadded base64url (RFC 4648 §5) decoding, enough for a 32-byte JWK coordinate.
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in text.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod method_tests {
    use super::{method_of, Did};

    #[test]
    fn the_method_is_read_from_dids_and_did_urls() {
        assert_eq!(method_of("did:key:z6Mk#z6Mk"), Some("key"));
        assert_eq!(method_of("did:web:x.example:a"), Some("web"));
        assert_eq!(Did::parse("did:web:x.example").unwrap().method(), "web");
        for not in [
            "did:",
            "did:key",
            "did::x",
            "did:KEY:x",
            "https://x.example",
            "did:k-y:x",
        ] {
            assert_eq!(method_of(not), None, "{not}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";

    /// A long id with many relative method ids would be copied into each: refused up front.
    #[test]
    fn a_document_id_longer_than_2048_bytes_is_refused() {
        let id = format!("did:web:{}", "a".repeat(600_000));
        let methods: Vec<Value> = (0..1000)
            .map(|i| serde_json::json!({"id": format!("#k{i}"), "type": "Multikey", "controller": id, "publicKeyMultibase": KEY}))
            .collect();
        let doc = serde_json::json!({"id": id, "verificationMethod": methods});
        let err = ControllerDocument::from_json(&doc).unwrap_err();
        assert!(
            err.to_string().contains("over the 2048-byte limit"),
            "{err}"
        );
    }

    #[test]
    fn did_syntax() {
        assert_eq!(
            Did::parse("did:web:agency.example").unwrap().method(),
            "web"
        );
        assert_eq!(
            Did::parse("did:web:example.com%3A8443:p").unwrap().method(),
            "web"
        );
        for bad in [
            "did:web",
            "did::x",
            "did:Web:x",
            "did:web:",
            "web:x",
            "did:web:a b",
            "did:web:a#f",
        ] {
            assert!(Did::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn did_web_urls() {
        let url = |d: &str| did_web_url(&Did::parse(d).unwrap());
        assert_eq!(
            url("did:web:agency.example").unwrap(),
            "https://agency.example/.well-known/did.json"
        );
        assert_eq!(
            url("did:web:w3c-ccg.github.io:user:alice").unwrap(),
            "https://w3c-ccg.github.io/user/alice/did.json"
        );
        assert_eq!(
            url("did:web:example.com%3A3000").unwrap(),
            "https://example.com:3000/.well-known/did.json"
        );
        assert!(url("did:key:z6Mk").is_err());
        assert!(url("did:web:a.example:..:x").is_err());
    }

    #[test]
    fn bare_did_key_method_means_its_own_fragment() {
        let bare = VerificationMethodId::parse(&format!("did:key:{KEY}")).unwrap();
        assert_eq!(bare.as_str(), format!("did:key:{KEY}#{KEY}"));
        assert_eq!(bare.controller_document_id(), format!("did:key:{KEY}"));
        let web = VerificationMethodId::parse("did:web:a.example#key-1").unwrap();
        assert_eq!(web.controller_document_id(), "did:web:a.example");
        assert!(VerificationMethodId::parse("#key-1").is_err());
        assert!(VerificationMethodId::parse("key-1").is_err());
    }

    #[test]
    fn did_key_resolves_and_refuses_other_codecs() {
        let did = Did::parse(&format!("did:key:{KEY}")).unwrap();
        let doc = ControllerDocument::did_key(&did).unwrap();
        let vm = format!("did:key:{KEY}#{KEY}");
        assert_eq!(doc.method(&vm).unwrap().controller, did.as_str());
        assert!(doc.has_relationship(&vm, Relationship::AssertionMethod));
        // A P-256 did:key.
        let p256 = Did::parse("did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169").unwrap();
        assert!(matches!(
            ControllerDocument::did_key(&p256),
            Err(DidError::DidKey { .. })
        ));
        // JSON form read back gives the same document.
        let public = PublicKey::from_multibase(KEY).unwrap();
        let json = ControllerDocument::did_key_json(&public);
        assert_eq!(ControllerDocument::from_json(&json).unwrap(), doc);
    }

    #[test]
    fn reads_relative_ids_embedded_methods_and_jwk() {
        let doc = ControllerDocument::from_json(&json!({
            "id": "did:web:agency.example",
            "verificationMethod": [{
                "id": "#key-1", "type": "JsonWebKey", "controller": "did:web:agency.example",
                "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519",
                                  "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
            }],
            "assertionMethod": ["#key-1"],
            "authentication": [{"id": "did:web:agency.example#key-2", "type": "Multikey",
                                 "controller": "did:web:agency.example", "publicKeyMultibase": KEY}]
        }))
        .unwrap();
        let k1 = doc.method("did:web:agency.example#key-1").unwrap();
        assert!(k1.key.is_ok());
        assert!(doc.has_relationship(
            "did:web:agency.example#key-1",
            Relationship::AssertionMethod
        ));
        assert!(!doc.has_relationship(
            "did:web:agency.example#key-2",
            Relationship::AssertionMethod
        ));
        assert!(doc.has_relationship("did:web:agency.example#key-2", Relationship::Authentication));
    }
}
