//! PDUs the target does not know (RFC 7143 §11.17, §11.2.1.2, §7.7): an
//! opcode RFC 7143 does not define and a vendor-specific one are rejected
//! with the offending header, and the connection goes on.

use crate::context::Context;
use crate::harness::session::RawSession;
use crate::scenario::{Level, Needs, Outcome, Scenario, Verdict};
use bytes::Bytes;
use rtgt_proto::pdu::{Pdu, RawPdu, RejectReason};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "iscsi.pdu.undefined-opcode",
        clause: "RFC 7143 §11.17.1, §7.7",
        // The text defines the answer (Reject, "Command not supported") but
        // no keyword obliges it: a close is reported, not failed.
        level: Level::Should,
        requirement: "a PDU with an opcode RFC 7143 does not define (0x0d) is answered with a \
                      Reject (protocol error 0x04 or command not supported 0x05) carrying its \
                      header, not a close; pings still work after it",
        needs: Needs::NONE,
        run: undefined,
    },
    Scenario {
        id: "iscsi.pdu.vendor-opcode",
        clause: "RFC 7143 §11.17.1, §11.2.1.2, §7.7",
        level: Level::Should,
        requirement: "a vendor-specific opcode (0x1c) the target does not implement is \
                      answered with a Reject (0x04 or 0x05) carrying its header, not a \
                      close; pings still work after it",
        needs: Needs::NONE,
        run: vendor,
    },
];

fn opcode(ctx: &mut Context, op: u8) -> Verdict {
    let mut s = RawSession::open(ctx, &[])?;
    let itt = s.itt();
    let mut bhs = [0u8; 48];
    bhs[0] = 0x40 | op;
    bhs[1] = 0x80;
    bhs[16..20].copy_from_slice(&itt.to_be_bytes());
    bhs[24..28].copy_from_slice(&s.cmd_sn.to_be_bytes());
    bhs[28..32].copy_from_slice(&s.exp_stat_sn.to_be_bytes());
    let raw = RawPdu::new(bhs, Bytes::new(), Bytes::new());
    let digests = s.wire.digests();
    s.wire.send_raw(ctx, &raw, digests)?;
    let (got, closed) = s.gather_until(ctx, |p| matches!(p, Pdu::Reject(_)))?;
    let reject = got.iter().find_map(|p| match p {
        Pdu::Reject(r) => Some(r.clone()),
        _ => None,
    });
    // RFC 7143 §11.17: "Reject is used to indicate an iSCSI error condition
    // (protocol, unsupported option, etc.)", reason 0x05 "Command not
    // supported". Closing is kept for format errors, "illegal contents of
    // any PDU header field except the Opcode" (§7.7): an opcode the target
    // does not know is not one, so a close is not the answer the text
    // describes. No MUST or SHOULD says so in as many words, hence the
    // scenarios' SHOULD level: a close warns and fails only under --strict.
    let Some(r) = reject else {
        return Ok(Outcome::fail(
            "a Reject of reason 0x04 or 0x05",
            if closed {
                "the connection closed"
            } else {
                "silence"
            },
        ));
    };
    if !matches!(
        r.reason,
        RejectReason::ProtocolError | RejectReason::CommandNotSupported
    ) {
        return Ok(Outcome::fail(
            "Reject reason 0x04 or 0x05",
            format!("{:?}", r.reason),
        ));
    }
    if r.rejected_header() != Some(bhs) {
        return Ok(Outcome::fail(
            "the rejected header in the Reject",
            "another header",
        ));
    }
    crate::catalogue::checks::still_answers(ctx, s, "a ping answered after the Reject")
}

cases! {
    undefined => opcode(0x0d);
    vendor => opcode(0x1c);
}
