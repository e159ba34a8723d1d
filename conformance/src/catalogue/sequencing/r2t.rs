//! R2Ts and unsolicited data (RFC 7143 §11.8, §13.10, §13.13, §13.14,
//! §13.17): R2TSN from 0, real Target Transfer Tags, bursts within
//! MaxBurstLength, offsets covering the write in order, no more R2Ts
//! outstanding than MaxOutstandingR2T, and FirstBurstLength enforced.

use crate::context::Context;
use crate::harness::blocks::{lun, pattern, write10};
use crate::harness::scratch::with_scratch;
use crate::harness::session::RawSession;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use crate::wire::last_value;
use bytes::Bytes;
use rtgt_proto::pdu::{Pdu, ReadyToTransfer, ScsiStatus, TTT_RESERVED};
use rtgt_proto::scsi::asc::SenseKey;

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "iscsi.r2t.r2tsn-from-zero",
        clause: "RFC 7143 §11.8.6",
        level: Level::Must,
        requirement: "the R2Ts of a write are numbered R2TSN 0, 1, 2... in the order sent",
        needs: Needs::NONE,
        run: r2tsn,
    },
    Scenario {
        id: "iscsi.r2t.transfer-tag",
        clause: "RFC 7143 §11.8.4, §11.2.1.8",
        level: Level::Must,
        requirement: "every R2T carries a Target Transfer Tag other than the reserved \
                      0xffffffff",
        needs: Needs::NONE,
        run: ttt,
    },
    Scenario {
        id: "iscsi.r2t.within-max-burst",
        clause: "RFC 7143 §13.13, §11.8.5",
        level: Level::Must,
        requirement: "no R2T asks for more than MaxBurstLength (8192 negotiated) nor for zero \
                      bytes",
        needs: Needs::NONE,
        run: burst,
    },
    Scenario {
        id: "iscsi.r2t.offsets-cover-write",
        clause: "RFC 7143 §11.8.5, §13.19",
        level: Level::Must,
        requirement: "with DataSequenceInOrder=Yes the R2Ts ask for the write in increasing \
                      offsets, each starting where the last ended, covering it exactly",
        needs: Needs::NONE,
        run: cover,
    },
    Scenario {
        id: "iscsi.r2t.max-outstanding",
        clause: "RFC 7143 §13.17",
        level: Level::Must,
        requirement: "with MaxOutstandingR2T=1 the target sends no second R2T for a task while \
                      the first is unanswered",
        needs: Needs::NONE,
        run: outstanding,
    },
    Scenario {
        id: "iscsi.r2t.after-first-burst",
        clause: "RFC 7143 §13.10, §13.14",
        level: Level::Must,
        requirement: "with InitialR2T=No, after FirstBurstLength bytes of immediate and \
                      unsolicited data, the R2Ts ask only for the rest, from that offset",
        needs: Needs::NONE,
        run: first_burst,
    },
    Scenario {
        id: "iscsi.r2t.first-burst-exceeded",
        clause: "RFC 7143 §13.14, §11.4.7.2",
        level: Level::Must,
        requirement: "unsolicited data past FirstBurstLength ends the command with CHECK \
                      CONDITION, ABORTED COMMAND, 0x0C/0x0C (unexpected unsolicited data) or \
                      0x0C/0x0D (incorrect amount of data); a Reject of the excess data may \
                      come first, the response still must; never GOOD, nor a close",
        needs: Needs::NONE,
        run: first_burst_exceeded,
    },
    Scenario {
        id: "iscsi.r2t.unsolicited-while-initial-r2t",
        clause: "RFC 7143 §13.11, §11.4.7.2",
        level: Level::Must,
        requirement: "with InitialR2T=Yes and ImmediateData=No, an unsolicited Data-Out is \
                      rejected with the corresponding response code: the command ends with \
                      CHECK CONDITION, ABORTED COMMAND, 0x0C/0x0C (or 0x0C/0x0D), never GOOD",
        needs: Needs::NONE,
        run: unsolicited_while_initial_r2t,
    },
    Scenario {
        id: "iscsi.r2t.error-waits-for-final-data-out",
        clause: "RFC 7143 §11.4.2",
        level: Level::Must,
        requirement: "a write that fails (LBA beyond the end) while its unsolicited data is \
                      still expected is answered only after the Data-Out with F=1 arrives",
        needs: Needs::NONE,
        run: error_waits_for_data,
    },
];

const WRITE_LEN: u32 = 32768;
const SOLICITED: &[(&str, &str)] = &[
    ("InitialR2T", "Yes"),
    ("ImmediateData", "No"),
    ("MaxBurstLength", "8192"),
    ("FirstBurstLength", "8192"),
    ("MaxOutstandingR2T", "1"),
];

/// A 32 KiB write at the scratch LBA answering every R2T; the R2Ts seen,
/// the final status and the negotiated MaxBurstLength.
fn solicited_write(
    ctx: &mut Context,
    lba: u64,
    bs: u32,
) -> Result<(Vec<ReadyToTransfer>, Option<ScsiStatus>, u32), ScenarioError> {
    let mut s = RawSession::open(ctx, SOLICITED)?;
    let blocks = (WRITE_LEN / bs).max(1) as u16;
    let len = u32::from(blocks) * bs;
    let data = pattern(len as usize, 9);
    let (l, cdb) = (lun(ctx), write10(lba, blocks));
    let pdus = crate::harness::blocks::run_past_ua(
        ctx,
        &mut s,
        |s| s.command(l, &cdb, len, false, true),
        Some(&data),
    )?;
    let max_burst = last_value(&s.keys, "MaxBurstLength")
        .and_then(|v| v.parse().ok())
        .unwrap_or(262_144);
    s.logout(ctx);
    let r2ts = pdus
        .iter()
        .filter_map(|p| match p {
            Pdu::ReadyToTransfer(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    Ok((r2ts, crate::harness::blocks::status_of(&pdus), max_burst))
}

/// Runs `check` over the R2Ts of a solicited write in the scratch range.
fn with_r2ts(ctx: &mut Context, check: fn(&[ReadyToTransfer], u32, u32) -> Outcome) -> Verdict {
    with_scratch(ctx, 64, |ctx, lba, bs| {
        let (r2ts, status, max_burst) = solicited_write(ctx, lba, bs)?;
        if r2ts.is_empty() || status != Some(ScsiStatus::Good) {
            return Ok(Outcome::fail(
                "R2Ts and GOOD for the write",
                format!("{} R2Ts, {status:?}", r2ts.len()),
            ));
        }
        let len = (WRITE_LEN / bs).max(1) * bs;
        Ok(check(&r2ts, max_burst, len))
    })
}

fn r2tsn(ctx: &mut Context) -> Verdict {
    with_r2ts(ctx, |r2ts, _, _| {
        let sns: Vec<u32> = r2ts.iter().map(|r| r.r2t_sn).collect();
        let want: Vec<u32> = (0..sns.len() as u32).collect();
        Outcome::check(sns == want, format!("R2TSN {want:?}"), format!("{sns:?}"))
    })
}

fn ttt(ctx: &mut Context) -> Verdict {
    with_r2ts(ctx, |r2ts, _, _| {
        Outcome::check(
            r2ts.iter().all(|r| r.ttt != TTT_RESERVED),
            "no TTT 0xffffffff",
            "an R2T with TTT 0xffffffff",
        )
    })
}

fn burst(ctx: &mut Context) -> Verdict {
    with_r2ts(ctx, |r2ts, max_burst, _| {
        let bad = r2ts.iter().find(|r| {
            r.desired_data_transfer_length == 0 || r.desired_data_transfer_length > max_burst
        });
        Outcome::check(
            bad.is_none(),
            format!("desired lengths of 1 to {max_burst} bytes"),
            format!("{:?}", bad.map(|r| r.desired_data_transfer_length)),
        )
    })
}

fn cover(ctx: &mut Context) -> Verdict {
    with_r2ts(ctx, |r2ts, _, len| {
        let mut at = 0;
        for r in r2ts {
            if r.buffer_offset != at {
                return Outcome::fail(
                    format!("an R2T at offset {at}"),
                    format!("offset {}", r.buffer_offset),
                );
            }
            at += r.desired_data_transfer_length;
        }
        Outcome::check(at == len, format!("{len} bytes asked for"), format!("{at}"))
    })
}

fn outstanding(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, 64, |ctx, lba, bs| {
        let mut s = RawSession::open(ctx, SOLICITED)?;
        if last_value(&s.keys, "MaxOutstandingR2T").unwrap_or("1") != "1" {
            return Ok(Outcome::not_applicable(
                "MaxOutstandingR2T=1 was not agreed",
            ));
        }
        crate::harness::blocks::block_size(ctx, &mut s)?;
        let blocks = (WRITE_LEN / bs).max(1) as u16;
        let len = u32::from(blocks) * bs;
        let data = pattern(len as usize, 11);
        let cmd = s.command(lun(ctx), &write10(lba, blocks), len, false, true);
        let itt = cmd.itt;
        s.send(ctx, cmd)?;
        let first = s.await_r2t(ctx, itt, "the first R2T")?;
        let (got, _) = s.gather_quiet(ctx)?;
        let second = got
            .iter()
            .any(|p| matches!(p, Pdu::ReadyToTransfer(r) if r.itt == itt));
        s.answer_r2t(ctx, itt, first.lun, &first, &data)?;
        drop(s);
        Ok(Outcome::check(
            !second,
            "no second R2T while the first is outstanding",
            "a second R2T",
        ))
    })
}

/// A session offering unsolicited data (InitialR2T=No, MaxBurstLength
/// 16384) with ImmediateData `immediate` and FirstBurstLength
/// `first_burst`, and the FirstBurstLength agreed (RFC 7143 §13.14); not
/// applicable when the target keeps InitialR2T=Yes.
pub(super) fn unsolicited_session(
    ctx: &mut Context,
    immediate: &str,
    first_burst: &str,
) -> Result<Result<(RawSession, u32), Outcome>, ScenarioError> {
    let keys = [
        ("InitialR2T", "No"),
        ("ImmediateData", immediate),
        ("FirstBurstLength", first_burst),
        ("MaxBurstLength", "16384"),
    ];
    let mut s = RawSession::open(ctx, &keys)?;
    if last_value(&s.keys, "InitialR2T") != Some("No") {
        return Ok(Err(Outcome::not_applicable(
            "the target insists on InitialR2T=Yes",
        )));
    }
    crate::harness::blocks::block_size(ctx, &mut s)?;
    let first: u32 = last_value(&s.keys, "FirstBurstLength")
        .and_then(|v| v.parse().ok())
        .unwrap_or(65536);
    Ok(Ok((s, first)))
}

fn first_burst(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, 64, |ctx, lba, bs| {
        let (mut s, first) = match unsolicited_session(ctx, "Yes", "8192")? {
            Ok(opened) => opened,
            Err(outcome) => return Ok(outcome),
        };
        let immediate = last_value(&s.keys, "ImmediateData") == Some("Yes");
        let blocks = (WRITE_LEN / bs).max(1) as u16;
        let len = u32::from(blocks) * bs;
        let data = pattern(len as usize, 13);
        let mut cmd = s.command(lun(ctx), &write10(lba, blocks), len, false, true);
        let itt = cmd.itt;
        let unsolicited = first.min(len);
        let imm = if immediate {
            unsolicited.min(s.target_mrdsl)
        } else {
            0
        };
        cmd.data = data.slice(..imm as usize);
        cmd.final_bit = imm == unsolicited;
        s.send(ctx, cmd)?;
        let tags = (itt, TTT_RESERVED, lun(ctx));
        s.send_data(ctx, tags, &data, (imm, unsolicited - imm))?;
        let mut r2ts = Vec::new();
        let status = loop {
            match s.next_pdu(ctx, "the write's R2Ts and response")? {
                Pdu::ReadyToTransfer(r) if r.itt == itt => {
                    s.answer_r2t(ctx, itt, r.lun, &r, &data)?;
                    r2ts.push(r);
                }
                Pdu::ScsiResponse(r) if r.itt == itt => break r.status,
                _ => {}
            }
        };
        s.logout(ctx);
        let starts_after = r2ts.first().map(|r| r.buffer_offset);
        Ok(Outcome::check(
            status == ScsiStatus::Good
                && r2ts.iter().all(|r| r.buffer_offset >= unsolicited)
                && (len == unsolicited || starts_after == Some(unsolicited)),
            format!("R2Ts from offset {unsolicited} and GOOD"),
            format!("first R2T at {starts_after:?}, {status:?}"),
        ))
    })
}

fn first_burst_exceeded(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, 64, |ctx, lba, bs| {
        let (s, first) = match unsolicited_session(ctx, "No", "4096")? {
            Ok(opened) => opened,
            Err(outcome) => return Ok(outcome),
        };
        let blocks = ((first * 2) / bs).max(2) as u16;
        let len = u32::from(blocks) * bs;
        if len <= first {
            return Ok(Outcome::not_applicable(
                "the block size exceeds twice FirstBurstLength",
            ));
        }
        // Unsolicited data for the whole write: past FirstBurstLength.
        unsolicited_write(ctx, s, (lba, blocks), len)
    })
}

/// What must follow unsolicited data the target may not take (RFC 7143
/// §11.4.7.2): the command ends with CHECK CONDITION, ABORTED COMMAND,
/// 0x0C/0x0C (unexpected unsolicited data) or 0x0C/0x0D (incorrect amount
/// of data). R2Ts met on the way are answered from `data`, so a target
/// that ignores the data and asks for it again ends GOOD and fails.
pub(super) fn ends_aborted(
    ctx: &mut Context,
    s: &mut RawSession,
    itt: u32,
    data: &Bytes,
) -> Verdict {
    // RFC 7143 §11.4.7.2: "Certain iSCSI conditions result in the command
    // being terminated at the target ... with a SCSI CHECK CONDITION
    // Status": "Unexpected unsolicited data" 0x0C/0x0C, "Incorrect amount
    // of data" 0x0C/0x0D. A Reject does not end the task: "the target
    // MUST issue a proper SCSI command response with CHECK CONDITION"
    // (§11.17.1).
    let mut outcome = None;
    for _ in 0..32 {
        match s.next_pdu(ctx, "the answer to the unsolicited data") {
            Err(ScenarioError::Closed(_)) => {
                outcome = Some(Outcome::fail(
                    "CHECK CONDITION, ABORTED COMMAND, 0x0C/0x0C or 0x0C/0x0D",
                    "the connection closed",
                ));
                break;
            }
            Err(e) => return Err(e),
            Ok(Pdu::Reject(_)) => {}
            Ok(Pdu::ReadyToTransfer(r)) if r.itt == itt => {
                s.answer_r2t(ctx, itt, r.lun, &r, data)?;
            }
            Ok(Pdu::ScsiResponse(r)) if r.itt == itt => {
                let sense = r
                    .sense_data()
                    .and_then(|b| rtgt_proto::scsi::sense::Sense::decode(b).ok())
                    .map(|d| d.value);
                let ok = r.status == ScsiStatus::CheckCondition
                    && sense.as_ref().is_some_and(|d| {
                        d.key == SenseKey::ABORTED_COMMAND
                            && d.asc.asc == 0x0c
                            && matches!(d.asc.ascq, 0x0c | 0x0d)
                    });
                outcome = Some(Outcome::check(
                    ok,
                    "CHECK CONDITION, ABORTED COMMAND, 0x0C/0x0C or 0x0C/0x0D",
                    format!("{:?} {:?}", r.status, sense.map(|d| (d.key, d.asc))),
                ));
                break;
            }
            Ok(_) => {}
        }
    }
    Ok(outcome.unwrap_or_else(|| Outcome::fail("an end to the command", "more than 32 PDUs")))
}

/// §13.11: "If ImmediateData is set to No and InitialR2T is set to Yes
/// (the default), then the initiator MUST NOT send unsolicited data and the
/// target MUST reject unsolicited data with the corresponding response
/// code." The suite sends a Data-Out without waiting for an R2T.
fn unsolicited_while_initial_r2t(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, 16, |ctx, lba, bs| {
        let mut s = RawSession::open(ctx, SOLICITED)?;
        crate::harness::blocks::block_size(ctx, &mut s)?;
        let blocks = (4096 / bs).max(1) as u16;
        unsolicited_write(ctx, s, (lba, blocks), u32::from(blocks) * bs)
    })
}

/// A WRITE(10) of `blocks` at `lba` (`len` bytes) with F=0, all its data
/// sent at once as unsolicited Data-Out (§11.3.1: F=0 announces it), then
/// the end [`ends_aborted`] requires.
fn unsolicited_write(
    ctx: &mut Context,
    mut s: RawSession,
    (lba, blocks): (u64, u16),
    len: u32,
) -> Verdict {
    let data = pattern(len as usize, 15);
    let itt = send_unsolicited(ctx, &mut s, (lba, blocks), &data, len)?;
    ends_aborted(ctx, &mut s, itt, &data)
}

/// Sends a WRITE(10) of `blocks` at `lba` (all of `data`) with F=0 and
/// the first `sent` bytes of `data` as unsolicited Data-Out; its ITT.
pub(super) fn send_unsolicited(
    ctx: &mut Context,
    s: &mut RawSession,
    (lba, blocks): (u64, u16),
    data: &Bytes,
    sent: u32,
) -> Result<u32, ScenarioError> {
    let mut cmd = s.command(
        lun(ctx),
        &write10(lba, blocks),
        data.len() as u32,
        false,
        true,
    );
    cmd.final_bit = false;
    let itt = cmd.itt;
    s.send(ctx, cmd)?;
    s.send_data(ctx, (itt, TTT_RESERVED, lun(ctx)), data, (0, sent))?;
    Ok(itt)
}

/// §11.4.2: "If a SCSI device error is detected while data from the
/// initiator is still expected ..., the target MUST wait until it receives
/// a Data PDU with the F bit set in the last expected sequence before
/// sending the Response PDU." The write's LBA lies beyond any real LU; its
/// data is announced unsolicited (F=0) and held back for the quiet time.
fn error_waits_for_data(ctx: &mut Context) -> Verdict {
    let (mut s, first) = match unsolicited_session(ctx, "No", "8192")? {
        Ok(opened) => opened,
        Err(outcome) => return Ok(outcome),
    };
    let bs = crate::harness::blocks::block_size(ctx, &mut s)?;
    let blocks = (first.min(8192) / bs).max(1) as u16;
    let len = u32::from(blocks) * bs;
    if len > first {
        return Ok(Outcome::not_applicable(
            "one block is more than FirstBurstLength",
        ));
    }
    let mut cmd = s.command(lun(ctx), &write10(0xffff_fff0, blocks), len, false, true);
    cmd.final_bit = false;
    let itt = cmd.itt;
    s.send(ctx, cmd)?;
    let answered = |p: &Pdu| matches!(p, Pdu::ScsiResponse(r) if r.itt == itt);
    let (early, closed) = s.gather_until(ctx, answered)?;
    if early.iter().any(answered) || closed {
        return Ok(Outcome::fail(
            "no response before the Data-Out with F=1",
            if closed {
                "the connection closed".to_owned()
            } else {
                "the SCSI Response while the unsolicited data was held back".to_owned()
            },
        ));
    }
    let data = pattern(len as usize, 17);
    s.send_data(ctx, (itt, TTT_RESERVED, lun(ctx)), &data, (0, len))?;
    let status = s.await_pdu(ctx, "the write's response", |p| match p {
        Pdu::ScsiResponse(r) if r.itt == itt => Some(r.status),
        _ => None,
    })?;
    s.logout(ctx);
    Ok(Outcome::check(
        status == ScsiStatus::CheckCondition,
        "CHECK CONDITION once the data arrived",
        format!("{status:?}"),
    ))
}
