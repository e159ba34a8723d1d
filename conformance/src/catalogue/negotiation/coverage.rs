//! Every key of RFC 7143 §13 in one login, discovery sessions, and keys in
//! full feature phase Text negotiation (RFC 7143 §6.2, §6.2.2, §13).

use super::answer::legal_value;
use crate::context::Context;
use crate::harness::login::{RawLogin, Step, LOGIN_CMD_SN};
use crate::scenario::{Level, Outcome, Scenario, ScenarioError, Verdict};
use crate::wire::last_value;
use crate::wire::{keys_of, Received};
use bytes::Bytes;
use rtgt_proto::pdu::{Pdu, TextRequest};
use rtgt_proto::text::{self, Pair};

const Q: u16 = 0x6500;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "iscsi.negotiation.rfc-keys-understood",
        "RFC 7143 §6.2",
        Level::Must,
        "no key of RFC 7143 §13 offered as specified is answered NotUnderstood",
        keys_understood,
    ),
    Scenario::new(
        "iscsi.negotiation.negotiated-keys-answered",
        "RFC 7143 §6.2.2",
        Level::Must,
        "every offered list or numerical key, and every Boolean whose result the offer leaves \
       open, gets an answer",
        keys_answered,
    ),
    Scenario::new(
        "iscsi.negotiation.answers-well-formed",
        "RFC 7143 §13",
        Level::Must,
        "every key the target sends during login (its declarations such as \
       MaxRecvDataSegmentLength, TargetAlias and TargetPortalGroupTag, and its answers) has a \
       value of the key's type and range, or a reserved answer constant",
        answers_well_formed,
    ),
    Scenario::new(
        "iscsi.negotiation.initiator-alias-accepted",
        "RFC 7143 §13.7",
        Level::Must,
        "an InitiatorAlias declaration is taken without a NotUnderstood or Reject answer",
        initiator_alias,
    ),
    Scenario::new(
        "iscsi.negotiation.discovery-irrelevant-keys",
        "RFC 7143 §13",
        Level::Must,
        "keys irrelevant in a discovery session (InitialR2T, MaxBurstLength, MaxConnections) \
       do not break its login: each is answered Irrelevant, a legal value, or not at all",
        discovery_irrelevant,
    ),
    Scenario::new(
        "iscsi.negotiation.mrdsl-in-full-feature-text",
        "RFC 7143 §13.12",
        Level::Must,
        "MaxRecvDataSegmentLength may be declared again in full feature phase: a Text Request \
       carrying it gets a Text Response without NotUnderstood or Reject",
        mrdsl_in_text,
    ),
    Scenario::new(
        "iscsi.negotiation.login-only-key-in-full-feature-text",
        "RFC 7143 §13",
        // RFC 3720 §12.13 gives MaxBurstLength "Use: LO" and §5.4 says
        // "Some operational parameters MAY be negotiated outside (after) the
        // Login Phase"; no sentence read says how a target answers a
        // leading-only key in a Text Request: a MAY.
        Level::May,
        "a leading-only key (MaxBurstLength) in a full feature phase Text Request is not \
       renegotiated: it is answered Reject, Irrelevant or NotUnderstood, or the PDU \
       rejected",
        login_key_in_text,
    ),
];

/// Every operational key of §13 with a legal value; the Booleans offered
/// so that the target decides (OR with No, AND with Yes).
const ALL_KEYS: &[(&str, &str)] = &[
    ("HeaderDigest", "None"),
    ("DataDigest", "None"),
    ("MaxConnections", "1"),
    ("InitialR2T", "No"),
    ("ImmediateData", "Yes"),
    ("MaxRecvDataSegmentLength", "65536"),
    ("MaxBurstLength", "262144"),
    ("FirstBurstLength", "65536"),
    ("DefaultTime2Wait", "2"),
    ("DefaultTime2Retain", "20"),
    ("MaxOutstandingR2T", "1"),
    ("DataPDUInOrder", "No"),
    ("DataSequenceInOrder", "No"),
    ("ErrorRecoveryLevel", "0"),
    ("InitiatorAlias", "rtgt conformance"),
];

fn all_keys(ctx: &mut Context, q: u16) -> Result<Result<Vec<Pair>, Outcome>, ScenarioError> {
    let (_, step) = RawLogin::full(ctx, q, ALL_KEYS)?;
    Ok(match step {
        Step::Done(pairs) => Ok(pairs),
        Step::Refused(reply) => Err(Outcome::fail("a successful login", reply.describe())),
    })
}

/// Logs in offering every key ([`all_keys`]); pass when `wrong` finds no
/// key amiss in the answer, else the keys it found, after `got`.
fn no_key_amiss(
    ctx: &mut Context,
    q: u16,
    wrong: impl FnOnce(&[Pair]) -> Vec<String>,
    (expected, got): (&str, &str),
) -> Verdict {
    let pairs = match all_keys(ctx, q)? {
        Ok(p) => p,
        Err(outcome) => return Ok(outcome),
    };
    let bad = wrong(&pairs);
    Ok(Outcome::check(
        bad.is_empty(),
        expected,
        format!("{got} {}", bad.join(", ")),
    ))
}

fn keys_understood(ctx: &mut Context) -> Verdict {
    let not_understood = |pairs: &[Pair]| {
        pairs
            .iter()
            .filter(|p| p.value == "NotUnderstood")
            .map(|p| p.key.clone())
            .collect()
    };
    let texts = ("no NotUnderstood", "NotUnderstood for");
    no_key_amiss(ctx, Q, not_understood, texts)
}

fn keys_answered(ctx: &mut Context) -> Verdict {
    let unanswered = |pairs: &[Pair]| {
        ALL_KEYS
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| {
                text::lookup(k).is_some_and(|d| d.kind != text::KeyKind::Declarative)
                    && last_value(pairs, k).is_none()
            })
            .map(str::to_owned)
            .collect()
    };
    let texts = ("an answer to every negotiated key", "no answer to");
    no_key_amiss(ctx, Q + 1, unanswered, texts)
}

fn answers_well_formed(ctx: &mut Context) -> Verdict {
    let pairs = match all_keys(ctx, Q + 2)? {
        Ok(p) => p,
        Err(outcome) => return Ok(outcome),
    };
    Ok(
        match pairs.iter().find(|p| !legal_value(&p.key, &p.value)) {
            None => Outcome::Pass,
            Some(p) => Outcome::fail("legal values only", format!("{}={}", p.key, p.value)),
        },
    )
}

fn initiator_alias(ctx: &mut Context) -> Verdict {
    let (_, step) = RawLogin::full(ctx, Q + 3, &[("InitiatorAlias", "rtgt conformance")])?;
    Ok(match step {
        Step::Done(pairs) => match last_value(&pairs, "InitiatorAlias") {
            Some(v @ ("NotUnderstood" | "Reject")) => Outcome::fail(
                "InitiatorAlias taken silently",
                format!("InitiatorAlias={v}"),
            ),
            _ => Outcome::Pass,
        },
        Step::Refused(reply) => Outcome::fail("a successful login", reply.describe()),
    })
}

fn discovery_irrelevant(ctx: &mut Context) -> Verdict {
    let mut login = RawLogin::connect(ctx, Q + 4)?;
    let first = vec![
        (
            "InitiatorName".to_owned(),
            ctx.target.initiator_name.clone(),
        ),
        ("SessionType".to_owned(), "Discovery".to_owned()),
    ];
    if let Some(outcome) = login.secure(ctx, &first)? {
        return Ok(outcome);
    }
    let keys = [
        ("InitialR2T", "No"),
        ("MaxBurstLength", "131072"),
        ("MaxConnections", "1"),
    ];
    let pairs = match login.operational(ctx, &keys)? {
        Step::Done(pairs) => pairs,
        Step::Refused(reply) => {
            return Ok(Outcome::fail(
                "a successful discovery login",
                reply.describe(),
            ))
        }
    };
    for (key, _) in keys {
        if let Some(v) = last_value(&pairs, key) {
            if v == "NotUnderstood" || v == "Reject" || !legal_value(key, v) {
                return Ok(Outcome::fail(
                    format!("{key}=Irrelevant, a legal value or no answer"),
                    format!("{key}={v}"),
                ));
            }
        }
    }
    Ok(Outcome::Pass)
}

/// A full feature phase Text Request with `keys` on a fresh session: the
/// keys of the Text Response, or what came instead.
fn text_exchange(
    ctx: &mut Context,
    q: u16,
    keys: &[(&str, &str)],
) -> Result<Result<Vec<Pair>, String>, ScenarioError> {
    let (mut login, step) = RawLogin::full(ctx, q, &[])?;
    if let Step::Refused(reply) = step {
        return Ok(Err(format!("the login failed: {}", reply.describe())));
    }
    let pairs: Vec<Pair> = keys.iter().map(|(k, v)| Pair::new(*k, *v)).collect();
    let request = TextRequest {
        immediate: true,
        itt: 0x7e07,
        cmd_sn: LOGIN_CMD_SN,
        exp_stat_sn: login.exp_stat_sn,
        data: Bytes::from(text::encode(&pairs)),
        ..TextRequest::default()
    };
    login.wire.send(ctx, request)?;
    let timeout = ctx.target.timeout;
    Ok(match login.wire.recv(ctx, timeout)? {
        Received::Pdu(Pdu::TextResponse(r)) => Ok(keys_of(&r.data)),
        other => Err(other.describe()),
    })
}

fn mrdsl_in_text(ctx: &mut Context) -> Verdict {
    Ok(
        match text_exchange(ctx, Q + 5, &[("MaxRecvDataSegmentLength", "65536")])? {
            Ok(pairs) => match last_value(&pairs, "MaxRecvDataSegmentLength") {
                Some(v)
                    if !legal_value("MaxRecvDataSegmentLength", v)
                        || v == "NotUnderstood"
                        || v == "Reject" =>
                {
                    Outcome::fail(
                        "the declaration taken",
                        format!("MaxRecvDataSegmentLength={v}"),
                    )
                }
                _ => Outcome::Pass,
            },
            Err(what) => Outcome::fail("a Text Response", what),
        },
    )
}

fn login_key_in_text(ctx: &mut Context) -> Verdict {
    Ok(
        match text_exchange(ctx, Q + 6, &[("MaxBurstLength", "65536")])? {
            Ok(pairs) => match last_value(&pairs, "MaxBurstLength") {
                Some("Reject" | "Irrelevant" | "NotUnderstood") => Outcome::Pass,
                other => Outcome::fail(
                    "MaxBurstLength=Reject, Irrelevant or NotUnderstood",
                    format!("MaxBurstLength={}", other.unwrap_or("(no answer)")),
                ),
            },
            Err(what) if what.contains("Reject") || what.contains("closed") => Outcome::Pass,
            Err(what) => Outcome::fail("a Text Response refusing the key, or a Reject", what),
        },
    )
}
