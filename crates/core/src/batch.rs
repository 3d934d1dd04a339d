//! Ed25519 batch verification that answers exactly what [`PublicKey::verify_strict`] answers,
//! item by item, and [`Verifier::verify_many`], which verifies many credentials with it
//! (issue 17: a procurement run checks thousands of badges).
//!
//! # Why not just a batch equation
//!
//! `verify_strict` is *cofactorless*: it accepts when `[S]B − [h]A` compresses to exactly the
//! signature's `R` bytes (RFC 8032 §5.1.7 with `S < L`), and refuses small-order `A` and `R`.
//! The usual batch equation (ed25519-dalek's `verify_batch`) is *cofactored*:
//! `[8]·Σ zᵢ([Sᵢ]B − Rᵢ − [hᵢ]Aᵢ) = 0`, which ignores 8-torsion. A signer can give `R` (or `A`)
//! a torsion component (a mixed-order point) and get a signature the batch accepts and
//! `verify_strict` refuses ("Taming the many EdDSAs", Chalkias–Garillot–Nikolaenko 2020;
//! ZIP 215). Refusing small-order points is not enough. So, per item, before any batching:
//!
//! 1. `S` must be canonical (`S < L`), `R` must decompress, be canonically encoded and not be
//!    of small order, and `A` must not be of small order: otherwise the item is refused
//!    (`verify_strict` refuses it too).
//! 2. `A` must be torsion-free (checked once per distinct key: few issuers, many badges).
//! 3. `R` must be torsion-free. A check per point costs a scalar multiplication, about what a
//!    whole `verify_strict` costs, so it is done for all `R` of a chunk at once: 128 rounds of
//!    random subset sums `Qⱼ = Σ bⱼᵢ Rᵢ` (bits from OS randomness) with `[L]Qⱼ = 0` checked
//!    for each. A torsion component in any `Rᵢ` survives a round with probability at most ½,
//!    so all 128 rounds with at most 2⁻¹²⁸. The sums share work (each group of four points
//!    has its 16 subset sums precomputed, so a round costs one addition per four points).
//!    When a round fails, each `R` of the chunk is checked on its own. The rounds cost a fixed
//!    128 scalar multiplications, so below [`SUBSET_SUMS_FROM`] points each `R` is checked on
//!    its own instead (`[L−1]R = −R`, vartime: all of it is public).
//!
//! An item whose `A` or `R` has a torsion component is not refused: [`PublicKey::verify_strict`]
//! decides it on its own (it can verify: a mixed-order key can make exact signatures). The
//! rest is checked in chunks of up to [`DEFAULT_CHUNK`] with the cofactorless equation
//! `Σ zᵢ([Sᵢ]B − Rᵢ − [hᵢ]Aᵢ) = 0`, with 128-bit `zᵢ` from OS randomness (not derived from
//! the inputs, so nobody can grind signatures against them) and the `hᵢAᵢ` terms of one key
//! summed into one point. With every point torsion-free, each term lies in the prime-order
//! group, and the equation holds for a chunk with a wrong item with probability about 2⁻¹²⁸.
//! When a chunk fails, its items are batched again in eighths, down to small groups whose items
//! are verified with `verify_strict` one by one, naming the bad ones.
//! Without OS randomness, every item is verified with `verify_strict`.
//!
//! What it costs here, per signature in a chunk of 1,024 by one key, against about 33 µs for
//! a `verify_strict`: decompressing `R` 3.5 µs, the subset sums' additions about 5.5 µs and
//! their 128 `[L]Q` checks 2.7 µs (21 µs each, shared by the chunk), the multiscalar
//! multiplication 2.5–3.6 µs: 14–16 µs in all (0.41–0.55×). Checking each `R` on its own
//! instead adds 21 µs (0.83×). More in docs/design.md §3, "Speed"
//! (scripts/bench-procurement.sh).

use std::collections::HashMap;
use std::sync::Mutex;

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use sha2::{Digest, Sha512};

use crate::keys::PublicKey;
use crate::report::Report;
use crate::verify::{Resources, Verifier};

/// One Ed25519 signature to verify: the key, the signed message (a Data Integrity proof signs
/// 64 bytes of hash data: `proofHash ‖ documentHash`) and the 64-byte signature `R ‖ S`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureItem {
    /// The public key.
    pub key: PublicKey,
    /// The signed message.
    pub message: [u8; 64],
    /// The signature, `R ‖ S` (RFC 8032 §5.1.6).
    pub signature: [u8; 64],
}

impl SignatureItem {
    /// [`PublicKey::verify_strict`] of this one item.
    pub fn verify_strict(&self) -> bool {
        self.key.verify_strict(&self.message, &self.signature)
    }
}

/// How the torsion-freeness of the signatures' `R` points is established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TorsionCheck {
    /// [`TorsionCheck::SubsetSums`] for [`SUBSET_SUMS_FROM`] points or more, else
    /// [`TorsionCheck::EachPoint`] (the default).
    Auto,
    /// 128 rounds of random subset sums per chunk (see the module doc).
    SubsetSums,
    /// `[L]R = 0` for each `R` on its own: one scalar multiplication per signature.
    EachPoint,
}

/// From this many `R` points on, 128 subset sums cost less than a check of each (measured:
/// 64 points 1.6× against 0.9× a `verify_strict` per signature, 256 points 0.7× against 0.9×).
pub const SUBSET_SUMS_FROM: usize = 160;

/// The items batched together, at most. The torsion check costs a fixed 128 scalar
/// multiplications per chunk, so bigger is cheaper per item (measured: 64 → 1.8×, 256 → 0.8×,
/// 1,024 → 0.5× a `verify_strict`); [`Verifier::verify_many`] hands over 1,024 credentials at
/// a time.
pub const DEFAULT_CHUNK: usize = 1024;

/// How [`verify_batch_with`] works; [`verify_batch`] uses the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchOptions {
    /// Items per batch equation (at least 1).
    pub chunk: usize,
    /// How `R` is checked for torsion.
    pub torsion: TorsionCheck,
}

impl Default for BatchOptions {
    /// Chunks of [`DEFAULT_CHUNK`], [`TorsionCheck::Auto`].
    fn default() -> Self {
        Self {
            chunk: DEFAULT_CHUNK,
            torsion: TorsionCheck::Auto,
        }
    }
}

/// Verifies many signatures; the answer for each is what [`SignatureItem::verify_strict`]
/// answers (but for a probability of about 2⁻¹²⁸ per chunk), at a fraction of the cost when
/// most verify. See the module doc for how.
pub fn verify_batch(items: &[SignatureItem]) -> Vec<bool> {
    verify_batch_with(items, &BatchOptions::default())
}

/// [`verify_batch`] with chosen chunk size and torsion check (benchmarks).
pub fn verify_batch_with(items: &[SignatureItem], options: &BatchOptions) -> Vec<bool> {
    let mut results = vec![false; items.len()];
    let mut keys = KeyTable::default();
    for (start, chunk) in (0..items.len())
        .step_by(options.chunk.max(1))
        .map(|s| (s, &items[s..(s + options.chunk.max(1)).min(items.len())]))
    {
        verify_chunk(chunk, &mut keys, options.torsion, &mut results[start..]);
    }
    results
}

/// What is known of a public key.
#[derive(Clone, Copy)]
enum KeyClass {
    /// Small order: every signature is refused.
    SmallOrder,
    /// A torsion component: `verify_strict` decides each signature.
    Mixed,
    /// In the prime-order group.
    Prime(EdwardsPoint),
}

/// Keys seen in one call, classified once each.
#[derive(Default)]
struct KeyTable(HashMap<[u8; 32], KeyClass>);

impl KeyTable {
    fn class(&mut self, key: &PublicKey) -> KeyClass {
        *self.0.entry(*key.as_bytes()).or_insert_with(|| {
            let point = key.point();
            if point.is_small_order() {
                KeyClass::SmallOrder
            } else if point.is_torsion_free() {
                KeyClass::Prime(point)
            } else {
                KeyClass::Mixed
            }
        })
    }
}

/// An item that passed the per-item checks: its place, `R`, `S`, `h` and key.
struct Prepared {
    index: usize,
    r: EdwardsPoint,
    s: Scalar,
    h: Scalar,
    key: [u8; 32],
    a: EdwardsPoint,
}

fn verify_chunk(
    items: &[SignatureItem],
    keys: &mut KeyTable,
    torsion: TorsionCheck,
    results: &mut [bool],
) {
    let mut prepared = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let a = match keys.class(&item.key) {
            KeyClass::SmallOrder => continue,
            KeyClass::Mixed => {
                results[index] = item.verify_strict();
                continue;
            }
            KeyClass::Prime(a) => a,
        };
        if let Some(p) = prepare(index, item, a) {
            prepared.push(p);
        }
    }
    // R with a torsion component: verify_strict decides.
    let all_free = match torsion {
        TorsionCheck::Auto if prepared.len() >= SUBSET_SUMS_FROM => {
            subset_sums_torsion_free(&prepared)
        }
        TorsionCheck::SubsetSums => subset_sums_torsion_free(&prepared),
        TorsionCheck::Auto | TorsionCheck::EachPoint => None,
    };
    if all_free != Some(true) {
        prepared.retain(|p| {
            if torsion_free(&p.r) {
                true
            } else {
                results[p.index] = items[p.index].verify_strict();
                false
            }
        });
    }
    if prepared.is_empty() {
        return;
    }
    settle(&prepared, items, results);
}

/// Below this many items, a failed batch is settled one by one.
const ONE_BY_ONE: usize = 32;

/// Decides prepared items (all points torsion-free): one batch equation; when it fails, the
/// items in eight parts, each the same way, down to [`ONE_BY_ONE`] items, which are verified
/// one by one. One bad signature among 1,024 then costs a few small batches, not 1,024
/// verifications.
fn settle(prepared: &[Prepared], items: &[SignatureItem], results: &mut [bool]) {
    match batch_equation(prepared) {
        Some(true) => {
            for p in prepared {
                results[p.index] = true;
            }
        }
        Some(false) if prepared.len() > ONE_BY_ONE => {
            for part in prepared.chunks(prepared.len().div_ceil(8)) {
                settle(part, items, results);
            }
        }
        // A bad item among few, or no randomness: one by one.
        _ => {
            for p in prepared {
                results[p.index] = items[p.index].verify_strict();
            }
        }
    }
}

/// The per-item checks of `verify_strict` that need no equation; `None` refuses the item.
fn prepare(index: usize, item: &SignatureItem, a: EdwardsPoint) -> Option<Prepared> {
    let mut r_bytes = [0u8; 32];
    r_bytes.copy_from_slice(&item.signature[..32]);
    let mut s_bytes = [0u8; 32];
    s_bytes.copy_from_slice(&item.signature[32..]);
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))?;
    // A non-canonical encoding never equals the compressed recomputed R. Only y ≥ p is one
    // here: the other kind, x = 0 with the sign bit set, is a point of small order.
    if !canonical_y(&r_bytes) {
        return None;
    }
    let r = CompressedEdwardsY(r_bytes).decompress()?;
    if r.is_small_order() {
        return None;
    }
    let mut hasher = Sha512::new();
    hasher.update(r_bytes);
    hasher.update(item.key.as_bytes());
    hasher.update(item.message);
    let h = Scalar::from_bytes_mod_order_wide(&hasher.finalize().into());
    Some(Prepared {
        index,
        r,
        s,
        h,
        key: *item.key.as_bytes(),
        a,
    })
}

/// True when the encoded `y` (the low 255 bits, little-endian) is below p = 2²⁵⁵ − 19, that is
/// not in 2²⁵⁵ − 19 ..= 2²⁵⁵ − 1: first byte ≥ 0xed, then 30 bytes 0xff, then 0x7f.
fn canonical_y(bytes: &[u8; 32]) -> bool {
    !(bytes[0] >= 0xed && bytes[1..31].iter().all(|b| *b == 0xff) && bytes[31] & 0x7f == 0x7f)
}

/// `[L]P = 0`, vartime (all public data): `[L−1]P = −P`.
fn torsion_free(point: &EdwardsPoint) -> bool {
    let l_minus_one = -Scalar::ONE;
    EdwardsPoint::vartime_double_scalar_mul_basepoint(&l_minus_one, point, &Scalar::ZERO) == -point
}

/// Rounds of the subset-sum torsion check: each lets a torsion component through with
/// probability at most ½.
const TORSION_ROUNDS: usize = 128;

/// `Some(true)` when 128 random subset sums of the `R`s are all torsion-free (then so is every
/// `R`, but for 2⁻¹²⁸); `Some(false)` when one is not; `None` without OS randomness.
fn subset_sums_torsion_free(prepared: &[Prepared]) -> Option<bool> {
    if prepared.is_empty() {
        return Some(true);
    }
    // Each group of four points with its 16 subset sums.
    let tables: Vec<[EdwardsPoint; 16]> = prepared
        .chunks(4)
        .map(|group| {
            let mut table = [EdwardsPoint::default(); 16];
            for mask in 1..16usize {
                let low = mask.trailing_zeros() as usize;
                let rest = mask & (mask - 1);
                table[mask] = match group.get(low) {
                    Some(p) if rest == 0 => p.r,
                    Some(p) => table[rest] + p.r,
                    None => table[rest],
                };
            }
            table
        })
        .collect();
    // One random nibble per group and round.
    let mut bits = vec![0u8; tables.len().div_ceil(2) * TORSION_ROUNDS];
    getrandom::fill(&mut bits).ok()?;
    for round in bits.chunks(tables.len().div_ceil(2)) {
        let mut sum = EdwardsPoint::default();
        for (g, table) in tables.iter().enumerate() {
            let nibble = (round[g / 2] >> ((g % 2) * 4)) & 0x0f;
            if nibble != 0 {
                sum += table[usize::from(nibble)];
            }
        }
        if !torsion_free(&sum) {
            return Some(false);
        }
    }
    Some(true)
}

/// `Σ zᵢ([Sᵢ]B − Rᵢ − [hᵢ]Aᵢ) = 0` with random 128-bit `zᵢ`, the `A` terms of one key summed;
/// `None` without OS randomness.
fn batch_equation(prepared: &[Prepared]) -> Option<bool> {
    let mut z_bytes = vec![0u8; 16 * prepared.len()];
    getrandom::fill(&mut z_bytes).ok()?;
    let mut b_coefficient = Scalar::ZERO;
    let mut scalars = Vec::with_capacity(prepared.len() + 2);
    let mut points = Vec::with_capacity(prepared.len() + 2);
    let mut key_terms: Vec<(EdwardsPoint, Scalar)> = Vec::new();
    let mut key_slots: HashMap<[u8; 32], usize> = HashMap::new();
    for (p, z) in prepared.iter().zip(z_bytes.chunks_exact(16)) {
        let mut wide = [0u8; 32];
        wide[..16].copy_from_slice(z);
        let z = Scalar::from_bytes_mod_order(wide);
        b_coefficient += z * p.s;
        scalars.push(-z);
        points.push(p.r);
        let zh = z * p.h;
        match key_slots.get(&p.key) {
            Some(&slot) => key_terms[slot].1 -= zh,
            None => {
                key_slots.insert(p.key, key_terms.len());
                key_terms.push((p.a, -zh));
            }
        }
    }
    for (a, coefficient) in key_terms {
        scalars.push(coefficient);
        points.push(a);
    }
    scalars.push(b_coefficient);
    points.push(ED25519_BASEPOINT_POINT);
    Some(EdwardsPoint::vartime_multiscalar_mul(scalars, points).is_identity())
}

/// The most credentials handed to one batch: bounds what is held (about 200 bytes a
/// signature) and keeps batches near their best size.
const MAX_WINDOW: usize = 1024;

/// The fewest credentials handed to one batch (unless there are fewer): below about this many
/// signatures the torsion check's fixed cost shows (see [`SUBSET_SUMS_FROM`]).
const MIN_WINDOW: usize = 256;

impl Verifier {
    /// Verifies many credentials given as JSON text, over `threads` threads (at least 1; the
    /// calling thread is one of them), with their signatures checked by [`verify_batch`]: each
    /// report is exactly what [`Verifier::verify_bytes`] gives for that credential, same
    /// checks, outcomes, codes and details, in the order given.
    ///
    /// The credentials are taken in windows of 256 to 1,024 (about half of each thread's
    /// share), handed to whichever thread is free. Each credential of a window goes through the
    /// usual pipeline with its signatures recorded instead of checked (and provisionally taken
    /// as good; a status list's own proof is still checked at once, since the list is cached);
    /// the window's signatures are then batch-verified, and a credential with any bad one is
    /// verified again the usual way, so its report names the bad signature as it always does.
    /// Memory stays bounded by the reports and a window's signatures. Signatures found good
    /// enter the verified-signature cache as they would one by one. `resources` is shared by
    /// the threads, and asked again for what a credential verified a second time needs.
    ///
    /// A front end that reads many badges (`hallmark verify` over a folder) calls this with
    /// the number of cores it may use; 1 runs on the calling thread.
    pub fn verify_many(
        &self,
        credentials: &[&[u8]],
        resources: &(dyn Resources + Sync),
        threads: usize,
    ) -> Vec<Report> {
        let threads = threads.clamp(1, credentials.len().max(1));
        let window = (credentials.len() / (threads * 2)).clamp(MIN_WINDOW, MAX_WINDOW);
        if threads == 1 {
            return credentials
                .chunks(window)
                .flat_map(|w| self.verify_window(w, resources))
                .collect();
        }
        let windows: Vec<&[&[u8]]> = credentials.chunks(window).collect();
        let next = std::sync::atomic::AtomicUsize::new(0);
        let done = Mutex::new(Vec::with_capacity(windows.len()));
        let work = || loop {
            let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(part) = windows.get(n) else { break };
            let reports = self.verify_window(part, resources);
            done.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((n, reports));
        };
        std::thread::scope(|scope| {
            // The calling thread is one of the workers, so every window is done even when no
            // thread can be spawned.
            for _ in 1..threads.min(windows.len()) {
                let _ = std::thread::Builder::new().spawn_scoped(scope, work);
            }
            work();
        });
        let mut done = done
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        done.sort_by_key(|(n, _)| *n);
        done.into_iter().flat_map(|(_, r)| r).collect()
    }

    /// One window of [`Verifier::verify_many`], on this thread.
    fn verify_window(&self, window: &[&[u8]], resources: &dyn Resources) -> Vec<Report> {
        let mut reports = Vec::with_capacity(window.len());
        let mut items = Vec::new();
        let mut owners = Vec::new();
        for (i, bytes) in window.iter().enumerate() {
            let (report, recorded) =
                crate::proof::deferring(|| self.verify_bytes(bytes, resources));
            reports.push(report);
            for d in recorded {
                items.push(d.item);
                owners.push((i, d.standing));
            }
        }
        let results = verify_batch(&items);
        let mut again = vec![false; window.len()];
        for ((item, (owner, standing)), ok) in items.iter().zip(&owners).zip(results) {
            if ok {
                self.signature_cache().remember(item, *standing);
            } else {
                again[*owner] = true;
            }
        }
        for (i, bytes) in window.iter().enumerate() {
            if again[i] {
                reports[i] = self.verify_bytes(bytes, resources);
            }
        }
        reports
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SecretKey;

    fn items(n: usize, keys: usize) -> Vec<SignatureItem> {
        let secrets: Vec<SecretKey> = (0..keys)
            .map(|k| SecretKey::from_seed(&[k as u8 + 1; 32]))
            .collect();
        (0..n)
            .map(|i| {
                let secret = &secrets[i % keys];
                let mut message = [0u8; 64];
                message[..8].copy_from_slice(&(i as u64).to_le_bytes());
                SignatureItem {
                    key: secret.public_key(),
                    message,
                    signature: secret.sign(&message),
                }
            })
            .collect()
    }

    #[test]
    fn good_batches_verify_with_either_torsion_check_and_any_chunk() {
        let good = items(70, 3);
        for torsion in [
            TorsionCheck::Auto,
            TorsionCheck::SubsetSums,
            TorsionCheck::EachPoint,
        ] {
            for chunk in [1, 7, 64, 256] {
                let options = BatchOptions { chunk, torsion };
                assert_eq!(verify_batch_with(&good, &options), vec![true; 70]);
            }
        }
        assert!(verify_batch(&[]).is_empty());
    }

    #[test]
    fn a_deferred_verification_records_the_credentials_signatures_not_the_status_lists() {
        use crate::proof::{self, Cryptosuite, ProofOptions};
        use crate::status::{Bitstring, StatusEntry, StatusListSpec, StatusPurpose, MIN_ENTRIES};
        use crate::verify::ResolveError;
        use std::sync::Arc;
        use time::macros::datetime;

        struct List(Arc<[u8]>);
        impl Resources for List {
            fn fetch(&self, _: &str) -> Result<Arc<[u8]>, ResolveError> {
                Ok(Arc::clone(&self.0))
            }
        }
        let key = SecretKey::from_seed(&[5; 32]);
        let issuer = crate::did::Did::key(&key.public_key());
        let options = ProofOptions::did_key(
            &key.public_key(),
            Cryptosuite::EddsaJcs2022,
            Some(datetime!(2026-01-15 09:00 UTC)),
        );
        let url = "https://acme.example/status/1";
        let spec = StatusListSpec {
            url: url.into(),
            issuer: issuer.to_string(),
            purpose: StatusPurpose::Revocation,
            valid_from: datetime!(2026-01-01 00:00 UTC),
            valid_until: None,
            ttl_ms: None,
        };
        let bits = Bitstring::new(MIN_ENTRIES, 1).unwrap();
        let list = proof::sign(spec.build(&bits).unwrap().into_map(), &options, &key).unwrap();
        let list = List(serde_json::to_vec(&list).unwrap().into());
        let mut b = crate::badge::example(&issuer);
        b.credential_status = vec![StatusEntry {
            purpose: StatusPurpose::Revocation,
            index: 3,
            list_url: url.into(),
            status_size: 1,
            messages: vec![],
            reference: Vec::new(),
        }
        .to_json()];
        let mut signed = proof::sign(b.build().unwrap().into_map(), &options, &key).unwrap();
        // A signature that does not verify: taken as good until the batch says otherwise.
        let text = signed["proof"]["proofValue"].as_str().unwrap().to_owned();
        let mut raw = crate::multibase::Multibase::decode_base58btc(&text).unwrap();
        raw[10] ^= 1;
        signed["proof"]["proofValue"] = crate::multibase::Multibase::encode_base58btc(&raw)
            .as_str()
            .into();
        let bytes = serde_json::to_vec(&signed).unwrap();
        let verifier = Verifier::new(datetime!(2026-06-01 00:00 UTC));
        let (provisional, recorded) =
            crate::proof::deferring(|| verifier.verify_bytes(&bytes, &list));
        assert!(provisional.verified(), "{provisional:?}");
        assert_eq!(recorded.len(), 1, "the list's own proof is checked at once");
        assert!(!recorded[0].item.verify_strict());
        assert_eq!(recorded[0].item.key, key.public_key());
        // Outside a deferral, checks happen at once.
        assert!(!verifier.verify_bytes(&bytes, &list).verified());
        let many = verifier.verify_many(&[&bytes], &list, 1);
        assert_eq!(many, vec![verifier.verify_bytes(&bytes, &list)]);
    }

    #[test]
    fn bad_items_are_named_and_the_rest_still_verify() {
        let mut mixed = items(40, 2);
        mixed[3].message[0] ^= 1;
        mixed[17].signature[40] ^= 1;
        mixed[39].key = SecretKey::from_seed(&[99; 32]).public_key();
        let expected: Vec<bool> = mixed.iter().map(SignatureItem::verify_strict).collect();
        assert_eq!(expected.iter().filter(|ok| !**ok).count(), 3);
        assert_eq!(verify_batch(&mixed), expected);
    }
}
