//! Unsolicited data against the keys that govern it (RFC 7143 §13.10,
//! §13.11, §13.14): immediate data refused when ImmediateData=No, a short
//! unsolicited burst followed by R2Ts for the rest, and immediate plus
//! unsolicited data past FirstBurstLength. The ids are `iscsi.dataout.*`,
//! beside the Data-Out errors of `dataout.rs`.

use super::r2t::{ends_aborted, unsolicited_session};
use crate::context::Context;
use crate::harness::blocks::{lun, pattern, write10};
use crate::harness::scratch::with_scratch;
use crate::harness::session::RawSession;
use crate::scenario::{Level, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::pdu::{Pdu, ScsiStatus, TTT_RESERVED};

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "iscsi.dataout.immediate-data-refused",
        "RFC 7143 §13.11",
        Level::Must,
        "with ImmediateData=No a SCSI Command carrying data is rejected: a Reject of the \
         command, CHECK CONDITION or a close, never GOOD",
        immediate_refused,
    ),
    Scenario::new(
        "iscsi.dataout.short-unsolicited-then-r2t",
        "RFC 7143 §13.10, §13.14, §11.7.1",
        Level::Must,
        "with InitialR2T=No, unsolicited data ending (F=1) at 1024 bytes, short of \
         FirstBurstLength, leaves the rest to R2Ts starting at offset 1024; the write ends \
         GOOD",
        short_unsolicited,
    ),
    Scenario::new(
        "iscsi.dataout.first-burst-exceeded-with-immediate",
        "RFC 7143 §13.14, §11.4.7.2",
        Level::Must,
        "immediate data plus unsolicited Data-Out past FirstBurstLength ends the command \
         with CHECK CONDITION, ABORTED COMMAND, 0x0C/0x0C or 0x0C/0x0D, never GOOD",
        first_burst_immediate,
    ),
];

/// §13.11: "If ImmediateData is set to No and InitialR2T is set to Yes
/// (the default), then the initiator MUST NOT send unsolicited data and
/// the target MUST reject unsolicited data with the corresponding
/// response code."
fn immediate_refused(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, 8, |ctx, lba, bs| {
        let mut s = RawSession::open(ctx, &[("InitialR2T", "Yes"), ("ImmediateData", "No")])?;
        crate::harness::blocks::block_size(ctx, &mut s)?;
        let len = bs;
        let data = pattern(len as usize, 0x1d);
        let mut cmd = s.command(lun(ctx), &write10(lba, 1), len, false, true);
        cmd.data = data.slice(..(len.min(s.target_mrdsl)) as usize);
        let itt = cmd.itt;
        s.send(ctx, cmd)?;
        let decisive = |p: &Pdu| match p {
            Pdu::Reject(_) => true,
            Pdu::ScsiResponse(r) => r.itt == itt,
            _ => false,
        };
        let mut verdict = None;
        for _ in 0..16 {
            match s.next_pdu(ctx, "the answer to the immediate data") {
                Err(ScenarioError::Closed(_)) => return Ok(Outcome::Pass),
                Err(e) => return Err(e),
                Ok(Pdu::ReadyToTransfer(r)) if r.itt == itt => {
                    s.answer_r2t(ctx, itt, r.lun, &r, &data)?
                }
                Ok(p) if decisive(&p) => {
                    verdict = Some(match p {
                        Pdu::ScsiResponse(r) if r.status == ScsiStatus::Good => Outcome::fail(
                            "a Reject, CHECK CONDITION or a close",
                            "GOOD: the immediate data was taken or ignored",
                        ),
                        _ => Outcome::Pass,
                    });
                    break;
                }
                Ok(_) => {}
            }
        }
        s.logout(ctx);
        Ok(verdict.unwrap_or_else(|| Outcome::fail("an answer", "more than 16 PDUs")))
    })
}

fn short_unsolicited(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, 64, |ctx, lba, bs| {
        let (mut s, first) = match unsolicited_session(ctx, "No", "8192")? {
            Ok(opened) => opened,
            Err(outcome) => return Ok(outcome),
        };
        let blocks = (16384 / bs).max(2) as u16;
        let len = u32::from(blocks) * bs;
        let sent = 1024.min(first).min(len - 512);
        let data = pattern(len as usize, 0x47);
        let itt = super::r2t::send_unsolicited(ctx, &mut s, (lba, blocks), &data, sent)?;
        let mut first_r2t = None;
        let status = loop {
            match s.next_pdu(ctx, "the write's R2Ts and response")? {
                Pdu::ReadyToTransfer(r) if r.itt == itt => {
                    first_r2t.get_or_insert(r.buffer_offset);
                    s.answer_r2t(ctx, itt, r.lun, &r, &data)?;
                }
                Pdu::ScsiResponse(r) if r.itt == itt => break r.status,
                _ => {}
            }
        };
        s.logout(ctx);
        Ok(Outcome::check(
            first_r2t == Some(sent) && status == ScsiStatus::Good,
            format!("the first R2T at offset {sent}, then GOOD"),
            format!("first R2T at {first_r2t:?}, {status:?}"),
        ))
    })
}

fn first_burst_immediate(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, 64, |ctx, lba, bs| {
        let (mut s, first) = match unsolicited_session(ctx, "Yes", "4096")? {
            Ok(opened) => opened,
            Err(outcome) => return Ok(outcome),
        };
        if last_value_is(&s, "ImmediateData", "No") {
            s.logout(ctx);
            return Ok(Outcome::not_applicable("the target refuses ImmediateData"));
        }
        let blocks = ((first * 2) / bs).max(2) as u16;
        let len = u32::from(blocks) * bs;
        let imm = first.min(s.target_mrdsl);
        let data = pattern(len as usize, 0x3f);
        let mut cmd = s.command(lun(ctx), &write10(lba, blocks), len, false, true);
        cmd.data = data.slice(..imm as usize);
        cmd.final_bit = false;
        let itt = cmd.itt;
        s.send(ctx, cmd)?;
        // Unsolicited data on to the end of the write: past FirstBurstLength.
        s.send_data(ctx, (itt, TTT_RESERVED, lun(ctx)), &data, (imm, len - imm))?;
        ends_aborted(ctx, &mut s, itt, &data)
    })
}

fn last_value_is(s: &RawSession, key: &str, value: &str) -> bool {
    crate::wire::last_value(&s.keys, key) == Some(value)
}
