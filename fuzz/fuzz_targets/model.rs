//! Fuzz target `model`: the contract is `descent_fuzz::model`'s.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| descent_fuzz::model(data));
