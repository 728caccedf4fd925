//! Fuzz target `maml`: the contract is `descent_fuzz::maml`'s.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| descent_fuzz::maml(data));
