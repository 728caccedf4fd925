//! Fuzz target `csv`: the contract is `descent_fuzz::csv`'s.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| descent_fuzz::csv(data));
