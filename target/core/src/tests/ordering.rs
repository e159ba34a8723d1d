//! Task attributes across the iSCSI layer (SAM-5 §8.6): a write still
//! collecting its data has not reached its logical unit's task set, so the
//! target core holds back what an ORDERED task must not overtake.

use rtgt_proto::pdu::{Pdu, ScsiStatus, TaskAttribute, TmfFunction, TmfResponseCode};

use super::harness::*;
use super::tmf::tmf;
use crate::ConnId;

/// Sends a write of one block at LBA 0 with `attr`; its ITT and R2T's TTT.
fn held_write(rig: &mut Rig, c: ConnId, attr: TaskAttribute) -> (u32, u32) {
    let mut w = rig.write10(0, 1);
    w.attr = attr;
    let itt = w.itt;
    rig.send(c, w);
    let r2t = recv_as!(rig, c, ReadyToTransfer);
    (itt, r2t.ttt)
}

/// Sends a read of LBA 0 with `attr`; its ITT.
fn read_behind(rig: &mut Rig, c: ConnId, attr: TaskAttribute) -> u32 {
    let mut r = rig.read10(0, 1);
    r.attr = attr;
    let itt = r.itt;
    rig.send(c, r);
    itt
}

/// The Data-In payload of task `itt` among `pdus`.
fn read_data(pdus: &[Pdu], itt: u32) -> Vec<u8> {
    pdus.iter()
        .filter_map(|p| match p {
            Pdu::DataIn(d) if d.itt == itt => Some(d.data.to_vec()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn write_then_read(write: TaskAttribute, read: TaskAttribute) {
    let (mut rig, c) = Rig::ready();
    let (witt, ttt) = held_write(&mut rig, c, write);
    let ritt = read_behind(&mut rig, c, read);
    assert!(
        rig.nothing(c),
        "the read ended before the write had its data"
    );
    let new = pattern(512, 9);
    rig.send(c, data_out(witt, ttt, 0, 0, new.clone(), true));
    let pdus = rig.recv_all(c);
    assert_eq!(read_data(&pdus, ritt), new, "{pdus:?}");
}

#[test]
fn a_read_waits_for_a_write_collecting_its_data_when_either_is_ordered() {
    write_then_read(TaskAttribute::Ordered, TaskAttribute::Simple);
    write_then_read(TaskAttribute::Simple, TaskAttribute::Ordered);
}

/// A TEST UNIT READY with `tur` behind a write with `write` collecting its
/// data ends at once; the write ends once its data came.
fn passes(write: TaskAttribute, tur: TaskAttribute) {
    let (mut rig, c) = Rig::ready();
    let (witt, ttt) = held_write(&mut rig, c, write);
    let mut cmd = rig.command(&[0u8; 6], 0, false, false);
    cmd.attr = tur;
    rig.send(c, cmd);
    assert_eq!(recv_as!(rig, c, ScsiResponse).status, ScsiStatus::Good);
    rig.send(c, data_out(witt, ttt, 0, 0, pattern(512, 1), true));
    assert_eq!(recv_as!(rig, c, ScsiResponse).status, ScsiStatus::Good);
}

#[test]
fn simple_behind_simple_and_head_of_queue_behind_ordered_do_not_wait() {
    passes(TaskAttribute::Simple, TaskAttribute::Simple);
    passes(TaskAttribute::Ordered, TaskAttribute::HeadOfQueue);
}

#[test]
fn aborting_the_ordered_write_releases_the_tasks_behind_it() {
    let (mut rig, c) = Rig::ready();
    let (witt, _) = held_write(&mut rig, c, TaskAttribute::Ordered);
    let ritt = read_behind(&mut rig, c, TaskAttribute::Simple);
    assert!(rig.nothing(c));
    let sn = rig.cmd_sn.wrapping_sub(2);
    let abort = tmf(&mut rig, TmfFunction::AbortTask, witt, sn);
    rig.send(c, abort);
    let pdus = rig.recv_all(c);
    let answered = pdus.iter().any(|p| {
        matches!(p, Pdu::TaskManagementResponse(r) if r.response == TmfResponseCode::FunctionComplete)
    });
    assert!(answered, "{pdus:?}");
    assert_eq!(read_data(&pdus, ritt).len(), 512, "{pdus:?}");
}
