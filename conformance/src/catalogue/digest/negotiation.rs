//! Negotiating HeaderDigest and DataDigest (RFC 7143 §13.1, §6.2.1): the
//! target takes the first value of our list it supports, and the digests
//! agreed are then on every PDU both ways.

use crate::context::Context;
use crate::harness::blocks;
use crate::harness::session::RawSession;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use crate::wire::last_value;

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "iscsi.digest.header-crc32c-first",
        clause: "RFC 7143 §13.1, §6.2.1",
        level: Level::Must,
        requirement: "offered HeaderDigest=CRC32C,None the target answers CRC32C when it \
                      supports it (the first value it supports), and a session with the \
                      answer works",
        needs: Needs::NONE,
        run: header_crc_first,
    },
    Scenario {
        id: "iscsi.digest.header-none-first",
        clause: "RFC 7143 §13.1, §6.2.1",
        level: Level::Must,
        requirement: "offered HeaderDigest=None,CRC32C the target answers None unless it \
                      refuses to run without digests, and a session with the answer works",
        needs: Needs::NONE,
        run: header_none_first,
    },
    Scenario {
        id: "iscsi.digest.data-crc32c-first",
        clause: "RFC 7143 §13.1, §6.2.1",
        level: Level::Must,
        requirement: "offered DataDigest=CRC32C,None the target answers CRC32C when it \
                      supports it, and Data-In then carries correct data digests",
        needs: Needs::NONE,
        run: data_crc_first,
    },
    Scenario {
        id: "iscsi.digest.data-none-first",
        clause: "RFC 7143 §13.1, §6.2.1",
        level: Level::Must,
        requirement: "offered DataDigest=None,CRC32C the target answers None unless it \
                      refuses to run without digests, and a session with the answer works",
        needs: Needs::NONE,
        run: data_none_first,
    },
];

/// Logs in offering `key`=`list`; the answer, with the session proven to
/// work (a ping and a command with data both ways of framing).
fn offer(
    ctx: &mut Context,
    key: &str,
    list: &str,
) -> Result<Result<String, Outcome>, ScenarioError> {
    let mut s = match RawSession::open(ctx, &[(key, list)]) {
        Ok(s) => s,
        Err(ScenarioError::Login(why)) => {
            return Ok(Err(Outcome::fail(
                format!("a login offering {key}={list}"),
                why,
            )))
        }
        Err(e) => return Err(e),
    };
    // RFC 7143 §6.2.1: "the responding party MUST respond with the same key
    // and the first value that it supports": no answer is no default.
    let Some(answer) = last_value(&s.keys, key).map(str::to_owned) else {
        return Ok(Err(Outcome::fail(
            format!("{key} answered with one of {list}"),
            format!("no {key} in the answer"),
        )));
    };
    if !list.split(',').any(|v| v == answer) {
        return Ok(Err(Outcome::fail(
            format!("{key} answered with one of {list}"),
            format!("{key}={answer}"),
        )));
    }
    if !s.ping(ctx)? {
        return Ok(Err(Outcome::fail(
            format!("a ping answered with {key}={answer}"),
            "no answer",
        )));
    }
    blocks::block_size(ctx, &mut s)?;
    s.logout(ctx);
    Ok(Ok(answer))
}

/// The target's answer to `key` offered `value` alone, None when it refuses
/// the login with a Login Response of status class 2 (RFC 7143 §6.2.1: it
/// "may use the constant \"Reject\" or terminate the negotiation"); any
/// other end of the login, or no answer to `key`, is the verdict.
fn alone(
    ctx: &mut Context,
    key: &str,
    value: &str,
) -> Result<Result<Option<String>, Outcome>, ScenarioError> {
    let expected = format!("{key} answered, or the login refused with status class 2");
    match RawSession::open_or_refused(ctx, &[(key, value)])? {
        Ok(s) => {
            let answer = last_value(&s.keys, key).map(str::to_owned);
            s.logout(ctx);
            Ok(match answer {
                Some(a) => Ok(Some(a)),
                None => Err(Outcome::fail(
                    expected,
                    format!("no {key} answering {key}={value}"),
                )),
            })
        }
        Err(reply) if reply.is_initiator_error() => Ok(Ok(None)),
        Err(reply) => Ok(Err(Outcome::fail(expected, reply.describe()))),
    }
}

/// Offers `first,second`; when the answer is `second`, checks that
/// `first` alone is refused.
fn ordered(ctx: &mut Context, key: &str, first: &str, second: &str) -> Verdict {
    let list = format!("{first},{second}");
    let answer = match offer(ctx, key, &list)? {
        Ok(a) => a,
        Err(outcome) => return Ok(outcome),
    };
    if answer == first {
        return Ok(Outcome::Pass);
    }
    let first_alone = match alone(ctx, key, first)? {
        Ok(a) => a,
        Err(outcome) => return Ok(outcome),
    };
    Ok(Outcome::check(
        first_alone.as_deref() != Some(first),
        format!("{key}={first}, the first value of {list}, since the target accepts it alone"),
        format!("{key}={answer}"),
    ))
}

cases! {
    header_crc_first => ordered("HeaderDigest", "CRC32C", "None");
    header_none_first => ordered("HeaderDigest", "None", "CRC32C");
    data_crc_first => ordered("DataDigest", "CRC32C", "None");
    data_none_first => ordered("DataDigest", "None", "CRC32C");
}
