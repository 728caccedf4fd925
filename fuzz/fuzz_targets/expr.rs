//! Fuzz target `expr`: the contract is `descent_fuzz::expr`'s.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| descent_fuzz::expr(data));
