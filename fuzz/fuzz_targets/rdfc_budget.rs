//! RDFC-1.0 under its work cap: never past the cap, no step hiding unbounded work, and the
//! canonical form independent of quad order and blank node names. See fuzz/src/checks.rs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| hallmark_fuzz::checks::rdfc_budget(data));
