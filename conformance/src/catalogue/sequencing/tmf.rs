//! Task management during I/O (RFC 7143 §11.5, §11.6): a write held at
//! its R2T is outstanding while the function runs; each function's
//! answer must be one the RFC allows, and an aborted task is not answered.
//! The task set functions must also wait for the Data-Out answering the
//! outstanding R2T before answering (§4.2.3.3).

use crate::context::Context;
use crate::harness::blocks::{lun, write10};
use crate::harness::scratch::with_scratch;
use crate::harness::session::RawSession;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::pdu::{
    Lun, Pdu, ReadyToTransfer, TaskManagementRequest, TmfFunction, TmfResponseCode, TTT_RESERVED,
};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "iscsi.tmf.abort-task",
        clause: "RFC 7143 §11.5.1, §11.6.1",
        level: Level::Must,
        requirement: "ABORT TASK of a write waiting for its data answers Function complete \
                      (the task exists), and the aborted write gets no response after it",
        needs: Needs::NONE,
        run: abort_task,
    },
    Scenario {
        id: "iscsi.tmf.abort-task-unknown",
        // RFC 3720 §10.6.1 (Response; RFC 7143 §11.6.1, wording not checked): if the
        // Referenced Task Tag "does not identify an existing task" and
        // RefCmdSN "is outside the valid CmdSN window, then targets must
        // return the "Task does not exist" response".
        clause: "RFC 7143 §11.6.1",
        level: Level::Must,
        requirement: "ABORT TASK of a tag never used, with a RefCmdSN below the window, \
                      answers Task does not exist",
        needs: Needs::NONE,
        run: abort_unknown,
    },
    Scenario {
        id: "iscsi.tmf.absent-lun",
        clause: "RFC 7143 §11.6.1",
        // §11.6.1 defines response 2 without a keyword.
        level: Level::Should,
        requirement: "LOGICAL UNIT RESET of a LUN the target does not have (16383, flat \
                      addressing) answers LUN does not exist",
        needs: Needs::NONE,
        run: absent_lun,
    },
    Scenario {
        id: "iscsi.tmf.abort-of-tmf-rejected",
        clause: "RFC 7143 §11.5.1",
        level: Level::Must,
        requirement: "ABORT TASK naming a task management request still pending (an ABORT TASK \
                      SET waiting for a held write's Data-Out) is answered Function rejected",
        needs: Needs::NONE,
        run: abort_of_tmf,
    },
    Scenario {
        id: "iscsi.tmf.abort-task-set",
        clause: "RFC 7143 §4.2.3.3, §11.5.1, §11.6.1",
        level: Level::Must,
        requirement: "ABORT TASK SET with a write waiting at its R2T is answered only after \
                      the Data-Out for that R2T, with Function complete, and the write gets no \
                      response after it",
        needs: Needs::NONE,
        run: abort_task_set,
    },
    Scenario {
        id: "iscsi.tmf.clear-task-set",
        clause: "RFC 7143 §4.2.3.3, §11.5.1, §11.6.1",
        level: Level::Must,
        requirement: "CLEAR TASK SET with a write waiting at its R2T is answered only after \
                      the Data-Out for that R2T, with Function complete (or Function not \
                      supported where the target does not implement it), and the write gets \
                      no response after it",
        needs: Needs::NONE,
        run: clear_task_set,
    },
    Scenario {
        id: "iscsi.tmf.lun-reset",
        clause: "RFC 7143 §4.2.3.3, §11.5.1, §11.6.1",
        level: Level::Must,
        requirement: "LOGICAL UNIT RESET with a write waiting at its R2T is answered only \
                      after the Data-Out for that R2T, with Function complete, and the write \
                      gets no response after it",
        needs: Needs::NONE,
        run: lun_reset,
    },
    Scenario {
        id: "iscsi.tmf.target-warm-reset",
        clause: "RFC 7143 §4.2.3.3, §11.5.1, §11.6.1",
        level: Level::Must,
        requirement: "TARGET WARM RESET with a write waiting at its R2T answers Function \
                      complete only after the Data-Out for that R2T, or Function \
                      authorization failed or Function not supported",
        needs: Needs::DESTRUCTIVE,
        run: warm_reset,
    },
];

/// A write of 8 blocks held at its first R2T.
pub(super) struct HeldWrite {
    pub(super) itt: u32,
    pub(super) cmd_sn: u32,
    pub(super) r2t: ReadyToTransfer,
}

/// A session with a write of 8 blocks held at its first R2T.
pub(super) fn held_write(
    ctx: &mut Context,
    lba: u64,
    bs: u32,
) -> Result<(RawSession, HeldWrite), ScenarioError> {
    let keys = [("InitialR2T", "Yes"), ("ImmediateData", "No")];
    let mut s = RawSession::open(ctx, &keys)?;
    crate::harness::blocks::block_size(ctx, &mut s)?;
    let cmd = s.command(lun(ctx), &write10(lba, 8), 8 * bs, false, true);
    let (itt, sn) = (cmd.itt, cmd.cmd_sn);
    s.send(ctx, cmd)?;
    let r2t = s.await_r2t(ctx, itt, "an R2T")?;
    let held = HeldWrite {
        itt,
        cmd_sn: sn,
        r2t,
    };
    Ok((s, held))
}

/// Sends a task management function request for `lun`, naming the task of
/// ITT `referenced` and CmdSN `ref_cmd_sn` (RFC 7143 §11.5.1); its ITT.
pub(super) fn send_function(
    ctx: &mut Context,
    s: &mut RawSession,
    (function, lun): (TmfFunction, Lun),
    (referenced, ref_cmd_sn): (u32, u32),
) -> Result<u32, ScenarioError> {
    let itt = s.itt();
    let req = TaskManagementRequest {
        function,
        lun,
        itt,
        referenced_task_tag: referenced,
        cmd_sn: s.cmd_sn,
        exp_stat_sn: s.exp_stat_sn,
        ref_cmd_sn,
        ..TaskManagementRequest::default()
    };
    s.send(ctx, req)?;
    Ok(itt)
}

/// Waits for the response of function `itt`; whether task `watch` was
/// answered before it.
pub(super) fn function_response(
    ctx: &mut Context,
    s: &mut RawSession,
    itt: u32,
    watch: u32,
) -> Result<(TmfResponseCode, bool), ScenarioError> {
    let mut answered = false;
    loop {
        match s.next_pdu(ctx, "the task management response")? {
            Pdu::TaskManagementResponse(r) if r.itt == itt => return Ok((r.response, answered)),
            Pdu::ScsiResponse(r) if r.itt == watch => answered = true,
            _ => {}
        }
    }
}

/// Whether task `watch` gets a SCSI Response within the quiet time.
pub(super) fn answered_later(
    ctx: &mut Context,
    s: &mut RawSession,
    watch: u32,
) -> Result<bool, ScenarioError> {
    let (after, _) = s.gather_quiet(ctx)?;
    Ok(after
        .iter()
        .any(|p| matches!(p, Pdu::ScsiResponse(r) if r.itt == watch)))
}

/// Sends a function and waits for its response, noting whether task
/// `watch` was answered after it.
pub(super) fn function(
    ctx: &mut Context,
    s: &mut RawSession,
    function: (TmfFunction, Lun),
    referenced: (u32, u32),
    watch: u32,
) -> Result<(TmfResponseCode, bool), ScenarioError> {
    let itt = send_function(ctx, s, function, referenced)?;
    let (response, _) = function_response(ctx, s, itt, watch)?;
    Ok((response, answered_later(ctx, s, watch)?))
}

/// When a function's response came, against the Data-Out of the held
/// write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answered {
    /// Within the quiet time, the R2T still unanswered.
    BeforeTheData,
    /// Once the Data-Out for the R2T was sent.
    AfterTheData,
}

/// Sends `f` while `held` waits at its R2T and waits the quiet time for
/// the function's response; when none came, sends the Data-Out for the R2T
/// and waits for the response. The response, when it came, and whether the
/// held write got a SCSI Response before it.
fn function_during_held_write(
    ctx: &mut Context,
    s: &mut RawSession,
    held: &HeldWrite,
    bs: u32,
    function: (TmfFunction, Lun),
    referenced: (u32, u32),
) -> Result<(TmfResponseCode, Answered), ScenarioError> {
    let tmf = send_function(ctx, s, function, referenced)?;
    let (early, _) = s.gather_until(
        ctx,
        |p| matches!(p, Pdu::TaskManagementResponse(r) if r.itt == tmf),
    )?;
    let early = early.iter().find_map(|p| match p {
        Pdu::TaskManagementResponse(r) if r.itt == tmf => Some(r.response),
        _ => None,
    });
    if let Some(response) = early {
        return Ok((response, Answered::BeforeTheData));
    }
    let r2t = &held.r2t;
    let data = crate::harness::blocks::pattern(8 * bs as usize, 0x7d);
    s.answer_r2t(ctx, held.itt, r2t.lun, r2t, &data)?;
    let (response, _) = function_response(ctx, s, tmf, held.itt)?;
    Ok((response, Answered::AfterTheData))
}

/// ABORT TASK of a write held at its R2T, judged by `allowed`. RFC 7143
/// sets no rule on the aborted task's outstanding R2T for ABORT TASK
/// (§4.2.3.3 covers the task set functions): the target may answer at
/// once or once the Data-Out came, and both pass.
fn abort_held_write(ctx: &mut Context, allowed: &'static [TmfResponseCode]) -> Verdict {
    with_scratch(ctx, 8, move |ctx, lba, bs| {
        let (mut s, held) = held_write(ctx, lba, bs)?;
        let referenced = (held.itt, held.cmd_sn);
        let f = TmfFunction::AbortTask;
        let (response, _) =
            function_during_held_write(ctx, &mut s, &held, bs, (f, lun(ctx)), referenced)?;
        answered_then_silent(ctx, &mut s, &held, response, allowed)
    })
}

/// The verdict on a function's `response`: one of `allowed`, and, when it
/// is Function complete, no SCSI Response for the aborted write after it.
fn answered_then_silent(
    ctx: &mut Context,
    s: &mut RawSession,
    held: &HeldWrite,
    response: TmfResponseCode,
    allowed: &[TmfResponseCode],
) -> Verdict {
    if !allowed.contains(&response) {
        return Ok(Outcome::fail(
            format!("{allowed:?}"),
            format!("{response:?}"),
        ));
    }
    let late = answered_later(ctx, s, held.itt)?;
    Ok(Outcome::check(
        response != TmfResponseCode::FunctionComplete || !late,
        "no response for the aborted write after the function's response",
        "a SCSI Response for it after the function's response",
    ))
}

/// A task set function (ABORT TASK SET, CLEAR TASK SET, LOGICAL UNIT
/// RESET, TARGET WARM RESET) run while a write of ours waits for the
/// Data-Out answering its R2T. RFC 7143 §4.2.3.3 (the default
/// TaskReporting=RFC3720): the target "MUST wait for responses on
/// currently valid Target Transfer Tags of the affected tasks from the
/// issuing initiator", and the initiator keeps answering them. So the
/// function's response must not come while our Data-Out is held back; we
/// then send it, and the response must come, with no response for the
/// aborted write after it. `allowed` are the answers the function may get,
/// `na` one that means the target does not implement it.
fn task_set_during_write(
    ctx: &mut Context,
    f: TmfFunction,
    allowed: &'static [TmfResponseCode],
    na: Option<TmfResponseCode>,
) -> Verdict {
    with_scratch(ctx, 8, move |ctx, lba, bs| {
        let (mut s, held) = held_write(ctx, lba, bs)?;
        let l = if f == TmfFunction::TargetWarmReset {
            Lun::ZERO
        } else {
            lun(ctx)
        };
        let referenced = (TTT_RESERVED, s.cmd_sn);
        let (response, answered) =
            function_during_held_write(ctx, &mut s, &held, bs, (f, l), referenced)?;
        if na == Some(response) {
            return Ok(Outcome::not_applicable(format!("{f:?}: {response:?}")));
        }
        if response == TmfResponseCode::FunctionComplete && answered == Answered::BeforeTheData {
            return Ok(Outcome::fail(
                "the response only after our Data-Out for the outstanding R2T",
                "Function complete while the R2T was still unanswered",
            ));
        }
        answered_then_silent(ctx, &mut s, &held, response, allowed)
    })
}

fn abort_task(ctx: &mut Context) -> Verdict {
    // RFC 7143 §11.6.1: "Task does not exist" is for a task the target
    // does not find; this one is alive, waiting for its data.
    abort_held_write(ctx, &[TmfResponseCode::FunctionComplete])
}

/// The answer every function here may get (RFC 7143 §11.6.1).
const COMPLETE: &[TmfResponseCode] = &[TmfResponseCode::FunctionComplete];
/// The answer of a target that does not implement the function.
const NOT_SUPPORTED: Option<TmfResponseCode> = Some(TmfResponseCode::FunctionNotSupported);
/// TARGET WARM RESET may also be refused to an initiator not allowed it.
const COMPLETE_OR_REFUSED: &[TmfResponseCode] = &[
    TmfResponseCode::FunctionComplete,
    TmfResponseCode::AuthorizationFailed,
];

cases! {
    abort_task_set => task_set_during_write(TmfFunction::AbortTaskSet, COMPLETE, None);
    clear_task_set => task_set_during_write(TmfFunction::ClearTaskSet, COMPLETE, NOT_SUPPORTED);
    lun_reset => task_set_during_write(TmfFunction::LogicalUnitReset, COMPLETE, None);
    warm_reset => task_set_during_write(TmfFunction::TargetWarmReset, COMPLETE_OR_REFUSED, NOT_SUPPORTED);
}

fn abort_unknown(ctx: &mut Context) -> Verdict {
    let mut s = super::cmdsn::session(ctx)?;
    // The session's first commands are done: ExpCmdSN - 1 is below the window.
    let stale = s.exp_cmd_sn.wrapping_sub(1);
    let never = 0x7777_0000;
    let abort = (TmfFunction::AbortTask, lun(ctx));
    let (response, _) = function(ctx, &mut s, abort, (never, stale), never)?;
    s.logout(ctx);
    Ok(Outcome::check(
        response == TmfResponseCode::TaskDoesNotExist,
        "Task does not exist",
        format!("{response:?}"),
    ))
}

fn absent_lun(ctx: &mut Context) -> Verdict {
    let mut s = super::cmdsn::session(ctx)?;
    let reset = (TmfFunction::LogicalUnitReset, Lun::single_level(16383));
    let referenced = (TTT_RESERVED, s.cmd_sn);
    // No task to watch: a tag never used.
    let (response, _) = function(ctx, &mut s, reset, referenced, 0x7777_0001)?;
    s.logout(ctx);
    Ok(Outcome::check(
        response == TmfResponseCode::LunDoesNotExist,
        "LUN does not exist",
        format!("{response:?}"),
    ))
}

/// §11.5.1: "At the target an ABORT TASK function MUST NOT be executed on
/// a Task Management request; such a request MUST result in Task
/// Management response of 'Function rejected'." The ABORT TASK SET stays
/// pending while the held write's R2T is unanswered (§4.2.3.3); a target
/// that answers it at once leaves nothing to reference.
fn abort_of_tmf(ctx: &mut Context) -> Verdict {
    with_scratch(ctx, 8, move |ctx, lba, bs| {
        let (mut s, held) = held_write(ctx, lba, bs)?;
        let set = (TmfFunction::AbortTaskSet, lun(ctx));
        let unreferenced = (TTT_RESERVED, s.cmd_sn);
        let pending = send_function(ctx, &mut s, set, unreferenced)?;
        let is_response =
            |p: &Pdu, itt: u32| matches!(p, Pdu::TaskManagementResponse(r) if r.itt == itt);
        let (early, _) = s.gather_until(ctx, |p| is_response(p, pending))?;
        let na = early.iter().any(|p| is_response(p, pending));
        // Both requests are immediate: RefCmdSN is the ABORT TASK's own
        // CmdSN (§11.5.5).
        let abort = (TmfFunction::AbortTask, lun(ctx));
        let referenced = (pending, s.cmd_sn);
        let verdict = if na {
            Outcome::not_applicable(
                "the ABORT TASK SET was answered at once, leaving no pending request to name",
            )
        } else {
            let itt = send_function(ctx, &mut s, abort, referenced)?;
            let (got, _) = s.gather_until(ctx, |p| is_response(p, itt))?;
            let data = crate::harness::blocks::pattern(8 * bs as usize, 0x6b);
            s.answer_r2t(ctx, held.itt, held.r2t.lun, &held.r2t, &data)?;
            let response = match got.iter().find_map(|p| match p {
                Pdu::TaskManagementResponse(r) if r.itt == itt => Some(r.response),
                _ => None,
            }) {
                Some(r) => r,
                None => function_response(ctx, &mut s, itt, held.itt)?.0,
            };
            Outcome::check(
                response == TmfResponseCode::FunctionRejected,
                "Function rejected",
                format!("{response:?}"),
            )
        };
        s.logout(ctx);
        Ok(verdict)
    })
}
