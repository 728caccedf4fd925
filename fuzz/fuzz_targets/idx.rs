//! Fuzz target `idx`: the contract is `descent_fuzz::idx`'s.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| descent_fuzz::idx(data));
