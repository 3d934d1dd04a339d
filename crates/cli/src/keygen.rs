//! `hallmark keygen`: a new Ed25519 key file, created with mode 0600 and never overwritten.

use std::io::Write;
use std::path::{Path, PathBuf};

use hallmark_core::did::Did;
use hallmark_core::keys::{KeyFile, SecretKey};
use zeroize::Zeroizing;

use crate::error::{output, CliError};

/// Arguments of `hallmark keygen`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the key file (refuses to overwrite an existing file).
    #[arg(long, default_value = "hallmark-key.json")]
    out: PathBuf,
}

/// Runs `hallmark keygen`: writes the key file and prints its did:key.
///
/// # Errors
/// [`CliError::KeyExists`], [`CliError::Write`].
pub fn run(args: Args) -> Result<u8, CliError> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut_slice()).map_err(|e| CliError::Write {
        path: args.out.clone(),
        source: std::io::Error::other(format!("no system randomness: {e}")),
    })?;
    let file = KeyFile::new(SecretKey::from_seed(&seed));
    write_key_file(&args.out, &file)?;
    let did = Did::key(&file.public_key());
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{did}").map_err(output)?;
    eprintln!("wrote {} (mode 0600); keep it secret", args.out.display());
    Ok(0)
}

/// Writes a key file that did not exist before, readable by its owner only.
///
/// # Errors
/// [`CliError::KeyExists`] when the path exists, [`CliError::Write`] otherwise.
pub fn write_key_file(path: &Path, file: &KeyFile) -> Result<(), CliError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut handle = options.open(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            CliError::KeyExists(path.to_owned())
        } else {
            CliError::Write {
                path: path.to_owned(),
                source,
            }
        }
    })?;
    let json = file.to_json();
    handle
        .write_all(json.expose().as_bytes())
        .and_then(|()| handle.sync_all())
        .map_err(|source| {
            // Leave no half-written key behind.
            let _ = std::fs::remove_file(path);
            CliError::Write {
                path: path.to_owned(),
                source,
            }
        })
}

/// Reads a key file.
///
/// # Errors
/// [`CliError::Read`], [`CliError::Key`].
pub fn read_key_file(path: &Path) -> Result<KeyFile, CliError> {
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })?);
    KeyFile::from_json(&bytes).map_err(|source| CliError::Key {
        path: path.to_owned(),
        source,
    })
}
