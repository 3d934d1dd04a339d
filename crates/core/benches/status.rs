//! Bitstring Status List costs: what one status entry adds to a verification when its list
//! is cached and decoded (target < 2 µs), and decoding a 131,072-entry list (target < 1 ms).

use std::collections::HashMap;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use hallmark_core::badge;
use hallmark_core::did::Did;
use hallmark_core::keys::SecretKey;
use hallmark_core::proof::{self, Cryptosuite, ProofOptions};
use hallmark_core::status::{
    Bitstring, StatusEntry, StatusListSpec, StatusPurpose, DEFAULT_MAX_DECODED_BYTES, MIN_ENTRIES,
};
use hallmark_core::verify::{ResolveError, Resources, Verifier};
use serde_json::Value;
use time::macros::datetime;

struct Cached(HashMap<String, Arc<[u8]>>);

impl Resources for Cached {
    fn fetch(&self, url: &str) -> Result<Arc<[u8]>, ResolveError> {
        self.0.get(url).cloned().ok_or_else(|| ResolveError {
            undecided: true,
            detail: url.into(),
        })
    }
}

/// A list with about 1% of its entries set, like a year of revocations.
fn realistic_list() -> Bitstring {
    let mut b = Bitstring::new(MIN_ENTRIES, 1).expect("list");
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..MIN_ENTRIES / 100 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        b.set(seed % MIN_ENTRIES as u64 / 2 * 2 + 1, 1, 1)
            .expect("in range");
    }
    b
}

fn status(c: &mut Criterion) {
    proof::set_signature_cache(false);
    let key = SecretKey::from_seed(&[9; 32]);
    let issuer = Did::key(&key.public_key());
    let options = ProofOptions::did_key(
        &key.public_key(),
        Cryptosuite::EddsaJcs2022,
        Some(datetime!(2026-01-15 09:00 UTC)),
    );
    let url = "https://acme.example/status/1";
    let bits = realistic_list();
    let spec = StatusListSpec {
        url: url.into(),
        issuer: issuer.to_string(),
        purpose: StatusPurpose::Revocation,
        valid_from: datetime!(2026-01-01 00:00 UTC),
        valid_until: None,
        ttl_ms: None,
    };
    let list =
        proof::sign(spec.build(&bits).expect("list").into_map(), &options, &key).expect("signs");
    let encoded = list["credentialSubject"]["encodedList"]
        .as_str()
        .expect("encoded")
        .to_owned();
    let resources = Cached(HashMap::from([(
        url.to_owned(),
        Arc::from(serde_json::to_vec(&list).expect("json")),
    )]));

    let plain = badge::example(&issuer);
    let mut with_status = plain.clone();
    // The list sets only odd indexes; 94,568 is even and clear.
    with_status.credential_status = vec![StatusEntry {
        purpose: StatusPurpose::Revocation,
        index: 94_568,
        list_url: url.into(),
        status_size: 1,
        messages: vec![],
        reference: Vec::new(),
    }
    .to_json()];
    // Eight entries against the same cached list: (t8 − t1) / 7 is the cost of one entry,
    // free of the run-to-run noise of two ~80 µs measurements.
    let mut with_eight = with_status.clone();
    with_eight.credential_status = (0..8u64)
        .map(|i| {
            StatusEntry {
                purpose: StatusPurpose::Revocation,
                index: 94_568 + 2 * i,
                list_url: url.into(),
                status_size: 1,
                messages: vec![],
                reference: Vec::new(),
            }
            .to_json()
        })
        .collect();
    let sign = |b: &badge::PartnerBadge| {
        Value::Object(
            proof::sign(b.build().expect("badge").into_map(), &options, &key).expect("signs"),
        )
    };
    let (plain, with_status, with_eight) = (sign(&plain), sign(&with_status), sign(&with_eight));
    let verifier = Verifier::new(datetime!(2026-06-01 00:00 UTC));
    assert!(verifier.verify_value(&with_status, &resources).verified());

    let mut group = c.benchmark_group("status");
    group.bench_function("verify badge without credentialStatus", |b| {
        b.iter(|| {
            assert!(verifier
                .verify_value(std::hint::black_box(&plain), &resources)
                .verified())
        })
    });
    group.bench_function("verify badge with one entry, list cached", |b| {
        b.iter(|| {
            assert!(verifier
                .verify_value(std::hint::black_box(&with_status), &resources)
                .verified())
        })
    });
    group.bench_function("verify badge with eight entries, list cached", |b| {
        b.iter(|| {
            assert!(verifier
                .verify_value(std::hint::black_box(&with_eight), &resources)
                .verified())
        })
    });
    group.bench_function("decode a 131,072-entry list (1% set)", |b| {
        b.iter(|| {
            Bitstring::decode(std::hint::black_box(&encoded), DEFAULT_MAX_DECODED_BYTES)
                .expect("decodes")
        })
    });
    group.bench_function("check one entry in a decoded list", |b| {
        b.iter(|| bits.get(std::hint::black_box(94_567), 1).expect("in range"))
    });
    group.finish();
    eprintln!("encoded list: {} characters", encoded.len());
}

criterion_group!(benches, status);
criterion_main!(benches);
