//! Fuzz target `initiator_rx`: the harness body is `rtgt_initiator_core::fuzzing::initiator_rx`,
//! which that crate's tests also run on the stable toolchain.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rtgt_initiator_core::fuzzing::initiator_rx(data, std::time::Instant::now());
});
