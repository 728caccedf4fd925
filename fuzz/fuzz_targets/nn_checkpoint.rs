//! Fuzz target `nn_checkpoint`: the contract is `descent_fuzz::nn_checkpoint`'s.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| descent_fuzz::nn_checkpoint(data));
