//! TEST UNIT READY, REPORT LUNS (SPC-5 §6.33), an operation code the device
//! does not serve, and the CONTROL byte (SPC-5 §4.2.5).

use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, Verdict};
use rtgt_proto::scsi::asc::AscAscq;
use rtgt_proto::scsi::cdb::{Control, ReportLuns, TestUnitReady};
use rtgt_proto::scsi::params;

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "scsi.tur.good",
        clause: "SPC-5 TEST UNIT READY",
        level: Level::Must,
        requirement: "TEST UNIT READY to a ready disk, its unit attentions taken, is GOOD",
        needs: Needs::NONE,
        run: tur_good,
    },
    Scenario {
        id: "scsi.tur.reserved-bits",
        clause: "SPC-5 §4.2.5, TEST UNIT READY",
        // SPC-5: "Recipients are not required to check reserved bits" (only
        // reserved code values in defined fields are errors): a MAY.
        level: Level::May,
        requirement:
            "TEST UNIT READY with a reserved CDB bit set (byte 1) may be refused with INVALID \
                      FIELD IN CDB (field pointer, when given, at byte 1); checking is optional",
        needs: Needs::NONE,
        run: tur_reserved,
    },
    Scenario {
        id: "scsi.control.naca-without-aca",
        clause: "SPC-5 §4.2.5 (CONTROL byte, SAM-5 NACA)",
        level: Level::Must,
        requirement: "a device without ACA (NORMACA zero in INQUIRY) refuses a command whose NACA \
                      bit is set: ILLEGAL REQUEST, INVALID FIELD IN CDB",
        needs: Needs::NONE,
        run: naca_without_aca,
    },
    Scenario {
        id: "scsi.reportluns.lists-lun",
        clause: "SPC-5 §6.33 REPORT LUNS",
        level: Level::Must,
        requirement: "REPORT LUNS lists the LUN under test",
        needs: Needs::NONE,
        run: lists_lun,
    },
    Scenario {
        id: "scsi.reportluns.list-length",
        clause: "SPC-5 §6.33.2 REPORT LUNS",
        level: Level::Must,
        requirement: "LUN LIST LENGTH is a multiple of 8 and, with room for all, exactly LUN LIST \
                      LENGTH + 8 bytes are returned",
        needs: Needs::NONE,
        run: list_length,
    },
    Scenario {
        id: "scsi.reportluns.allocation-under-16",
        clause: "SPC-5 §6.33 REPORT LUNS",
        level: Level::Must,
        requirement:
            "an ALLOCATION LENGTH under 16 is either refused with INVALID FIELD IN CDB or \
                      answered with no more bytes than allowed",
        needs: Needs::NONE,
        run: allocation_under_16,
    },
    Scenario {
        id: "scsi.reportluns.select-report-reserved",
        clause: "SPC-5 §6.33 REPORT LUNS",
        level: Level::Must,
        // SPC-5 §6.33 table 285 (the revision read) defines SELECT REPORT
        // 00h, 01h and 02h, "F8h to FFh Vendor specific", "all others
        // Reserved": 0Ah is reserved.
        requirement: "a reserved SELECT REPORT code (0Ah) is INVALID FIELD IN CDB (field \
                      pointer, when given, at byte 2)",
        needs: Needs::NONE,
        run: select_report_reserved,
    },
    Scenario {
        id: "scsi.opcode.unknown",
        clause: "SPC-5 §4.2.5.1",
        level: Level::Must,
        requirement: "an operation code the device does not serve (59h) is ILLEGAL REQUEST, \
                      INVALID COMMAND OPERATION CODE",
        needs: Needs::NONE,
        run: unknown_opcode,
    },
];

fn tur_good(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        Ok(expect_good(
            &s.none(ctx, &TestUnitReady::default().encode())?,
        ))
    })
}

fn tur_reserved(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let cdb = TestUnitReady {
            reserved_1: 0x0100_0000,
            ..Default::default()
        };
        Ok(expect_invalid_field(&s.none(ctx, &cdb.encode())?, 1))
    })
}

fn naca_without_aca(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        if standard_inquiry(ctx, s)?.0.normaca {
            return Ok(Outcome::not_applicable(
                "the device supports ACA (NORMACA one)",
            ));
        }
        let cdb = TestUnitReady {
            control: Control {
                naca: true,
                ..Default::default()
            },
            ..Default::default()
        };
        let r = s.none(ctx, &cdb.encode())?;
        Ok(expect_illegal(&r, AscAscq::INVALID_FIELD_IN_CDB))
    })
}

/// Room for 511 LUNs: every LUN list a test set-up has, in one answer,
/// and well under the 64 KiB transfers some targets never answer.
pub(super) const LUN_LIST_ALLOCATION: u32 = 4096;

pub(super) fn report_luns(alloc: u32) -> [u8; 12] {
    ReportLuns {
        allocation_length: alloc,
        ..Default::default()
    }
    .encode()
}

/// The LUNs REPORT LUNS lists (SELECT REPORT 00h).
pub(super) fn reported_luns(
    ctx: &mut Context,
    s: &mut Scsi,
) -> Result<Vec<params::Lun>, crate::scenario::ScenarioError> {
    let r = s.read(ctx, &report_luns(LUN_LIST_ALLOCATION), LUN_LIST_ALLOCATION)?;
    match params::ReportLuns::decode(&r.data) {
        Ok(d) if r.good() => Ok(d.value.luns),
        _ => Err(setup("REPORT LUNS", &r)),
    }
}

fn lists_lun(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let luns = reported_luns(ctx, s)?;
        let want = ctx.target.lun;
        let indexes: Vec<Option<u16>> = luns.iter().map(|l| l.index()).collect();
        Ok(Outcome::check(
            indexes.contains(&u16::try_from(want).ok()),
            format!("LUN {want} listed"),
            format!("LUNs {indexes:?}"),
        ))
    })
}

fn list_length(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let r = s.read(ctx, &report_luns(LUN_LIST_ALLOCATION), LUN_LIST_ALLOCATION)?;
        let len = r
            .data
            .get(..4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        Ok(Outcome::check(
            r.good() && len.is_some_and(|l| l % 8 == 0 && r.data.len() == l as usize + 8),
            "GOOD, LUN LIST LENGTH a multiple of 8, that many bytes + 8 returned",
            format!("{}, LUN LIST LENGTH {len:?}", r.describe()),
        ))
    })
}

fn allocation_under_16(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let r = s.read(ctx, &report_luns(15), 64)?;
        if !r.good() {
            return Ok(expect_invalid_field(&r, 6));
        }
        Ok(Outcome::check(
            r.data.len() <= 15,
            "at most 15 bytes",
            format!("{} bytes", r.data.len()),
        ))
    })
}

fn select_report_reserved(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        // Reserved in every SPC edition since SPC-3; F8h-FFh would be
        // vendor specific, which a target may serve.
        let cdb = ReportLuns {
            select_report: 0x0a,
            allocation_length: 4096,
            ..Default::default()
        };
        Ok(expect_invalid_field(&s.read(ctx, &cdb.encode(), 4096)?, 2))
    })
}

fn unknown_opcode(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let r = s.none(ctx, &[0x59, 0, 0, 0, 0, 0, 0, 0, 0, 0])?;
        Ok(expect_illegal(&r, AscAscq::INVALID_COMMAND_OPERATION_CODE))
    })
}
