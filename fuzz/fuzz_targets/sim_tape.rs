//! Fuzz target `sim_tape`: the harness body is `rtgt_sim::fuzzing::sim_tape`,
//! which that crate's tests also run on the stable toolchain.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rtgt_sim::fuzzing::sim_tape(data);
});
