//! VERIFY, WRITE SAME, UNMAP, COMPARE AND WRITE, START STOP UNIT, PREVENT
//! ALLOW MEDIUM REMOVAL, REPORT SUPPORTED OPERATION CODES.

use super::*;
use rtgt_proto::scsi::params::{OneCommand, SupportedOpcodes, UnmapDescriptor, UnmapList};

fn verify10(lba: u32, blocks: u16, bytchk: u8) -> [u8; 10] {
    let mut c = read10(lba, blocks);
    c[0] = 0x2f;
    c[1] = bytchk << 1;
    c
}

fn write_same16(lba: u64, blocks: u32, unmap: bool, ndob: bool) -> [u8; 16] {
    let mut c = [0u8; 16];
    c[0] = 0x93;
    c[1] = u8::from(unmap) << 3 | u8::from(ndob);
    c[2..10].copy_from_slice(&lba.to_be_bytes());
    c[10..14].copy_from_slice(&blocks.to_be_bytes());
    c
}

fn caw(lba: u64, blocks: u8) -> [u8; 16] {
    let mut c = [0u8; 16];
    c[0] = 0x89;
    c[2..10].copy_from_slice(&lba.to_be_bytes());
    c[13] = blocks;
    c
}

#[test]
fn verify_with_and_without_bytchk() {
    let mut r = Rig::new();
    r.good(&write10(4, 2, false), &[5; 1024], 1024);
    r.good(&verify10(4, 2, 0), &[], 0);
    r.good(&verify10(4, 2, 1), &[5; 1024], 1024);
    r.good(&verify10(4, 2, 3), &[5; 512], 512);
    let mut other = vec![5u8; 1024];
    other[700] = 6;
    let s = assert_check(
        &r.run(&verify10(4, 2, 1), &other, 1024),
        SenseKey::MISCOMPARE,
        AscAscq::MISCOMPARE_DURING_VERIFY,
    );
    assert_eq!(s.information, Some(700));
    assert_field(&r.run(&verify10(4, 2, 2), &[], 0), 1, Some(2));
}

#[test]
fn write_same_patterns_zeroes_and_unmap() {
    let mut r = Rig::new();
    r.good(&write_same16(100, 300, false, false), &[0x5a; 512], 512);
    assert_eq!(
        r.good(&read10(100, 300), &[], 300 * 512),
        &vec![0x5a; 300 * 512][..]
    );
    r.log.clear();
    r.good(&write_same16(100, 10, true, false), &[0; 512], 512);
    assert_eq!(
        r.log,
        vec![IoOp::Deallocate {
            offset: 100 * 512,
            len: 10 * 512
        }]
    );
    r.log.clear();
    r.good(&write_same16(110, 10, false, true), &[], 0);
    assert!(matches!(r.log[..], [IoOp::WriteZeroes { .. }]));
    assert_eq!(r.good(&read10(100, 20), &[], 20 * 512), &[0; 20 * 512][..]);
    // WSNZ zero: zero blocks writes to the last LBA.
    r.log.clear();
    r.good(&write_same16(2040, 0, false, false), &[7; 512], 512);
    assert_eq!(r.good(&read10(2040, 8), &[], 8 * 512), &[7; 8 * 512][..]);
    let mut cfg = DiskConfig::new(9, "WS", BlockSize::B512, 4096);
    cfg.max_write_same_blocks = 16;
    let mut small = Rig::ready_with(cfg);
    // More than MAXIMUM WRITE SAME LENGTH, given or implied by zero.
    assert_field(
        &small.run(&write_same16(0, 17, false, false), &[0; 512], 512),
        10,
        Some(7),
    );
    assert_field(
        &small.run(&write_same16(4079, 0, false, false), &[0; 512], 512),
        10,
        Some(7),
    );
    small.good(&write_same16(4080, 0, false, false), &[0; 512], 512);
    // UNMAP one deallocates whatever the block sent (SBC-4 §5.47): the
    // blocks then read as zero.
    r.good(&write_same16(120, 4, false, false), &[0xff; 512], 512);
    r.log.clear();
    r.good(&write_same16(120, 4, true, false), &[0xff; 512], 512);
    assert!(matches!(r.log[..], [IoOp::Deallocate { .. }]));
    assert_eq!(r.good(&read10(120, 4), &[], 4 * 512), &[0; 4 * 512][..]);
    // A fully provisioned LU does not implement UNMAP: it writes.
    let mut thick = Rig::ready_with(DiskConfig::new(8, "WS-THICK", BlockSize::B512, 64));
    thick.good(&write_same16(4, 2, true, false), &[0xee; 512], 512);
    assert_eq!(
        thick.good(&read10(4, 2), &[], 2 * 512),
        &[0xee; 2 * 512][..]
    );
    let mut anchor = write_same16(0, 1, true, false);
    anchor[1] |= 0x10;
    assert_field(&r.run(&anchor, &[0; 512], 512), 1, Some(4));
}

fn unmap_cdb(len: u16) -> [u8; 10] {
    let mut c = [0u8; 10];
    c[0] = 0x42;
    c[7..9].copy_from_slice(&len.to_be_bytes());
    c
}

fn unmap_list(d: &[(u64, u32)]) -> Vec<u8> {
    UnmapList {
        reserved: 0,
        descriptors: d
            .iter()
            .map(|&(lba, blocks)| UnmapDescriptor {
                lba,
                blocks,
                reserved: 0,
            })
            .collect(),
    }
    .encode()
}

#[test]
fn unmap_deallocates_within_the_limits() {
    let mut r = Rig::new();
    r.good(&write10(0, 8, false), &[9; 4096], 4096);
    let l = unmap_list(&[(2, 2), (6, 1), (7, 0)]);
    r.log.clear();
    r.good(&unmap_cdb(l.len() as u16), &l, l.len() as u32);
    assert_eq!(r.log.len(), 2);
    let d = r.good(&read10(0, 8), &[], 4096);
    assert_eq!(&d[1024..2048], &[0; 1024][..]);
    assert_eq!(&d[..1024], &[9; 1024][..]);
    r.good(&unmap_cdb(0), &[], 0);
    assert_illegal(
        &r.run(&unmap_cdb(4), &l, 4),
        AscAscq::PARAMETER_LIST_LENGTH_ERROR,
    );
    let l = unmap_list(&[(2047, 2)]);
    assert_illegal(
        &r.run(&unmap_cdb(l.len() as u16), &l, l.len() as u32),
        AscAscq::LBA_OUT_OF_RANGE,
    );
    let mut cfg = DiskConfig::new(9, "UM", BlockSize::B512, 4096).thin(true);
    cfg.max_unmap_descriptors = 1;
    cfg.max_unmap_blocks = 4;
    let mut small = Rig::ready_with(cfg);
    for l in [unmap_list(&[(0, 1), (2, 1)]), unmap_list(&[(0, 5)])] {
        assert_illegal(
            &small.run(&unmap_cdb(l.len() as u16), &l, l.len() as u32),
            AscAscq::INVALID_FIELD_IN_PARAMETER_LIST,
        );
    }
    // A thick LU does not have UNMAP (SBC-4 §5.32.1, LBPU zero).
    let mut thick = Rig::ready_with(DiskConfig::new(9, "TK", BlockSize::B512, 64));
    assert_illegal(
        &thick.run(&unmap_cdb(0), &[], 0),
        AscAscq::INVALID_COMMAND_OPERATION_CODE,
    );
}

#[test]
fn compare_and_write_several_blocks() {
    let mut r = Rig::new();
    r.good(&write10(30, 2, false), &[1; 1024], 1024);
    let mut out = vec![1u8; 1024];
    out.extend_from_slice(&[2; 1024]);
    r.good(&caw(30, 2), &out, 2048);
    assert_eq!(r.good(&read10(30, 2), &[], 1024), &[2; 1024][..]);
    // The medium now holds 2s: comparing with 1s fails at offset 0.
    let s = assert_check(
        &r.run(&caw(30, 2), &out, 2048),
        SenseKey::MISCOMPARE,
        AscAscq::MISCOMPARE_DURING_VERIFY,
    );
    assert_eq!(s.information, Some(0));
    let mut partial = vec![2u8; 1024];
    partial[600] = 7;
    partial.extend_from_slice(&[3; 1024]);
    let s = sense(&r.run(&caw(30, 2), &partial, 2048));
    assert_eq!(s.information, Some(600));
    assert_eq!(
        r.good(&read10(30, 2), &[], 1024),
        &[2; 1024][..],
        "nothing written"
    );
    let mut cfg = DiskConfig::new(9, "CW", BlockSize::B4096, 64);
    cfg.max_compare_and_write_blocks = 2;
    let mut small = Rig::ready_with(cfg);
    assert_field(&small.run(&caw(0, 3), &[], 0), 13, Some(7));
}

#[test]
fn start_stop_prevent_allow() {
    let mut r = Rig::new();
    r.good(&[0x1b, 0, 0, 0, 1, 0], &[], 0);
    r.good(&[0x1b, 1, 0, 0, 0, 0], &[], 0);
    assert_field(&r.run(&[0x1b, 0, 0, 0, 0x02, 0], &[], 0), 4, Some(1));
    // SBC-4 §5.27: a POWER CONDITION other than 0h ignores START and
    // LOEJ; rtgt enters no power condition and answers GOOD.
    r.good(&[0x1b, 0, 0, 0, 0x12, 0], &[], 0);
    r.good(&[0x1e, 0, 0, 0, 1, 0], &[], 0);
    assert_field(&r.run(&[0x1e, 0, 0, 0, 2, 0], &[], 0), 4, Some(1));
}

#[test]
fn report_supported_operation_codes() {
    let mut r = Rig::new();
    let all = r.good(&[0xa3, 0x0c, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0], &[], 4096);
    let list = SupportedOpcodes::decode(&all).unwrap().value;
    assert!(list.commands.iter().any(|c| c.opcode == 0x42));
    assert!(list
        .commands
        .iter()
        .any(|c| c.opcode == 0x9e && c.servactv && c.service_action == 0x10));
    let one = r.good(&[0xa3, 0x0c, 1, 0x28, 0, 0, 0, 0, 1, 0, 0, 0], &[], 256);
    let one = OneCommand::decode(&one).unwrap().value;
    assert_eq!(one.support, 0b011);
    assert_eq!(one.cdb_usage.len(), 10);
    let none = r.good(&[0xa3, 0x0c, 1, 0x3b, 0, 0, 0, 0, 1, 0, 0, 0], &[], 256);
    assert_eq!(OneCommand::decode(&none).unwrap().value.support, 0b001);
    assert_field(
        &r.run(&[0xa3, 0x0c, 1, 0x9e, 0, 0, 0, 0, 1, 0, 0, 0], &[], 256),
        3,
        Some(7),
    );
    assert_field(
        &r.run(&[0xa3, 0x0c, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0], &[], 256),
        2,
        Some(2),
    );
    let rc16 = r.good(&[0xa3, 0x0c, 2, 0x9e, 0, 0x10, 0, 0, 1, 0, 0, 0], &[], 256);
    assert_eq!(OneCommand::decode(&rc16).unwrap().value.support, 0b011);
}

#[test]
fn data_out_must_match_caw_and_write_same() {
    let mut r = Rig::new();
    // COMPARE AND WRITE: 2 × NUMBER OF LOGICAL BLOCKS blocks exactly; a
    // zero count with data sent is refused too.
    for (blocks, sent) in [(1u8, 4 * 512), (3, 4 * 512), (0, 2 * 512)] {
        let rep = r.run(&caw(0, blocks), &vec![0; sent], sent as u32);
        assert_field(&rep, 13, Some(7));
    }
    r.good(&caw(0, 0), &[], 0);
    // WRITE SAME: one block, or none with NDOB.
    let bad = AscAscq::new(0x0e, 0x03);
    for sent in [256usize, 1024] {
        let rep = r.run(
            &write_same16(0, 1, true, false),
            &vec![0; sent],
            sent as u32,
        );
        assert_illegal(&rep, bad);
    }
    let rep = r.run(&write_same16(0, 1, true, true), &[0; 512], 512);
    assert_illegal(&rep, bad);
    r.good(&write_same16(0, 1, true, true), &[], 0);
}

#[test]
fn unmap_zero_blocks_at_the_capacity() {
    let mut r = Rig::new();
    // SBC-4 §5.32.2: LBA plus zero blocks equal to the capacity does not
    // exceed it; one past does.
    let l = unmap_list(&[(2048, 0)]);
    r.good(&unmap_cdb(l.len() as u16), &l, l.len() as u32);
    let l = unmap_list(&[(2049, 0)]);
    let rep = r.run(&unmap_cdb(l.len() as u16), &l, l.len() as u32);
    assert_illegal(&rep, AscAscq::LBA_OUT_OF_RANGE);
}
