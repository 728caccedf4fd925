//! Fuzz target `fits`: the contract is `descent_fuzz::fits`'s.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| descent_fuzz::fits(data));
