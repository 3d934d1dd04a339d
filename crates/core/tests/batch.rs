//! Batch verification (feature `batch`): `batch::verify_batch` answers what `verify_strict`
//! answers for every item, the crafted vectors of tests/vectors/eddsa-batch included (weak
//! keys, S + L, small-order and mixed-order R, mixed-order keys, a non-canonical R), alone and
//! hidden among hundreds of good signatures; and `Verifier::verify_many` gives exactly the
//! reports `verify_bytes` gives, one by one.
//!
//! The vectors are made here (`UPDATE_VECTORS=1 cargo test -p hallmark-core --test batch`
//! rewrites them) and checked against the committed file.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use common::Files;
use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT as B, EIGHT_TORSION};
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use hallmark_core::badge;
use hallmark_core::batch::{self, BatchOptions, SignatureItem, TorsionCheck};
use hallmark_core::did::Did;
use hallmark_core::keys::{PublicKey, SecretKey};
use hallmark_core::proof::{self, Cryptosuite, ProofOptions};
use hallmark_core::status::{Bitstring, StatusEntry, StatusListSpec, StatusPurpose, MIN_ENTRIES};
use hallmark_core::trust::{TrustList, TrustedIssuer};
use hallmark_core::verify::{CacheLimits, Verifier};
use hallmark_testkit::VectorFile;
use serde_json::{json, Value};
use sha2::{Digest, Sha512};
use time::macros::datetime;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex<const N: usize>(text: &str) -> [u8; N] {
    let bytes: Vec<u8> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect();
    bytes.try_into().unwrap()
}

/// A deterministic scalar named by `label`.
fn scalar(label: &str) -> Scalar {
    Scalar::from_bytes_mod_order_wide(&Sha512::digest(label.as_bytes()).into())
}

/// RFC 8032's `h = SHA-512(R ‖ A ‖ M) mod L`.
fn challenge(r: &[u8; 32], a: &[u8; 32], message: &[u8; 64]) -> Scalar {
    let mut h = Sha512::new();
    h.update(r);
    h.update(a);
    h.update(message);
    Scalar::from_bytes_mod_order_wide(&h.finalize().into())
}

fn signature(r: &[u8; 32], s: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(r);
    out[32..].copy_from_slice(s);
    out
}

/// Whether a cofactored batch (ed25519-dalek's `verify_batch`, ZIP 215) would accept the item:
/// `[8]([S mod L]B − R − [h]A) = 0`, R and A decompressed as given.
fn cofactored(item: &SignatureItem) -> bool {
    let r_bytes: [u8; 32] = item.signature[..32].try_into().unwrap();
    let s_bytes: [u8; 32] = item.signature[32..].try_into().unwrap();
    let (Some(r), Some(a)) = (
        CompressedEdwardsY(r_bytes).decompress(),
        CompressedEdwardsY(*item.key.as_bytes()).decompress(),
    ) else {
        return false;
    };
    let h = challenge(&r_bytes, item.key.as_bytes(), &item.message);
    let s = Scalar::from_bytes_mod_order(s_bytes);
    (B * s - r - a * h).mul_by_cofactor() == EdwardsPoint::default()
}

/// The order-8 point, the order-2 point.
fn t8() -> EdwardsPoint {
    EIGHT_TORSION[1]
}

const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

struct Vector {
    name: &'static str,
    about: &'static str,
    item: SignatureItem,
    verify_strict: bool,
}

/// The crafted signatures. Each `about` says what it is and why a cofactored batch would take
/// it when it does.
fn generate() -> Vec<Vector> {
    let message: [u8; 64] = Sha512::digest(b"hallmark batch vectors").into();
    let a = scalar("key");
    let a_point = B * a;
    let a_bytes = a_point.compress().0;
    let key = PublicKey::from_bytes(&a_bytes).unwrap();
    // An honest signature with the scalar `a`: S = r + h·a.
    let sign = |key_bytes: &[u8; 32], r_point: EdwardsPoint, r: Scalar, a: Scalar| {
        let r_bytes = r_point.compress().0;
        let h = challenge(&r_bytes, key_bytes, &message);
        signature(&r_bytes, &(r + h * a).to_bytes())
    };
    let mut out = Vec::new();
    let mut add = |name, about, key: PublicKey, signature: [u8; 64], verify_strict| {
        out.push(Vector {
            name,
            about,
            item: SignatureItem {
                key,
                message,
                signature,
            },
            verify_strict,
        })
    };

    let r = scalar("nonce");
    let valid = sign(&a_bytes, B * r, r, a);
    add("valid", "An honest signature.", key, valid, true);

    let mut s_plus_l = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(valid[32 + i]) + u16::from(L[i]) + carry;
        s_plus_l[i] = sum as u8;
        carry = sum >> 8;
    }
    add(
        "s-plus-l",
        "The valid signature with S + L: the same scalar mod L, not canonical (RFC 8032 §5.1.7 wants S < L).",
        key,
        signature(valid[..32].try_into().unwrap(), &s_plus_l),
        false,
    );

    // Weak keys: with A of small order, [h]A is torsion and a signature with R = [S]B holds
    // up to torsion for any message, without the key's secret.
    let identity = EdwardsPoint::default().compress().0;
    let s = scalar("weak");
    let r_bytes = (B * s).compress().0;
    add(
        "weak-key-identity",
        "A is the identity, R = [S]B: [S]B − R − [h]A = 0 exactly, for any message and nobody's key.",
        PublicKey::from_bytes(&identity).unwrap(),
        signature(&r_bytes, &s.to_bytes()),
        false,
    );
    let t8_bytes = t8().compress().0;
    // Grind S until 8 divides h: then [h]A = 0 and even the cofactorless equation holds.
    let mut i = 0u32;
    let weak8 = loop {
        let s = scalar(&format!("weak8-{i}"));
        let r_bytes = (B * s).compress().0;
        if challenge(&r_bytes, &t8_bytes, &message).to_bytes()[0].is_multiple_of(8) {
            break signature(&r_bytes, &s.to_bytes());
        }
        i += 1;
    };
    add(
        "weak-key-order-8",
        "A has order 8, R = [S]B, S ground until 8 divides h: [S]B − R − [h]A = 0 exactly, without any secret.",
        PublicKey::from_bytes(&t8_bytes).unwrap(),
        weak8,
        false,
    );

    // R of order 8, S = h·a: [S]B − R − [h]A = −R, torsion.
    let r8 = t8().compress().0;
    let h = challenge(&r8, &a_bytes, &message);
    add(
        "small-order-r",
        "R has order 8 and S = h·a: the equation is off by R, a torsion point.",
        key,
        signature(&r8, &(h * a).to_bytes()),
        false,
    );

    // Mixed-order R: an honest nonce point plus the order-8 point.
    add(
        "mixed-order-r",
        "R = [r]B + T (T of order 8), S = r + h·a by the key's owner: off by −T, so a cofactored batch accepts what verify_strict refuses.",
        key,
        sign(&a_bytes, B * r + t8(), r, a),
        false,
    );

    // Mixed-order keys: A' = [a]B + T.
    let mixed = a_point + t8();
    let mixed_bytes = mixed.compress().0;
    let mixed_key = PublicKey::from_bytes(&mixed_bytes).unwrap();
    let (mut exact, mut off) = (None, None);
    for i in 0.. {
        let r = scalar(&format!("mixed-{i}"));
        let sig = sign(&mixed_bytes, B * r, r, a);
        let h = challenge(sig[..32].try_into().unwrap(), &mixed_bytes, &message);
        if h.to_bytes()[0].is_multiple_of(8) {
            exact.get_or_insert(sig);
        } else {
            off.get_or_insert(sig);
        }
        if exact.is_some() && off.is_some() {
            break;
        }
    }
    add(
        "mixed-order-key-exact",
        "A = [a]B + T (T of order 8), R = [r]B, S = r + h·a with 8 dividing h: [S]B − [h]A = R exactly, so verify_strict accepts it.",
        mixed_key,
        exact.unwrap(),
        true,
    );
    add(
        "mixed-order-key-off-by-torsion",
        "A = [a]B + T, R = [r]B, S = r + h·a with 8 not dividing h: off by [h]T, so a cofactored batch accepts what verify_strict refuses.",
        mixed_key,
        off.unwrap(),
        false,
    );

    // A non-canonical R: y + p for a small y that is on the curve and not of small order.
    let non_canonical = (2u8..19)
        .find_map(|y| {
            let mut bytes = [0xffu8; 32];
            bytes[0] = 0xed + y;
            bytes[31] = 0x7f;
            CompressedEdwardsY(bytes)
                .decompress()
                .filter(|p| !p.is_small_order())
                .map(|_| bytes)
        })
        .unwrap();
    let h = challenge(&non_canonical, &a_bytes, &message);
    add(
        "non-canonical-r",
        "R encodes y + p (y < 19 on the curve), not y: no signature can hold, the recomputed R is always canonical.",
        key,
        signature(&non_canonical, &(r + h * a).to_bytes()),
        false,
    );
    out
}

fn vectors_path() -> std::path::PathBuf {
    common::Vectors("eddsa-batch").dir().join("vectors.json")
}

fn render(vectors: &[Vector]) -> Vec<u8> {
    let list: Vec<Value> = vectors
        .iter()
        .map(|v| {
            json!({
                "name": v.name,
                "about": v.about,
                "publicKey": hex(v.item.key.as_bytes()),
                "message": hex(&v.item.message),
                "signature": hex(&v.item.signature),
                "verifyStrict": v.verify_strict,
                "cofactoredBatchAccepts": cofactored(&v.item),
            })
        })
        .collect();
    let mut bytes = serde_json::to_vec_pretty(&list).unwrap();
    bytes.push(b'\n');
    bytes
}

#[test]
fn committed_vectors_are_current() {
    let bytes = render(&generate());
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        std::fs::create_dir_all(vectors_path().parent().unwrap()).unwrap();
        std::fs::write(vectors_path(), &bytes).unwrap();
    }
    assert!(
        std::fs::read(vectors_path()).ok() == Some(bytes),
        "{} is stale: run UPDATE_VECTORS=1 cargo test -p hallmark-core --test batch",
        vectors_path().display()
    );
}

/// The committed vectors: item, expected verdict, and whether a cofactored batch accepts it.
fn committed() -> Vec<(String, SignatureItem, bool, bool)> {
    let list: Vec<Value> = serde_json::from_slice(&std::fs::read(vectors_path()).unwrap()).unwrap();
    list.iter()
        .map(|v| {
            let text = |k: &str| v[k].as_str().unwrap();
            (
                text("name").to_owned(),
                SignatureItem {
                    key: PublicKey::from_bytes(&unhex(text("publicKey"))).unwrap(),
                    message: unhex(text("message")),
                    signature: unhex(text("signature")),
                },
                v["verifyStrict"].as_bool().unwrap(),
                v["cofactoredBatchAccepts"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// `n` honest signatures by `keys` keys.
fn honest(n: usize, keys: usize) -> Vec<SignatureItem> {
    let secrets: Vec<SecretKey> = (0..keys)
        .map(|k| SecretKey::from_seed(&[k as u8 + 40; 32]))
        .collect();
    (0..n)
        .map(|i| {
            let secret = &secrets[i % keys];
            let message: [u8; 64] = Sha512::digest((i as u64).to_le_bytes()).into();
            SignatureItem {
                key: secret.public_key(),
                message,
                signature: secret.sign(&message),
            }
        })
        .collect()
}

#[test]
fn the_vectors_say_what_they_claim() {
    let vectors = committed();
    let by_name: HashMap<&str, (bool, bool)> = vectors
        .iter()
        .map(|(n, item, strict, cof)| {
            assert_eq!(item.verify_strict(), *strict, "{n}: verify_strict");
            assert_eq!(cofactored(item), *cof, "{n}: cofactored");
            (n.as_str(), (*strict, *cof))
        })
        .collect();
    // Every refused one but the non-canonical R is one a cofactored batch would take: the
    // reason for the checks before batching.
    for name in [
        "s-plus-l",
        "weak-key-identity",
        "weak-key-order-8",
        "small-order-r",
        "mixed-order-r",
        "mixed-order-key-off-by-torsion",
    ] {
        assert_eq!(by_name[name], (false, true), "{name}");
    }
    assert_eq!(by_name["mixed-order-key-exact"], (true, true));
    assert!(!by_name["non-canonical-r"].0);
}

#[test]
fn batch_mode_refuses_exactly_what_verify_strict_refuses() {
    let vectors = committed();
    // Alone, in a small batch (each R checked) and among 400 good ones (subset sums), at
    // every position of a chunk.
    for (name, item, strict, _) in &vectors {
        assert_eq!(batch::verify_batch(&[*item]), vec![*strict], "{name} alone");
    }
    let crafted: Vec<SignatureItem> = vectors.iter().map(|v| v.1).collect();
    let expected: Vec<bool> = vectors.iter().map(|v| v.2).collect();
    assert_eq!(batch::verify_batch(&crafted), expected);
    let mut many = honest(400, 3);
    for (i, item) in crafted.iter().enumerate() {
        many.insert(i * 41, *item);
    }
    let expected: Vec<bool> = many.iter().map(SignatureItem::verify_strict).collect();
    assert_eq!(
        expected.iter().filter(|ok| !**ok).count(),
        crafted.len() - 2
    );
    for torsion in [
        TorsionCheck::Auto,
        TorsionCheck::SubsetSums,
        TorsionCheck::EachPoint,
    ] {
        for chunk in [16, 100, 1024] {
            let options = BatchOptions { chunk, torsion };
            assert_eq!(
                batch::verify_batch_with(&many, &options),
                expected,
                "{torsion:?}, chunks of {chunk}"
            );
        }
    }
}

#[test]
fn random_mixes_equal_verify_strict_item_by_item() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..6 {
        let n = [5, 64, 170, 300, 700, 1100][round];
        let mut items = honest(n, 1 + round % 4);
        let other = SecretKey::from_seed(&[200; 32]).public_key();
        for item in items.iter_mut() {
            match next() % 16 {
                0 => item.message[(next() % 64) as usize] ^= 1 << (next() % 8),
                1 => item.signature[(next() % 64) as usize] ^= 1 << (next() % 8),
                2 => item.key = other,
                _ => {}
            }
        }
        let expected: Vec<bool> = items.iter().map(SignatureItem::verify_strict).collect();
        assert_eq!(batch::verify_batch(&items), expected, "{n} items");
    }
}

// ---- Verifier::verify_many ----

const AT: time::OffsetDateTime = datetime!(2026-06-01 00:00 UTC);

/// A mixed list: valid jcs and rdfc badges, tampered, signed by another key, expired,
/// revoked and clear on a status list, a status list whose signature is bad, an S + L
/// signature, garbage bytes and JSON that is not a credential. With its resources and the
/// trust list.
fn mixed_credentials() -> (Vec<Vec<u8>>, Files, TrustList) {
    let key = SecretKey::from_seed(&[21; 32]);
    let issuer = Did::key(&key.public_key());
    let other = SecretKey::from_seed(&[22; 32]);
    let created = Some(datetime!(2026-01-15 09:00 UTC));
    let jcs = ProofOptions::did_key(&key.public_key(), Cryptosuite::EddsaJcs2022, created);
    let rdfc = ProofOptions::did_key(&key.public_key(), Cryptosuite::EddsaRdfc2022, created);
    let mut lists: HashMap<String, Arc<[u8]>> = HashMap::new();
    let mut bits = Bitstring::new(MIN_ENTRIES, 1).unwrap();
    bits.set(7, 1, 1).unwrap();
    let list_for = |url: &str| StatusListSpec {
        url: url.into(),
        issuer: issuer.to_string(),
        purpose: StatusPurpose::Revocation,
        valid_from: datetime!(2026-01-01 00:00 UTC),
        valid_until: None,
        ttl_ms: None,
    };
    let good_url = "https://acme.example/status/1";
    let list = proof::sign(
        list_for(good_url).build(&bits).unwrap().into_map(),
        &jcs,
        &key,
    )
    .unwrap();
    lists.insert(
        good_url.to_owned(),
        serde_json::to_vec(&list).unwrap().into(),
    );
    // A list whose proof does not verify: the credential's status check fails on it, whether
    // or not its own signatures are batched.
    let bad_url = "https://acme.example/status/2";
    let mut bad_list = proof::sign(
        list_for(bad_url).build(&bits).unwrap().into_map(),
        &jcs,
        &key,
    )
    .unwrap();
    bad_list["validFrom"] = "2026-01-02T00:00:00Z".into();
    lists.insert(
        bad_url.to_owned(),
        serde_json::to_vec(&bad_list).unwrap().into(),
    );

    let badge = |i: usize, status: Option<(&str, u64)>| {
        let mut b = badge::example(&issuer);
        b.credential_uuid = format!("00000000-0000-4000-8000-{i:012}");
        if let Some((url, index)) = status {
            b.credential_status = vec![StatusEntry {
                purpose: StatusPurpose::Revocation,
                index,
                list_url: url.into(),
                status_size: 1,
                messages: vec![],
                reference: Vec::new(),
            }
            .to_json()];
        }
        b
    };
    let sign = |b: &badge::PartnerBadge, options: &ProofOptions, with: &SecretKey| {
        proof::sign(b.build().unwrap().into_map(), options, with).unwrap()
    };
    let bytes = |m: &serde_json::Map<String, Value>| serde_json::to_vec(m).unwrap();
    let mut out = Vec::new();
    for i in 0..200 {
        out.push(bytes(&sign(
            &badge(i, Some((good_url, 100 + i as u64))),
            &jcs,
            &key,
        )));
    }
    let valid_rdfc = sign(&badge(1000, None), &rdfc, &key);
    out.push(bytes(&valid_rdfc));
    out.push(bytes(&sign(&badge(1001, Some((good_url, 3))), &rdfc, &key)));
    let mut tampered = sign(&badge(1002, None), &jcs, &key);
    tampered["validFrom"] = "2026-01-01T00:00:00Z".into();
    out.push(bytes(&tampered));
    let mut tampered_rdfc = valid_rdfc.clone();
    tampered_rdfc["credentialSubject"]["achievement"]["name"] = "Something else".into();
    out.push(bytes(&tampered_rdfc));
    // Signed by another key, naming the issuer's method.
    out.push(bytes(&sign(&badge(1003, None), &jcs, &other)));
    let mut expired = badge(1004, None);
    expired.valid_until = datetime!(2026-03-01 00:00 UTC);
    out.push(bytes(&sign(&expired, &jcs, &key)));
    out.push(bytes(&sign(&badge(1005, Some((good_url, 7))), &jcs, &key)));
    out.push(bytes(&sign(&badge(1006, Some((bad_url, 8))), &jcs, &key)));
    out.push(
        VectorFile::parse(&common::Vectors("verify").read("signature-s-not-reduced.txt")).body,
    );
    out.push(b"{\"not\": \"closed\"".to_vec());
    out.push(b"[1, 2, 3]".to_vec());
    out.push(Vec::new());
    // A proof set with one bad proof, and a badge with no proof.
    let mut set = sign(&badge(1007, None), &jcs, &key);
    let second = sign(&badge(1007, None), &jcs, &other);
    set["proof"] = Value::Array(vec![set["proof"].clone(), second["proof"].clone()]);
    out.push(bytes(&set));
    out.push(bytes(&badge(1008, None).build().unwrap().into_map()));
    // Spread the odd ones among the good.
    let mut seed = 7u64;
    for i in (1..out.len()).rev() {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        out.swap(i, (seed >> 33) as usize % (i + 1));
    }
    let mut trust = TrustList::new();
    trust.add(TrustedIssuer {
        id: issuer.to_string(),
        name: Some("Acme".into()),
    });
    (out, Files(lists), trust)
}

#[test]
fn verify_many_gives_exactly_the_reports_of_verify_bytes() {
    let (credentials, files, trust) = mixed_credentials();
    let refs: Vec<&[u8]> = credentials.iter().map(Vec::as_slice).collect();
    let one_by_one: Vec<Value> = {
        let verifier = Verifier::new(AT).trust(trust.clone());
        refs.iter()
            .map(|c| verifier.verify_bytes(c, &files).to_json())
            .collect()
    };
    let mut outcomes = BTreeMap::new();
    for r in &one_by_one {
        *outcomes
            .entry(r["verified"].as_bool().unwrap())
            .or_insert(0) += 1;
    }
    // 202 good badges; the 12 others refused, each for its own reason.
    assert_eq!(outcomes[&true], 202, "{outcomes:?}");
    assert_eq!(outcomes[&false], 12, "{outcomes:?}");
    // Three times over: three windows of 256, shared by the threads.
    let thrice: Vec<&[u8]> = refs.iter().chain(&refs).chain(&refs).copied().collect();
    for threads in [1, 2, 3] {
        // A fresh verifier, and one whose caches are warm from the run before.
        let verifier = Verifier::new(AT).trust(trust.clone());
        for list in [&refs, &thrice] {
            let many: Vec<Value> = verifier
                .verify_many(list, &files, threads)
                .iter()
                .map(hallmark_core::Report::to_json)
                .collect();
            assert_eq!(many.len(), list.len());
            for (i, (a, b)) in many.iter().zip(one_by_one.iter().cycle()).enumerate() {
                assert_eq!(a, b, "credential {i}, {threads} threads");
            }
        }
    }
    assert!(Verifier::new(AT).verify_many(&[], &files, 2).is_empty());
}

#[test]
fn verify_many_remembers_the_good_signatures_as_one_by_one_does() {
    let (credentials, files, trust) = mixed_credentials();
    let refs: Vec<&[u8]> = credentials.iter().map(Vec::as_slice).collect();
    let one = Verifier::new(AT).trust(trust.clone());
    for c in &refs {
        one.verify_bytes(c, &files);
    }
    let many = Verifier::new(AT).trust(trust);
    many.verify_many(&refs, &files, 2);
    // The same signatures, in the same partitions (the issuer is trusted): 202 good badges, the
    // expired and the revoked one and the one whose list is bad (their signatures are good),
    // the good status list, and the good proof of the set with a bad one.
    let (a, b) = (one.cache_usage().signatures, many.cache_usage().signatures);
    assert_eq!(a.trusted_entries, 207, "{a:?}");
    assert_eq!(
        (b.trusted_entries, b.untrusted_entries),
        (a.trusted_entries, a.untrusted_entries)
    );
    // A second pass finds them all there: nothing is recorded, every report is the same.
    let again = many.verify_many(&refs, &files, 2);
    for (c, r) in refs.iter().zip(again) {
        assert_eq!(r, one.verify_bytes(c, &files));
    }
}

#[test]
fn verify_many_meets_every_verify_vector() {
    // tests/vectors/verify, grouped by instant, trust list and resolved URLs, each group in
    // one call (with each vector twice, so a bad signature shares a batch with good ones).
    let dir = common::Vectors("verify");
    type Group = (String, Vec<String>, Vec<String>);
    let mut groups: BTreeMap<Group, Vec<Vec<u8>>> = BTreeMap::new();
    for entry in std::fs::read_dir(dir.dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("txt") {
            continue;
        }
        let file = VectorFile::parse(&std::fs::read(&path).unwrap());
        let key = (
            file.get("at").unwrap().to_owned(),
            file.all("trust").map(str::to_owned).collect(),
            file.all("resolve").map(str::to_owned).collect(),
        );
        groups.entry(key).or_default().push(file.body.clone());
    }
    assert!(groups.values().map(Vec::len).sum::<usize>() >= 39);
    for ((at, trusted, resolve), bodies) in groups {
        let mut verifier = Verifier::new(hallmark_core::datetime::parse(&at).unwrap());
        if !trusted.is_empty() {
            let mut list = TrustList::new();
            for id in trusted {
                list.add(TrustedIssuer { id, name: None });
            }
            verifier = verifier.trust(list);
        }
        let files = Files(
            resolve
                .iter()
                .map(|r| {
                    let (url, file) = r.split_once('=').unwrap();
                    (url.to_owned(), dir.read(file).into())
                })
                .collect(),
        );
        let refs: Vec<&[u8]> = bodies.iter().chain(&bodies).map(Vec::as_slice).collect();
        let many = verifier.verify_many(&refs, &files, 2);
        for (body, report) in refs.iter().zip(many) {
            let fresh = verifier.clone().cache_limits(CacheLimits::default());
            assert_eq!(report, fresh.verify_bytes(body, &files));
        }
    }
}

/// Credentials whose proofs carry crafted signatures a cofactored batch would take — R with an
/// order-8 component, R of order 8 — by a key whose owner made them, hidden among 400 honest
/// credentials of the same key: `verify_many` refuses exactly those, as `verify_bytes` does.
#[test]
fn crafted_credential_signatures_hide_among_good_ones_in_vain() {
    use sha2::Sha256;
    let a = scalar("credential key");
    let a_bytes = (B * a).compress().0;
    let key = PublicKey::from_bytes(&a_bytes).unwrap();
    let did = Did::key(&key).to_string();
    let vm = format!("{did}#{}", did.trim_start_matches("did:key:"));
    let proof_config = json!({
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": "2026-01-15T09:00:00Z",
        "verificationMethod": vm,
        "proofPurpose": "assertionMethod",
    });
    let verifier = Verifier::new(AT);
    let files = Files(HashMap::new());
    // The signed hash data, eddsa-jcs-2022: SHA-256(JCS(proof config with the document's
    // @context)) ‖ SHA-256(JCS(document)).
    let message = |doc: &serde_json::Map<String, Value>| -> [u8; 64] {
        let mut config = proof_config.as_object().unwrap().clone();
        config.insert("@context".into(), doc["@context"].clone());
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&Sha256::digest(hallmark_core::jcs::object_to_vec(
            &config, None, None,
        )));
        out[32..].copy_from_slice(&Sha256::digest(hallmark_core::jcs::object_to_vec(
            doc, None, None,
        )));
        out
    };
    let credential = |i: usize, craft: &dyn Fn(&[u8; 64], Scalar) -> [u8; 64]| -> Vec<u8> {
        let mut b = badge::example(&Did::parse(&did).unwrap());
        b.credential_uuid = format!("00000000-0000-4000-8000-{i:012}");
        let mut doc = b.build().unwrap().into_map();
        let m = message(&doc);
        let sig = craft(&m, scalar(&format!("nonce {i}")));
        let mut proof = proof_config.as_object().unwrap().clone();
        proof.insert(
            "proofValue".into(),
            hallmark_core::multibase::Multibase::encode_base58btc(&sig)
                .as_str()
                .into(),
        );
        doc.insert("proof".into(), Value::Object(proof));
        serde_json::to_vec(&doc).unwrap()
    };
    let honest = |m: &[u8; 64], r: Scalar| {
        let r_bytes = (B * r).compress().0;
        signature(
            &r_bytes,
            &(r + challenge(&r_bytes, &a_bytes, m) * a).to_bytes(),
        )
    };
    let mixed_r = |m: &[u8; 64], r: Scalar| {
        let r_bytes = (B * r + t8()).compress().0;
        signature(
            &r_bytes,
            &(r + challenge(&r_bytes, &a_bytes, m) * a).to_bytes(),
        )
    };
    let small_r = |m: &[u8; 64], _: Scalar| {
        let r_bytes = t8().compress().0;
        signature(&r_bytes, &(challenge(&r_bytes, &a_bytes, m) * a).to_bytes())
    };
    // The hash data above is the pipeline's: an honest credential verifies.
    let first = credential(0, &honest);
    let report = verifier.verify_bytes(&first, &files);
    assert!(report.verified(), "{report:?}");
    let mut all: Vec<Vec<u8>> = (0..400).map(|i| credential(i, &honest)).collect();
    let crafted = [(57, "mixed"), (233, "small"), (399, "mixed")];
    for (at, kind) in crafted {
        let bad = credential(1000 + at, if kind == "mixed" { &mixed_r } else { &small_r });
        // What a cofactored batch equation would accept.
        let doc: Value = serde_json::from_slice(&bad).unwrap();
        let raw = hallmark_core::multibase::Multibase::decode_base58btc(
            doc["proof"]["proofValue"].as_str().unwrap(),
        )
        .unwrap();
        let mut doc = doc.as_object().unwrap().clone();
        doc.remove("proof");
        let item = SignatureItem {
            key,
            message: message(&doc),
            signature: raw.try_into().unwrap(),
        };
        assert!(cofactored(&item) && !item.verify_strict(), "{kind}");
        all[at] = bad;
    }
    let refs: Vec<&[u8]> = all.iter().map(Vec::as_slice).collect();
    for threads in [1, 2] {
        let many = Verifier::new(AT).verify_many(&refs, &files, threads);
        for (i, (body, report)) in refs.iter().zip(&many).enumerate() {
            assert_eq!(*report, Verifier::new(AT).verify_bytes(body, &files), "{i}");
            let bad = crafted.iter().any(|(at, _)| *at == i);
            assert_eq!(report.verified(), !bad, "{i}: {report:?}");
        }
    }
}
