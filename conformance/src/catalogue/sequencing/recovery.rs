//! Recovery requests an ErrorRecoveryLevel 0 target meets (RFC 7143 §7,
//! §11.5.1, §11.6.1, §11.14.1): TASK REASSIGN, CLEAR ACA, task management
//! naming a LUN that does not exist, TARGET COLD RESET (behind
//! `--allow-destructive`) and a logout removing the connection for
//! recovery.

use super::tmf::{function_response, held_write, send_function};
use crate::context::Context;
use crate::harness::blocks::lun;
use crate::harness::scratch::with_scratch;
use crate::harness::session::RawSession;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::pdu::{LogoutReason, LogoutResponseCode, Lun, Pdu, TmfFunction, TmfResponseCode};

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "iscsi.tmf.task-reassign-at-erl0",
        "RFC 7143 §11.5.1, §11.6.1",
        Level::Must,
        "TASK REASSIGN of a live write at ErrorRecoveryLevel 0 is refused (Task allegiance \
         reassignment not supported, Task still allegiant, Function not supported or \
         Function rejected), never Function complete, and the write can still finish",
        reassign,
    ),
    Scenario::new(
        "iscsi.tmf.clear-aca",
        "RFC 7143 §11.5.1, §11.6.1",
        Level::Must,
        "CLEAR ACA on the LUN under test, with no ACA established, is answered Function \
         complete, Function not supported or Function rejected; never LUN does not exist, \
         and the session goes on",
        clear_aca,
    ),
    Scenario::new(
        "iscsi.tmf.abort-task-set-absent-lun",
        "RFC 7143 §11.6.1",
        // §11.6.1 defines the response codes without a keyword.
        Level::Should,
        "ABORT TASK SET naming LUN 16383, which the target does not have, is answered 2 \
         (LUN does not exist)",
        abort_task_set_absent,
    ),
    Scenario::new(
        "iscsi.tmf.clear-task-set-absent-lun",
        "RFC 7143 §11.6.1",
        Level::Should,
        "CLEAR TASK SET naming LUN 16383 is answered 2 (LUN does not exist) or 5 (function \
         not supported)",
        clear_task_set_absent,
    ),
    Scenario::new(
        "iscsi.tmf.clear-aca-absent-lun",
        "RFC 7143 §11.6.1",
        Level::Should,
        "CLEAR ACA naming LUN 16383 is answered 2 (LUN does not exist) or 5 (function not \
         supported)",
        clear_aca_absent,
    ),
    Scenario::new(
        "iscsi.tmf.abort-task-absent-lun",
        "RFC 7143 §11.6.1",
        Level::Should,
        "ABORT TASK naming LUN 16383 and a task that never was is answered 2 (LUN does not \
         exist) or 1 (task does not exist), never Function complete",
        abort_task_absent,
    ),
    Scenario::new(
        "iscsi.tmf.absent-lun-answered",
        "RFC 7143 §11.5, §11.6.1",
        Level::Must,
        "every task management function naming LUN 16383 (ABORT TASK SET, CLEAR TASK SET, \
         LOGICAL UNIT RESET, CLEAR ACA) gets a Task Management Function Response, and the \
         session still answers a ping after them",
        absent_answered,
    ),
    Scenario::new(
        "iscsi.tmf.target-cold-reset",
        "RFC 7143 §11.5.1",
        Level::Must,
        "a TARGET COLD RESET the target carries out (Function complete, or no answer) closes \
         the connection that asked for it; refusing it (Function not supported, \
         authorization failed, rejected) leaves the session working",
        cold_reset,
    )
    .needing(Needs::DESTRUCTIVE),
    Scenario::new(
        "iscsi.tmf.target-cold-reset-other-sessions",
        "RFC 7143 §11.5.1",
        Level::Must,
        "a TARGET COLD RESET the target carries out also closes the connection of another \
         session of the same initiator name",
        cold_reset_others,
    )
    .needing(Needs::DESTRUCTIVE),
    Scenario::new(
        "iscsi.logout.remove-for-recovery-keeps-connection",
        "RFC 7143 §11.14.1, §11.15.1",
        Level::Must,
        "a logout removing the connection for recovery that the target refuses (any response \
         but 0) leaves the connection in full feature phase: it still answers a ping",
        remove_keeps,
    ),
];

fn reassign(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, 8, |ctx, lba, bs| {
        let (mut s, held) = held_write(ctx, lba, bs)?;
        let f = (TmfFunction::TaskReassign, lun(ctx));
        let tmf = send_function(ctx, &mut s, f, (held.itt, held.cmd_sn))?;
        let response = s.await_pdu(ctx, "the TASK REASSIGN response", |p| match p {
            Pdu::TaskManagementResponse(r) if r.itt == tmf => Some(r.response),
            _ => None,
        })?;
        // §11.5.1: reassignment is for ErrorRecoveryLevel 2 (the
        // allegiance moves to a new connection); none was negotiated.
        let refused = matches!(
            response,
            TmfResponseCode::ReassignmentNotSupported
                | TmfResponseCode::TaskStillAllegiant
                | TmfResponseCode::FunctionNotSupported
                | TmfResponseCode::FunctionRejected
        );
        if !refused {
            return Ok(Outcome::fail("a refusal", format!("{response:?}")));
        }
        let data = crate::harness::blocks::pattern(8 * bs as usize, 0x3c);
        let r2t = held.r2t.clone();
        s.answer_r2t(ctx, held.itt, r2t.lun, &r2t, &data)?;
        let status = loop {
            match s.next_pdu(ctx, "the write's response")? {
                Pdu::ReadyToTransfer(r) if r.itt == held.itt => {
                    s.answer_r2t(ctx, held.itt, r.lun, &r, &data)?;
                }
                Pdu::ScsiResponse(r) if r.itt == held.itt => break r.status,
                _ => {}
            }
        };
        s.logout(ctx);
        Ok(Outcome::check(
            status == rtgt_proto::pdu::ScsiStatus::Good,
            "the write GOOD after the refused reassignment",
            format!("{status:?}"),
        ))
    })
}

/// Sends `f` on `l` (no task referenced); its response code.
fn answer_of(
    ctx: &mut Context,
    s: &mut RawSession,
    (f, l): (TmfFunction, Lun),
) -> Result<TmfResponseCode, ScenarioError> {
    let referenced = (rtgt_proto::pdu::TTT_RESERVED, s.cmd_sn);
    answer_for(ctx, s, (f, l), referenced)
}

/// Sends `f` naming `referenced` and waits for its response only (no
/// quiet time after: no task of ours is affected).
fn answer_for(
    ctx: &mut Context,
    s: &mut RawSession,
    f: (TmfFunction, Lun),
    referenced: (u32, u32),
) -> Result<TmfResponseCode, ScenarioError> {
    let itt = send_function(ctx, s, f, referenced)?;
    Ok(function_response(ctx, s, itt, 0x7777_0003)?.0)
}

fn clear_aca(ctx: &mut Context) -> Verdict {
    let mut s = super::cmdsn::session(ctx)?;
    let response = answer_of(ctx, &mut s, (TmfFunction::ClearAca, lun(ctx)))?;
    let alive = s.ping(ctx)?;
    s.logout(ctx);
    let allowed = matches!(
        response,
        TmfResponseCode::FunctionComplete
            | TmfResponseCode::FunctionNotSupported
            | TmfResponseCode::FunctionRejected
    );
    Ok(Outcome::check(
        allowed && alive,
        "Function complete, not supported or rejected, then a working session",
        format!("{response:?}, ping answered {alive}"),
    ))
}

const ABSENT: u16 = 16383;

/// `f` naming the absent LUN must get one of `allowed`.
fn on_absent_lun(ctx: &mut Context, f: TmfFunction, allowed: &[TmfResponseCode]) -> Verdict {
    let mut s = super::cmdsn::session(ctx)?;
    let response = if f == TmfFunction::AbortTask {
        let stale = s.exp_cmd_sn.wrapping_sub(1);
        let never = 0x7777_0004;
        answer_for(ctx, &mut s, (f, Lun::single_level(ABSENT)), (never, stale))?
    } else {
        answer_of(ctx, &mut s, (f, Lun::single_level(ABSENT)))?
    };
    s.logout(ctx);
    Ok(Outcome::check(
        allowed.contains(&response),
        format!("{allowed:?}"),
        format!("{response:?}"),
    ))
}

const LUN_ABSENT: &[TmfResponseCode] = &[TmfResponseCode::LunDoesNotExist];
const LUN_ABSENT_OR_UNSUPPORTED: &[TmfResponseCode] = &[
    TmfResponseCode::LunDoesNotExist,
    TmfResponseCode::FunctionNotSupported,
];
const NO_TASK: &[TmfResponseCode] = &[
    TmfResponseCode::LunDoesNotExist,
    TmfResponseCode::TaskDoesNotExist,
];

cases! {
    abort_task_set_absent => on_absent_lun(TmfFunction::AbortTaskSet, LUN_ABSENT);
    clear_task_set_absent => on_absent_lun(TmfFunction::ClearTaskSet, LUN_ABSENT_OR_UNSUPPORTED);
    clear_aca_absent => on_absent_lun(TmfFunction::ClearAca, LUN_ABSENT_OR_UNSUPPORTED);
    abort_task_absent => on_absent_lun(TmfFunction::AbortTask, NO_TASK);
}

fn absent_answered(ctx: &mut Context) -> Verdict {
    let mut s = super::cmdsn::session(ctx)?;
    let mut got = Vec::new();
    for f in [
        TmfFunction::AbortTaskSet,
        TmfFunction::ClearTaskSet,
        TmfFunction::LogicalUnitReset,
        TmfFunction::ClearAca,
    ] {
        // A missing answer is a timeout: the scenario fails with it.
        got.push((f, answer_of(ctx, &mut s, (f, Lun::single_level(ABSENT)))?));
    }
    let alive = s.ping(ctx)?;
    s.logout(ctx);
    Ok(Outcome::check(
        alive,
        "a working session after the functions",
        format!("{got:?}, ping answered {alive}"),
    ))
}

/// What a TARGET COLD RESET did: its response (if any came) and whether
/// the connection closed within the timeout.
fn cold(
    ctx: &mut Context,
    s: &mut RawSession,
) -> Result<(Option<TmfResponseCode>, bool), ScenarioError> {
    let tmf = send_function(
        ctx,
        s,
        (TmfFunction::TargetColdReset, Lun::ZERO),
        (rtgt_proto::pdu::TTT_RESERVED, s.cmd_sn),
    )?;
    let mut response = None;
    loop {
        match s.next_pdu(ctx, "the TARGET COLD RESET response") {
            Ok(Pdu::TaskManagementResponse(r)) if r.itt == tmf => {
                response = Some(r.response);
                break;
            }
            Ok(_) => {}
            Err(ScenarioError::Closed(_)) => return Ok((response, true)),
            Err(e) => return Err(e),
        }
    }
    let closed = s.wire.closed_within(ctx, ctx.target.timeout)?;
    Ok((response, closed))
}

fn carried_out(response: Option<TmfResponseCode>) -> bool {
    matches!(response, None | Some(TmfResponseCode::FunctionComplete))
}

/// §11.5.1: the target "MUST treat the TARGET COLD RESET function
/// additionally as a power on event, thus terminating all of its TCP
/// connections to all initiators (all sessions are terminated)".
fn cold_reset(ctx: &mut Context) -> Verdict {
    let mut s = super::cmdsn::session(ctx)?;
    let (response, closed) = cold(ctx, &mut s)?;
    if carried_out(response) {
        return Ok(Outcome::check(
            closed,
            "the connection closed after the cold reset",
            format!("{response:?}, connection still open"),
        ));
    }
    let alive = s.ping(ctx)?;
    s.logout(ctx);
    Ok(Outcome::check(
        alive,
        "a refused cold reset leaves the session working",
        format!("{response:?}, ping answered {alive}"),
    ))
}

fn cold_reset_others(ctx: &mut Context) -> Verdict {
    let mut other = RawSession::open_beside(ctx, 9)?;
    let mut s = super::cmdsn::session(ctx)?;
    let (response, _) = cold(ctx, &mut s)?;
    if !carried_out(response) {
        other.logout(ctx);
        return Ok(Outcome::not_applicable(format!(
            "the target refused the cold reset: {response:?}"
        )));
    }
    let closed = other.wire.closed_within(ctx, ctx.target.timeout)?;
    Ok(Outcome::check(
        closed,
        "the other session's connection closed",
        "it stayed open",
    ))
}

fn remove_keeps(ctx: &mut Context) -> Verdict {
    let reason = (LogoutReason::RemoveConnectionForRecovery, 0);
    let Some((response, mut s)) = super::logout::logout(ctx, reason)? else {
        return Ok(Outcome::fail(
            "a Logout Response",
            "the connection closed first",
        ));
    };
    if response == LogoutResponseCode::Success {
        return Ok(Outcome::not_applicable(
            "the target accepted the logout for recovery",
        ));
    }
    let alive = s.ping(ctx)?;
    s.logout(ctx);
    Ok(Outcome::check(
        alive,
        "the connection still answers a ping",
        format!("{response:?}, then no answer to a ping"),
    ))
}
