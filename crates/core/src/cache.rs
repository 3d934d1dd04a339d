//! A cache bounded by bytes, in two partitions so that untrusted documents never evict trusted
//! ones.
//!
//! A verifier caches what it derived from documents (parsed DID documents, decoded status
//! lists, verified signatures, canonical hashes). Anyone can make it see documents: a request
//! may name any status list or `did:web` host. Counting entries does not bound memory when one
//! entry can be 16 MiB, and one shared budget lets a flood of an attacker's documents push out
//! the trusted issuers' ones, so that every genuine verification pays the full cost again.
//!
//! [`BoundedCache`] therefore:
//! - accounts each entry's bytes with a cost function given at construction (the heap bytes
//!   the entry owns), plus its inline size and a fixed [`ENTRY_OVERHEAD`] for the map's own
//!   bookkeeping, so the accounted total is an upper estimate of the memory it holds;
//! - keeps two partitions, [`Standing::Trusted`] and [`Standing::Untrusted`], each with its own
//!   byte budget ([`Budget`]); an insertion evicts least recently used entries of its own
//!   partition only, so untrusted entries only ever evict untrusted ones;
//! - refuses (does not store) an entry larger than its partition's whole budget.
//!
//! What counts as trusted is the caller's decision, made when it inserts: typically "derived
//! from a document that a trusted issuer signed, or that describes a trusted issuer". An entry
//! can be moved to the other partition later with [`BoundedCache::set_standing`] (e.g. bytes
//! fetched before anyone knew whose they were).
//!
//! It is safe to share between threads (one mutex; every operation is short). Keys are hashed
//! with the standard library's randomly keyed SipHash, as they are often chosen by an attacker.
//!
//! ```
//! use hallmark_core::cache::{BoundedCache, Budget, Standing};
//! let cache: BoundedCache<String, Vec<u8>> =
//!     BoundedCache::new(Budget { trusted: 4096, untrusted: 4096 }, |k, v| k.len() + v.len());
//! assert!(cache.insert("a".into(), vec![0; 1000], Standing::Untrusted));
//! assert_eq!(cache.get("a").map(|v| v.len()), Some(1000));
//! // Too large for its partition: not kept.
//! assert!(!cache.insert("b".into(), vec![0; 5000], Standing::Untrusted));
//! assert!(cache.usage().untrusted_bytes <= 4096);
//! ```

use std::borrow::Borrow;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};

use hashlink::LinkedHashMap;

/// Bytes accounted per entry for the map's own bookkeeping (a node with two links, a hash
/// table slot, allocator rounding), besides the entry's inline size and its cost.
pub const ENTRY_OVERHEAD: usize = 64;

/// Which partition an entry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Standing {
    /// Derived from a trusted issuer's documents: evicted only by other trusted entries.
    Trusted,
    /// Anything else: evicted only by other untrusted entries.
    Untrusted,
}

impl Standing {
    /// `Trusted` when `trusted`, else `Untrusted`.
    pub fn from_trusted(trusted: bool) -> Self {
        if trusted {
            Self::Trusted
        } else {
            Self::Untrusted
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Trusted => 0,
            Self::Untrusted => 1,
        }
    }
}

/// The byte budget of each partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Bytes the trusted partition may hold.
    pub trusted: usize,
    /// Bytes the untrusted partition may hold.
    pub untrusted: usize,
}

impl Budget {
    /// `total` bytes, half for each partition.
    pub const fn split(total: usize) -> Self {
        Self {
            trusted: total / 2,
            untrusted: total - total / 2,
        }
    }

    /// Both partitions' budgets together: the most the cache accounts.
    pub const fn total(self) -> usize {
        self.trusted.saturating_add(self.untrusted)
    }

    fn of(self, standing: Standing) -> usize {
        match standing {
            Standing::Trusted => self.trusted,
            Standing::Untrusted => self.untrusted,
        }
    }
}

/// What a cache holds now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Accounted bytes of trusted entries.
    pub trusted_bytes: usize,
    /// Accounted bytes of untrusted entries.
    pub untrusted_bytes: usize,
    /// Number of trusted entries.
    pub trusted_entries: usize,
    /// Number of untrusted entries.
    pub untrusted_entries: usize,
}

impl Usage {
    /// All accounted bytes.
    pub fn bytes(&self) -> usize {
        self.trusted_bytes + self.untrusted_bytes
    }

    /// All entries.
    pub fn entries(&self) -> usize {
        self.trusted_entries + self.untrusted_entries
    }
}

impl std::ops::Add for Usage {
    type Output = Usage;

    fn add(self, other: Usage) -> Usage {
        Usage {
            trusted_bytes: self.trusted_bytes + other.trusted_bytes,
            untrusted_bytes: self.untrusted_bytes + other.untrusted_bytes,
            trusted_entries: self.trusted_entries + other.trusted_entries,
            untrusted_entries: self.untrusted_entries + other.untrusted_entries,
        }
    }
}

/// The heap bytes an entry owns (its key's and value's allocations): the cost function of a
/// [`BoundedCache`]. Shared allocations (an `Arc` also held elsewhere) may be counted in full;
/// the bound then errs on the safe side.
pub type Cost<K, V> = fn(&K, &V) -> usize;

struct Slot<V> {
    value: V,
    bytes: usize,
}

struct Partition<K, V> {
    map: LinkedHashMap<K, Slot<V>, RandomState>,
    bytes: usize,
}

impl<K: Hash + Eq, V> Partition<K, V> {
    fn new() -> Self {
        Self {
            map: LinkedHashMap::with_hasher(RandomState::new()),
            bytes: 0,
        }
    }

    fn remove<Q>(&mut self, key: &Q) -> Option<Slot<V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let slot = self.map.remove(key)?;
        self.bytes -= slot.bytes;
        Some(slot)
    }

    /// Evicts least recently used entries until `bytes` more fit within `budget`.
    fn make_room(&mut self, bytes: usize, budget: usize) {
        while self.bytes + bytes > budget {
            match self.map.pop_front() {
                Some((_, slot)) => self.bytes -= slot.bytes,
                None => break,
            }
        }
    }
}

/// A least-recently-used cache bounded by bytes, with a trusted and an untrusted partition
/// (see the [module documentation](self)).
pub struct BoundedCache<K, V> {
    budget: Budget,
    cost: Cost<K, V>,
    parts: Mutex<[Partition<K, V>; 2]>,
}

impl<K, V> fmt::Debug for BoundedCache<K, V>
where
    K: Hash + Eq,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedCache")
            .field("budget", &self.budget)
            .field("usage", &self.usage())
            .finish()
    }
}

impl<K: Hash + Eq, V> BoundedCache<K, V> {
    /// An empty cache with these budgets; `cost` gives an entry's heap bytes.
    pub fn new(budget: Budget, cost: Cost<K, V>) -> Self {
        Self {
            budget,
            cost,
            parts: Mutex::new([Partition::new(), Partition::new()]),
        }
    }

    /// The budgets.
    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// The bytes accounted for one entry: its cost, inline size and [`ENTRY_OVERHEAD`].
    pub fn entry_bytes(&self, key: &K, value: &V) -> usize {
        (self.cost)(key, value)
            .saturating_add(std::mem::size_of::<K>() + std::mem::size_of::<Slot<V>>())
            .saturating_add(ENTRY_OVERHEAD)
    }

    fn lock(&self) -> MutexGuard<'_, [Partition<K, V>; 2]> {
        // Every operation leaves the maps consistent between statements, so a panic elsewhere
        // while the lock was held does not make the data unusable.
        self.parts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Inserts `value` under `key` in `standing`'s partition, replacing any entry under `key`
    /// (in either partition) and evicting the partition's least recently used entries as
    /// needed. Returns false, keeping nothing under `key`, when the entry alone exceeds the
    /// partition's budget.
    pub fn insert(&self, key: K, value: V, standing: Standing) -> bool {
        let bytes = self.entry_bytes(&key, &value);
        let budget = self.budget.of(standing);
        let mut parts = self.lock();
        for part in parts.iter_mut() {
            part.remove(&key);
        }
        if bytes > budget {
            return false;
        }
        let part = &mut parts[standing.index()];
        part.make_room(bytes, budget);
        part.bytes += bytes;
        part.map.insert(key, Slot { value, bytes });
        true
    }

    /// Calls `f` with the value under `key`, marking it recently used.
    pub fn get_with<Q, R>(&self, key: &Q, f: impl FnOnce(&V) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut parts = self.lock();
        parts
            .iter_mut()
            .find_map(|part| part.map.to_back(key))
            .map(|slot| f(&slot.value))
    }

    /// A clone of the value under `key`, marking it recently used.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        self.get_with(key, V::clone)
    }

    /// Which partition holds `key`, if any (does not mark it used).
    pub fn standing<Q>(&self, key: &Q) -> Option<Standing>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let parts = self.lock();
        [Standing::Trusted, Standing::Untrusted]
            .into_iter()
            .find(|s| parts[s.index()].map.contains_key(key))
    }

    /// Moves the entry under `key` to `standing`'s partition if `accept` approves its value,
    /// evicting that partition's least recently used entries as needed. Returns whether the
    /// entry is now in that partition (false when absent, refused, or too large: an entry too
    /// large for its new partition is dropped).
    pub fn set_standing<Q>(
        &self,
        key: &Q,
        standing: Standing,
        accept: impl FnOnce(&V) -> bool,
    ) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut parts = self.lock();
        let to = standing.index();
        let from = 1 - to;
        if let Some(slot) = parts[to].map.to_back(key) {
            return accept(&slot.value);
        }
        match parts[from].map.get(key) {
            Some(slot) if accept(&slot.value) => {}
            _ => return false,
        }
        let Some((key, slot)) = parts[from].map.remove_entry(key) else {
            return false;
        };
        parts[from].bytes -= slot.bytes;
        let budget = self.budget.of(standing);
        if slot.bytes > budget {
            return false;
        }
        parts[to].make_room(slot.bytes, budget);
        parts[to].bytes += slot.bytes;
        parts[to].map.insert(key, slot);
        true
    }

    /// Removes and returns the value under `key`.
    pub fn remove<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut parts = self.lock();
        parts
            .iter_mut()
            .find_map(|part| part.remove(key))
            .map(|slot| slot.value)
    }

    /// Empties both partitions.
    pub fn clear(&self) {
        let mut parts = self.lock();
        for part in parts.iter_mut() {
            part.map.clear();
            part.bytes = 0;
        }
    }

    /// The accounted bytes and entries of each partition.
    pub fn usage(&self) -> Usage {
        let parts = self.lock();
        let [trusted, untrusted] = &*parts;
        Usage {
            trusted_bytes: trusted.bytes,
            untrusted_bytes: untrusted.bytes,
            trusted_entries: trusted.map.len(),
            untrusted_entries: untrusted.map.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(trusted: usize, untrusted: usize) -> BoundedCache<u32, Vec<u8>> {
        BoundedCache::new(Budget { trusted, untrusted }, |_, v| v.len())
    }

    /// The accounted size of an entry of `n` heap bytes in [`cache`].
    fn size(n: usize) -> usize {
        cache(0, 0).entry_bytes(&0, &vec![0; n])
    }

    #[test]
    fn byte_budget_is_respected_whatever_the_entry_sizes() {
        let budget = 100_000;
        let c = cache(budget, budget);
        let mut seed = 7u64;
        for i in 0..2_000u32 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let n = (seed >> 33) as usize % 30_000;
            c.insert(i, vec![0; n], Standing::Untrusted);
            let usage = c.usage();
            assert!(usage.untrusted_bytes <= budget, "{usage:?}");
            assert_eq!(usage.trusted_bytes, 0);
        }
        // The accounting matches what is held.
        let held: usize = (0..2_000u32)
            .filter_map(|i| c.get_with(&i, |v| size(v.len())))
            .sum();
        assert_eq!(held, c.usage().untrusted_bytes);
    }

    #[test]
    fn entries_larger_than_the_partition_are_refused() {
        let c = cache(size(1_000), size(1_000));
        assert!(c.insert(1, vec![0; 1_000], Standing::Untrusted));
        assert!(!c.insert(2, vec![0; 1_001], Standing::Untrusted));
        assert!(c.get(&2).is_none());
        // A refused replacement leaves nothing stale under the key.
        assert!(!c.insert(1, vec![0; 5_000], Standing::Untrusted));
        assert!(c.get(&1).is_none());
        assert_eq!(c.usage(), Usage::default());
    }

    #[test]
    fn least_recently_used_is_evicted_first() {
        let c = cache(0, 3 * size(10));
        for i in 1..=3 {
            assert!(c.insert(i, vec![0; 10], Standing::Untrusted));
        }
        // Using 1 makes 2 the oldest.
        assert!(c.get(&1).is_some());
        assert!(c.insert(4, vec![0; 10], Standing::Untrusted));
        assert!(c.get(&2).is_none(), "2 was least recently used");
        assert!(c.get(&1).is_some() && c.get(&3).is_some() && c.get(&4).is_some());
        // A large entry evicts as many as it needs, oldest first: 3, then 1.
        assert!(c.insert(5, vec![0; 10 + size(10)], Standing::Untrusted));
        assert!(c.get(&3).is_none() && c.get(&1).is_none());
        assert!(c.get(&4).is_some() && c.get(&5).is_some());
        // Replacing an entry re-accounts it.
        assert!(c.insert(4, vec![0; 1], Standing::Untrusted));
        assert_eq!(c.usage().untrusted_bytes, size(1) + size(10 + size(10)));
    }

    #[test]
    fn trusted_entries_survive_a_flood_of_untrusted_ones() {
        let c = cache(10 * size(1_000), 10 * size(1_000));
        for i in 0..5 {
            assert!(c.insert(i, vec![1; 1_000], Standing::Trusted));
        }
        for i in 1_000..101_000 {
            c.insert(i, vec![2; 1_000], Standing::Untrusted);
        }
        for i in 0..5 {
            assert_eq!(c.standing(&i), Some(Standing::Trusted));
            assert_eq!(c.get(&i).unwrap()[0], 1);
        }
        let usage = c.usage();
        assert_eq!(usage.trusted_entries, 5);
        assert_eq!(usage.untrusted_entries, 10);
        // Trusted entries do not evict untrusted ones either: each keeps its own budget.
        for i in 5..20 {
            c.insert(i, vec![1; 1_000], Standing::Trusted);
        }
        assert_eq!(c.usage().untrusted_entries, 10);
        assert_eq!(c.usage().trusted_entries, 10);
    }

    #[test]
    fn a_key_lives_in_one_partition_and_can_move() {
        let c = cache(2 * size(10), 2 * size(10));
        assert!(c.insert(1, vec![0; 10], Standing::Untrusted));
        assert!(c.insert(1, vec![0; 10], Standing::Trusted));
        assert_eq!(c.usage().entries(), 1);
        assert_eq!(c.standing(&1), Some(Standing::Trusted));
        assert!(c.insert(2, vec![7; 10], Standing::Untrusted));
        // Promotion asks the caller to approve the value it would promote.
        assert!(!c.set_standing(&2, Standing::Trusted, |v| v[0] == 0));
        assert_eq!(c.standing(&2), Some(Standing::Untrusted));
        assert!(c.set_standing(&2, Standing::Trusted, |v| v[0] == 7));
        assert_eq!(c.standing(&2), Some(Standing::Trusted));
        let usage = c.usage();
        assert_eq!(
            (usage.trusted_bytes, usage.untrusted_bytes),
            (2 * size(10), 0)
        );
        assert!(!c.set_standing(&3, Standing::Trusted, |_| true));
        assert_eq!(c.remove(&1), Some(vec![0; 10]));
        c.clear();
        assert_eq!(c.usage(), Usage::default());
    }
}
