//! The verifier's trust list: the issuers whose badges it accepts, with display names.

use serde::Deserialize;

/// One trusted issuer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
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

    /// The trusted issuers.
    pub fn issuers(&self) -> &[TrustedIssuer] {
        &self.issuers
    }
}
