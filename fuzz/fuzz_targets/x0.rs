//! Fuzz target `x0`: the contract is `descent_fuzz::x0`'s.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| descent_fuzz::x0(data));
