//! Errors of the `hallmark` command, each with a hint saying what to do; all exit with 2.

use std::path::PathBuf;

/// Why a command could not run.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A key file exists where a new one would go.
    #[error("{0} already exists; not overwriting a key")]
    KeyExists(PathBuf),
    /// A key file is not valid.
    #[error("key file {path}: {source}")]
    Key {
        /// The file.
        path: PathBuf,
        /// Why.
        source: hallmark_core::keys::KeyError,
    },
    /// A credential to sign is not acceptable.
    #[error("cannot sign {input}: {source}")]
    Credential {
        /// The input's name.
        input: String,
        /// Why.
        source: hallmark_core::credential::CredentialError,
    },
    /// A badge could not be built.
    #[error("cannot build the badge: {0}")]
    Badge(#[from] hallmark_core::badge::BadgeError),
    /// A proof could not be made.
    #[error("cannot sign: {0}")]
    Proof(#[from] hallmark_core::proof::ProofError),
    /// A flag's value is wrong.
    #[error("{flag}: {message}")]
    Usage {
        /// The flag.
        flag: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A trust list file is not valid.
    #[error("trust list {path}: {message}")]
    TrustFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A status list is not usable.
    #[error("status list: {0}")]
    StatusList(String),
    /// A URL input could not be fetched.
    #[error("{0}")]
    Fetch(String),
    /// The issuer service could not start or run.
    #[error("{0}")]
    Serve(String),
    /// An input is a PNG or SVG image without one readable Open Badges 3.0 credential baked in
    /// (OB 3.0 §5.3).
    #[error("{input}: {source}")]
    Baked {
        /// The input as given.
        input: String,
        /// What is wrong with the image.
        source: hallmark_core::baked::BakedError,
    },
    /// A service's address is taken (by another process, or another `hallmark serve`). One
    /// line, with what to do in it.
    #[error("{0} is already in use; choose another address with --listen, e.g. --listen {next}", next = next_port(.0))]
    AddressInUse(std::net::SocketAddr),
    /// `hallmark approvals import` could not run: the file, the server or the token.
    #[error("{0}")]
    Import(String),
    /// `hallmark scorecards import` could not run: the file, the server or the token.
    #[error("{0}")]
    Scorecards(String),
    /// `hallmark kpis` could not read the KPIs: the server, the token, a refused parameter.
    #[error("{0}")]
    Kpis(String),
    /// `hallmark web export` could not write the folder.
    #[error("{0}")]
    Export(String),
    /// `hallmark web export` was given a folder holding other files, without `--force`.
    #[error("{dir} holds other files ({list}); not writing the verifier into it", list = others.join(", "))]
    ExportNotEmpty {
        /// The folder.
        dir: PathBuf,
        /// What else is in it.
        others: Vec<String>,
    },
    /// stdout was closed (e.g. piped into `head`): not an error.
    #[error("broken pipe")]
    BrokenPipe,
    /// Writing to stdout failed.
    #[error("cannot write output: {0}")]
    Output(std::io::Error),
}

impl CliError {
    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Self::Read { .. } => "check the path; use - to read standard input".into(),
            Self::Write { .. } => "check that the folder exists and is writable".into(),
            Self::KeyExists(path) => format!(
                "choose another --out, or remove {} first if you really mean to replace that key",
                path.display()
            ),
            Self::Key { .. } => {
                "a key file is the JSON written by `hallmark keygen` (publicKeyMultibase z6Mk…, secretKeyMultibase z3u2…)".into()
            }
            Self::Credential { .. } => {
                "the input must be one JSON object with @context starting https://www.w3.org/ns/credentials/v2, a type including VerifiableCredential, an issuer and a credentialSubject".into()
            }
            Self::Badge(_) => "see `hallmark issue --help` for the fields a badge needs".into(),
            Self::Usage { flag, .. } => format!("see `hallmark --help` for {flag}"),
            Self::TrustFile { .. } => {
                r#"a trust list file is {"issuers": [{"id": "did:web:agency.example", "name": "Agency"}]}"#.into()
            }
            Self::Serve(_) => "`hallmark serve --help` and `hallmark verifier serve --help` list the options; `hallmark serve --demo` writes a working issuer configuration".into(),
            Self::StatusList(_) => "see `hallmark status-list --help`".into(),
            Self::Baked { .. } => "give the badge's JSON, or a PNG or SVG baked with its credential (an openbadgecredential iTXt chunk or an <openbadges:credential> element), such as an issuer's /badges/{id}/baked.png".into(),
            Self::Import(_) => "`hallmark approvals import --help` describes the file; rows already issued are skipped when the import is run again".into(),
            Self::Scorecards(_) => "check the issuer's address (--server; is `hallmark serve` running?), the token (HALLMARK_TOKEN, of the issuer or admin role) and the file (`hallmark scorecards import --help` describes it: CSV with the header partner_id,period,<metrics…>, or a JSON array)".into(),
            Self::Kpis(_) => "`hallmark kpis --help` lists the flags; HALLMARK_TOKEN holds the token".into(),
            Self::Export(message) if message.contains("without the WebAssembly") => {
                "run scripts/build-wasm.sh, then rebuild hallmark (cargo build -p hallmark)".into()
            }
            Self::Export(_) => "`hallmark web export --help` describes the folder".into(),
            Self::ExportNotEmpty { .. } => {
                "choose an empty or new folder, or pass --force to add the verifier's files beside the others (they are left as they are)".into()
            }
            Self::Fetch(_) => "only https URLs on public addresses are fetched; save the badge and pass the file instead".into(),
            Self::Proof(_) | Self::BrokenPipe | Self::Output(_) | Self::AddressInUse(_) => {
                return None
            }
        })
    }
}

/// The same address on the next port, for a suggestion.
fn next_port(addr: &std::net::SocketAddr) -> std::net::SocketAddr {
    let mut next = *addr;
    next.set_port(addr.port().checked_add(1).unwrap_or(8080));
    next
}

/// Maps a stdout write error, treating a closed pipe as a quiet stop.
pub fn output(e: std::io::Error) -> CliError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        CliError::BrokenPipe
    } else {
        CliError::Output(e)
    }
}

/// The most bytes an input (a credential, a presentation, a baked badge image) is read to:
/// `/dev/zero` or a huge file named in a claims file is refused, not read until memory ends.
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// Reads a file, or standard input for `-`, up to [`MAX_INPUT_BYTES`].
///
/// # Errors
/// [`CliError::Read`], also for an input larger than [`MAX_INPUT_BYTES`].
pub fn read_input(path: &str) -> Result<Vec<u8>, CliError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let result = if path == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_INPUT_BYTES + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes))
    };
    let result = result.and_then(|n| {
        if n as u64 > MAX_INPUT_BYTES {
            Err(std::io::Error::other(format!(
                "it is larger than {MAX_INPUT_BYTES} bytes"
            )))
        } else {
            Ok(())
        }
    });
    result.map(|()| bytes).map_err(|source| CliError::Read {
        path: PathBuf::from(path),
        source,
    })
}
