//! Field layouts of single commands: known bytes decode to the fields the
//! standard's CDB table names, encode back to the same bytes, and reserved
//! bits are reported at their place.

use super::capacity::*;
use super::copy::*;
use super::inquiry_sense::*;
use super::maintenance::*;
use super::misc::*;
use super::mode::*;
use super::reservations::*;
use super::rw::*;
use super::verify::*;
use super::write_same_unmap::*;
use super::*;

// inquiry_sense.rs

#[test]
fn test_unit_ready_layout() {
    let t = TestUnitReady::decode(&[0, 0, 0, 0, 0, 0]).unwrap();
    assert_eq!(t, TestUnitReady::default());
    let t = TestUnitReady::decode(&[0, 0, 0, 1, 0, 0]).unwrap();
    assert_eq!(t.reserved_1, 0x100);
    assert_eq!(t.reserved_violation(), Some(FieldPointer::bit(1, 7)));
    let t = TestUnitReady::decode(&[0, 0, 0, 0, 0, 0x08]).unwrap();
    assert_eq!(t.reserved_violation(), Some(FieldPointer::bit(5, 5)));
}

#[test]
fn request_sense_layout() {
    let b = [0x03, 0x01, 0, 0, 0xfc, 0];
    let r = RequestSense::decode(&b).unwrap();
    assert!(r.desc);
    assert_eq!(r.allocation_length, 252);
    assert_eq!(r.encode(), b);
}

#[test]
fn inquiry_layout() {
    // Standard INQUIRY, 36 bytes; then VPD page 0x83, 0x1000 bytes.
    let i = Inquiry::decode(&[0x12, 0, 0, 0, 36, 0]).unwrap();
    assert!(!i.evpd);
    assert_eq!((i.page_code, i.allocation_length), (0, 36));
    let b = [0x12, 0x01, 0x83, 0x10, 0x00, 0];
    let i = Inquiry::decode(&b).unwrap();
    assert!(i.evpd);
    assert_eq!((i.page_code, i.allocation_length), (0x83, 0x1000));
    assert_eq!(i.encode(), b);
    let i = Inquiry::decode(&[0x12, 0x02, 0, 0, 36, 0]).unwrap();
    assert!(i.obsolete_cmddt && !i.evpd);
}

#[test]
fn report_luns_layout() {
    let b = [0xa0, 0, 0x02, 0, 0, 0, 0, 0, 0x10, 0, 0, 0];
    let r = ReportLuns::decode(&b).unwrap();
    assert_eq!(r.select_report, select_report::ALL);
    assert_eq!(r.allocation_length, 0x1000);
    assert_eq!(r.encode(), b);
}

// capacity.rs

#[test]
fn read_capacity10_layout() {
    let r = ReadCapacity10::decode(&[0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap();
    assert_eq!(r, ReadCapacity10::default());
    let r = ReadCapacity10::decode(&[0x25, 0, 0, 0, 0, 9, 0, 0, 1, 0]).unwrap();
    assert!(r.obsolete_pmi);
    assert_eq!(r.obsolete_lba, 9);
}

#[test]
fn read_capacity16_layout() {
    let b = [0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0];
    let r = ReadCapacity16::decode(&b).unwrap();
    assert_eq!(r.allocation_length, 32);
    assert_eq!(r.encode(), b);
    let r = ReadCapacity16::decode(&[0x9e, 0x30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        r.unwrap().reserved_violation(),
        Some(FieldPointer::bit(1, 7))
    );
    let e = ReadCapacity16::decode(&[0x9e, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        e,
        Err(CdbError::InvalidServiceAction {
            opcode: 0x9e,
            service_action: 0x12
        })
    );
}

#[test]
fn get_lba_status_layout() {
    let b = [
        0x9e, 0x12, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x10, 0, 0x02, 0,
    ];
    let g = GetLbaStatus::decode(&b).unwrap();
    assert_eq!(
        (g.lba, g.allocation_length, g.report_type),
        (0x1000, 0x1000, 2)
    );
}

#[test]
fn synchronize_cache_layout() {
    let s = SynchronizeCache10::decode(&[0x35, 0x02, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap();
    assert!(s.immed);
    assert_eq!((s.lba, s.number_of_blocks), (0, 0));
    let b = [0x91, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0];
    let s = SynchronizeCache16::decode(&b).unwrap();
    assert_eq!((s.lba, s.number_of_blocks, s.immed), (1, 2, false));
}

#[test]
fn pre_fetch_layout() {
    let p = PreFetch10::decode(&[0x34, 0x02, 0, 0, 0, 4, 0, 0, 8, 0]).unwrap();
    assert_eq!((p.immed, p.lba, p.prefetch_length), (true, 4, 8));
    let b = [0x90, 0x04, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 8, 0, 0];
    let p = PreFetch16::decode(&b).unwrap();
    assert_eq!((p.reserved_1, p.lba, p.prefetch_length), (1, 4, 8));
    assert_eq!(p.reserved_violation(), Some(FieldPointer::bit(1, 7)));
}

// rw.rs

#[test]
fn read6_layout() {
    // READ (6), LBA 0x012345, 0 blocks (= 256), NACA set in CONTROL.
    let b = [0x08, 0x01, 0x23, 0x45, 0x00, 0x04];
    let r = Read6::decode(&b).unwrap();
    assert_eq!(r.lba, 0x012345);
    assert_eq!(r.transfer_length, 0);
    assert!(r.control.naca);
    assert_eq!(r.encode(), b);
    let reserved = [0x08, 0x21, 0, 0, 1, 0];
    let r = Read6::decode(&reserved).unwrap();
    assert_eq!(r.reserved_1, 1);
    assert_eq!(r.lba, 0x010000);
    assert_eq!(
        r.reserved_violation(),
        Some(crate::scsi::cdb::FieldPointer::bit(1, 7))
    );
}

#[test]
fn write6_layout() {
    let b = [0x0a, 0x1f, 0xff, 0xff, 0x08, 0x00];
    let w = Write6::decode(&b).unwrap();
    assert_eq!((w.lba, w.transfer_length), (0x1f_ffff, 8));
    assert_eq!(w.reserved_violation(), None);
}

#[test]
fn read10_layout() {
    // RDPROTECT 3, DPO, FUA, LBA 0x11223344, group 0x21, 0x0102 blocks.
    let b = [0x28, 0x78, 0x11, 0x22, 0x33, 0x44, 0x21, 0x01, 0x02, 0x00];
    let r = Read10::decode(&b).unwrap();
    assert_eq!(r.rdprotect, 3);
    assert!(r.dpo && r.fua && !r.rarc);
    assert_eq!(
        (r.lba, r.group_number, r.transfer_length),
        (0x1122_3344, 0x21, 0x102)
    );
    assert_eq!(r.encode(), b);
    // Reserved bits of byte 6 point at bit 7.
    let r = Read10 { reserved_6: 1, ..r };
    assert_eq!(
        r.reserved_violation(),
        Some(crate::scsi::cdb::FieldPointer::bit(6, 7))
    );
}

#[test]
fn write10_layout() {
    let b = [0x2a, 0x0c, 0, 0, 0x10, 0, 0, 0, 8, 0];
    let w = Write10::decode(&b).unwrap();
    assert!(w.fua && w.reserved_1_2 && !w.dpo);
    assert_eq!((w.lba, w.transfer_length), (0x1000, 8));
    assert_eq!(
        w.reserved_violation(),
        Some(crate::scsi::cdb::FieldPointer::bit(1, 2))
    );
}

#[test]
fn read12_write12_layout() {
    let b = [0xa8, 0x10, 0, 0, 0, 1, 0, 1, 0, 0, 0x85, 0];
    let r = Read12::decode(&b).unwrap();
    assert!(r.dpo && r.mmc_restricted);
    assert_eq!((r.lba, r.transfer_length, r.group_number), (1, 0x10000, 5));
    let mut w = b;
    w[0] = 0xaa;
    let w = Write12::decode(&w).unwrap();
    assert_eq!((w.lba, w.transfer_length, w.group_number), (1, 0x10000, 5));
}

#[test]
fn read16_write16_layout() {
    let b = [
        0x88, 0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0, 0, 0x10, 0, 0xc3, 0x00,
    ];
    let r = Read16::decode(&b).unwrap();
    assert_eq!(r.lba, 0x0102_0304_0506_0708);
    assert_eq!(r.transfer_length, 0x1000);
    assert!(r.dld2 && r.dld1 && r.dld0);
    assert_eq!(r.group_number, 3);
    assert_eq!(r.encode(), b);
    let mut w = b;
    w[0] = 0x8a;
    w[1] = 0x08;
    let w = Write16::decode(&w).unwrap();
    assert!(w.fua && !w.dld2);
}

// write_same_unmap.rs

#[test]
fn write_same10_layout() {
    let b = [0x41, 0x18, 0, 0, 0, 0x20, 0, 0, 0x10, 0];
    let w = WriteSame10::decode(&b).unwrap();
    assert!(w.anchor && w.unmap);
    assert_eq!((w.lba, w.number_of_blocks), (0x20, 0x10));
    assert_eq!(w.encode(), b);
}

#[test]
fn write_same16_layout() {
    let b = [0x93, 0x09, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0];
    let w = WriteSame16::decode(&b).unwrap();
    assert!(w.unmap && w.ndob && !w.anchor);
    assert_eq!((w.lba, w.number_of_blocks), (0x100, 0));
}

#[test]
fn unmap_layout() {
    let b = [0x42, 0x01, 0, 0, 0, 0, 0, 0, 0x18, 0];
    let u = Unmap::decode(&b).unwrap();
    assert!(u.anchor);
    assert_eq!(u.parameter_list_length, 24);
    let bad = [0x42, 0x00, 0, 0, 0, 1, 0, 0, 0x18, 0];
    let u = Unmap::decode(&bad).unwrap();
    assert_eq!(u.reserved_2, 1);
    assert_eq!(u.reserved_violation(), Some(FieldPointer::bit(2, 7)));
}

#[test]
fn compare_and_write_layout() {
    let c =
        CompareAndWrite::decode(&[0x89, 0x08, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0]).unwrap();
    assert!(c.fua);
    assert_eq!((c.lba, c.number_of_blocks), (5, 1));
    let c = CompareAndWrite {
        reserved_10: 0x100,
        ..c
    };
    assert_eq!(c.encode()[11], 1);
    assert_eq!(c.reserved_violation(), Some(FieldPointer::bit(10, 7)));
}

#[test]
fn orwrite_and_write_atomic_layout() {
    let o = OrWrite16::decode(&[0x8b, 0x10, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0]).unwrap();
    assert!(o.dpo);
    assert_eq!((o.lba, o.transfer_length), (2, 3));
    let a = WriteAtomic16::decode(&[0x9c, 0x08, 0, 0, 0, 0, 0, 0, 0, 8, 0, 4, 0, 2, 0, 0]).unwrap();
    assert!(a.fua);
    assert_eq!((a.lba, a.atomic_boundary, a.transfer_length), (8, 4, 2));
}

// verify.rs

#[test]
fn verify10_layout() {
    // VRPROTECT 1, DPO, BYTCHK 01b, LBA 0x10, 4 blocks, group 2.
    let b = [0x2f, 0x32, 0, 0, 0, 0x10, 0x02, 0, 4, 0];
    let v = Verify10::decode(&b).unwrap();
    assert_eq!((v.vrprotect, v.dpo, v.bytchk), (1, true, 1));
    assert_eq!((v.lba, v.length, v.group_number), (0x10, 4, 2));
    assert_eq!(v.encode(), b);
}

#[test]
fn verify12_and_16_layout() {
    let b = [0xaf, 0x06, 0, 0, 1, 0, 0, 0, 0, 9, 0, 0];
    let v = Verify12::decode(&b).unwrap();
    assert_eq!((v.bytchk, v.lba, v.length), (3, 0x100, 9));
    let b = [0x8f, 0x04, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 1, 0x40, 0];
    let v = Verify16::decode(&b).unwrap();
    assert_eq!((v.bytchk, v.lba, v.length), (BYTCHK_RESERVED, 7, 1));
    assert_eq!(v.reserved_violation(), Some(FieldPointer::bit(14, 7)));
}

#[test]
fn write_and_verify_layout() {
    let b = [0x2e, 0x02, 0, 0, 0, 8, 0, 0, 1, 0];
    let w = WriteAndVerify10::decode(&b).unwrap();
    assert_eq!((w.wrprotect, w.bytchk, w.lba, w.length), (0, 1, 8, 1));
    let b = [0xae, 0xe8, 0, 0, 0, 8, 0, 0, 0, 2, 0, 0];
    let w = WriteAndVerify12::decode(&b).unwrap();
    assert_eq!((w.wrprotect, w.length), (7, 2));
    assert_eq!(w.reserved_violation(), Some(FieldPointer::bit(1, 3)));
    let b = [0x8e, 0x10, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0];
    let w = WriteAndVerify16::decode(&b).unwrap();
    assert!(w.dpo);
    assert_eq!((w.lba, w.length), (1, 3));
}

// copy.rs

#[test]
fn extended_copy_layout() {
    let b = [0x83, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 0, 0];
    let x = ExtendedCopy::decode(&b).unwrap();
    assert_eq!(x.parameter_list_length, 0x100);
    assert_eq!(x.encode(), b);
    let x = ExtendedCopy { reserved_2: 1, ..x };
    assert_eq!(x.reserved_violation(), Some(FieldPointer::bit(2, 7)));
}

#[test]
fn receive_copy_results_layout() {
    let b = [0x84, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 0, 0];
    let r = ReceiveCopyResults::decode(&b).unwrap();
    assert_eq!(r.service_action, CopyResultsAction::OperatingParameters);
    assert_eq!(r.allocation_length, 0x200);
    let r = ReceiveCopyResults::decode(&[0x84, 0x00, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0]);
    let r = r.unwrap();
    assert_eq!(
        (r.service_action, r.list_identifier),
        (CopyResultsAction::CopyStatus, 7)
    );
}

// maintenance.rs

#[test]
fn report_target_port_groups_layout() {
    let b = [0xa3, 0x2a, 0, 0, 0, 0, 0, 0, 0x04, 0, 0, 0];
    let r = ReportTargetPortGroups::decode(&b).unwrap();
    assert_eq!((r.parameter_data_format, r.allocation_length), (1, 0x400));
    assert_eq!(r.reserved_violation(), None);
    assert_eq!(r.encode(), b);
}

#[test]
fn report_supported_operation_codes_layout() {
    // One command: SERVICE ACTION IN (16) / READ CAPACITY (16), with timeouts.
    let b = [0xa3, 0x0c, 0x82, 0x9e, 0x00, 0x10, 0, 0, 0x02, 0x00, 0, 0];
    let r = ReportSupportedOperationCodes::decode(&b).unwrap();
    assert!(r.rctd);
    assert_eq!(
        r.reporting_options,
        reporting_options::OPCODE_AND_SERVICE_ACTION
    );
    assert_eq!(
        (r.requested_opcode, r.requested_service_action),
        (0x9e, 0x10)
    );
    assert_eq!(r.allocation_length, 0x200);
    assert_eq!(r.encode(), b);
}

#[test]
fn report_supported_tmf_layout() {
    let b = [0xa3, 0x0d, 0x80, 0, 0, 0, 0, 0, 0, 0x10, 0, 0];
    let r = ReportSupportedTaskManagementFunctions::decode(&b).unwrap();
    assert!(r.repd);
    assert_eq!(r.allocation_length, 16);
}

// misc.rs

#[test]
fn start_stop_unit_layout() {
    // IMMED, power condition 3 (STANDBY), modifier 1, START.
    let b = [0x1b, 0x01, 0, 0x01, 0x31, 0];
    let s = StartStopUnit::decode(&b).unwrap();
    assert!(s.immed && s.start && !s.loej);
    assert_eq!((s.power_condition, s.power_condition_modifier), (3, 1));
    assert_eq!(s.encode(), b);
    let s = StartStopUnit::decode(&[0x1b, 0, 0, 0, 0x0a, 0]).unwrap();
    assert!(s.reserved_4 && s.loej);
    assert_eq!(s.reserved_violation(), Some(FieldPointer::bit(4, 3)));
}

#[test]
fn prevent_allow_layout() {
    let p = PreventAllowMediumRemoval::decode(&[0x1e, 0, 0, 0, 1, 0]).unwrap();
    assert_eq!(p.prevent, 1);
    assert_eq!(p.reserved_violation(), None);
}

#[test]
fn sanitize_layout() {
    let b = [0x48, 0xa2, 0, 0, 0, 0, 0, 0, 0, 0];
    let s = Sanitize::decode(&b).unwrap();
    assert!(s.immed && s.ause);
    assert_eq!(s.service_action, SanitizeAction::BlockErase);
    let s = Sanitize::decode(&[0x48, 0x05, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap();
    assert_eq!(s.service_action, SanitizeAction::Reserved(5));
}

#[test]
fn read_defect_data_layout() {
    let r = ReadDefectData10::decode(&[0x37, 0, 0x1d, 0, 0, 0, 0, 0, 8, 0]).unwrap();
    assert!(r.req_plist && r.req_glist);
    assert_eq!((r.defect_list_format, r.allocation_length), (5, 8));
    let b = [0xb7, 0x0c, 0, 0, 0, 2, 0, 0, 0x01, 0, 0, 0];
    let r = ReadDefectData12::decode(&b).unwrap();
    assert!(r.req_glist && !r.req_plist);
    assert_eq!((r.defect_list_format, r.address_descriptor_index), (4, 2));
    assert_eq!(r.allocation_length, 0x100);
}

#[test]
fn format_unit_layout() {
    let b = [0x04, 0xd8, 0, 0, 0x01, 0];
    let f = FormatUnit::decode(&b).unwrap();
    assert_eq!(
        (f.fmtpinfo, f.fmtdata, f.cmplst, f.ffmt),
        (3, true, true, 1)
    );
    assert!(!f.longlist);
    assert_eq!(f.encode(), b);
}

// mode.rs

#[test]
fn mode_sense6_layout() {
    // All pages, changeable values, DBD, 0xff bytes.
    let b = [0x1a, 0x08, 0x7f, 0x00, 0xff, 0];
    let m = ModeSense6::decode(&b).unwrap();
    assert!(m.dbd);
    assert_eq!(
        (m.pc, m.page_code, m.subpage_code),
        (PageControl::Changeable, 0x3f, 0)
    );
    assert_eq!(m.allocation_length, 0xff);
    assert_eq!(m.encode(), b);
}

#[test]
fn mode_sense10_layout() {
    let b = [0x5a, 0x10, 0xc8, 0x01, 0, 0, 0, 0x02, 0x00, 0];
    let m = ModeSense10::decode(&b).unwrap();
    assert!(m.llbaa && !m.dbd);
    assert_eq!(
        (m.pc, m.page_code, m.subpage_code),
        (PageControl::Saved, 0x08, 1)
    );
    assert_eq!(m.allocation_length, 0x200);
}

#[test]
fn mode_select_layout() {
    let m = ModeSelect6::decode(&[0x15, 0x11, 0, 0, 0x18, 0]).unwrap();
    assert!(m.pf && m.sp && !m.rtd);
    assert_eq!(m.parameter_list_length, 24);
    let m = ModeSelect10::decode(&[0x55, 0x12, 0, 0, 0, 0, 1, 0, 0x20, 0]).unwrap();
    assert!(m.pf && m.rtd);
    assert_eq!((m.reserved_2, m.parameter_list_length), (1, 0x20));
    assert_eq!(m.reserved_violation(), Some(FieldPointer::bit(2, 7)));
}

// reservations.rs

#[test]
fn persistent_reserve_in_layout() {
    let b = [0x5e, 0x03, 0, 0, 0, 0, 0, 0x20, 0, 0];
    let p = PersistentReserveIn::decode(&b).unwrap();
    assert_eq!(p.service_action, PrInAction::ReadFullStatus);
    assert_eq!(p.allocation_length, 0x2000);
    let p = PersistentReserveIn::decode(&[0x5e, 0x1f, 0, 0, 0, 0, 0, 0, 8, 0]).unwrap();
    assert_eq!(p.service_action, PrInAction::Reserved(0x1f));
    assert_eq!(p.encode()[1], 0x1f);
}

#[test]
fn persistent_reserve_out_layout() {
    // PREEMPT AND ABORT, LU_SCOPE, EXCLUSIVE ACCESS REGISTRANTS ONLY, 24 bytes.
    let b = [0x5f, 0x05, 0x06, 0, 0, 0, 0, 0, 0x18, 0];
    let p = PersistentReserveOut::decode(&b).unwrap();
    assert_eq!(p.service_action, PrOutAction::PreemptAndAbort);
    assert_eq!(
        (p.scope, p.pr_type),
        (
            pr_type::LU_SCOPE,
            pr_type::EXCLUSIVE_ACCESS_REGISTRANTS_ONLY
        )
    );
    assert_eq!(p.parameter_list_length, 24);
    assert_eq!(p.encode(), b);
}

#[test]
fn reserve_release_layout() {
    assert_eq!(
        Reserve6::decode(&[0x16, 0, 0, 0, 0, 0]).unwrap(),
        Reserve6::default()
    );
    let r = Release6::decode(&[0x17, 0x01, 0x02, 0, 0x03, 0]).unwrap();
    assert_eq!((r.obsolete_1, r.obsolete_2, r.obsolete_3), (1, 2, 3));
    let r = Reserve10::decode(&[0x56, 0x12, 0, 0x07, 0, 0, 0, 0, 8, 0]).unwrap();
    assert!(r.third_party && r.long_id);
    assert_eq!((r.third_party_device_id, r.parameter_list_length), (7, 8));
    let r = Release10::decode(&[0x57, 0, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap();
    assert_eq!(r, Release10::default());
}
