//! Reading the TOML configuration files of `hallmark serve` and `hallmark verifier serve`: one
//! function that reads a file into the service's typed `File` struct, and the error both
//! services report, which always names the file or the key at fault.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

/// Why a configuration was refused; always names the file or the key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown or mistyped keys.
    #[error("{path}: {message}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// The parser's message, which names the key and line.
        message: String,
    },
    /// A key has a value that cannot be used.
    #[error("configuration key `{key}`: {message}")]
    Invalid {
        /// The key (or environment variable).
        key: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// Reads `path` as TOML into `T` (a struct that refuses unknown keys, as the services' do).
///
/// # Errors
/// [`ConfigError::Read`] when the file cannot be read, [`ConfigError::Toml`] when it is not
/// TOML or does not fit `T` (the message names the key and line).
pub fn read_toml<T: DeserializeOwned>(path: &Path) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Toml {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        listen: String,
    }

    #[test]
    fn errors_name_the_file_and_the_key() {
        let dir = std::env::temp_dir().join(format!("hallmark-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.toml");
        std::fs::write(&good, "listen = \"127.0.0.1:1\"\n").unwrap();
        assert_eq!(read_toml::<File>(&good).unwrap().listen, "127.0.0.1:1");

        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "listen = \"x\"\nlsiten = 1\n").unwrap();
        let e = read_toml::<File>(&bad).unwrap_err().to_string();
        assert!(e.contains("bad.toml") && e.contains("lsiten"), "{e}");

        let missing = dir.join("missing.toml");
        let e = read_toml::<File>(&missing).unwrap_err().to_string();
        assert!(
            e.starts_with("cannot read") && e.contains("missing.toml"),
            "{e}"
        );
    }
}
