//! The fuzz targets' checks (fuzz/src/checks.rs, shared through `#[path]`) on every input kept
//! in the repository: each crash the fuzzers found (fuzz/regressions/<target>/) and each
//! minimized corpus (fuzz/corpus/<target>/), so CI catches a regression without libFuzzer.
//!
//! `FUZZ_SEEDS_DIR=DIR cargo test -p hallmark-core --test fuzz_regressions` also writes the
//! seed inputs (from tests/vectors and the checks' in-memory world) into DIR/<target>/;
//! `scripts/fuzz.sh --seed` does that and adds those that reach new code to fuzz/corpus.

#[allow(dead_code)]
#[path = "../../../fuzz/src/checks.rs"]
mod checks;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hallmark_core::proof::Cryptosuite;
use hallmark_core::{CheckId, Outcome};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The files of `dir`, recursively, sorted (none when it does not exist).
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else if !path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Runs every input under `fuzz/<kind>/<target>/` through its target's check; returns how
/// many ran. A folder named after no known target fails the test: its check belongs in
/// fuzz/src/checks.rs.
fn replay(kind: &str) -> usize {
    let dir = root().join("fuzz").join(kind);
    let mut ran = 0;
    let Ok(targets) = std::fs::read_dir(&dir) else {
        return 0;
    };
    for target in targets {
        let target = target.unwrap().path();
        if !target.is_dir() {
            continue;
        }
        let name = target.file_name().unwrap().to_string_lossy().into_owned();
        for input in files(&target) {
            let data = std::fs::read(&input).unwrap();
            let known = std::panic::catch_unwind(|| checks::run(&name, &data))
                .unwrap_or_else(|_| panic!("{} fails its check", input.display()));
            assert!(
                known,
                "fuzz/{kind}/{name}: no check of that name in fuzz/src/checks.rs"
            );
            ran += 1;
        }
    }
    ran
}

#[test]
fn every_crash_the_fuzzers_found_stays_fixed() {
    let ran = replay("regressions");
    eprintln!("{ran} regression inputs passed");
}

#[test]
fn the_minimized_corpora_pass_their_checks() {
    if let Some(dir) = std::env::var_os("FUZZ_SEEDS_DIR") {
        write_seeds(Path::new(&dir));
    }
    let ran = replay("corpus");
    eprintln!("{ran} corpus inputs passed");
    assert!(ran > 0, "fuzz/corpus is empty: run scripts/fuzz.sh --seed");
}

#[test]
fn the_worlds_badges_verify() {
    // The verify targets start from badges that verify: otherwise mutations test nothing.
    for suite in [Cryptosuite::EddsaJcs2022, Cryptosuite::EddsaRdfc2022] {
        let world = checks::World::get(suite);
        assert!(world.seeds.len() >= 5);
        let mut verified = 0;
        for seed in &world.seeds {
            checks::verify(seed, suite);
            let report = checks::verify_report(seed, suite);
            let proof = report.check(CheckId::Proof).unwrap();
            assert_eq!(proof.outcome, Outcome::Passed, "{suite:?}: {report:#?}");
            verified += usize::from(report.verified());
        }
        // All but the revoked badge (alone and with its resources in the input).
        assert_eq!(verified, world.seeds.len() - 2, "{suite:?}");
    }
}

/// Header lines (`# …`) of the verify vectors stripped: the credential bytes.
fn body(bytes: &[u8]) -> &[u8] {
    let mut rest = bytes;
    while rest.starts_with(b"# ") {
        match rest.iter().position(|b| *b == b'\n') {
            Some(i) => rest = &rest[i + 1..],
            None => return &rest[rest.len()..],
        }
    }
    rest
}

fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// Seed inputs per target, by file name.
fn seeds() -> BTreeMap<&'static str, BTreeMap<String, Vec<u8>>> {
    let mut out: BTreeMap<&'static str, BTreeMap<String, Vec<u8>>> = BTreeMap::new();
    let mut add = |target: &'static str, name: String, bytes: Vec<u8>| {
        out.entry(target).or_default().insert(name, bytes);
    };
    let vectors = root().join("tests/vectors");
    let mut identifiers = Vec::new();
    for path in files(&vectors) {
        let rel = path
            .strip_prefix(&vectors)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let name = format!("seed-{}", rel.replace('/', "-"));
        let raw = std::fs::read(&path).unwrap();
        let bytes = body(&raw).to_vec();
        if rel.ends_with(".md") || rel.ends_with("LICENSE") {
            continue;
        }
        add("json_strict", name.clone(), bytes.clone());
        let Ok(value) = hallmark_core::json::parse(&bytes) else {
            continue;
        };
        strings(&value, &mut identifiers);
        let Some(doc) = value.as_object() else {
            continue;
        };
        if doc.contains_key("@context") {
            add("jsonld_fast", name.clone(), bytes.clone());
        }
        let text = String::from_utf8_lossy(&bytes);
        if text.contains("Multikey")
            || text.contains("secretKeyMultibase")
            || rel.contains("eyPair")
        {
            add("did_multibase", name.clone(), bytes.clone());
        }
        if text.contains("BitstringStatusList") {
            add("status_list", name.clone(), bytes.clone());
        }
        if rel.starts_with("verify/") && rel.ends_with(".txt") {
            // The `# resolve: URL=FILE` lines become `\0URL\nBYTES` sections.
            let mut input = bytes.clone();
            for line in String::from_utf8_lossy(&raw).lines() {
                if let Some((url, file)) = line
                    .strip_prefix("# resolve: ")
                    .and_then(|r| r.split_once('='))
                {
                    input.push(0);
                    input.extend_from_slice(url.as_bytes());
                    input.push(b'\n');
                    input.extend(std::fs::read(vectors.join("verify").join(file)).unwrap());
                }
            }
            add("verify_jcs", name.clone(), input);
        } else if doc.contains_key("proof") {
            let suite = if text.contains("eddsa-jcs-2022") {
                "verify_jcs"
            } else {
                "verify_rdfc"
            };
            add(suite, name.clone(), bytes.clone());
        }
    }
    // encodedList values as raw text, and strings that look like identifiers or keys.
    identifiers.sort();
    identifiers.dedup();
    for (i, s) in identifiers.iter().enumerate() {
        if s.starts_with('u') && s.len() > 40 && !s.contains(' ') {
            add(
                "status_list",
                format!("seed-encoded-{i}"),
                s.clone().into_bytes(),
            );
        }
        if (s.starts_with("did:") || (s.starts_with('z') && s.len() > 40)) && s.len() < 200 {
            add(
                "did_multibase",
                format!("seed-id-{i}"),
                s.clone().into_bytes(),
            );
        }
    }
    let key = std::fs::read(root().join("keys.example/issuer.json")).unwrap();
    add("did_multibase", "seed-keys-example-issuer.json".into(), key);
    for (i, did) in [
        "did:web:example.com%3A3000:user:alice",
        "did:web:acme.example",
        "did:web:acme.example#key-1",
        "did:example:123?service=x#frag",
    ]
    .iter()
    .enumerate()
    {
        add(
            "did_multibase",
            format!("seed-did-{i}"),
            did.as_bytes().to_vec(),
        );
    }
    for (suite, target) in [
        (Cryptosuite::EddsaJcs2022, "verify_jcs"),
        (Cryptosuite::EddsaRdfc2022, "verify_rdfc"),
    ] {
        let world = checks::World::get(suite);
        for (i, seed) in world.seeds.iter().enumerate() {
            add(target, format!("seed-world-{i}"), seed.clone());
            let (credential, sections) = checks::split_sections(seed);
            add(
                "jsonld_fast",
                format!("seed-world-{target}-{i}"),
                credential.to_vec(),
            );
            for (j, (_, bytes)) in sections.iter().enumerate() {
                if String::from_utf8_lossy(bytes).contains("BitstringStatusList") {
                    add(
                        "status_list",
                        format!("seed-world-{target}-{i}-{j}"),
                        bytes.to_vec(),
                    );
                }
            }
        }
        for (url, bytes) in &world.resources {
            if url.ends_with("did.json") {
                add(
                    "did_multibase",
                    "seed-world-did.json".into(),
                    bytes.to_vec(),
                );
            }
        }
    }
    out
}

fn write_seeds(to: &Path) {
    for (target, inputs) in seeds() {
        let dir = to.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in inputs {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
    }
}
