//! `hallmark web export DIR`: the standalone in-browser verifier (issue 16) as a static folder
//! any web host can serve — its page as `index.html`, its scripts, the WebAssembly builds and
//! the style sheet, all from the assets embedded in this binary (`hallmark_web::browser`).
//!
//! The folder is created when missing. A folder holding anything besides the files written
//! here is refused unless `--force`; even then only those files are replaced, never others.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{output, CliError};

/// `hallmark web …`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Write the standalone verifier page (index.html, its scripts, the WebAssembly builds,
    /// style.css) into DIR, to serve from any static host. It verifies badges in the visitor's
    /// browser; link to a badge with index.html#url=BADGE_URL.
    Export {
        /// The folder to write (created when missing).
        dir: PathBuf,
        /// Write into a folder that holds other files too (they are left as they are; the
        /// verifier's own files are replaced).
        #[arg(long)]
        force: bool,
    },
}

/// The exported files: (name in the folder, name of the embedded asset).
pub const EXPORTED: &[(&str, &str)] = &[
    ("index.html", "standalone.html"),
    ("standalone.js", "standalone.js"),
    ("states.js", "states.js"),
    ("verify-browser.js", "verify-browser.js"),
    ("hallmark_verify_jcs.js", "hallmark_verify_jcs.js"),
    ("hallmark_verify_jcs_bg.wasm", "hallmark_verify_jcs_bg.wasm"),
    ("hallmark_verify_rdfc.js", "hallmark_verify_rdfc.js"),
    (
        "hallmark_verify_rdfc_bg.wasm",
        "hallmark_verify_rdfc_bg.wasm",
    ),
    ("style.css", "style.css"),
];

/// Runs a `hallmark web` command.
pub fn run(command: Command) -> Result<u8, CliError> {
    match command {
        Command::Export { dir, force } => export(&dir, force),
    }
}

fn export(dir: &Path, force: bool) -> Result<u8, CliError> {
    if !hallmark_web::browser::BUILT {
        return Err(CliError::Export(
            "this hallmark was built without the WebAssembly verifier (web/pkg was empty when it was compiled)".into(),
        ));
    }
    let files = EXPORTED
        .iter()
        .map(|(name, asset)| {
            hallmark_web::page::asset(asset)
                .map(|(_, bytes)| (*name, bytes))
                .ok_or_else(|| CliError::Export(format!("the embedded asset {asset} is missing")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if dir.exists() && !dir.is_dir() {
        return Err(CliError::Export(format!(
            "{} exists and is not a folder",
            dir.display()
        )));
    }
    if dir.is_dir() && !force {
        let others = foreign_entries(dir)?;
        if !others.is_empty() {
            return Err(CliError::ExportNotEmpty {
                dir: dir.to_path_buf(),
                others,
            });
        }
    }
    std::fs::create_dir_all(dir).map_err(|source| CliError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut stdout = std::io::stdout().lock();
    let mut total = 0;
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|source| CliError::Write {
            path: path.clone(),
            source,
        })?;
        total += bytes.len();
        writeln!(stdout, "{:>9}  {}", bytes.len(), path.display()).map_err(output)?;
    }
    writeln!(
        stdout,
        "{total:>9}  bytes in {} files; serve {} and open index.html (index.html#url=BADGE_URL links to a badge)",
        EXPORTED.len(),
        dir.display()
    )
    .map_err(output)?;
    Ok(0)
}

/// The names in `dir` that are not files this command writes (sorted).
fn foreign_entries(dir: &Path) -> Result<Vec<String>, CliError> {
    let read = |source| CliError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut others = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read)? {
        let entry = entry.map_err(read)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = EXPORTED.iter().any(|(n, _)| *n == name);
        if !ours || !entry.file_type().map_err(read)?.is_file() {
            others.push(name);
        }
    }
    others.sort();
    Ok(others)
}
