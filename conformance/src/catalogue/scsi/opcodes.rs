//! REPORT SUPPORTED OPERATION CODES (SPC-5 §6.35). Optional: a device that
//! refuses it makes these scenarios not applicable.

use super::support::*;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::cdb::{op, reporting_options, sa, ReportSupportedOperationCodes};
use rtgt_proto::scsi::params::{OneCommand, SupportedOpcodes};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "scsi.rsoc.lists-working-commands",
        clause: "SPC-5 §6.35 REPORT SUPPORTED OPERATION CODES",
        level: Level::Must,
        requirement: "the list of all commands names the commands the device serves: TEST UNIT \
                      READY, INQUIRY, READ CAPACITY (10) and (16), READ and WRITE (10) and (16), \
                      REPORT LUNS and REPORT SUPPORTED OPERATION CODES itself",
        needs: Needs::NONE,
        run: lists_working,
    },
    Scenario {
        id: "scsi.rsoc.cdb-lengths",
        clause: "SPC-5 §6.35.2, §4.2.5.1",
        level: Level::Must,
        requirement: "each command descriptor's CDB LENGTH is the one its operation code's group \
                      gives (6, 10, 16 or 12 bytes), and SERVACTV is set only for commands \
                      whose CDB has a SERVICE ACTION field",
        needs: Needs::NONE,
        run: cdb_lengths,
    },
    Scenario {
        id: "scsi.rsoc.one-command-inquiry",
        clause: "SPC-5 §6.35.3 REPORT SUPPORTED OPERATION CODES",
        level: Level::Must,
        requirement: "asked about INQUIRY alone (REPORTING OPTIONS 001b), the device reports it \
                      supported as the standard says (SUPPORT 011b), a 6-byte CDB usage map \
                      starting 12h",
        needs: Needs::NONE,
        run: one_inquiry,
    },
    Scenario {
        id: "scsi.rsoc.one-command-unsupported",
        clause: "SPC-5 §6.35.3 REPORT SUPPORTED OPERATION CODES",
        level: Level::Must,
        requirement: "asked about an operation code it does not serve (59h), the device answers \
                      SUPPORT 001b (not supported)",
        needs: Needs::NONE,
        run: one_unsupported,
    },
];

fn rsoc(options: u8, opcode: u8) -> [u8; 12] {
    ReportSupportedOperationCodes {
        reporting_options: options,
        requested_opcode: opcode,
        allocation_length: RSOC_ALLOCATION,
        ..Default::default()
    }
    .encode()
}

/// Room for 400 command descriptors with timeouts (20 bytes each), and
/// well under the 64 KiB transfers some targets never answer.
const RSOC_ALLOCATION: u32 = 8192;

/// Refused as a whole: not implemented.
fn refused(r: &Reply) -> bool {
    r.is(
        SenseKey::ILLEGAL_REQUEST,
        AscAscq::INVALID_COMMAND_OPERATION_CODE,
    ) || r.is(SenseKey::ILLEGAL_REQUEST, AscAscq::INVALID_FIELD_IN_CDB)
}

const NO_RSOC: &str = "the device does not implement REPORT SUPPORTED OPERATION CODES";

fn all_commands(
    ctx: &mut Context,
    s: &mut Scsi,
) -> Result<Option<SupportedOpcodes>, ScenarioError> {
    let r = s.read(ctx, &rsoc(reporting_options::ALL, 0), RSOC_ALLOCATION)?;
    if refused(&r) {
        return Ok(None);
    }
    match SupportedOpcodes::decode(&r.data) {
        Ok(d) if r.good() && !d.is_truncated() => Ok(Some(d.value)),
        _ => Err(setup("REPORT SUPPORTED OPERATION CODES, all commands", &r)),
    }
}

fn lists_working(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let Some(list) = all_commands(ctx, s)? else {
            return Ok(Outcome::not_applicable(NO_RSOC));
        };
        let want: [(u8, Option<u16>); 10] = [
            (op::TEST_UNIT_READY, None),
            (op::INQUIRY, None),
            (op::READ_CAPACITY_10, None),
            (op::READ_10, None),
            (op::WRITE_10, None),
            (op::READ_16, None),
            (op::WRITE_16, None),
            (op::SERVICE_ACTION_IN_16, Some(sa::READ_CAPACITY_16.into())),
            (op::REPORT_LUNS, None),
            (
                op::MAINTENANCE_IN,
                Some(sa::REPORT_SUPPORTED_OPERATION_CODES.into()),
            ),
        ];
        let missing: Vec<_> = want
            .iter()
            .filter(|(o, a)| {
                !list.commands.iter().any(|c| {
                    c.opcode == *o && a.is_none_or(|a| c.servactv && c.service_action == a)
                })
            })
            .collect();
        Ok(Outcome::check(
            missing.is_empty(),
            "every command listed",
            format!("missing (opcode, service action): {missing:02x?}"),
        ))
    })
}

/// The CDB length the group code fixes (SPC-5 §4.2.5.1); None for groups
/// whose length is not fixed.
fn group_len(opcode: u8) -> Option<u16> {
    match opcode >> 5 {
        0 => Some(6),
        1 | 2 => Some(10),
        4 => Some(16),
        5 => Some(12),
        _ => None,
    }
}

fn cdb_lengths(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let Some(list) = all_commands(ctx, s)? else {
            return Ok(Outcome::not_applicable(NO_RSOC));
        };
        // Commands whose CDB has a SERVICE ACTION field (SPC-5, SBC-4):
        // these may be listed per service action.
        let with_sa = [
            op::SERVICE_ACTION_IN_16,
            op::MAINTENANCE_IN,
            op::PERSISTENT_RESERVE_IN,
            op::PERSISTENT_RESERVE_OUT,
            op::SANITIZE,
            op::EXTENDED_COPY,
            op::RECEIVE_COPY_RESULTS,
        ];
        for c in &list.commands {
            let length_ok = group_len(c.opcode).is_none_or(|n| n == c.cdb_length);
            // The others with a service action field (PERSISTENT RESERVE,
            // SANITIZE, the copy commands) may be listed either way.
            let sa_ok = match c.opcode {
                op::SERVICE_ACTION_IN_16 | op::MAINTENANCE_IN => c.servactv,
                o if with_sa.contains(&o) => true,
                _ => !c.servactv,
            };
            if !(length_ok && sa_ok) {
                return Ok(Outcome::fail(
                    "descriptors with the group's CDB LENGTH and the right SERVACTV",
                    format!(
                        "opcode {:02X}h service action {:04X}h SERVACTV {} CDB LENGTH {}",
                        c.opcode, c.service_action, c.servactv, c.cdb_length
                    ),
                ));
            }
        }
        Ok(Outcome::Pass)
    })
}

fn one(
    ctx: &mut Context,
    s: &mut Scsi,
    opcode: u8,
) -> Result<Result<OneCommand, Outcome>, ScenarioError> {
    let r = s.read(
        ctx,
        &rsoc(reporting_options::OPCODE, opcode),
        RSOC_ALLOCATION,
    )?;
    if refused(&r) {
        return Ok(Err(Outcome::not_applicable(
            "the device does not answer REPORTING OPTIONS 001b",
        )));
    }
    match OneCommand::decode(&r.data) {
        Ok(d) if r.good() => Ok(Ok(d.value)),
        _ => Ok(Err(Outcome::fail(
            "GOOD and one-command parameter data",
            r.describe(),
        ))),
    }
}

fn one_inquiry(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        let d = match one(ctx, s, op::INQUIRY)? {
            Ok(d) => d,
            Err(outcome) => return Ok(outcome),
        };
        Ok(Outcome::check(
            d.support == 0b011
                && d.cdb_usage.len() == 6
                && d.cdb_usage.first() == Some(&op::INQUIRY),
            "SUPPORT 011b, CDB SIZE 6, usage data starting 12h",
            format!("SUPPORT {:03b}, usage data {:02x?}", d.support, d.cdb_usage),
        ))
    })
}

fn one_unsupported(ctx: &mut Context) -> Verdict {
    with_session(ctx, |ctx, s| {
        // The one-command format must work for a command the device has.
        if let Err(outcome) = one(ctx, s, op::INQUIRY)? {
            return Ok(outcome);
        }
        let r = s.read(ctx, &rsoc(reporting_options::OPCODE, 0x59), RSOC_ALLOCATION)?;
        let d = match OneCommand::decode(&r.data) {
            Ok(d) if r.good() => d.value,
            _ => {
                return Ok(Outcome::fail(
                    "GOOD and one-command data with SUPPORT 001b",
                    r.describe(),
                ))
            }
        };
        Ok(Outcome::check(
            d.support == 0b001,
            "SUPPORT 001b",
            format!("SUPPORT {:03b}", d.support),
        ))
    })
}
