//! PRE-FETCH, ORWRITE, WRITE AND VERIFY, VERIFY (12) and (16), WRITE ATOMIC, GET LBA STATUS, READ DEFECT DATA,
//! FORMAT UNIT, REPORT TARGET PORT GROUPS, REPORT SUPPORTED TMFS, SWP.

use super::*;
use rtgt_proto::scsi::params::lba::{PROVISIONING_DEALLOCATED, PROVISIONING_MAPPED};
use rtgt_proto::scsi::params::{DefectData, LbaStatus, SupportedTmfs, TargetPortGroups};

fn cdb16(op: u8, lba: u64, len: u32) -> [u8; 16] {
    let mut c = [0u8; 16];
    c[0] = op;
    c[2..10].copy_from_slice(&lba.to_be_bytes());
    c[10..14].copy_from_slice(&len.to_be_bytes());
    c
}

fn get_lba_status(r: &mut Rig, lba: u64) -> LbaStatus {
    let mut c = cdb16(0x9e, lba, 4096);
    c[1] = 0x12;
    LbaStatus::decode(&r.good(&c, &[], 4096)).unwrap().value
}

#[test]
fn prefetch_is_condition_met_within_the_medium() {
    let mut r = Rig::new();
    let c = [0x34, 0, 0, 0, 0, 0, 0, 0, 8, 0];
    assert_eq!(r.run(&c, &[], 0).status, Status::CONDITION_MET);
    // Zero blocks: to the last LBA.
    assert_eq!(
        r.run(&cdb16(0x90, 2047, 0), &[], 0).status,
        Status::CONDITION_MET
    );
    let rep = r.run(&cdb16(0x90, 2047, 2), &[], 0);
    assert_illegal(&rep, AscAscq::LBA_OUT_OF_RANGE);
}

#[test]
fn orwrite_ors_into_the_medium() {
    let mut r = Rig::new();
    r.good(&write10(4, 1, false), &[0x0f; 512], 512);
    r.good(&cdb16(0x8b, 4, 1), &[0xf0; 512], 512);
    assert_eq!(r.good(&read10(4, 1), &[], 512), &[0xff; 512][..]);
    // ORPROTECT is refused (no protection information).
    let mut c = cdb16(0x8b, 4, 1);
    c[1] = 0x20;
    assert_field(&r.run(&c, &[0; 512], 512), 1, Some(7));
    let rep = r.run(&cdb16(0x8b, 2048, 1), &[0; 512], 512);
    assert_illegal(&rep, AscAscq::LBA_OUT_OF_RANGE);
}

#[test]
fn write_and_verify_writes_and_checks_its_fields() {
    let mut r = Rig::new();
    // WRITE AND VERIFY (10), (12), (16) with BYTCHK 00b and 01b.
    let mut c10 = [0x2e, 0, 0, 0, 0, 4, 0, 0, 1, 0];
    r.good(&c10, &[1; 512], 512);
    let mut c12 = [0xae, 0x02, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0];
    r.good(&c12, &[2; 512], 512);
    let mut c16 = cdb16(0x8e, 6, 1);
    c16[1] = 0x02;
    r.good(&c16, &[3; 512], 512);
    let back = r.good(&read10(4, 3), &[], 1536);
    assert_eq!(back[..512], [1; 512]);
    assert_eq!(back[512..1024], [2; 512]);
    assert_eq!(back[1024..], [3; 512]);
    // BYTCHK 10b is reserved, and nothing is written.
    c10[1] = 0x04;
    assert_field(&r.run(&c10, &[9; 512], 512), 1, Some(2));
    assert_eq!(r.good(&read10(4, 1), &[], 512), &[1; 512][..]);
    // Zero blocks writes nothing; past the last LBA is out of range.
    c12[9] = 0;
    r.good(&c12, &[], 0);
    let rep = r.run(&cdb16(0x8e, 2047, 2), &[0; 1024], 1024);
    assert_illegal(&rep, AscAscq::LBA_OUT_OF_RANGE);
    // WRPROTECT is refused (no protection information).
    c16[1] = 0x20;
    assert_field(&r.run(&c16, &[0; 512], 512), 1, Some(7));
}

#[test]
fn verify12_and_16_compare_and_check_the_range() {
    let mut r = Rig::new();
    r.good(&write10(10, 2, false), &[7; 1024], 1024);
    let mut v12 = [0xaf, 0x02, 0, 0, 0, 10, 0, 0, 0, 2, 0, 0];
    r.good(&v12, &[7; 1024], 1024);
    let mut other = [7u8; 1024];
    other[600] = 8;
    assert_check(
        &r.run(&v12, &other, 1024),
        SenseKey::MISCOMPARE,
        AscAscq::MISCOMPARE_DURING_VERIFY,
    );
    v12[1] = 0x04;
    assert_field(&r.run(&v12, &[], 0), 1, Some(2));
    r.good(&cdb16(0x8f, 10, 2), &[], 0);
    let rep = r.run(&cdb16(0x8f, u64::MAX, 2), &[], 0);
    assert_illegal(&rep, AscAscq::LBA_OUT_OF_RANGE);
}

#[test]
fn write_atomic_within_its_limit() {
    let mut r = Rig::new();
    let mut c = [0u8; 16];
    c[0] = 0x9c;
    c[2..10].copy_from_slice(&8u64.to_be_bytes());
    c[12..14].copy_from_slice(&2u16.to_be_bytes());
    r.good(&c, &[9; 1024], 1024);
    assert_eq!(r.good(&read10(8, 2), &[], 1024), &[9; 1024][..]);
    // ATOMIC BOUNDARY needs a boundary size.
    c[10] = 1;
    assert_field(&r.run(&c, &[9; 1024], 1024), 10, Some(7));
}

#[test]
fn get_lba_status_reports_mapped_and_deallocated_extents() {
    let mut r = Rig::new();
    let s = get_lba_status(&mut r, 0);
    assert_eq!(s.descriptors.len(), 1);
    assert_eq!((s.descriptors[0].lba, s.descriptors[0].blocks), (0, 2048));
    assert_eq!(
        s.descriptors[0].provisioning_status,
        PROVISIONING_DEALLOCATED
    );
    // One write maps the RAM chunk (128 blocks) around it.
    r.good(&write10(130, 1, false), &[1; 512], 512);
    let s = get_lba_status(&mut r, 5);
    let d: Vec<_> = s
        .descriptors
        .iter()
        .map(|d| (d.lba, d.blocks, d.provisioning_status))
        .collect();
    assert_eq!(
        d,
        vec![
            (5, 123, PROVISIONING_DEALLOCATED),
            (128, 128, PROVISIONING_MAPPED),
            (256, 1792, PROVISIONING_DEALLOCATED),
        ]
    );
    let rep = r.run(
        &[0x9e, 0x12, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 24, 0, 0],
        &[],
        24,
    );
    assert_illegal(&rep, AscAscq::LBA_OUT_OF_RANGE);
    // A thick LU is mapped everywhere.
    let mut thick = Rig::ready_with(DiskConfig::new(2, "SN2", BlockSize::B512, 64));
    let s = get_lba_status(&mut thick, 0);
    assert_eq!(s.descriptors[0].provisioning_status, PROVISIONING_MAPPED);
}

#[test]
fn read_defect_data_is_empty() {
    let mut r = Rig::new();
    let d = r.good(&[0x37, 0, 0x18, 0, 0, 0, 0, 0, 32, 0], &[], 32);
    let d = DefectData::decode10(&d).unwrap();
    assert!(d.plistv && d.glistv && d.list.is_empty());
    let d = r.good(&[0xb7, 0x08, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0], &[], 32);
    assert_eq!(d.len(), 8);
    assert!(DefectData::decode12(&d).unwrap().glistv);
}

#[test]
fn format_unit_deallocates_a_thin_lu() {
    let mut r = Rig::new();
    r.good(&write10(0, 1, false), &[1; 512], 512);
    r.good(&[0x04, 0, 0, 0, 0, 0], &[], 0);
    assert_eq!(r.good(&read10(0, 1), &[], 512), &[0; 512][..]);
    assert_eq!(r.store.allocated(), 0);
    assert_field(&r.run(&[0x04, 0x10, 0, 0, 0, 0], &[], 0), 1, Some(4));
}

#[test]
fn target_port_groups_and_tmfs() {
    let mut r = Rig::new();
    let d = r.good(&[0xa3, 0x0a, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], &[], 256);
    let g = TargetPortGroups::decode(&d, false).unwrap().value;
    assert_eq!(g.groups.len(), 1);
    assert_eq!((g.groups[0].group, g.groups[0].ports.clone()), (1, vec![1]));
    let d = r.good(&[0xa3, 0x2a, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], &[], 256);
    assert_eq!(
        TargetPortGroups::decode(&d, true).unwrap().value.extended,
        Some(0)
    );
    assert_field(
        &r.run(&[0xa3, 0x4a, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], &[], 256),
        1,
        Some(7),
    );
    let d = r.good(&[0xa3, 0x0d, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0], &[], 16);
    let t = SupportedTmfs::decode(&d).unwrap().value;
    assert!(t.abort_task && t.abort_task_set && t.clear_task_set && t.lu_reset);
    assert!(!t.clear_aca && t.extended.is_none());
}

#[test]
fn software_write_protect() {
    let mut r = Rig::new();
    // MODE SELECT (6) of the Control page with SWP set.
    let ms = r.good(&[0x1a, 0x08, 0x0a, 0, 255, 0], &[], 255);
    let mut page = ms[4..].to_vec();
    page[4] |= 0x08;
    let mut list = vec![0, 0, 0, 0];
    list.extend_from_slice(&page);
    let n = list.len() as u8;
    r.good(&[0x15, 0x10, 0, 0, n, 0], &list, n.into());
    let rep = r.run(&write10(0, 1, false), &[0; 512], 512);
    assert_check(
        &rep,
        SenseKey::DATA_PROTECT,
        AscAscq::SOFTWARE_WRITE_PROTECTED,
    );
    // Reads go on; the header's WP bit shows it.
    r.good(&read10(0, 1), &[], 512);
    let ms = r.good(&[0x1a, 0x08, 0x0a, 0, 255, 0], &[], 255);
    assert_eq!(ms[2] & 0x80, 0x80);
}
