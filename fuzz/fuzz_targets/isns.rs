//! Fuzz target `isns`: the harness body is `rtgt_proto::fuzzing::isns`, which the
//! corpus replay test also runs on the stable toolchain (the wall clock is
//! passed in: the client reads none).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rtgt_proto::fuzzing::isns(data, std::time::Instant::now());
});
