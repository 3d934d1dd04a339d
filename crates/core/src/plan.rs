//! A verification plan, sans I/O: the documents the pipeline ([`crate::verify`]) will ask its
//! [`crate::verify::Resources`] for, read from a credential or presentation without checking
//! anything, so that a caller with I/O (the fetch crate, the verifier service, a browser) can
//! fetch them together, each once, before the pipeline runs once.
//!
//! What is needed: the controller document of every proof's `verificationMethod` (a `did:web`
//! DID's `did.json`, or an `https` URL; a `did:key` needs nothing), every
//! `statusListCredential`, and — once a status list's bytes are at hand — the controller
//! documents of that list's proofs. A presentation needs its own proofs' documents and those of
//! each credential embedded in it. The plan is a forecast: the pipeline still asks for what it
//! needs, and a caller fetches anything the plan missed on a second pass.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::did::{did_web_url, method_of, Did};

/// How deep credentials are looked into: a presentation, its credentials, their status lists.
const MAX_DEPTH: usize = 3;

/// The URLs `document` (a credential, a presentation, or a JSON-LD request body holding one
/// under `verifiableCredential` / `verifiablePresentation`) needs, in the order found, each
/// once, at most `max` of them (a caller fetches no more than its bound anyway, and a hostile
/// document may name thousands). `known` gives the bytes of a URL already at hand (a status
/// list fetched in an earlier round), whose own needs are then added (parsing it: a caller on
/// an async thread passes `&|_| None`); a caller repeats the plan until it names nothing new.
pub fn documents_needed(
    document: &Value,
    known: &dyn Fn(&str) -> Option<Arc<[u8]>>,
    max: usize,
) -> Vec<String> {
    let mut needs = Needs {
        urls: Vec::new(),
        seen: HashSet::new(),
        known,
        max,
    };
    needs.document(document, 0);
    needs.urls
}

struct Needs<'a> {
    urls: Vec<String>,
    seen: HashSet<String>,
    known: &'a dyn Fn(&str) -> Option<Arc<[u8]>>,
    max: usize,
}

impl Needs<'_> {
    fn add(&mut self, url: String) {
        if self.urls.len() < self.max && self.seen.insert(url.clone()) {
            self.urls.push(url);
        }
    }

    fn document(&mut self, value: &Value, depth: usize) {
        let Value::Object(map) = value else {
            return;
        };
        if depth > MAX_DEPTH {
            return;
        }
        self.proofs(map.get("proof"));
        for entry in as_slice(map.get("credentialStatus")) {
            if let Some(url) = entry.get("statusListCredential").and_then(Value::as_str) {
                if is_http(url) {
                    self.add(url.to_owned());
                    if let Some(bytes) = (self.known)(url) {
                        // The list's own proofs (its status, if any, is not checked).
                        if let Ok(Value::Object(list)) = crate::json::parse(&bytes) {
                            self.proofs(list.get("proof"));
                        }
                    }
                }
            }
        }
        // A presentation's credentials, and the request envelopes of the VC API.
        for key in ["verifiableCredential", "verifiablePresentation"] {
            for inner in as_slice(map.get(key)) {
                self.document(inner, depth + 1);
            }
        }
    }

    /// The controller documents of a proof (set)'s verification methods, chained proofs too.
    fn proofs(&mut self, proofs: Option<&Value>) {
        for proof in as_slice(proofs).iter().filter_map(Value::as_object) {
            if let Some(url) = method_document(proof) {
                self.add(url);
            }
        }
    }
}

/// The URL of the controller document a proof's `verificationMethod` is read from, when it
/// must be fetched.
fn method_document(proof: &Map<String, Value>) -> Option<String> {
    let vm = proof.get("verificationMethod")?.as_str()?;
    let id = vm.split_once('#').map_or(vm, |(doc, _)| doc);
    url_of(id)
}

/// Where the pipeline fetches the document of `id`: `did:web` by its URL (did:web §3.2),
/// `http(s)` as it is; nothing for `did:key` (derived) or anything else (refused unfetched).
pub fn url_of(id: &str) -> Option<String> {
    if method_of(id) == Some("web") {
        return did_web_url(&Did::parse(id).ok()?).ok();
    }
    is_http(id).then(|| id.to_owned())
}

fn is_http(text: &str) -> bool {
    text.starts_with("https://") || text.starts_with("http://")
}

fn as_slice(value: Option<&Value>) -> &[Value] {
    match value {
        Some(Value::Array(items)) => items,
        Some(one) => std::slice::from_ref(one),
        None => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nothing(_: &str) -> Option<Arc<[u8]>> {
        None
    }

    #[test]
    fn a_credential_needs_its_keys_and_lists_then_the_lists_keys() {
        let credential = json!({
            "issuer": "did:web:acme.example",
            "proof": [
                {"verificationMethod": "did:web:acme.example#key-1"},
                {"verificationMethod": "did:key:z6Mkp3FgNPqLE1ENsdNCiQEBgePypXrKPCeqSFkXN3g6Y6Wq#z6Mkp3FgNPqLE1ENsdNCiQEBgePypXrKPCeqSFkXN3g6Y6Wq"},
                {"verificationMethod": "https://keys.example/issuer#k"},
                {"verificationMethod": "did:web:acme.example#key-2"}
            ],
            "credentialStatus": [
                {"statusListCredential": "https://acme.example/status/1"},
                {"statusListCredential": "https://acme.example/status/2"}
            ]
        });
        assert_eq!(
            documents_needed(&credential, &nothing, 32),
            [
                "https://acme.example/.well-known/did.json",
                "https://keys.example/issuer",
                "https://acme.example/status/1",
                "https://acme.example/status/2",
            ]
        );
        // Once a list is at hand, its signer's document is needed too.
        let list: Arc<[u8]> = Arc::from(
            br#"{"proof": {"verificationMethod": "did:web:lists.example:acme#k"}}"#.as_slice(),
        );
        let known = move |url: &str| (url == "https://acme.example/status/2").then(|| list.clone());
        assert_eq!(
            documents_needed(&credential, &known, 32)
                .last()
                .map(String::as_str),
            Some("https://lists.example/acme/did.json")
        );
    }

    #[test]
    fn a_plan_stops_at_its_bound() {
        let proofs: Vec<Value> = (0..10_000)
            .map(|i| json!({"verificationMethod": format!("did:web:h{i}.example#k")}))
            .collect();
        let credential = json!({"proof": proofs});
        let planned = documents_needed(&credential, &nothing, 32);
        assert_eq!(planned.len(), 32);
        assert_eq!(planned[31], "https://h31.example/.well-known/did.json");
    }

    #[test]
    fn a_presentation_needs_its_own_and_its_credentials_documents() {
        let request = json!({"verifiablePresentation": {
            "proof": {"verificationMethod": "did:web:holder.example#k"},
            "verifiableCredential": [
                {"proof": {"verificationMethod": "did:web:acme.example#k"}},
                {"proof": {"verificationMethod": "did:web:holder.example#k"}}
            ]
        }});
        assert_eq!(
            documents_needed(&request, &nothing, 32),
            [
                "https://holder.example/.well-known/did.json",
                "https://acme.example/.well-known/did.json",
            ]
        );
        // Odd input plans nothing and never panics.
        for odd in [
            json!(null),
            json!([1, 2]),
            json!({"proof": 7, "credentialStatus": "x"}),
        ] {
            assert!(documents_needed(&odd, &nothing, 32).is_empty());
        }
    }
}
