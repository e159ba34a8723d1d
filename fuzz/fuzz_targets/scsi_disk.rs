//! Fuzz target `scsi_disk`: the harness body is `rtgt_scsi::fuzzing::scsi_disk`,
//! which that crate's tests also run on the stable toolchain.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rtgt_scsi::fuzzing::scsi_disk(data);
});
