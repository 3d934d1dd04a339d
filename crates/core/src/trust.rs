//! The verifier's trust list: the issuers whose badges it accepts, with display names.

use serde::Deserialize;

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
    /// [`crate::json::JsonError`] rendered as text, or a message naming the missing field.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            issuers: Vec<TrustedIssuer>,
        }
        let value = crate::json::parse(bytes).map_err(|e| e.to_string())?;
        let file: File = serde_json::from_value(value)
            .map_err(|e| format!("expected {{\"issuers\": [{{\"id\": …, \"name\": …}}]}}: {e}"))?;
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
}
