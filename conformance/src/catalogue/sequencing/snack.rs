//! SNACK at ErrorRecoveryLevel 0 (RFC 7143 §11.16, §13.20): the suite
//! never offers ErrorRecoveryLevel above 0, so every SNACK it sends asks
//! for a recovery the session did not negotiate.
//!
//! What the target may do with a SNACK it cannot honour is left open: a
//! Reject (§11.17.1 lists "SNACK Reject" and "Protocol Error"), closing the
//! connection (at ErrorRecoveryLevel 0 the only recovery is the session's,
//! §7.1.5), discarding it, or answering it as a target supporting SNACK
//! would. Each is accepted; what is not is a connection that neither closes
//! nor answers a ping afterwards, or a "retransmission" that is not one.
//! A SNACK asking for data the target never sent is different: §11.16
//! requires it "MUST be rejected".

use super::cmdsn::session;
use crate::context::Context;
use crate::harness::blocks::{lun, read10};
use crate::harness::session::RawSession;
use crate::scenario::{Level, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::pdu::{Pdu, SnackRequest, SnackType, ITT_RESERVED, TTT_RESERVED};

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "iscsi.snack.data-r2t-at-erl0",
        "RFC 7143 §11.16, §13.20",
        Level::Must,
        "a Data/R2T SNACK for the Data-In of a finished READ at ErrorRecoveryLevel 0 is \
         rejected, closes the connection, is discarded, or is answered with exact copies of \
         the Data-In; the connection never stays open without answering",
        data_r2t,
    ),
    Scenario::new(
        "iscsi.snack.status-at-erl0",
        "RFC 7143 §11.16, §11.4.9",
        Level::Must,
        "a Status SNACK for the StatSN of a finished command at ErrorRecoveryLevel 0 is \
         rejected, closes the connection, is discarded, or is answered with the response \
         carrying the same StatSN; the connection never stays open without answering",
        status,
    ),
    Scenario::new(
        "iscsi.snack.data-ack-at-erl0",
        "RFC 7143 §11.16, §11.16.2",
        Level::Must,
        "a DataACK SNACK at ErrorRecoveryLevel 0 (no Data-In asked for one) is rejected, \
         closes the connection or is discarded; the connection never stays open without \
         answering",
        data_ack,
    ),
    Scenario::new(
        "iscsi.snack.r-data-at-erl0",
        "RFC 7143 §11.16, §11.16.3",
        Level::Must,
        "an R-Data SNACK for a finished READ at ErrorRecoveryLevel 0 is rejected, closes the \
         connection, is discarded, or is answered by the data and a response again; the \
         connection never stays open without answering",
        r_data,
    ),
    Scenario::new(
        "iscsi.snack.data-never-sent",
        "RFC 7143 §11.16",
        Level::Must,
        "a Data/R2T SNACK for DataSN 100 of a READ that had one Data-In (data never sent) is \
         rejected (a Reject, or the connection closed), never answered with data nor ignored",
        data_never_sent,
    ),
    Scenario::new(
        "iscsi.snack.unknown-task",
        "RFC 7143 §11.16",
        Level::Must,
        "a Data/R2T SNACK naming an Initiator Task Tag the session never used is rejected (a \
         Reject, or the connection closed), never answered with data nor ignored",
        unknown_task,
    ),
];

/// A finished READ(10) of one block at LBA 0: its ITT, its Data-In PDUs
/// and the StatSN of its status.
struct FinishedRead {
    itt: u32,
    data_in: Vec<rtgt_proto::pdu::DataIn>,
    stat_sn: u32,
}

fn finished_read(ctx: &mut Context) -> Result<(RawSession, FinishedRead), ScenarioError> {
    let mut s = session(ctx)?;
    let bs = crate::harness::blocks::block_size(ctx, &mut s)?;
    let cmd = s.command(lun(ctx), &read10(0, 1), bs, true, false);
    let itt = cmd.itt;
    let pdus = s.run(ctx, cmd, None)?;
    let mut data_in = Vec::new();
    let mut stat_sn = None;
    for p in pdus {
        match p {
            Pdu::DataIn(d) if d.itt == itt => {
                if d.status_present {
                    stat_sn = Some(d.stat_sn);
                }
                data_in.push(d);
            }
            Pdu::ScsiResponse(r) if r.itt == itt => stat_sn = Some(r.stat_sn),
            _ => {}
        }
    }
    let stat_sn = stat_sn.ok_or_else(|| ScenarioError::Setup("the READ had no status".into()))?;
    if data_in.is_empty() {
        return Err(ScenarioError::Setup("the READ returned no Data-In".into()));
    }
    Ok((
        s,
        FinishedRead {
            itt,
            data_in,
            stat_sn,
        },
    ))
}

fn snack_pdu(
    s: &RawSession,
    snack_type: SnackType,
    itt: u32,
    (beg, len): (u32, u32),
) -> SnackRequest {
    SnackRequest {
        snack_type,
        itt,
        exp_stat_sn: s.exp_stat_sn,
        beg_run: beg,
        run_length: len,
        ..SnackRequest::default()
    }
}

/// How the target met the SNACK.
enum Met {
    Rejected,
    Closed,
    /// PDUs that came (none: discarded) and the connection still answers.
    Answered(Vec<Pdu>),
    /// Nothing came, and no ping is answered either.
    Wedged,
}

fn met(ctx: &mut Context, s: &mut RawSession, snack: SnackRequest) -> Result<Met, ScenarioError> {
    s.send(ctx, snack)?;
    let (got, closed) = s.gather_until(ctx, |p| matches!(p, Pdu::Reject(_)))?;
    if got.iter().any(|p| matches!(p, Pdu::Reject(_))) {
        return Ok(Met::Rejected);
    }
    if closed {
        return Ok(Met::Closed);
    }
    Ok(if s.ping(ctx)? {
        Met::Answered(got)
    } else if s.wire.closed_within(ctx, ctx.target.quiet)? {
        Met::Closed
    } else {
        Met::Wedged
    })
}

/// The verdict on a SNACK that may be honoured, with `copies` telling
/// whether what came back is a faithful retransmission.
fn handled(
    ctx: &mut Context,
    mut s: RawSession,
    snack: SnackRequest,
    copies: impl Fn(&[Pdu]) -> Result<(), String>,
) -> Verdict {
    Ok(match met(ctx, &mut s, snack)? {
        Met::Rejected => {
            s.logout(ctx);
            Outcome::Pass
        }
        Met::Closed => Outcome::Pass,
        Met::Wedged => Outcome::fail(
            "a Reject, a close, or a connection that still answers",
            "no answer to the SNACK nor to a ping after it, the connection open",
        ),
        Met::Answered(got) => {
            s.logout(ctx);
            match copies(&got) {
                Ok(()) => Outcome::Pass,
                Err(e) => Outcome::fail("an exact retransmission, or none", e),
            }
        }
    })
}

fn data_r2t(ctx: &mut Context) -> Verdict {
    let (s, read) = finished_read(ctx)?;
    let snack = snack_pdu(&s, SnackType::DataR2t, read.itt, (0, 0));
    handled(ctx, s, snack, |got| {
        // §11.16: Data-In sent again are "exact replicas" but for
        // ExpCmdSN and MaxCmdSN (and resegmentation, not asked for here).
        for p in got {
            if let Pdu::DataIn(d) = p {
                let same = read.data_in.iter().any(|o| {
                    o.data_sn == d.data_sn && o.buffer_offset == d.buffer_offset && o.data == d.data
                });
                if d.itt == read.itt && !same {
                    return Err(format!("a Data-In unlike any sent: {}", p.dump()));
                }
            }
        }
        Ok(())
    })
}

fn status(ctx: &mut Context) -> Verdict {
    let (s, read) = finished_read(ctx)?;
    let snack = snack_pdu(&s, SnackType::Status, ITT_RESERVED, (read.stat_sn, 1));
    handled(ctx, s, snack, |got| {
        // §11.4.9: a response sent again carries "the same" StatSN.
        for p in got {
            let again = match p {
                Pdu::ScsiResponse(r) if r.itt == read.itt => Some(r.stat_sn),
                Pdu::DataIn(d) if d.itt == read.itt && d.status_present => Some(d.stat_sn),
                _ => None,
            };
            if let Some(sn) = again.filter(|sn| *sn != read.stat_sn) {
                return Err(format!(
                    "the status again with StatSN {sn}, first {}",
                    read.stat_sn
                ));
            }
        }
        Ok(())
    })
}

fn data_ack(ctx: &mut Context) -> Verdict {
    let (s, read) = finished_read(ctx)?;
    let mut snack = snack_pdu(&s, SnackType::DataAck, ITT_RESERVED, (1, 0));
    snack.lun = lun(ctx);
    snack.ttt = read.data_in.first().map_or(TTT_RESERVED, |d| d.ttt);
    handled(ctx, s, snack, |got| {
        // A DataACK asks for nothing: no data of the read comes back.
        match got.iter().find(|p| p.itt() == read.itt) {
            Some(p) => Err(format!("the read answered again: {}", p.dump())),
            None => Ok(()),
        }
    })
}

fn r_data(ctx: &mut Context) -> Verdict {
    let (s, read) = finished_read(ctx)?;
    let mut snack = snack_pdu(&s, SnackType::RData, read.itt, (0, 0));
    snack.ttt = 0x5a5a_0001;
    handled(ctx, s, snack, |got| {
        for p in got {
            if let Pdu::DataIn(d) = p {
                let data: Vec<u8> = read.data_in.iter().flat_map(|o| o.data.to_vec()).collect();
                let end = d.buffer_offset as usize + d.data.len();
                if d.itt == read.itt && data.get(d.buffer_offset as usize..end) != Some(&d.data[..])
                {
                    return Err(format!("Data-In with other data: {}", p.dump()));
                }
            }
        }
        Ok(())
    })
}

/// A SNACK that must be rejected: a Reject or a close passes.
fn must_reject(ctx: &mut Context, mut s: RawSession, snack: SnackRequest) -> Verdict {
    Ok(match met(ctx, &mut s, snack)? {
        Met::Rejected => {
            s.logout(ctx);
            Outcome::Pass
        }
        Met::Closed => Outcome::Pass,
        Met::Wedged => Outcome::fail(
            "a Reject or the connection closed",
            "no answer to the SNACK nor to a ping after it",
        ),
        Met::Answered(got) => {
            s.logout(ctx);
            Outcome::fail(
                "a Reject or the connection closed",
                match got.first() {
                    Some(p) => format!("answered with {}", p.dump()),
                    None => "no answer; the connection still works".to_owned(),
                },
            )
        }
    })
}

fn data_never_sent(ctx: &mut Context) -> Verdict {
    let (s, read) = finished_read(ctx)?;
    let snack = snack_pdu(&s, SnackType::DataR2t, read.itt, (100, 1));
    must_reject(ctx, s, snack)
}

fn unknown_task(ctx: &mut Context) -> Verdict {
    let (mut s, _) = finished_read(ctx)?;
    let never = s.itt().wrapping_add(0x4000);
    let snack = snack_pdu(&s, SnackType::DataR2t, never, (0, 1));
    must_reject(ctx, s, snack)
}
