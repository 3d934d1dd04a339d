//! The one-pass canonicalization of a document and its proof configuration
//! (`jsonld::canonical_hash_pair`) gives exactly what two separate passes give, on every signed
//! vector and fixture in tests/vectors and on Hallmark's own badges.

use std::path::{Path, PathBuf};

use hallmark_core::badge;
use hallmark_core::did::Did;
use hallmark_core::jsonld::{self, Limits};
use hallmark_core::keys::SecretKey;
use hallmark_core::proof::{self, Cryptosuite, ProofOptions};
use serde_json::{Map, Value};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") || path.ends_with("testlist") {
            out.push(path);
        }
    }
}

fn check(name: &str, doc: &Map<String, Value>) -> usize {
    let Some(context) = doc.get("@context") else {
        return 0;
    };
    let proofs: Vec<&Map<String, Value>> = match doc.get("proof") {
        Some(Value::Object(p)) => vec![p],
        Some(Value::Array(set)) => set.iter().filter_map(Value::as_object).collect(),
        _ => return 0,
    };
    // No hash cache in the limits: each call below computes its own result.
    let limits = Limits::default();
    for p in &proofs {
        let separate = (
            jsonld::canonical_hash(p, Some("proofValue"), Some(context), &limits),
            jsonld::canonical_hash(doc, Some("proof"), Some(context), &limits),
        );
        let pair = jsonld::canonical_hash_pair(
            p,
            Some("proofValue"),
            doc,
            Some("proof"),
            context,
            &limits,
        );
        assert_eq!(pair, separate, "{name}");
    }
    proofs.len()
}

#[test]
fn one_pass_equals_two_passes_on_every_vector() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors");
    let mut paths = Vec::new();
    files(&root.join("w3c"), &mut paths);
    files(&root.join("ob3"), &mut paths);
    let mut checked = 0;
    for path in paths {
        let Ok(value) = hallmark_core::json::parse(&std::fs::read(&path).unwrap()) else {
            continue;
        };
        if let Some(doc) = value.as_object() {
            checked += check(&path.display().to_string(), doc);
        }
    }
    assert!(checked > 40, "{checked}");
}

#[test]
fn one_pass_equals_two_passes_on_hallmark_badges() {
    let key = SecretKey::from_seed(&[8; 32]);
    let mut spec = badge::example(&Did::key(&key.public_key()));
    for suite in [Cryptosuite::EddsaRdfc2022, Cryptosuite::EddsaJcs2022] {
        let options = ProofOptions::did_key(&key.public_key(), suite, None);
        let signed = proof::sign(spec.build().unwrap().into_map(), &options, &key).unwrap();
        assert_eq!(check("badge", &signed), 1);
        spec.evidence.clear();
    }
}
