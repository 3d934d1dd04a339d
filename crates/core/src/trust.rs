//! The verifier's trust list: the issuers whose badges it accepts, with display names, and
//! the one reading of a trust argument (`--trust`, a config's `trust` entry): an issuer id or
//! the path of a trust-list file.

use serde::Deserialize;

/// One trust argument, read once for every front end ([`TrustArg::parse`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustArg<'a> {
    /// An issuer id: a DID, or an `http(s)` URL (the scheme in any case, RFC 3986 §3.1).
    Issuer(&'a str),
    /// Anything else: the path of a trust-list file ([`TrustList::from_json`]).
    File(&'a str),
}

impl<'a> TrustArg<'a> {
    /// Reads `text` as an issuer id when it starts with `did:`, `https://` or `http://`
    /// (scheme case-insensitive), else as a file path.
    pub fn parse(text: &'a str) -> Self {
        let scheme_is = |prefix: &str| {
            text.get(..prefix.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
        };
        if text.starts_with("did:") || scheme_is("https://") || scheme_is("http://") {
            Self::Issuer(text)
        } else {
            Self::File(text)
        }
    }
}

/// Why a trust-list file cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustFileError {
    /// Not strict JSON.
    #[error(transparent)]
    Json(#[from] crate::json::JsonError),
    /// JSON of another shape.
    #[error("expected {{\"issuers\": [{{\"id\": …, \"name\": …}}]}}: {0}")]
    Shape(serde_json::Error),
}

/// One trusted issuer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedIssuer {
    /// The issuer's id: a DID or an https URL, compared exactly.
    pub id: String,
    /// A display name.
    #[serde(default)]
    pub name: Option<String>,
}

/// A set of trusted issuers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustList {
    issuers: Vec<TrustedIssuer>,
}

impl TrustList {
    /// An empty list (trusts nobody).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an issuer.
    pub fn add(&mut self, issuer: TrustedIssuer) {
        if !self.issuers.iter().any(|i| i.id == issuer.id) {
            self.issuers.push(issuer);
        }
    }

    /// The entry for this issuer id, if trusted.
    pub fn find(&self, id: &str) -> Option<&TrustedIssuer> {
        self.issuers.iter().find(|i| i.id == id)
    }

    /// Reads a trust list file: `{"issuers": [{"id": "did:web:…", "name": "…"}, …]}`.
    ///
    /// # Errors
    /// [`TrustFileError`]: not strict JSON, or another shape (naming the missing or unknown
    /// field).
    pub fn from_json(bytes: &[u8]) -> Result<Self, TrustFileError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            issuers: Vec<TrustedIssuer>,
        }
        let value = crate::json::parse(bytes)?;
        let file: File = serde_json::from_value(value).map_err(TrustFileError::Shape)?;
        let mut list = Self::new();
        for issuer in file.issuers {
            list.add(issuer);
        }
        Ok(list)
    }

    /// The trusted issuers.
    pub fn issuers(&self) -> &[TrustedIssuer] {
        &self.issuers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_trust_file() {
        let list = TrustList::from_json(
            br#"{"issuers": [{"id": "did:web:acme.example", "name": "Acme"}, {"id": "did:key:z6Mk"}]}"#,
        )
        .unwrap();
        assert_eq!(
            list.find("did:web:acme.example").unwrap().name.as_deref(),
            Some("Acme")
        );
        assert!(list.find("did:key:z6Mk").is_some());
        assert!(list.find("did:web:other.example").is_none());
        assert!(TrustList::from_json(br#"{"issuers": [{"name": "no id"}]}"#).is_err());
        assert!(TrustList::from_json(br#"["did:web:acme.example"]"#).is_err());
    }

    #[test]
    fn trust_arguments_are_ids_or_files() {
        for id in [
            "did:web:acme.example",
            "https://acme.example/issuer",
            "HTTPS://acme.example/issuer",
            "Http://acme.example",
        ] {
            assert_eq!(TrustArg::parse(id), TrustArg::Issuer(id));
        }
        for file in [
            "trust.json",
            "./https/trust.json",
            "/etc/hallmark/trust.json",
            "DID:web:x",
        ] {
            assert_eq!(TrustArg::parse(file), TrustArg::File(file));
        }
    }
}
