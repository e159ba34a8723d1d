//! Many commands at once and one large transfer (RFC 7143 §4.2.2.1,
//! §4.2.2.2, §11.7.5, §11.7.6): every command the window admits is answered
//! once, with its own data and a StatSN of its own, and a read of several
//! MiB arrives whole and in order.

use super::datain::in_order;
use crate::context::Context;
use crate::harness::blocks::{block_size, capacity, lun, read10, run_past_ua, status_of};
use crate::harness::session::RawSession;
use crate::scenario::{Level, Outcome, Scenario, Verdict};
use rtgt_proto::pdu::{Pdu, ScsiStatus};
use std::collections::BTreeMap;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "iscsi.datain.many-in-flight",
        "RFC 7143 §4.2.2.1, §4.2.2.2",
        Level::Must,
        "up to 64 one-block reads sent at once, as many as the CmdSN window admits, each get \
         their block and one GOOD status, with StatSNs one apart",
        many_in_flight,
    ),
    Scenario::new(
        "iscsi.datain.large-read",
        "RFC 7143 §11.7.5, §11.7.6",
        Level::Must,
        "a read of 4 MiB (or the whole LUN, if smaller) arrives whole: DataSN from 0 up by one, \
         Buffer Offsets contiguous from 0, one GOOD status",
        large_read,
    ),
];

/// How many reads go out at once at most.
const IN_FLIGHT: u32 = 64;

/// What came back for one read: its data bytes and its statuses (with
/// their StatSNs).
#[derive(Default)]
struct Answer {
    bytes: usize,
    statuses: Vec<(ScsiStatus, u32)>,
}

fn many_in_flight(ctx: &mut Context) -> Verdict {
    let mut s = RawSession::open(ctx, &[])?;
    let bs = block_size(ctx, &mut s)?;
    // MaxCmdSN - CmdSN + 1 commands fit the window (§4.2.2.1).
    let room = s.max_cmd_sn.wrapping_sub(s.cmd_sn).wrapping_add(1);
    let n = IN_FLIGHT.min(room).min(ctx.target.scratch_blocks);
    if n < 2 {
        s.logout(ctx);
        return Ok(Outcome::not_applicable(format!(
            "the CmdSN window admits {room} command(s) at once"
        )));
    }
    let mut answers: BTreeMap<u32, Answer> = BTreeMap::new();
    for i in 0..n {
        let cdb = read10(ctx.target.scratch_lba + u64::from(i), 1);
        let cmd = s.command(lun(ctx), &cdb, bs, true, false);
        answers.insert(cmd.itt, Answer::default());
        s.send(ctx, cmd)?;
    }
    let mut pending = n;
    while pending > 0 {
        let (itt, bytes, status) = match s.next_pdu(ctx, "the answers of the reads")? {
            Pdu::DataIn(d) => (
                d.itt,
                d.data.len(),
                d.status_present.then_some((d.status, d.stat_sn)),
            ),
            Pdu::ScsiResponse(r) => (r.itt, 0, Some((r.status, r.stat_sn))),
            other => {
                s.logout(ctx);
                return Ok(Outcome::fail(
                    "Data-In and status for the reads",
                    format!("a {}", other.opcode().name()),
                ));
            }
        };
        let Some(answer) = answers.get_mut(&itt) else {
            s.logout(ctx);
            return Ok(Outcome::fail(
                "answers for the reads sent",
                format!("a PDU for ITT {itt:#x}, which no read had"),
            ));
        };
        answer.bytes += bytes;
        if let Some(status) = status {
            answer.statuses.push(status);
            pending -= 1;
        }
    }
    let (late, _) = s.gather_quiet(ctx)?;
    s.logout(ctx);
    if let Some(p) = late.first() {
        return Ok(Outcome::fail(
            "nothing after the last status",
            format!("a {} for ITT {:#x}", p.opcode().name(), p.itt()),
        ));
    }
    Ok(judge(&answers, bs as usize))
}

fn judge(answers: &BTreeMap<u32, Answer>, bs: usize) -> Outcome {
    if let Some((itt, a)) = answers.iter().find(|(_, a)| {
        a.bytes != bs || a.statuses.len() != 1 || a.statuses[0].0 != ScsiStatus::Good
    }) {
        return Outcome::fail(
            format!("{bs} bytes and one GOOD status for every read"),
            format!("ITT {itt:#x}: {} bytes, statuses {:?}", a.bytes, a.statuses),
        );
    }
    // StatSN wraps (RFC 1982): order them by their distance from one of
    // them, which the window of 64 keeps far below 2^31.
    let mut stat_sns: Vec<u32> = answers.values().map(|a| a.statuses[0].1).collect();
    let base = stat_sns.first().copied().unwrap_or(0);
    stat_sns.sort_by_key(|sn| sn.wrapping_sub(base) as i32);
    let consecutive = stat_sns.windows(2).all(|w| w[1] == w[0].wrapping_add(1));
    Outcome::check(consecutive, "StatSNs one apart", format!("{stat_sns:?}"))
}

/// A read at LBA 0 of 4 MiB or the whole LUN, whichever is smaller.
fn large_read(ctx: &mut Context) -> Verdict {
    let mut s = RawSession::open(ctx, &[("MaxRecvDataSegmentLength", "65536")])?;
    let cap = capacity(ctx, &mut s)?;
    let bs = cap.block_length;
    let lun_blocks = u64::from(cap.returned_lba) + 1;
    let blocks = ((4u64 << 20) / u64::from(bs)).clamp(1, lun_blocks.min(0xffff)) as u16;
    let edtl = u32::from(blocks) * bs;
    let (l, cdb) = (lun(ctx), read10(0, blocks));
    let pdus = run_past_ua(ctx, &mut s, |s| s.command(l, &cdb, edtl, true, false), None)?;
    s.logout(ctx);
    if status_of(&pdus) != Some(ScsiStatus::Good) {
        return Ok(Outcome::fail("GOOD", format!("{:?}", status_of(&pdus))));
    }
    Ok(in_order(&pdus, edtl))
}
