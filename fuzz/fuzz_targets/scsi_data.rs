//! Fuzz target `scsi_data`: the harness body is `rtgt_proto::fuzzing::scsi_data`, which the
//! corpus replay test also runs on the stable toolchain.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rtgt_proto::fuzzing::scsi_data(data);
});
