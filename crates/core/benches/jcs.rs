//! eddsa-jcs-2022 on a ~3.8 KB partner badge: signing, the full verification pipeline from
//! bytes (parse, proof, issuer, trust, validity), and a bare Ed25519 `verify_strict` of a
//! 64-byte message for comparison. Issue 17's target: a full verification from bytes within
//! 1.3× the bare `verify_strict` of the same run (the signature cache off). On a shared machine
//! criterion's figures drift between benchmarks, so the run ends by printing the ratio of the
//! fastest of interleaved batches as well. Figures: docs/design.md § Speed.

use criterion::{criterion_group, criterion_main, Criterion};

mod common;

// The allocator the hallmark binaries use.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use hallmark_core::proof::{self, Cryptosuite};
use hallmark_core::verify::Offline;

fn jcs(c: &mut Criterion) {
    // Cold: every verification does the curve arithmetic (the warm case is measured last).
    proof::set_signature_cache(false);
    let common::Badge {
        key,
        unsigned,
        options,
        signed: _,
        bytes,
        verifier,
    } = common::badge(Cryptosuite::EddsaJcs2022);

    let public = key.public_key();
    let message = [7u8; 64];
    let signature = key.sign(&message);

    let mut group = c.benchmark_group("eddsa-jcs-2022");
    group.bench_function("bare verify_strict (64-byte message)", |b| {
        b.iter(|| assert!(public.verify_strict(std::hint::black_box(&message), &signature)))
    });
    group.bench_function("verify badge (full pipeline from bytes)", |b| {
        b.iter(|| {
            assert!(verifier
                .verify_bytes(std::hint::black_box(&bytes), &Offline)
                .verified())
        })
    });
    let parsed = hallmark_core::json::parse(&bytes).expect("parses");
    group.bench_function(
        "verify parsed badge (pipeline from a parsed document)",
        |b| {
            b.iter(|| {
                assert!(verifier
                    .verify_value(std::hint::black_box(&parsed), &Offline)
                    .verified())
            })
        },
    );
    group.bench_function("parse badge (strict JSON only)", |b| {
        b.iter(|| hallmark_core::json::parse(std::hint::black_box(&bytes)).expect("parses"))
    });
    group.bench_function("parse badge (serde_json reference parser)", |b| {
        b.iter(|| {
            hallmark_core::json::parse_reference(std::hint::black_box(&bytes)).expect("parses")
        })
    });
    proof::set_signature_cache(true);
    group.bench_function("verify badge again (verified-signature cache, warm)", |b| {
        b.iter(|| {
            assert!(verifier
                .verify_bytes(std::hint::black_box(&bytes), &Offline)
                .verified())
        })
    });
    proof::set_signature_cache(false);
    group.bench_function("sign badge", |b| {
        b.iter(|| {
            proof::sign(
                std::hint::black_box(unsigned.clone().into_map()),
                &options,
                &key,
            )
            .expect("signs")
        })
    });
    group.finish();
    interleaved_ratio(&bytes, &verifier, &public, &message, &signature);
}

/// The ratio measured robustly on a shared machine: batches of bare verifications and
/// of full verifications alternate, and the fastest batch of each counts (interference only
/// ever adds time). Printed, not asserted.
fn interleaved_ratio(
    bytes: &[u8],
    verifier: &hallmark_core::verify::Verifier,
    public: &hallmark_core::keys::PublicKey,
    message: &[u8; 64],
    signature: &[u8; 64],
) {
    use std::hint::black_box;
    use std::time::Instant;
    const BATCH: u32 = 200;
    let (mut bare, mut full) = (f64::MAX, f64::MAX);
    for _ in 0..60 {
        let start = Instant::now();
        for _ in 0..BATCH {
            assert!(public.verify_strict(black_box(message), signature));
        }
        bare = bare.min(start.elapsed().as_secs_f64() / f64::from(BATCH));
        let start = Instant::now();
        for _ in 0..BATCH {
            assert!(verifier.verify_bytes(black_box(bytes), &Offline).verified());
        }
        full = full.min(start.elapsed().as_secs_f64() / f64::from(BATCH));
    }
    println!(
        "interleaved, fastest batch of each: bare verify_strict {:.2} µs, full pipeline from \
         bytes {:.2} µs, ratio {:.3} (target ≤ 1.3)",
        bare * 1e6,
        full * 1e6,
        full / bare
    );
}

criterion_group!(benches, jcs);
criterion_main!(benches);
