//! eddsa-rdfc-2022 on a ~3.5 KB partner badge: signing, the full verification pipeline from
//! bytes (cold: the badge canonicalized anew over the processed pinned contexts; warm: its
//! canonical hashes remembered), the proof check alone, and the canonicalization (JSON-LD to
//! RDF and RDFC-1.0) alone. The verified-signature cache is off throughout.

use criterion::{criterion_group, criterion_main, Criterion};

mod common;

// The allocator the hallmark binaries use.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use hallmark_core::did::Relationship;
use hallmark_core::jsonld::{self, Limits};
use hallmark_core::proof::{self, Cryptosuite};
use hallmark_core::verify::Offline;
use time::macros::datetime;

fn rdfc(c: &mut Criterion) {
    // Cold figures do the curve arithmetic too: no verified-signature cache.
    proof::set_signature_cache(false);
    let common::Badge {
        key,
        unsigned,
        options,
        signed,
        bytes,
        verifier,
    } = common::badge(Cryptosuite::EddsaRdfc2022);

    let mut group = c.benchmark_group("eddsa-rdfc-2022");
    group.bench_function(
        "verify badge, cold (full pipeline from bytes, canonicalization cache cleared)",
        |b| {
            b.iter(|| {
                jsonld::clear_cache();
                assert!(
                    verifier
                        .verify_bytes(std::hint::black_box(&bytes), &Offline)
                        .verified
                )
            })
        },
    );
    group.bench_function(
        "verify badge, warm (full pipeline from bytes, cached canonical hashes, signature checked)",
        |b| {
            b.iter(|| {
                assert!(
                    verifier
                        .verify_bytes(std::hint::black_box(&bytes), &Offline)
                        .verified
                )
            })
        },
    );
    let public = key.public_key();
    group.bench_function("proof check only, cold (parsed badge)", |b| {
        b.iter(|| {
            jsonld::clear_cache();
            let results = proof::verify(
                std::hint::black_box(&signed),
                Relationship::AssertionMethod,
                datetime!(2026-06-01 00:00 UTC),
                &mut |_| Ok(public),
            )
            .expect("has a proof");
            assert!(results[0].outcome.is_ok());
        })
    });
    group.bench_function("canonical N-Quads of the badge (JSON-LD + RDFC-1.0)", |b| {
        b.iter(|| {
            jsonld::canonical_nquads(
                std::hint::black_box(unsigned.as_map()),
                None,
                None,
                &Limits::default(),
            )
            .expect("canonicalizes")
        })
    });
    group.bench_function("sign badge, cold", |b| {
        b.iter(|| {
            jsonld::clear_cache();
            proof::sign(
                std::hint::black_box(unsigned.clone().into_map()),
                &options,
                &key,
            )
            .expect("signs")
        })
    });
    group.finish();
}

criterion_group!(benches, rdfc);
criterion_main!(benches);
