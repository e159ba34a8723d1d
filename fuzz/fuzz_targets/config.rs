//! Fuzz target `config`: the harness body is `rtgt_target::fuzzing::config`,
//! which that crate's tests also run on the stable toolchain.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rtgt_target::fuzzing::config(data);
});
