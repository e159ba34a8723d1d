//! Fuzz target `target_session`: the harness body is `rtgt_target_core::fuzzing::target_session`,
//! which that crate's tests also run on the stable toolchain.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rtgt_target_core::fuzzing::target_session(data, std::time::Instant::now());
});
