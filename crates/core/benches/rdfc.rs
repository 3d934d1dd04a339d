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
                verifier.clear_canonical_hashes();
                assert!(verifier
                    .verify_bytes(std::hint::black_box(&bytes), &Offline)
                    .verified())
            })
        },
    );
    group.bench_function(
        "verify badge, warm (full pipeline from bytes, cached canonical hashes, signature checked)",
        |b| {
            b.iter(|| {
                assert!(verifier
                    .verify_bytes(std::hint::black_box(&bytes), &Offline)
                    .verified())
            })
        },
    );
    let public = key.public_key();
    group.bench_function("proof check only, cold (parsed badge)", |b| {
        // proof::verify keeps no canonical hashes: every call is cold.
        b.iter(|| {
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
    // RDFC-1.0 alone on the badge's dataset: Hallmark's (with its work meter) and oxrdf's.
    let nquads =
        jsonld::canonical_nquads(unsigned.as_map(), None, None, &Limits::default()).unwrap();
    let quads: Vec<oxrdf::Quad> = oxttl::NQuadsParser::new()
        .for_slice(nquads.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap();
    group.bench_function("RDFC-1.0 of the badge's dataset (Hallmark's)", |b| {
        b.iter(|| jsonld::canonicalize_dataset(quads.clone(), &Limits::default()).unwrap())
    });
    group.bench_function(
        "RDFC-1.0 of the badge's dataset (oxrdf, the reference)",
        |b| b.iter(|| jsonld::reference_canonicalize(quads.clone())),
    );
    // Issue 10's poisoned dataset, K(7, 6) blank nodes: refused once the default budget is spent.
    let poisoned: Vec<oxrdf::Quad> = (0..7)
        .flat_map(|i| (0..6).map(move |j| (i, j)))
        .map(|(i, j)| {
            oxrdf::Quad::new(
                oxrdf::BlankNode::new(format!("a{i}")).unwrap(),
                oxrdf::NamedNode::new("https://example.org/knows").unwrap(),
                oxrdf::BlankNode::new(format!("b{j}")).unwrap(),
                oxrdf::GraphName::DefaultGraph,
            )
        })
        .collect();
    group.bench_function(
        "RDFC-1.0 of K(7,6) blank nodes, refused at the default budget",
        |b| {
            b.iter(|| {
                assert!(jsonld::canonicalize_dataset(poisoned.clone(), &Limits::default()).is_err())
            })
        },
    );
    group.bench_function("sign badge, cold", |b| {
        // Signing keeps no canonical hashes: every call is cold.
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

criterion_group!(benches, rdfc);
criterion_main!(benches);
