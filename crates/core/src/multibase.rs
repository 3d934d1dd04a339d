//! Multibase strings (draft-multiformats-multibase): a one-character prefix naming the base,
//! then the encoded bytes. Hallmark uses base58btc (`z`) for keys and `proofValue`.

use std::fmt;

/// Why a multibase string could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MultibaseError {
    /// The string is empty.
    #[error("empty multibase string")]
    Empty,
    /// The prefix names a base this code does not accept here.
    #[error("multibase prefix {prefix:?} is not base58btc ('z')")]
    UnsupportedBase {
        /// The first character found.
        prefix: char,
    },
    /// The body is not valid in the named base.
    #[error("invalid base58btc text: {0}")]
    Invalid(String),
}

/// A base58btc multibase string (`z…`), checked to decode.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Multibase(String);

impl Multibase {
    /// Encodes `bytes` as base58btc with the `z` prefix.
    pub fn encode_base58btc(bytes: &[u8]) -> Self {
        let mut s = String::with_capacity(1 + bytes.len() * 138 / 100 + 1);
        s.push('z');
        s.push_str(&bs58::encode(bytes).into_string());
        Self(s)
    }

    /// Checks that `text` is base58btc multibase and decodes it.
    ///
    /// # Errors
    /// [`MultibaseError`] when the prefix is missing, is another base, or the body is invalid.
    pub fn decode_base58btc(text: &str) -> Result<Vec<u8>, MultibaseError> {
        let mut chars = text.chars();
        match chars.next() {
            None => Err(MultibaseError::Empty),
            Some('z') => bs58::decode(chars.as_str())
                .into_vec()
                .map_err(|e| MultibaseError::Invalid(e.to_string())),
            Some(prefix) => Err(MultibaseError::UnsupportedBase { prefix }),
        }
    }

    /// The text, prefix included.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Multibase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Multibase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Multibase({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_names_bad_input() {
        let m = Multibase::encode_base58btc(&[0, 0, 1, 2, 255]);
        assert_eq!(m.as_str(), "z11LiA");
        assert_eq!(
            Multibase::decode_base58btc("z11LiA").unwrap(),
            [0, 0, 1, 2, 255]
        );
        assert_eq!(Multibase::decode_base58btc(""), Err(MultibaseError::Empty));
        assert_eq!(
            Multibase::decode_base58btc("uAAE"),
            Err(MultibaseError::UnsupportedBase { prefix: 'u' })
        );
        assert!(matches!(
            Multibase::decode_base58btc("z0OIl"),
            Err(MultibaseError::Invalid(_))
        ));
    }
}
