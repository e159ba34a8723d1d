//! Digest errors and damaged streams over the pair (RFC 7143 §7.8, §11.17):
//! bit flips in headers and data of each direction, garbage, arbitrary
//! read splits.

mod pair;

use pair::*;
use rtgt_initiator::{
    CloseReason as ICloseReason, Event as IEvent, ScsiRequest, TaskHandle, TaskOutcome,
};
use rtgt_proto::pdu::{Digests, Opcode, RejectReason, ScsiStatus};
use rtgt_target::{CloseReason, Event as TEvent};

/// Arms `action` on the next frame toward `dir` that `when` matches,
/// then submits `req` and runs the pair.
fn submit_with_fault(
    p: &mut Pair,
    l: usize,
    dir: Dir,
    when: Match,
    action: Action,
    req: ScsiRequest,
) -> TaskHandle {
    p.fault(l, dir, when, action);
    let t = p.submit(l, req);
    p.run();
    t
}

/// The target closed a connection for a broken stream (RFC 7143 §7.8: a
/// header digest error loses the PDU boundaries).
fn lost_stream(p: &Pair) -> bool {
    p.target_saw(|e| {
        matches!(
            e,
            TEvent::Close {
                reason: CloseReason::StreamLost(_),
                ..
            }
        )
    })
}

/// The initiator reported a digest error in a header (`header`) or in a
/// data segment.
fn saw_digest_error(p: &Pair, l: usize, header: bool) -> bool {
    p.events(l)
        .iter()
        .any(|e| matches!(e, IEvent::DigestError { header: h, .. } if *h == header))
}

#[test]
fn io_with_both_digests_and_random_splits() {
    let (mut p, l) = with_digests(&[("MaxRecvDataSegmentLength", "2048")]);
    p.split(l, Dir::ToTarget, Split::Random { max: 13 });
    p.split(l, Dir::ToInitiator, Split::Random { max: 13 });
    p.write_read_back(l, 10, 24, 5);
    p.assert_clean();
}

#[test]
fn header_bit_flip_toward_the_target_closes_the_connection() {
    let (mut p, l) = with_digests(&[]);
    let t = submit_with_fault(
        &mut p,
        l,
        Dir::ToTarget,
        Match::Opcode(Opcode::ScsiCommand),
        Action::FlipHeader { byte: 21, bit: 3 },
        read_req(0, 1),
    );
    // RFC 7143 §7.8: a header digest error loses the PDU boundaries; at
    // ErrorRecoveryLevel 0 the connection is dropped.
    assert!(lost_stream(&p));
    assert!(p.target_saw(|e| matches!(e, TEvent::SessionEnded { .. })));
    assert!(p.link_closed(l));
    assert_eq!(p.outcome(l, t), Some(TaskOutcome::SessionClosed));
    assert!(p.violations().is_empty());
}

#[test]
fn header_bit_flip_toward_the_initiator_closes_the_session() {
    let (mut p, l) = with_digests(&[]);
    let t = submit_with_fault(
        &mut p,
        l,
        Dir::ToInitiator,
        Match::Opcode(Opcode::DataIn),
        Action::FlipHeader { byte: 40, bit: 0 },
        read_req(0, 4),
    );
    assert!(saw_digest_error(&p, l, true));
    assert_eq!(p.closed_with(l), Some(ICloseReason::HeaderDigest));
    assert_eq!(p.outcome(l, t), Some(TaskOutcome::SessionClosed));
    assert!(p.link_closed(l));
    assert_eq!(p.target.session_count(), 0);
    assert!(p.violations().is_empty());
}

#[test]
fn data_bit_flip_in_a_data_out_is_rejected_and_the_command_fails() {
    let (mut p, l) = with_digests(&[("ImmediateData", "No")]);
    let t = submit_with_fault(
        &mut p,
        l,
        Dir::ToTarget,
        Match::OpcodeWithData(Opcode::DataOut),
        Action::FlipData { byte: 100, bit: 5 },
        write_req(0, &pattern(8 * BS, 1)),
    );
    // RFC 7143 §7.8, §11.17.1: Reject with reason 0x02; at
    // ErrorRecoveryLevel 0 the command ends in CHECK CONDITION.
    assert!(
        p.events(l).iter().any(|e| matches!(e,
            IEvent::Rejected { reason: RejectReason::DataDigestError, itt: Some(i) } if *i == t.0)),
        "{:#?}",
        p.events(l)
    );
    let r = p.result(l, t);
    assert_eq!(r.status, ScsiStatus::CheckCondition);
    let sense = r.sense.expect("sense");
    assert_eq!(sense.key.0, 0x0b, "ABORTED COMMAND");
    assert_eq!(
        (sense.asc.asc, sense.asc.ascq),
        (0x47, 0x05),
        "PROTOCOL SERVICE CRC ERROR"
    );
    assert_eq!(p.disk_bytes(0, 8 * BS), vec![0u8; 8 * BS]);
    assert!(p.violations().is_empty(), "{:#?}", p.violations());
    // The connection lives on.
    p.write_read_back(l, 0, 2, 2);
}

#[test]
fn data_bit_flip_in_a_data_in_ends_the_task_and_the_session_goes_on() {
    let (mut p, l) = with_digests(&[("MaxRecvDataSegmentLength", "1024")]);
    let t = submit_with_fault(
        &mut p,
        l,
        Dir::ToInitiator,
        Match::OpcodeWithData(Opcode::DataIn),
        Action::FlipData { byte: 7, bit: 1 },
        read_req(0, 8),
    );
    assert!(saw_digest_error(&p, l, false));
    assert_eq!(
        p.outcome(l, t),
        Some(TaskOutcome::DataDigestError),
        "{:#?}",
        p.events(l)
    );
    assert!(p.violations().is_empty(), "{:#?}", p.violations());
    p.write_read_back(l, 0, 8, 4);
}

#[test]
fn garbage_opcode_from_the_initiator_is_rejected() {
    let (mut p, l) = with_digests(&[]);
    // A BHS with an opcode RFC 7143 does not define for initiators.
    let mut raw = rtgt_proto::pdu::RawPdu::new([0u8; 48], Default::default(), Default::default());
    raw.bhs[0] = 0x1c;
    raw.bhs[16..20].copy_from_slice(&0x4242u32.to_be_bytes());
    p.inject(l, Dir::ToTarget, &raw.encode(Digests::BOTH));
    p.run();
    // RFC 7143 §11.17.1: reason 0x04, command not supported.
    assert!(
        p.events(l).iter().any(|e| matches!(
            e,
            IEvent::Rejected {
                reason: RejectReason::CommandNotSupported,
                ..
            }
        )),
        "{:#?}",
        p.events(l)
    );
    assert!(p.violations().is_empty(), "{:#?}", p.violations());
    assert_eq!(p.read(l, 0, 1).len(), BS);
}

#[test]
fn truncated_stream_toward_the_target_stalls_until_the_connection_ends() {
    let (mut p, l) = with_digests(&[]);
    let t = submit_with_fault(
        &mut p,
        l,
        Dir::ToTarget,
        Match::Opcode(Opcode::ScsiCommand),
        Action::Truncate(30),
        read_req(0, 1),
    );
    assert_eq!(p.outcome(l, t), None, "half a header is not a command");
    // The next PDU completes the broken header: the digest catches it.
    let now = p.now();
    p.ini_mut(l).ping(now, Default::default()).unwrap();
    p.run();
    assert!(lost_stream(&p));
    assert!(p.link_closed(l));
}
