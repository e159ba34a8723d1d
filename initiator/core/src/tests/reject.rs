//! Rejects of our PDUs (RFC 7143 §7.3, §11.17): a command rejected for a
//! data digest error is sent again with its CmdSN, a rejected Data-Out
//! leaves its task waiting for the response, other rejected commands end.

use bytes::Bytes;
use rtgt_proto::pdu::{Lun, Pdu, Reject, RejectReason, ScsiCommand, ScsiResponse, ScsiStatus};
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::sense::Sense;

use super::*;
use crate::issue::MAX_RETRIES;
use crate::{CloseReason, ScsiRequest, TaskHandle, TaskOutcome};

const WRITE10: [u8; 10] = [0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0];

fn cmd(p: &Pdu) -> ScsiCommand {
    match p {
        Pdu::ScsiCommand(c) => c.clone(),
        other => panic!("expected a command, got {other:?}"),
    }
}

fn reject(p: &Pdu, reason: RejectReason) -> Reject {
    Reject::of(&p.to_raw(), reason)
}

fn outcome(ev: &[Event], t: TaskHandle) -> Option<TaskOutcome> {
    ev.iter().find_map(|e| match e {
        Event::TaskComplete { task, outcome } if *task == t => Some(outcome.clone()),
        _ => None,
    })
}

/// Logged in with ImmediateData=Yes; a 512-byte write submitted and its
/// command (with all its data immediate) received.
fn write_sent() -> (Initiator, Target, TaskHandle, Pdu) {
    let (mut ini, mut t) = logged_in(config(), target_keys());
    assert!(ini.session().params.immediate_data);
    let data = Bytes::from(vec![0x5au8; 512]);
    let h = ini
        .submit(t.now, ScsiRequest::write(Lun::ZERO, &WRITE10, data))
        .unwrap();
    let sent = t.recv(&mut ini);
    assert_eq!(sent.len(), 1);
    assert_eq!(cmd(&sent[0]).data.len(), 512);
    (ini, t, h, sent[0].clone())
}

#[test]
fn command_rejected_for_a_data_digest_error_is_sent_again() {
    let (mut ini, mut t, h, first) = write_sent();
    // RFC 7143 §7.3: the target did not count the CmdSN (ExpCmdSN stays).
    t.send(&mut ini, reject(&first, RejectReason::DataDigestError));
    let again = t.recv(&mut ini);
    assert_eq!(again.len(), 1, "{again:#?}");
    // RFC 7143 §7.2.1: same ITT, CmdSN, flags, CDB and data.
    let (a, b) = (cmd(&first), cmd(&again[0]));
    assert_eq!(
        (a.itt, a.cmd_sn, a.final_bit, a.write, a.cdb, &a.data),
        (b.itt, b.cmd_sn, b.final_bit, b.write, b.cdb, &b.data)
    );
    let ev = events(&mut ini);
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::Rejected { reason: RejectReason::DataDigestError, itt: Some(i) } if *i == h.0
    )));
    assert_eq!(outcome(&ev, h), None, "the task stays open");
    // The retry gets through and the command completes.
    t.ack(1);
    t.send(
        &mut ini,
        ScsiResponse {
            itt: h.0,
            ..ScsiResponse::default()
        },
    );
    match outcome(&events(&mut ini), h) {
        Some(TaskOutcome::Completed(r)) => assert_eq!(r.status, ScsiStatus::Good),
        other => panic!("{other:?}"),
    }
    // The next command takes the next CmdSN: the retry took none.
    ini.submit(t.now, ScsiRequest::none(Lun::ZERO, &[0; 6]))
        .unwrap();
    assert_eq!(cmd(&t.recv(&mut ini)[0]).cmd_sn, a.cmd_sn + 1);
}

#[test]
fn retries_are_bounded_then_the_session_is_given_up() {
    let (mut ini, mut t, h, first) = write_sent();
    for _ in 0..MAX_RETRIES {
        t.send(&mut ini, reject(&first, RejectReason::DataDigestError));
        assert_eq!(t.recv(&mut ini).len(), 1);
    }
    t.send(&mut ini, reject(&first, RejectReason::DataDigestError));
    assert!(t.recv(&mut ini).is_empty());
    let ev = events(&mut ini);
    // RFC 7143 §7.8: escalated to session recovery.
    assert!(ev.contains(&Event::Closed(CloseReason::DataDigest)));
    assert_eq!(outcome(&ev, h), Some(TaskOutcome::SessionClosed));
}

#[test]
fn rejected_data_out_leaves_the_task_for_its_response() {
    let mut cfg = config();
    let mut tk = target_keys();
    for (k, v) in [("ImmediateData", "No"), ("InitialR2T", "No")] {
        cfg.keys.set(k, v);
        tk.set(k, v);
    }
    let (mut ini, mut t) = logged_in(cfg, tk);
    let h = ini
        .submit(
            t.now,
            ScsiRequest::write(Lun::ZERO, &WRITE10, Bytes::from(vec![1u8; 512])),
        )
        .unwrap();
    let sent = t.recv(&mut ini);
    assert!(matches!(
        sent.as_slice(),
        [Pdu::ScsiCommand(_), Pdu::DataOut(_)]
    ));
    t.ack(1);
    t.send(&mut ini, reject(&sent[1], RejectReason::DataDigestError));
    assert!(
        t.recv(&mut ini).is_empty(),
        "a Data-Out is never resent unasked"
    );
    assert_eq!(outcome(&events(&mut ini), h), None);
    // RFC 7143 §7.8: at ErrorRecoveryLevel 0 the response comes.
    let sense = Sense::new(SenseKey::ABORTED_COMMAND, AscAscq::new(0x47, 0x05)).encode();
    t.send(
        &mut ini,
        ScsiResponse {
            itt: h.0,
            status: ScsiStatus::CheckCondition,
            data: ScsiResponse::sense_segment(&sense),
            ..ScsiResponse::default()
        },
    );
    match outcome(&events(&mut ini), h) {
        Some(TaskOutcome::Completed(r)) => {
            assert_eq!(r.status, ScsiStatus::CheckCondition);
            let s = r.sense.expect("sense");
            assert_eq!(
                (s.key, s.asc),
                (SenseKey::ABORTED_COMMAND, AscAscq::new(0x47, 0x05))
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn command_rejected_for_another_reason_ends() {
    let (mut ini, mut t, h, first) = write_sent();
    t.send(&mut ini, reject(&first, RejectReason::InvalidPduField));
    assert!(t.recv(&mut ini).is_empty(), "not resent");
    assert_eq!(
        outcome(&events(&mut ini), h),
        Some(TaskOutcome::Rejected(RejectReason::InvalidPduField))
    );
}
