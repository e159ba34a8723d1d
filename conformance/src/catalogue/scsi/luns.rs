//! Commands addressed to a logical unit the target does not have: SAM-3
//! §5.9.4 "Incorrect logical unit selection" (SAM-5 keeps the rule): INQUIRY
//! answers with a peripheral qualifier saying no device is there (SPC-5
//! §6.7.2), and commands other than INQUIRY, REPORT LUNS and REQUEST SENSE
//! end in CHECK CONDITION, ILLEGAL REQUEST, LOGICAL UNIT NOT SUPPORTED.

use super::basics::reported_luns;
use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::pdu::Lun;
use rtgt_proto::scsi::asc::AscAscq;
use rtgt_proto::scsi::cdb::{Inquiry, TestUnitReady};
use rtgt_proto::scsi::params;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "scsi.lun.absent-inquiry",
        "SAM-3 §5.9.4, SPC-5 §6.7.2 INQUIRY",
        Level::Must,
        "INQUIRY to a LUN the target does not report is GOOD with peripheral qualifier 011b \
         (no device can be there) and type 1Fh, or 001b (none connected now)",
        absent_inquiry,
    ),
    Scenario::new(
        "scsi.lun.absent-command",
        "SAM-3 §5.9.4",
        Level::Must,
        "TEST UNIT READY to a LUN the target does not report is CHECK CONDITION, ILLEGAL \
         REQUEST, LOGICAL UNIT NOT SUPPORTED (25h/00h)",
        absent_command,
    ),
];

/// The first single-level LUN from 1 up that REPORT LUNS does not list.
fn absent_lun(ctx: &mut Context, s: &mut Scsi) -> Result<Lun, ScenarioError> {
    let listed: Vec<Option<u16>> = reported_luns(ctx, s)?.iter().map(|l| l.index()).collect();
    (1..=255u16)
        .find(|n| !listed.contains(&Some(*n)))
        .map(Lun::single_level)
        .ok_or_else(|| ScenarioError::Setup("LUNs 1 to 255 are all reported".to_owned()))
}

/// Runs `body` with the session's commands addressed to an absent LUN.
pub(super) fn at_absent_lun(
    ctx: &mut Context,
    body: impl FnOnce(&mut Context, &mut Scsi) -> Verdict,
) -> Verdict {
    with_session(ctx, |ctx, s| {
        let absent = absent_lun(ctx, s)?;
        let present = std::mem::replace(&mut s.lun, absent);
        let verdict = body(ctx, s);
        s.lun = present;
        verdict
    })
}

fn absent_inquiry(ctx: &mut Context) -> Verdict {
    at_absent_lun(ctx, |ctx, s| {
        let cdb = Inquiry {
            allocation_length: 36,
            ..Default::default()
        }
        .encode();
        let r = s.read(ctx, &cdb, 36)?;
        let Ok(d) = params::StandardInquiry::decode(&r.data).map(|d| d.value) else {
            return Ok(Outcome::fail("standard INQUIRY data", r.describe()));
        };
        let (pq, pdt) = (d.peripheral_qualifier, d.peripheral_device_type);
        Ok(Outcome::check(
            r.good() && ((pq == 0b011 && pdt == 0x1f) || pq == 0b001),
            "GOOD, peripheral qualifier 011b with type 1Fh (or 001b)",
            format!("{}, qualifier {pq:03b}, type {pdt:02X}h", r.describe()),
        ))
    })
}

fn absent_command(ctx: &mut Context) -> Verdict {
    at_absent_lun(ctx, |ctx, s| {
        let r = s.none(ctx, &TestUnitReady::default().encode())?;
        Ok(expect_illegal(&r, AscAscq::LOGICAL_UNIT_NOT_SUPPORTED))
    })
}
