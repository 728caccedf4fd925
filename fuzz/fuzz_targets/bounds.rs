//! Fuzz target `bounds`: the contract is `descent_fuzz::bounds`'s.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| descent_fuzz::bounds(data));
