//! Fuzz target `wav`: the contract is `descent_fuzz::wav`'s.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| descent_fuzz::wav(data));
