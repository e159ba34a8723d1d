//! TEST UNIT READY, REPORT LUNS (SPC-5 §6.33), REQUEST SENSE (SPC-5 §6.39),
//! operation codes and service actions the device does not serve, and the
//! CONTROL byte (SPC-5 §4.2.5).

use super::support::{
    expect, expect_good, expect_invalid_field, setup, standard_inquiry, with_session,
};
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, Verdict};
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::cdb::{Control, ReportLuns, RequestSense, TestUnitReady};
use rtgt_proto::scsi::params;
use rtgt_proto::scsi::sense::{Sense, SenseFormat};

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
        level: Level::Should,
        requirement: "TEST UNIT READY with a reserved CDB bit set is INVALID FIELD IN CDB (field \
                      pointer, when given, at byte 2)",
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
        requirement: "a reserved SELECT REPORT code (FFh) is INVALID FIELD IN CDB (field pointer, \
                      when given, at byte 2)",
        needs: Needs::NONE,
        run: select_report_reserved,
    },
    Scenario {
        id: "scsi.requestsense.no-sense-fixed",
        clause: "SPC-5 §6.39 REQUEST SENSE",
        level: Level::Must,
        requirement: "with nothing to report, REQUEST SENSE with DESC zero returns fixed format \
                      sense (70h) with NO SENSE and 00h/00h",
        needs: Needs::NONE,
        run: no_sense_fixed,
    },
    Scenario {
        id: "scsi.requestsense.no-sense-descriptor",
        clause: "SPC-5 §6.39 REQUEST SENSE",
        level: Level::Must,
        requirement: "REQUEST SENSE with DESC one returns descriptor format sense (72h) with NO \
                      SENSE and 00h/00h, or, without descriptor format support, INVALID FIELD IN \
                      CDB",
        needs: Needs::NONE,
        run: no_sense_descriptor,
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
    Scenario {
        id: "scsi.sense.well-formed",
        clause: "SPC-5 §4.4.1, §4.4.2, §4.4.3",
        level: Level::Must,
        requirement: "sense data carries response code 70h or 72h and an ADDITIONAL SENSE LENGTH \
                      that accounts for exactly the bytes sent (at least 10 in fixed format)",
        needs: Needs::NONE,
        run: sense_well_formed,
    },
    Scenario {
        id: "scsi.sense.format-follows-d-sense",
        clause: "SPC-5 §4.4.1, §7.5.8",
        level: Level::Must,
        requirement: "sense data comes in the format the Control mode page's D_SENSE asks for: \
                      fixed (70h) when zero, descriptor (72h) when one",
        needs: Needs::NONE,
        run: format_follows_d_sense,
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
            reserved_1: 0x0080_0000,
            ..Default::default()
        };
        Ok(expect_invalid_field(&s.none(ctx, &cdb.encode())?, 2))
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
        Ok(expect(
            &r,
            SenseKey::ILLEGAL_REQUEST,
            AscAscq::INVALID_FIELD_IN_CDB,
        ))
    })
}

fn report_luns(alloc: u32) -> [u8; 12] {
    ReportLuns {
        allocation_length: alloc,
        ..Default::default()
    }
    .encode()
}

fn lists_lun(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let r = s.read(ctx, &report_luns(65536), 65536)?;
        let luns = match params::ReportLuns::decode(&r.data) {
            Ok(d) if r.good() => d.value.luns,
            _ => return Err(setup("REPORT LUNS", &r)),
        };
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
        let r = s.read(ctx, &report_luns(65536), 65536)?;
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
        let cdb = ReportLuns {
            select_report: 0xff,
            allocation_length: 4096,
            ..Default::default()
        };
        Ok(expect_invalid_field(&s.read(ctx, &cdb.encode(), 4096)?, 2))
    })
}

fn request_sense(
    ctx: &mut Context,
    s: &mut super::support::Scsi,
    desc: bool,
) -> Result<super::support::Reply, crate::scenario::ScenarioError> {
    let cdb = RequestSense {
        desc,
        allocation_length: 252,
        ..Default::default()
    };
    s.read(ctx, &cdb.encode(), 252)
}

fn no_sense(r: &super::support::Reply, code: u8) -> Outcome {
    let decoded = Sense::decode(&r.data).ok().map(|d| d.value);
    let ok = r.good()
        && r.data.first().map(|b| b & 0x7f) == Some(code)
        && decoded
            .as_ref()
            .is_some_and(|s| s.key == SenseKey::NO_SENSE && s.asc == AscAscq::NO_ADDITIONAL_SENSE);
    Outcome::check(
        ok,
        format!("GOOD, sense data {code:02X}h, NO SENSE, 00h/00h"),
        format!("{}: {:02x?}", r.describe(), r.data),
    )
}

fn no_sense_fixed(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        Ok(no_sense(&request_sense(ctx, s, false)?, 0x70))
    })
}

fn no_sense_descriptor(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let r = request_sense(ctx, s, true)?;
        if r.is(SenseKey::ILLEGAL_REQUEST, AscAscq::INVALID_FIELD_IN_CDB) {
            return Ok(Outcome::Pass);
        }
        Ok(no_sense(&r, 0x72))
    })
}

fn unknown_opcode(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let r = s.none(ctx, &[0x59, 0, 0, 0, 0, 0, 0, 0, 0, 0])?;
        Ok(expect(
            &r,
            SenseKey::ILLEGAL_REQUEST,
            AscAscq::INVALID_COMMAND_OPERATION_CODE,
        ))
    })
}

/// Whether sense bytes hold exactly what their length field says.
fn sense_consistent(bytes: &[u8]) -> bool {
    let Some(&len) = bytes.get(7) else {
        return false;
    };
    let code = bytes.first().map_or(0, |b| b & 0x7f);
    let whole = bytes.len() == 8 + usize::from(len);
    match code {
        0x70 => whole && len >= 10,
        0x72 => {
            // The descriptors fill the additional bytes exactly.
            let mut at = 8;
            while at + 2 <= bytes.len() {
                at += 2 + usize::from(bytes[at + 1]);
            }
            whole && at == bytes.len()
        }
        _ => false,
    }
}

fn sense_well_formed(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let r = s.none(ctx, &[0x59, 0, 0, 0, 0, 0, 0, 0, 0, 0])?;
        Ok(Outcome::check(
            sense_consistent(&r.sense_bytes),
            "sense data 70h/72h whose ADDITIONAL SENSE LENGTH covers exactly the bytes sent",
            format!("{:02x?}", r.sense_bytes),
        ))
    })
}

fn format_follows_d_sense(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let pages =
            super::support::mode_pages(ctx, s, rtgt_proto::scsi::cdb::PageControl::Current)?;
        let Some(d_sense) = pages.pages.iter().find_map(|p| match &p.page {
            rtgt_proto::scsi::mode::Page::Control(c) => Some(c.d_sense()),
            _ => None,
        }) else {
            return Ok(Outcome::not_applicable("no Control mode page"));
        };
        let r = s.none(ctx, &[0x59, 0, 0, 0, 0, 0, 0, 0, 0, 0])?;
        let want = if d_sense {
            SenseFormat::Descriptor
        } else {
            SenseFormat::Fixed
        };
        let got = r.sense.as_ref().map(|s| s.format);
        Ok(Outcome::check(
            got == Some(want),
            format!("{want:?} format sense (D_SENSE {})", u8::from(d_sense)),
            format!("{got:?}: {:02x?}", r.sense_bytes),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::sense_consistent;

    #[test]
    fn sense_lengths() {
        let mut fixed = vec![0x70, 0, 5, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 0, 0, 0, 0, 0];
        assert!(sense_consistent(&fixed));
        fixed.push(0);
        assert!(!sense_consistent(&fixed));
        let desc = [0x72, 5, 0x24, 0, 0, 0, 0, 8, 2, 6, 0, 0, 0xc0, 0, 2, 0];
        assert!(sense_consistent(&desc));
        assert!(!sense_consistent(&desc[..12]));
        assert!(!sense_consistent(&[0x71]));
    }
}
