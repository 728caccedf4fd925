//! Fuzz target `psf`: the contract is `descent_fuzz::psf`'s.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| descent_fuzz::psf(data));
