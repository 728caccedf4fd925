//! Fuzz target `schedule`: the contract is `descent_fuzz::schedule`'s.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| descent_fuzz::schedule(data));
