//! The whole verification pipeline, eddsa-rdfc-2022 world: a credential (and, after `\0`
//! separators, resources served in place of the world's DID document and status lists); no
//! panic, and no proof by the world's key verifies on a document it did not sign. See
//! fuzz/src/checks.rs.
#![no_main]
use hallmark_core::proof::Cryptosuite;
libfuzzer_sys::fuzz_target!(|data: &[u8]| hallmark_fuzz::checks::verify(
    data,
    Cryptosuite::EddsaRdfc2022
));
libfuzzer_sys::fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    hallmark_fuzz::mutate::json(data, size, max_size, seed)
});
