//! Keys the target did not expect: unknown, extension, duplicated, oversize,
//! reserved constants as offers, keys out of their stage, obsolete keys
//! (RFC 7143 §6.1, §6.2, §6.3, §13, §13.25).

use super::answer::{expect_one_of, expect_reject, of, offer, Answer};
use crate::context::Context;
use crate::harness::login::{RawLogin, Reply, Step};
use crate::scenario::{Level, Outcome, Scenario, Verdict};
use rtgt_proto::pdu::LoginStage;

const Q: u16 = 0x6400;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "iscsi.negotiation.unknown-key",
        "RFC 7143 §6.2",
        Level::Must,
        "a key the target does not know is answered key=NotUnderstood and the login goes on",
        unknown_key,
    ),
    Scenario::new(
        "iscsi.negotiation.private-extension-key",
        "RFC 7143 §13.22",
        Level::Must,
        "an X- extension key the target does not implement is answered NotUnderstood (a target \
       that implements it answers with a value)",
        private_extension,
    ),
    Scenario::new(
        "iscsi.negotiation.registered-extension-key",
        "RFC 7143 §13.22",
        Level::Must,
        "an X# extension key the target does not implement is answered NotUnderstood (a \
       target that implements it answers with a value)",
        registered_extension,
    ),
    Scenario::new(
        "iscsi.negotiation.key-name-too-long",
        "RFC 7143 §6.1",
        Level::Must,
        "a key name of 64 characters (the limit is 63) is never taken silently: it is answered \
       NotUnderstood or Reject, or the login is refused",
        key_name_too_long,
    ),
    Scenario::new(
        "iscsi.negotiation.value-too-long",
        "RFC 7143 §6.1",
        Level::Must,
        "a HeaderDigest value of 300 bytes (a value is at most 255) is answered Reject, or the \
       login is refused",
        value_too_long,
    ),
    Scenario::new(
        "iscsi.negotiation.reserved-constant-offered",
        "RFC 7143 §6.2",
        Level::Must,
        "offering a reserved answer constant (DataDigest=Irrelevant) is a protocol error: the \
       login is refused, or at least the offer answered Reject",
        reserved_constant,
    ),
    Scenario::new(
        "iscsi.negotiation.duplicate-key-one-request",
        "RFC 7143 §6.3",
        Level::Must,
        "a key offered twice in one Login Request makes the target refuse the login as an \
       initiator error",
        duplicate_one_request,
    ),
    Scenario::new(
        "iscsi.negotiation.duplicate-key-two-requests",
        "RFC 7143 §6.3",
        Level::Must,
        "a key negotiated again in a later Login Request of the same login makes the target \
       refuse the login as an initiator error",
        duplicate_two_requests,
    ),
    Scenario::new(
        "iscsi.negotiation.markers-obsolete",
        "RFC 7143 §13.25",
        Level::Should,
        "OFMarker=Yes and IFMarker=Yes (obsolete) are each answered Reject (No is also \
       allowed); never Irrelevant, NotUnderstood or Yes",
        markers,
    ),
    Scenario::new(
        "iscsi.negotiation.marker-intervals-obsolete",
        "RFC 7143 §13.25",
        Level::Must,
        "OFMarkInt and IFMarkInt (obsolete) are each answered Reject; never Irrelevant or \
       NotUnderstood",
        marker_intervals,
    ),
    Scenario::new(
        "iscsi.negotiation.security-key-in-operational-stage",
        "RFC 7143 §12.1",
        Level::Should,
        "AuthMethod in the operational stage (it belongs to the security stage) is not \
       negotiated there: it is answered Reject or Irrelevant, or the login is refused",
        security_key_in_operational,
    ),
    Scenario::new(
        "iscsi.negotiation.text-continuation",
        "RFC 7143 §6.1, §6.2",
        Level::Must,
        "the data of Login Requests with C=1 and the next one with C=0 form one text: the \
       target answers a request with C=1 with an empty Login Response (T=0) and answers the \
       keys, including one split across the two requests, once the text is complete",
        text_continuation,
    ),
];

fn unknown_key(ctx: &mut Context) -> Verdict {
    let key = "RtgtConformanceProbe";
    let a = offer(ctx, Q, &[(key, "Yes")], key)?;
    Ok(expect_one_of(&a, key, &["NotUnderstood"], false))
}

fn extension(ctx: &mut Context, q: u16, key: &str) -> Verdict {
    let a = offer(ctx, q, &[(key, "Yes")], key)?;
    // RFC 7143 §6.2: a key the target does not understand is answered
    // NotUnderstood; Reject (or Irrelevant) would claim it knows the key
    // and finds the probe's value wrong or moot, which no target
    // implementing this invented key can.
    Ok(Outcome::check(
        matches!(&a, Answer::Value(v) if v != "Reject" && v != "Irrelevant"),
        format!("{key}=NotUnderstood, or the value of a target implementing it"),
        a.describe(key),
    ))
}

cases! {
    private_extension => extension(Q + 1, "X-org.rtgt.ConformanceProbe");
    registered_extension => extension(Q + 2, "X#RtgtConformanceProbe");
}

fn key_name_too_long(ctx: &mut Context) -> Verdict {
    let key = format!("Rtgt{}", "K".repeat(60));
    let a = offer(ctx, Q + 3, &[(&key, "Yes")], &key)?;
    Ok(Outcome::check(
        a.one_of_or_refused(&["NotUnderstood", "Reject"]),
        "NotUnderstood or Reject for the 64-character key, or the login refused",
        a.describe("the 64-character key"),
    ))
}

fn value_too_long(ctx: &mut Context) -> Verdict {
    let long = "C".repeat(300);
    let a = offer(ctx, Q + 4, &[("HeaderDigest", &long)], "HeaderDigest")?;
    Ok(expect_reject(&a, "HeaderDigest"))
}

fn reserved_constant(ctx: &mut Context) -> Verdict {
    let a = offer(ctx, Q + 5, &[("DataDigest", "Irrelevant")], "DataDigest")?;
    Ok(expect_reject(&a, "DataDigest"))
}

fn refused(step: &Step, what: &str) -> Outcome {
    match step {
        Step::Refused(reply) => Outcome::check(
            reply.is_refusal(),
            format!("{what}: the login refused as an initiator error"),
            reply.describe(),
        ),
        Step::Done(_) => Outcome::fail(format!("{what}: the login refused"), "a successful login"),
    }
}

fn duplicate_one_request(ctx: &mut Context) -> Verdict {
    let keys = [("MaxBurstLength", "131072"), ("MaxBurstLength", "65536")];
    let (_, step) = RawLogin::full(ctx, Q + 6, &keys)?;
    Ok(refused(&step, "MaxBurstLength twice in one request"))
}

fn duplicate_two_requests(ctx: &mut Context) -> Verdict {
    let mut login = match RawLogin::after_security(ctx, Q + 7)? {
        Ok(login) => login,
        Err(outcome) => return Ok(outcome),
    };
    let op = LoginStage::LoginOperationalNegotiation;
    let reply = login.exchange(ctx, op, op, false, &[("MaxBurstLength", "131072")])?;
    if reply.status() != Some(0) {
        return Ok(Outcome::fail(
            "a successful Login Response",
            reply.describe(),
        ));
    }
    let step = login.operational(ctx, &[("MaxBurstLength", "65536")])?;
    Ok(refused(&step, "MaxBurstLength again in a later request"))
}

/// RFC 7143 §13.25: for IFMarker or OFMarker an implementation "SHOULD
/// respond with the constant \"Reject\"" and "MAY alternatively respond
/// with a \"No\""; "MUST NOT respond with a \"NotUnderstood\"". Irrelevant is
/// neither.
fn markers(ctx: &mut Context) -> Verdict {
    let (_, step) = RawLogin::full(ctx, Q + 8, &[("OFMarker", "Yes"), ("IFMarker", "Yes")])?;
    let allowed = ["Reject", "No"];
    for key in ["OFMarker", "IFMarker"] {
        let outcome = expect_one_of(&of(&step, key), key, &allowed, false);
        if outcome != Outcome::Pass {
            return Ok(outcome);
        }
    }
    Ok(Outcome::Pass)
}

/// RFC 7143 §13.25: for IFMarkInt or OFMarkInt an implementation "MUST
/// respond with the constant \"Reject\"".
fn marker_intervals(ctx: &mut Context) -> Verdict {
    let keys = [("OFMarkInt", "2048~4096"), ("IFMarkInt", "2048~4096")];
    let (_, step) = RawLogin::full(ctx, Q + 9, &keys)?;
    for key in ["OFMarkInt", "IFMarkInt"] {
        let outcome = expect_one_of(&of(&step, key), key, &["Reject"], false);
        if outcome != Outcome::Pass {
            return Ok(outcome);
        }
    }
    Ok(Outcome::Pass)
}

fn security_key_in_operational(ctx: &mut Context) -> Verdict {
    let a = offer(ctx, Q + 10, &[("AuthMethod", "None")], "AuthMethod")?;
    Ok(Outcome::check(
        a.one_of_or_refused(&["Reject", "Irrelevant"]),
        "AuthMethod=Reject or Irrelevant, or the login refused",
        a.describe("AuthMethod"),
    ))
}

fn text_continuation(ctx: &mut Context) -> Verdict {
    let mut login = match RawLogin::after_security(ctx, Q + 11)? {
        Ok(login) => login,
        Err(outcome) => return Ok(outcome),
    };
    let op = LoginStage::LoginOperationalNegotiation;
    let ffp = LoginStage::FullFeaturePhase;
    let text = b"MaxBurstLength=131072\0HeaderDigest=None\0";
    let cut = 28; // inside "HeaderDigest"
    let mut part1 = login.request((op, op), false, &[]);
    part1.continue_bit = true;
    part1.data = bytes::Bytes::copy_from_slice(&text[..cut]);
    let reply = login.send(ctx, part1)?;
    let acknowledged = match &reply {
        Reply::Response(r) => r.status.raw() == 0 && !r.transit && r.data.is_empty(),
        _ => false,
    };
    if !acknowledged {
        return Ok(Outcome::fail(
            "an empty, successful Login Response with T=0 for the first part",
            reply.describe(),
        ));
    }
    let mut part2 = login.request((op, ffp), true, &[]);
    part2.data = bytes::Bytes::copy_from_slice(&text[cut..]);
    let reply = login.send(ctx, part2)?;
    let step = match &reply {
        Reply::Response(r) if r.status.raw() == 0 => Step::Done(crate::wire::keys_of(&r.data)),
        _ => {
            return Ok(Outcome::fail(
                "a successful Login Response",
                reply.describe(),
            ))
        }
    };
    let burst = of(&step, "MaxBurstLength");
    let digest = of(&step, "HeaderDigest");
    Ok(Outcome::check(
        digest.value() == Some("None") && burst.value().is_some(),
        "both keys of the joined text answered (HeaderDigest=None)",
        format!(
            "{}; {}",
            burst.describe("MaxBurstLength"),
            digest.describe("HeaderDigest")
        ),
    ))
}
