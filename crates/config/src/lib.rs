//! Reading the TOML configuration files of `hallmark serve` and `hallmark verifier serve`: one
//! function that reads a file into the service's typed `File` struct, and the error both
//! services report, which always names the file or the key at fault.
//!
//! Where things go: a new configuration key belongs to its service's config module
//! (`hallmark_issuer::config`, `hallmark_verifier::config`: a field of its `File`, checked
//! with an error naming the key, and a row in the README's table); this crate only reads files.

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

/// Reads a boolean written as text (an environment variable): `true`, `1`, `yes` or `false`,
/// `0`, `no`, in any case, with no spaces around. Anything else is refused rather than read as
/// false, so `HALLMARK_OPEN_ISSUE_ENDPOINT=maybe` is an error, not a closed endpoint.
///
/// # Errors
/// [`ConfigError::Invalid`] naming `key` and the value.
pub fn parse_bool(key: &'static str, value: &str) -> Result<bool, ConfigError> {
    const TRUE: [&str; 3] = ["true", "1", "yes"];
    const FALSE: [&str; 3] = ["false", "0", "no"];
    if TRUE.iter().any(|t| value.eq_ignore_ascii_case(t)) {
        Ok(true)
    } else if FALSE.iter().any(|f| value.eq_ignore_ascii_case(f)) {
        Ok(false)
    } else {
        Err(ConfigError::Invalid {
            key,
            message: format!("{value:?} is not a boolean: use true or false (or 1/0, yes/no)"),
        })
    }
}

/// Checks an optional number against the smallest value that makes sense (`1` for a count,
/// a limit or a timeout; the size of a minimal request for a body limit): a smaller one is
/// refused with the key's name, never raised to the minimum.
///
/// # Errors
/// [`ConfigError::Invalid`] naming `key`, the value and the minimum.
pub fn at_least<T>(key: &'static str, value: Option<T>, min: T) -> Result<Option<T>, ConfigError>
where
    T: PartialOrd + std::fmt::Display + Copy,
{
    match value {
        Some(v) if v < min => Err(ConfigError::Invalid {
            key,
            message: format!("{v} is below the smallest accepted value, {min}"),
        }),
        _ => Ok(value),
    }
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

    #[test]
    fn booleans_are_true_false_1_0_yes_no_and_nothing_else() {
        for (text, value) in [
            ("true", true),
            ("TRUE", true),
            ("1", true),
            ("Yes", true),
            ("false", false),
            ("False", false),
            ("0", false),
            ("NO", false),
        ] {
            assert_eq!(parse_bool("HALLMARK_X", text).unwrap(), value, "{text}");
        }
        for text in ["maybe", "", " true", "on", "off", "2", "y", "n", "truee"] {
            let e = parse_bool("HALLMARK_X", text).unwrap_err().to_string();
            assert_eq!(
                e,
                format!("configuration key `HALLMARK_X`: {text:?} is not a boolean: use true or false (or 1/0, yes/no)")
            );
        }
    }

    #[test]
    fn values_below_the_minimum_are_refused_not_raised() {
        assert_eq!(at_least("workers", Some(3_usize), 1).unwrap(), Some(3));
        assert_eq!(at_least("workers", Some(1_usize), 1).unwrap(), Some(1));
        assert_eq!(at_least::<u64>("workers", None, 1).unwrap(), None);
        let e = at_least("workers", Some(0_usize), 1)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "configuration key `workers`: 0 is below the smallest accepted value, 1"
        );
    }
}
