//! The Bitstring Status List decoder and entry reader: no panic, bounded inflation, round
//! trips. See fuzz/src/checks.rs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| hallmark_fuzz::checks::status_list(data));
libfuzzer_sys::fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    hallmark_fuzz::mutate::json(data, size, max_size, seed)
});
