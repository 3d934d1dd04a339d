//! The procurement benchmark (issue 17, scripts/bench-procurement.sh): in one run, a bare
//! Ed25519 `verify_strict`, the full eddsa-jcs-2022 verification from bytes and its ratio to
//! it, the batch verifier's cost per signature, and the throughput of verifying thousands of
//! badges read from local files on 2 threads, with and without batching, with the status lists
//! cached. Prints its figures; asserts only that every verdict is the expected one.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

// The allocator the hallmark binaries use.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use hallmark_core::badge;
use hallmark_core::batch::{self, BatchOptions, SignatureItem, TorsionCheck};
use hallmark_core::did::Did;
use hallmark_core::keys::SecretKey;
use hallmark_core::proof::{self, Cryptosuite, ProofOptions};
use hallmark_core::report::Report;
use hallmark_core::status::{Bitstring, StatusEntry, StatusListSpec, StatusPurpose, MIN_ENTRIES};
use hallmark_core::trust::{TrustList, TrustedIssuer};
use hallmark_core::verify::{Offline, ResolveError, Resources, Verifier};
use serde_json::Value;
use time::macros::datetime;

const THREADS: usize = 2;
const JCS_BADGES: usize = 4_000;
const RDFC_BADGES: usize = 1_000;
/// Every 50th badge is revoked, like a year of revocations.
const REVOKED_EVERY: usize = 50;

/// Status lists served from memory: "lists cached".
struct Cached(HashMap<String, Arc<[u8]>>);

impl Resources for Cached {
    fn fetch(&self, url: &str) -> Result<Arc<[u8]>, ResolveError> {
        self.0.get(url).cloned().ok_or_else(|| ResolveError {
            undecided: true,
            detail: format!("{url} is not cached"),
        })
    }
}

/// The best time per call of `f` over `rounds` rounds of `per_round` calls.
fn best_per_call(rounds: usize, per_round: usize, mut f: impl FnMut()) -> Duration {
    for _ in 0..per_round.min(100) {
        f();
    }
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..per_round {
                f();
            }
            start.elapsed() / per_round as u32
        })
        .min()
        .unwrap_or_default()
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    // Cold signatures: every verification does the curve arithmetic.
    proof::set_signature_cache(false);

    // 1. Bare verify_strict and the full jcs pipeline from bytes.
    let common::Badge {
        key,
        bytes,
        verifier,
        ..
    } = common::badge(Cryptosuite::EddsaJcs2022);
    let public = key.public_key();
    let message = [7u8; 64];
    let signature = key.sign(&message);
    let bare = best_per_call(7, 2_000, || {
        assert!(public.verify_strict(std::hint::black_box(&message), &signature))
    });
    let full = best_per_call(7, 2_000, || {
        assert!(verifier
            .verify_bytes(std::hint::black_box(&bytes), &Offline)
            .verified())
    });
    println!(
        "bare verify_strict (64-byte message):        {:8.2} µs",
        us(bare)
    );
    println!(
        "full eddsa-jcs-2022 verify from bytes:       {:8.2} µs  ({:.2}× verify_strict; target ≤ 1.3×)",
        us(full),
        full.as_secs_f64() / bare.as_secs_f64()
    );

    // 2. The batch verifier per signature, one issuer key (a procurement run's usual case).
    println!(
        "\nbatch verification, per signature (verify_strict {:.2} µs):",
        us(bare)
    );
    for n in [64usize, 256, 1024] {
        let items: Vec<SignatureItem> = (0..n)
            .map(|i| {
                let mut message = [0u8; 64];
                message[..8].copy_from_slice(&(i as u64).to_le_bytes());
                SignatureItem {
                    key: public,
                    message,
                    signature: key.sign(&message),
                }
            })
            .collect();
        let mut line = format!("  {n:5} signatures:");
        for (name, torsion, chunk) in [
            ("subset sums, chunk 64", TorsionCheck::SubsetSums, 64),
            ("chunk 256", TorsionCheck::SubsetSums, 256),
            ("chunk 1024", TorsionCheck::SubsetSums, 1024),
            ("each R checked, chunk 1024", TorsionCheck::EachPoint, 1024),
            ("one bad signature, default", TorsionCheck::SubsetSums, 0),
        ] {
            let mut items = items.clone();
            let options = if chunk == 0 {
                items[n / 3].message[0] ^= 1;
                BatchOptions::default()
            } else {
                BatchOptions { chunk, torsion }
            };
            let t = best_per_call(5, (2048 / n).max(1), || {
                let ok = batch::verify_batch_with(std::hint::black_box(&items), &options);
                assert_eq!(ok.iter().filter(|v| !**v).count(), usize::from(chunk == 0));
            }) / n as u32;
            line.push_str(&format!(
                "  {name} {:.2} µs ({:.2}×)",
                us(t),
                t.as_secs_f64() / bare.as_secs_f64()
            ));
        }
        println!("{line}");
    }

    // 3. Procurement: badges written to files, read back and verified on 2 threads.
    let (dir, resources, trusted) = write_badges();
    let verifier = Verifier::new(datetime!(2026-06-01 00:00 UTC)).trust(trusted);
    println!(
        "\nprocurement ({JCS_BADGES} eddsa-jcs-2022 and {RDFC_BADGES} eddsa-rdfc-2022 badges in {}, every {REVOKED_EVERY}th revoked; status lists cached; best of 3, the files read each time):",
        dir.display()
    );
    for (suite, prefix, count) in [
        ("eddsa-jcs-2022", "jcs-", JCS_BADGES),
        ("eddsa-rdfc-2022", "rdfc-", RDFC_BADGES),
    ] {
        let target = if prefix == "jcs-" { 30_000 } else { 4_000 };
        let files = badge_files(&dir, prefix);
        assert_eq!(files.len(), count);
        let mut figures = Vec::new();
        for (threads, batched) in [(1, false), (1, true), (THREADS, false), (THREADS, true)] {
            let best = (0..3)
                .map(|_| {
                    // Canonical hashes are forgotten, so rdfc canonicalizes every badge again.
                    verifier.clear_canonical_hashes();
                    let start = Instant::now();
                    let texts: Vec<Vec<u8>> = files
                        .iter()
                        .map(|f| std::fs::read(f).expect("reads"))
                        .collect();
                    let read = start.elapsed();
                    let refs: Vec<&[u8]> = texts.iter().map(Vec::as_slice).collect();
                    let reports = if batched {
                        verifier.verify_many(&refs, &resources, threads)
                    } else {
                        one_by_one(&verifier, &refs, &resources, threads)
                    };
                    let total = start.elapsed();
                    let revoked = reports.iter().filter(|r| !r.verified()).count();
                    assert_eq!(revoked, count.div_ceil(REVOKED_EVERY), "{suite}");
                    (total, read)
                })
                .min()
                .unwrap_or_default();
            figures.push(best);
        }
        for ((total, read), (threads, name)) in figures.iter().zip([
            (1, "1 thread,  one by one"),
            (1, "1 thread,  batched   "),
            (THREADS, "2 threads, one by one"),
            (THREADS, "2 threads, batched   "),
        ]) {
            let goal = if threads == THREADS {
                format!("  target ≥ {target}/s")
            } else {
                String::new()
            };
            println!(
                "  {suite:16} {name}: {:8.0} badges/s  ({:.1} µs a badge a thread; reading the files {:.1} ms of {:.1} ms){goal}",
                count as f64 / total.as_secs_f64(),
                us(*total) * threads as f64 / count as f64,
                read.as_secs_f64() * 1e3,
                total.as_secs_f64() * 1e3,
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Verifies on `threads` threads without batching: `verify_bytes` for each.
fn one_by_one(
    verifier: &Verifier,
    texts: &[&[u8]],
    resources: &Cached,
    threads: usize,
) -> Vec<Report> {
    let per = texts.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = texts
            .chunks(per)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|b| verifier.verify_bytes(b, resources))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("joins"))
            .collect()
    })
}

fn badge_files(dir: &std::path::Path, prefix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("lists")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .collect();
    files.sort();
    files
}

/// Signs the badges into a fresh temporary folder, one file each, with their two status lists
/// (one per suite) in memory, and the trust list naming their issuer.
fn write_badges() -> (PathBuf, Cached, TrustList) {
    let key = SecretKey::from_seed(&[11; 32]);
    let issuer = Did::key(&key.public_key());
    let created = Some(datetime!(2026-01-15 09:00 UTC));
    let dir = std::env::temp_dir().join(format!("hallmark-procurement-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut lists = HashMap::new();
    for (suite, prefix, count) in [
        (Cryptosuite::EddsaJcs2022, "jcs", JCS_BADGES),
        (Cryptosuite::EddsaRdfc2022, "rdfc", RDFC_BADGES),
    ] {
        let options = ProofOptions::did_key(&key.public_key(), suite, created);
        let url = format!("https://acme.example/status/{prefix}");
        let mut bits = Bitstring::new(MIN_ENTRIES, 1).expect("list");
        for i in (0..count).step_by(REVOKED_EVERY) {
            bits.set(i as u64, 1, 1).expect("in range");
        }
        let spec = StatusListSpec {
            url: url.clone(),
            issuer: issuer.to_string(),
            purpose: StatusPurpose::Revocation,
            valid_from: datetime!(2026-01-01 00:00 UTC),
            valid_until: None,
            ttl_ms: None,
        };
        let list = proof::sign(spec.build(&bits).expect("list").into_map(), &options, &key)
            .expect("signs");
        lists.insert(
            url.clone(),
            Arc::from(serde_json::to_vec(&list).expect("json")),
        );
        for i in 0..count {
            let mut b = badge::example(&issuer);
            b.credential_uuid = format!("00000000-0000-4000-8000-{i:012}");
            b.credential_status = vec![StatusEntry {
                purpose: StatusPurpose::Revocation,
                index: i as u64,
                list_url: url.clone(),
                status_size: 1,
                messages: vec![],
                reference: Vec::new(),
            }
            .to_json()];
            let signed =
                proof::sign(b.build().expect("badge").into_map(), &options, &key).expect("signs");
            std::fs::write(
                dir.join(format!("{prefix}-{i:05}.json")),
                serde_json::to_vec(&Value::Object(signed)).expect("json"),
            )
            .expect("writes");
        }
    }
    let mut trust = TrustList::new();
    trust.add(TrustedIssuer {
        id: issuer.to_string(),
        name: Some("Acme".into()),
    });
    (dir, Cached(lists), trust)
}
