//! Baked badge images (hallmark_core::baked): `unbake` never panics on any bytes (PNG chunk
//! walk, SVG through roxmltree), and any text baked into a PNG and an SVG unbakes to the same
//! bytes. See fuzz/src/checks.rs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| hallmark_fuzz::checks::unbake(data));
