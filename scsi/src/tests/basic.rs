//! Unit attentions, CDB checks shared by all commands, INQUIRY, READ
//! CAPACITY, REQUEST SENSE, REPORT LUNS and the LUN map.

use super::*;
use crate::luns::LunMap;
use crate::task::Residual;
use rtgt_proto::scsi::params::{ReadCapacity16, ReportLuns, StandardInquiry};
use rtgt_proto::scsi::vpd::{Vpd, VpdPage};

#[test]
fn power_on_unit_attention_once_per_nexus_and_inquiry_passes_it() {
    let mut r = Rig::ready_with(DiskConfig::new(1, "SN1", BlockSize::B512, 64));
    // SAM-5 §5.14: INQUIRY is answered with a unit attention pending.
    let inq = r.good(&[0x12, 0, 0, 0, 96, 0], &[], 96);
    assert_eq!(inq[0], 0x00);
    r.good(&[0; 6], &[], 0);
    // A second initiator gets its own.
    r.nexus = nexus("init1");
    let rs = r.good(&[0x03, 0, 0, 0, 252, 0], &[], 252);
    let s = Sense::decode(&rs).unwrap().value;
    assert_eq!(
        (s.key, s.asc),
        (SenseKey::UNIT_ATTENTION, AscAscq::POWER_ON_RESET)
    );
    let rs = r.good(&[0x03, 1, 0, 0, 252, 0], &[], 252);
    assert_eq!(rs[0], 0x72, "DESC asks for descriptor format");
    assert_eq!(Sense::decode(&rs).unwrap().value.key, SenseKey::NO_SENSE);
}

#[test]
fn shared_cdb_checks() {
    let mut r = Rig::new();
    let bad = r.run(&[0xc0, 0, 0, 0, 0, 0], &[], 0);
    assert_illegal(&bad, AscAscq::INVALID_COMMAND_OPERATION_CODE);
    // RECEIVE COPY RESULTS (RECEIVE DATA) is decoded by proto but not
    // served (no held data): INVALID FIELD IN CDB at SERVICE ACTION.
    let mut gls = [0u8; 16];
    gls[0] = 0x84;
    gls[1] = 0x01;
    let bad = r.run(&gls, &[], 0);
    assert_field(&bad, 1, Some(4));
    assert_field(&r.run(&[0, 0, 0, 0, 0, 0x04], &[], 0), 5, Some(2));
    assert_field(&r.run(&[0, 0, 0, 0, 0, 0x01], &[], 0), 5, Some(0));
    assert_field(&r.run(&[0, 0, 0, 1, 0, 0], &[], 0), 1, Some(7));
    // Truncated CDB and bad service action.
    assert_field(&r.run(&[0x28, 0, 0], &[], 0), 0, None);
    let mut sai = [0u8; 16];
    sai[0] = 0x9e;
    sai[1] = 0x1f;
    assert_field(&r.run(&sai, &[], 0), 1, Some(4));
}

#[test]
fn inquiry_checks_and_truncation() {
    let mut r = Rig::new();
    assert_field(&r.run(&[0x12, 0, 0x80, 0, 255, 0], &[], 255), 2, Some(7));
    assert_field(&r.run(&[0x12, 2, 0, 0, 255, 0], &[], 255), 1, Some(1));
    assert_field(&r.run(&[0x12, 1, 0xc0, 0, 255, 0], &[], 255), 2, Some(7));
    // SPC-5 §4.2.5.6: cut to the allocation length; the residual is the
    // caller's expected length against what was sent.
    let reply = r.run(&[0x12, 0, 0, 0, 5, 0], &[], 255);
    assert_eq!(reply.data_in.len(), 5);
    assert_eq!(reply.residual, Residual::Underflow(250));
    let full = r.good(&[0x12, 0, 0, 0, 255, 0], &[], 255);
    let inq = StandardInquiry::decode(&full).unwrap().value;
    assert_eq!(&inq.vendor_id, b"RTGT    ");
    assert!(inq.cmdque && inq.hisup);
    // Expected length shorter than the data: overflow.
    let reply = r.run(&[0x12, 0, 0, 0, 255, 0], &[], 36);
    assert_eq!(reply.data_in.len(), 36);
    assert_eq!(reply.residual, Residual::Overflow(full.len() as u32 - 36));
}

#[test]
fn vpd_pages_decode() {
    let mut r = Rig::new();
    for page in crate::vpd::PAGES {
        let d = r.good(&[0x12, 1, page, 0x10, 0, 0], &[], 0x1000);
        let v = Vpd::decode(&d).unwrap();
        assert!(!v.is_truncated());
        assert_eq!(v.value.page.page_code(), page);
    }
    let d = r.good(&[0x12, 1, 0xb0, 0x10, 0, 0], &[], 0x1000);
    let VpdPage::BlockLimits(l) = Vpd::decode(&d).unwrap().value.page else {
        panic!("not block limits")
    };
    assert_eq!(
        (l.max_transfer_length, l.max_unmap_block_descriptor_count),
        (16384, 256)
    );
}

#[test]
fn read_capacity_10_saturates_and_16_reports_thin() {
    let big = 1u64 << 33;
    let mut r = Rig::ready_with(DiskConfig::new(1, "SN", BlockSize::B4096, big).thin(true));
    let d = r.good(&[0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], &[], 8);
    assert_eq!(&d[..], &[0xff, 0xff, 0xff, 0xff, 0, 0, 0x10, 0]);
    let mut c = [0u8; 16];
    c[0] = 0x9e;
    c[1] = 0x10;
    c[13] = 32;
    let d = r.good(&c, &[], 32);
    let rc = ReadCapacity16::decode(&d).unwrap();
    assert_eq!((rc.returned_lba, rc.block_length), (big - 1, 4096));
    assert!(rc.lbpme && rc.lbprz);
    c[13] = 12;
    assert_eq!(r.good(&c, &[], 32).len(), 12);
}

#[test]
fn lun_map_report_luns_and_missing_luns() {
    let mut map = LunMap::new();
    let cfg = DiskConfig::new(1, "SN", BlockSize::B512, 64);
    map.insert(0, Disk::new(cfg.clone()).unwrap());
    map.insert(3, Disk::new(cfg).unwrap());
    let n = nexus("i");
    let mut run = |lun: u16, cdb: &[u8]| {
        map.submit(Command {
            nexus: n.clone(),
            tag: 1,
            attr: TaskAttribute::Simple,
            lun: Lun::from_index(lun),
            cdb: Bytes::copy_from_slice(cdb),
            data_out: Bytes::new(),
            expected_len: 256,
        });
        map.poll_completion().unwrap().reply.unwrap()
    };
    let rl = [0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0];
    let luns = ReportLuns::decode(&run(7, &rl).data_in).unwrap().value.luns;
    assert_eq!(luns, vec![Lun::from_index(0), Lun::from_index(3)]);
    assert_field(
        &run(0, &[0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 15, 0, 0]),
        6,
        Some(7),
    );
    assert_field(
        &run(0, &[0xa0, 0, 3, 0, 0, 0, 0, 0, 1, 0, 0, 0]),
        2,
        Some(7),
    );
    // SPC-5 §6.7.2: qualifier 011b, type 1Fh.
    assert_eq!(run(5, &[0x12, 0, 0, 0, 36, 0]).data_in[0], 0x7f);
    let tur = run(5, &[0; 6]);
    assert_illegal(&tur, AscAscq::LOGICAL_UNIT_NOT_SUPPORTED);
    let rs = run(5, &[0x03, 0, 0, 0, 18, 0]);
    assert_eq!(rs.status, Status::GOOD);
    assert_eq!(
        Sense::decode(&rs.data_in).unwrap().value.asc,
        AscAscq::LOGICAL_UNIT_NOT_SUPPORTED
    );
    // A known LUN goes to its disk: the power-on unit attention.
    let tur = run(3, &[0; 6]);
    assert_check(&tur, SenseKey::UNIT_ATTENTION, AscAscq::POWER_ON_RESET);
}
