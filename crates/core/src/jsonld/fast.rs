//! JSON-LD to RDF over **processed contexts that are kept**: the fast path of
//! [`super::canonical_hash`].
//!
//! `oxjsonld` processes every context anew for each document, and every type-scoped context for
//! each typed node, which costs milliseconds on a badge. This module runs the same algorithms —
//! JSON-LD 1.1 API §4.1 *Context Processing*, §4.2 *Create Term Definition*, §5.1 *Expansion*,
//! §5.2 *IRI Expansion*, §5.3 *Value Expansion* and §8.1 *Deserialize JSON-LD to RDF* (node
//! objects emit their quads as they are expanded) — but memoizes each processed context by
//! (the context it was applied to, what was applied), so a pinned context, and every scoped
//! context inside it, is processed once per process.
//!
//! It covers what credentials use: term definitions with `@id`, `@type` (`@id`, `@vocab`,
//! `@none` and datatype IRIs), `@container` (`@set`, `@list`, `@graph`), `@protected`,
//! `@prefix` and scoped `@context`s of pinned contexts; `@vocab`, `@version`, `@propagate`;
//! node objects, node references, value objects with `@type`, lists, graph containers. For
//! anything else — and for every error, a relative IRI, an invalid IRI, a number that is not a
//! safe integer — it answers `None` and the caller runs `oxjsonld`, the reference, which then
//! produces the dataset or the exact error. Tests hold the two to the same canonical N-Quads.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use oxrdf::{BlankNode, GraphName, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, Term};
use serde_json::{Map, Value};

use super::{pinned, PINNED};
use crate::jcs;

const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
const RDF_FIRST: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#first";
const RDF_REST: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#rest";
const RDF_NIL: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#nil";
const XSD_BOOLEAN: &str = "http://www.w3.org/2001/XMLSchema#boolean";
const XSD_INTEGER: &str = "http://www.w3.org/2001/XMLSchema#integer";
const XSD_DOUBLE: &str = "http://www.w3.org/2001/XMLSchema#double";

/// The largest integer JSON numbers carry exactly (2^53 − 1); beyond it, `oxjsonld` decides.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// How many processed contexts are remembered before the memo starts over.
const MEMO_CAPACITY: usize = 4096;

/// How many bytes (estimated: each term of a processed context, and the context's text) the
/// memo holds before it starts over: an attacker's inline contexts, up to a request body each,
/// cannot pin more than this. The pinned contexts and their scoped contexts take about 2 MiB.
const MEMO_BYTES: usize = 32 << 20;

/// The estimated bytes a memo entry holds: its key's text and a map entry per term (the
/// definitions themselves are shared with the context it was made from, or counted in the text).
fn memo_cost(key: &Key, ctx: &Ctx) -> usize {
    let text = match key {
        Key::Document(text) => text.len() * 2,
        Key::Scoped { .. } => 0,
    };
    256 + text + ctx.terms.len() * 64
}

/// How deep pinned contexts may load one another (none of the shipped ones loads any).
const MAX_REMOTE_DEPTH: usize = 8;

/// The quads of `object` (without its member `without`) under `context`, the `@context` value
/// to use (the sentinel `@vocab` first), or `None` when this fast path does not cover the
/// document and `oxjsonld` must decide.
pub(super) fn to_rdf(
    object: &Map<String, Value>,
    without: Option<&str>,
    context: &Value,
    as_oxjsonld: bool,
) -> Option<Vec<Quad>> {
    let initial = initial();
    let active = document_context(&initial, context)?;
    let mut out = Emitter {
        as_oxjsonld,
        ..Emitter::default()
    };
    out.node_with_context(active, object, without, &GraphName::DefaultGraph, true)?;
    Some(out.quads)
}

/// A `@context` value a document writes (its top-level one, or one embedded in a node),
/// processed on top of `active` (memoized by its JCS text).
fn document_context(active: &Arc<Ctx>, local: &Value) -> Option<Arc<Ctx>> {
    let key = Key::Document(String::from_utf8(jcs::to_vec(local)).ok()?);
    memo(active, key, || {
        let mut result = (**active).clone();
        process(
            &mut result,
            Some(active),
            local,
            false,
            true,
            0,
            Trust::Document,
            None,
        )?;
        Some(result)
    })
}

/// Whether a context comes from a pinned file (whose scoped contexts are known to be valid and
/// are processed lazily) or from the document (kept to plain term definitions).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Trust {
    Pinned,
    Document,
}

/// A term definition (JSON-LD 1.1 API §4.1, "term definition"); unsupported features never get
/// this far.
#[derive(Debug, Clone, PartialEq)]
struct TermDef {
    /// The IRI mapping: an IRI, a blank node identifier or a keyword.
    iri: Arc<str>,
    prefix: bool,
    protected: bool,
    type_mapping: Option<TypeMapping>,
    container: u8,
    context: Option<Arc<Scoped>>,
}

#[derive(Debug, Clone, PartialEq)]
enum TypeMapping {
    Id,
    Vocab,
    Json,
    None,
    Datatype(Arc<str>),
}

const SET: u8 = 1;
const LIST: u8 = 2;
const GRAPH: u8 = 4;

/// A scoped context of a term definition, with the URL of the file it came from.
#[derive(Debug)]
struct Scoped {
    /// Unique for the process: the memo key of everything processed from it.
    id: u64,
    value: Value,
    base: Option<&'static str>,
}

impl PartialEq for Scoped {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value && self.base == other.base
    }
}

/// An active context (JSON-LD 1.1 API §4.1).
#[derive(Clone)]
struct Ctx {
    /// Unique for the process: the memo key of contexts processed on top of this one.
    id: u64,
    terms: HashMap<Arc<str>, Arc<TermDef>>,
    vocab: Option<Arc<str>>,
    previous: Option<Arc<Ctx>>,
}

fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn initial() -> Arc<Ctx> {
    static INITIAL: OnceLock<Arc<Ctx>> = OnceLock::new();
    Arc::clone(INITIAL.get_or_init(|| {
        Arc::new(Ctx {
            id: next_id(),
            terms: HashMap::new(),
            vocab: None,
            previous: None,
        })
    }))
}

/// What a processed context was made from, on top of a given active context.
#[derive(Hash, PartialEq, Eq)]
enum Key {
    /// A document's whole `@context` value, as JCS.
    Document(String),
    /// A term's scoped context, applied as a type-scoped (`propagate` false) or
    /// property-scoped (`override protected` true) context.
    Scoped { id: u64, type_scoped: bool },
}

/// The processed contexts, with the estimated bytes they hold ([`memo_cost`]).
type Memo = Mutex<(HashMap<(u64, Key), Arc<Ctx>>, usize)>;

fn memo_map() -> &'static Memo {
    static MEMO: OnceLock<Memo> = OnceLock::new();
    MEMO.get_or_init(Memo::default)
}

/// The processed context for `key` on top of `active`, computed at most once while remembered.
fn memo(active: &Arc<Ctx>, key: Key, compute: impl FnOnce() -> Option<Ctx>) -> Option<Arc<Ctx>> {
    let map = memo_map();
    let key = (active.id, key);
    if let Some(found) = map.lock().ok()?.0.get(&key) {
        return Some(Arc::clone(found));
    }
    let mut result = compute()?;
    result.id = next_id();
    let result = Arc::new(result);
    let cost = memo_cost(&key.1, &result);
    let mut guard = map.lock().ok()?;
    let (entries, bytes) = &mut *guard;
    if entries.len() >= MEMO_CAPACITY || *bytes + cost > MEMO_BYTES {
        entries.clear();
        *bytes = 0;
    }
    if cost <= MEMO_BYTES {
        *bytes += cost;
        entries.insert(key, Arc::clone(&result));
    }
    Some(result)
}

/// The `@context` value of each pinned file, parsed once.
fn pinned_context(url: &str) -> Option<(&'static str, &'static Value)> {
    static PARSED: OnceLock<HashMap<&'static str, Value>> = OnceLock::new();
    let parsed = PARSED.get_or_init(|| {
        PINNED
            .iter()
            .filter_map(|c| {
                let mut doc: Value = serde_json::from_slice(c.bytes).ok()?;
                Some((c.url, doc.get_mut("@context")?.take()))
            })
            .collect()
    });
    let c = pinned(url)?;
    Some((c.url, parsed.get(c.url)?))
}

/// JSON-LD 1.1 API §4.1.2 *Context Processing*, applied to `result` (a copy of `active`).
/// `active` is `None` for a loaded pinned context (step 5.2.6), which is processed on top of
/// `result` itself; one of those that stops propagation is left to oxjsonld.
#[allow(clippy::too_many_arguments)]
fn process(
    result: &mut Ctx,
    active: Option<&Arc<Ctx>>,
    local: &Value,
    override_protected: bool,
    mut propagate: bool,
    depth: usize,
    trust: Trust,
    base: Option<&'static str>,
) -> Option<()> {
    // 2.
    if let Some(p) = local.get("@propagate") {
        propagate = p.as_bool()?;
    }
    // 3.
    if !propagate && result.previous.is_none() {
        result.previous = Some(Arc::clone(active?));
    }
    let items = match local {
        Value::Array(items) => items.as_slice(),
        one => std::slice::from_ref(one),
    };
    for item in items {
        match item {
            // 5.1: a null context; rare in credentials, left to oxjsonld.
            Value::Null => return None,
            // 5.2: only pinned contexts; anything else is oxjsonld's to refuse.
            Value::String(url) => {
                if depth >= MAX_REMOTE_DEPTH {
                    return None;
                }
                // 5.2.6: override protected false, propagate true.
                let (url, loaded) = pinned_context(url)?;
                process(
                    result,
                    None,
                    loaded,
                    false,
                    true,
                    depth + 1,
                    Trust::Pinned,
                    Some(url),
                )?;
            }
            Value::Object(context) => {
                if trust == Trust::Document && !plain(context) {
                    return None;
                }
                process_object(result, context, override_protected, base, trust)?;
            }
            _ => return None,
        }
    }
    Some(())
}

/// A context a document writes inline that this path handles: no nested contexts, no
/// `@import`, `@base`, `@language` or `@direction`.
fn plain(context: &Map<String, Value>) -> bool {
    context.iter().all(|(key, value)| match value {
        Value::Object(def) => key != "@context" && !def.contains_key("@context"),
        _ => key != "@context",
    })
}

/// Steps 5.4–5.13 for one context map.
fn process_object(
    result: &mut Ctx,
    context: &Map<String, Value>,
    override_protected: bool,
    base: Option<&'static str>,
    trust: Trust,
) -> Option<()> {
    for (key, value) in context {
        match key.as_str() {
            // 5.5: only JSON-LD 1.1.
            "@version" if value.as_f64() != Some(1.1) => return None,
            "@version" => {}
            // 5.8
            "@vocab" => match value {
                Value::Null => result.vocab = None,
                Value::String(v) => {
                    let mut no_defs = Definer::empty();
                    let iri = expand_iri_defining(result, &mut no_defs, v, true, true)?;
                    if iri.starts_with("_:") || !is_absolute(&iri) {
                        return None;
                    }
                    result.vocab = Some(Arc::from(iri.as_ref()));
                }
                _ => return None,
            },
            "@protected" => {
                value.as_bool()?;
            }
            "@propagate" => {
                value.as_bool()?;
            }
            // @import, @base, @language, @direction, and anything else: oxjsonld's.
            k if k.starts_with('@') && k != "@type" => return None,
            _ => {}
        }
    }
    // 5.13
    let protected = context
        .get("@protected")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut definer = Definer {
        local: Some(context),
        defined: HashMap::new(),
        protected,
        override_protected,
        base,
        trust,
    };
    for term in context.keys() {
        if matches!(
            term.as_str(),
            "@version" | "@vocab" | "@protected" | "@propagate"
        ) {
            continue;
        }
        define(result, &mut definer, term)?;
    }
    Some(())
}

/// The state of *Create Term Definition* across one context map.
struct Definer<'a> {
    local: Option<&'a Map<String, Value>>,
    /// `true` once defined, `false` while being defined (a cycle).
    defined: HashMap<String, bool>,
    protected: bool,
    override_protected: bool,
    base: Option<&'static str>,
    trust: Trust,
}

impl Definer<'_> {
    fn empty() -> Self {
        Definer {
            local: None,
            defined: HashMap::new(),
            protected: false,
            override_protected: false,
            base: None,
            trust: Trust::Pinned,
        }
    }
}

/// JSON-LD 1.1 API §4.2.2 *Create Term Definition*.
fn define(result: &mut Ctx, definer: &mut Definer<'_>, term: &str) -> Option<()> {
    // 1.
    match definer.defined.get(term) {
        Some(true) => return Some(()),
        Some(false) => return None,
        None => {}
    }
    // 2.
    if term.is_empty() {
        return None;
    }
    definer.defined.insert(term.to_owned(), false);
    let value = definer.local?.get(term)?;
    // 4.: `@type` may only be given `@container: @set` and `@protected`.
    if term == "@type" {
        let map = value.as_object()?;
        let ok = map.iter().all(|(k, v)| match k.as_str() {
            "@container" => v == "@set",
            "@protected" => v.is_boolean(),
            _ => false,
        });
        if !ok || map.is_empty() {
            return None;
        }
    } else if is_keyword(term) || has_keyword_form(term) {
        // 4., 5.: keyword redefinition is an error; keyword-like terms are ignored.
        return None;
    }
    // 6.
    let previous = result.terms.remove(term);
    // 7.–9.: null (decoupled) terms are oxjsonld's.
    let (value, simple) = match value {
        Value::String(id) => (
            Cow::Owned(Map::from_iter([(
                "@id".to_owned(),
                Value::String(id.clone()),
            )])),
            true,
        ),
        Value::Object(map) => (Cow::Borrowed(map), false),
        _ => return None,
    };
    // 26. (checked first: everything else this path does not handle is oxjsonld's too)
    let allowed = |k: &str| {
        matches!(
            k,
            "@id" | "@type" | "@container" | "@context" | "@protected" | "@prefix"
        )
    };
    if !value.keys().all(|k| allowed(k)) {
        return None;
    }
    // 11.
    let protected = match value.get("@protected") {
        Some(p) => p.as_bool()?,
        None => definer.protected,
    };
    // 12.
    let type_mapping = match value.get("@type") {
        None => None,
        Some(t) => {
            let t = t.as_str()?;
            let expanded = expand_iri_defining(result, definer, t, true, false)?;
            Some(match expanded.as_ref() {
                "@id" => TypeMapping::Id,
                "@vocab" => TypeMapping::Vocab,
                "@json" => TypeMapping::Json,
                "@none" => TypeMapping::None,
                iri if !iri.starts_with("_:") && is_absolute(iri) => {
                    TypeMapping::Datatype(Arc::from(iri))
                }
                _ => return None,
            })
        }
    };
    // 14.–18.
    let colon_inside = term.find(':').is_some_and(|i| i > 0 && i + 1 < term.len());
    if colon_inside || term.contains('/') {
        // Terms that are IRIs or compact IRIs: oxjsonld's.
        return None;
    }
    let iri: Arc<str> = match value.get("@id").filter(|id| id.as_str() != Some(term)) {
        Some(Value::String(id)) => {
            if !is_keyword(id) && has_keyword_form(id) {
                return None;
            }
            let iri = expand_iri_defining(result, definer, id, true, false)?;
            let ok =
                is_keyword(&iri) && iri != "@context" || iri.starts_with("_:") || is_absolute(&iri);
            if !ok {
                return None;
            }
            Arc::from(iri.as_ref())
        }
        Some(_) => return None,
        None if term == "@type" => Arc::from("@type"),
        None => {
            let vocab = result.vocab.as_ref()?;
            Arc::from(format!("{vocab}{term}"))
        }
    };
    // 14.2.5, 25.
    let mut prefix = simple
        && (iri.starts_with("_:") || iri.ends_with([':', '/', '?', '#', '[', ']', '@']))
        && !is_keyword(&iri);
    if let Some(p) = value.get("@prefix") {
        prefix = p.as_bool()?;
    }
    // 19.
    let container = match value.get("@container") {
        None => 0,
        Some(c) => container_flags(c)?,
    };
    // 21.
    let context = match value.get("@context") {
        None => None,
        Some(c) if definer.trust == Trust::Pinned => Some(Arc::new(Scoped {
            id: next_id(),
            value: c.clone(),
            base: definer.base,
        })),
        Some(_) => return None,
    };
    let mut definition = TermDef {
        iri,
        prefix,
        protected,
        type_mapping,
        container,
        context,
    };
    // 27.
    if let Some(previous) = previous {
        if previous.protected && !definer.override_protected {
            let same = TermDef {
                protected: previous.protected,
                ..definition.clone()
            } == *previous;
            if !same {
                return None;
            }
            definition = (*previous).clone();
        }
    }
    result.terms.insert(Arc::from(term), Arc::new(definition));
    definer.defined.insert(term.to_owned(), true);
    Some(())
}

/// `@container` values this path handles: `@set`, `@list`, `@graph`, and `@graph` with `@set`.
fn container_flags(value: &Value) -> Option<u8> {
    let one = |v: &Value| match v.as_str()? {
        "@set" => Some(SET),
        "@list" => Some(LIST),
        "@graph" => Some(GRAPH),
        _ => None,
    };
    let flags = match value {
        Value::Array(items) => {
            let mut flags = 0;
            for item in items {
                flags |= one(item)?;
            }
            flags
        }
        one_value => one(one_value)?,
    };
    matches!(flags, SET | LIST | GRAPH)
        .then_some(flags)
        .or_else(|| (flags == GRAPH | SET).then_some(flags))
}

/// JSON-LD 1.1 API §5.2.2 *IRI Expansion* while a context is being processed (steps 3 and 6.3
/// define terms of the local context on demand). `None` is null or unsupported.
fn expand_iri_defining<'v>(
    result: &mut Ctx,
    definer: &mut Definer<'_>,
    value: &'v str,
    vocab: bool,
    document_relative: bool,
) -> Option<Cow<'v, str>> {
    if is_keyword(value) {
        return Some(Cow::Borrowed(value));
    }
    if has_keyword_form(value) {
        return None;
    }
    if let Some(local) = definer.local {
        if local.contains_key(value) && definer.defined.get(value) != Some(&true) {
            define(result, definer, value)?;
        }
        if let Some((prefix, _)) = value.split_once(':') {
            if local.contains_key(prefix) && definer.defined.get(prefix) != Some(&true) {
                define(result, definer, prefix)?;
            }
        }
    }
    expand_iri(result, value, vocab, document_relative)
}

/// JSON-LD 1.1 API §5.2.2 *IRI Expansion* against a processed context. `None` is null, or an
/// IRI this path leaves to oxjsonld (one resolved against the document's base).
fn expand_iri<'v>(
    ctx: &Ctx,
    value: &'v str,
    vocab: bool,
    document_relative: bool,
) -> Option<Cow<'v, str>> {
    // 1., 2.
    if has_keyword_form(value) {
        return is_keyword(value).then_some(Cow::Borrowed(value));
    }
    // 4., 5.
    if let Some(def) = ctx.terms.get(value) {
        if is_keyword(&def.iri) || vocab {
            return Some(Cow::Owned(def.iri.to_string()));
        }
    }
    // 6.
    if let Some((prefix, suffix)) = value.split_once(':') {
        if prefix == "_" || suffix.starts_with("//") {
            return Some(Cow::Borrowed(value));
        }
        if let Some(def) = ctx.terms.get(prefix) {
            if def.prefix {
                return Some(Cow::Owned(format!("{}{suffix}", def.iri)));
            }
        }
        if is_absolute(value) {
            return Some(Cow::Borrowed(value));
        }
    }
    // 7.
    if vocab {
        if let Some(v) = &ctx.vocab {
            return Some(Cow::Owned(format!("{v}{value}")));
        }
    }
    // 8.: resolution against the base is oxjsonld's (it marks relative IRIs as errors).
    if document_relative {
        return None;
    }
    Some(Cow::Borrowed(value))
}

fn is_absolute(iri: &str) -> bool {
    NamedNodeRef::new(iri).is_ok()
}

fn has_keyword_form(value: &str) -> bool {
    value
        .strip_prefix('@')
        .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphabetic()))
}

fn is_keyword(value: &str) -> bool {
    matches!(
        value,
        "@base"
            | "@container"
            | "@context"
            | "@default"
            | "@direction"
            | "@embed"
            | "@explicit"
            | "@graph"
            | "@id"
            | "@import"
            | "@included"
            | "@index"
            | "@json"
            | "@language"
            | "@list"
            | "@nest"
            | "@none"
            | "@omitDefault"
            | "@prefix"
            | "@preserve"
            | "@protected"
            | "@requireAll"
            | "@reverse"
            | "@set"
            | "@type"
            | "@value"
            | "@version"
            | "@vocab"
    )
}

/// A scoped context applied on top of `active` (memoized).
fn apply_scoped(active: &Arc<Ctx>, scoped: &Arc<Scoped>, type_scoped: bool) -> Option<Arc<Ctx>> {
    let key = Key::Scoped {
        id: scoped.id,
        type_scoped,
    };
    memo(active, key, || {
        let mut result = (**active).clone();
        let (override_protected, propagate) = if type_scoped {
            (false, false)
        } else {
            (true, true)
        };
        process(
            &mut result,
            Some(active),
            &scoped.value,
            override_protected,
            propagate,
            0,
            Trust::Pinned,
            scoped.base,
        )?;
        Some(result)
    })
}

/// What a property value expands to.
enum Item {
    Node(NamedOrBlankNode),
    Literal(Literal),
}

impl From<Item> for Term {
    fn from(item: Item) -> Self {
        match item {
            Item::Node(n) => n.into(),
            Item::Literal(l) => l.into(),
        }
    }
}

/// Expansion and deserialization to RDF in one walk.
#[derive(Default)]
struct Emitter {
    quads: Vec<Quad>,
    /// The document's blank node identifiers, relabelled.
    labels: HashMap<String, BlankNode>,
    next: u64,
    /// `oxjsonld` 0.2's readings of §5.1.2, for the differential tests, where the
    /// specification and jsonld.js read otherwise:
    /// - step 11.2: each type-scoped context is applied to the context *before* any type's
    ///   (so only the last one counts), where they apply one on top of the other;
    /// - step 7: a node object with an `@id` entry and then only `@type` (and `@index`)
    ///   entries keeps a type-scoped context, where only a lone `@id` entry does.
    as_oxjsonld: bool,
}

impl Emitter {
    fn fresh(&mut self) -> BlankNode {
        self.next += 1;
        BlankNode::new_unchecked(format!("f{}", self.next))
    }

    fn labelled(&mut self, label: &str) -> BlankNode {
        if let Some(b) = self.labels.get(label) {
            return b.clone();
        }
        let b = self.fresh();
        self.labels.insert(label.to_owned(), b.clone());
        b
    }

    /// A node or blank node for an expanded IRI (or `_:` identifier).
    fn resource(&mut self, iri: &str) -> Option<NamedOrBlankNode> {
        if let Some(label) = iri.strip_prefix("_:") {
            BlankNode::new(label).ok()?;
            return Some(self.labelled(label).into());
        }
        Some(NamedNode::new(iri).ok()?.into())
    }

    /// Expansion steps 9–13 for a node object, then its quads; `active` already has the
    /// property-scoped context and the reverted type scope. Returns the node's subject.
    fn node_with_context(
        &mut self,
        active: Arc<Ctx>,
        element: &Map<String, Value>,
        without: Option<&str>,
        graph: &GraphName,
        top: bool,
    ) -> Option<NamedOrBlankNode> {
        // 9.: an embedded context (the top-level one is already in `active`).
        let active = match element.get("@context") {
            Some(local) if !top => document_context(&active, local)?,
            _ => active,
        };
        // 10., 11.: type-scoped contexts, by key and then by value, lexicographically.
        let type_scoped = Arc::clone(&active);
        let mut active = active;
        let mut type_keys: Vec<&String> = Vec::new();
        for key in element.keys() {
            if key == "@context" || Some(key.as_str()) == without {
                continue;
            }
            if expand_iri(&type_scoped, key, true, false)?.as_ref() == "@type" {
                type_keys.push(key);
            }
        }
        type_keys.sort();
        let mut types: Vec<&str> = Vec::new();
        for key in &type_keys {
            let mut these: Vec<&str> = match &element[key.as_str()] {
                Value::String(t) => vec![t.as_str()],
                Value::Array(items) => items.iter().map(Value::as_str).collect::<Option<_>>()?,
                _ => return None,
            };
            these.sort_unstable();
            if !self.as_oxjsonld {
                for t in &these {
                    if let Some(scoped) = type_scoped.terms.get(*t).and_then(|d| d.context.as_ref())
                    {
                        active = apply_scoped(&active, scoped, true)?;
                    }
                }
            }
            types.extend(these);
        }
        if self.as_oxjsonld {
            let mut sorted = types.clone();
            sorted.sort_unstable();
            for t in sorted {
                if let Some(scoped) = type_scoped.terms.get(t).and_then(|d| d.context.as_ref()) {
                    active = apply_scoped(&type_scoped, scoped, true)?;
                }
            }
        }
        // 13.4.3: the subject.
        let mut id = None;
        for key in element.keys() {
            if key == "@context" || Some(key.as_str()) == without {
                continue;
            }
            if expand_iri(&active, key, true, false)?.as_ref() == "@id" {
                if id.is_some() {
                    return None;
                }
                id = Some(element[key.as_str()].as_str()?);
            }
        }
        let subject: NamedOrBlankNode = match id {
            Some(id) => {
                let iri = expand_iri(&active, id, false, true)?;
                if is_keyword(&iri) {
                    return None;
                }
                self.resource(&iri)?
            }
            None => self.fresh().into(),
        };
        for t in types {
            let iri = expand_iri(&type_scoped, t, true, true)?;
            if is_keyword(&iri) || iri.starts_with("_:") {
                return None;
            }
            let class = NamedNode::new(iri.as_ref()).ok()?;
            self.quads.push(Quad::new(
                subject.clone(),
                NamedNode::new_unchecked(RDF_TYPE),
                class,
                graph.clone(),
            ));
        }
        // 13.: the properties.
        for (key, value) in element {
            if key == "@context" || Some(key.as_str()) == without {
                continue;
            }
            let expanded = expand_iri(&active, key, true, false)?;
            match expanded.as_ref() {
                "@id" | "@type" => continue,
                k if is_keyword(k) => return None,
                k if k.starts_with("_:") || !k.contains(':') => return None,
                _ => {}
            }
            let predicate = NamedNode::new(expanded.as_ref()).ok()?;
            let def = active.terms.get(key.as_str()).cloned();
            self.property(
                &active,
                def.as_ref(),
                key,
                value,
                &subject,
                &predicate,
                graph,
            )?;
        }
        Some(subject)
    }

    /// Expansion step 13.7 onwards for one property: its values, as quads.
    #[allow(clippy::too_many_arguments)]
    fn property(
        &mut self,
        active: &Arc<Ctx>,
        def: Option<&Arc<TermDef>>,
        key: &str,
        value: &Value,
        subject: &NamedOrBlankNode,
        predicate: &NamedNode,
        graph: &GraphName,
    ) -> Option<()> {
        let container = def.map_or(0, |d| d.container);
        if def.is_some_and(|d| d.type_mapping == Some(TypeMapping::Json)) {
            return None;
        }
        let values = match value {
            Value::Array(items) => items.as_slice(),
            one => std::slice::from_ref(one),
        };
        if container & LIST != 0 {
            // Expansion step 13.10: a value that expands to null is ignored before step 13.11
            // would make it a list (an empty one); `[null]` is an empty list.
            if value.is_null() {
                return Some(());
            }
            let mut items = Vec::with_capacity(values.len());
            for v in values {
                if v.is_array() {
                    return None;
                }
                if let Some(item) = self.item(active, def, key, v, graph)? {
                    items.push(item);
                }
            }
            let head = self.list(items, graph);
            self.quads.push(Quad::new(
                subject.clone(),
                predicate.clone(),
                head,
                graph.clone(),
            ));
            return Some(());
        }
        let mut flat = Vec::with_capacity(values.len());
        flatten(values, &mut flat);
        for v in flat {
            if container & GRAPH != 0 {
                if v.is_null() {
                    continue;
                }
                // A node reference (a string, or an object with only `@id`) in a graph
                // container: JSON-LD 1.1 wraps it in a graph object where it is free-floating
                // (jsonld.js in safe mode refuses it as data loss), while oxjsonld keeps the
                // reference itself as the value. The reference processor decides (found by
                // the jsonld_fast fuzz target).
                let reference = match v {
                    Value::String(_) => true,
                    Value::Object(m) => m.keys().all(|k| {
                        expand_iri(active, k, true, false).is_some_and(|e| e.as_ref() == "@id")
                    }),
                    _ => false,
                };
                if reference {
                    return None;
                }
                let name = self.fresh();
                self.quads.push(Quad::new(
                    subject.clone(),
                    predicate.clone(),
                    name.clone(),
                    graph.clone(),
                ));
                match self.item(active, def, key, v, &GraphName::BlankNode(name))? {
                    None | Some(Item::Node(_)) => {}
                    Some(Item::Literal(_)) => return None,
                }
                continue;
            }
            if let Some(item) = self.item(active, def, key, v, graph)? {
                self.quads.push(Quad::new(
                    subject.clone(),
                    predicate.clone(),
                    item,
                    graph.clone(),
                ));
            }
        }
        Some(())
    }

    /// Expansion of one value of property `key` (steps 3–8 for it), emitting a node object's
    /// quads into `graph`. `Some(None)` is a value that expands to nothing (null).
    fn item(
        &mut self,
        active: &Arc<Ctx>,
        def: Option<&Arc<TermDef>>,
        key: &str,
        value: &Value,
        graph: &GraphName,
    ) -> Option<Option<Item>> {
        let scoped = def.and_then(|d| d.context.as_ref());
        match value {
            Value::Null => Some(None),
            Value::Array(_) => None,
            Value::Object(map) => {
                // 7.: a new node object leaves a type-scoped context behind.
                let mut is_value = false;
                let mut only_id = map.len() == 1;
                let (mut id_first, mut seen_type, mut other) = (false, false, false);
                for k in map.keys() {
                    match expand_iri(active, k, true, false)?.as_ref() {
                        "@value" => is_value = true,
                        "@id" if !seen_type => id_first = true,
                        "@id" => other = true,
                        "@type" => {
                            seen_type = true;
                            only_id = false;
                        }
                        "@index" | "@context" => only_id = false,
                        _ => {
                            only_id = false;
                            other = true;
                        }
                    }
                }
                if self.as_oxjsonld && !other && id_first {
                    only_id = true;
                }
                let mut ctx = Arc::clone(active);
                if !is_value && !only_id {
                    if let Some(previous) = &active.previous {
                        ctx = Arc::clone(previous);
                    }
                }
                // 8.
                if let Some(scoped) = scoped {
                    ctx = apply_scoped(&ctx, scoped, false)?;
                }
                if is_value {
                    return self.value_object(&ctx, map).map(|l| Some(Item::Literal(l)));
                }
                let subject = self.node_with_context(ctx, map, None, graph, false)?;
                Some(Some(Item::Node(subject)))
            }
            scalar => {
                // 4.: a scalar, under the property-scoped context.
                let ctx = match scoped {
                    Some(scoped) => apply_scoped(active, scoped, false)?,
                    None => Arc::clone(active),
                };
                let def = ctx.terms.get(key);
                self.scalar(
                    &ctx,
                    def.map(|d| d.type_mapping.as_ref()).unwrap_or(None),
                    scalar,
                )
                .map(Some)
            }
        }
    }

    /// JSON-LD 1.1 API §5.3.2 *Value Expansion* and §8.4 *Object to RDF* for a scalar.
    fn scalar(
        &mut self,
        ctx: &Ctx,
        type_mapping: Option<&TypeMapping>,
        value: &Value,
    ) -> Option<Item> {
        match (type_mapping, value) {
            (Some(TypeMapping::Id), Value::String(s)) => {
                let iri = expand_iri(ctx, s, false, true)?;
                if is_keyword(&iri) {
                    return None;
                }
                Some(Item::Node(self.resource(&iri)?))
            }
            (Some(TypeMapping::Vocab), Value::String(s)) => {
                let iri = expand_iri(ctx, s, true, true)?;
                if is_keyword(&iri) {
                    return None;
                }
                Some(Item::Node(self.resource(&iri)?))
            }
            (Some(TypeMapping::Datatype(dt)), Value::String(s)) => Some(Item::Literal(
                Literal::new_typed_literal(s.as_str(), NamedNode::new_unchecked(dt.as_ref())),
            )),
            (None | Some(TypeMapping::None | TypeMapping::Id | TypeMapping::Vocab), v) => {
                untyped_literal(v).map(Item::Literal)
            }
            // §8.4 steps 10–12: a coerced boolean or integer keeps the datatype.
            (Some(TypeMapping::Datatype(dt)), v) if dt.as_ref() != XSD_DOUBLE => {
                let lexical = untyped_literal(v)?;
                if matches!(v, Value::String(_)) {
                    return None;
                }
                Some(Item::Literal(Literal::new_typed_literal(
                    lexical.value(),
                    NamedNode::new_unchecked(dt.as_ref()),
                )))
            }
            _ => None,
        }
    }

    /// A value object with `@value` and at most `@type` (no language, no direction, no index).
    fn value_object(&mut self, ctx: &Ctx, map: &Map<String, Value>) -> Option<Literal> {
        let mut value = None;
        let mut datatype = None;
        for (k, v) in map {
            match expand_iri(ctx, k, true, false)?.as_ref() {
                "@value" if value.is_none() => value = Some(v),
                "@type" if datatype.is_none() => {
                    let iri = expand_iri(ctx, v.as_str()?, true, true)?;
                    if is_keyword(&iri) || iri.starts_with("_:") {
                        return None;
                    }
                    datatype = Some(NamedNode::new(iri.as_ref()).ok()?);
                }
                _ => return None,
            }
        }
        match (value?, datatype) {
            (Value::String(s), Some(dt)) => Some(Literal::new_typed_literal(s.as_str(), dt)),
            (v, None) => untyped_literal(v),
            (v, Some(dt)) if dt.as_str() != XSD_DOUBLE => {
                Some(Literal::new_typed_literal(untyped_literal(v)?.value(), dt))
            }
            _ => None,
        }
    }

    /// An RDF collection (JSON-LD 1.1 API §8.3 *List to RDF Conversion*); returns its head.
    fn list(&mut self, items: Vec<Item>, graph: &GraphName) -> Term {
        if items.is_empty() {
            return NamedNode::new_unchecked(RDF_NIL).into();
        }
        let nodes: Vec<BlankNode> = (0..items.len()).map(|_| self.fresh()).collect();
        for (i, item) in items.into_iter().enumerate() {
            self.quads.push(Quad::new(
                nodes[i].clone(),
                NamedNode::new_unchecked(RDF_FIRST),
                item,
                graph.clone(),
            ));
            let rest: Term = match nodes.get(i + 1) {
                Some(next) => next.clone().into(),
                None => NamedNode::new_unchecked(RDF_NIL).into(),
            };
            self.quads.push(Quad::new(
                nodes[i].clone(),
                NamedNode::new_unchecked(RDF_REST),
                rest,
                graph.clone(),
            ));
        }
        nodes[0].clone().into()
    }
}

/// Strings, booleans and safe integers with no coercion (JSON-LD 1.1 API §8.4 steps 10–12).
fn untyped_literal(value: &Value) -> Option<Literal> {
    match value {
        Value::String(s) => Some(Literal::new_simple_literal(s.as_str())),
        Value::Bool(b) => Some(Literal::new_typed_literal(
            if *b { "true" } else { "false" },
            NamedNode::new_unchecked(XSD_BOOLEAN),
        )),
        Value::Number(n) => {
            let text = if let Some(u) = n.as_u64() {
                (u <= MAX_SAFE_INTEGER).then(|| u.to_string())?
            } else {
                let i = n.as_i64()?;
                (i.unsigned_abs() <= MAX_SAFE_INTEGER).then(|| i.to_string())?
            };
            Some(Literal::new_typed_literal(
                text,
                NamedNode::new_unchecked(XSD_INTEGER),
            ))
        }
        _ => None,
    }
}

/// Arrays inside property values are flattened (JSON-LD 1.1 API §5.1.2 step 5.2.3).
fn flatten<'v>(values: &'v [Value], out: &mut Vec<&'v Value>) {
    for v in values {
        match v {
            Value::Array(inner) => flatten(inner, out),
            other => out.push(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distinct inline contexts of thousands of terms each (an attacker's, one per request)
    /// keep the memo within its bytes instead of pinning each one.
    #[test]
    fn the_memo_stays_within_its_bytes() {
        for i in 0..60 {
            let terms: Map<String, Value> = (0..3000)
                .map(|t| {
                    (
                        format!("t{i}x{t}"),
                        Value::String(format!("https://a.example/{t}")),
                    )
                })
                .collect();
            let context = Value::Array(vec![
                Value::String("https://www.w3.org/ns/credentials/v2".into()),
                Value::Object(terms),
            ]);
            let mut doc = Map::new();
            doc.insert(format!("t{i}x1"), Value::String("v".into()));
            let _ = to_rdf(&doc, None, &context, false);
            let bytes = memo_map().lock().unwrap().1;
            assert!(bytes <= MEMO_BYTES, "{bytes} bytes after {i} contexts");
        }
        assert!(memo_map().lock().unwrap().1 > 0);
    }
}
