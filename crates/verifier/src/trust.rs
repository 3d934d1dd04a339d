//! The trust list, reloaded from its files when they change (their modification time or
//! length; checked at most once a second by the verifier's clock), so an operator edits it
//! without a restart. A file that fails to parse keeps the previous list and is logged.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use hallmark_core::clock::Clock;

use hallmark_core::trust::{TrustFileError, TrustList, TrustedIssuer};

/// A trust-list file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// It cannot be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// It is not a trust list.
    #[error("{}: {source}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        source: TrustFileError,
    },
}

/// Trusted issuers from inline ids and reloadable files.
#[derive(Debug)]
pub struct TrustStore {
    files: Vec<PathBuf>,
    inline: Vec<String>,
    loaded: RwLock<Loaded>,
    clock: Arc<dyn Clock>,
}

/// What says a file changed: its modification time and length (an edit within the file
/// system's timestamp granularity still changes the length, as a rewrite usually does).
type Stamp = Option<(SystemTime, u64)>;

fn stamp(file: &PathBuf) -> Stamp {
    let meta = std::fs::metadata(file).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

#[derive(Debug)]
struct Loaded {
    list: Option<Arc<TrustList>>,
    mtimes: Vec<Stamp>,
    checked: Instant,
}

impl TrustStore {
    /// A store over these files and inline ids.
    ///
    /// # Errors
    /// A file that cannot be read or parsed at start.
    pub fn new(
        files: Vec<PathBuf>,
        inline: Vec<String>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, TrustError> {
        let (list, mtimes) = load(&files, &inline)?;
        Ok(Self {
            files,
            inline,
            loaded: RwLock::new(Loaded {
                list,
                mtimes,
                checked: clock.now(),
            }),
            clock,
        })
    }

    /// The current list; `None` when no trust list is configured (the `trust` check warns).
    pub fn current(&self) -> Option<Arc<TrustList>> {
        let stale = self
            .loaded
            .read()
            .map(|l| self.clock.now().duration_since(l.checked) >= Duration::from_secs(1))
            .unwrap_or(false);
        if stale && !self.files.is_empty() {
            self.refresh();
        }
        self.loaded.read().ok().and_then(|l| l.list.clone())
    }

    fn refresh(&self) {
        let mtimes: Vec<Stamp> = self.files.iter().map(stamp).collect();
        let Ok(mut loaded) = self.loaded.write() else {
            return;
        };
        loaded.checked = self.clock.now();
        if mtimes == loaded.mtimes {
            return;
        }
        match load(&self.files, &self.inline) {
            Ok((list, mtimes)) => {
                tracing::info!(
                    "trust list reloaded: {} issuer(s)",
                    list.as_ref().map_or(0, |l| l.issuers().len())
                );
                loaded.list = list;
                loaded.mtimes = mtimes;
            }
            Err(e) => {
                tracing::warn!("trust list not reloaded, keeping the previous one: {e}");
                loaded.mtimes = mtimes;
            }
        }
    }
}

type LoadResult = Result<(Option<Arc<TrustList>>, Vec<Stamp>), TrustError>;

fn load(files: &[PathBuf], inline: &[String]) -> LoadResult {
    if files.is_empty() && inline.is_empty() {
        return Ok((None, Vec::new()));
    }
    let mut list = TrustList::new();
    for id in inline {
        list.add(TrustedIssuer {
            id: id.clone(),
            name: None,
        });
    }
    let mut mtimes = Vec::new();
    for file in files {
        let bytes = std::fs::read(file).map_err(|source| TrustError::Read {
            path: file.clone(),
            source,
        })?;
        mtimes.push(stamp(file));
        let parsed = TrustList::from_json(&bytes).map_err(|source| TrustError::Parse {
            path: file.clone(),
            source,
        })?;
        for issuer in parsed.issuers() {
            list.add(issuer.clone());
        }
    }
    Ok((Some(Arc::new(list)), mtimes))
}
