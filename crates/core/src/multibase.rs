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
            Some('z') => match decode_short(chars.as_str()) {
                Some(bytes) => Ok(bytes),
                // Long or invalid text: bs58 decides, and words the error.
                None => bs58::decode(chars.as_str())
                    .into_vec()
                    .map_err(|e| MultibaseError::Invalid(e.to_string())),
            },
            Some(prefix) => Err(MultibaseError::UnsupportedBase { prefix }),
        }
    }

    /// The text, prefix included.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The base58btc alphabet's value of each ASCII byte, 0xff for none.
const BASE58_VALUES: [u8; 128] = {
    let alphabet = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut values = [0xff; 128];
    let mut i = 0;
    while i < alphabet.len() {
        values[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    values
};

/// Limbs of [`decode_short`]: numbers below 2^512, enough for a signature or a key.
const SHORT_LIMBS: usize = 16;

/// base58btc `body` decoded as `bs58` does (each leading `1` a zero byte, then the number's
/// big-endian bytes), five digits at a time on 32-bit limbs rather than byte by byte: the
/// `proofValue` of every verification goes through here. `None` for a character outside the
/// alphabet or a number of 2^512 or more, which `bs58` then handles.
fn decode_short(body: &str) -> Option<Vec<u8>> {
    let digits = body.as_bytes();
    let zeros = digits.iter().take_while(|&&d| d == b'1').count();
    let mut limbs = [0u32; SHORT_LIMBS];
    for chunk in digits[zeros..].chunks(5) {
        let mut multiplier = 1u64;
        let mut carry = 0u64;
        for &d in chunk {
            let value = *BASE58_VALUES.get(usize::from(d))?;
            if value == 0xff {
                return None;
            }
            multiplier *= 58;
            carry = carry * 58 + u64::from(value);
        }
        // 58^5 < 2^32, so each step fits in 64 bits.
        for limb in &mut limbs {
            let t = u64::from(*limb) * multiplier + carry;
            *limb = t as u32;
            carry = t >> 32;
        }
        if carry != 0 {
            return None;
        }
    }
    let mut out = vec![0u8; zeros];
    let number = limbs.iter().rev().flat_map(|l| l.to_be_bytes());
    out.extend(number.skip_while(|&b| b == 0));
    Some(out)
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

    #[test]
    fn the_limb_decoder_agrees_with_bs58() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..3000 {
            let len = (next() % 80) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            // Leading zeros, all zeros, all 0xff: the edges of the encoding.
            match round % 5 {
                0 => bytes.iter_mut().take(3).for_each(|b| *b = 0),
                1 => bytes.iter_mut().for_each(|b| *b = 0),
                2 => bytes.iter_mut().for_each(|b| *b = 0xff),
                _ => {}
            }
            let text = bs58::encode(&bytes).into_string();
            let expected = bs58::decode(&text).into_vec().unwrap();
            assert_eq!(expected, bytes);
            match decode_short(&text) {
                Some(fast) => assert_eq!(fast, expected, "{text}"),
                // Only numbers of 2^512 or more are left to bs58.
                None => assert!(len - bytes.iter().take_while(|&&b| b == 0).count() > 64),
            }
            assert_eq!(
                Multibase::decode_base58btc(&format!("z{text}")).unwrap(),
                bytes
            );
        }
        for bad in ["0", "O", "I", "l", "1é", "abc+", "11 1"] {
            assert_eq!(decode_short(bad), None, "{bad}");
            let expected = bs58::decode(bad).into_vec().unwrap_err().to_string();
            assert_eq!(
                Multibase::decode_base58btc(&format!("z{bad}")),
                Err(MultibaseError::Invalid(expected))
            );
        }
        assert_eq!(decode_short(""), Some(Vec::new()));
        assert_eq!(decode_short("111"), Some(vec![0, 0, 0]));
    }
}
