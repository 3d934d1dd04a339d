//! `hallmark verify`: runs the verification pipeline over files, standard input or URLs and
//! reports every check (DESIGN §3, §4).

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use hallmark_core::did::{did_web_url, ControllerDocument, Did};
use hallmark_core::json::{self, JsonError};
use hallmark_core::trust::{TrustList, TrustedIssuer};
use hallmark_core::verify::{ResolveError, Resources, Verifier};
use time::{Duration, OffsetDateTime};

use crate::error::{output, read_input, CliError};
use crate::render;
use crate::sign::parse_time;

/// Arguments of `hallmark verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON object per input (JSON Lines) on stdout instead of the human report.
    #[arg(long)]
    json: bool,
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
    /// Tolerated clock skew on validFrom and validUntil, in seconds.
    #[arg(long, default_value_t = 300)]
    clock_skew: u32,
    /// Badges to verify: files, - for standard input, or https URLs.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,
}

/// Runs `hallmark verify`.
///
/// Returns 0 when every input verified, 1 when any did not, 2 when any could not be read or
/// was not JSON.
///
/// # Errors
/// [`CliError`] for malformed flags, unreadable `--trust` or `--resolve` files.
pub fn run(args: Args) -> Result<u8, CliError> {
    let mut verifier = Verifier::new(args.at.unwrap_or_else(OffsetDateTime::now_utc))
        .clock_skew(Duration::seconds(i64::from(args.clock_skew)));
    if !args.trust.is_empty() {
        verifier = verifier.trust(trust_list(&args.trust)?);
    }
    let resources = LocalResources::new(&args.resolve, args.offline)?;
    let mut worst = 0u8;
    let mut stdout = std::io::stdout().lock();
    for input in &args.inputs {
        let bytes = if input.starts_with("https://") || input.starts_with("http://") {
            resources.url(input).map_err(|e| CliError::Read {
                path: PathBuf::from(input),
                source: std::io::Error::other(e.detail),
            })
        } else {
            read_input(input)
        };
        let bytes = match bytes {
            Ok(b) => b,
            Err(e) => {
                worst = 2;
                if args.json {
                    let line = serde_json::json!({"input": input, "verified": false, "error": e.to_string()});
                    writeln!(stdout, "{line}").map_err(output)?;
                }
                eprintln!("error: {e}");
                if let Some(hint) = e.hint() {
                    eprintln!("hint: {hint}");
                }
                continue;
            }
        };
        let (report, unreadable) = match json::parse(&bytes) {
            Ok(value) => (verifier.verify_value(&value, &resources), false),
            Err(e) => (
                verifier.verify_bytes(&bytes, &resources),
                matches!(e, JsonError::Syntax(_)),
            ),
        };
        worst = worst.max(if unreadable {
            2
        } else if report.verified {
            0
        } else {
            1
        });
        if args.json {
            let mut value = report.to_json();
            if let Some(map) = value.as_object_mut() {
                map.insert("input".into(), input.as_str().into());
            }
            writeln!(stdout, "{value}").map_err(output)?;
        } else {
            eprint!("{}", render::human(input, &report));
        }
    }
    stdout.flush().map_err(output)?;
    Ok(worst)
}

fn trust_list(entries: &[String]) -> Result<TrustList, CliError> {
    let mut list = TrustList::new();
    for entry in entries {
        if entry.starts_with("did:")
            || entry.starts_with("https://")
            || entry.starts_with("http://")
        {
            if entry.starts_with("did:") {
                Did::parse(entry).map_err(|e| CliError::Usage {
                    flag: "--trust",
                    message: e.to_string(),
                })?;
            }
            list.add(TrustedIssuer {
                id: entry.clone(),
                name: None,
            });
        } else {
            let path = PathBuf::from(entry);
            let bytes = std::fs::read(&path).map_err(|source| CliError::Read {
                path: path.clone(),
                source,
            })?;
            let file = TrustList::from_json(&bytes)
                .map_err(|message| CliError::TrustFile { path, message })?;
            for issuer in file.issuers() {
                list.add(issuer.clone());
            }
        }
    }
    Ok(list)
}

/// Documents from `--resolve` files; nothing is fetched yet.
struct LocalResources {
    files: HashMap<String, PathBuf>,
    offline: bool,
}

impl LocalResources {
    fn new(resolve: &[String], offline: bool) -> Result<Self, CliError> {
        let mut files = HashMap::new();
        for entry in resolve {
            let (url, file) = entry.split_once('=').ok_or_else(|| CliError::Usage {
                flag: "--resolve",
                message: format!("{entry:?} is not URL=FILE"),
            })?;
            files.insert(url.to_owned(), PathBuf::from(file));
        }
        Ok(Self { files, offline })
    }

    /// The bytes at `url`, from a `--resolve` file.
    fn url(&self, url: &str) -> Result<Vec<u8>, ResolveError> {
        match self.files.get(url) {
            Some(path) => std::fs::read(path).map_err(|e| ResolveError {
                undecided: true,
                detail: format!("{url}: cannot read {} given by --resolve: {e}", path.display()),
            }),
            None if self.offline => Err(ResolveError {
                undecided: true,
                detail: format!("{url} was not fetched (--offline); supply it with --resolve {url}=FILE"),
            }),
            None => Err(ResolveError {
                undecided: true,
                detail: format!("{url} could not be fetched: this build fetches nothing; supply it with --resolve {url}=FILE"),
            }),
        }
    }
}

impl Resources for LocalResources {
    fn controller_document(&self, id: &str) -> Result<Arc<ControllerDocument>, ResolveError> {
        let url = if id.starts_with("did:web:") {
            let did = Did::parse(id).map_err(|e| ResolveError {
                undecided: false,
                detail: e.to_string(),
            })?;
            did_web_url(&did).map_err(|e| ResolveError {
                undecided: false,
                detail: e.to_string(),
            })?
        } else if id.starts_with("https://") || id.starts_with("http://") {
            id.to_owned()
        } else {
            return Err(ResolveError {
                undecided: false,
                detail: format!(
                    "{id}: Hallmark resolves did:key, did:web and https identifiers only"
                ),
            });
        };
        let bytes = self.url(&url)?;
        let value = json::parse(&bytes).map_err(|e| ResolveError {
            undecided: false,
            detail: format!("{url}: {e}"),
        })?;
        let doc = ControllerDocument::from_json(&value).map_err(|e| ResolveError {
            undecided: false,
            detail: format!("{url}: {e}"),
        })?;
        if doc.id != id {
            return Err(ResolveError {
                undecided: false,
                detail: format!("{url} describes {}, not {id}", doc.id),
            });
        }
        Ok(Arc::new(doc))
    }
}
