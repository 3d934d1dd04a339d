//! eddsa-jcs-2022 on a ~3 KB partner badge: signing, the full verification pipeline from
//! bytes (parse, proof, issuer, trust, validity), and a bare Ed25519 `verify_strict` of a
//! 64-byte message for comparison (the target: full verify ≤ 1.5× bare).

use criterion::{criterion_group, criterion_main, Criterion};

// The allocator the hallmark binaries use.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use hallmark_core::badge;
use hallmark_core::did::Did;
use hallmark_core::keys::SecretKey;
use hallmark_core::proof::{self, Cryptosuite, ProofOptions};
use hallmark_core::trust::{TrustList, TrustedIssuer};
use hallmark_core::verify::{Offline, Verifier};
use time::macros::datetime;

fn jcs(c: &mut Criterion) {
    // Cold: every verification does the curve arithmetic (the warm case is measured last).
    proof::set_signature_cache(false);
    let key = SecretKey::from_seed(&[9; 32]);
    let issuer = Did::key(&key.public_key());
    let unsigned = badge::example(&issuer)
        .build()
        .expect("example badge builds");
    let options = ProofOptions::did_key(
        &key.public_key(),
        Cryptosuite::EddsaJcs2022,
        Some(datetime!(2026-01-15 09:00 UTC)),
    );
    let signed = proof::sign(unsigned.clone().into_map(), &options, &key).expect("signs");
    let bytes = serde_json::to_vec(&signed).expect("serializes");
    let mut trust = TrustList::new();
    trust.add(TrustedIssuer {
        id: issuer.to_string(),
        name: Some("Acme".into()),
    });
    let verifier = Verifier::new(datetime!(2026-06-01 00:00 UTC)).trust(trust);
    assert!(verifier.verify_bytes(&bytes, &Offline).verified);
    eprintln!("signed badge: {} bytes", bytes.len());

    let public = key.public_key();
    let message = [7u8; 64];
    let signature = key.sign(&message);

    let mut group = c.benchmark_group("eddsa-jcs-2022");
    group.bench_function("bare verify_strict (64-byte message)", |b| {
        b.iter(|| assert!(public.verify_strict(std::hint::black_box(&message), &signature)))
    });
    group.bench_function("verify badge (full pipeline from bytes)", |b| {
        b.iter(|| {
            assert!(
                verifier
                    .verify_bytes(std::hint::black_box(&bytes), &Offline)
                    .verified
            )
        })
    });
    let parsed = hallmark_core::json::parse(&bytes).expect("parses");
    group.bench_function(
        "verify parsed badge (pipeline from a parsed document)",
        |b| {
            b.iter(|| {
                assert!(
                    verifier
                        .verify_value(std::hint::black_box(&parsed), &Offline)
                        .verified
                )
            })
        },
    );
    group.bench_function("parse badge (strict JSON only)", |b| {
        b.iter(|| hallmark_core::json::parse(std::hint::black_box(&bytes)).expect("parses"))
    });
    proof::set_signature_cache(true);
    group.bench_function("verify badge again (verified-signature cache, warm)", |b| {
        b.iter(|| {
            assert!(
                verifier
                    .verify_bytes(std::hint::black_box(&bytes), &Offline)
                    .verified
            )
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
}

criterion_group!(benches, jcs);
criterion_main!(benches);
