//! READ and WRITE: data, FUA, flushes, range and length checks, backstore
//! failures and their sense.

use super::*;
use crate::task::Residual;

#[test]
fn write_then_read_and_sparse_reads() {
    let mut r = Rig::new();
    let data: Vec<u8> = (0..1024u32).map(|i| (i % 253) as u8).collect();
    r.good(&write10(10, 2, false), &data, 1024);
    assert_eq!(r.good(&read10(10, 2), &[], 1024), &data[..]);
    // Never written: zeroes, and the RAM store allocated nothing there.
    assert_eq!(r.good(&read10(1000, 4), &[], 2048), &[0u8; 2048][..]);
    assert_eq!(r.store.allocated(), crate::backstore::RAM_CHUNK);
    // READ (6): TRANSFER LENGTH zero means 256 blocks (SBC-4 §5.14).
    let d = r.good(&[0x08, 0, 0, 0, 0, 0], &[], 256 * 512);
    assert_eq!(d.len(), 256 * 512);
    // READ (16) and WRITE (12) take the same path.
    let mut w12 = [0u8; 12];
    w12[0] = 0xaa;
    w12[5] = 20;
    w12[9] = 1;
    r.good(&w12, &[0xab; 512], 512);
    let mut r16 = [0u8; 16];
    r16[0] = 0x88;
    r16[9] = 20;
    r16[13] = 1;
    assert_eq!(r.good(&r16, &[], 512), &[0xab; 512][..]);
}

#[test]
fn fua_and_write_cache_decide_the_write_flag() {
    let mut r = Rig::new();
    r.good(&write10(0, 1, false), &[1; 512], 512);
    r.good(&write10(1, 1, true), &[1; 512], 512);
    let fuas: Vec<bool> = r
        .log
        .iter()
        .filter_map(|op| match op {
            IoOp::Write { fua, .. } => Some(*fua),
            _ => None,
        })
        .collect();
    assert_eq!(fuas, vec![false, true]);
    r.log.clear();
    r.good(&[0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0], &[], 0);
    let mut s16 = [0u8; 16];
    s16[0] = 0x91;
    r.good(&s16, &[], 0);
    assert_eq!(r.log, vec![IoOp::Flush, IoOp::Flush]);
    let out = r.run(&[0x35, 0, 0, 0, 0x10, 0, 0, 0, 0, 0], &[], 0);
    assert_illegal(&out, AscAscq::LBA_OUT_OF_RANGE);
}

#[test]
fn range_length_and_field_checks() {
    let mut r = Rig::new();
    let past = r.run(&read10(2047, 2), &[], 1024);
    assert_illegal(&past, AscAscq::LBA_OUT_OF_RANGE);
    let past = r.run(&read10(2048, 0), &[], 0);
    assert_illegal(&past, AscAscq::LBA_OUT_OF_RANGE);
    // Zero blocks at a valid LBA is not an error.
    r.good(&read10(2047, 0), &[], 0);
    let mut cfg = DiskConfig::new(2, "SN2", BlockSize::B512, 1 << 20);
    cfg.max_transfer_blocks = 8;
    let mut small = Rig::ready_with(cfg);
    // SBC-4 §6.6.4: over MAXIMUM TRANSFER LENGTH, pointing at the length.
    assert_field(&small.run(&read10(0, 9), &[], 9 * 512), 7, Some(7));
    let mut rd = read10(0, 1);
    rd[1] = 0x20;
    assert_field(&r.run(&rd, &[], 512), 1, Some(7));
    // Less Data-Out than the CDB asks for, in whole blocks: those are
    // written, the rest is an overflow residual (RFC 7143 §11.4.5.1).
    r.good(&write10(0, 2, false), &[0; 512], 512);
    r.good(&write10(4, 2, false), &[7; 512], 512);
    assert_eq!(
        r.good(&read10(4, 2), &[], 1024),
        [[7u8; 512], [0u8; 512]].concat()
    );
    let short = r.run(&write10(0, 2, false), &[0; 512], 512);
    assert_eq!(short.residual, Residual::Overflow(512));
    let none = r.run(&write10(0, 1, false), &[], 0);
    assert_eq!(none.residual, Residual::Overflow(512));
    // A partial block cannot be written; the residual is still reported.
    let part = r.run(&write10(0, 1, false), &[0; 200], 200);
    assert_illegal(&part, AscAscq::new(0x0e, 0x03));
    assert_eq!(part.residual, Residual::Overflow(312));
    // More than needed: the rest is an underflow residual.
    let more = r.run(&write10(0, 1, false), &[0; 1024], 1024);
    assert_eq!(more.residual, Residual::Underflow(512));
}

#[test]
fn read_only_refuses_writes() {
    let mut r = Rig::ready_with(DiskConfig::new(3, "RO", BlockSize::B4096, 16).read_only(true));
    let w = r.run(&write10(0, 1, false), &[0; 4096], 4096);
    assert_check(&w, SenseKey::DATA_PROTECT, AscAscq::WRITE_PROTECTED);
    assert_eq!(r.good(&read10(0, 1), &[], 4096).len(), 4096);
}

#[test]
fn backstore_failures_map_to_sense() {
    let mut r = Rig::new();
    r.fault = Some(|_| Some(BackstoreError::Io));
    let s = assert_check(
        &r.run(&read10(7, 1), &[], 512),
        SenseKey::MEDIUM_ERROR,
        AscAscq::UNRECOVERED_READ_ERROR,
    );
    assert_eq!(s.information, Some(7));
    assert_check(
        &r.run(&write10(7, 1, false), &[1; 512], 512),
        SenseKey::MEDIUM_ERROR,
        AscAscq::WRITE_ERROR,
    );
    assert_check(
        &r.run(&[0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0], &[], 0),
        SenseKey::MEDIUM_ERROR,
        AscAscq::WRITE_ERROR,
    );
    r.fault = Some(|_| Some(BackstoreError::NoSpace));
    assert_check(
        &r.run(&write10(7, 1, false), &[1; 512], 512),
        SenseKey::DATA_PROTECT,
        AscAscq::SPACE_ALLOCATION_FAILED_WRITE_PROTECT,
    );
    r.fault = None;
    assert_eq!(r.good(&read10(7, 1), &[], 512), &[0; 512][..]);
}

#[test]
fn real_no_space_from_a_full_ram_store() {
    let cfg = DiskConfig::new(4, "SN4", BlockSize::B512, 1024).thin(true);
    let mut r = Rig::ready_with(cfg);
    r.store = RamBackstore::new(1024 * 512).with_space_limit(crate::backstore::RAM_CHUNK);
    r.good(&write10(0, 1, false), &[1; 512], 512);
    let full = r.run(&write10(512, 1, false), &[1; 512], 512);
    assert_check(
        &full,
        SenseKey::DATA_PROTECT,
        AscAscq::SPACE_ALLOCATION_FAILED_WRITE_PROTECT,
    );
}
