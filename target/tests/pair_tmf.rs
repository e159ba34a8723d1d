//! Task management during I/O over the pair (RFC 7143 §11.5, §11.6, §4.2.3;
//! SAM-5 §7): the disk is held so the functions meet tasks in flight.

mod pair;

use pair::*;
use rtgt_initiator::{Event as IEvent, TaskHandle, TaskOutcome};
use rtgt_proto::pdu::{Lun, Opcode, ScsiStatus, TmfFunction, TmfResponseCode};

fn ready(p: &mut Pair, keys: &[(&str, &str)]) -> usize {
    let l = p.login(normal_with(keys));
    p.clear_ua(l);
    l
}

fn tmf(p: &mut Pair, l: usize, f: TmfFunction, task: Option<TaskHandle>) -> TaskHandle {
    let now = p.now();
    let t = p
        .ini_mut(l)
        .task_management(now, f, Lun::single_level(0), task)
        .expect("tmf");
    p.run();
    t
}

fn tmf_response(p: &Pair, l: usize, t: TaskHandle) -> Option<TmfResponseCode> {
    p.events(l).iter().find_map(|e| match e {
        IEvent::TmfComplete { task, response, .. } if *task == t => Some(*response),
        _ => None,
    })
}

fn aborted_by(p: &Pair, l: usize, task: TaskHandle, f: TmfFunction, by: TaskHandle) -> bool {
    p.outcome(l, task) == Some(TaskOutcome::Aborted { function: f, by })
}

#[test]
fn abort_task_on_a_slow_read() {
    let mut p = Pair::new(one_target());
    let l = ready(&mut p, &[]);
    p.hold_io = true;
    let read = p.submit(l, read_req(0, 8));
    let other = p.submit(l, read_req(8, 8));
    p.run();
    assert_eq!(p.held_io.len(), 2);
    let t = tmf(&mut p, l, TmfFunction::AbortTask, Some(read));
    // RFC 7143 §4.2.3.2: the response waits for the task to end.
    assert_eq!(tmf_response(&p, l, t), None);
    p.release_io();
    assert_eq!(
        tmf_response(&p, l, t),
        Some(TmfResponseCode::FunctionComplete)
    );
    assert!(
        aborted_by(&p, l, read, TmfFunction::AbortTask, t),
        "{:#?}",
        p.events(l)
    );
    assert_eq!(
        p.result(l, other).status,
        ScsiStatus::Good,
        "the other read is untouched"
    );
    p.write_read_back(l, 0, 1, 3);
    p.assert_clean();
}

/// A write of 32 KiB in 8 KiB bursts (ImmediateData=No) that has sent its
/// first burst, its second R2T held in the pipe to the initiator: the pair,
/// the link, where the write's PDUs start (`Pair::mark`) and the write.
/// `reporting` is the TaskReporting offer, if any.
fn half_sent_write(reporting: Option<&str>) -> (Pair, usize, usize, TaskHandle) {
    let mut p = Pair::new(one_target());
    let mut keys = vec![("ImmediateData", "No"), ("MaxBurstLength", "8192")];
    keys.extend(reporting.map(|r| ("TaskReporting", r)));
    let l = ready(&mut p, &keys);
    p.fault(
        l,
        Dir::ToInitiator,
        Match::Opcode(Opcode::ReadyToTransfer),
        Action::StallAfter,
    );
    let mark = p.mark();
    let write = p.submit(l, write_req(0, &pattern(32 << 10, 6)));
    p.run();
    assert_eq!(p.count_since(mark, l, Dir::ToTarget, Opcode::DataOut), 1);
    (p, l, mark, write)
}

/// The opcodes the target sent on link `l` since mark `m`.
fn opcodes_to_initiator(p: &Pair, m: usize, l: usize) -> Vec<Opcode> {
    p.pdus_since(m, l, Dir::ToInitiator)
        .iter()
        .map(|pdu| pdu.opcode())
        .collect()
}

/// `f` (task `t`) answered FUNCTION COMPLETE and aborted the write `w`,
/// none of whose first `bytes` reached the disk; no violation.
fn assert_aborted_unwritten(
    p: &Pair,
    l: usize,
    w: TaskHandle,
    f: TmfFunction,
    t: TaskHandle,
    bytes: usize,
) {
    assert_eq!(
        tmf_response(p, l, t),
        Some(TmfResponseCode::FunctionComplete),
        "{f:?}"
    );
    assert!(aborted_by(p, l, w, f, t), "{f:?}: {:#?}", p.events(l));
    assert_eq!(
        p.disk_bytes(0, bytes),
        vec![0u8; bytes],
        "nothing was written"
    );
    assert!(p.violations().is_empty(), "{:#?}", p.violations());
}

#[test]
fn abort_task_on_a_half_sent_write() {
    let (mut p, l, m, w) = half_sent_write(None);
    assert!(p.pending(l, Dir::ToInitiator) > 0);
    let t = tmf(&mut p, l, TmfFunction::AbortTask, Some(w));
    p.stall(l, Dir::ToInitiator, false);
    p.run();
    assert_aborted_unwritten(&p, l, w, TmfFunction::AbortTask, t, 8192);
    // The initiator answered the R2T that was on the wire when it aborted;
    // that Data-Out meets a task already gone. Dropping it or rejecting it
    // both leave the session sound; rtgt rejects it (after the TMF
    // response), and the initiator takes the Reject without complaint.
    let back = opcodes_to_initiator(&p, m, l);
    assert_eq!(
        back,
        [
            Opcode::ReadyToTransfer,
            Opcode::ReadyToTransfer,
            Opcode::TaskManagementResponse,
            Opcode::Reject
        ]
    );
    // The session goes on.
    p.write_read_back(l, 0, 4, 8);
}

/// A write of 32 KiB in 8 KiB bursts has sent its first burst and has its
/// second R2T on the way when `f` comes. Under the standard semantics
/// (TaskReporting=RFC3720 or ResponseFence, RFC 7143 §13.23, §4.2.3.3) the
/// target waits for the Data-Out answering that R2T (a currently valid TTT
/// of an affected task of the issuing initiator) before it answers `f`.
/// Under FastAbort (§4.2.3.4) it answers without that Data-Out, and the
/// Data-Out, for a TTT it leaves valid, is dropped without a word.
fn task_set_meets_outstanding_data(f: TmfFunction, reporting: Option<&str>) {
    let fast = reporting.is_some_and(|r| r.starts_with("FastAbort"));
    let (mut p, l, m, w) = half_sent_write(reporting);
    let t = tmf(&mut p, l, f, None);
    // The initiator gets the second R2T and answers it, but its Data-Out
    // waits in the pipe.
    p.stall(l, Dir::ToTarget, true);
    p.stall(l, Dir::ToInitiator, false);
    p.run();
    assert_eq!(p.count_since(m, l, Dir::ToTarget, Opcode::DataOut), 2);
    if fast {
        assert_eq!(
            tmf_response(&p, l, t),
            Some(TmfResponseCode::FunctionComplete),
            "{f:?} under FastAbort waited for the data"
        );
    } else {
        assert_eq!(
            tmf_response(&p, l, t),
            None,
            "{f:?} answered before the data"
        );
    }
    p.stall(l, Dir::ToTarget, false);
    p.run();
    assert_aborted_unwritten(&p, l, w, f, t, 32 << 10);
    let back = opcodes_to_initiator(&p, m, l);
    assert_eq!(
        back,
        [
            Opcode::ReadyToTransfer,
            Opcode::ReadyToTransfer,
            Opcode::TaskManagementResponse
        ],
        "{f:?} ({reporting:?}): no third R2T, no response for the aborted \
         write, no Reject of its late Data-Out"
    );
    p.clear_ua(l);
    p.write_read_back(l, 0, 4, 8);
}

fn task_set_waits_for_outstanding_data(f: TmfFunction) {
    task_set_meets_outstanding_data(f, None);
}

#[test]
fn response_fence_waits_for_outstanding_data_too() {
    for offer in ["ResponseFence,RFC3720", "RFC3720"] {
        task_set_meets_outstanding_data(TmfFunction::AbortTaskSet, Some(offer));
    }
}

#[test]
fn fast_abort_answers_without_the_outstanding_data() {
    for f in [
        TmfFunction::AbortTaskSet,
        TmfFunction::ClearTaskSet,
        TmfFunction::LogicalUnitReset,
        TmfFunction::TargetWarmReset,
    ] {
        task_set_meets_outstanding_data(f, Some("FastAbort,ResponseFence,RFC3720"));
    }
}

#[test]
fn abort_task_set_waits_for_outstanding_data() {
    task_set_waits_for_outstanding_data(TmfFunction::AbortTaskSet);
}

#[test]
fn clear_task_set_waits_for_outstanding_data() {
    task_set_waits_for_outstanding_data(TmfFunction::ClearTaskSet);
}

#[test]
fn lun_reset_waits_for_outstanding_data() {
    task_set_waits_for_outstanding_data(TmfFunction::LogicalUnitReset);
}

#[test]
fn target_warm_reset_waits_for_outstanding_data() {
    task_set_waits_for_outstanding_data(TmfFunction::TargetWarmReset);
}

/// Holds the disk with three reads in flight, runs `f`, and checks every
/// read ends aborted by it, and whether a second session then sees a unit
/// attention.
fn set_wide(f: TmfFunction, ua_elsewhere: bool) {
    let mut p = Pair::new(one_target());
    let l = ready(&mut p, &[]);
    let other = ready(&mut p, &[]);
    p.hold_io = true;
    let reads: Vec<_> = (0..3).map(|i| p.submit(l, read_req(i * 8, 8))).collect();
    p.run();
    let t = tmf(&mut p, l, f, None);
    p.release_io();
    assert_eq!(
        tmf_response(&p, l, t),
        Some(TmfResponseCode::FunctionComplete),
        "{f:?}"
    );
    for r in &reads {
        assert!(aborted_by(&p, l, *r, f, t), "{f:?}: {:#?}", p.events(l));
    }
    p.assert_clean();
    let r = p.exec(other, read_req(0, 1));
    if ua_elsewhere {
        // SAM-5 §6.3: a logical unit reset leaves a unit attention (29h/xxh,
        // a reset occurred) for the other I_T nexuses.
        assert_eq!(r.status, ScsiStatus::CheckCondition, "{f:?}");
        let sense = r.sense.expect("sense");
        assert_eq!(sense.asc.asc, 0x29, "{f:?}: {sense:?}");
    } else {
        assert_eq!(r.status, ScsiStatus::Good, "{f:?}");
    }
    // Whatever the asking nexus is owed, it gets on after one command.
    p.clear_ua(l);
    assert_eq!(p.read(l, 0, 1).len(), BS);
    assert_eq!(p.read(other, 0, 1).len(), BS);
}

#[test]
fn abort_task_set_during_io() {
    set_wide(TmfFunction::AbortTaskSet, false);
}

#[test]
fn lun_reset_during_io() {
    set_wide(TmfFunction::LogicalUnitReset, true);
}

#[test]
fn target_warm_reset_during_io() {
    set_wide(TmfFunction::TargetWarmReset, true);
}

#[test]
fn abort_task_set_spares_another_sessions_tasks() {
    let mut p = Pair::new(one_target());
    let a = ready(&mut p, &[]);
    let b = p.login(normal());
    p.clear_ua(b);
    p.hold_io = true;
    let ra = p.submit(a, read_req(0, 8));
    let rb = p.submit(b, read_req(0, 8));
    p.run();
    let t = tmf(&mut p, a, TmfFunction::AbortTaskSet, None);
    p.release_io();
    assert_eq!(
        tmf_response(&p, a, t),
        Some(TmfResponseCode::FunctionComplete)
    );
    assert!(aborted_by(&p, a, ra, TmfFunction::AbortTaskSet, t));
    assert_eq!(p.result(b, rb).status, ScsiStatus::Good);
    p.assert_clean();
}

#[test]
fn abort_of_a_finished_task_is_task_does_not_exist_or_complete() {
    let mut p = Pair::new(one_target());
    let l = ready(&mut p, &[]);
    let r = p.submit(l, read_req(0, 1));
    p.run();
    assert!(p.outcome(l, r).is_some());
    let t = tmf(&mut p, l, TmfFunction::AbortTask, Some(r));
    // RFC 7143 §11.6.1: an unknown task is "Task does not exist"; a task
    // already answered may also be reported complete.
    let resp = tmf_response(&p, l, t).expect("answered");
    assert!(
        matches!(
            resp,
            TmfResponseCode::TaskDoesNotExist | TmfResponseCode::FunctionComplete
        ),
        "{resp:?}"
    );
    p.assert_clean();
}
