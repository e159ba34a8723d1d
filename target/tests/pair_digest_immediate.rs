//! Data digest errors on unsolicited write data over the pair (RFC 7143
//! §7.3, §7.8, §11.17.1): immediate data in the command PDU, and
//! unsolicited Data-Out.
//!
//! A command whose immediate data fails its digest is rejected with reason
//! 0x02 and discarded; its CmdSN is not counted, and the initiator plugs the
//! gap by sending the command again. A failing unsolicited Data-Out leaves
//! the task alive; it ends with CHECK CONDITION, PROTOCOL SERVICE CRC ERROR.

mod pair;

use pair::*;
use rtgt_initiator::{CloseReason as ICloseReason, Event as IEvent, TaskHandle, TaskOutcome};
use rtgt_proto::pdu::{Opcode, Pdu, RejectReason, ScsiCommand, ScsiStatus};
use rtgt_target::Event as TEvent;

/// [`with_digests`] with InitialR2T=No and FirstBurstLength 4 KiB, the
/// target accepting InitialR2T=No and taking 1 KiB per PDU.
fn with_unsolicited_data() -> (Pair, usize) {
    with_digests_and(
        |s| {
            s.initial_r2t = false;
            s.max_recv_data_segment_length = 1024;
        },
        &[("InitialR2T", "No"), ("FirstBurstLength", "4096")],
    )
}

/// Flips a bit in the data segment of the next SCSI Command that carries
/// immediate data.
fn flip_immediate(p: &mut Pair, l: usize) {
    p.fault(
        l,
        Dir::ToTarget,
        Match::OpcodeWithData(Opcode::ScsiCommand),
        Action::FlipData { byte: 100, bit: 5 },
    );
}

/// The SCSI Commands of task `t` as the initiator sent them, in order.
fn commands_of(p: &Pair, t: TaskHandle) -> Vec<ScsiCommand> {
    p.transcript
        .iter()
        .filter(|f| f.dir == Dir::ToTarget)
        .filter_map(|f| match &f.pdu {
            Some(Pdu::ScsiCommand(c)) if c.itt == t.0 => Some(c.clone()),
            _ => None,
        })
        .collect()
}

/// The Rejects the target sent, in order.
fn rejects(p: &Pair) -> Vec<rtgt_proto::pdu::Reject> {
    p.transcript
        .iter()
        .filter(|f| f.dir == Dir::ToInitiator)
        .filter_map(|f| match &f.pdu {
            Some(Pdu::Reject(r)) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

fn rejected_for_digest(p: &Pair, l: usize, t: TaskHandle) -> bool {
    p.events(l).iter().any(|e| {
        matches!(e,
            IEvent::Rejected { reason: RejectReason::DataDigestError, itt: Some(i) } if *i == t.0)
    })
}

#[test]
fn immediate_data_digest_error_is_rejected_and_the_command_sent_again() {
    let (mut p, l) = with_digests(&[]);
    assert!(p.ini(l).session().params.immediate_data);
    flip_immediate(&mut p, l);
    let d = pattern(2 * BS, 7);
    let t = p.submit(l, write_req(40, &d));
    p.run();
    // RFC 7143 §7.8: Reject with reason 0x02, the PDU discarded.
    assert!(rejected_for_digest(&p, l, t), "{:#?}", p.events(l));
    let cmds = commands_of(&p, t);
    assert_eq!(cmds.len(), 2, "the command and its retry");
    let (first, retry) = (&cmds[0], &cmds[1]);
    assert_eq!(first.data.len(), 2 * BS, "all the data was immediate");
    // RFC 7143 §7.3: the rejected command's CmdSN is not counted: the
    // Reject still expects it.
    let r = &rejects(&p)[0];
    assert_eq!(r.reason, RejectReason::DataDigestError);
    assert_eq!(r.exp_cmd_sn, first.cmd_sn);
    // RFC 7143 §7.2.1: the retry carries the same ITT, CmdSN, CDB and data.
    assert_eq!(
        (retry.itt, retry.cmd_sn, retry.cdb, &retry.data),
        (first.itt, first.cmd_sn, first.cdb, &first.data)
    );
    // The retry ran: the task ends GOOD, the data is on the disk.
    assert_eq!(p.result(l, t).status, ScsiStatus::Good);
    assert_eq!(p.disk_bytes(40 * BS as u64, 2 * BS), d);
    assert!(p.violations().is_empty(), "{:#?}", p.violations());
    // Later commands go on: no CmdSN gap is left.
    p.write_read_back(l, 0, 4, 8);
}

#[test]
fn commands_behind_the_gap_wait_for_the_retry() {
    let (mut p, l) = with_digests(&[]);
    flip_immediate(&mut p, l);
    let d1 = pattern(BS, 1);
    let d2 = pattern(BS, 2);
    // Both leave before the Reject comes back: the second one's CmdSN is
    // ahead of the gap, and the target holds it (RFC 7143 §4.2.2.1).
    let t1 = p.submit(l, write_req(8, &d1));
    let t2 = p.submit(l, write_req(8, &d2));
    p.run();
    assert!(rejected_for_digest(&p, l, t1));
    assert_eq!(commands_of(&p, t1).len(), 2);
    // The second command left between the first one and its retry.
    let order: Vec<u32> = p
        .transcript
        .iter()
        .filter_map(|f| match &f.pdu {
            Some(Pdu::ScsiCommand(c)) if f.dir == Dir::ToTarget => Some(c.itt),
            _ => None,
        })
        .filter(|&i| i == t1.0 || i == t2.0)
        .collect();
    assert_eq!(order, vec![t1.0, t2.0, t1.0]);
    assert_eq!(commands_of(&p, t2).len(), 1, "not rejected, not resent");
    assert_eq!(p.result(l, t1).status, ScsiStatus::Good);
    assert_eq!(p.result(l, t2).status, ScsiStatus::Good);
    // Delivered in CmdSN order: the second write landed last.
    assert_eq!(p.disk_bytes(8 * BS as u64, BS), d2);
    assert!(p.violations().is_empty(), "{:#?}", p.violations());
}

#[test]
fn unsolicited_data_of_a_rejected_command_is_sent_again_with_it() {
    let (mut p, l) = with_unsolicited_data();
    flip_immediate(&mut p, l);
    let d = pattern(8 * BS, 6);
    let t = p.submit(l, write_req(16, &d));
    p.run();
    assert!(rejected_for_digest(&p, l, t));
    let cmds = commands_of(&p, t);
    assert_eq!(cmds.len(), 2);
    assert!(!cmds[1].final_bit, "unsolicited Data-Out follows the retry");
    // The first command's Data-Out found no task and was dropped; the
    // retry's own unsolicited burst went again (3 KiB after 1 KiB
    // immediate, twice).
    let unsolicited = p
        .transcript
        .iter()
        .filter(|f| f.dir == Dir::ToTarget)
        .filter(|f| matches!(&f.pdu, Some(Pdu::DataOut(o)) if o.itt == t.0 && o.ttt == u32::MAX))
        .count();
    assert_eq!(unsolicited, 6);
    assert_eq!(p.result(l, t).status, ScsiStatus::Good);
    assert_eq!(p.disk_bytes(16 * BS as u64, 8 * BS), d);
    assert!(p.violations().is_empty(), "{:#?}", p.violations());
}

#[test]
fn repeated_digest_errors_give_up_the_session() {
    let (mut p, l) = with_digests(&[]);
    // The command and each of its three retries are damaged.
    for _ in 0..4 {
        flip_immediate(&mut p, l);
    }
    let t = p.submit(l, write_req(0, &pattern(BS, 3)));
    p.run();
    assert_eq!(commands_of(&p, t).len(), 4);
    assert_eq!(rejects(&p).len(), 4);
    // RFC 7143 §7.8: escalated to session recovery.
    assert_eq!(p.closed_with(l), Some(ICloseReason::DataDigest));
    assert_eq!(p.outcome(l, t), Some(TaskOutcome::SessionClosed));
    assert!(p.link_closed(l));
    assert!(p.target_saw(|e| matches!(e, TEvent::SessionEnded { .. })));
    assert_eq!(p.disk_bytes(0, BS), vec![0u8; BS]);
}

#[test]
fn unsolicited_data_out_digest_error_ends_with_crc_error() {
    // Immediate data, then unsolicited Data-Out up to FirstBurstLength,
    // then R2Ts for the rest.
    let (mut p, l) = with_unsolicited_data();
    let params = p.ini(l).session().params;
    assert!(!params.initial_r2t && params.immediate_data);
    assert_eq!(params.target_max_recv_data_segment_length, 1024);
    p.fault(
        l,
        Dir::ToTarget,
        Match::OpcodeWithData(Opcode::DataOut),
        Action::FlipData { byte: 9, bit: 0 },
    );
    let d = pattern(16 * BS, 4);
    let t = p.submit(l, write_req(64, &d));
    p.run();
    assert!(rejected_for_digest(&p, l, t), "{:#?}", p.events(l));
    assert_eq!(commands_of(&p, t).len(), 1, "a Data-Out is not a command");
    // The damaged PDU was the first unsolicited Data-Out (TTT 0xffffffff,
    // RFC 7143 §11.7.4); the target still solicited the rest (§7.8: the
    // response waits for all the data).
    let sent: Vec<&Pdu> = p.transcript.iter().filter_map(|f| f.pdu.as_ref()).collect();
    let first_out = sent.iter().find_map(|p| match p {
        Pdu::DataOut(d) => Some(d),
        _ => None,
    });
    assert_eq!(first_out.map(|d| d.ttt), Some(u32::MAX));
    assert!(sent.iter().any(|p| matches!(p, Pdu::ReadyToTransfer(_))));
    // RFC 7143 §7.8 (ErrorRecoveryLevel 0): once all the data is in, CHECK
    // CONDITION, ABORTED COMMAND, PROTOCOL SERVICE CRC ERROR (§11.4.7.2).
    let r = p.result(l, t);
    assert_eq!(r.status, ScsiStatus::CheckCondition);
    let sense = r.sense.expect("sense");
    assert_eq!(sense.key.0, 0x0b, "ABORTED COMMAND");
    assert_eq!((sense.asc.asc, sense.asc.ascq), (0x47, 0x05));
    assert_eq!(p.disk_bytes(64 * BS as u64, 16 * BS), vec![0u8; 16 * BS]);
    assert!(p.violations().is_empty(), "{:#?}", p.violations());
    // The session goes on.
    p.write_read_back(l, 64, 2, 5);
}
