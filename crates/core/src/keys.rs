//! Ed25519 keys as Multikey (Controlled Identifiers 1.0 §2.2.2): `publicKeyMultibase` is
//! base58btc of `0xed 0x01` ‖ 32-byte key (`z6Mk…`), `secretKeyMultibase` is base58btc of
//! `0x80 0x26` ‖ 32-byte seed (`z3u2…`).
//!
//! A [`SecretKey`] has no `Debug` or `Display`: the only way to see its text is
//! [`SecretKey::to_multibase`], which returns a [`SecretString`] that zeroizes on drop.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde_json::{json, Value};
use zeroize::Zeroizing;

use crate::multibase::{Multibase, MultibaseError};

/// Multicodec header of an Ed25519 public key (`ed25519-pub`, 0xed, as unsigned varint).
pub const ED25519_PUB_HEADER: [u8; 2] = [0xed, 0x01];
/// Multicodec header of an Ed25519 secret key (`ed25519-priv`, 0x1300, as unsigned varint).
pub const ED25519_PRIV_HEADER: [u8; 2] = [0x80, 0x26];

/// Why key material was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The multibase text did not decode.
    #[error("{field}: {source}")]
    Multibase {
        /// The field or role of the text (`publicKeyMultibase`, …).
        field: &'static str,
        /// What was wrong with it.
        source: MultibaseError,
    },
    /// The decoded bytes carry another multicodec than Ed25519, or the wrong length.
    #[error("{field} is not an Ed25519 {kind} key (expected multicodec 0x{expected:02x}{expected2:02x} and 32 bytes, got {len} bytes starting {found})")]
    WrongCodec {
        /// The field or role of the text.
        field: &'static str,
        /// `public` or `secret`.
        kind: &'static str,
        /// First header byte expected.
        expected: u8,
        /// Second header byte expected.
        expected2: u8,
        /// Length of the decoded bytes.
        len: usize,
        /// Hex of the first two decoded bytes.
        found: String,
    },
    /// The public key bytes are not a valid curve point.
    #[error("{field} is not a valid Ed25519 point")]
    InvalidPoint {
        /// The field or role of the text.
        field: &'static str,
    },
    /// A key file's public key does not belong to its secret key.
    #[error("the key file's publicKeyMultibase does not match its secret key")]
    Mismatch,
    /// A key file is not the expected JSON.
    #[error("not a key file: {0}")]
    File(String),
}

/// An Ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Parses `publicKeyMultibase` text (`z6Mk…`).
    ///
    /// # Errors
    /// [`KeyError`] when the text is not base58btc, not the Ed25519 multicodec, or not a point.
    pub fn from_multibase(text: &str) -> Result<Self, KeyError> {
        Self::from_multibase_field(text, "publicKeyMultibase")
    }

    pub(crate) fn from_multibase_field(text: &str, field: &'static str) -> Result<Self, KeyError> {
        let bytes = Multibase::decode_base58btc(text)
            .map_err(|source| KeyError::Multibase { field, source })?;
        let raw = strip_header(&bytes, ED25519_PUB_HEADER, field, "public")?;
        VerifyingKey::from_bytes(&raw)
            .map(Self)
            .map_err(|_| KeyError::InvalidPoint { field })
    }

    /// The key whose RFC 8032 encoding is `bytes` (a point that decompresses; small-order
    /// points are accepted here and refused by [`PublicKey::verify_strict`]).
    ///
    /// # Errors
    /// [`KeyError::InvalidPoint`] when the bytes are not a curve point.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, KeyError> {
        VerifyingKey::from_bytes(bytes)
            .map(Self)
            .map_err(|_| KeyError::InvalidPoint {
                field: "public key",
            })
    }

    /// The decompressed point (batch verification).
    #[cfg(feature = "batch")]
    pub(crate) fn point(&self) -> curve25519_dalek::EdwardsPoint {
        self.0.to_edwards()
    }

    /// The `publicKeyMultibase` text (`z6Mk…`).
    pub fn to_multibase(&self) -> Multibase {
        let mut bytes = Vec::with_capacity(34);
        bytes.extend_from_slice(&ED25519_PUB_HEADER);
        bytes.extend_from_slice(self.0.as_bytes());
        Multibase::encode_base58btc(&bytes)
    }

    /// The 32 raw key bytes (RFC 8032 encoding).
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// Verifies an Ed25519 signature with `verify_strict` (rejects non-canonical `S ≥ L`,
    /// small-order keys and small-order `R`).
    pub fn verify_strict(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        let signature = Signature::from_bytes(signature);
        self.0.verify_strict(message, &signature).is_ok()
    }
}

/// An Ed25519 secret key. Deliberately neither `Debug`, `Display` nor `Clone`.
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// The key whose RFC 8032 seed is `seed` (32 random bytes from the caller's CSPRNG).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(SigningKey::from_bytes(seed))
    }

    /// Parses `secretKeyMultibase` text (`z3u2…`).
    ///
    /// # Errors
    /// [`KeyError`] when the text is not base58btc or not the Ed25519 secret multicodec.
    pub fn from_multibase(text: &str) -> Result<Self, KeyError> {
        let field = "secretKeyMultibase";
        let bytes = Zeroizing::new(
            Multibase::decode_base58btc(text)
                .map_err(|source| KeyError::Multibase { field, source })?,
        );
        let seed = Zeroizing::new(strip_header(&bytes, ED25519_PRIV_HEADER, field, "secret")?);
        Ok(Self::from_seed(&seed))
    }

    /// The `secretKeyMultibase` text, in a string that is wiped when dropped.
    pub fn to_multibase(&self) -> SecretString {
        let mut bytes = Zeroizing::new(Vec::with_capacity(34));
        bytes.extend_from_slice(&ED25519_PRIV_HEADER);
        bytes.extend_from_slice(self.0.as_bytes());
        SecretString(Zeroizing::new(
            Multibase::encode_base58btc(&bytes).as_str().to_owned(),
        ))
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Signs `message` (RFC 8032 Ed25519, deterministic).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

/// Secret text that is zeroized on drop and never printed by `Debug`.
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// The secret text. Write it only where secrets belong (a 0600 key file).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretString(…)")
    }
}

/// A key file (docs/design.md §4):
/// `{"type":"Multikey","publicKeyMultibase":…,"secretKeyMultibase":…}`.
/// Also reads the W3C test-vector form, which names the secret `privateKeyMultibase`.
pub struct KeyFile {
    secret: SecretKey,
}

impl KeyFile {
    /// Wraps a secret key.
    pub fn new(secret: SecretKey) -> Self {
        Self { secret }
    }

    /// Parses a key file's JSON text.
    ///
    /// # Errors
    /// [`KeyError::File`] when it is not a JSON object with a secret key,
    /// [`KeyError::Mismatch`] when its public key belongs to another secret key, and the
    /// multibase errors of [`SecretKey::from_multibase`] and [`PublicKey::from_multibase`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, KeyError> {
        let value = crate::json::parse(bytes).map_err(|e| KeyError::File(e.to_string()))?;
        let obj = value
            .as_object()
            .ok_or_else(|| KeyError::File("expected a JSON object".into()))?;
        let text = |name: &str| obj.get(name).and_then(Value::as_str);
        let secret_text = text("secretKeyMultibase")
            .or_else(|| text("privateKeyMultibase"))
            .ok_or_else(|| {
                KeyError::File("no secretKeyMultibase (or privateKeyMultibase) string".into())
            })?;
        let secret = SecretKey::from_multibase(secret_text)?;
        if let Some(public) = text("publicKeyMultibase") {
            if PublicKey::from_multibase(public)? != secret.public_key() {
                return Err(KeyError::Mismatch);
            }
        }
        Ok(Self { secret })
    }

    /// The key file's JSON text (pretty, with a final newline). Contains the secret.
    pub fn to_json(&self) -> SecretString {
        let secret = self.secret.to_multibase();
        let value = json!({
            "type": "Multikey",
            "publicKeyMultibase": self.secret.public_key().to_multibase().as_str(),
            "secretKeyMultibase": secret.expose(),
        });
        let mut text = Zeroizing::new(serde_json::to_string_pretty(&value).unwrap_or_default());
        text.push('\n');
        SecretString(text)
    }

    /// The secret key.
    pub fn secret_key(&self) -> &SecretKey {
        &self.secret
    }

    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        self.secret.public_key()
    }
}

fn strip_header(
    bytes: &[u8],
    header: [u8; 2],
    field: &'static str,
    kind: &'static str,
) -> Result<[u8; 32], KeyError> {
    match bytes {
        [a, b, rest @ ..] if [*a, *b] == header && rest.len() == 32 => {
            let mut out = [0u8; 32];
            out.copy_from_slice(rest);
            Ok(out)
        }
        _ => Err(KeyError::WrongCodec {
            field,
            kind,
            expected: header[0],
            expected2: header[1],
            len: bytes.len(),
            found: bytes.iter().take(2).map(|b| format!("{b:02x}")).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W3C_PUBLIC: &str = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
    const W3C_SECRET: &str = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq";

    #[test]
    fn w3c_key_pair_round_trips() {
        let secret = SecretKey::from_multibase(W3C_SECRET).unwrap();
        assert_eq!(secret.public_key().to_multibase().as_str(), W3C_PUBLIC);
        assert_eq!(secret.to_multibase().expose(), W3C_SECRET);
        let public = PublicKey::from_multibase(W3C_PUBLIC).unwrap();
        assert_eq!(public, secret.public_key());
    }

    #[test]
    fn key_file_reads_both_spellings_and_checks_the_pair() {
        let vector = format!(
            r#"{{"publicKeyMultibase":"{W3C_PUBLIC}","privateKeyMultibase":"{W3C_SECRET}"}}"#
        );
        let file = KeyFile::from_json(vector.as_bytes()).unwrap();
        assert_eq!(file.public_key().to_multibase().as_str(), W3C_PUBLIC);
        let written = file.to_json();
        assert!(written.expose().contains("\"secretKeyMultibase\""));
        assert!(written.expose().contains("\"type\": \"Multikey\""));
        let again = KeyFile::from_json(written.expose().as_bytes()).unwrap();
        assert_eq!(again.public_key(), file.public_key());

        let other = SecretKey::from_seed(&[7; 32]).public_key().to_multibase();
        let mismatched =
            format!(r#"{{"publicKeyMultibase":"{other}","secretKeyMultibase":"{W3C_SECRET}"}}"#);
        assert_eq!(
            KeyFile::from_json(mismatched.as_bytes()).err(),
            Some(KeyError::Mismatch)
        );
        assert!(matches!(KeyFile::from_json(b"[]"), Err(KeyError::File(_))));
    }

    #[test]
    fn other_codecs_are_refused() {
        // A P-256 multikey (0x1200 header, `zDn…`) is not Ed25519.
        let p256 = "zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169";
        assert!(matches!(
            PublicKey::from_multibase(p256),
            Err(KeyError::WrongCodec { kind: "public", .. })
        ));
        // A public key given where a secret belongs.
        assert!(matches!(
            SecretKey::from_multibase(W3C_PUBLIC),
            Err(KeyError::WrongCodec { kind: "secret", .. })
        ));
    }

    #[test]
    fn sign_and_verify_strict() {
        let secret = SecretKey::from_seed(&[1; 32]);
        let sig = secret.sign(b"hello");
        assert!(secret.public_key().verify_strict(b"hello", &sig));
        assert!(!secret.public_key().verify_strict(b"hellO", &sig));
    }
}
