//! MODE SENSE and MODE SELECT: pages, page control, changeable bits,
//! D_SENSE and WCE taking effect, unit attention for other nexuses.

use super::*;
use rtgt_proto::scsi::mode::{HeaderKind, ModeParameters, Page};

fn all_pages6(pc: u8) -> [u8; 6] {
    [0x1a, 0, pc << 6 | 0x3f, 0, 255, 0]
}

#[test]
fn mode_sense_all_pages_and_page_control() {
    let mut r = Rig::new();
    let d = r.good(&all_pages6(0), &[], 255);
    let m = ModeParameters::decode(&d, HeaderKind::Six).unwrap().value;
    assert!(m.header.dpofua() && !m.header.wp());
    assert_eq!(m.block_descriptors[0].blocks, 2048);
    let codes: Vec<_> = m.pages.iter().map(|p| p.code().0).collect();
    assert_eq!(codes, vec![0x01, 0x08, 0x0a]);
    let Some(Page::Caching(c)) = m.page(0x08, None).map(|p| p.page.clone()) else {
        panic!("no caching page")
    };
    assert!(c.wce());
    let ch = r.good(&all_pages6(1), &[], 255);
    let m = ModeParameters::decode(&ch, HeaderKind::Six).unwrap().value;
    let Some(Page::Control(ctl)) = m.page(0x0a, None).map(|p| p.page.clone()) else {
        panic!("no control page")
    };
    assert!(ctl.d_sense() && ctl.qerr() == 0);
    // SPC-5 §6.13.1: saved values are not supported.
    assert_illegal(
        &r.run(&all_pages6(3), &[], 255),
        AscAscq::SAVING_PARAMETERS_NOT_SUPPORTED,
    );
    assert_field(&r.run(&[0x1a, 0, 0x19, 0, 255, 0], &[], 255), 2, Some(5));
    assert_field(&r.run(&[0x1a, 0, 0x08, 1, 255, 0], &[], 255), 3, Some(7));
    // MODE SENSE (10) with LLBAA and DBD.
    let d = r.good(&[0x5a, 0x10, 0x08, 0, 0, 0, 0, 1, 0, 0], &[], 256);
    let m = ModeParameters::decode(&d, HeaderKind::Ten).unwrap().value;
    assert!(m.header.longlba);
    assert_eq!(m.block_descriptors.len(), 1);
    let d = r.good(&[0x5a, 0x08, 0x08, 0, 0, 0, 0, 1, 0, 0], &[], 256);
    assert!(ModeParameters::decode(&d, HeaderKind::Ten)
        .unwrap()
        .value
        .block_descriptors
        .is_empty());
    // Header, one short block descriptor, pages 01h, 08h, 0Ah.
    assert_eq!(r.good(&all_pages6(0), &[], 255).len(), 4 + 8 + 12 + 20 + 12);
}

/// A MODE SELECT (6) list of the current pages of `r`, with `edit` applied.
fn select_list(r: &mut Rig, page: u8, edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut d = r.good(&[0x1a, 0x08, page, 0, 255, 0], &[], 255).to_vec();
    d[0] = 0; // MODE DATA LENGTH is reserved in MODE SELECT
    d[2] = 0; // DEVICE-SPECIFIC PARAMETER
    edit(&mut d);
    d
}

#[test]
fn mode_select_d_sense_switches_the_sense_format_and_tells_others() {
    let mut r = Rig::new();
    let other = nexus("init1");
    let me = r.nexus.clone();
    r.nexus = other.clone();
    r.ready();
    r.nexus = me;
    // Control page: byte 2 of the page, bit 2 is D_SENSE.
    let list = select_list(&mut r, 0x0a, |d| d[4 + 2] |= 0x04);
    let n = list.len() as u8;
    r.good(&[0x15, 0x10, 0, 0, n, 0], &list, n.into());
    let bad = r.run(&read10(5000, 1), &[], 512);
    assert_eq!(bad.sense[0], 0x72, "descriptor format after D_SENSE");
    assert_eq!(sense(&bad).asc, AscAscq::LBA_OUT_OF_RANGE);
    r.nexus = other;
    r.expect_ua(AscAscq::MODE_PARAMETERS_CHANGED);
    // A LUN reset brings the defaults back: fixed format again.
    let me = r.nexus.clone();
    r.disk.lun_reset(&me);
    assert_eq!(r.run(&read10(5000, 1), &[], 512).sense[0], 0x70);
}

#[test]
fn mode_select_wce_off_makes_writes_fua() {
    let mut r = Rig::new();
    let list = select_list(&mut r, 0x08, |d| d[4 + 2] &= !0x04);
    let n = list.len() as u8;
    r.good(&[0x15, 0x10, 0, 0, n, 0], &list, n.into());
    r.log.clear();
    r.good(&write10(0, 1, false), &[1; 512], 512);
    assert!(matches!(r.log[..], [IoOp::Write { fua: true, .. }]));
}

#[test]
fn mode_select_refusals() {
    let mut r = Rig::new();
    // A bit that cannot change: Caching byte 2 bit 0 (RCD), at list offset 6.
    let list = select_list(&mut r, 0x08, |d| d[4 + 2] |= 0x01);
    let n = list.len() as u8;
    let s = assert_illegal(
        &r.run(&[0x15, 0x10, 0, 0, n, 0], &list, n.into()),
        AscAscq::INVALID_FIELD_IN_PARAMETER_LIST,
    );
    assert_eq!(
        s.sks,
        Some(rtgt_proto::scsi::sense::SenseKeySpecific::FieldPointer {
            cdb: false,
            bit_pointer: Some(0),
            field_pointer: 6
        })
    );
    // SP is refused (SPC-5 §6.11), as is PF zero with a list.
    assert_field(
        &r.run(&[0x15, 0x11, 0, 0, n, 0], &list, n.into()),
        1,
        Some(0),
    );
    assert_field(
        &r.run(&[0x15, 0x00, 0, 0, n, 0], &list, n.into()),
        1,
        Some(4),
    );
    assert_illegal(
        &r.run(&[0x15, 0x10, 0, 0, 2, 0], &list, 2),
        AscAscq::PARAMETER_LIST_LENGTH_ERROR,
    );
    // An unknown page.
    let mut odd = list.clone();
    odd[4] = 0x19;
    assert_illegal(
        &r.run(&[0x15, 0x10, 0, 0, n, 0], &odd, n.into()),
        AscAscq::INVALID_FIELD_IN_PARAMETER_LIST,
    );
    // Unchanged pages, MODE SELECT (10): accepted, nothing to announce.
    let clean = select_list(&mut r, 0x08, |_| {});
    let mut ten = vec![0u8; 8];
    ten.extend_from_slice(&clean[4..]);
    let n10 = ten.len() as u8;
    r.good(&[0x55, 0x10, 0, 0, 0, 0, 0, 0, n10, 0], &ten, n10.into());
}
