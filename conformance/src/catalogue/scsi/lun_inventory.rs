//! The logical unit inventory: every LUN REPORT LUNS lists is there (SPC-5
//! §6.33, §6.7.2), and more commands addressed to a LUN the target does not
//! have (SAM-3 §5.9.4 "Incorrect logical unit selection", which SAM-5
//! keeps): REQUEST SENSE answers GOOD with sense data saying LOGICAL UNIT NOT
//! SUPPORTED, other commands end in CHECK CONDITION with it.

use super::basics::reported_luns;
use super::luns::at_absent_lun;
use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Outcome, Scenario, Verdict};
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::cdb::{op, Read10, ReadCapacity10};
use rtgt_proto::scsi::sense::Sense;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "scsi.lun.reported-present",
        "SPC-5 §6.33 REPORT LUNS, SPC-5 §6.7.2 INQUIRY",
        Level::Must,
        "every LUN REPORT LUNS lists, listed once, answers INQUIRY with peripheral \
         qualifier 000b and a command other than INQUIRY without LOGICAL UNIT NOT SUPPORTED",
        reported_present,
    ),
    Scenario::new(
        "scsi.lun.absent-request-sense",
        "SAM-3 §5.9.4, SPC-5 §6.39 REQUEST SENSE",
        Level::Must,
        "REQUEST SENSE to a LUN the target does not report is GOOD with sense data ILLEGAL \
         REQUEST, LOGICAL UNIT NOT SUPPORTED (25h/00h)",
        absent_request_sense,
    ),
    Scenario::new(
        "scsi.lun.absent-read",
        "SAM-3 §5.9.4",
        Level::Must,
        "READ (10) to a LUN the target does not report is CHECK CONDITION, ILLEGAL REQUEST, \
         LOGICAL UNIT NOT SUPPORTED (25h/00h)",
        absent_read,
    ),
    Scenario::new(
        "scsi.lun.absent-write",
        "SAM-3 §5.9.4",
        Level::Must,
        "WRITE (10) to a LUN the target does not report is CHECK CONDITION, ILLEGAL \
         REQUEST, LOGICAL UNIT NOT SUPPORTED (25h/00h)",
        absent_write,
    ),
    Scenario::new(
        "scsi.lun.absent-read-capacity",
        "SAM-3 §5.9.4",
        Level::Must,
        "READ CAPACITY (10) to a LUN the target does not report is CHECK CONDITION, ILLEGAL \
         REQUEST, LOGICAL UNIT NOT SUPPORTED (25h/00h)",
        absent_read_capacity,
    ),
];

fn reported_present(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let luns = reported_luns(ctx, s)?;
        let home = s.lun;
        let mut problems = Vec::new();
        for (i, lun) in luns.iter().enumerate() {
            if luns[..i].contains(lun) {
                problems.push(format!("{lun:?} listed twice"));
                continue;
            }
            s.lun = rtgt_proto::pdu::Lun(lun.0);
            // A LUN that is not there fails the standard INQUIRY data.
            let (inq, _) = standard_inquiry(ctx, s)?;
            if inq.peripheral_qualifier != 0 {
                problems.push(format!("{lun:?}: qualifier {}", inq.peripheral_qualifier));
            }
            let cap = s.read(ctx, &ReadCapacity10::default().encode(), 8)?;
            if cap.is(
                SenseKey::ILLEGAL_REQUEST,
                AscAscq::LOGICAL_UNIT_NOT_SUPPORTED,
            ) {
                problems.push(format!("{lun:?}: READ CAPACITY (10) {}", cap.describe()));
            }
        }
        s.lun = home;
        Ok(Outcome::check(
            !luns.is_empty() && problems.is_empty(),
            "each listed LUN once, qualifier 000b, supported",
            format!("{} LUNs: {problems:?}", luns.len()),
        ))
    })
}

fn absent_request_sense(ctx: &mut Context) -> Verdict {
    at_absent_lun(ctx, |ctx, s| {
        // REQUEST SENSE (SPC-5 §6.39), ALLOCATION LENGTH 252.
        let r = s.read(ctx, &[op::REQUEST_SENSE, 0, 0, 0, 252, 0], 252)?;
        let sense = Sense::decode(&r.data).ok().map(|d| d.value);
        let ok = r.good()
            && sense.as_ref().is_some_and(|d| {
                d.key.0 & 0x0f == SenseKey::ILLEGAL_REQUEST.0
                    && d.asc == AscAscq::LOGICAL_UNIT_NOT_SUPPORTED
            });
        Ok(Outcome::check(
            ok,
            "GOOD with sense data ILLEGAL REQUEST 25h/00h",
            format!(
                "{}, sense {:?}",
                r.describe(),
                sense.map(|d| (d.key.name(), d.asc.asc, d.asc.ascq))
            ),
        ))
    })
}

/// What a command to an absent LUN sends: a read of 512 bytes, a write of
/// 512 zero bytes.
#[derive(Clone, Copy)]
enum Transfer {
    Read,
    Write,
}

/// Sends `cdb` to an absent LUN: LOGICAL UNIT NOT SUPPORTED expected.
fn to_absent(ctx: &mut Context, cdb: &[u8], transfer: Transfer) -> Verdict {
    at_absent_lun(ctx, |ctx, s| {
        let r = match transfer {
            Transfer::Read => s.read(ctx, cdb, 512)?,
            Transfer::Write => s.write(ctx, cdb, vec![0; 512])?,
        };
        Ok(expect_illegal(&r, AscAscq::LOGICAL_UNIT_NOT_SUPPORTED))
    })
}

/// READ (10) of LBA 0, one block; with `opcode` another command of the
/// same layout (WRITE (10)).
fn first_block(opcode: Option<u8>) -> [u8; 10] {
    let mut cdb = Read10 {
        lba: 0,
        transfer_length: 1,
        ..Default::default()
    }
    .encode();
    if let Some(op) = opcode {
        cdb[0] = op;
    }
    cdb
}

fn absent_read(ctx: &mut Context) -> Verdict {
    to_absent(ctx, &first_block(None), Transfer::Read)
}

fn absent_write(ctx: &mut Context) -> Verdict {
    to_absent(ctx, &first_block(Some(op::WRITE_10)), Transfer::Write)
}

fn absent_read_capacity(ctx: &mut Context) -> Verdict {
    to_absent(ctx, &ReadCapacity10::default().encode(), Transfer::Read)
}
