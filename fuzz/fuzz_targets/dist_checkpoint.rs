//! Fuzz target `dist_checkpoint`: the contract is `descent_fuzz::dist_checkpoint`'s.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| descent_fuzz::dist_checkpoint(data));
