//! TaskReporting (RFC 7143 §13.23): its negotiation, and how a task set
//! function meets a write with an R2T outstanding under the standard
//! multi-task abort semantics (§4.2.3.3) and under FastAbort (§4.2.3.4).

use rtgt_proto::pdu::{Pdu, TmfFunction, TmfResponseCode};

use super::harness::*;
use super::tmf::tmf;
use crate::ConnId;

/// A rig logged in on connection 1 with `extra` keys, the unit attention
/// taken; the login response's pairs.
fn ready_with(extra: &[(&str, &str)]) -> (Rig, ConnId, Vec<rtgt_proto::text::Pair>) {
    let mut rig = Rig::new();
    let c = rig.connect(1);
    let pairs = rig.login(c, extra);
    rig.clear_ua(c);
    (rig, c, pairs)
}

#[test]
fn the_answer_is_the_first_offered_value() {
    // §13.23 is a list key: the target answers with the first value of
    // the offer it supports (§6.2.1); rtgt supports all three.
    for (offer, answer) in [
        ("FastAbort,ResponseFence,RFC3720", Some("FastAbort")),
        ("ResponseFence,FastAbort,RFC3720", Some("ResponseFence")),
        ("RFC3720,ResponseFence", Some("RFC3720")),
        ("Bogus,RFC3720", Some("RFC3720")),
    ] {
        let (_, _, pairs) = ready_with(&[("TaskReporting", offer)]);
        assert_eq!(get(&pairs, "TaskReporting"), answer, "{offer}");
    }
    // Not offered: not answered, the default (RFC3720) applies.
    let (_, _, pairs) = ready_with(&[]);
    assert_eq!(get(&pairs, "TaskReporting"), None);
}

/// Logs in with TaskReporting=`value`, starts an 8-block write whose R2T
/// is outstanding and sends ABORT TASK SET: whether the function's
/// response came before the Data-Out, and what the Data-Out then brought.
fn abort_task_set_during_r2t(value: &str) -> (bool, Vec<Pdu>, Rig, ConnId, u32) {
    let (mut rig, c, _) = ready_with(&[("TaskReporting", value), ("ImmediateData", "No")]);
    let w = rig.write10(0, 8);
    let itt = w.itt;
    rig.send(c, w);
    let Pdu::ReadyToTransfer(r2t) = rig.recv(c) else {
        panic!("{value}: no R2T")
    };
    let r = rig.cmd_sn;
    let t = tmf(&mut rig, TmfFunction::AbortTaskSet, 0xffff_ffff, r);
    rig.send(c, t);
    let before = rig.recv_all(c);
    let answered = match before.as_slice() {
        [] => false,
        [Pdu::TaskManagementResponse(r)] => {
            assert_eq!(r.response, TmfResponseCode::FunctionComplete, "{value}");
            true
        }
        other => panic!("{value}: {other:?}"),
    };
    let len = r2t.desired_data_transfer_length as usize;
    let d = data_out(itt, r2t.ttt, 0, r2t.buffer_offset, pattern(len, 3), true);
    rig.send(c, d);
    let after = rig.recv_all(c);
    (answered, after, rig, c, itt)
}

/// RFC 7143 §13.23: "When TaskReporting is not negotiated to FastAbort,
/// the standard multi-task abort semantics in Section 4.2.3.3 MUST be
/// used": the target "MUST wait for responses on currently valid Target
/// Transfer Tags of the affected tasks from the issuing initiator".
#[test]
fn rfc3720_and_response_fence_answer_after_the_data_out() {
    for value in ["RFC3720", "ResponseFence"] {
        let (answered, after, ..) = abort_task_set_during_r2t(value);
        assert!(!answered, "{value}: answered before the Data-Out");
        // The response fence: the function's response only, no SCSI
        // Response for the aborted write before or after it.
        assert!(
            matches!(after.as_slice(), [Pdu::TaskManagementResponse(r)]
                if r.response == TmfResponseCode::FunctionComplete),
            "{value}: {after:?}"
        );
    }
}

/// RFC 7143 §4.2.3.4: under FastAbort the initiator stops the affected
/// transfers, so the target answers once the logical unit has, without
/// the Data-Out; it leaves the affected TTTs valid, so a Data-Out already
/// on the wire is neither rejected nor answered; the aborted write gets no
/// SCSI Response; its ITT is free again.
#[test]
fn fast_abort_answers_at_once_and_drops_the_late_data_out() {
    let (answered, after, mut rig, c, itt) = abort_task_set_during_r2t("FastAbort");
    assert!(answered, "FastAbort: the response waited for the Data-Out");
    assert!(after.is_empty(), "FastAbort: {after:?}");
    // The session goes on, and the aborted write's ITT may name a new task.
    let mut w = rig.write10(0, 1);
    w.itt = itt;
    rig.send(c, w);
    let Pdu::ReadyToTransfer(r2t) = rig.recv(c) else {
        panic!("no R2T for the new write")
    };
    rig.send(c, data_out(itt, r2t.ttt, 0, 0, pattern(512, 4), true));
    let p = rig.recv_all(c);
    assert!(
        matches!(p.as_slice(), [Pdu::ScsiResponse(r)] if r.status == rtgt_proto::pdu::ScsiStatus::Good),
        "{p:?}"
    );
}

/// The other values change nothing for a task set function with nothing
/// in flight, nor for ABORT TASK of a write collecting data.
#[test]
fn fast_abort_keeps_abort_task_and_idle_task_sets() {
    let (mut rig, c, _) = ready_with(&[("TaskReporting", "FastAbort")]);
    let w = rig.write10(0, 8);
    let itt = w.itt;
    rig.send(c, w);
    assert!(matches!(rig.recv(c), Pdu::ReadyToTransfer(_)));
    for (f, referenced) in [
        (TmfFunction::AbortTask, itt),
        (TmfFunction::AbortTaskSet, 0xffff_ffff),
        (TmfFunction::LogicalUnitReset, 0xffff_ffff),
    ] {
        let r = rig.cmd_sn.wrapping_sub(1);
        let t = tmf(&mut rig, f, referenced, r);
        rig.send(c, t);
        let r = recv_as!(rig, c, TaskManagementResponse);
        assert_eq!(r.response, TmfResponseCode::FunctionComplete, "{f:?}");
    }
}

/// Session 1 (TaskReporting=FastAbort) resets the LU while a read of
/// session 2 (TaskReporting=`second`) is at the logical unit: what session
/// 2's connection receives before the read is released.
fn third_party_notice(second: &str) -> Vec<Pdu> {
    let fast = [("TaskReporting", "FastAbort,ResponseFence,RFC3720")];
    let (mut rig, c, _) = ready_with(&fast);
    let sn1 = rig.cmd_sn;
    rig.isid = 2;
    rig.cmd_sn = 1000;
    let c2 = rig.connect(2);
    rig.login(c2, &[("TaskReporting", second)]);
    rig.clear_ua(c2);
    rig.hold_io = true;
    let read = rig.read10(0, 8);
    rig.send(c2, read);
    rig.cmd_sn = sn1;
    let t = tmf(&mut rig, TmfFunction::LogicalUnitReset, 0, 0);
    rig.send(c, t);
    let notices = rig.recv_all(c2);
    rig.release_io();
    let r = recv_as!(rig, c, TaskManagementResponse);
    assert_eq!(r.response, TmfResponseCode::FunctionComplete);
    notices
}

/// RFC 7143 §4.2.3.4 d): an Asynchronous Message with iSCSIEvent=5, for
/// the reset LUN, on the third-party session's connection "if
/// TaskReporting=FastAbort is operational on that third-party session";
/// none on a third-party session under the standard semantics.
#[test]
fn fast_abort_third_party_gets_task_termination() {
    let got = third_party_notice("FastAbort,ResponseFence,RFC3720");
    assert!(
        matches!(got.as_slice(), [Pdu::AsyncMessage(m)]
            if m.async_event == rtgt_proto::pdu::AsyncEvent::TaskTermination
                && m.lun == rtgt_proto::pdu::Lun::single_level(0)
                && m.itt == 0xffff_ffff),
        "{got:?}"
    );
    let got = third_party_notice("RFC3720");
    assert!(got.is_empty(), "{got:?}");
}
