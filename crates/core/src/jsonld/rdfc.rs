//! RDF Dataset Canonicalization (RDFC-1.0, W3C Recommendation 2024-05-21) with SHA-256, under a
//! hard work budget.
//!
//! RDFC-1.0 is exponential in the worst case: *Hash N-Degree Quads* (§4.8) tries every
//! permutation of the blank nodes that share a hash, recursively (§4.8.2, "Dataset Poisoning").
//! `oxrdf`'s implementation cannot be interrupted once started, so a 1.6 KB credential holding a
//! complete bipartite graph of blank nodes pinned a core for minutes. This one counts the work it
//! actually does as it goes — each first-degree hash, related hash, N-degree call and permutation
//! is a step — and stops at the budget ([`Meter`]): at most the budget is ever spent.
//!
//! It is held to `oxrdf` (the reference, kept as a dev-dependency oracle) on every vector and on
//! generated datasets (`tests/rdfc.rs`), and to the W3C `rdf-canon` suite when it is at hand.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use oxrdf::{GraphName, NamedOrBlankNode, Quad, Term};
use sha2::{Digest, Sha256};

use super::{JsonLdError, Limits};

/// How deep *Hash N-Degree Quads* may recurse before the document is refused: a chain of
/// blank nodes that cannot be told apart recurses once per node, and each level is a stack
/// frame (the browser's stack is small).
const MAX_RECURSION: usize = 128;

/// Counts canonicalization steps against a document's [`Limits::max_work`] and, when the
/// limits carry one, the request's shared [`super::WorkBudget`].
pub(crate) struct Meter<'l> {
    limits: &'l Limits,
    spent: u64,
    hashed: u64,
}

impl<'l> Meter<'l> {
    pub(crate) fn new(limits: &'l Limits) -> Self {
        Self {
            limits,
            spent: 0,
            hashed: 0,
        }
    }

    /// The steps this document has spent.
    pub(crate) fn spent(&self) -> u64 {
        self.spent
    }

    /// The bytes hashed so far: what the steps stand for, so that tests and the fuzzer can
    /// hold the step count to the real work (a step must never hide unbounded work).
    pub(crate) fn hashed(&self) -> u64 {
        self.hashed
    }

    /// Spends `steps`, or refuses once the document's cap or the request's budget is passed.
    fn spend(&mut self, steps: u64) -> Result<(), JsonLdError> {
        self.spent = self.spent.saturating_add(steps);
        if self.spent > self.limits.max_work {
            return Err(JsonLdError::WorkBudgetExceeded {
                estimate: self.spent,
                budget: self.limits.max_work,
            });
        }
        if let Some(shared) = &self.limits.budget {
            if !shared.take(steps) {
                return Err(JsonLdError::RequestBudgetExhausted {
                    budget: shared.total(),
                });
            }
        }
        Ok(())
    }
}

/// A quad component as it is serialized: N-Quads text, or a blank node by number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    Text(String),
    Blank(u32),
}

/// A quad with its terms serialized once (canonical N-Quads, RDFC-1.0 §4.6 and N-Quads §4).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Q {
    s: Part,
    p: String,
    o: Part,
    g: Option<Part>,
}

/// An identifier issuer (RDFC-1.0 §4.5): the identifiers issued, in issue order.
#[derive(Debug, Clone)]
struct Issuer {
    /// `(blank node, identifier number)`, in issue order; small for temporary issuers.
    issued: Vec<(u32, u32)>,
}

impl Issuer {
    fn new() -> Self {
        Self { issued: Vec::new() }
    }

    fn get(&self, node: u32) -> Option<u32> {
        self.issued
            .iter()
            .find(|(n, _)| *n == node)
            .map(|(_, i)| *i)
    }

    fn issue(&mut self, node: u32) -> u32 {
        if let Some(id) = self.get(node) {
            return id;
        }
        let id = self.issued.len() as u32;
        self.issued.push((node, id));
        id
    }
}

/// The state of one canonicalization (RDFC-1.0 §4.2).
struct State<'m, 'l> {
    quads: Vec<Q>,
    /// Per blank node, the quads it appears in.
    node_quads: Vec<Vec<usize>>,
    first_degree: Vec<String>,
    /// The canonical issuer (`c14n`), by blank node.
    canonical: Vec<Option<u32>>,
    next_canonical: u32,
    meter: &'m mut Meter<'l>,
}

/// Canonical N-Quads of a dataset (RDFC-1.0 §4.4, then sorted N-Quads lines, each ending in
/// `\n`). Duplicate quads count once: the input is a set.
///
/// # Errors
/// [`JsonLdError::WorkBudgetExceeded`] or [`JsonLdError::RequestBudgetExhausted`] once the
/// work passes the budget; nothing more is spent after that.
pub(crate) fn canonicalize(quads: Vec<Quad>, meter: &mut Meter<'_>) -> Result<String, JsonLdError> {
    let (quads, nodes) = intern(quads);
    meter.spend(quads.len() as u64)?;
    let mut node_quads = vec![Vec::new(); nodes];
    for (i, q) in quads.iter().enumerate() {
        for part in [Some(&q.s), Some(&q.o), q.g.as_ref()].into_iter().flatten() {
            if let Part::Blank(b) = part {
                let list: &mut Vec<usize> = &mut node_quads[*b as usize];
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
    }
    let mut state = State {
        quads,
        node_quads,
        first_degree: Vec::with_capacity(nodes),
        canonical: vec![None; nodes],
        next_canonical: 0,
        meter,
    };
    // §4.4.3 step 3: first-degree hashes, grouped (the map is in code point order of hashes).
    let mut by_hash: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for node in 0..nodes as u32 {
        let hash = state.hash_first_degree(node)?;
        by_hash.entry(hash.clone()).or_default().push(node);
        state.first_degree.push(hash);
    }
    // Step 4: blank nodes with a unique first-degree hash get canonical identifiers first.
    for list in by_hash.values() {
        if let [only] = list.as_slice() {
            state.issue_canonical(*only);
        }
    }
    // Step 5: the rest, through Hash N-Degree Quads.
    for list in by_hash.values().filter(|l| l.len() > 1) {
        let mut paths: Vec<(String, Issuer)> = Vec::new();
        for &node in list {
            if state.canonical[node as usize].is_some() {
                continue;
            }
            let mut temporary = Issuer::new();
            temporary.issue(node);
            paths.push(state.hash_n_degree(node, temporary, 0)?);
        }
        paths.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, issuer) in paths {
            for (node, _) in issuer.issued {
                state.issue_canonical(node);
            }
        }
    }
    // Step 6: the quads with canonical identifiers, as sorted N-Quads.
    let canonical = &state.canonical;
    let mut lines: Vec<String> = state
        .quads
        .iter()
        .map(|q| {
            let mut line = String::with_capacity(128);
            write_quad(&mut line, q, |b| {
                Label::Canonical(canonical[b as usize].unwrap_or(0))
            });
            line
        })
        .collect();
    lines.sort_unstable();
    Ok(lines.concat())
}

/// Serializes each quad's terms once and numbers its blank nodes; duplicates removed.
fn intern(quads: Vec<Quad>) -> (Vec<Q>, usize) {
    let mut names: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    let mut blank = |id: &str| -> Part {
        let next = names.len() as u32;
        Part::Blank(*names.entry(id.to_owned()).or_insert(next))
    };
    let mut out: Vec<Q> = quads
        .into_iter()
        .map(|q| Q {
            s: match q.subject {
                NamedOrBlankNode::BlankNode(b) => blank(b.as_str()),
                other => Part::Text(other.to_string()),
            },
            p: q.predicate.to_string(),
            o: match q.object {
                Term::BlankNode(b) => blank(b.as_str()),
                other => Part::Text(other.to_string()),
            },
            g: match q.graph_name {
                GraphName::DefaultGraph => None,
                GraphName::BlankNode(b) => Some(blank(b.as_str())),
                other => Some(Part::Text(other.to_string())),
            },
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    (out, names.len())
}

/// How a blank node is written in one serialization.
#[derive(Clone, Copy)]
enum Label {
    /// `_:a` or `_:z` (Hash First Degree Quads, §4.6.3 step 3.1).
    Reference(bool),
    /// `_:c14nN`.
    Canonical(u32),
}

fn write_quad(out: &mut String, q: &Q, label: impl Fn(u32) -> Label) {
    let part = |out: &mut String, p: &Part| match p {
        Part::Text(t) => out.push_str(t),
        Part::Blank(b) => match label(*b) {
            Label::Reference(true) => out.push_str("_:a"),
            Label::Reference(false) => out.push_str("_:z"),
            Label::Canonical(n) => {
                let _ = write!(out, "_:c14n{n}");
            }
        },
    };
    part(out, &q.s);
    out.push(' ');
    out.push_str(&q.p);
    out.push(' ');
    part(out, &q.o);
    if let Some(g) = &q.g {
        out.push(' ');
        part(out, g);
    }
    out.push_str(" .\n");
}

fn hex_sha256(data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

impl State<'_, '_> {
    fn hash(&mut self, data: &[u8]) -> String {
        self.meter.hashed = self.meter.hashed.saturating_add(data.len() as u64);
        hex_sha256(data)
    }

    fn issue_canonical(&mut self, node: u32) {
        let slot = &mut self.canonical[node as usize];
        if slot.is_none() {
            *slot = Some(self.next_canonical);
            self.next_canonical += 1;
        }
    }

    /// Hash First Degree Quads (§4.6).
    fn hash_first_degree(&mut self, node: u32) -> Result<String, JsonLdError> {
        let indexes = &self.node_quads[node as usize];
        self.meter.spend(1 + indexes.len() as u64 / 8)?;
        let mut lines: Vec<String> = indexes
            .iter()
            .map(|&i| {
                let mut line = String::with_capacity(128);
                write_quad(&mut line, &self.quads[i], |b| Label::Reference(b == node));
                line
            })
            .collect();
        lines.sort_unstable();
        Ok(self.hash(lines.concat().as_bytes()))
    }

    /// Hash Related Blank Node (§4.7).
    fn hash_related(
        &mut self,
        related: u32,
        quad: usize,
        issuer: &Issuer,
        position: char,
    ) -> Result<String, JsonLdError> {
        self.meter.spend(1)?;
        let mut input = String::with_capacity(128);
        input.push(position);
        if position != 'g' {
            input.push_str(&self.quads[quad].p);
        }
        if let Some(c) = self.canonical[related as usize] {
            let _ = write!(input, "_:c14n{c}");
        } else if let Some(b) = issuer.get(related) {
            let _ = write!(input, "_:b{b}");
        } else {
            input.push_str(&self.first_degree[related as usize]);
        }
        Ok(self.hash(input.as_bytes()))
    }

    /// Hash N-Degree Quads (§4.8): the hash and the issuer of the chosen path.
    fn hash_n_degree(
        &mut self,
        node: u32,
        mut issuer: Issuer,
        depth: usize,
    ) -> Result<(String, Issuer), JsonLdError> {
        if depth > MAX_RECURSION {
            return Err(JsonLdError::WorkBudgetExceeded {
                estimate: self.meter.spent(),
                budget: self.meter.limits.max_work,
            });
        }
        self.meter.spend(1)?;
        // Steps 1–3: related blank nodes grouped by their related hash.
        let mut related_by_hash: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for qi in self.node_quads[node as usize].clone() {
            let q = &self.quads[qi];
            let blank = |p: &Part| match p {
                Part::Blank(b) => Some(*b),
                Part::Text(_) => None,
            };
            let parts = [
                ('s', blank(&q.s)),
                ('o', blank(&q.o)),
                ('g', q.g.as_ref().and_then(blank)),
            ];
            for (position, part) in parts {
                if let Some(related) = part {
                    if related != node {
                        let hash = self.hash_related(related, qi, &issuer, position)?;
                        related_by_hash.entry(hash).or_default().push(related);
                    }
                }
            }
        }
        // Steps 4–5.
        let mut data = String::new();
        for (hash, list) in related_by_hash {
            data.push_str(&hash);
            let mut chosen_path = String::new();
            let mut chosen_issuer: Option<Issuer> = None;
            let mut permutations = Permutations::new(list);
            while let Some(permutation) = permutations.next_permutation() {
                self.meter
                    .spend(1 + (permutation.len() + issuer.issued.len()) as u64 / 16)?;
                let mut copy = issuer.clone();
                let mut path = String::new();
                let mut recursion: Vec<u32> = Vec::new();
                let mut skip = false;
                for &related in permutation {
                    if let Some(c) = self.canonical[related as usize] {
                        let _ = write!(path, "_:c14n{c}");
                    } else {
                        if copy.get(related).is_none() {
                            recursion.push(related);
                        }
                        let _ = write!(path, "_:b{}", copy.issue(related));
                    }
                    if worse(&path, &chosen_path) {
                        skip = true;
                        break;
                    }
                }
                if skip {
                    continue;
                }
                for related in recursion {
                    let id = copy.issue(related);
                    let (result, next) = self.hash_n_degree(related, copy, depth + 1)?;
                    let _ = write!(path, "_:b{id}<{result}>");
                    copy = next;
                    if worse(&path, &chosen_path) {
                        skip = true;
                        break;
                    }
                }
                if skip {
                    continue;
                }
                if chosen_issuer.is_none() || path < chosen_path {
                    chosen_path = path;
                    chosen_issuer = Some(copy);
                }
            }
            data.push_str(&chosen_path);
            if let Some(chosen) = chosen_issuer {
                issuer = chosen;
            }
        }
        Ok((self.hash(data.as_bytes()), issuer))
    }
}

/// §4.8.3 steps 5.4.4.3 and 5.4.5.5: a path that can no longer beat the chosen one.
fn worse(path: &str, chosen: &str) -> bool {
    !chosen.is_empty() && path.len() >= chosen.len() && path > chosen
}

/// Every permutation of a list (Heap's algorithm, iterative), duplicates included, as §4.8.3
/// step 5.4 asks.
struct Permutations {
    items: Vec<u32>,
    counters: Vec<usize>,
    index: usize,
    started: bool,
}

impl Permutations {
    fn new(items: Vec<u32>) -> Self {
        let n = items.len();
        Self {
            items,
            counters: vec![0; n],
            index: 0,
            started: false,
        }
    }

    fn next_permutation(&mut self) -> Option<&[u32]> {
        if !self.started {
            self.started = true;
            return Some(&self.items);
        }
        while self.index < self.items.len() {
            if self.counters[self.index] < self.index {
                if self.index.is_multiple_of(2) {
                    self.items.swap(0, self.index);
                } else {
                    self.items.swap(self.counters[self.index], self.index);
                }
                self.counters[self.index] += 1;
                self.index = 0;
                return Some(&self.items);
            }
            self.counters[self.index] = 0;
            self.index += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heap_permutations_are_all_there_once() {
        let mut p = Permutations::new(vec![1, 2, 3, 4]);
        let mut seen = std::collections::HashSet::new();
        while let Some(x) = p.next_permutation() {
            assert!(seen.insert(x.to_vec()));
        }
        assert_eq!(seen.len(), 24);
        let mut one = Permutations::new(vec![7]);
        assert_eq!(one.next_permutation(), Some(&[7][..]));
        assert_eq!(one.next_permutation(), None);
    }
}
