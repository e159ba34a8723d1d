//! Task management during I/O (RFC 7143 §11.5, §11.6): a write held at
//! its R2T is outstanding while the function runs; each function's
//! answer must be one the RFC allows, and an aborted task is not answered.

use super::blocks::{lun, with_scratch, write10};
use super::session::RawSession;
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::pdu::{
    Lun, Pdu, TaskManagementRequest, TmfFunction, TmfResponseCode, TTT_RESERVED,
};

const DESTRUCTIVE: Needs = Needs {
    destructive: true,
    ..Needs::NONE
};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "iscsi.tmf.abort-task",
        clause: "RFC 7143 §11.5.1, §11.6.1",
        level: Level::Must,
        requirement: "ABORT TASK of a write waiting for its data answers Function complete \
                      (or Task does not exist), and the aborted write gets no response after it",
        needs: Needs::NONE,
        run: abort_task,
    },
    Scenario {
        id: "iscsi.tmf.abort-task-unknown",
        clause: "RFC 7143 §11.5.1",
        level: Level::Must,
        requirement: "ABORT TASK of a tag never used, with a RefCmdSN below the window, \
                      answers Task does not exist",
        needs: Needs::NONE,
        run: abort_unknown,
    },
    Scenario {
        id: "iscsi.tmf.abort-task-set",
        clause: "RFC 7143 §11.5.1, §11.6.1",
        level: Level::Must,
        requirement: "ABORT TASK SET with a write outstanding answers Function complete",
        needs: Needs::NONE,
        run: abort_task_set,
    },
    Scenario {
        id: "iscsi.tmf.clear-task-set",
        clause: "RFC 7143 §11.5.1, §11.6.1",
        level: Level::Must,
        requirement: "CLEAR TASK SET with a write outstanding answers Function complete, or \
                      Function not supported where the target does not implement it",
        needs: Needs::NONE,
        run: clear_task_set,
    },
    Scenario {
        id: "iscsi.tmf.lun-reset",
        clause: "RFC 7143 §11.5.1, §11.6.1",
        level: Level::Must,
        requirement: "LOGICAL UNIT RESET with a write outstanding answers Function complete",
        needs: Needs::NONE,
        run: lun_reset,
    },
    Scenario {
        id: "iscsi.tmf.target-warm-reset",
        clause: "RFC 7143 §11.5.1, §11.6.1",
        level: Level::Must,
        requirement: "TARGET WARM RESET answers Function complete, Function authorization \
                      failed or Function not supported",
        needs: DESTRUCTIVE,
        run: warm_reset,
    },
];

/// A session with a write of 8 blocks held at its first R2T; the ITT and
/// CmdSN of the write.
fn held_write(
    ctx: &mut Context,
    lba: u64,
    bs: u32,
) -> Result<(RawSession, u32, u32), ScenarioError> {
    let keys = [("InitialR2T", "Yes"), ("ImmediateData", "No")];
    let mut s = RawSession::open(ctx, &keys)?;
    super::blocks::block_size(ctx, &mut s)?;
    let cmd = s.command(lun(ctx), &write10(lba, 8), 8 * bs, false, true);
    let (itt, sn) = (cmd.itt, cmd.cmd_sn);
    s.send(ctx, cmd)?;
    loop {
        match s.next_pdu(ctx, "an R2T")? {
            Pdu::ReadyToTransfer(r) if r.itt == itt => return Ok((s, itt, sn)),
            Pdu::ScsiResponse(r) if r.itt == itt => {
                return Err(ScenarioError::Setup(format!(
                    "the write ended at once: {:?}",
                    r.status
                )))
            }
            _ => {}
        }
    }
}

/// Sends a function and waits for its response, noting whether task
/// `watch` was answered after it.
fn function(
    ctx: &mut Context,
    s: &mut RawSession,
    function: TmfFunction,
    lun: Lun,
    referenced: u32,
    ref_cmd_sn: u32,
    watch: u32,
) -> Result<(TmfResponseCode, bool), ScenarioError> {
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
    let response = loop {
        match s.next_pdu(ctx, "the task management response")? {
            Pdu::TaskManagementResponse(r) if r.itt == itt => break r.response,
            _ => {}
        }
    };
    let (after, _) = s.gather_quiet(ctx)?;
    Ok((
        response,
        after
            .iter()
            .any(|p| matches!(p, Pdu::ScsiResponse(r) if r.itt == watch)),
    ))
}

/// A function run with a held write, judged by `allowed`.
fn during_write(
    ctx: &mut Context,
    f: TmfFunction,
    allowed: &'static [TmfResponseCode],
    na: Option<TmfResponseCode>,
) -> Verdict {
    with_scratch(ctx, 8, move |ctx, lba, bs| {
        let (mut s, itt, sn) = held_write(ctx, lba, bs)?;
        let (referenced, ref_sn) = if f == TmfFunction::AbortTask {
            (itt, sn)
        } else {
            (TTT_RESERVED, s.cmd_sn)
        };
        let l = if f == TmfFunction::TargetWarmReset {
            Lun::ZERO
        } else {
            lun(ctx)
        };
        let (response, answered) = function(ctx, &mut s, f, l, referenced, ref_sn, itt)?;
        drop(s);
        if na == Some(response) {
            return Ok(Outcome::not_applicable(format!("{f:?}: {response:?}")));
        }
        if !allowed.contains(&response) {
            return Ok(Outcome::fail(
                format!("{allowed:?}"),
                format!("{response:?}"),
            ));
        }
        Ok(Outcome::check(
            response != TmfResponseCode::FunctionComplete || !answered,
            "no response for the aborted write",
            "a SCSI Response for it after the function",
        ))
    })
}

fn abort_task(ctx: &mut Context) -> Verdict {
    during_write(
        ctx,
        TmfFunction::AbortTask,
        &[
            TmfResponseCode::FunctionComplete,
            TmfResponseCode::TaskDoesNotExist,
        ],
        None,
    )
}

fn abort_task_set(ctx: &mut Context) -> Verdict {
    during_write(
        ctx,
        TmfFunction::AbortTaskSet,
        &[TmfResponseCode::FunctionComplete],
        None,
    )
}

fn clear_task_set(ctx: &mut Context) -> Verdict {
    during_write(
        ctx,
        TmfFunction::ClearTaskSet,
        &[TmfResponseCode::FunctionComplete],
        Some(TmfResponseCode::FunctionNotSupported),
    )
}

fn lun_reset(ctx: &mut Context) -> Verdict {
    during_write(
        ctx,
        TmfFunction::LogicalUnitReset,
        &[TmfResponseCode::FunctionComplete],
        None,
    )
}

fn warm_reset(ctx: &mut Context) -> Verdict {
    during_write(
        ctx,
        TmfFunction::TargetWarmReset,
        &[
            TmfResponseCode::FunctionComplete,
            TmfResponseCode::AuthorizationFailed,
        ],
        Some(TmfResponseCode::FunctionNotSupported),
    )
}

fn abort_unknown(ctx: &mut Context) -> Verdict {
    let mut s = super::cmdsn::session(ctx)?;
    // The session's first commands are done: ExpCmdSN - 1 is below the window.
    let stale = s.exp_cmd_sn.wrapping_sub(1);
    let never = 0x7777_0000;
    let (response, _) = function(
        ctx,
        &mut s,
        TmfFunction::AbortTask,
        lun(ctx),
        never,
        stale,
        never,
    )?;
    s.logout(ctx);
    Ok(Outcome::check(
        response == TmfResponseCode::TaskDoesNotExist,
        "Task does not exist",
        format!("{response:?}"),
    ))
}
