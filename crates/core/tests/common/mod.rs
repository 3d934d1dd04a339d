//! What the vector tests share: reading files under tests/vectors, hex, proof options taken
//! from a vector's proof configuration, and URLs served from files (like `--resolve`).

// Each test binary uses a part of this module.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use hallmark_core::did::{Relationship, VerificationMethodId};
use hallmark_core::json;
use hallmark_core::proof::{Cryptosuite, ProofOptions};
use hallmark_core::verify::{ResolveError, Resources};
use serde_json::{Map, Value};

/// A folder under tests/vectors.
pub struct Vectors(pub &'static str);

impl Vectors {
    /// The folder's path.
    pub fn dir(&self) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/vectors")
            .join(self.0)
    }

    /// A file's bytes; panics naming the file.
    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// A text file, as written (final newline included).
    pub fn text(&self, name: &str) -> String {
        String::from_utf8(self.read(name)).unwrap()
    }

    /// A JSON object file, through the strict parser.
    pub fn object(&self, name: &str) -> Map<String, Value> {
        json::parse(&self.read(name))
            .unwrap()
            .as_object()
            .unwrap()
            .clone()
    }
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Proof options for `cryptosuite` with a vector proof configuration's `verificationMethod`,
/// `assertionMethod` and the given `created`.
pub fn options_from(
    verification_method: &str,
    cryptosuite: Cryptosuite,
    created: &str,
) -> ProofOptions {
    ProofOptions {
        cryptosuite,
        verification_method: VerificationMethodId::parse(verification_method).unwrap(),
        proof_purpose: Relationship::AssertionMethod,
        created: Some(hallmark_core::datetime::parse(created).unwrap()),
    }
}

/// URLs served from bytes, like `hallmark verify --resolve URL=FILE`.
pub struct Files(pub HashMap<String, Arc<[u8]>>);

impl Resources for Files {
    fn fetch(&self, url: &str) -> Result<Arc<[u8]>, ResolveError> {
        self.0.get(url).cloned().ok_or_else(|| ResolveError {
            undecided: true,
            detail: format!("{url} is not served in this test"),
        })
    }
}
