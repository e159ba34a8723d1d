//! Fuzz target `admin_request`: the harness body is `rtgt_target::fuzzing::admin_request`,
//! which that crate's tests also run on the stable toolchain.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rtgt_target::fuzzing::admin_request(data);
});
