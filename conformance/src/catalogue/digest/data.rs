//! A corrupted data digest (RFC 7143 §7.8, §11.17.1): the target rejects
//! the PDU with reason 0x02 and discards it; for immediate data the command
//! is discarded with it, for Data-Out the target asks again with an R2T or
//! ends the command with CHECK CONDITION. Escalating to the end of the
//! connection is allowed throughout.

use super::{bad_data_digest, crc_session};
use crate::context::Context;
use crate::harness::blocks::{self, lun, write10};
use crate::harness::scratch::with_scratch;
use crate::harness::session::RawSession;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use crate::wire::last_value;
use bytes::Bytes;
use rtgt_proto::pdu::{DataOut, Pdu, RejectReason, ScsiStatus, TTT_RESERVED};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "iscsi.digest.data-corrupt-immediate",
        clause: "RFC 7143 §7.8, §11.17.1",
        level: Level::Must,
        requirement: "a command whose immediate data has a wrong data digest is rejected with \
                      reason 0x02 and discarded (no response); sent again intact it completes",
        needs: Needs::NONE,
        run: immediate,
    },
    Scenario {
        id: "iscsi.digest.data-corrupt-unsolicited",
        clause: "RFC 7143 §7.8, §11.17.1",
        level: Level::Must,
        requirement: "an unsolicited Data-Out with a wrong data digest is rejected with reason \
                      0x02; the target then asks for the data with an R2T or ends the command \
                      with CHECK CONDITION, never GOOD without the data",
        needs: Needs::NONE,
        run: unsolicited,
    },
    Scenario {
        id: "iscsi.digest.data-corrupt-solicited",
        clause: "RFC 7143 §7.8, §11.17.1",
        level: Level::Must,
        requirement: "a solicited Data-Out with a wrong data digest is rejected with reason \
                      0x02; the target then asks for the data again with an R2T or ends the \
                      command with CHECK CONDITION",
        needs: Needs::NONE,
        run: solicited,
    },
];

/// Whether `got` holds a Reject 0x02 of a PDU with `itt`.
fn rejected_0x02(got: &[Pdu], itt: u32) -> bool {
    got.iter().any(|p| match p {
        Pdu::Reject(r) => {
            r.reason == RejectReason::DataDigestError
                && r.rejected_header()
                    .is_some_and(|h| u32::from_be_bytes([h[16], h[17], h[18], h[19]]) == itt)
        }
        _ => false,
    })
}

fn immediate(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, 1, |ctx, lba, bs| {
        let mut s = match crc_session(ctx, false, true, &[("ImmediateData", "Yes")])? {
            Ok(s) => s,
            Err(outcome) => return Ok(outcome),
        };
        if last_value(&s.keys, "ImmediateData") == Some("No") {
            return Ok(Outcome::not_applicable("the target refuses immediate data"));
        }
        let data = blocks::pattern(bs as usize, 3);
        let mut cmd = s.command(lun(ctx), &write10(lba, 1), bs, false, true);
        cmd.data = data.clone();
        let bytes = bad_data_digest(&Pdu::ScsiCommand(cmd.clone()).to_raw(), s.wire.digests());
        s.wire.send_bytes(ctx, &bytes)?;
        let (got, closed) = s.gather_quiet(ctx)?;
        if got
            .iter()
            .any(|p| matches!(p, Pdu::ScsiResponse(r) if r.itt == cmd.itt))
        {
            return Ok(Outcome::fail(
                "the damaged command discarded",
                "a SCSI Response to it",
            ));
        }
        if closed {
            return Ok(Outcome::Pass);
        }
        if !rejected_0x02(&got, cmd.itt) {
            return Ok(Outcome::fail("a Reject with reason 0x02", "none"));
        }
        let mut pdus = s.run(ctx, cmd, Some(&data))?;
        if blocks::unit_attention(&pdus) {
            let (l, cdb) = (lun(ctx), write10(lba, 1));
            pdus = blocks::run_past_ua(
                ctx,
                &mut s,
                |s| s.command(l, &cdb, bs, false, true),
                Some(&data),
            )?;
        }
        s.logout(ctx);
        let status = blocks::status_of(&pdus);
        Ok(Outcome::check(
            status == Some(ScsiStatus::Good),
            "GOOD for the command sent again",
            format!("{status:?}"),
        ))
    })
}

/// Sends `outs` with a wrong data digest each, then judges the recovery
/// ([`recovery`]) and logs out.
fn corrupt_then_recover(
    ctx: &mut Context,
    mut s: RawSession,
    outs: Vec<DataOut>,
    itt: u32,
    data: &Bytes,
) -> Verdict {
    for d in outs {
        let bytes = bad_data_digest(&Pdu::DataOut(d).to_raw(), s.wire.digests());
        s.wire.send_bytes(ctx, &bytes)?;
    }
    let outcome = recovery(ctx, &mut s, itt, data)?;
    s.logout(ctx);
    Ok(outcome)
}

/// After a damaged Data-Out of `itt`: Reject 0x02 then an R2T (answered
/// with `data`) or CHECK CONDITION; or the connection closed.
fn recovery(
    ctx: &mut Context,
    s: &mut RawSession,
    itt: u32,
    data: &Bytes,
) -> Result<Outcome, ScenarioError> {
    let mut rejected = false;
    let mut resent = false;
    for _ in 0..16 {
        let pdu = match s.next_pdu(ctx, "the answer to a damaged Data-Out") {
            Ok(p) => p,
            Err(ScenarioError::Closed(_)) => return Ok(Outcome::Pass),
            Err(e) => return Err(e),
        };
        match pdu {
            Pdu::Reject(_) if rejected_0x02(std::slice::from_ref(&pdu), itt) => rejected = true,
            Pdu::ReadyToTransfer(r) if r.itt == itt => {
                if !rejected {
                    return Ok(Outcome::fail("a Reject with reason 0x02 first", "an R2T"));
                }
                resent = true;
                s.answer_r2t(ctx, itt, r.lun, &r, data)?;
            }
            Pdu::ScsiResponse(r) if r.itt == itt => {
                // GOOD only after the data was asked for again.
                let ok = rejected
                    && (r.status == ScsiStatus::CheckCondition
                        || (r.status == ScsiStatus::Good && resent));
                return Ok(Outcome::check(
                    ok,
                    "Reject 0x02, then CHECK CONDITION or GOOD after an R2T",
                    format!(
                        "rejected {rejected}, asked again {resent}, status {:?}",
                        r.status
                    ),
                ));
            }
            _ => {}
        }
    }
    Ok(Outcome::fail("an end to the command", "more than 16 PDUs"))
}

fn unsolicited(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, 1, |ctx, lba, bs| {
        let keys = [("InitialR2T", "No"), ("ImmediateData", "No")];
        let mut s = match crc_session(ctx, false, true, &keys)? {
            Ok(s) => s,
            Err(outcome) => return Ok(outcome),
        };
        if last_value(&s.keys, "InitialR2T") != Some("No") {
            return Ok(Outcome::not_applicable(
                "the target insists on InitialR2T=Yes",
            ));
        }
        let data = blocks::pattern(bs as usize, 5);
        let mut cmd = s.command(lun(ctx), &write10(lba, 1), bs, false, true);
        cmd.final_bit = false;
        let itt = cmd.itt;
        s.send(ctx, cmd)?;
        let outs = s.data_out(itt, TTT_RESERVED, lun(ctx), &data, 0, bs);
        corrupt_then_recover(ctx, s, outs, itt, &data)
    })
}

fn solicited(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, 1, |ctx, lba, bs| {
        let keys = [("InitialR2T", "Yes"), ("ImmediateData", "No")];
        let mut s = match crc_session(ctx, false, true, &keys)? {
            Ok(s) => s,
            Err(outcome) => return Ok(outcome),
        };
        let data = blocks::pattern(bs as usize, 7);
        let cmd = s.command(lun(ctx), &write10(lba, 1), bs, false, true);
        let itt = cmd.itt;
        s.send(ctx, cmd)?;
        let r2t = s.await_r2t(ctx, itt, "an R2T")?;
        let (offset, len) = (r2t.buffer_offset, r2t.desired_data_transfer_length);
        let outs = s.data_out(itt, r2t.ttt, lun(ctx), &data, offset, len);
        corrupt_then_recover(ctx, s, outs, itt, &data)
    })
}
