//! Fuzz target `targets_conf`: the harness body is
//! `rtgt_target::fuzzing::targets_conf`, which that crate's tests also run
//! on the stable toolchain.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rtgt_target::fuzzing::targets_conf(data);
});
