//! Snapshots of the operation code table and of decoded CDB dumps.

use rtgt_proto::scsi::cdb::{Cdb, OPERATIONS};
use std::fmt::Write;

#[test]
fn operation_table() {
    let mut out = String::new();
    for o in OPERATIONS {
        let sa = o
            .service_action
            .map_or("  ".to_string(), |s| format!("{s:02x}"));
        writeln!(out, "{:02x} {sa} {:>2} {}", o.opcode, o.cdb_len, o.name).unwrap();
    }
    insta::assert_snapshot!(out);
}

fn dump(bytes: &[u8]) -> String {
    let c = Cdb::decode_or_unknown(bytes).expect("decodes");
    let mut out = format!("{} ({} bytes)\n", c.name(), c.encode().len());
    for (name, value) in c.field_values() {
        writeln!(out, "  {name} = {value:#x}").unwrap();
    }
    writeln!(out, "reserved violation: {:?}", c.reserved_violation()).unwrap();
    writeln!(out, "block io: {:?}", c.block_io()).unwrap();
    writeln!(out, "{c:#?}").unwrap();
    out
}

#[test]
fn read10_dump() {
    insta::assert_snapshot!(dump(&[
        0x28, 0x38, 0x00, 0x01, 0x00, 0x00, 0x02, 0x00, 0x08, 0x04
    ]));
}

#[test]
fn write6_zero_length_dump() {
    insta::assert_snapshot!(dump(&[0x0a, 0x01, 0x02, 0x03, 0x00, 0x00]));
}

#[test]
fn read_capacity16_dump() {
    insta::assert_snapshot!(dump(&[
        0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0
    ]));
}

#[test]
fn persistent_reserve_out_dump() {
    insta::assert_snapshot!(dump(&[0x5f, 0x01, 0x01, 0, 0, 0, 0, 0, 0x18, 0]));
}

#[test]
fn inquiry_with_reserved_bit_dump() {
    insta::assert_snapshot!(dump(&[0x12, 0x80, 0x83, 0x00, 0xff, 0x00]));
}

#[test]
fn unknown_dump() {
    insta::assert_snapshot!(dump(&[0xc1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
}
