//! CmdSN across 2^32 (RFC 7143 §4.2.2.1, §11.12.8): the initiator picks the
//! session's first CmdSN at login, here eight below the wrap, and the
//! target numbers, admits and acknowledges commands across it with serial
//! number arithmetic (RFC 1982). StatSN is the target's to choose, so its
//! wrap is not something a test can bring about.

use crate::context::Context;
use crate::harness::blocks::{block_size, data_of, lun, read10, status_of};
use crate::harness::session::RawSession;
use crate::scenario::{Level, Outcome, Scenario, Verdict};
use rtgt_proto::pdu::{Pdu, ScsiStatus};
use std::collections::BTreeMap;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "iscsi.cmdsn.wrap-one-at-a-time",
        "RFC 7143 §4.2.2.1, §11.12.8",
        Level::Must,
        "in a session whose leading login carried CmdSN 2^32-8, sixteen reads sent one after \
         another (CmdSN 2^32-8 up to 7) are each answered GOOD with their block, and each answer's \
         ExpCmdSN acknowledges its command across the wrap",
        one_at_a_time,
    ),
    Scenario::new(
        "iscsi.cmdsn.wrap-in-flight",
        "RFC 7143 §4.2.2.1",
        Level::Must,
        "in such a session, up to sixteen reads sent at once whose CmdSNs run across 2^32 (as many \
         as the window admits) are each answered once, GOOD, with their block",
        in_flight,
    ),
];

/// The session's first CmdSN: eight below the wrap.
const FIRST: u32 = 0u32.wrapping_sub(8);
/// Commands per scenario.
const COMMANDS: u32 = 16;

/// A session numbered from [`FIRST`], its block size taken with the first
/// command (so the wrap comes seven commands later).
fn session(ctx: &mut Context) -> Result<(RawSession, u32), crate::scenario::ScenarioError> {
    let (mut s, _, _) = RawSession::open_numbered(ctx, &[], FIRST)?;
    let bs = block_size(ctx, &mut s)?;
    Ok((s, bs))
}

fn one_at_a_time(ctx: &mut Context) -> Verdict {
    let (mut s, bs) = session(ctx)?;
    let l = lun(ctx);
    for i in 0..COMMANDS {
        let cmd = s.command(l, &read10(u64::from(i), 1), bs, true, false);
        let sn = cmd.cmd_sn;
        let pdus = s.run(ctx, cmd, None)?;
        if status_of(&pdus) != Some(ScsiStatus::Good) || data_of(&pdus).len() != bs as usize {
            s.logout(ctx);
            return Ok(Outcome::fail(
                format!("GOOD and {bs} bytes for the read with CmdSN {sn:#x}"),
                format!("{:?} and {} bytes", status_of(&pdus), data_of(&pdus).len()),
            ));
        }
        // RFC 7143 §4.2.2.1: an answered command has been received, so
        // ExpCmdSN is past it (serially: 0xffffffff + 1 is 0).
        let exp = s.exp_cmd_sn;
        if exp != sn.wrapping_add(1) {
            s.logout(ctx);
            return Ok(Outcome::fail(
                format!(
                    "ExpCmdSN {:#x} after the read with CmdSN {sn:#x}",
                    sn.wrapping_add(1)
                ),
                format!("ExpCmdSN {exp:#x}"),
            ));
        }
    }
    s.logout(ctx);
    Ok(Outcome::Pass)
}

fn in_flight(ctx: &mut Context) -> Verdict {
    let (mut s, bs) = session(ctx)?;
    let room = s.max_cmd_sn.wrapping_sub(s.cmd_sn).wrapping_add(1);
    // The first command already took one number: the rest start at 2^32-7.
    let n = COMMANDS.min(room);
    if n < 8 {
        s.logout(ctx);
        return Ok(Outcome::not_applicable(format!(
            "the CmdSN window admits {room} command(s) at once, too few to cross the wrap"
        )));
    }
    let l = lun(ctx);
    let mut answers: BTreeMap<u32, (usize, Vec<ScsiStatus>)> = BTreeMap::new();
    for i in 0..n {
        let cmd = s.command(l, &read10(u64::from(i), 1), bs, true, false);
        answers.insert(cmd.itt, (0, Vec::new()));
        s.send(ctx, cmd)?;
    }
    let mut pending = n;
    while pending > 0 {
        let pdu = s.next_pdu(ctx, "the answers of the reads")?;
        let Some((bytes, statuses)) = answers.get_mut(&pdu.itt()) else {
            s.logout(ctx);
            return Ok(Outcome::fail(
                "answers for the reads sent",
                format!("a {} for ITT {:#x}", pdu.opcode().name(), pdu.itt()),
            ));
        };
        let status = match &pdu {
            Pdu::DataIn(d) => {
                *bytes += d.data.len();
                d.status_present.then_some(d.status)
            }
            Pdu::ScsiResponse(r) => Some(r.status),
            _ => None,
        };
        if let Some(st) = status {
            statuses.push(st);
            pending -= 1;
        }
    }
    let last = s.cmd_sn;
    s.logout(ctx);
    if let Some((itt, (bytes, st))) = answers
        .iter()
        .find(|(_, (b, st))| *b != bs as usize || st[..] != [ScsiStatus::Good])
    {
        return Ok(Outcome::fail(
            format!("{bs} bytes and one GOOD status for every read"),
            format!("ITT {itt:#x}: {bytes} bytes, statuses {st:?}"),
        ));
    }
    Ok(Outcome::check(
        last < 0x8000_0000 && last > 0,
        "CmdSNs that crossed 2^32",
        format!("the last CmdSN {:#x}", last.wrapping_sub(1)),
    ))
}
