//! Header and data digests (RFC 7143 §7.8), Reject reasons (§11.17) and
//! hostile input.

use rtgt_proto::pdu::{Digests, Pdu, RawPdu, RejectReason, ScsiStatus, SnackRequest, BHS_LEN};

use super::harness::*;
use crate::{CloseReason, ConnId, Event, RandomSource, SeededRandom};

fn with_digests() -> (Rig, ConnId) {
    let mut rig = Rig::new();
    let c = rig.connect(1);
    let p = rig.login(c, &[("HeaderDigest", "CRC32C"), ("DataDigest", "CRC32C")]);
    assert_eq!(get(&p, "HeaderDigest"), Some("CRC32C"));
    assert_eq!(get(&p, "DataDigest"), Some("CRC32C"));
    rig.set_digests(c, Digests::BOTH);
    rig.clear_ua(c);
    (rig, c)
}

#[test]
fn digests_protect_a_read() {
    let (mut rig, c) = with_digests();
    let cmd = rig.read10(0, 2);
    rig.send(c, cmd);
    let d = recv_as!(rig, c, DataIn);
    assert_eq!(d.data.len(), 1024);
}

#[test]
fn header_digest_error_closes_the_connection() {
    let (mut rig, c) = with_digests();
    let cmd = rig.read10(0, 1);
    let mut bytes = Pdu::from(cmd).encode(Digests::BOTH);
    bytes[BHS_LEN] ^= 0xff;
    rig.send_bytes(c, &bytes);
    assert!(rig.events.iter().any(|e| matches!(
        e,
        Event::Close { conn, reason: CloseReason::StreamLost(_), .. } if *conn == c
    )));
}

#[test]
fn data_digest_error_on_data_out_ends_the_task_with_crc_error() {
    let (mut rig, c) = with_digests();
    let cmd = rig.write10(0, 2);
    let itt = cmd.itt;
    rig.send(c, cmd);
    let r = recv_as!(rig, c, ReadyToTransfer);
    let d = data_out(itt, r.ttt, 0, 0, vec![7u8; 1024], true);
    let mut bytes = Pdu::from(d).encode(Digests::BOTH);
    let n = bytes.len();
    bytes[n - 1] ^= 0x01;
    rig.send_bytes(c, &bytes);
    // RFC 7143 §7.8: Reject 0x02, then (all data in) CHECK CONDITION with
    // PROTOCOL SERVICE CRC ERROR.
    let j = recv_as!(rig, c, Reject);
    assert_eq!(j.reason, RejectReason::DataDigestError);
    let (status, sense) = rig.recv_status(c);
    assert_eq!(status, ScsiStatus::CheckCondition);
    assert_eq!((sense[2] & 0x0f, sense[12], sense[13]), (0x0b, 0x47, 0x05));
    // The connection still works.
    let cmd = rig.read10(0, 1);
    rig.send(c, cmd);
    assert!(matches!(rig.recv(c), Pdu::DataIn(_)));
}

/// `cmd` encoded with both digests and its data digest broken.
fn damaged(cmd: impl Into<Pdu>) -> Vec<u8> {
    let mut bytes = cmd.into().encode(Digests::BOTH);
    let n = bytes.len();
    bytes[n - 1] ^= 0x01;
    bytes
}

#[test]
fn data_digest_error_on_immediate_data_leaves_a_cmd_sn_gap_until_the_retry() {
    let (mut rig, c) = with_digests();
    let mut first = rig.write10(0, 1);
    first.data = bytes::Bytes::from(vec![1u8; 512]);
    rig.send_bytes(c, &damaged(first.clone()));
    // RFC 7143 §7.8: Reject 0x02 and the PDU discarded; immediate data
    // follows the rule of non-data PDUs (no task, no response).
    let j = recv_as!(rig, c, Reject);
    assert_eq!(j.reason, RejectReason::DataDigestError);
    assert_eq!(
        j.rejected_header().unwrap()[16..20],
        first.itt.to_be_bytes()
    );
    // RFC 7143 §7.3: the rejected command's CmdSN is not counted.
    assert_eq!(j.exp_cmd_sn, first.cmd_sn);
    assert!(rig.nothing(c));
    // The next command waits behind the gap (RFC 7143 §4.2.2.1).
    let second = rig.read10(0, 1);
    rig.send(c, second.clone());
    assert!(rig.nothing(c));
    // The initiator's retry (RFC 7143 §7.2.1: same ITT, CmdSN and data)
    // plugs the gap: both commands run, in CmdSN order.
    rig.send(c, first.clone());
    let out = rig.recv_all(c);
    let Some(Pdu::ScsiResponse(s)) = out.first() else {
        panic!("{out:#?}")
    };
    assert_eq!((s.itt, s.status), (first.itt, ScsiStatus::Good));
    assert_eq!(s.exp_cmd_sn, second.cmd_sn.wrapping_add(1));
    let Some(Pdu::DataIn(d)) = out.get(1) else {
        panic!("{out:#?}")
    };
    assert_eq!(d.itt, second.itt);
    assert_eq!(d.data.as_ref(), &[1u8; 512][..]);
}

#[test]
fn data_digest_error_on_unsolicited_data_out_ends_the_task_with_crc_error() {
    let mut rig = Rig::with_session(|s| s.initial_r2t = false);
    let c = rig.connect(1);
    let p = rig.login(
        c,
        &[
            ("HeaderDigest", "CRC32C"),
            ("DataDigest", "CRC32C"),
            ("InitialR2T", "No"),
            ("ImmediateData", "No"),
            ("FirstBurstLength", "1024"),
        ],
    );
    assert_eq!(get(&p, "InitialR2T"), Some("No"));
    rig.set_digests(c, Digests::BOTH);
    rig.clear_ua(c);
    // Four blocks: two in unsolicited Data-Out, two through an R2T.
    let mut cmd = rig.write10(0, 4);
    cmd.final_bit = false;
    let itt = cmd.itt;
    rig.send(c, cmd);
    let d0 = data_out(itt, u32::MAX, 0, 0, vec![7u8; 512], false);
    rig.send_bytes(c, &damaged(d0));
    let j = recv_as!(rig, c, Reject);
    assert_eq!(j.reason, RejectReason::DataDigestError);
    // RFC 7143 §7.3: a Reject of a PDU other than the command leaves the
    // task alive: nothing else until the data is all in (§7.8).
    assert!(rig.nothing(c));
    rig.send(c, data_out(itt, u32::MAX, 1, 512, vec![7u8; 512], true));
    let r = recv_as!(rig, c, ReadyToTransfer);
    assert_eq!(
        (r.buffer_offset, r.desired_data_transfer_length),
        (1024, 1024)
    );
    rig.send(c, data_out(itt, r.ttt, 0, 1024, vec![7u8; 1024], true));
    let (status, sense) = rig.recv_status(c);
    assert_eq!(status, ScsiStatus::CheckCondition);
    assert_eq!((sense[2] & 0x0f, sense[12], sense[13]), (0x0b, 0x47, 0x05));
    // Nothing was written.
    let cmd = rig.read10(0, 4);
    rig.send(c, cmd);
    let d = recv_as!(rig, c, DataIn);
    assert_eq!(d.data.as_ref(), &[0u8; 2048][..]);
}

#[test]
fn unknown_opcode_and_wrong_direction_are_rejected() {
    let (mut rig, c) = Rig::logged_in();
    for (op, want) in [
        (0x1du8, RejectReason::CommandNotSupported),
        (0x21, RejectReason::ProtocolError),
    ] {
        let mut bhs = [0u8; BHS_LEN];
        bhs[0] = op;
        let raw = RawPdu::new(bhs, Default::default(), Default::default());
        rig.send_bytes(c, &raw.encode(Digests::NONE));
        let j = recv_as!(rig, c, Reject);
        assert_eq!(j.reason, want);
        assert_eq!(j.rejected_header().unwrap()[0], op);
    }
    rig.send(c, SnackRequest::default());
    let j = recv_as!(rig, c, Reject);
    assert_eq!(j.reason, RejectReason::ProtocolError);
    assert!(!rig.closed(c));
}

#[test]
fn over_long_data_segment_is_rejected() {
    let mut rig = Rig::with_session(|s| s.max_recv_data_segment_length = 4096);
    let c = rig.connect(1);
    rig.login(c, &[]);
    let mut cmd = rig.write10(0, 16);
    cmd.data = bytes::Bytes::from(vec![0u8; 8192]);
    rig.send(c, cmd);
    let j = recv_as!(rig, c, Reject);
    assert_eq!(j.reason, RejectReason::ProtocolError);
}

#[test]
fn random_bytes_never_panic() {
    let mut src = SeededRandom::new(7);
    for round in 0..200u64 {
        let mut rig = Rig::new();
        let c = rig.connect(round);
        if round % 2 == 0 {
            rig.login(c, &[]);
        }
        for _ in 0..8 {
            let mut buf = vec![0u8; (src.next_u32() % 300) as usize];
            src.fill(&mut buf);
            if let Some(b) = buf.first_mut() {
                // Mostly valid opcodes, to get past the first checks.
                *b = [0x01, 0x03, 0x04, 0x05, 0x06, 0x00, 0x02, 0x10][(round % 8) as usize]
                    | (*b & 0x40);
            }
            rig.core.handle_bytes(c, rig.now, &buf);
            rig.run();
        }
        rig.advance(std::time::Duration::from_secs(100));
        rig.core.handle_closed(c, rig.now);
        rig.run();
        assert_eq!(rig.core.connection_count(), 0);
    }
}
