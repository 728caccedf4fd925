//! Fuzz target `jpeg`: the contract is `descent_fuzz::jpeg`'s.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| descent_fuzz::jpeg(data));
