//! Padding of data segments (RFC 7143 §11.2.4, §13.1): padding is not
//! data, whatever its bytes, and the data digest covers it (§13.1:
//! "Padding bytes, when present in a segment covered by a CRC, SHOULD be
//! set to 0 and are included in the CRC").

use super::{answers_ping, crc_session, digest_without_padding};
use crate::context::Context;
use crate::harness::session::RawSession;
use crate::scenario::{Level, Needs, Outcome, Scenario, Verdict};
use bytes::Bytes;
use rtgt_proto::pdu::{NopOut, Pdu, RawPdu, RejectReason};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "iscsi.digest.nonzero-padding-ignored",
        clause: "RFC 7143 §11.2.4",
        level: Level::Must,
        requirement: "padding bytes are not data: a ping of 5 bytes padded with 0xff is \
                      answered with exactly those 5 bytes",
        needs: Needs::NONE,
        run: nonzero_padding,
    },
    Scenario {
        id: "iscsi.digest.padding-in-data-digest",
        clause: "RFC 7143 §13.1",
        level: Level::Must,
        requirement: "with DataDigest=CRC32C, a ping of 5 bytes whose digest covers its \
                      (non-zero) padding is accepted and echoed",
        needs: Needs::NONE,
        run: padding_digest,
    },
    Scenario {
        id: "iscsi.digest.padding-left-out-of-digest",
        clause: "RFC 7143 §13.1, §7.8",
        level: Level::Must,
        requirement: "a data digest computed without the padding is a wrong digest: the ping \
                      is rejected with reason 0x02 (or the connection closes), not echoed",
        needs: Needs::NONE,
        run: padding_left_out,
    },
];

const FIVE: &[u8] = b"rtgt5";

/// A ping of [`FIVE`] with `padding`, as a frame.
fn ping(s: &mut RawSession, padding: &'static [u8]) -> (u32, RawPdu) {
    let itt = s.itt();
    let mut raw = Pdu::NopOut(NopOut {
        immediate: true,
        itt,
        cmd_sn: s.cmd_sn,
        exp_stat_sn: s.exp_stat_sn,
        data: Bytes::from_static(FIVE),
        ..NopOut::default()
    })
    .to_raw();
    raw.padding = Bytes::from_static(padding);
    (itt, raw)
}

/// Sends `bytes` and checks the echo of [`FIVE`] under `itt`.
fn echoed(ctx: &mut Context, s: &mut RawSession, itt: u32, bytes: &[u8]) -> Verdict {
    s.wire.send_bytes(ctx, bytes)?;
    let (got, _) = s.gather_quiet(ctx)?;
    let echo = got.iter().find_map(|p| match p {
        Pdu::NopIn(n) if n.itt == itt => Some(n.data.clone()),
        _ => None,
    });
    Ok(match echo {
        Some(d) => Outcome::check(
            d.as_ref() == FIVE,
            "the 5 data bytes echoed",
            format!("{:02x?}", d.as_ref()),
        ),
        None => Outcome::fail("a NOP-In echoing the ping", "none"),
    })
}

/// A ping with `padding` after its data, sent whole on `s`: [`echoed`].
fn padded_ping(ctx: &mut Context, mut s: RawSession, padding: &'static [u8]) -> Verdict {
    let (itt, raw) = ping(&mut s, padding);
    let bytes = raw.encode(s.wire.digests());
    let verdict = echoed(ctx, &mut s, itt, &bytes)?;
    s.logout(ctx);
    Ok(verdict)
}

fn nonzero_padding(ctx: &mut Context) -> Verdict {
    let s = RawSession::open(ctx, &[])?;
    padded_ping(ctx, s, &[0xff, 0xff, 0xff])
}

fn padding_digest(ctx: &mut Context) -> Verdict {
    match crc_session(ctx, false, true, &[])? {
        Ok(s) => padded_ping(ctx, s, &[0xa5, 0x5a, 0xff]),
        Err(outcome) => Ok(outcome),
    }
}

fn padding_left_out(ctx: &mut Context) -> Verdict {
    let mut s = match crc_session(ctx, false, true, &[])? {
        Ok(s) => s,
        Err(outcome) => return Ok(outcome),
    };
    let (itt, raw) = ping(&mut s, &[0, 0, 0]);
    let bytes = digest_without_padding(&raw, s.wire.digests());
    s.wire.send_bytes(ctx, &bytes)?;
    let (got, closed) = s.gather_quiet(ctx)?;
    if answers_ping(&got, itt) {
        return Ok(Outcome::fail("the ping rejected", "a NOP-In echoing it"));
    }
    let rejected = got
        .iter()
        .any(|p| matches!(p, Pdu::Reject(r) if r.reason == RejectReason::DataDigestError));
    Ok(Outcome::check(
        rejected || closed,
        "a Reject with reason 0x02 or the connection closed",
        "silence",
    ))
}
