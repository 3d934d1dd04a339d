//! What the signing and verification benchmarks share: the example partner badge signed with a
//! cryptosuite, and a verifier that trusts its issuer, at an instant the badge is valid.

// Each benchmark uses a part of this module.
#![allow(dead_code)]

use hallmark_core::badge;
use hallmark_core::credential::UnsignedCredential;
use hallmark_core::did::Did;
use hallmark_core::keys::SecretKey;
use hallmark_core::proof::{self, Cryptosuite, ProofOptions};
use hallmark_core::trust::{TrustList, TrustedIssuer};
use hallmark_core::verify::{Offline, Verifier};
use serde_json::{Map, Value};
use time::macros::datetime;

/// The example badge, unsigned and signed, with what signed it and what verifies it.
pub struct Badge {
    pub key: SecretKey,
    pub unsigned: UnsignedCredential,
    pub options: ProofOptions,
    pub signed: Map<String, Value>,
    /// `signed` as JSON text.
    pub bytes: Vec<u8>,
    pub verifier: Verifier,
}

/// The example badge signed with `cryptosuite` by a fixed did:key; the verifier trusts that
/// key and checks it on 2026-06-01. Panics unless it verifies.
pub fn badge(cryptosuite: Cryptosuite) -> Badge {
    let key = SecretKey::from_seed(&[9; 32]);
    let issuer = Did::key(&key.public_key());
    let unsigned = badge::example(&issuer)
        .build()
        .expect("example badge builds");
    let options = ProofOptions::did_key(
        &key.public_key(),
        cryptosuite,
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
    assert!(verifier.verify_bytes(&bytes, &Offline).verified());
    eprintln!("signed badge: {} bytes", bytes.len());
    Badge {
        key,
        unsigned,
        options,
        signed,
        bytes,
        verifier,
    }
}
