//! Bitstring Status List v1.0: the bitstring codec (§2.1, §3.1), status list credentials
//! (§2.2), credential status entries (§2.1) and the status of one entry (§3.2).
//!
//! Index 0 is the most significant bit of byte 0. An entry of `statusSize` bits at index `i`
//! occupies bits `i × statusSize … (i + 1) × statusSize − 1`, read most significant first.
//! The published form is `u` + base64url (no padding) of the GZIP-compressed bytes.

use std::io::Read;

use base64::engine::{general_purpose::GeneralPurpose, DecodePaddingMode, GeneralPurposeConfig};
use base64::Engine;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use crate::credential::{UnsignedCredential, CREDENTIALS_V2};
use crate::datetime;
use crate::report::ErrorCode;

/// The minimum number of entries a list must have (§2.1, herd privacy).
pub const MIN_ENTRIES: usize = 131_072;

/// The default cap on a decompressed list: 16 MiB (over a billion one-bit entries). Larger
/// inflation is treated as a GZIP bomb.
pub const DEFAULT_MAX_DECODED_BYTES: usize = 16 << 20;

const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a status list or entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusListError {
    /// `encodedList` is not `u` + base64url.
    #[error("encodedList is not multibase base64url ('u…'): {0}")]
    Encoding(String),
    /// The GZIP data is corrupt.
    #[error("encodedList is not valid GZIP: {0}")]
    Gzip(String),
    /// It inflates beyond the cap.
    #[error("encodedList inflates beyond {max} bytes; refusing it as a GZIP bomb")]
    TooLarge {
        /// The cap, bytes.
        max: usize,
    },
    /// Fewer entries than [`MIN_ENTRIES`] (§3.2 step 9).
    #[error("the status list has {entries} entries of {status_size} bit(s); at least {MIN_ENTRIES} are required")]
    TooShort {
        /// Entries in the list.
        entries: usize,
        /// Bits per entry.
        status_size: u8,
    },
    /// An index beyond the list (§3.2 step 10).
    #[error("statusListIndex {index} is beyond the list's {entries} entries")]
    OutOfRange {
        /// The index.
        index: u64,
        /// Entries in the list.
        entries: usize,
    },
    /// `statusSize` outside 1–8.
    #[error("statusSize {0} is not supported (1 to 8 bits)")]
    StatusSize(u64),
    /// A status list entry or list credential missing a field or with a wrong one.
    #[error("{0}")]
    Malformed(String),
    /// The list credential's `id` is not the URL it was fetched from: a genuine list of the
    /// same issuer served in place of the one the credential names.
    #[error("the status list credential's id is {id}, not the {url} it was fetched from")]
    ServedElsewhere {
        /// The list's `id`.
        id: String,
        /// The `statusListCredential` URL dereferenced.
        url: String,
    },
}

impl StatusListError {
    /// The error code the `status` check reports (Bitstring Status List §3.6).
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::TooShort { .. } => ErrorCode::StatusListLengthError,
            Self::OutOfRange { .. } => ErrorCode::RangeError,
            Self::Encoding(_) | Self::Gzip(_) | Self::TooLarge { .. } => {
                ErrorCode::StatusRetrievalError
            }
            Self::StatusSize(_) | Self::Malformed(_) => ErrorCode::MalformedValueError,
            Self::ServedElsewhere { .. } => ErrorCode::StatusVerificationError,
        }
    }
}

/// A status purpose (§2.1 `statusPurpose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatusPurpose {
    /// Permanently revoked when set.
    Revocation,
    /// Temporarily suspended when set; clearing reinstates.
    Suspension,
    /// A status message (`statusSize` > 1 and `statusMessage`).
    Message,
    /// Refresh the credential.
    Refresh,
}

impl StatusPurpose {
    /// Parses a `statusPurpose` value.
    ///
    /// # Errors
    /// [`StatusListError::Malformed`] for other values.
    pub fn parse(text: &str) -> Result<Self, StatusListError> {
        match text {
            "revocation" => Ok(Self::Revocation),
            "suspension" => Ok(Self::Suspension),
            "message" => Ok(Self::Message),
            "refresh" => Ok(Self::Refresh),
            other => Err(StatusListError::Malformed(format!(
                "unknown statusPurpose {other:?}"
            ))),
        }
    }

    /// The `statusPurpose` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Revocation => "revocation",
            Self::Suspension => "suspension",
            Self::Message => "message",
            Self::Refresh => "refresh",
        }
    }
}

/// A decoded bitstring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitstring {
    bytes: Vec<u8>,
}

impl Bitstring {
    /// An all-zero bitstring of `entries` entries of `status_size` bits, rounded up to whole
    /// bytes.
    ///
    /// # Errors
    /// [`StatusListError::TooShort`] below [`MIN_ENTRIES`], [`StatusListError::StatusSize`].
    pub fn new(entries: usize, status_size: u8) -> Result<Self, StatusListError> {
        check_size(u64::from(status_size))?;
        if entries < MIN_ENTRIES {
            return Err(StatusListError::TooShort {
                entries,
                status_size,
            });
        }
        Ok(Self {
            bytes: vec![0; (entries * usize::from(status_size)).div_ceil(8)],
        })
    }

    /// A bitstring from its raw bytes (as stored), index 0 the top bit of byte 0.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self { bytes }
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Decodes `encodedList` (§3.1 Bitstring Expansion), refusing more than `max_bytes` once
    /// inflated. Length is not checked here; see [`Bitstring::entries`].
    ///
    /// # Errors
    /// [`StatusListError::Encoding`], [`StatusListError::Gzip`], [`StatusListError::TooLarge`].
    pub fn decode(encoded: &str, max_bytes: usize) -> Result<Self, StatusListError> {
        let body = encoded
            .strip_prefix('u')
            .ok_or_else(|| StatusListError::Encoding("missing the 'u' prefix".into()))?;
        let compressed = BASE64URL
            .decode(body)
            .map_err(|e| StatusListError::Encoding(e.to_string()))?;
        let mut bytes = Vec::new();
        GzDecoder::new(compressed.as_slice())
            .take(max_bytes as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| StatusListError::Gzip(e.to_string()))?;
        if bytes.len() > max_bytes {
            return Err(StatusListError::TooLarge { max: max_bytes });
        }
        // Held as it is, possibly in a cache: no spare capacity from reading.
        bytes.shrink_to_fit();
        Ok(Self { bytes })
    }

    /// Encodes as `encodedList` (§3.1 Bitstring Generation): GZIP, base64url, `u` prefix.
    pub fn encode(&self) -> String {
        use std::io::Write;
        let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::best());
        // Writing to a Vec cannot fail.
        let _ = gz.write_all(&self.bytes);
        let compressed = gz.finish().unwrap_or_default();
        let mut out = String::with_capacity(1 + compressed.len() * 4 / 3 + 4);
        out.push('u');
        BASE64URL.encode_string(compressed, &mut out);
        out
    }

    /// The number of bits.
    pub fn len_bits(&self) -> usize {
        self.bytes.len() * 8
    }

    /// The number of entries of `status_size` bits.
    pub fn entries(&self, status_size: u8) -> usize {
        self.len_bits() / usize::from(status_size.max(1))
    }

    /// Checks the list is long enough for entries of `status_size` bits (§3.2 step 9).
    ///
    /// # Errors
    /// [`StatusListError::TooShort`].
    pub fn check_length(&self, status_size: u8) -> Result<(), StatusListError> {
        let entries = self.entries(status_size);
        if entries < MIN_ENTRIES {
            Err(StatusListError::TooShort {
                entries,
                status_size,
            })
        } else {
            Ok(())
        }
    }

    /// The value of entry `index` (§3.2 steps 10–11).
    ///
    /// # Errors
    /// [`StatusListError::OutOfRange`], [`StatusListError::StatusSize`].
    pub fn get(&self, index: u64, status_size: u8) -> Result<u8, StatusListError> {
        check_size(u64::from(status_size))?;
        let entries = self.entries(status_size);
        if index >= entries as u64 {
            return Err(StatusListError::OutOfRange { index, entries });
        }
        let first = index as usize * usize::from(status_size);
        let mut value = 0u8;
        for bit in first..first + usize::from(status_size) {
            let set = self.bytes[bit / 8] & (0x80 >> (bit % 8)) != 0;
            value = (value << 1) | u8::from(set);
        }
        Ok(value)
    }

    /// Sets entry `index` to `value` (its low `status_size` bits).
    ///
    /// # Errors
    /// [`StatusListError::OutOfRange`], [`StatusListError::StatusSize`], or a value that does
    /// not fit ([`StatusListError::Malformed`]).
    pub fn set(&mut self, index: u64, status_size: u8, value: u8) -> Result<(), StatusListError> {
        check_size(u64::from(status_size))?;
        if status_size < 8 && value >> status_size != 0 {
            return Err(StatusListError::Malformed(format!(
                "status {value} does not fit in {status_size} bit(s)"
            )));
        }
        let entries = self.entries(status_size);
        if index >= entries as u64 {
            return Err(StatusListError::OutOfRange { index, entries });
        }
        let first = index as usize * usize::from(status_size);
        for i in 0..usize::from(status_size) {
            let bit = first + i;
            let on = value >> (usize::from(status_size) - 1 - i) & 1 == 1;
            let mask = 0x80 >> (bit % 8);
            if on {
                self.bytes[bit / 8] |= mask;
            } else {
                self.bytes[bit / 8] &= !mask;
            }
        }
        Ok(())
    }

    /// Indexes of the entries whose value is not zero.
    pub fn set_indexes(&self, status_size: u8) -> Vec<u64> {
        let size = status_size.max(1);
        (0..self.entries(size) as u64)
            .filter(|i| {
                // Skip entries in zero bytes quickly; an entry of 3, 5, 6 or 7 bits may
                // span two bytes, so both count.
                let first = *i as usize * usize::from(size);
                let last = first + usize::from(size) - 1;
                self.bytes[first / 8..=last / 8].iter().any(|b| *b != 0)
                    && self.get(*i, size).unwrap_or(0) != 0
            })
            .collect()
    }
}

fn check_size(size: u64) -> Result<(), StatusListError> {
    if (1..=8).contains(&size) {
        Ok(())
    } else {
        Err(StatusListError::StatusSize(size))
    }
}

/// A `BitstringStatusListEntry` (§2.1), read from a credential's `credentialStatus`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    /// `statusPurpose`.
    pub purpose: StatusPurpose,
    /// `statusListIndex`, parsed from its base-10 string.
    pub index: u64,
    /// `statusListCredential`: where the list credential is.
    pub list_url: String,
    /// `statusSize` (default 1).
    pub status_size: u8,
    /// `statusMessage`: (status value, message), when given.
    pub messages: Vec<(u8, String)>,
    /// `statusReference`: URLs of material about the status values, when given.
    pub reference: Vec<String>,
}

impl StatusEntry {
    /// Reads every entry of a credential's `credentialStatus` (an object or an array).
    /// Entries of other types are returned as errors naming the type.
    pub fn read_all(credential: &Map<String, Value>) -> Vec<Result<StatusEntry, StatusListError>> {
        match credential.get("credentialStatus") {
            None => Vec::new(),
            Some(Value::Array(items)) => items.iter().map(Self::read).collect(),
            Some(one) => vec![Self::read(one)],
        }
    }

    /// Reads one entry.
    ///
    /// # Errors
    /// [`StatusListError::Malformed`] naming the missing or wrong field.
    pub fn read(value: &Value) -> Result<StatusEntry, StatusListError> {
        let bad = |m: String| StatusListError::Malformed(m);
        let obj = value
            .as_object()
            .ok_or_else(|| bad("a credentialStatus entry is not an object".into()))?;
        let text = |name: &str| obj.get(name).and_then(Value::as_str);
        match obj.get("type") {
            Some(Value::String(t)) if t == "BitstringStatusListEntry" => {}
            other => {
                return Err(bad(format!(
                    "credentialStatus type {} is not BitstringStatusListEntry",
                    other.map_or_else(|| "(none)".to_owned(), Value::to_string)
                )))
            }
        }
        let purpose = StatusPurpose::parse(
            text("statusPurpose")
                .ok_or_else(|| bad("the status entry has no statusPurpose".into()))?,
        )?;
        let index_text = text("statusListIndex")
            .ok_or_else(|| bad("statusListIndex must be a string".into()))?;
        let index = if !index_text.is_empty()
            && index_text.bytes().all(|b| b.is_ascii_digit())
            && (index_text == "0" || !index_text.starts_with('0'))
        {
            index_text
                .parse::<u64>()
                .map_err(|_| bad(format!("statusListIndex {index_text:?} is too large")))?
        } else {
            return Err(bad(format!(
                "statusListIndex {index_text:?} is not a base-10 integer"
            )));
        };
        let list_url = text("statusListCredential")
            .ok_or_else(|| bad("the status entry has no statusListCredential".into()))?;
        if !crate::did::is_absolute_url(list_url) {
            return Err(bad(format!(
                "statusListCredential {list_url:?} is not a URL"
            )));
        }
        let status_size = match obj.get("statusSize") {
            None => 1,
            Some(v) => {
                let n = v
                    .as_u64()
                    .ok_or_else(|| bad("statusSize must be a positive integer".into()))?;
                check_size(n)?;
                n as u8
            }
        };
        let mut messages: Vec<(u8, String)> = Vec::new();
        match obj.get("statusMessage") {
            None => {}
            Some(Value::Array(list)) => {
                for m in list {
                    // §2.1: `status`, hexadecimal prefixed with 0x; `message`, a string.
                    let Some(status) = m.get("status").and_then(Value::as_str) else {
                        return Err(bad(format!(
                            "statusMessage status {} is not a \"0x…\" string",
                            m.get("status")
                                .map_or_else(|| "(missing)".to_owned(), Value::to_string)
                        )));
                    };
                    let value = status
                        .strip_prefix("0x")
                        // Hex digits only: from_str_radix would also take a sign ("0x+1").
                        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                        .filter(|v| u16::from(*v) < 1 << status_size)
                        .ok_or_else(|| {
                            bad(format!(
                                "statusMessage status {status:?} is not a 0x-prefixed hexadecimal value of {status_size} bit(s)"
                            ))
                        })?;
                    if messages.iter().any(|(v, _)| *v == value) {
                        return Err(bad(format!("statusMessage gives status {status} twice")));
                    }
                    let message = m.get("message").and_then(Value::as_str).ok_or_else(|| {
                        bad(format!("statusMessage {status} has no \"message\" string"))
                    })?;
                    messages.push((value, message.to_owned()));
                }
            }
            Some(_) => return Err(bad("statusMessage must be an array".into())),
        }
        if status_size > 1 && messages.is_empty() {
            return Err(bad("statusSize above 1 requires statusMessage".into()));
        }
        // §2.1: one message per possible value (2^statusSize).
        if !messages.is_empty() && messages.len() != 1 << status_size {
            return Err(bad(format!(
                "statusMessage has {} messages; statusSize {status_size} needs {}",
                messages.len(),
                1u32 << status_size
            )));
        }
        let reference = match obj.get("statusReference") {
            None => Vec::new(),
            Some(Value::String(url)) => vec![url.clone()],
            Some(Value::Array(urls)) => urls
                .iter()
                .map(|u| u.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad("statusReference must be a URL or an array of URLs".into()))?,
            Some(_) => {
                return Err(bad(
                    "statusReference must be a URL or an array of URLs".into()
                ))
            }
        };
        if let Some(url) = reference.iter().find(|u| !crate::did::is_absolute_url(u)) {
            return Err(bad(format!("statusReference {url:?} is not a URL")));
        }
        Ok(StatusEntry {
            purpose,
            index,
            list_url: list_url.to_owned(),
            status_size,
            messages,
            reference,
        })
    }

    /// The entry as JSON (docs/design.md §2), for issuance: `id` is `{list_url}#{index}`.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "id": format!("{}#{}", self.list_url, self.index),
            "type": "BitstringStatusListEntry",
            "statusPurpose": self.purpose.as_str(),
            "statusListIndex": self.index.to_string(),
            "statusListCredential": self.list_url,
        });
        if self.status_size > 1 {
            v["statusSize"] = self.status_size.into();
        }
        if !self.messages.is_empty() {
            v["statusMessage"] = self
                .messages
                .iter()
                .map(|(s, m)| json!({"status": format!("0x{s:x}"), "message": m}))
                .collect();
        }
        match self.reference.as_slice() {
            [] => {}
            [one] => v["statusReference"] = one.as_str().into(),
            many => v["statusReference"] = many.into(),
        }
        v
    }
}

/// A status list credential's content, read after its proof and issuer were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    /// The list credential's `id`, if any.
    pub id: Option<String>,
    /// Its issuer.
    pub issuer: String,
    /// `credentialSubject.statusPurpose` (one or several).
    pub purposes: Vec<String>,
    /// The decoded bitstring.
    pub bitstring: Bitstring,
    /// `validFrom`, `validUntil`.
    pub valid_from: Option<OffsetDateTime>,
    /// See `valid_from`.
    pub valid_until: Option<OffsetDateTime>,
    /// `credentialSubject.ttl`, milliseconds.
    pub ttl_ms: Option<u64>,
}

impl StatusList {
    /// The heap bytes it owns (the bitstring, strings), for caches bounded by bytes.
    pub fn heap_bytes(&self) -> usize {
        self.bitstring.bytes.capacity()
            + self.id.as_ref().map_or(0, String::capacity)
            + self.issuer.capacity()
            + self.purposes.capacity() * std::mem::size_of::<String>()
            + self.purposes.iter().map(String::capacity).sum::<usize>()
    }

    /// Checks that the list is the one at `url`, the `statusListCredential` that was
    /// dereferenced: a list with an `id` must carry exactly that URL, or any list its issuer
    /// signed could stand in for any other.
    ///
    /// # Errors
    /// [`StatusListError::ServedElsewhere`].
    pub fn check_served_at(&self, url: &str) -> Result<(), StatusListError> {
        match &self.id {
            Some(id) if id != url => Err(StatusListError::ServedElsewhere {
                id: id.clone(),
                url: url.to_owned(),
            }),
            _ => Ok(()),
        }
    }

    /// Reads a `BitstringStatusListCredential` (§2.2); the caller has verified its proof.
    ///
    /// # Errors
    /// [`StatusListError`] for a wrong type, missing fields or an undecodable list.
    pub fn read(
        credential: &Map<String, Value>,
        max_bytes: usize,
    ) -> Result<Self, StatusListError> {
        let bad = |m: &str| StatusListError::Malformed(format!("status list credential: {m}"));
        let types: Vec<&str> = match credential.get("type") {
            Some(Value::Array(t)) => t.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(t)) => vec![t.as_str()],
            _ => Vec::new(),
        };
        if !types.contains(&"BitstringStatusListCredential") {
            return Err(bad("type does not include BitstringStatusListCredential"));
        }
        let subject = credential
            .get("credentialSubject")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("credentialSubject must be one object"))?;
        if subject.get("type").and_then(Value::as_str) != Some("BitstringStatusList") {
            return Err(bad("credentialSubject.type is not BitstringStatusList"));
        }
        let purposes: Vec<String> = match subject.get("statusPurpose") {
            Some(Value::String(p)) => vec![p.clone()],
            Some(Value::Array(ps)) => ps
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => return Err(bad("credentialSubject.statusPurpose is missing")),
        };
        let encoded = subject
            .get("encodedList")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("credentialSubject.encodedList is missing"))?;
        let time = |name: &str| -> Result<Option<OffsetDateTime>, StatusListError> {
            match credential.get(name).and_then(Value::as_str) {
                None => Ok(None),
                Some(t) => datetime::parse(t).map(Some).map_err(|e| {
                    StatusListError::Malformed(format!("status list credential {name}: {e}"))
                }),
            }
        };
        let issuer = match credential.get("issuer") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Object(o)) => o
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            _ => String::new(),
        };
        Ok(Self {
            id: credential
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_owned),
            issuer,
            purposes,
            bitstring: Bitstring::decode(encoded, max_bytes)?,
            valid_from: time("validFrom")?,
            valid_until: time("validUntil")?,
            ttl_ms: subject.get("ttl").and_then(Value::as_u64),
        })
    }
}

/// What to put in a new status list credential (§2.2).
#[derive(Debug, Clone)]
pub struct StatusListSpec {
    /// The list credential's URL (its `id`, and where it is published).
    pub url: String,
    /// The issuer's id.
    pub issuer: String,
    /// The purpose.
    pub purpose: StatusPurpose,
    /// `validFrom`.
    pub valid_from: OffsetDateTime,
    /// `validUntil`, if the list should expire.
    pub valid_until: Option<OffsetDateTime>,
    /// `ttl` in milliseconds: how long verifiers may cache it.
    pub ttl_ms: Option<u64>,
}

impl StatusListSpec {
    /// The unsigned `BitstringStatusListCredential` carrying `bitstring`.
    ///
    /// # Errors
    /// [`StatusListError::Malformed`] when the URL or issuer is not an absolute URL.
    pub fn build(&self, bitstring: &Bitstring) -> Result<UnsignedCredential, StatusListError> {
        let mut subject = json!({
            "id": format!("{}#list", self.url),
            "type": "BitstringStatusList",
            "statusPurpose": self.purpose.as_str(),
            "encodedList": bitstring.encode(),
        });
        if let Some(ttl) = self.ttl_ms {
            subject["ttl"] = ttl.into();
        }
        let mut c = json!({
            "@context": [CREDENTIALS_V2],
            "id": self.url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": self.issuer,
            "validFrom": datetime::format(self.valid_from),
            "credentialSubject": subject,
        });
        if let Some(until) = self.valid_until {
            c["validUntil"] = datetime::format(until).into();
        }
        UnsignedCredential::try_from(c).map_err(|e| StatusListError::Malformed(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_order_is_most_significant_first() {
        let mut b = Bitstring::new(MIN_ENTRIES, 1).unwrap();
        assert_eq!(b.len_bits(), 131_072);
        for i in [0, 1, 7, 8, 94_567, 131_071] {
            b.set(i, 1, 1).unwrap();
        }
        assert_eq!(b.bytes[0], 0xc1);
        assert_eq!(b.bytes[1], 0x80);
        assert_eq!(b.bytes[11_820], 0x01);
        assert_eq!(b.bytes[16_383], 0x01);
        assert_eq!(b.set_indexes(1), [0, 1, 7, 8, 94_567, 131_071]);
        b.set(7, 1, 0).unwrap();
        assert_eq!(b.get(7, 1), Ok(0));
        assert_eq!(
            b.get(131_072, 1),
            Err(StatusListError::OutOfRange {
                index: 131_072,
                entries: 131_072
            })
        );
    }

    #[test]
    fn multi_bit_entries() {
        let mut b = Bitstring::new(MIN_ENTRIES, 2).unwrap();
        assert_eq!(b.len_bits(), 262_144);
        b.set(5, 2, 2).unwrap();
        b.set(94_567, 2, 3).unwrap();
        assert_eq!(b.get(5, 2), Ok(2));
        assert_eq!(b.get(94_567, 2), Ok(3));
        assert_eq!(b.get(6, 2), Ok(0));
        assert!(b.set(1, 2, 4).is_err());
        // Bits 10 and 11 hold entry 5 = 0b10.
        assert_eq!(b.get(10, 1), Ok(1));
        assert_eq!(b.get(11, 1), Ok(0));
    }

    #[test]
    fn round_trip_on_random_indexes() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut b = Bitstring::new(MIN_ENTRIES, 1).unwrap();
        let mut expected = std::collections::BTreeSet::new();
        for _ in 0..500 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let i = seed % MIN_ENTRIES as u64;
            b.set(i, 1, 1).unwrap();
            expected.insert(i);
        }
        let encoded = b.encode();
        assert!(encoded.starts_with("uH4sI"), "{}", &encoded[..10]);
        let decoded = Bitstring::decode(&encoded, DEFAULT_MAX_DECODED_BYTES).unwrap();
        assert_eq!(decoded, b);
        assert_eq!(
            decoded.set_indexes(1),
            expected.into_iter().collect::<Vec<_>>()
        );
    }

    #[test]
    fn gzip_bomb_is_an_error_not_an_allocation() {
        // 64 MiB of zeros compresses to about 64 KB.
        let big = Bitstring {
            bytes: vec![0; 64 << 20],
        };
        let encoded = big.encode();
        assert!(encoded.len() < 200_000);
        assert_eq!(
            Bitstring::decode(&encoded, DEFAULT_MAX_DECODED_BYTES),
            Err(StatusListError::TooLarge {
                max: DEFAULT_MAX_DECODED_BYTES
            })
        );
    }

    #[test]
    fn bad_encodings_are_named() {
        assert!(matches!(
            Bitstring::decode("H4sI", 1000),
            Err(StatusListError::Encoding(_))
        ));
        assert!(matches!(
            Bitstring::decode("u!!!", 1000),
            Err(StatusListError::Encoding(_))
        ));
        assert!(matches!(
            Bitstring::decode("uAAAA", 1000),
            Err(StatusListError::Gzip(_))
        ));
        assert!(Bitstring::new(100_000, 1).is_err());
    }

    #[test]
    fn a_list_is_the_one_at_its_url() {
        let spec = StatusListSpec {
            url: "https://a.example/status/1".into(),
            issuer: "did:example:issuer".into(),
            purpose: StatusPurpose::Revocation,
            valid_from: OffsetDateTime::UNIX_EPOCH,
            valid_until: None,
            ttl_ms: None,
        };
        let bits = Bitstring::new(MIN_ENTRIES, 1).unwrap();
        let mut credential = spec.build(&bits).unwrap().into_map();
        let list = StatusList::read(&credential, DEFAULT_MAX_DECODED_BYTES).unwrap();
        list.check_served_at("https://a.example/status/1").unwrap();
        let e = list
            .check_served_at("https://a.example/status/2")
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::StatusVerificationError);
        assert!(
            e.to_string()
                .contains("id is https://a.example/status/1, not the https://a.example/status/2"),
            "{e}"
        );
        // A list without an id names no URL to contradict.
        credential.remove("id");
        let list = StatusList::read(&credential, DEFAULT_MAX_DECODED_BYTES).unwrap();
        list.check_served_at("https://a.example/status/2").unwrap();
    }

    #[test]
    fn entries_are_read_strictly() {
        let entry = |index: &str| {
            StatusEntry::read(&json!({
                "id": "https://a.example/status/1#5", "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation", "statusListIndex": index,
                "statusListCredential": "https://a.example/status/1"
            }))
        };
        assert_eq!(entry("94567").unwrap().index, 94_567);
        assert_eq!(entry("0").unwrap().index, 0);
        for bad in [
            "",
            "-1",
            "1.5",
            "0x10",
            "007",
            " 5",
            "99999999999999999999999",
        ] {
            assert!(entry(bad).is_err(), "{bad:?}");
        }
        let message = StatusEntry::read(&json!({
            "type": "BitstringStatusListEntry", "statusPurpose": "message", "statusListIndex": "3",
            "statusListCredential": "https://a.example/status/m", "statusSize": 2,
            "statusMessage": [
                {"status": "0x0", "message": "pending"}, {"status": "0x1", "message": "accepted"},
                {"status": "0x2", "message": "rejected"}, {"status": "0x3", "message": "withdrawn"}
            ],
            "statusReference": "https://a.example/status-meanings"
        }))
        .unwrap();
        assert_eq!(message.messages[1], (1, "accepted".to_owned()));
        assert_eq!(message.reference, ["https://a.example/status-meanings"]);
        assert_eq!(StatusEntry::read(&message.to_json()).unwrap(), message);
        // §2.1: 2^statusSize messages, and statusReference URLs.
        let mut json = message.to_json();
        json["statusMessage"].as_array_mut().unwrap().truncate(2);
        let e = StatusEntry::read(&json).unwrap_err().to_string();
        assert!(e.contains("has 2 messages; statusSize 2 needs 4"), "{e}");
        for (messages, expected) in [
            (
                json!([{"status": "0x0", "message": "a"}, {"status": "0x0", "message": "b"}, {"status": "0x2", "message": "c"}, {"status": "0x3", "message": "d"}]),
                "status 0x0 twice",
            ),
            (
                json!([{"status": "0x0", "message": "a"}, {"status": "0x1", "message": "b"}, {"status": "0x2", "message": "c"}, {"status": "0x5", "message": "d"}]),
                "\"0x5\" is not a 0x-prefixed hexadecimal value of 2 bit(s)",
            ),
            (
                json!([{"status": "0x0", "message": "a"}, {"status": "1", "message": "b"}, {"status": "0x2", "message": "c"}, {"status": "0x3", "message": "d"}]),
                "\"1\" is not a 0x-prefixed",
            ),
            (
                json!([{"status": "0x0", "message": "a"}, {"status": "0x1"}, {"status": "0x2", "message": "c"}, {"status": "0x3", "message": "d"}]),
                "0x1 has no \"message\" string",
            ),
            (json!({"status": "0x0"}), "must be an array"),
            (
                json!([{"status": 0, "message": "a"}, {"status": "0x1", "message": "b"}, {"status": "0x2", "message": "c"}, {"status": "0x3", "message": "d"}]),
                "status 0 is not a \"0x…\" string",
            ),
        ] {
            let mut json = message.to_json();
            json["statusMessage"] = messages;
            let e = StatusEntry::read(&json).unwrap_err().to_string();
            assert!(e.contains(expected), "{e}");
        }
        let mut json = message.to_json();
        json["statusReference"] = json!(["https://a.example/x", "not a url"]);
        let e = StatusEntry::read(&json).unwrap_err().to_string();
        assert!(
            e.contains("statusReference \"not a url\" is not a URL"),
            "{e}"
        );
    }
}
