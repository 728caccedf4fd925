//! Fuzz target `png`: the contract is `descent_fuzz::png`'s.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| descent_fuzz::png(data));
