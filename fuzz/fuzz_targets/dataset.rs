//! Fuzz target `dataset`: the contract is `descent_fuzz::dataset`'s.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| descent_fuzz::dataset(data));
