//! `hallmark verify` over many inputs (issue 17): a claims file and/or inputs, fetched
//! concurrently (each URL once per run, at most `--jobs` requests at once), verified together
//! ([`verify_all`]), each claim checked (`crate::claims`), and the result written as a table,
//! JSON Lines or CSV on stdout, and as reports: a self-contained HTML page and a JSON report,
//! optionally signed as a Verifiable Credential (eddsa-jcs-2022).
//!
//! The work goes in phases so the cryptography runs off the async threads, in one call: fetch
//! the badges; fetch what the core's plan says they need (DID documents, status lists); verify
//! every badge with what was fetched; fetch what the pipeline asked for and did not have
//! (e.g. a status list's own `did:web` key) and verify those again; then read the issuers'
//! programs and, for badges that did not verify, the successors their issuers name.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use hallmark_core::presentation::{self, PresentationOptions};
use hallmark_core::report::{Outcome, Report};
use hallmark_core::verify::{ResolveError, Resources, StatusMessage, Verifier};
use hallmark_fetch::Fetcher;
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::claims::{self, Claim, ClaimResult, Evidence, Tier};
use crate::error::{output, CliError};
use crate::verify::Successor;

/// How rows are printed (`--format`; the variants carry no doc comments, so that clap lists
/// them in the flag's help line rather than in a long form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    // Each input's checks, for people, on stderr (as without --format).
    Human,
    // One aligned line a row and a summary, on stdout.
    Table,
    // One JSON object a row, on stdout.
    Jsonl,
    // CSV with a header row, on stdout.
    Csv,
}

/// One row of the run: a claim's badge, or an input without a claim.
#[derive(Debug)]
pub struct Item {
    /// The claims file's data row (1-based), for a claim.
    pub row: Option<usize>,
    /// The badge: a path, `-`, or an http(s) URL.
    pub input: String,
    /// The claim, or why the claims file's row is wrong; `None` for an input without one.
    pub claim: Option<Result<Claim, String>>,
    /// The vendor's name as written, for a claim row (even a wrong one).
    pub vendor: Option<String>,
}

/// What the run needs besides the items.
pub struct Run<'a> {
    /// The verifier (time, trust list, clock skew).
    pub verifier: &'a Verifier,
    /// The run's fetcher ([`Fetcher::for_run`]).
    pub fetcher: &'a Fetcher,
    /// `--challenge`/`--domain`, for presentations.
    pub options: &'a PresentationOptions,
    /// The output format.
    pub format: Format,
    /// `--jobs`.
    pub jobs: usize,
    /// The trusted issuers (`--trust`, a trust list file's entries read), each "id (name)".
    pub trust: Vec<String>,
    /// `--insecure-host` and `--private-host` exceptions, named on the report.
    pub insecure: Vec<String>,
    /// When the run is made (the clock's time; `--at` only moves the checks).
    pub generated: OffsetDateTime,
    /// `--report` files.
    pub reports: Vec<PathBuf>,
    /// `--sign-report`: the key file.
    pub sign_key: Option<PathBuf>,
}

/// A row's outcome.
struct Done {
    item: Item,
    /// Why the input could not be read (exit 2).
    error: Option<String>,
    /// The badge's report (a presentation's: its own checks and each credential's, flattened
    /// into one report for the row).
    report: Option<Report>,
    /// A presentation's JSON body instead of the report's, when the input was one.
    presentation: Option<Value>,
    /// The badge that replaced it, as its issuer names it.
    successor: Option<Successor>,
    claim: Option<ClaimResult>,
}

impl Done {
    fn verified(&self) -> bool {
        self.error.is_none() && self.report.as_ref().is_some_and(Report::verified)
    }

    fn verdict(&self) -> String {
        match (&self.error, &self.report) {
            (Some(_), _) | (None, None) => "error".into(),
            (None, Some(r)) => r.standing().as_str().into(),
        }
    }

    fn claim_word(&self) -> &'static str {
        match (&self.claim, &self.item.claim) {
            (Some(c), _) if c.met => "met",
            (Some(_), _) | (None, Some(_)) => "not met",
            (None, None) => "",
        }
    }

    /// Why the row is not fine, first reason first.
    fn reasons(&self) -> Vec<String> {
        if let Some(e) = &self.error {
            return vec![e.clone()];
        }
        if let Some(c) = &self.claim {
            return c.reasons.clone();
        }
        match &self.report {
            Some(r) if !r.verified() => vec![claims::verdict_words(r)],
            _ => Vec::new(),
        }
    }

    /// The row as one JSON object (JSON Lines, the JSON report).
    fn to_json(&self) -> Value {
        let mut v = match (&self.presentation, &self.report) {
            (Some(body), _) => body.clone(),
            (None, Some(r)) => r.to_json(),
            (None, None) => json!({"verified": false}),
        };
        let Some(map) = v.as_object_mut() else {
            return v;
        };
        if let Some(row) = self.item.row {
            map.insert("row".into(), row.into());
        }
        map.insert("input".into(), self.item.input.clone().into());
        if let Some(vendor) = &self.item.vendor {
            map.insert("vendor".into(), vendor.clone().into());
        }
        if let Some(Ok(claim)) = &self.item.claim {
            map.insert("vendor_url".into(), claim.vendor_url.clone().into());
            map.insert("claimed_tier".into(), claim.claimed_tier.clone().into());
            if let Some(issuer) = &claim.expected_issuer {
                map.insert("expected_issuer".into(), issuer.clone().into());
            }
            if let Some(role) = &claim.role {
                map.insert("role".into(), role.clone().into());
            }
        }
        map.insert("verified".into(), self.verified().into());
        if let Some(r) = &self.report {
            map.insert("standing".into(), r.standing().as_str().into());
        }
        if let Some(e) = &self.error {
            map.insert("error".into(), e.clone().into());
        }
        if let Some(next) = &self.successor {
            map.insert("successor".into(), next.to_json());
        }
        match (&self.claim, &self.item.claim) {
            (Some(c), _) => {
                map.insert("claim".into(), c.to_json());
            }
            (None, Some(_)) => {
                map.insert(
                    "claim".into(),
                    json!({"met": false, "reasons": self.reasons(), "checks": []}),
                );
            }
            (None, None) => {}
        }
        v
    }
}

/// Verifies every credential (its bytes, as read) with what `resources` hold, one report
/// each, in order: the core's [`Verifier::verify_many`], the signatures checked together by
/// Ed25519 batch verification on every core of the machine, each report exactly the one
/// `verify_bytes` gives. Runs on a blocking thread.
pub fn verify_all(
    verifier: &Verifier,
    credentials: &[&[u8]],
    resources: &(dyn Resources + Sync),
) -> Vec<Report> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    verifier.verify_many(credentials, resources, threads)
}

/// What the run fetched, as the core's [`Resources`]: answers from the run's memo, and the
/// URLs asked for and not fetched yet, to fetch before the next pass.
struct RunResources {
    fetcher: Fetcher,
    missing: Mutex<Vec<String>>,
}

impl Resources for RunResources {
    fn fetch(&self, url: &str) -> Result<Arc<[u8]>, ResolveError> {
        match self.fetcher.answered(url) {
            Some(Ok(bytes)) => Ok(bytes),
            Some(Err(e)) => Err(ResolveError {
                undecided: true,
                detail: e.to_string(),
            }),
            None => {
                self.missing
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(url.to_owned());
                Err(ResolveError {
                    undecided: true,
                    detail: format!("{url} was not fetched"),
                })
            }
        }
    }

    fn trusted(&self, url: &str, bytes: &Arc<[u8]>) {
        self.fetcher.trusted(url, bytes);
    }
}

/// The most bytes the rows' badges may hold together in one run (each row parses its own).
const MAX_RUN_BADGE_BYTES: usize = 1 << 30;

/// Takes `len` bytes from a budget of `max` of which `total` are taken: false (and nothing
/// taken) when they do not fit.
fn take(total: &std::sync::atomic::AtomicUsize, len: usize, max: usize) -> bool {
    use std::sync::atomic::Ordering::Relaxed;
    total
        .fetch_update(Relaxed, Relaxed, |t| {
            t.checked_add(len).filter(|n| *n <= max)
        })
        .is_ok()
}

/// Passes of verification: the badges' documents, then the status lists' keys, then theirs.
const MAX_ROUNDS: usize = 4;

/// Documents fetched for one badge at most (as the fetcher's per-verification bound).
const MAX_FETCHES_PER_BADGE: usize = 32;

/// Runs the batch: returns the exit code (0 all verified and met, 1 some not, 2 some input
/// unreadable).
///
/// # Errors
/// [`CliError`] when output or a report cannot be written, or the report key cannot be read.
pub fn run(run: &Run<'_>, items: Vec<Item>) -> Result<u8, CliError> {
    let sign_key = run
        .sign_key
        .as_deref()
        .map(|path| {
            crate::keygen::read_key_file(path).map_err(|e| match e {
                CliError::Read { path, source }
                    if source.kind() == std::io::ErrorKind::NotFound =>
                {
                    CliError::Usage {
                        flag: "--sign-report",
                        message: format!(
                            "{}: no such key file; make one with hallmark keygen --out {}",
                            path.display(),
                            path.display()
                        ),
                    }
                }
                other => other,
            })
        })
        .transpose()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Output)?;
    let bar = progress(items.len());
    let done = runtime.block_on(verify_items(run, items, &bar));
    bar.finish_and_clear();
    // A closed pipe (`| head`) ends the rows on stdout, not the run: the reports are still
    // written and the exit code still speaks for every row.
    match write_rows(run, &done) {
        Err(CliError::BrokenPipe) | Ok(()) => {}
        Err(e) => return Err(e),
    }
    write_reports(run, &done, sign_key.as_ref())?;
    Ok(if done.iter().any(|d| d.error.is_some()) {
        2
    } else if done
        .iter()
        .all(|d| d.verified() && d.claim.as_ref().is_none_or(|c| c.met))
    {
        0
    } else {
        1
    })
}

/// A progress bar on stderr when it is a terminal; hidden otherwise.
fn progress(len: usize) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} {elapsed}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Reads an input: a URL through the run's fetcher, a file from disk (for a claims file's
/// row, only a regular file: not a pipe or a device a hostile row names); a baked image
/// unbaked.
async fn load(fetcher: &Fetcher, input: &str, claim: bool) -> Result<Vec<u8>, String> {
    let bytes = match crate::verify::url_input(input).map_err(|e| e.to_string())? {
        Some(url) => fetcher
            .get(&url)
            .await
            .map(|b| b.to_vec())
            .map_err(|e| e.to_string())?,
        None => {
            // (A missing file is left to the read, whose error says so.)
            if claim && std::fs::metadata(input).is_ok_and(|m| !m.is_file()) {
                return Err(format!("{input}: the badge is not a regular file"));
            }
            crate::error::read_input(input).map_err(|e| e.to_string())?
        }
    };
    match hallmark_core::baked::unbake(&bytes) {
        Ok(None) => Ok(bytes),
        Ok(Some(json)) => Ok(json),
        Err(e) => Err(format!("{input}: {e}")),
    }
}

/// A badge's "message" statuses as text (`None`: unread).
type Texts = Vec<Option<String>>;

/// A row's badge as read (its bytes and JSON), or why it could not be.
type Loaded = Result<(Arc<[u8]>, Value), String>;

async fn verify_items(run: &Run<'_>, items: Vec<Item>, bar: &indicatif::ProgressBar) -> Vec<Done> {
    let fetcher = run.fetcher;
    bar.set_message("fetching");
    // The badges, at most --jobs at once (the fetcher bounds requests the same way); every
    // row holds its badge and its JSON, so the rows' bytes together are bounded too (rows
    // naming one large badge over and over).
    let total = std::sync::atomic::AtomicUsize::new(0);
    let total = &total;
    let loaded: Vec<Loaded> = futures_util::stream::iter(items.iter().map(|item| async move {
        let result = match &item.claim {
            Some(Err(e)) => Err(e.clone()),
            _ => match load(fetcher, &item.input, item.row.is_some()).await {
                Ok(bytes) if !take(total, bytes.len(), MAX_RUN_BADGE_BYTES) => Err(format!(
                    "{}: not read: the run's badges already hold {MAX_RUN_BADGE_BYTES} bytes",
                    item.input
                )),
                Ok(bytes) => match hallmark_core::json::parse(&bytes) {
                    Ok(value) => Ok((Arc::from(bytes), value)),
                    // JSON the strict reader refuses (a duplicate key, too deep, an
                    // integer past 2^53): verified, so its parse check fails and the row
                    // is invalid (exit 1), as plain `hallmark verify` reports it.
                    Err(e) if !matches!(e, hallmark_core::json::JsonError::Syntax(_)) => {
                        Ok((Arc::from(bytes), Value::Null))
                    }
                    Err(e) => Err(format!("{}: not a credential: {e}", item.input)),
                },
                Err(e) => Err(e),
            },
        };
        bar.inc(1);
        result
    }))
    .buffered(run.jobs)
    .collect()
    .await;
    bar.set_position(0);
    // Presentations go through the core's presentation pipeline, one by one.
    let mut presentations: HashMap<usize, (Report, Value)> = HashMap::new();
    for (i, value) in loaded.iter().enumerate() {
        if let Some(v) = value
            .as_ref()
            .ok()
            .map(|(_, v)| v)
            .filter(|v| presentation::is_presentation(v))
        {
            let empty = serde_json::Map::new();
            let vp = v.as_object().unwrap_or(&empty);
            let budget = run.verifier.new_work_budget();
            let report = hallmark_fetch::with_fetched(fetcher, |resources| {
                run.verifier
                    .verify_presentation_within(vp, run.options, resources, &budget)
            })
            .await;
            let mut report = report;
            report.credentials = report
                .credentials
                .into_iter()
                .map(hallmark_verifier::hinted)
                .collect();
            let body = hallmark_verifier::presentation_body(&report);
            // One report for the row: the presentation's checks, then its credentials'.
            let mut checks = report.checks.clone();
            for c in &report.credentials {
                checks.extend(c.checks.iter().cloned());
            }
            let flat = Report {
                checks,
                summary: report.credentials.first().and_then(|c| c.summary.clone()),
            };
            presentations.insert(i, (flat, body));
        }
    }
    let credentials: Vec<(usize, &Value)> = loaded
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.as_ref().ok().map(|(_, v)| (i, v)))
        .filter(|(i, _)| !presentations.contains_key(i))
        .collect();
    let bytes: Vec<&Arc<[u8]>> = loaded
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.as_ref().ok().map(|(b, _)| (i, b)))
        .filter(|(i, _)| !presentations.contains_key(i))
        .map(|(_, b)| b)
        .collect();
    // What the badges name: their issuers' documents and status lists.
    bar.set_message("documents");
    let mut seen = std::collections::HashSet::new();
    let mut wanted: Vec<String> = Vec::new();
    for (_, c) in &credentials {
        for url in hallmark_core::plan::documents_needed(c, &|_| None, MAX_FETCHES_PER_BADGE) {
            if seen.insert(url.clone()) {
                wanted.push(url);
            }
        }
    }
    fetch_all(fetcher, wanted, run.jobs).await;
    // Verify; fetch what a pass asked for and did not have; verify those undecided again.
    bar.set_message("verifying");
    let mut reports: Vec<Option<Report>> = vec![None; credentials.len()];
    let mut todo: Vec<usize> = (0..credentials.len()).collect();
    for round in 0..MAX_ROUNDS {
        let texts: Vec<Arc<[u8]>> = todo.iter().map(|&k| Arc::clone(bytes[k])).collect();
        let verifier = run.verifier.clone();
        let resources = RunResources {
            fetcher: fetcher.clone(),
            missing: Mutex::new(Vec::new()),
        };
        let (fresh, resources) = tokio::task::spawn_blocking(move || {
            let refs: Vec<&[u8]> = texts.iter().map(|b| &b[..]).collect();
            (verify_all(&verifier, &refs, &resources), resources)
        })
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        let mut missing = resources
            .missing
            .into_inner()
            .unwrap_or_else(|p| p.into_inner());
        missing.sort();
        missing.dedup();
        missing.truncate(MAX_FETCHES_PER_BADGE * todo.len().max(1));
        let undecided: Vec<usize> = todo
            .iter()
            .zip(fresh)
            .filter_map(|(&k, report)| {
                let again = report.checks.iter().any(|c| c.outcome == Outcome::Unknown);
                reports[k] = Some(report);
                again.then_some(k)
            })
            .collect();
        if missing.is_empty() || undecided.is_empty() || round + 1 == MAX_ROUNDS {
            break;
        }
        fetch_all(fetcher, missing, run.jobs).await;
        todo = undecided;
    }
    bar.set_position(items.len() as u64);
    // The issuers' programs, the superseded badges' successors and message statuses.
    bar.set_message("claims");
    let mut by_index: HashMap<usize, (Report, Vec<StatusMessage>)> = HashMap::new();
    // A presentation's row is its first credential's (its summary): that credential's
    // message statuses, or one unread for a credential held enveloped, whose entries are
    // not read here (wrapping a superseded badge in a presentation must not hide it).
    let held: Vec<(usize, Option<Value>)> = presentations
        .keys()
        .map(|&i| {
            let first = loaded[i]
                .as_ref()
                .ok()
                .and_then(|(_, vp)| first_credential(vp))
                .filter(|c| c.get("credentialSubject").is_some())
                .cloned();
            (i, first)
        })
        .collect();
    let (messages, mut held_messages): (Vec<Vec<StatusMessage>>, HashMap<usize, Texts>) = {
        let values: Vec<Value> = credentials.iter().map(|(_, v)| (*v).clone()).collect();
        let verifier = run.verifier.clone();
        let resources = RunResources {
            fetcher: fetcher.clone(),
            missing: Mutex::new(Vec::new()),
        };
        tokio::task::spawn_blocking(move || {
            let texts = |v: &Value| -> Texts {
                verifier
                    .status_messages(v, &resources)
                    .into_iter()
                    .map(|m| m.message)
                    .collect()
            };
            let held = held
                .into_iter()
                .map(|(i, c)| (i, c.as_ref().map_or_else(|| vec![None], texts)))
                .collect();
            let messages = values
                .iter()
                .map(|v| verifier.status_messages(v, &resources))
                .collect();
            (messages, held)
        })
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    };
    for (((i, _), report), messages) in credentials.iter().zip(reports).zip(messages) {
        let report = hallmark_verifier::hinted(report.unwrap_or_else(|| Report {
            checks: Vec::new(),
            summary: None,
        }));
        let mut report = report;
        report
            .checks
            .extend(presentation::credential_given_check(run.options));
        by_index.insert(*i, (report, messages));
    }
    let program_urls: Vec<String> = {
        let mut urls = Vec::new();
        for (report, _) in by_index.values() {
            if let Some(url) = program_of(report) {
                if !urls.contains(&url) {
                    urls.push(url);
                }
            }
        }
        urls
    };
    fetch_all(fetcher, program_urls.clone(), run.jobs).await;
    let programs: HashMap<String, Result<Vec<Tier>, String>> = program_urls
        .into_iter()
        .map(|url| {
            let tiers = match fetcher.answered(&url) {
                Some(Ok(bytes)) => claims::program_tiers(&bytes),
                Some(Err(e)) => Err(e.to_string()),
                None => Err(format!("{url} was not fetched")),
            };
            (url, tiers)
        })
        .collect();
    // The successors of badges that did not verify, as their issuer names them (a HEAD of the
    // badge's URL, once a badge; `successor` asks only for a genuine badge's word).
    let mut successors: HashMap<usize, Successor> = HashMap::new();
    let asks: Vec<(usize, &Value)> = credentials
        .iter()
        .filter(|(i, _)| by_index.get(i).is_some_and(|(r, _)| !r.verified()))
        .map(|(i, v)| (*i, *v))
        .collect();
    let found: Vec<(usize, Option<Successor>)> =
        futures_util::stream::iter(asks.into_iter().map(|(i, v)| {
            let report = by_index.get(&i).map(|(r, _)| r);
            async move {
                let next = match report {
                    Some(report) => {
                        crate::verify::successor(run.verifier, v, report, fetcher).await
                    }
                    None => None,
                };
                (i, next)
            }
        }))
        .buffer_unordered(run.jobs)
        .collect()
        .await;
    for (i, next) in found {
        if let Some(next) = next {
            successors.insert(i, next);
        }
    }
    // The rows, in input order.
    items
        .into_iter()
        .zip(loaded)
        .enumerate()
        .map(|(i, (item, value))| {
            let mut done = Done {
                item,
                error: None,
                report: None,
                presentation: None,
                successor: successors.remove(&i),
                claim: None,
            };
            if let Err(e) = value {
                done.error = Some(e);
                return done;
            }
            let messages = if let Some((report, body)) = presentations.remove(&i) {
                done.report = Some(report);
                done.presentation = Some(body);
                held_messages.remove(&i).unwrap_or_default()
            } else if let Some((report, messages)) = by_index.remove(&i) {
                done.report = Some(report);
                messages.into_iter().map(|m| m.message).collect()
            } else {
                Vec::new()
            };
            if let (Some(Ok(claim)), Some(report)) = (&done.item.claim, &done.report) {
                let program = program_of(report).map(|url| match programs.get(&url) {
                    Some(Ok(tiers)) => Ok(tiers.as_slice()),
                    Some(Err(e)) => Err(e.clone()),
                    None => Err(format!("{url} was not fetched")),
                });
                let evidence = Evidence {
                    report,
                    program,
                    messages,
                    successor: done
                        .successor
                        .as_ref()
                        .filter(|s| !s.unrelated)
                        .map(|s| s.id.clone()),
                };
                done.claim = Some(claims::check_claim(claim, &evidence));
            }
            done
        })
        .collect()
}

/// A presentation's first credential (`verifiableCredential`, one or an array, then the same
/// property as its IRI), whose summary is the row's.
fn first_credential(vp: &Value) -> Option<&Value> {
    [
        "verifiableCredential",
        "https://www.w3.org/2018/credentials#verifiableCredential",
    ]
    .iter()
    .filter_map(|key| vp.get(*key))
    .find_map(|v| match v {
        Value::Array(items) => items.first(),
        one => Some(one),
    })
}

/// The program URL of a badge's tier, on its `did:web` issuer's own host.
fn program_of(report: &Report) -> Option<String> {
    let summary = report.summary.as_ref()?;
    let tier = summary.tier.as_ref()?.id.as_deref()?;
    claims::program_url(tier, summary.issuer.id.as_deref()?)
}

/// Fetches `urls` through the run's fetcher, `jobs` at a time; answers stay in its memo.
async fn fetch_all(fetcher: &Fetcher, urls: Vec<String>, jobs: usize) {
    futures_util::stream::iter(urls.into_iter().map(|url| async move {
        let _ = fetcher.get(&url).await;
    }))
    .buffer_unordered(jobs)
    .collect::<Vec<()>>()
    .await;
}

/// Writes the rows in the run's format.
fn write_rows(run: &Run<'_>, done: &[Done]) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    let result = match run.format {
        Format::Human => {
            for d in done {
                match (&d.error, &d.report) {
                    (Some(e), _) => eprintln!("error: {}", printable(e)),
                    (None, Some(r)) => {
                        eprint!(
                            "{}",
                            printable_lines(&crate::render::human(&d.item.input, r))
                        );
                        if let Some(next) = &d.successor {
                            eprintln!("  successor:    {}", printable(&next.describe()));
                        }
                    }
                    (None, None) => {}
                }
                if d.item.claim.is_some() {
                    let reasons = d.reasons();
                    let why = if reasons.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", reasons.join("; "))
                    };
                    eprintln!("  claim: {}{}", d.claim_word(), printable(&why));
                }
            }
            Ok(())
        }
        Format::Jsonl => done
            .iter()
            .try_for_each(|d| writeln!(stdout, "{}", d.to_json())),
        Format::Table => stdout.write_all(table(done).as_bytes()),
        Format::Csv => csv_rows(done).and_then(|bytes| stdout.write_all(&bytes)),
    };
    result.and_then(|()| stdout.flush()).map_err(output)
}

/// The table: ROW, VENDOR, TIER, VERDICT, CLAIM, REASON, aligned; then the summary line.
fn table(done: &[Done]) -> String {
    // Without a claims file there is no vendor, tier or claim to show: the inputs alone.
    let claims = done.iter().any(|d| d.item.claim.is_some());
    let mut lines: Vec<Vec<String>> = vec![if claims {
        ["ROW", "VENDOR", "TIER", "VERDICT", "CLAIM", "REASON"]
            .map(String::from)
            .to_vec()
    } else {
        ["INPUT", "VERDICT", "REASON"].map(String::from).to_vec()
    }];
    for d in done {
        let reason = printable(&d.reasons().into_iter().next().unwrap_or_default());
        if !claims {
            lines.push(vec![printable(&d.item.input), d.verdict(), reason]);
            continue;
        }
        let tier = match &d.item.claim {
            Some(Ok(c)) => c.claimed_tier.clone(),
            _ => String::new(),
        };
        lines.push(vec![
            d.item.row.map_or_else(|| "-".into(), |r| r.to_string()),
            printable(d.item.vendor.as_deref().unwrap_or(&d.item.input)),
            printable(&tier),
            d.verdict(),
            d.claim_word().into(),
            reason,
        ]);
    }
    let mut widths = vec![0usize; lines[0].len()];
    for line in &lines {
        for (w, cell) in widths.iter_mut().zip(line) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for line in &lines {
        let mut text = String::new();
        for (k, (cell, w)) in line.iter().zip(&widths).enumerate() {
            text.push_str(cell);
            if k + 1 < line.len() {
                text.extend(std::iter::repeat_n(' ', w - cell.chars().count() + 2));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out.push_str(&summary_line(done));
    out.push('\n');
    out
}

/// A cell for a terminal: control characters (a vendor's name or a badge's text may carry
/// escape sequences or line breaks) and the bidirectional overrides and isolates (which
/// reorder what follows them on the line, U+202A–U+202E, U+2066–U+2069) written as escapes,
/// so a row stays one line, reads in its own order, and cannot drive the terminal.
fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control()
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
            {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

/// [`printable`] line by line: text of several lines whose lines are kept.
pub(crate) fn printable_lines(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| match line.strip_suffix('\n') {
            Some(line) => format!("{}\n", printable(line)),
            None => printable(line),
        })
        .collect()
}

/// A CSV cell a spreadsheet will not run: text starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return (a formula, `=HYPERLINK(…)` in a vendor's name or a badge's text) gets
/// a leading `'` (OWASP "CSV injection"), which spreadsheets show as text.
fn spreadsheet_safe(text: String) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
    }
}

/// Counts: (rows, verified, claims met, claims not met).
fn counts(done: &[Done]) -> (usize, usize, usize, usize) {
    let verified = done.iter().filter(|d| d.verified()).count();
    let met = done.iter().filter(|d| d.claim_word() == "met").count();
    let not_met = done.iter().filter(|d| d.claim_word() == "not met").count();
    (done.len(), verified, met, not_met)
}

fn summary_line(done: &[Done]) -> String {
    let (rows, verified, met, not_met) = counts(done);
    if done.iter().all(|d| d.item.claim.is_none()) {
        let not = rows - verified;
        return format!("{rows} inputs: {verified} verified, {not} not");
    }
    format!("{rows} rows: {verified} verified, {met} claims met, {not_met} not met")
}

/// The CSV: `row,vendor,vendor_url,claimed_tier,badge,verdict,claim,reasons`.
fn csv_rows(done: &[Done]) -> std::io::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| std::io::Error::other(e.to_string());
    writer
        .write_record([
            "row",
            "vendor",
            "vendor_url",
            "claimed_tier",
            "badge",
            "verdict",
            "claim",
            "reasons",
        ])
        .map_err(io)?;
    for d in done {
        let (url, tier) = match &d.item.claim {
            Some(Ok(c)) => (c.vendor_url.clone(), c.claimed_tier.clone()),
            _ => (String::new(), String::new()),
        };
        writer
            .write_record([
                d.item.row.map(|r| r.to_string()).unwrap_or_default(),
                spreadsheet_safe(d.item.vendor.clone().unwrap_or_default()),
                spreadsheet_safe(url),
                spreadsheet_safe(tier),
                spreadsheet_safe(d.item.input.clone()),
                d.verdict(),
                d.claim_word().into(),
                spreadsheet_safe(d.reasons().join("; ")),
            ])
            .map_err(io)?;
    }
    writer
        .into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))
}

/// The run's time as RFC 3339.
fn at_text(verifier: &Verifier) -> String {
    rfc3339(verifier.now())
}

/// An instant in RFC 3339, whole seconds.
fn rfc3339(at: OffsetDateTime) -> String {
    let at = at.replace_nanosecond(0).unwrap_or(at);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The JSON report: `{"type": "ClaimsReport", "at", "trust", "counts", "rows"}`.
fn json_report(run: &Run<'_>, done: &[Done]) -> Value {
    let (rows, verified, met, not_met) = counts(done);
    json!({
        "type": "ClaimsReport",
        "generated": rfc3339(run.generated),
        "at": at_text(run.verifier),
        "trust": run.trust,
        "insecureHosts": run.insecure,
        "generator": format!("hallmark {}", env!("CARGO_PKG_VERSION")),
        "counts": {"rows": rows, "verified": verified, "claimsMet": met, "claimsNotMet": not_met},
        "rows": done.iter().map(Done::to_json).collect::<Vec<_>>(),
    })
}

/// The JSON report as a Verifiable Credential signed with eddsa-jcs-2022 by `key` (issuer:
/// the key's did:key; only the VC 2.0 context, which verifiers hold: nothing to fetch).
fn signed_report(
    report: Value,
    at: OffsetDateTime,
    key: &hallmark_core::keys::KeyFile,
) -> Result<Value, CliError> {
    use hallmark_core::proof::{self, Cryptosuite, ProofOptions};
    let at = at.replace_nanosecond(0).unwrap_or(at);
    let options = ProofOptions::did_key(&key.public_key(), Cryptosuite::EddsaJcs2022, Some(at));
    let issuer = hallmark_core::did::Did::key(&key.public_key()).to_string();
    let credential = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "VerificationReport"],
        "issuer": issuer,
        "validFrom": at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        "credentialSubject": report,
    });
    let Value::Object(map) = credential else {
        unreachable!("a JSON object literal")
    };
    Ok(Value::Object(proof::sign(map, &options, key.secret_key())?))
}

/// Writes `bytes` to `path` whole or not at all: a temporary file beside it, renamed.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let error = |source| CliError::Write {
        path: path.to_owned(),
        source,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    // A new file only: in a shared folder (/tmp) someone may have put a link at that
    // predictable name to a file of ours, which a plain write would follow and overwrite.
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut file| file.write_all(bytes))
        .map_err(|e| {
            if e.kind() != std::io::ErrorKind::AlreadyExists {
                let _ = std::fs::remove_file(&tmp);
            }
            error(e)
        })?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        error(e)
    })
}

/// Writes the `--report` files: JSON (signed with `key` when given) first, then HTML.
fn write_reports(
    run: &Run<'_>,
    done: &[Done],
    key: Option<&hallmark_core::keys::KeyFile>,
) -> Result<(), CliError> {
    let mut signed: Option<hallmark_web::claims_report::SignedReport> = None;
    for path in run
        .reports
        .iter()
        .filter(|p| report_kind(p) == Some(ReportKind::Json))
    {
        let mut report = json_report(run, done);
        if let Some(key) = key {
            // Signed when it is made, whatever instant the checks were evaluated at: a report
            // run `--at` a future date still verifies today, and none is backdated.
            report = signed_report(report, run.generated, key)?;
        }
        let mut bytes =
            serde_json::to_vec_pretty(&report).map_err(|e| CliError::Output(e.into()))?;
        bytes.push(b'\n');
        write_file(path, &bytes)?;
        if key.is_some() {
            use sha2::Digest;
            let digest = sha2::Sha256::digest(&bytes);
            signed = Some(hallmark_web::claims_report::SignedReport {
                file: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                issuer: report["issuer"].as_str().unwrap_or_default().to_owned(),
                sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
            });
        }
    }
    for path in run
        .reports
        .iter()
        .filter(|p| report_kind(p) == Some(ReportKind::Html))
    {
        let page = html_report(run, done, signed.clone());
        let html = page
            .to_html()
            .map_err(|e| CliError::Output(std::io::Error::other(e.to_string())))?;
        write_file(path, html.as_bytes())?;
    }
    Ok(())
}

/// What a `--report` file is, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    /// `.html` or `.htm`.
    Html,
    /// `.json`.
    Json,
}

/// A `--report` file's kind; `None` for another extension.
pub fn report_kind(path: &Path) -> Option<ReportKind> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => Some(ReportKind::Html),
        "json" => Some(ReportKind::Json),
        _ => None,
    }
}

fn html_report(
    run: &Run<'_>,
    done: &[Done],
    signed: Option<hallmark_web::claims_report::SignedReport>,
) -> hallmark_web::claims_report::ClaimsReportPage {
    use hallmark_web::claims_report::{ClaimView, ClaimsReportPage, ClaimsReportRow};
    let (rows, verified, met, not_met) = counts(done);
    let checks = |r: &Report| {
        r.checks
            .iter()
            .map(|c| {
                (
                    c.check.as_str().to_owned(),
                    c.outcome.as_str().to_owned(),
                    c.detail.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    ClaimsReportPage {
        generated: rfc3339(run.generated),
        at: at_text(run.verifier),
        trust: run.trust.clone(),
        insecure: run.insecure.clone(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        rows,
        verified,
        met,
        not_met,
        signed,
        items: done
            .iter()
            .map(|d| {
                let claim = match (&d.claim, &d.item.claim) {
                    (Some(c), _) => Some(ClaimView {
                        met: c.met,
                        reasons: c.reasons.clone(),
                        checks: c
                            .checks
                            .iter()
                            .map(|k| {
                                (
                                    k.id.to_owned(),
                                    k.outcome.as_str().to_owned(),
                                    k.detail.clone(),
                                )
                            })
                            .collect(),
                    }),
                    (None, Some(_)) => Some(ClaimView {
                        met: false,
                        reasons: d.reasons(),
                        checks: Vec::new(),
                    }),
                    (None, None) => None,
                };
                let (vendor_url, claimed_tier) = match &d.item.claim {
                    Some(Ok(c)) => (Some(c.vendor_url.clone()), Some(c.claimed_tier.clone())),
                    _ => (None, None),
                };
                ClaimsReportRow {
                    row: d.item.row,
                    vendor: d.item.vendor.clone(),
                    vendor_url,
                    claimed_tier,
                    input: d.item.input.clone(),
                    verdict: d.verdict(),
                    verified: d.verified(),
                    checks: d.report.as_ref().map(checks).unwrap_or_default(),
                    claim,
                    error: d.error.clone(),
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn table_cells_cannot_drive_the_terminal() {
        assert_eq!(
            super::printable("Acme\u{1b}[31m\nInc\u{7}"),
            "Acme\\u{1b}[31m\\nInc\\u{7}"
        );
        assert_eq!(super::printable("Zürich AG"), "Zürich AG");
        // C1 CSI and a right-to-left override.
        assert_eq!(
            super::printable("a\u{9b}31mb\u{202e}gnp.exe"),
            "a\\u{9b}31mb\\u{202e}gnp.exe"
        );
        assert_eq!(
            super::printable_lines("x\u{1b}]0;t\u{7}\n  subject: y\u{1b}[2J\n"),
            "x\\u{1b}]0;t\\u{7}\n  subject: y\\u{1b}[2J\n"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_report_is_never_written_through_a_planted_link() {
        let dir = std::env::temp_dir().join(format!("hallmark-link-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let victim = dir.join("victim.txt");
        std::fs::write(&victim, "mine").unwrap();
        let report = dir.join("audit.json");
        let planted = dir.join(format!(".audit.json.{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let e = super::write_file(&report, b"{}").unwrap_err();
        assert!(e.to_string().contains("audit.json"), "{e}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "mine");
        assert!(!report.exists());
        std::fs::remove_file(&planted).unwrap();
        super::write_file(&report, b"{}").unwrap();
        assert_eq!(std::fs::read(&report).unwrap(), b"{}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_rows_badges_take_from_one_budget() {
        let total = std::sync::atomic::AtomicUsize::new(0);
        assert!(super::take(&total, 600, 1000));
        assert!(!super::take(&total, 600, 1000), "600 + 600 > 1,000");
        assert!(super::take(&total, 400, 1000), "what fits still does");
        assert!(!super::take(&total, 1, 1000));
        assert!(!super::take(&total, usize::MAX, usize::MAX), "no overflow");
        assert_eq!(total.into_inner(), 1000);
    }

    #[test]
    fn csv_cells_are_no_formulas() {
        for (cell, safe) in [
            (
                "=HYPERLINK(\"http://evil.example\";\"x\")",
                "'=HYPERLINK(\"http://evil.example\";\"x\")",
            ),
            ("+1 Cloud", "'+1 Cloud"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tTab", "'\tTab"),
            ("Acme, Inc.", "Acme, Inc."),
            ("", ""),
        ] {
            assert_eq!(super::spreadsheet_safe(cell.into()), safe, "{cell}");
        }
    }
}
