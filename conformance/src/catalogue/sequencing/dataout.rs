//! Data-Out errors (RFC 7143 §7.8, §7.9, §11.7, §11.8, §13.10-§13.14):
//! what a target does with Data-Out PDUs that break the rules of their
//! sequence, and that a write is answered only once its data is whole.
//!
//! At ErrorRecoveryLevel 0 the RFC leaves the target several answers to a
//! bad Data-Out: a Reject (§11.17.1; it does not end the task), a recovery
//! R2T or the task ended with CHECK CONDITION (§7.8, which §7.9 applies to
//! DataSN errors: "The target MUST address these implied digest errors"),
//! or the connection closed (session recovery, the only one at level 0,
//! §7.1.5). Each passes. What fails is the write ending GOOD on the bad
//! data, or silence where the target had to act.

use super::tmf::held_write;
use crate::context::Context;
use crate::harness::blocks::{lun, pattern, write10};
use crate::harness::scratch::with_scratch;
use crate::harness::session::RawSession;
use crate::scenario::{Level, Outcome, Scenario, ScenarioError, Verdict};
use bytes::Bytes;
use rtgt_proto::pdu::{DataOut, Pdu, ReadyToTransfer, ScsiStatus, TTT_RESERVED};

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "iscsi.dataout.wrong-data-sn",
        "RFC 7143 §7.9, §11.7.5",
        Level::Must,
        "a Data-Out answering an R2T with DataSN 1 instead of 0 is met with a Reject, a \
         recovery R2T, CHECK CONDITION or a close; the write never ends GOOD on it, and the \
         error is not ignored",
        wrong_data_sn,
    ),
    Scenario::new(
        "iscsi.dataout.repeated-data-sn",
        "RFC 7143 §7.9, §11.7.5",
        Level::Must,
        "a second Data-Out of a sequence repeating DataSN 0 is met with a Reject, a recovery \
         R2T, CHECK CONDITION or a close, never GOOD nor ignored",
        repeated_data_sn,
    ),
    Scenario::new(
        "iscsi.dataout.skipped-data-sn",
        "RFC 7143 §7.9, §11.7.5",
        Level::Must,
        "a second Data-Out of a sequence with DataSN 5 instead of 1 is met with a Reject, a \
         recovery R2T, CHECK CONDITION or a close, never GOOD nor ignored",
        skipped_data_sn,
    ),
    Scenario::new(
        "iscsi.dataout.offset-gap",
        "RFC 7143 §13.18, §11.7.6",
        Level::Must,
        "with DataPDUInOrder=Yes a first Data-Out at Buffer Offset 512 (a gap before it) is \
         met with a Reject, a recovery R2T, CHECK CONDITION, a close or silence, never GOOD \
         before the data at offset 0 came",
        offset_gap,
    ),
    Scenario::new(
        "iscsi.dataout.offset-overlap",
        "RFC 7143 §13.18, §11.7.6",
        Level::Must,
        "with DataPDUInOrder=Yes a Data-Out overlapping the one before it (offset 512 after \
         0..1024) is met with a Reject, a recovery R2T, CHECK CONDITION, a close or silence, \
         never GOOD on the overlapping data alone",
        offset_overlap,
    ),
    Scenario::new(
        "iscsi.dataout.more-than-expected",
        "RFC 7143 §11.8.4, §11.4.5",
        Level::Must,
        "Data-Out carrying 512 bytes past what the R2T asked for (and past the Expected Data \
         Transfer Length) is met with a Reject, CHECK CONDITION or a close, never GOOD nor \
         ignored; behind --allow-destructive, since a target that copies the excess where \
         the R2T points may write past the scratch range (tgtd 1.0.85 dies on it)",
        more_than_expected,
    )
    .needing(crate::scenario::Needs::DESTRUCTIVE),
    Scenario::new(
        "iscsi.dataout.over-max-recv-data-segment-length",
        "RFC 7143 §13.12",
        Level::Must,
        "a Data-Out whose data segment is 512 bytes over the target's \
         MaxRecvDataSegmentLength is met with a Reject, CHECK CONDITION, a close or, by a \
         target that copes with it, the write's status; never ignored",
        over_mrdsl,
    ),
    Scenario::new(
        "iscsi.dataout.unknown-ttt",
        "RFC 7143 §11.7.4, §11.8.4",
        // §11.7.4 makes the TTT a replica of the R2T's on the initiator's
        // side; no sentence binds the target to refuse another one.
        Level::Should,
        "a Data-Out with a Target Transfer Tag the target never gave is not taken as the \
         R2T's data: no GOOD before the right Data-Out is sent (a Reject, CHECK CONDITION, \
         a close or discarding it all pass)",
        unknown_ttt,
    ),
    Scenario::new(
        "iscsi.dataout.final-bit-early",
        "RFC 7143 §11.7.1, §11.8.4",
        Level::Must,
        "a Data-Out with F=1 carrying 512 of the bytes an R2T asked for does not end the \
         write GOOD on that data alone",
        final_early,
    ),
    Scenario::new(
        "iscsi.dataout.response-after-final",
        "RFC 7143 §11.7.1, §11.4.2",
        Level::Must,
        "a write whose last Data-Out (F=1) is held back gets no SCSI Response until it is \
         sent, then GOOD",
        response_after_final,
    ),
    Scenario::new(
        "iscsi.dataout.unknown-itt",
        "RFC 7143 §11.7.2, §11.17.1",
        Level::Must,
        "an unsolicited Data-Out naming an Initiator Task Tag with no task is rejected or \
         discarded; no SCSI Response comes for it and the session goes on (or closes)",
        unknown_itt,
    ),
    Scenario::new(
        "iscsi.dataout.after-completion",
        "RFC 7143 §11.7.4, §11.17.1",
        Level::Must,
        "a Data-Out sent again with the TTT of a write that already ended GOOD is rejected or \
         discarded; no second SCSI Response comes and the session goes on (or closes)",
        after_completion,
    ),
];

/// A Data-Out of task `itt` under `ttt`: `data[offset..offset + len]`.
fn pdu(
    itt: u32,
    ttt: u32,
    data: &Bytes,
    (offset, len): (u32, u32),
    (sn, fin): (u32, bool),
) -> DataOut {
    let end = (offset + len).min(data.len() as u32) as usize;
    DataOut {
        final_bit: fin,
        itt,
        ttt,
        data_sn: sn,
        buffer_offset: offset,
        data: data.slice((offset as usize).min(end)..end),
        ..DataOut::default()
    }
}

/// When the target may stay silent: whether, after the quiet time, the
/// right data is sent to finish the write.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Silence {
    /// Silence fails: the target had to act on the error.
    Fails,
    /// Silence fails, but GOOD passes: the PDU breaks no rule of the
    /// target's, only one the initiator keeps.
    FailsGoodPasses,
    /// Silence passes; the rest follows and the write may end as it will.
    Finish,
}

/// A write of 8 blocks held at its R2T, `bad` sent in answer, then the
/// verdict of the module's rules.
fn held_then(
    ctx: &mut Context,
    silence: Silence,
    bad: fn(&RawSession, u32, &ReadyToTransfer, &Bytes) -> Vec<DataOut>,
) -> Verdict {
    with_scratch(ctx, 8, move |ctx, lba, bs| {
        let (mut s, held) = held_write(ctx, lba, bs)?;
        let data = pattern(8 * bs as usize, 0x6b);
        let r2t = held.r2t.clone();
        for mut d in bad(&s, held.itt, &r2t, &data) {
            d.lun = r2t.lun;
            d.exp_stat_sn = s.exp_stat_sn;
            s.send(ctx, d)?;
        }
        judge(ctx, s, (held.itt, &r2t), &data, silence)
    })
}

fn judge(
    ctx: &mut Context,
    mut s: RawSession,
    (itt, r2t): (u32, &ReadyToTransfer),
    data: &Bytes,
    silence: Silence,
) -> Verdict {
    let decisive = |p: &Pdu| match p {
        Pdu::Reject(_) => true,
        Pdu::ScsiResponse(r) => r.itt == itt,
        Pdu::ReadyToTransfer(r) => r.itt == itt,
        _ => false,
    };
    let (got, closed) = s.gather_until(ctx, decisive)?;
    let Some(answer) = got.into_iter().find(decisive) else {
        if closed {
            return Ok(Outcome::Pass);
        }
        if silence != Silence::Finish {
            s.logout(ctx);
            return Ok(Outcome::fail(
                "a Reject, a recovery R2T, CHECK CONDITION or a close",
                "no answer: the bad Data-Out was ignored",
            ));
        }
        // Discarded: the right data now, and the write may end as it will.
        s.answer_r2t(ctx, itt, r2t.lun, r2t, data)?;
        let _ = s.gather_until(ctx, |p| matches!(p, Pdu::ScsiResponse(r) if r.itt == itt))?;
        s.logout(ctx);
        return Ok(Outcome::Pass);
    };
    let verdict = match &answer {
        Pdu::ScsiResponse(r)
            if r.status == ScsiStatus::Good && silence != Silence::FailsGoodPasses =>
        {
            Outcome::fail(
                "a Reject, a recovery R2T, CHECK CONDITION or a close",
                "GOOD: the write took the bad Data-Out",
            )
        }
        _ => Outcome::Pass,
    };
    s.logout(ctx);
    Ok(verdict)
}

fn wrong_data_sn(ctx: &mut Context) -> Verdict {
    held_then(ctx, Silence::Fails, |_, itt, r, data| {
        let len = r.desired_data_transfer_length.min(512);
        vec![pdu(itt, r.ttt, data, (r.buffer_offset, len), (1, false))]
    })
}

fn repeated_data_sn(ctx: &mut Context) -> Verdict {
    held_then(ctx, Silence::Fails, |_, itt, r, data| {
        let at = r.buffer_offset;
        vec![
            pdu(itt, r.ttt, data, (at, 512), (0, false)),
            pdu(itt, r.ttt, data, (at + 512, 512), (0, false)),
        ]
    })
}

fn skipped_data_sn(ctx: &mut Context) -> Verdict {
    held_then(ctx, Silence::Fails, |_, itt, r, data| {
        let at = r.buffer_offset;
        vec![
            pdu(itt, r.ttt, data, (at, 512), (0, false)),
            pdu(itt, r.ttt, data, (at + 512, 512), (5, false)),
        ]
    })
}

// §13.18 binds the initiator ("overlays are forbidden") and names no
// answer of the target's: silence passes, then the right data follows.
fn offset_gap(ctx: &mut Context) -> Verdict {
    held_then(ctx, Silence::Finish, |_, itt, r, data| {
        vec![pdu(
            itt,
            r.ttt,
            data,
            (r.buffer_offset + 512, 512),
            (0, false),
        )]
    })
}

fn offset_overlap(ctx: &mut Context) -> Verdict {
    held_then(ctx, Silence::Finish, |_, itt, r, data| {
        let at = r.buffer_offset;
        vec![
            pdu(itt, r.ttt, data, (at, 1024), (0, false)),
            pdu(itt, r.ttt, data, (at + 512, 1024), (1, false)),
        ]
    })
}

fn more_than_expected(ctx: &mut Context) -> Verdict {
    held_then(ctx, Silence::Fails, |s, itt, r, data| {
        // The R2T's data and 512 bytes more, the last PDU with F=1.
        let mut longer = data.to_vec();
        longer.extend_from_slice(&[0x6b; 512]);
        let longer = Bytes::from(longer);
        let len = r.desired_data_transfer_length + 512;
        s.data_out(itt, r.ttt, r.lun, &longer, r.buffer_offset, len)
    })
}

fn over_mrdsl(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, 128, |ctx, lba, bs| {
        let mut s = RawSession::open(ctx, &[("InitialR2T", "Yes"), ("ImmediateData", "No")])?;
        crate::harness::blocks::block_size(ctx, &mut s)?;
        let over = s.target_mrdsl + 512;
        let blocks = over.div_ceil(bs);
        if blocks > 128 {
            let mrdsl = s.target_mrdsl;
            s.logout(ctx);
            return Ok(Outcome::not_applicable(format!(
                "MaxRecvDataSegmentLength {mrdsl} needs a write beyond the scratch range"
            )));
        }
        let len = blocks * bs;
        let data = pattern(len as usize, 0x2e);
        let cmd = s.command(lun(ctx), &write10(lba, blocks as u16), len, false, true);
        let itt = cmd.itt;
        s.send(ctx, cmd)?;
        let r2t = s.await_r2t(ctx, itt, "an R2T")?;
        if r2t.desired_data_transfer_length < over {
            s.logout(ctx);
            return Ok(Outcome::not_applicable(
                "the R2T asks for no more than MaxRecvDataSegmentLength",
            ));
        }
        let mut d = pdu(
            itt,
            r2t.ttt,
            &data,
            (r2t.buffer_offset, over),
            (0, over == r2t.desired_data_transfer_length),
        );
        d.lun = r2t.lun;
        d.exp_stat_sn = s.exp_stat_sn;
        s.send(ctx, d)?;
        // §13.12 declares what the target can receive; taking more is no
        // breach of the target's.
        judge(ctx, s, (itt, &r2t), &data, Silence::FailsGoodPasses)
    })
}

fn unknown_ttt(ctx: &mut Context) -> Verdict {
    held_then(ctx, Silence::Finish, |s, itt, r, data| {
        let mut out = s.data_out(
            itt,
            r.ttt ^ 0x00ff_00ff,
            r.lun,
            data,
            r.buffer_offset,
            r.desired_data_transfer_length,
        );
        for d in &mut out {
            d.data = Bytes::from(vec![0x99; d.data.len()]);
        }
        out
    })
}

fn final_early(ctx: &mut Context) -> Verdict {
    held_then(ctx, Silence::Finish, |_, itt, r, data| {
        if r.desired_data_transfer_length <= 512 {
            return Vec::new();
        }
        vec![pdu(itt, r.ttt, data, (r.buffer_offset, 512), (0, true))]
    })
}

fn response_after_final(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, 8, |ctx, lba, bs| {
        let (mut s, held) = held_write(ctx, lba, bs)?;
        let data = pattern(8 * bs as usize, 0x51);
        let r = held.r2t.clone();
        let (at, len) = (r.buffer_offset, r.desired_data_transfer_length);
        let mut out = s.data_out(held.itt, r.ttt, r.lun, &data, at, len);
        // In 512-byte PDUs when the target's limit gave one PDU.
        if out.len() == 1 && len > 512 {
            out = vec![
                pdu(held.itt, r.ttt, &data, (at, len - 512), (0, false)),
                pdu(held.itt, r.ttt, &data, (at + len - 512, 512), (1, true)),
            ];
            for d in &mut out {
                d.lun = r.lun;
                d.exp_stat_sn = s.exp_stat_sn;
            }
        }
        let Some(last) = out.pop() else {
            return Err(ScenarioError::Setup("an R2T for no data".into()));
        };
        for d in out {
            s.send(ctx, d)?;
        }
        let itt = held.itt;
        let answered = |p: &Pdu| matches!(p, Pdu::ScsiResponse(x) if x.itt == itt);
        let (early, closed) = s.gather_until(ctx, answered)?;
        if early.iter().any(answered) || closed {
            return Ok(Outcome::fail(
                "no response before the last Data-Out",
                if closed {
                    "the connection closed"
                } else {
                    "a SCSI Response"
                },
            ));
        }
        s.send(ctx, last)?;
        let status = loop {
            match s.next_pdu(ctx, "the write's response")? {
                Pdu::ReadyToTransfer(x) if x.itt == itt => {
                    s.answer_r2t(ctx, itt, x.lun, &x, &data)?
                }
                Pdu::ScsiResponse(x) if x.itt == itt => break x.status,
                _ => {}
            }
        };
        s.logout(ctx);
        Ok(Outcome::check(
            status == ScsiStatus::Good,
            "GOOD once the last Data-Out came",
            format!("{status:?}"),
        ))
    })
}

/// The verdict on a Data-Out of no live task: rejected or discarded, no
/// SCSI Response for it, and the session answers a ping (or closed).
fn stray(ctx: &mut Context, mut s: RawSession, d: DataOut) -> Verdict {
    let itt = d.itt;
    s.send(ctx, d)?;
    let (got, closed) = s.gather_quiet(ctx)?;
    if let Some(p) = got
        .iter()
        .find(|p| matches!(p, Pdu::ScsiResponse(r) if r.itt == itt))
    {
        return Ok(Outcome::fail("no SCSI Response", p.dump()));
    }
    if closed {
        return Ok(Outcome::Pass);
    }
    let alive = s.ping(ctx)?;
    s.logout(ctx);
    Ok(Outcome::check(
        alive,
        "the session still answers a ping",
        "no answer to a ping",
    ))
}

fn unknown_itt(ctx: &mut Context) -> Verdict {
    let mut s = super::cmdsn::session(ctx)?;
    let itt = s.itt().wrapping_add(0x2000);
    let data = pattern(512, 0x12);
    let mut d = pdu(itt, TTT_RESERVED, &data, (0, 512), (0, true));
    d.lun = lun(ctx);
    d.exp_stat_sn = s.exp_stat_sn;
    stray(ctx, s, d)
}

fn after_completion(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, 8, |ctx, lba, bs| {
        let (mut s, held) = held_write(ctx, lba, bs)?;
        let data = pattern(8 * bs as usize, 0x0f);
        let r = held.r2t.clone();
        s.answer_r2t(ctx, held.itt, r.lun, &r, &data)?;
        let status = s.await_pdu(ctx, "the write's response", |p| match p {
            Pdu::ScsiResponse(x) if x.itt == held.itt => Some(x.status),
            _ => None,
        })?;
        if status != ScsiStatus::Good {
            return Err(ScenarioError::Setup(format!("the write ended {status:?}")));
        }
        let len = r.desired_data_transfer_length.min(512);
        let mut d = pdu(held.itt, r.ttt, &data, (r.buffer_offset, len), (0, true));
        d.lun = r.lun;
        d.exp_stat_sn = s.exp_stat_sn;
        stray(ctx, s, d)
    })
}
