//! Fuzz target `jpeg`: the contract is `descent_fuzz::jpeg`'s.
//!
//! libfuzzer-sys's panic hook aborts at every panic, before any unwinding; but
//! `descent_imaging::decode_jpeg` catches the panics of zune-jpeg (a malformed file is its
//! error, not a crash). So the hook here lets a panic raised inside zune-jpeg unwind to that
//! catch, and aborts at every other one, as libfuzzer-sys's does.
#![no_main]

libfuzzer_sys::fuzz_target!(
    init: {
        let abort_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_decoder = info.location().is_some_and(|at| at.file().contains("zune-jpeg"));
            if !in_decoder {
                abort_hook(info);
            }
        }));
    },
    |data: &[u8]| descent_fuzz::jpeg(data)
);
