//! The JSON-LD fast path against oxjsonld: whenever the fast path takes a document, the
//! canonical datasets are equal. See fuzz/src/checks.rs.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| hallmark_fuzz::checks::jsonld_fast(data));
libfuzzer_sys::fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    hallmark_fuzz::mutate::json(data, size, max_size, seed)
});
