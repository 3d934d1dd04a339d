//! `hallmark key rotate|revoke|list` (the issuer's keys) and `hallmark publish --out DIR`
//! (its public documents as static files), on the data folder of `hallmark serve`. Each
//! opens the issuer as `serve` does (same database, same keys folder) and calls one
//! `hallmark_issuer::Issuer` method; a running server follows the change without a restart.

use std::io::Write;
use std::path::{Path, PathBuf};

use hallmark_issuer::service::KeyInfo;
use hallmark_issuer::{Config, Issuer, Overrides};

use crate::error::{output, CliError};
use crate::serve::{runtime, serve_error};

/// The audit log's name for changes made from the command line.
const ACTOR: &str = "cli";

/// Where the issuer's configuration is: `--config`, else `DATA/config.toml`.
#[derive(Debug, clap::Args)]
pub struct Folder {
    /// The configuration file (default: DATA/config.toml).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The data folder.
    #[arg(long, default_value = "hallmark-data")]
    data: PathBuf,
}

impl Folder {
    fn open(&self) -> Result<(tokio::runtime::Runtime, Issuer), CliError> {
        let path = self
            .config
            .clone()
            .unwrap_or_else(|| self.data.join("config.toml"));
        let config = Config::load(&path, &Overrides::default()).map_err(serve_error)?;
        let rt = runtime()?;
        let issuer = rt.block_on(Issuer::open(config)).map_err(serve_error)?;
        Ok((rt, issuer))
    }
}

/// `hallmark key` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum KeyCommand {
    /// Make a new current signing key; the old one is retired (it stays in the did:web
    /// document, so what it signed still verifies, and never signs again). Status lists are
    /// re-signed with the new key. A did:key issuer cannot rotate.
    Rotate {
        #[command(flatten)]
        folder: Folder,
    },
    /// Revoke a retired key: it leaves the did:web document, so every badge it signed fails
    /// verification (they are listed). Rotate first to revoke the current key.
    Revoke {
        /// The key: its method id (did:web:…#z6Mk…), its publicKeyMultibase, or a unique
        /// prefix of it.
        key: String,
        /// Why (kept privately in the registry and the audit log), e.g. "compromised".
        #[arg(long)]
        reason: String,
        /// Then issue each badge it signed again with the current key (same facts and
        /// validity, superseding the old one); badges already revoked or expired are
        /// skipped. With a key revoked before, only re-issues what is left.
        #[arg(long)]
        reissue: bool,
        #[command(flatten)]
        folder: Folder,
    },
    /// List the issuer's keys: state, dates, and how many badges each signed.
    List {
        /// One JSON array instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        folder: Folder,
    },
}

/// Runs `hallmark key …`.
///
/// # Errors
/// [`CliError::Serve`] naming what was refused (a did:key issuer, the current key, an
/// unknown key) or the configuration, keys or database problem.
pub fn run(command: KeyCommand) -> Result<u8, CliError> {
    match command {
        KeyCommand::Rotate { folder } => {
            let (rt, issuer) = folder.open()?;
            let rotated = rt.block_on(issuer.rotate_key(ACTOR)).map_err(serve_error)?;
            println!(
                "{}",
                issuer.keys().method_id_of(&rotated.current.public_key)
            );
            eprintln!(
                "key {} is current (file {}); key {} is retired: it stays in the DID document and signs nothing more",
                rotated.current.public_key,
                rotated.file.display(),
                rotated.retired.public_key
            );
            eprintln!(
                "{} status list(s) re-signed with the new key; copy {} to every host that runs `hallmark serve` on this database",
                rotated.lists.len(),
                rotated.file.display()
            );
            rt.block_on(issuer.store().close());
            Ok(0)
        }
        KeyCommand::Revoke {
            key,
            reason,
            reissue,
            folder,
        } => {
            let (rt, issuer) = folder.open()?;
            let revoked = match rt.block_on(issuer.revoke_key(ACTOR, &key, &reason)) {
                // A re-issue interrupted before: finish it.
                Err(hallmark_issuer::service::KeyChangeError::AlreadyRevoked { .. }) if reissue => {
                    None
                }
                other => Some(other.map_err(serve_error)?),
            };
            let Some(revoked) = revoked else {
                let code = reissue_all(&rt, &issuer, &key)?;
                rt.block_on(issuer.store().close());
                return Ok(code);
            };
            let mut out = std::io::stdout().lock();
            for url in &revoked.credentials {
                writeln!(out, "{url}").map_err(output)?;
            }
            eprintln!(
                "key {} revoked: it is no longer in the DID document; {} badge(s) it signed no longer verify{}",
                revoked.key.public_key,
                revoked.credentials.len(),
                if revoked.credentials.is_empty() { "" } else { " (listed above): issue them again" }
            );
            if !revoked.lists.is_empty() {
                eprintln!(
                    "{} status list(s) it had signed re-signed with the current key",
                    revoked.lists.len()
                );
            }
            let code = if reissue {
                drop(out);
                reissue_all(&rt, &issuer, &key)?
            } else {
                0
            };
            rt.block_on(issuer.store().close());
            Ok(code)
        }
        KeyCommand::List { json, folder } => {
            let (rt, issuer) = folder.open()?;
            let keys = rt.block_on(issuer.key_list()).map_err(serve_error)?;
            rt.block_on(issuer.store().close());
            let mut out = std::io::stdout().lock();
            if json {
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&keys)
                        .map_err(|e| CliError::Serve(e.to_string()))?
                )
                .map_err(output)?;
            } else {
                write_table(&mut out, &keys).map_err(output)?;
            }
            Ok(0)
        }
    }
}

/// `--reissue`: every badge revoked key `key` signed, issued again with the current key.
/// Prints `OLD_URL NEW_URL` per badge re-issued on stdout, skips on stderr; exit 0, or 1 when
/// a re-issue failed for another reason than being revoked or expired already.
fn reissue_all(
    rt: &tokio::runtime::Runtime,
    issuer: &hallmark_issuer::Issuer,
    key: &str,
) -> Result<u8, CliError> {
    use hallmark_issuer::service::ReissueError;
    let results = rt
        .block_on(issuer.reissue_signed_by(ACTOR, key))
        .map_err(serve_error)?;
    let mut out = std::io::stdout().lock();
    let (mut done, mut skipped, mut failed) = (0, 0, 0);
    for (id, result) in results {
        let old = issuer.credential_url(&id);
        match result {
            Ok(approved) => {
                done += 1;
                let new = issuer.credential_url(&approved.credential.row.id);
                writeln!(out, "{old} {new}").map_err(output)?;
            }
            Err(
                e @ (ReissueError::Revoked { .. }
                | ReissueError::Expired { .. }
                | ReissueError::NotABadge { .. }),
            ) => {
                skipped += 1;
                eprintln!("skipped {old}: {e}");
            }
            Err(e) => {
                failed += 1;
                eprintln!("could not re-issue {old}: {e}");
            }
        }
    }
    eprintln!("{done} badge(s) issued again with the current key (each supersedes the old one; send the new ones to their partners), {skipped} skipped, {failed} failed");
    Ok(u8::from(failed > 0))
}

/// The key list as a table: key, state, created, retired, revoked (UTC dates), badges.
fn write_table(out: &mut impl Write, keys: &[KeyInfo]) -> std::io::Result<()> {
    let date = |t: Option<i64>| {
        t.and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
            .map_or("-".to_owned(), |t| {
                format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
            })
    };
    let width = keys
        .iter()
        .map(|k| k.row.public_key.len())
        .max()
        .unwrap_or(3)
        .max(3);
    writeln!(
        out,
        "{:width$}  {:8}  {:10}  {:10}  {:10}  BADGES",
        "KEY", "STATE", "CREATED", "RETIRED", "REVOKED"
    )?;
    for k in keys {
        writeln!(
            out,
            "{:width$}  {:8}  {:10}  {:10}  {:10}  {}",
            k.row.public_key,
            k.row.state.as_str(),
            date(Some(k.row.created_at)),
            date(k.row.retired_at),
            date(k.row.revoked_at),
            k.signed
        )?;
    }
    Ok(())
}

/// Arguments of `hallmark publish`.
#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    /// The folder to write: DIR/.well-known/did.json and DIR/status/<list>, the bytes the
    /// issuer serves, for a static host or CDN at the issuer's base_url.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    folder: Folder,
}

/// Runs `hallmark publish`: writes the DID document (did:web issuers) and every status list
/// under `--out`, printing each file written.
///
/// # Errors
/// [`CliError::Write`] naming the file; [`CliError::Serve`] for the configuration, keys or
/// database.
pub fn publish(args: PublishArgs) -> Result<u8, CliError> {
    let (rt, issuer) = args.folder.open()?;
    let written = rt.block_on(async {
        let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
        if issuer.keys().is_did_web() {
            let did = issuer.did_document_text().await.map_err(serve_error)?;
            files.push((PathBuf::from(".well-known/did.json"), did.into_bytes()));
        } else {
            eprintln!(
                "the issuer {} is a did:key: it has no DID document to publish",
                issuer.keys().issuer()
            );
        }
        let store = issuer.store();
        for id in store.status_list_ids().await.map_err(serve_error)? {
            // A list id is one file name (`revocation-1`); anything else would write outside
            // the folder.
            let plain = !id.is_empty()
                && !id.starts_with('.')
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
            if !plain {
                return Err(CliError::Serve(format!(
                    "status list {id:?}: not a plain file name; nothing was written"
                )));
            }
            if let Some(row) = store.status_list(&id).await.map_err(serve_error)? {
                files.push((Path::new("status").join(&id), row.document.into_bytes()));
            }
        }
        store.close().await;
        Ok::<_, CliError>(files)
    })?;
    let mut out = std::io::stdout().lock();
    for (relative, bytes) in &written {
        let path = args.out.join(relative);
        write_atomically(&path, bytes)?;
        writeln!(out, "{}", path.display()).map_err(output)?;
    }
    eprintln!(
        "{} file(s) written under {}; serve them at {} (status lists as application/json)",
        written.len(),
        args.out.display(),
        issuer.config().base_url
    );
    Ok(0)
}

/// Writes `bytes` to `path` through a temporary file renamed over it, so a static server
/// never serves half a document.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let failed = |source| CliError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    std::fs::write(&temporary, bytes)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(failed)
}
