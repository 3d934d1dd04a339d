//! `hallmark verify`: runs the verification pipeline over files, standard input or URLs and
//! reports every check (docs/design.md §3, §4). An input that is a presentation (VC 2.0
//! §4.13) goes through the core's presentation pipeline, the one `POST /presentations/verify`
//! runs: its own checks, then each credential's; `--json` prints that endpoint's body. An input
//! that is a baked badge image (PNG or SVG, OB 3.0 §5.3) is verified as the credential baked
//! into it; an image without one is unreadable input (exit 2).

use std::io::Write;
use std::path::PathBuf;

use hallmark_core::did::Did;
use hallmark_core::json::{self, JsonError};
use hallmark_core::presentation::{self, PresentationOptions};
use hallmark_core::report::PresentationReport;
use hallmark_core::trust::{TrustArg, TrustList, TrustedIssuer};
use hallmark_core::verify::Verifier;
use hallmark_fetch::{FetchPolicy, Fetcher};
use time::{Duration, OffsetDateTime};

use crate::batch::Format;
use crate::error::{output, read_input, CliError};
use crate::render;
use crate::sign::parse_time;

/// The fetch policy flags `hallmark verify` and `hallmark verifier serve` share: exceptions to
/// the default refusal of plain HTTP and internal addresses, for tests and local development.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FetchArgs {
    /// Fetch https://HOST:PORT/… over plain HTTP and allow its loopback or private address.
    /// For tests and local development only. Repeat for more.
    #[arg(long, value_name = "HOST:PORT")]
    pub insecure_host: Vec<String>,
    /// Allow HOST:PORT on loopback or private addresses, still over verified https.
    #[arg(long, value_name = "HOST:PORT")]
    pub private_host: Vec<String>,
    /// Trust this PEM root certificate too when fetching (e.g. a test CA).
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Vec<PathBuf>,
}

/// Arguments of `hallmark verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON object per input (JSON Lines) on stdout instead of the human report:
    /// the same as --format jsonl.
    #[arg(long)]
    json: bool,
    /// How to print the results: human (each input's checks, on stderr; the default), table
    /// (one line a row and a summary; the default with --claims), jsonl or csv (on stdout).
    #[arg(long, value_enum, value_name = "FORMAT")]
    format: Option<Format>,
    /// A CSV file of vendors' claims to check: a header row with vendor, vendor_url,
    /// claimed_tier, badge (an https URL, or a path relative to the file) and optionally
    /// expected_issuer and role; one claim a row. Each badge is verified, then the claim
    /// checked: its subject is the vendor, its tier the claimed one (or higher, by the
    /// issuer's program), its issuer and role the expected ones, and it is not superseded.
    #[arg(long, value_name = "FILE.csv")]
    claims: Option<PathBuf>,
    /// Requests on the network at once when verifying many inputs (each URL is fetched once
    /// per run).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64), value_name = "N")]
    jobs: u16,
    /// Also write the results to FILE: .html (a self-contained page to attach to a file) or
    /// .json (every row). Repeat for both.
    #[arg(long, value_name = "FILE")]
    report: Vec<PathBuf>,
    /// Sign the .json --report as a Verifiable Credential (eddsa-jcs-2022) with this key file
    /// (from `hallmark keygen`): `hallmark verify REPORT.json` then checks it was not changed.
    #[arg(long, value_name = "KEYFILE")]
    sign_report: Option<PathBuf>,
    /// Evaluate time checks at this instant, RFC 3339 (default: now).
    #[arg(long, value_parser = parse_time)]
    at: Option<OffsetDateTime>,
    /// A trusted issuer: a DID, an https issuer URL, or a trust list file
    /// ({"issuers": [{"id": …, "name": …}]}). Repeat for more.
    #[arg(long, value_name = "DID|URL|FILE")]
    trust: Vec<String>,
    /// Use FILE whenever the verifier would fetch URL (DID documents, issuer profiles, status
    /// lists). Repeat for more.
    #[arg(long, value_name = "URL=FILE")]
    resolve: Vec<String>,
    /// Fetch nothing: what cannot be resolved locally stays unknown.
    #[arg(long)]
    offline: bool,
    #[command(flatten)]
    fetch: FetchArgs,
    /// Tolerated clock skew on validFrom and validUntil, in seconds.
    #[arg(long, default_value_t = 300)]
    clock_skew: u32,
    /// For presentations: the challenge the holder's proof must carry.
    #[arg(long, value_name = "TEXT")]
    challenge: Option<String>,
    /// For presentations: the domain the holder's proof must carry. Repeat for a proof with
    /// several.
    #[arg(long, value_name = "DOMAIN")]
    domain: Vec<String>,
    /// Badges or presentations to verify: files (JSON, or a baked PNG or SVG badge image),
    /// directories (every .json, .png and .svg inside, recursively), quoted glob patterns
    /// ('badges/*.json'), - for standard input, or https URLs (the scheme in any case).
    #[arg(required_unless_present = "claims", value_name = "INPUT")]
    inputs: Vec<String>,
}

/// Runs `hallmark verify`.
///
/// Returns 0 when every input verified, 1 when any did not, 2 when any could not be read or
/// was not JSON.
///
/// # Errors
/// [`CliError`] for malformed flags, unreadable `--trust` or `--resolve` files.
pub fn run(mut args: Args) -> Result<u8, CliError> {
    let format = match (args.json, args.format) {
        (true, None | Some(Format::Jsonl)) => Format::Jsonl,
        (true, Some(_)) => {
            return Err(CliError::Usage {
                flag: "--json",
                message: "--json is --format jsonl; give one of them".into(),
            })
        }
        (false, Some(f)) => f,
        (false, None) if args.claims.is_some() => Format::Table,
        (false, None) => Format::Human,
    };
    for path in &args.report {
        if crate::batch::report_kind(path).is_none() {
            return Err(CliError::Usage {
                flag: "--report",
                message: format!(
                    "{}: a report is .html (a page) or .json (the rows)",
                    path.display()
                ),
            });
        }
    }
    if args.sign_report.is_some()
        && !args
            .report
            .iter()
            .any(|p| crate::batch::report_kind(p) == Some(crate::batch::ReportKind::Json))
    {
        return Err(CliError::Usage {
            flag: "--sign-report",
            message: "it signs the JSON report: add --report FILE.json".into(),
        });
    }
    args.inputs = expand_inputs(&args.inputs)?;
    args.json = format == Format::Jsonl;
    let batch = args.claims.is_some()
        || matches!(format, Format::Table | Format::Csv)
        || !args.report.is_empty();
    if batch {
        return run_batch(&args, format);
    }
    let verifier = verifier(&args)?;
    let fetcher = fetcher(&args)?;
    let options = presentation_options(&args);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Output)?;
    let mut worst = 0u8;
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) ends the output, not the verification: every input is still
    // verified, so the exit code speaks for all of them.
    let mut closed = false;
    for input in &args.inputs {
        let bytes = match url_input(input) {
            Ok(Some(url)) => runtime
                .block_on(fetcher.get(&url))
                .map(|b| b.to_vec())
                .map_err(|e| CliError::Fetch(e.to_string())),
            Ok(None) => read_input(input),
            Err(e) => Err(e),
        };
        // A baked badge image (OB 3.0 §5.3): verify the credential inside it.
        let bytes = bytes.and_then(|b| match hallmark_core::baked::unbake(&b) {
            Ok(None) => Ok(b),
            Ok(Some(json)) => Ok(json),
            Err(source) => Err(CliError::Baked {
                input: input.clone(),
                source,
            }),
        });
        let bytes = match bytes {
            Ok(b) => b,
            Err(e) => {
                worst = 2;
                if args.json {
                    let line = serde_json::json!({"input": input, "verified": false, "error": e.to_string()});
                    if !closed && writeln!(stdout, "{line}").is_err() {
                        closed = true;
                    }
                }
                eprintln!("error: {e}");
                if let Some(hint) = e.hint() {
                    eprintln!("hint: {hint}");
                }
                continue;
            }
        };
        let value = json::parse(&bytes);
        if let Some(value) = value
            .as_ref()
            .ok()
            .filter(|v| presentation::is_presentation(v))
        {
            let report = verify_presentation(&runtime, &verifier, value, &options, &fetcher);
            worst = worst.max(if report.verified() { 0 } else { 1 });
            let written = if args.json {
                let mut body = hallmark_verifier::presentation_body(&report);
                if let Some(map) = body.as_object_mut() {
                    map.insert("input".into(), input.as_str().into());
                }
                if closed {
                    Ok(())
                } else {
                    writeln!(stdout, "{body}")
                }
            } else {
                eprint!(
                    "{}",
                    crate::batch::printable_lines(&render::presentation(input, &report))
                );
                Ok(())
            };
            if let Err(e) = written {
                match output(e) {
                    CliError::BrokenPipe => closed = true,
                    other => return Err(other),
                }
            }
            continue;
        }
        let (report, unreadable, successor) = match value {
            Ok(value) => {
                let report = runtime.block_on(hallmark_fetch::verify(&verifier, &value, &fetcher));
                let successor = runtime.block_on(successor(&verifier, &value, &report, &fetcher));
                (report, false, successor)
            }
            Err(e) => (
                verifier.verify_bytes(&bytes, &hallmark_core::verify::Offline),
                matches!(e, JsonError::Syntax(_)),
                None,
            ),
        };
        let mut report = hallmark_verifier::hinted(report);
        // Asked to authenticate a holder, given a bare credential: anyone can present a public
        // badge, so it fails (attacker check: it printed VERIFIED).
        report
            .checks
            .extend(presentation::credential_given_check(&options));
        worst = worst.max(if unreadable {
            2
        } else if report.verified() {
            0
        } else {
            1
        });
        if args.json {
            let mut value = report.to_json();
            if let Some(map) = value.as_object_mut() {
                map.insert("input".into(), input.as_str().into());
                if let Some(next) = &successor {
                    map.insert("successor".into(), next.to_json());
                }
            }
            if !closed {
                if let Err(e) = writeln!(stdout, "{value}") {
                    match output(e) {
                        CliError::BrokenPipe => closed = true,
                        other => return Err(other),
                    }
                }
            }
        } else {
            eprint!(
                "{}",
                crate::batch::printable_lines(&render::human(input, &report))
            );
            if let Some(next) = &successor {
                eprintln!("  successor:    {}", next.describe());
            }
        }
    }
    match stdout.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::Output(e)),
        _ => Ok(worst),
    }
}

/// `hallmark verify` over a claims file, or into a table, CSV or report files.
fn run_batch(args: &Args, format: Format) -> Result<u8, CliError> {
    let verifier = verifier(args)?;
    let jobs = usize::from(args.jobs);
    let fetcher = fetcher(args)?.for_run(jobs);
    let options = presentation_options(args);
    let mut items = Vec::new();
    if args.claims.is_some() && args.trust.is_empty() {
        // The claims file's expected_issuer cells are then the only word on who may issue a
        // badge: fine when the buyer wrote them, not when vendors filled their own rows.
        eprintln!(
            "warning: no --trust: a badge's issuer is checked only against the claims file's \
             expected_issuer (a claim without one is not met); give --trust with the issuers \
             you accept when vendors filled their own rows"
        );
    }
    if let Some(path) = &args.claims {
        for row in crate::claims::read_claims(path)? {
            items.push(crate::batch::Item {
                row: Some(row.row),
                input: row.badge,
                vendor: Some(row.vendor),
                claim: Some(row.claim),
            });
        }
    }
    for input in &args.inputs {
        items.push(crate::batch::Item {
            row: None,
            input: input.clone(),
            vendor: None,
            claim: None,
        });
    }
    let run = crate::batch::Run {
        verifier: &verifier,
        fetcher: &fetcher,
        options: &options,
        format,
        jobs,
        trust: match verifier.trust_list() {
            Some(list) => list
                .issuers()
                .iter()
                .map(|i| match &i.name {
                    Some(name) => format!("{} ({name})", i.id),
                    None => i.id.clone(),
                })
                .collect(),
            None => Vec::new(),
        },
        insecure: args
            .fetch
            .insecure_host
            .iter()
            .chain(&args.fetch.private_host)
            .cloned()
            .collect(),
        generated: OffsetDateTime::now_utc(),
        reports: args.report.clone(),
        sign_key: args.sign_report.clone(),
    };
    crate::batch::run(&run, items)
}

/// The verifier `args` describe: time, clock skew, trust list.
fn verifier(args: &Args) -> Result<Verifier, CliError> {
    let mut verifier = Verifier::new(args.at.unwrap_or_else(OffsetDateTime::now_utc))
        .clock_skew(Duration::seconds(i64::from(args.clock_skew)));
    if !args.trust.is_empty() {
        verifier = verifier.trust(trust_list(&args.trust)?);
    }
    Ok(verifier)
}

fn presentation_options(args: &Args) -> PresentationOptions {
    let mut options = PresentationOptions::default();
    if let Some(challenge) = &args.challenge {
        options = options.with_challenge(challenge.clone());
    }
    if !args.domain.is_empty() {
        options = options.with_domain(args.domain.iter().cloned());
    }
    options
}

/// The deepest folder an INPUT directory is read to.
const MAX_DEPTH: usize = 32;

/// The inputs with directories (every .json, .png and .svg inside, recursively, sorted) and
/// glob patterns (text with `*`, `?` or `[` that names no file) expanded; URLs and `-` as
/// they are.
///
/// # Errors
/// [`CliError::Usage`] for a pattern that is not one, or a directory or pattern that yields
/// no file; [`CliError::Read`] for a directory that cannot be read.
fn expand_inputs(inputs: &[String]) -> Result<Vec<String>, CliError> {
    let mut out = Vec::new();
    for input in inputs {
        if input == "-" || url_input(input).map_or(true, |u| u.is_some()) {
            out.push(input.clone());
            continue;
        }
        let path = std::path::Path::new(input);
        if path.is_dir() {
            let mut found = Vec::new();
            walk(path, 0, &mut found)?;
            if found.is_empty() {
                return Err(CliError::Usage {
                    flag: "INPUT",
                    message: format!("{input}: the directory holds no .json, .png or .svg file"),
                });
            }
            found.sort();
            out.extend(found.into_iter().map(|p| p.to_string_lossy().into_owned()));
        } else if input.contains(['*', '?', '[']) && !path.exists() {
            let paths = glob::glob(input).map_err(|e| CliError::Usage {
                flag: "INPUT",
                message: format!("{input}: not a glob pattern: {e}"),
            })?;
            let mut found: Vec<PathBuf> = paths
                .filter_map(Result::ok)
                .filter(|p| p.is_file())
                .collect();
            if found.is_empty() {
                return Err(CliError::Usage {
                    flag: "INPUT",
                    message: format!("{input}: no file matches the pattern"),
                });
            }
            found.sort();
            out.extend(found.into_iter().map(|p| p.to_string_lossy().into_owned()));
        } else {
            out.push(input.clone());
        }
    }
    Ok(out)
}

/// Collects the badge files under `dir`; symbolic links to folders are not followed.
fn walk(dir: &std::path::Path, depth: usize, found: &mut Vec<PathBuf>) -> Result<(), CliError> {
    let read = |source| CliError::Read {
        path: dir.to_owned(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(read)? {
        let entry = entry.map_err(read)?;
        let path = entry.path();
        let kind = entry.file_type().map_err(read)?;
        if kind.is_dir() {
            if depth < MAX_DEPTH {
                walk(&path, depth + 1, found)?;
            }
        } else if path.is_file()
            && path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| ["json", "png", "svg"].contains(&e.to_ascii_lowercase().as_str()))
        {
            found.push(path);
        }
    }
    Ok(())
}

/// The badge that superseded one that failed, as its issuer names it.
pub(crate) struct Successor {
    /// Its URL.
    pub(crate) id: String,
    /// Its verdict, when it could be fetched and read.
    standing: Option<hallmark_core::Standing>,
    /// Not the same issuer and subject as the badge it replaces: not a successor of it.
    pub(crate) unrelated: bool,
}

impl Successor {
    pub(crate) fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({"id": self.id, "standing": self.standing});
        if self.unrelated {
            v["unrelated"] = true.into();
        }
        v
    }

    pub(crate) fn describe(&self) -> String {
        match (self.unrelated, self.standing) {
            (true, _) => format!(
                "{} is named, but it is not the same issuer's badge for the same subject: ignored",
                self.id
            ),
            (false, Some(s)) => format!("{} ({})", self.id, s.as_str()),
            (false, None) => format!("{} (could not be fetched)", self.id),
        }
    }
}

/// For a badge that did not verify, whose `id` is an http(s) URL, and whose word can be
/// taken — a genuine badge (proof and issuer checks passed), or one of a `did:web` issuer
/// whose key is gone from its document (a revoked key) with its `id` on the issuer's own
/// host: the successor named there (`Link: rel="successor-version"`), fetched and verified
/// with the same verifier; marked unrelated unless it is on the same origin, names itself by
/// that URL, and has the same issuer and `credentialSubject.id`. `None` otherwise (a forged
/// badge's `id` could name any host, which is never asked), or when no successor is named or
/// the host cannot be reached.
pub(crate) async fn successor(
    verifier: &hallmark_core::Verifier,
    credential: &serde_json::Value,
    report: &hallmark_core::Report,
    fetcher: &Fetcher,
) -> Option<Successor> {
    use hallmark_core::{CheckId, Outcome};
    let passed = |id| {
        report
            .check(id)
            .is_some_and(|c| c.outcome == Outcome::Passed)
    };
    let issuer = {
        let i = &credential["issuer"];
        i.as_str().or_else(|| i["id"].as_str()).unwrap_or_default()
    };
    let id = credential.get("id")?.as_str()?;
    let parsed = url::Url::parse(id)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))?;
    // Whose word names a successor: a genuine badge's (its proof and issuer checks passed)
    // of a trusted issuer, or on the did:web issuer's own host (asked already for its DID
    // document); and that host for a did:web badge whose key is gone from the issuer's
    // document (a revoked key, whose badges are issued again). A self-signed badge of an
    // issuer nobody trusts would otherwise have the verifier call any host it names
    // (newcomer's finding: a forged row stalled a claims run on DNS).
    let own_host = did_web_authority(issuer).is_some_and(|a| a == authority(&parsed));
    let revoked_key = report.check(CheckId::Issuer).is_some_and(|c| {
        c.code == Some(hallmark_core::report::ErrorCode::InvalidVerificationMethod)
    }) && own_host;
    let genuine =
        passed(CheckId::Proof) && passed(CheckId::Issuer) && (passed(CheckId::Trust) || own_host);
    if report.verified() || !(genuine || revoked_key) {
        return None;
    }
    let issuer_of = |v: &serde_json::Value| {
        let i = &v["issuer"];
        i.as_str().or_else(|| i["id"].as_str()).map(str::to_owned)
    };
    let subject_of =
        |v: &serde_json::Value| v["credentialSubject"]["id"].as_str().map(str::to_owned);
    // Along the chain (a renewal later upgraded, then downgraded…) to the badge that is
    // current, a few steps at most; each step on the same origin, the same issuer's badge
    // for the same subject, at the URL it names itself.
    let mut from = id.to_owned();
    let mut found: Option<Successor> = None;
    for _ in 0..MAX_SUCCESSORS {
        let Some(next) = fetcher.successor_of(&from).await.ok().flatten() else {
            break;
        };
        let same_origin = url::Url::parse(&next).is_ok_and(|n| n.origin() == parsed.origin());
        if !same_origin {
            return Some(Successor {
                id: next,
                standing: None,
                unrelated: true,
            });
        }
        let (standing, unrelated) = match fetcher.get(&next).await {
            Ok(bytes) => match json::parse(&bytes) {
                Ok(value) => {
                    let same = issuer_of(&value).is_some()
                        && issuer_of(&value) == issuer_of(credential)
                        && subject_of(&value) == subject_of(credential)
                        && value["id"].as_str() == Some(next.as_str());
                    let standing = hallmark_fetch::verify(verifier, &value, fetcher)
                        .await
                        .standing();
                    (Some(standing), !same)
                }
                Err(_) => (Some(hallmark_core::Standing::Invalid), false),
            },
            Err(_) => (None, false),
        };
        let revoked = standing == Some(hallmark_core::Standing::Revoked);
        from.clone_from(&next);
        found = Some(Successor {
            id: next,
            standing,
            unrelated,
        });
        if unrelated || !revoked {
            break;
        }
    }
    found
}

/// How many successors `hallmark verify` follows to the current badge.
const MAX_SUCCESSORS: usize = 8;

/// The host (and port, when not the scheme's default) of a `did:web` DID (did:web §3.1:
/// `did:web:127.0.0.1%3A8080` → `127.0.0.1:8080`).
pub(crate) fn did_web_authority(did: &str) -> Option<String> {
    let rest = did.strip_prefix("did:web:")?;
    let host = rest.split(':').next()?;
    Some(
        host.replace("%3A", ":")
            .replace("%3a", ":")
            .to_ascii_lowercase(),
    )
}

/// A URL's host, and its port when not the scheme's default.
pub(crate) fn authority(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

/// Verifies a presentation with what it asks `fetcher` for: the holder's proof and every
/// credential in it share one work budget and one bound of fetches, as on the verifier.
fn verify_presentation(
    runtime: &tokio::runtime::Runtime,
    verifier: &Verifier,
    value: &serde_json::Value,
    options: &PresentationOptions,
    fetcher: &Fetcher,
) -> PresentationReport {
    let empty = serde_json::Map::new();
    let vp = value.as_object().unwrap_or(&empty);
    let budget = verifier.new_work_budget();
    let mut report = runtime.block_on(hallmark_fetch::with_fetched(fetcher, |resources| {
        verifier.verify_presentation_within(vp, options, resources, &budget)
    }));
    report.credentials = report
        .credentials
        .into_iter()
        .map(hallmark_verifier::hinted)
        .collect();
    report
}

/// The URL an input names, its scheme written in lower case (schemes are case-insensitive,
/// RFC 3986 §3.1: `HTTPS://h/x` is `https://h/x`); `None` for a file (or `-`).
///
/// # Errors
/// [`CliError::Fetch`] for a URL of another scheme (`ftp://`, `file://`): only http(s) is
/// fetched, and a file of that name is `./` followed by it.
pub(crate) fn url_input(input: &str) -> Result<Option<String>, CliError> {
    let Some((scheme, rest)) = input.split_once("://") else {
        return Ok(None);
    };
    // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !is_scheme {
        return Ok(None);
    }
    let lower = scheme.to_ascii_lowercase();
    if lower == "https" || lower == "http" {
        return Ok(Some(format!("{lower}://{rest}")));
    }
    Err(CliError::Fetch(format!(
        "{input}: only https (and http) URLs are fetched, not {scheme}:// URLs; \
         a file of that name is ./{input}"
    )))
}

fn fetcher(args: &Args) -> Result<Fetcher, CliError> {
    let mut extra_roots_pem = Vec::new();
    for path in &args.fetch.ca_cert {
        extra_roots_pem.push(std::fs::read(path).map_err(|source| CliError::Read {
            path: path.clone(),
            source,
        })?);
    }
    let policy = FetchPolicy {
        insecure_hosts: args.fetch.insecure_host.clone(),
        private_hosts: args.fetch.private_host.clone(),
        extra_roots_pem,
        offline: args.offline,
        ..FetchPolicy::default()
    };
    let mut fetcher = Fetcher::new(policy).map_err(|e| CliError::Fetch(e.to_string()))?;
    for entry in &args.resolve {
        let (url, file) = entry.split_once('=').ok_or_else(|| CliError::Usage {
            flag: "--resolve",
            message: format!("{entry:?} is not URL=FILE"),
        })?;
        let bytes = std::fs::read(file).map_err(|source| CliError::Read {
            path: PathBuf::from(file),
            source,
        })?;
        fetcher = fetcher.with_local(url, bytes);
    }
    Ok(fetcher)
}

fn trust_list(entries: &[String]) -> Result<TrustList, CliError> {
    let mut list = TrustList::new();
    for entry in entries {
        if let TrustArg::Issuer(id) = TrustArg::parse(entry) {
            if id.starts_with("did:") {
                Did::parse(id).map_err(|e| CliError::Usage {
                    flag: "--trust",
                    message: e.to_string(),
                })?;
            }
            list.add(TrustedIssuer {
                id: id.to_owned(),
                name: None,
            });
        } else {
            let path = PathBuf::from(entry);
            let bytes = std::fs::read(&path).map_err(|source| CliError::Read {
                path: path.clone(),
                source,
            })?;
            let file = TrustList::from_json(&bytes).map_err(|e| CliError::TrustFile {
                path,
                message: e.to_string(),
            })?;
            for issuer in file.issuers() {
                list.add(issuer.clone());
            }
        }
    }
    Ok(list)
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_did_web_names_the_host_it_lives_on() {
        assert_eq!(
            super::did_web_authority("did:web:127.0.0.1%3A8080").as_deref(),
            Some("127.0.0.1:8080")
        );
        assert_eq!(
            super::did_web_authority("did:web:Partners.Acme.example:issuers:1").as_deref(),
            Some("partners.acme.example")
        );
        assert_eq!(super::did_web_authority("did:key:z6Mk"), None);
        let url = url::Url::parse("https://partners.acme.example:443/credentials/x").unwrap();
        assert_eq!(super::authority(&url), "partners.acme.example");
        let url = url::Url::parse("http://127.0.0.1:8080/credentials/x").unwrap();
        assert_eq!(super::authority(&url), "127.0.0.1:8080");
    }

    use super::url_input;

    #[test]
    fn url_schemes_are_case_insensitive() {
        for (input, url) in [
            ("https://a.example/x", "https://a.example/x"),
            ("HTTPS://a.example/X", "https://a.example/X"),
            ("Http://a.example/x", "http://a.example/x"),
        ] {
            assert_eq!(url_input(input).unwrap().as_deref(), Some(url), "{input}");
        }
        for file in [
            "badge.json",
            "-",
            "./ftp://x",
            "dir/a://b",
            "1http://x",
            "://x",
        ] {
            assert_eq!(url_input(file).unwrap(), None, "{file}");
        }
        for other in ["ftp://a.example/x", "FILE:///etc/passwd", "hxxps://a"] {
            let e = url_input(other).unwrap_err().to_string();
            assert!(e.contains("only https (and http) URLs are fetched"), "{e}");
        }
    }
}
