//! The strict JSON parser: no panic on any bytes; what it accepts, serde_json reads the same,
//! and the JCS writer agrees with serde_json_canonicalizer. See fuzz/src/checks.rs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| hallmark_fuzz::checks::json_strict(data));
