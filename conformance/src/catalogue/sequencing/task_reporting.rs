//! TaskReporting (RFC 7143 §13.23) in force: a target that accepts
//! FastAbort or ResponseFence must show the semantics it agreed to when a
//! task set function meets a write waiting at its R2T. A target that
//! answers RFC3720 (or NotUnderstood) makes these scenarios n/a; the
//! RFC3720 behaviour is judged by `tmf.rs`. The ids are in the `tmf`
//! area: like those, these scenarios act on the LUN's task set and run
//! alone.
//!
//! The words quoted below from §13.23 and §4.2.3.4 are not checked against
//! a copy of RFC 7143 (those sections are not in the reference text at
//! hand); the §4.2.3.3 sentence is (conformance/requirements/rfc7143.toml).

use crate::context::Context;
use crate::harness::blocks::{block_size, lun, pattern, write10};
use crate::harness::scratch::with_scratch;
use crate::harness::session::RawSession;
use crate::scenario::{Level, Needs, Outcome, Scenario, Verdict};
use rtgt_proto::pdu::{Pdu, TaskManagementRequest, TmfFunction, TmfResponseCode, TTT_RESERVED};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "iscsi.tmf.task-reporting-fast-abort",
        clause: "RFC 7143 §13.23, §4.2.3.4",
        level: Level::Must,
        requirement: "With TaskReporting=FastAbort in force, ABORT TASK SET with a write \
                      waiting at its R2T is answered Function complete without the Data-Out \
                      for that R2T (the initiator stops the affected transfers), and no PDU \
                      for the aborted write follows the response",
        needs: Needs::NONE,
        run: fast_abort,
    },
    Scenario {
        id: "iscsi.tmf.task-reporting-response-fence",
        clause: "RFC 7143 §13.23, §4.2.3.3, §4.2.2.3.3",
        level: Level::Must,
        requirement: "With TaskReporting=ResponseFence in force, the standard multi-task \
                      abort semantics apply: ABORT TASK SET with a write waiting at its R2T \
                      is answered Function complete only after the Data-Out for that R2T, \
                      and no response for the aborted write follows the function's response",
        needs: Needs::NONE,
        run: response_fence,
    },
];

/// The semantics a scenario offers and judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Semantics {
    /// §4.2.3.4: the initiator "MUST ... Stop all outgoing transfers for
    /// the affected tasks", so we never answer the R2T and the target must
    /// answer without that data.
    FastAbort,
    /// §13.23: "When TaskReporting is not negotiated to FastAbort, the
    /// standard multi-task abort semantics in Section 4.2.3.3 MUST be
    /// used": the target "MUST wait for responses on currently valid
    /// Target Transfer Tags of the affected tasks from the issuing
    /// initiator", which we send once the quiet time passed.
    ResponseFence,
}

impl Semantics {
    /// The offer (§13.23: "at least the RFC3720 and ResponseFence values
    /// MUST be offered") and the answer that puts these semantics in force.
    fn offer(self) -> (&'static str, &'static str) {
        match self {
            Semantics::FastAbort => ("FastAbort,ResponseFence,RFC3720", "FastAbort"),
            Semantics::ResponseFence => ("ResponseFence,RFC3720", "ResponseFence"),
        }
    }
}

fn fast_abort(ctx: &mut Context) -> Verdict {
    abort_set_at_r2t(ctx, Semantics::FastAbort)
}

fn response_fence(ctx: &mut Context) -> Verdict {
    abort_set_at_r2t(ctx, Semantics::ResponseFence)
}

/// Opens a session offering TaskReporting per `sem` (n/a unless the target
/// accepts it), holds a write of 8 blocks at its R2T, sends ABORT TASK SET
/// and gathers what follows, answering the R2T under ResponseFence only
/// when the function's response did not come within the quiet time.
fn abort_set_at_r2t(ctx: &mut Context, sem: Semantics) -> Verdict {
    with_scratch(ctx, 8, move |ctx, lba, bs| {
        let (offer, want) = sem.offer();
        let keys = [
            ("InitialR2T", "Yes"),
            ("ImmediateData", "No"),
            ("TaskReporting", offer),
        ];
        let mut s = RawSession::open(ctx, &keys)?;
        let answer = s
            .keys
            .iter()
            .rev()
            .find(|p| p.key == "TaskReporting")
            .map(|p| p.value.clone());
        if answer.as_deref() != Some(want) {
            s.logout(ctx);
            return Ok(Outcome::not_applicable(format!(
                "TaskReporting={offer} answered {answer:?}"
            )));
        }
        block_size(ctx, &mut s)?;
        let cmd = s.command(lun(ctx), &write10(lba, 8), 8 * bs, false, true);
        let write = cmd.itt;
        s.send(ctx, cmd)?;
        let r2t = s.await_r2t(ctx, write, "an R2T")?;
        let tmf = s.itt();
        let req = TaskManagementRequest {
            immediate: true,
            function: TmfFunction::AbortTaskSet,
            lun: lun(ctx),
            itt: tmf,
            referenced_task_tag: TTT_RESERVED,
            cmd_sn: s.cmd_sn,
            exp_stat_sn: s.exp_stat_sn,
            ..TaskManagementRequest::default()
        };
        s.send(ctx, req)?;
        let is_response = |p: &Pdu| matches!(p, Pdu::TaskManagementResponse(r) if r.itt == tmf);
        let (mut seen, _) = s.gather_until(ctx, is_response)?;
        let early = seen.iter().any(is_response);
        if !early && sem == Semantics::ResponseFence {
            let data = pattern(8 * bs as usize, 0x5a);
            s.answer_r2t(ctx, write, r2t.lun, &r2t, &data)?;
            seen.extend(s.gather_until(ctx, is_response)?.0);
        }
        seen.extend(s.gather_quiet(ctx)?.0);
        s.logout(ctx);
        Ok(judge(sem, &seen, (tmf, write), early))
    })
}

/// The verdict on the PDUs `seen` after ABORT TASK SET `tmf` met the held
/// `write`; `early` when the response came before any Data-Out.
fn judge(sem: Semantics, seen: &[Pdu], (tmf, write): (u32, u32), early: bool) -> Outcome {
    let at = seen
        .iter()
        .position(|p| matches!(p, Pdu::TaskManagementResponse(r) if r.itt == tmf));
    let Some((at, Pdu::TaskManagementResponse(r))) = at.and_then(|i| Some((i, seen.get(i)?)))
    else {
        let expected = match sem {
            Semantics::FastAbort => "Function complete without the Data-Out for the R2T",
            Semantics::ResponseFence => "Function complete once the Data-Out was sent",
        };
        return Outcome::fail(expected, "no response to ABORT TASK SET");
    };
    if r.response != TmfResponseCode::FunctionComplete {
        return Outcome::fail("Function complete", format!("{:?}", r.response));
    }
    if sem == Semantics::ResponseFence && early {
        return Outcome::fail(
            "the response only after our Data-Out for the outstanding R2T",
            "Function complete while the R2T was still unanswered",
        );
    }
    // §4.2.2.3.3: the fenced response comes after every response of the
    // affected tasks; an aborted task is answered by the function alone.
    let late: Vec<String> = seen
        .iter()
        .skip(at + 1)
        .filter(|p| p.itt() == write)
        .map(|p| format!("{:?}", p.opcode()))
        .collect();
    Outcome::check(
        late.is_empty(),
        "no PDU for the aborted write after the function's response",
        format!("{late:?} after it"),
    )
}
