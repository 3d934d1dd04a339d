//! Bitstring Status List vectors (tests/vectors/w3c/bitstring-status-list): every encoded list
//! decodes to its listed bits, short lists raise STATUS_LIST_LENGTH_ERROR, and Hallmark's
//! encoding decodes the way other implementations read it.

use std::io::Read;
use std::path::PathBuf;

use base64::Engine;
use hallmark_core::status::{Bitstring, StatusListError, DEFAULT_MAX_DECODED_BYTES, MIN_ENTRIES};
use hallmark_core::ErrorCode;
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors/w3c/bitstring-status-list/encodedList-vectors.json");
    serde_json::from_slice::<Vec<Value>>(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn every_encoded_list_decodes_to_its_bits() {
    let all = vectors();
    assert!(all.len() >= 6);
    for v in all {
        let name = v["name"].as_str().unwrap();
        let size = v["statusSize"].as_u64().unwrap_or(1) as u8;
        let bits = Bitstring::decode(
            v["encodedList"].as_str().unwrap(),
            DEFAULT_MAX_DECODED_BYTES,
        )
        .unwrap();
        assert_eq!(
            bits.len_bits() as u64,
            v["decodedLengthBits"].as_u64().unwrap(),
            "{name}"
        );
        let expected: Vec<u64> = v["setBitIndices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_u64().unwrap())
            .collect();
        assert_eq!(bits.set_indexes(1), expected, "{name}");
        // Lists under 131,072 entries are too short, whether or not the vector says so (the
        // mock list is 100,000 bits too).
        if bits.entries(size) < MIN_ENTRIES {
            let err = bits.check_length(size).unwrap_err();
            assert!(
                matches!(
                    err,
                    StatusListError::TooShort {
                        entries: 100_000,
                        ..
                    }
                ),
                "{name}"
            );
            assert_eq!(err.code(), ErrorCode::StatusListLengthError);
            if let Some(code) = v["expectedError"].as_str() {
                assert_eq!(err.code().as_str(), code);
            }
        } else {
            assert!(v["expectedError"].is_null(), "{name}");
            bits.check_length(size).unwrap();
        }
        for check in v["checks"].as_array().into_iter().flatten() {
            let index = check["statusListIndex"].as_u64().unwrap();
            let size = check["statusSize"].as_u64().unwrap() as u8;
            assert_eq!(
                u64::from(bits.get(index, size).unwrap()),
                check["expectedStatus"].as_u64().unwrap(),
                "{name}"
            );
        }
        if size == 2 {
            // Entries 0 → 1, 5 → 2, 94567 → 3, 131071 → 1 (the vector's notes).
            for (i, value) in [(0, 1), (5, 2), (94_567, 3), (131_071, 1), (6, 0)] {
                assert_eq!(bits.get(i, 2), Ok(value), "{name} entry {i}");
            }
        }
    }
}

/// Another implementation's reading: plain base64url, gunzip, then bit `i` is
/// `byte[i / 8] >> (7 - i % 8) & 1` (the spec's left-most-bit-first order).
fn independent_read(encoded: &str) -> Vec<u8> {
    let body = encoded.strip_prefix('u').unwrap();
    let compressed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(body)
        .unwrap();
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(&compressed[..])
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn hallmark_encoding_reads_the_same_elsewhere() {
    let mut seed = 0x1234_5678_9abc_def0u64;
    for round in 0..20 {
        let mut b = Bitstring::new(MIN_ENTRIES, 1).unwrap();
        let mut set = std::collections::BTreeSet::new();
        for _ in 0..(round * 37 + 1) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let i = seed % MIN_ENTRIES as u64;
            b.set(i, 1, 1).unwrap();
            set.insert(i);
        }
        let encoded = b.encode();
        assert!(!encoded.contains('='), "no padding");
        let bytes = independent_read(&encoded);
        assert_eq!(bytes.len(), MIN_ENTRIES / 8);
        let read: Vec<u64> = (0..MIN_ENTRIES as u64)
            .filter(|i| bytes[(*i / 8) as usize] >> (7 - i % 8) & 1 == 1)
            .collect();
        assert_eq!(read, set.iter().copied().collect::<Vec<_>>());
    }
    // The spec's all-zero example decodes, and an all-zero list of ours encodes to a string
    // that decodes to the same bytes.
    let spec = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA";
    let zero = Bitstring::decode(spec, DEFAULT_MAX_DECODED_BYTES).unwrap();
    assert_eq!(zero, Bitstring::new(MIN_ENTRIES, 1).unwrap());
    assert_eq!(independent_read(&zero.encode()), vec![0u8; 16_384]);
}
