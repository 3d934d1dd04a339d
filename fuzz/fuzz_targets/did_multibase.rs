//! DID, did:web, verification method, multibase and Multikey parsing: no panic, and what
//! decodes encodes back. See fuzz/src/checks.rs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| hallmark_fuzz::checks::did_multibase(data));
