//! Scenarios of header and data digests (RFC 7143 §13.1, §11.2.4, §7.8):
//! their negotiation, corrupted digests both kinds, and padding.

use crate::context::Context;
use crate::harness::session::RawSession;
use crate::scenario::{Outcome, Scenario, ScenarioError};
use crate::wire::last_value;
use rtgt_proto::digest::{crc32c, to_wire};
use rtgt_proto::pdu::{Digests, Pdu, RawPdu};

mod data;
mod header;
mod negotiation;
mod padding;

/// This area's scenarios, one slice per file.
pub const SCENARIOS: &[&[Scenario]] = &[
    negotiation::SCENARIOS,
    header::SCENARIOS,
    data::SCENARIOS,
    padding::SCENARIOS,
];

/// A session with CRC32C proposed alone for the digests asked and `extra`
/// keys; `Err(NotApplicable)` when the target does not take CRC32C.
fn crc_session(
    ctx: &mut Context,
    header: bool,
    data: bool,
    extra: &[(&str, &str)],
) -> Result<Result<RawSession, Outcome>, ScenarioError> {
    let mut keys = extra.to_vec();
    if header {
        keys.push(("HeaderDigest", "CRC32C"));
    }
    if data {
        keys.push(("DataDigest", "CRC32C"));
    }
    let s = match offered(ctx, &keys)? {
        Ok(s) => s,
        Err(outcome) => return Ok(Err(outcome)),
    };
    for (on, key) in [(header, "HeaderDigest"), (data, "DataDigest")] {
        if !on {
            continue;
        }
        // RFC 7143 §6.2.1: "the responding party MUST respond with the same
        // key": no answer fails. Another answer than CRC32C leaves the digest
        // untested (n/a); "None" is named a departure, since "None is only a
        // valid selection if it is explicitly proposed".
        match last_value(&s.keys, key) {
            Some("CRC32C") => {}
            Some(other) => {
                let departure = if other == "None" {
                    " (RFC 7143 §6.2.1 allows None only when offered)"
                } else {
                    ""
                };
                return Ok(Err(Outcome::not_applicable(format!(
                    "the target answers {key}={other} to {key}=CRC32C{departure}"
                ))));
            }
            None => {
                return Ok(Err(Outcome::fail(
                    format!("{key} answered (CRC32C, or Reject) to {key}=CRC32C"),
                    format!("no {key} in the answer"),
                )))
            }
        }
    }
    Ok(Ok(s))
}

/// A session offering `keys`, or the verdict on the login that did not
/// become one. RFC 7143 §6.2.1: an acceptor that does not support, or "is
/// not allowed to use any of the proposed options with a specific
/// originator, ... may use the constant \"Reject\" or terminate the
/// negotiation"; a login ended so is a Login Response of status class 2
/// (§11.13.5), n/a here. Any other end (a target error, a close without a
/// Login Response) fails.
fn offered(
    ctx: &mut Context,
    keys: &[(&str, &str)],
) -> Result<Result<RawSession, Outcome>, ScenarioError> {
    let listed = keys
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ");
    Ok(match RawSession::open_or_refused(ctx, keys)? {
        Ok(s) => Ok(s),
        Err(reply) if reply.is_initiator_error() => Err(Outcome::not_applicable(format!(
            "the target refuses a login offering {listed}: {}",
            reply.describe()
        ))),
        Err(reply) => Err(Outcome::fail(
            format!("a login offering {listed}, or a Login Response of status class 2 refusing it"),
            reply.describe(),
        )),
    })
}

/// `pdu` encoded with `digests`, its header digest spoiled.
fn bad_header_digest(pdu: &Pdu, digests: Digests) -> Vec<u8> {
    let raw = pdu.to_raw();
    let mut bytes = raw.encode(digests);
    let at = rtgt_proto::pdu::BHS_LEN + raw.ahs.len();
    if let Some(b) = bytes.get_mut(at) {
        *b ^= 0x01;
    }
    bytes
}

/// `raw` encoded with both digests, its data digest spoiled.
fn bad_data_digest(raw: &RawPdu, digests: Digests) -> Vec<u8> {
    let mut bytes = raw.encode(digests);
    if let Some(b) = bytes.last_mut() {
        *b ^= 0x80;
    }
    bytes
}

/// `raw` with a data digest over its data alone, leaving the padding out.
fn digest_without_padding(raw: &RawPdu, digests: Digests) -> Vec<u8> {
    let mut bytes = raw.encode(digests);
    let n = bytes.len();
    if n >= 4 {
        bytes[n - 4..].copy_from_slice(&to_wire(crc32c(&raw.data)));
    }
    bytes
}

/// Whether a NOP-In among `got` answers the ping of ITT `itt`.
fn answers_ping(got: &[Pdu], itt: u32) -> bool {
    got.iter()
        .any(|p| matches!(p, Pdu::NopIn(n) if n.itt == itt))
}
