//! Task management during outstanding I/O (RFC 7143 §11.5, §11.6).

use rtgt_proto::pdu::{Lun, Pdu, ScsiStatus, TaskManagementRequest, TmfFunction, TmfResponseCode};

use super::harness::*;
use crate::ConnId;

pub(super) fn tmf(
    rig: &mut Rig,
    f: TmfFunction,
    referenced: u32,
    ref_cmd_sn: u32,
) -> TaskManagementRequest {
    TaskManagementRequest {
        immediate: true,
        function: f,
        lun: Lun::single_level(0),
        itt: rig.next_itt(),
        referenced_task_tag: referenced,
        cmd_sn: rig.cmd_sn,
        ref_cmd_sn,
        ..TaskManagementRequest::default()
    }
}

/// Sends `tmf(f, referenced, ref_cmd_sn)` on `c`; its response code.
fn tmf_answer(
    rig: &mut Rig,
    c: ConnId,
    f: TmfFunction,
    referenced: u32,
    ref_cmd_sn: u32,
) -> TmfResponseCode {
    let t = tmf(rig, f, referenced, ref_cmd_sn);
    rig.send(c, t);
    recv_as!(rig, c, TaskManagementResponse).response
}

/// Sends a read that stays in flight, then `f`; checks the response waits
/// for the abort and no status comes for the read.
fn during_io(f: TmfFunction) {
    let (mut rig, c) = Rig::ready();
    rig.hold_io = true;
    let read = rig.read10(0, 8);
    let itt = read.itt;
    rig.send(c, read);
    assert!(rig.nothing(c));
    let r = rig.cmd_sn - 1;
    let t = tmf(&mut rig, f, itt, r);
    rig.send(c, t);
    assert!(rig.nothing(c), "{f:?} answered before its task ended");
    rig.release_io();
    let pdus = rig.recv_all(c);
    assert_eq!(pdus.len(), 1, "{f:?}: {pdus:?}");
    let Pdu::TaskManagementResponse(r) = &pdus[0] else {
        panic!()
    };
    assert_eq!(r.response, TmfResponseCode::FunctionComplete, "{f:?}");
    // The session goes on (except after a cold reset).
    if f != TmfFunction::TargetColdReset {
        let cmd = rig.read10(0, 1);
        rig.send(c, cmd);
        let p = rig.recv(c);
        assert!(matches!(p, Pdu::DataIn(_) | Pdu::ScsiResponse(_)));
    } else {
        assert!(rig.closed(c));
    }
}

#[test]
fn each_tmf_during_outstanding_io() {
    for f in TmfFunction::ABORTS_AND_RESETS {
        during_io(f);
    }
}

#[test]
fn abort_of_unknown_task() {
    let (mut rig, c) = Rig::ready();
    let r = rig.cmd_sn.wrapping_sub(1);
    assert_eq!(
        tmf_answer(&mut rig, c, TmfFunction::AbortTask, 0x9999, r),
        TmfResponseCode::TaskDoesNotExist
    );
}

#[test]
fn abort_of_a_write_collecting_data() {
    let (mut rig, c) = Rig::ready();
    let w = rig.write10(0, 8);
    let itt = w.itt;
    rig.send(c, w);
    assert!(matches!(rig.recv(c), Pdu::ReadyToTransfer(_)));
    let r = rig.cmd_sn - 1;
    assert_eq!(
        tmf_answer(&mut rig, c, TmfFunction::AbortTask, itt, r),
        TmfResponseCode::FunctionComplete
    );
}

#[test]
fn abort_of_a_pending_task_management_request_is_rejected() {
    let (mut rig, c) = Rig::ready();
    let w = rig.write10(0, 8);
    rig.send(c, w);
    assert!(matches!(rig.recv(c), Pdu::ReadyToTransfer(_)));
    // ABORT TASK SET waits for the Data-Out of the held write (§4.2.3.3).
    let sn = rig.cmd_sn;
    let set = tmf(&mut rig, TmfFunction::AbortTaskSet, u32::MAX, sn);
    let pending = set.itt;
    rig.send(c, set);
    assert!(rig.nothing(c));
    assert_eq!(
        tmf_answer(&mut rig, c, TmfFunction::AbortTask, pending, sn),
        TmfResponseCode::FunctionRejected
    );
}

#[test]
fn unsupported_functions_and_missing_lun() {
    let (mut rig, c) = Rig::ready();
    for (f, want) in [
        (TmfFunction::ClearAca, TmfResponseCode::FunctionNotSupported),
        (
            TmfFunction::TaskReassign,
            TmfResponseCode::ReassignmentNotSupported,
        ),
        (TmfFunction::Other(0x33), TmfResponseCode::FunctionRejected),
    ] {
        assert_eq!(tmf_answer(&mut rig, c, f, 0, 0), want);
    }
    let mut t = tmf(&mut rig, TmfFunction::LogicalUnitReset, 0, 0);
    t.lun = Lun::single_level(5);
    rig.send(c, t);
    let r = recv_as!(rig, c, TaskManagementResponse);
    assert_eq!(r.response, TmfResponseCode::LunDoesNotExist);
}

#[test]
fn lun_reset_raises_a_unit_attention_for_every_session() {
    let (mut rig, c) = Rig::ready();
    // Each session numbers its own commands.
    let sn1 = rig.cmd_sn;
    rig.isid = 2;
    rig.cmd_sn = 1000;
    let c2 = rig.connect(2);
    rig.login(c2, &[]);
    rig.clear_ua(c2);
    let sn2 = rig.cmd_sn;
    rig.cmd_sn = sn1;
    let t = tmf(&mut rig, TmfFunction::LogicalUnitReset, 0, 0);
    rig.send(c, t);
    rig.recv(c);
    // SAM-5 §6.3.3: the session that asked for the reset has its unit
    // attention too.
    let cmd = rig.read10(0, 1);
    rig.send(c, cmd);
    let r = recv_as!(rig, c, ScsiResponse);
    assert_eq!(r.status, ScsiStatus::CheckCondition);
    rig.cmd_sn = sn2;
    let cmd = rig.read10(0, 1);
    rig.send(c2, cmd);
    let r = recv_as!(rig, c2, ScsiResponse);
    assert_eq!(r.status, ScsiStatus::CheckCondition);
}
