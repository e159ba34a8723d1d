//! Large and concurrent transfers (RFC 7143 §4.2.2.1, §11.4.5, §11.4.8,
//! §11.7, §11.8, §13.17 to §13.19): several R2Ts outstanding for one write
//! within MaxOutstandingR2T, data PDUs and sequences out of order where the
//! target agrees to it, transfers of 16 MiB with their data checked and
//! their numbering and residuals judged, and 64 writes in flight.

use super::datain::in_order;
use crate::context::Context;
use crate::harness::blocks::{
    block_size, capacity, data_of, lun, pattern, read, read10, run_past_ua, status_of, write10,
};
use crate::harness::scratch::{claim, with_scratch};
use crate::harness::session::RawSession;
use crate::scenario::{Level, Outcome, Scenario, ScenarioError, Verdict};
use crate::wire::last_value;
use bytes::Bytes;
use rtgt_proto::pdu::{DataOut, Pdu, ReadyToTransfer, ScsiStatus};
use std::collections::BTreeMap;

// RFC 7143 §13.17 and §13.18, §13.19 define MaxOutstandingR2T ("the maximum
// number of outstanding R2Ts per task") and what DataPDUInOrder=No and
// DataSequenceInOrder=No allow without a keyword binding the target: the
// three scenarios on them are SHOULD.
pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "iscsi.large.outstanding-r2ts",
        "RFC 7143 §13.17",
        Level::Should,
        "with MaxOutstandingR2T of 2 or more and MaxBurstLength 8192, a 64 KiB write never has \
         more R2Ts outstanding than negotiated, their bursts cover the write, and it ends GOOD \
         with its data written",
        outstanding_r2ts,
    ),
    Scenario::new(
        "iscsi.large.data-pdus-out-of-order",
        "RFC 7143 §13.19",
        Level::Should,
        "where the target agrees to DataPDUInOrder=No, a write whose Data-Out PDUs of each burst \
         arrive in decreasing offsets ends GOOD with its data written",
        pdus_out_of_order,
    ),
    Scenario::new(
        "iscsi.large.data-sequences-out-of-order",
        "RFC 7143 §13.18",
        Level::Should,
        "where the target agrees to DataSequenceInOrder=No, a write whose outstanding R2Ts are \
         answered last first ends GOOD with its data written",
        sequences_out_of_order,
    ),
    Scenario::new(
        "iscsi.large.write-read-16mib",
        "RFC 7143 §11.7.5, §11.8",
        Level::Must,
        "one WRITE (10) of 16 MiB (the data answering its R2Ts) ends GOOD, and one READ (10) of \
         it returns the same 16 MiB, DataSN from 0 up by one and offsets contiguous",
        write_read_16mib,
    ),
    Scenario::new(
        "iscsi.large.read-16mib-underflow",
        "RFC 7143 §11.4.5, §11.4.8",
        Level::Must,
        "a READ (10) of the LUN's last 16 MiB with an expected length 64 KiB longer (a buffer \
         reaching past the end of the medium) delivers the 16 MiB in order and ends GOOD with the \
         U bit and a residual count of 64 KiB (and, in a SCSI Response, ExpDataSN equal to the \
         number of Data-In PDUs)",
        read_16mib_underflow,
    ),
    Scenario::new(
        "iscsi.large.writes-in-flight",
        "RFC 7143 §4.2.2.1",
        Level::Must,
        "up to 64 one-block writes sent at once, as many as the CmdSN window admits, each get \
         their R2Ts and one GOOD status, and every block reads back as written",
        writes_in_flight,
    ),
];

/// 16 MiB.
const LARGE: u32 = 16 << 20;

/// A round of a write: the R2Ts outstanding, and the PDUs that ended the
/// task if it ended; or the outcome that ends the scenario.
type Round = Result<(Vec<ReadyToTransfer>, Option<Vec<Pdu>>), Outcome>;

/// The R2Ts the target sends within the quiet time, and whether the
/// command's status came instead; any other PDU of the task fails.
fn r2ts_now(ctx: &mut Context, s: &mut RawSession, itt: u32) -> Result<Round, ScenarioError> {
    let (got, closed) = s.gather_until(ctx, |p| {
        p.itt() == itt && matches!(p, Pdu::ScsiResponse(_) | Pdu::Reject(_))
    })?;
    let mut r2ts = Vec::new();
    for p in got {
        match p {
            Pdu::ReadyToTransfer(r) if r.itt == itt => r2ts.push(r),
            p @ (Pdu::ScsiResponse(_) | Pdu::Reject(_)) => return Ok(Ok((r2ts, Some(vec![p])))),
            other => {
                return Ok(Err(Outcome::fail(
                    "R2Ts and a status for the write",
                    format!("a {}", other.opcode().name()),
                )))
            }
        }
    }
    if closed {
        return Ok(Err(Outcome::fail(
            "R2Ts and a status for the write",
            "the connection closed",
        )));
    }
    Ok(Ok((r2ts, None)))
}

/// Data-Out PDUs answering `r2t` from `data`, in `step`-byte segments,
/// each numbered and flagged as sent: last offsets first when `reverse`
/// (RFC 7143 §11.7.5: DataSN counts the PDUs of the sequence as sent).
fn burst(
    s: &RawSession,
    r2t: &ReadyToTransfer,
    data: &Bytes,
    step: u32,
    reverse: bool,
) -> Vec<DataOut> {
    let (start, end) = (
        r2t.buffer_offset,
        r2t.buffer_offset + r2t.desired_data_transfer_length,
    );
    let mut offsets: Vec<u32> = (start..end).step_by(step as usize).collect();
    if reverse {
        offsets.reverse();
    }
    let n = offsets.len();
    offsets
        .into_iter()
        .enumerate()
        .map(|(i, at)| DataOut {
            final_bit: i + 1 == n,
            lun: r2t.lun,
            itt: r2t.itt,
            ttt: r2t.ttt,
            exp_stat_sn: s.exp_stat_sn,
            data_sn: i as u32,
            buffer_offset: at,
            data: data.slice(at as usize..(at + step).min(end) as usize),
            ..DataOut::default()
        })
        .collect()
}

/// How a write's data is sent in [`write_by_rounds`].
#[derive(Clone, Copy)]
struct Order {
    /// Answer each round's R2Ts last first.
    sequences_reversed: bool,
    /// Send each burst's PDUs last offset first.
    pdus_reversed: bool,
    /// Segment size.
    step: u32,
}

/// Writes `data` at `lba` in rounds: each round takes every R2T the target
/// has outstanding (what comes within the quiet time), checks there are at
/// most `limit`, and answers them. Gives the most outstanding at once and
/// the status, or the outcome that ends the scenario.
fn write_by_rounds(
    ctx: &mut Context,
    s: &mut RawSession,
    (lba, bs): (u64, u32),
    data: &Bytes,
    limit: u32,
    order: Order,
) -> Result<Result<(u32, Option<ScsiStatus>), Outcome>, ScenarioError> {
    let blocks = (data.len() as u32 / bs) as u16;
    let cmd = s.command(
        lun(ctx),
        &write10(lba, blocks),
        data.len() as u32,
        false,
        true,
    );
    let itt = cmd.itt;
    s.send(ctx, cmd)?;
    let mut most = 0;
    for _ in 0..256 {
        let (mut r2ts, end) = match r2ts_now(ctx, s, itt)? {
            Ok(x) => x,
            Err(outcome) => return Ok(Err(outcome)),
        };
        most = most.max(r2ts.len() as u32);
        if r2ts.len() as u32 > limit {
            return Ok(Err(Outcome::fail(
                format!("at most {limit} R2Ts outstanding (MaxOutstandingR2T)"),
                format!("{} outstanding at once", r2ts.len()),
            )));
        }
        if let Some(pdus) = end {
            return Ok(Ok((most, status_of(&pdus))));
        }
        if r2ts.is_empty() {
            return Ok(Err(Outcome::fail(
                "an R2T or the status",
                format!("nothing within {:?}", ctx.target.quiet),
            )));
        }
        if order.sequences_reversed {
            r2ts.reverse();
        }
        for r2t in &r2ts {
            for d in burst(s, r2t, data, order.step, order.pdus_reversed) {
                s.send(ctx, d)?;
            }
        }
    }
    Ok(Err(Outcome::fail("the write to end", "256 rounds of R2Ts")))
}

/// Writes a pattern over `blocks` scratch blocks as [`write_by_rounds`]
/// does with `keys` negotiated, and reads it back.
fn rounds_scenario(
    ctx: &mut Context,
    keys: &[(&str, &str)],
    blocks: u16,
    order: impl Fn(&RawSession, u32) -> Result<(u32, Order), Outcome>,
) -> Verdict {
    with_scratch(ctx, blocks, |ctx, lba, bs| {
        let mut s = RawSession::open(ctx, keys)?;
        let (limit, order) = match order(&s, bs) {
            Ok(x) => x,
            Err(outcome) => {
                s.logout(ctx);
                return Ok(outcome);
            }
        };
        block_size(ctx, &mut s)?;
        let data = pattern(usize::from(blocks) * bs as usize, 0x5c);
        let (most, status) = match write_by_rounds(ctx, &mut s, (lba, bs), &data, limit, order)? {
            Ok(x) => x,
            Err(outcome) => {
                s.logout(ctx);
                return Ok(outcome);
            }
        };
        if status != Some(ScsiStatus::Good) {
            s.logout(ctx);
            return Ok(Outcome::fail("GOOD", format!("{status:?}")));
        }
        let back = read(ctx, &mut s, lba, blocks, bs)?;
        s.logout(ctx);
        Ok(Outcome::check(
            back == data,
            "the data read back as written",
            format!("other data (at most {most} R2Ts were outstanding at once)"),
        ))
    })
}

/// The negotiated value of `key` as a number.
fn number(s: &RawSession, key: &str) -> Option<u32> {
    last_value(&s.keys, key).and_then(|v| v.parse().ok())
}

fn outstanding_r2ts(ctx: &mut Context) -> Verdict {
    let keys = [
        ("MaxOutstandingR2T", "4"),
        ("MaxBurstLength", "8192"),
        ("FirstBurstLength", "8192"),
        ("InitialR2T", "Yes"),
    ];
    rounds_scenario(ctx, &keys, 128, |s, bs| {
        // RFC 7143 §13.17: the target's answer is the minimum; without one
        // the default, 1.
        let limit = number(s, "MaxOutstandingR2T").unwrap_or(1);
        if limit < 2 {
            return Err(Outcome::not_applicable(format!(
                "the target allows one outstanding R2T per task (MaxOutstandingR2T={limit})"
            )));
        }
        let step = s.target_mrdsl.clamp(bs, 8192);
        let order = Order {
            sequences_reversed: false,
            pdus_reversed: false,
            step,
        };
        Ok((limit, order))
    })
}

/// A write with the in-order key `key` offered as No: not applicable when
/// the target keeps Yes (RFC 7143 §13.18, §13.19: a result function OR).
fn out_of_order(ctx: &mut Context, key: &'static str, order: Order) -> Verdict {
    let keys = [
        (key, "No"),
        ("MaxOutstandingR2T", "4"),
        ("MaxBurstLength", "8192"),
        ("FirstBurstLength", "8192"),
        ("InitialR2T", "Yes"),
    ];
    rounds_scenario(ctx, &keys, 64, |s, bs| {
        match last_value(&s.keys, key) {
            Some("No") => {}
            other => {
                return Err(Outcome::not_applicable(format!(
                    "the target keeps {key}=Yes (answer {other:?})"
                )))
            }
        }
        let limit = number(s, "MaxOutstandingR2T").unwrap_or(1);
        Ok((
            limit,
            Order {
                step: bs.min(s.target_mrdsl),
                ..order
            },
        ))
    })
}

fn pdus_out_of_order(ctx: &mut Context) -> Verdict {
    let order = Order {
        sequences_reversed: false,
        pdus_reversed: true,
        step: 512,
    };
    out_of_order(ctx, "DataPDUInOrder", order)
}

fn sequences_out_of_order(ctx: &mut Context) -> Verdict {
    let order = Order {
        sequences_reversed: true,
        pdus_reversed: false,
        step: 512,
    };
    out_of_order(ctx, "DataSequenceInOrder", order)
}

/// The LU's MAXIMUM TRANSFER LENGTH in blocks (SBC-4 §6.6.4, Block
/// Limits VPD page B0h, bytes 8 to 11), when it answers the page and states
/// one (0 is no limit).
fn max_transfer(ctx: &mut Context, s: &mut RawSession) -> Result<Option<u32>, ScenarioError> {
    let cdb = [0x12, 0x01, 0xb0, 0x00, 0xff, 0x00];
    let l = lun(ctx);
    let pdus = run_past_ua(ctx, s, |s| s.command(l, &cdb, 255, true, false), None)?;
    if status_of(&pdus) != Some(ScsiStatus::Good) {
        return Ok(None);
    }
    let data = data_of(&pdus);
    Ok(match data.get(8..12) {
        Some(b) if data.get(1) == Some(&0xb0) => {
            Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]])).filter(|&n| n > 0)
        }
        _ => None,
    })
}

/// The blocks of 16 MiB and the LUN's size in blocks, or the outcome when
/// the LUN is smaller or one command may not ask for as much.
fn large_blocks(
    ctx: &mut Context,
    s: &mut RawSession,
) -> Result<Result<(u16, u64), Outcome>, ScenarioError> {
    let cap = capacity(ctx, s)?;
    let bs = cap.block_length;
    let blocks = LARGE / bs;
    let lun_blocks = u64::from(cap.returned_lba) + 1;
    if lun_blocks < u64::from(blocks) || blocks > u32::from(u16::MAX) {
        return Ok(Err(Outcome::not_applicable(format!(
            "the LUN holds {lun_blocks} blocks of {bs} bytes, less than 16 MiB"
        ))));
    }
    // SBC-4 §6.6.4: a command asking for more than MAXIMUM TRANSFER LENGTH
    // is refused (INVALID FIELD IN CDB), so 16 MiB is not one command here.
    if let Some(max) = max_transfer(ctx, s)?.filter(|&m| m < blocks) {
        return Ok(Err(Outcome::not_applicable(format!(
            "the LU's MAXIMUM TRANSFER LENGTH is {max} blocks of {bs} bytes, less than 16 MiB"
        ))));
    }
    Ok(Ok((blocks as u16, lun_blocks)))
}

fn write_read_16mib(ctx: &mut Context) -> Verdict {
    let mut s = RawSession::open(ctx, &[("MaxRecvDataSegmentLength", "262144")])?;
    let (blocks, _) = match large_blocks(ctx, &mut s)? {
        Ok(x) => x,
        Err(outcome) => {
            s.logout(ctx);
            return Ok(outcome);
        }
    };
    s.logout(ctx);
    if let Err(given) = claim(ctx, u32::from(blocks))? {
        return Ok(Outcome::skip(format!(
            "needs {blocks} scratch blocks (16 MiB, --scratch-blocks), the suite allows {given}"
        )));
    }
    with_scratch(ctx, blocks, |ctx, lba, bs| {
        let mut s = RawSession::open(ctx, &[("MaxRecvDataSegmentLength", "262144")])?;
        let data = pattern(LARGE as usize, 0x3d);
        let (l, cdb) = (lun(ctx), write10(lba, blocks));
        let pdus = run_past_ua(
            ctx,
            &mut s,
            |s| s.command(l, &cdb, LARGE, false, true),
            Some(&data),
        )?;
        if status_of(&pdus) != Some(ScsiStatus::Good) {
            s.logout(ctx);
            return Ok(Outcome::fail(
                "GOOD for the write",
                format!("{:?}", status_of(&pdus)),
            ));
        }
        let cdb = read10(lba, blocks);
        let cmd = s.command(l, &cdb, LARGE, true, false);
        let pdus = s.run(ctx, cmd, None)?;
        s.logout(ctx);
        let order = in_order(&pdus, LARGE);
        if !matches!(order, Outcome::Pass) {
            return Ok(order);
        }
        let _ = bs;
        Ok(Outcome::check(
            data_of(&pdus) == data[..],
            "the 16 MiB read back as written",
            "other data",
        ))
    })
}

fn read_16mib_underflow(ctx: &mut Context) -> Verdict {
    let mut s = RawSession::open(ctx, &[("MaxRecvDataSegmentLength", "262144")])?;
    let (blocks, lun_blocks) = match large_blocks(ctx, &mut s)? {
        Ok(x) => x,
        Err(outcome) => {
            s.logout(ctx);
            return Ok(outcome);
        }
    };
    const MORE: u32 = 64 << 10;
    // The last 16 MiB: the 64 KiB more the initiator expects are no blocks
    // of the medium, so only a target that reads what the CDB asks (not
    // what the buffer could hold) can end GOOD.
    let lba = lun_blocks - u64::from(blocks);
    if lba > u64::from(u32::MAX) {
        s.logout(ctx);
        return Ok(Outcome::not_applicable(
            "the LUN's last 16 MiB lie beyond READ (10)'s reach",
        ));
    }
    let (l, cdb) = (lun(ctx), read10(lba, blocks));
    let pdus = run_past_ua(
        ctx,
        &mut s,
        |s| s.command(l, &cdb, LARGE + MORE, true, false),
        None,
    )?;
    s.logout(ctx);
    if status_of(&pdus) != Some(ScsiStatus::Good) {
        return Ok(Outcome::fail("GOOD", format!("{:?}", status_of(&pdus))));
    }
    let order = in_order(&pdus, LARGE);
    if !matches!(order, Outcome::Pass) {
        return Ok(order);
    }
    let data_ins = pdus.iter().filter(|p| matches!(p, Pdu::DataIn(_))).count() as u32;
    // The status and residual: in the last Data-In (S bit) or a SCSI
    // Response, which also counts the Data-In PDUs (§11.4.8).
    let ending = pdus.iter().find_map(|p| match p {
        Pdu::ScsiResponse(r) => Some((r.underflow, r.residual_count, Some(r.exp_data_sn))),
        Pdu::DataIn(d) if d.status_present => Some((d.underflow, d.residual_count, None)),
        _ => None,
    });
    let Some((under, residual, exp_data_sn)) = ending else {
        return Ok(Outcome::fail("a status", "none"));
    };
    if let Some(n) = exp_data_sn.filter(|&n| n != data_ins) {
        return Ok(Outcome::fail(
            format!("ExpDataSN {data_ins}"),
            format!("ExpDataSN {n}"),
        ));
    }
    Ok(Outcome::check(
        under && residual == MORE,
        format!("the U bit and residual count {MORE}"),
        format!("U bit {under}, residual count {residual}"),
    ))
}

/// How many writes go out at once at most.
const IN_FLIGHT: u32 = 64;

fn writes_in_flight(ctx: &mut Context) -> Verdict {
    let n = IN_FLIGHT.min(ctx.target.scratch_blocks);
    with_scratch(ctx, n as u16, |ctx, lba, bs| {
        let mut s = RawSession::open(ctx, &[])?;
        block_size(ctx, &mut s)?;
        // MaxCmdSN - CmdSN + 1 commands fit the window (§4.2.2.1).
        let room = s.max_cmd_sn.wrapping_sub(s.cmd_sn).wrapping_add(1);
        let n = n.min(room);
        if n < 2 {
            s.logout(ctx);
            return Ok(Outcome::not_applicable(format!(
                "the CmdSN window admits {room} command(s) at once"
            )));
        }
        let l = lun(ctx);
        let data = pattern((n * bs) as usize, 0x77);
        // ITT -> (its block's offset in `data`, statuses).
        let mut tasks: BTreeMap<u32, (u32, Vec<ScsiStatus>)> = BTreeMap::new();
        for i in 0..n {
            let cmd = s.command(l, &write10(lba + u64::from(i), 1), bs, false, true);
            tasks.insert(cmd.itt, (i * bs, Vec::new()));
            s.send(ctx, cmd)?;
        }
        let mut pending = n;
        while pending > 0 {
            let pdu = s.next_pdu(ctx, "the R2Ts and statuses of the writes")?;
            let Some((at, statuses)) = tasks.get_mut(&pdu.itt()) else {
                s.logout(ctx);
                return Ok(Outcome::fail(
                    "answers for the writes sent",
                    format!("a {} for ITT {:#x}", pdu.opcode().name(), pdu.itt()),
                ));
            };
            match pdu {
                Pdu::ReadyToTransfer(r) => {
                    let block = data.slice(*at as usize..(*at + bs) as usize);
                    s.answer_r2t(ctx, r.itt, l, &r, &block)?;
                }
                Pdu::ScsiResponse(r) => {
                    statuses.push(r.status);
                    pending -= 1;
                }
                other => {
                    s.logout(ctx);
                    return Ok(Outcome::fail(
                        "R2Ts and SCSI Responses",
                        format!("a {}", other.opcode().name()),
                    ));
                }
            }
        }
        if let Some((itt, (_, st))) = tasks
            .iter()
            .find(|(_, (_, st))| st[..] != [ScsiStatus::Good])
        {
            s.logout(ctx);
            return Ok(Outcome::fail(
                "one GOOD status for every write",
                format!("ITT {itt:#x}: {st:?}"),
            ));
        }
        let back = read(ctx, &mut s, lba, n as u16, bs)?;
        s.logout(ctx);
        Ok(Outcome::check(
            back == data,
            "every block read back as written",
            "other data",
        ))
    })
}
