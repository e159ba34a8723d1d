//! Numerical negotiations (RFC 7143 §6.2.2, §13.2, §13.13-§13.17, §13.20;
//! RFC 7144 §2.1): the result functions, the ranges, the value types.

use super::answer::{expect_number, offer, rejected, Answer};
use crate::context::Context;
use crate::harness::login::{RawLogin, Step};
use crate::scenario::{Level, Outcome, Scenario, Verdict};
use crate::wire::last_value;
use rtgt_proto::text::value;

const Q: u16 = 0x6300;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "iscsi.negotiation.max-connections-minimum",
        "RFC 7143 §13.2",
        Level::Must,
        "MaxConnections=4 is answered with a number from 1 to 4 (result: the minimum)",
        max_connections,
    ),
    Scenario::new(
        "iscsi.negotiation.max-burst-length-minimum",
        "RFC 7143 §13.13",
        Level::Must,
        "MaxBurstLength=131072 is answered with a number from 512 to 131072",
        max_burst,
    ),
    Scenario::new(
        "iscsi.negotiation.first-burst-length-minimum",
        "RFC 7143 §13.14",
        Level::Must,
        "FirstBurstLength=32768 is answered with a number from 512 to 32768 (or Irrelevant \
       when the target makes it so)",
        first_burst,
    ),
    Scenario::new(
        "iscsi.negotiation.default-time2wait-maximum",
        "RFC 7143 §13.15",
        Level::Must,
        "DefaultTime2Wait=1 is answered with a number from 1 to 3600 (result: the maximum)",
        time2wait,
    ),
    Scenario::new(
        "iscsi.negotiation.default-time2retain-minimum",
        "RFC 7143 §13.16",
        Level::Must,
        "DefaultTime2Retain=10 is answered with a number from 0 to 10",
        time2retain,
    ),
    Scenario::new(
        "iscsi.negotiation.max-outstanding-r2t-minimum",
        "RFC 7143 §13.17",
        Level::Must,
        "MaxOutstandingR2T=2 is answered with a number from 1 to 2",
        max_outstanding,
    ),
    Scenario::new(
        "iscsi.negotiation.error-recovery-level-minimum",
        "RFC 7143 §13.20",
        Level::Must,
        "ErrorRecoveryLevel=2 is answered with a number from 0 to 2",
        erl,
    ),
    Scenario::new(
        "iscsi.negotiation.protocol-level-minimum",
        "RFC 7144 §2.1",
        Level::Must,
        "iSCSIProtocolLevel=1 is answered with 0 or 1 (NotUnderstood from a target predating \
       RFC 7144)",
        protocol_level,
    ),
    Scenario::new(
        "iscsi.negotiation.number-in-hex",
        "RFC 7143 §6.1",
        Level::Must,
        "a numerical value may be written in hex: MaxBurstLength=0x20000 is answered with a \
       number from 512 to 131072",
        number_in_hex,
    ),
    Scenario::new(
        "iscsi.negotiation.max-connections-zero",
        "RFC 7143 §6.2.2",
        Level::Must,
        "MaxConnections=0 (below its range 1-65535) is answered Reject or with a number in its range, or the login refused",
        max_connections_zero,
    ),
    Scenario::new(
        "iscsi.negotiation.max-burst-length-below-range",
        "RFC 7143 §6.2.2",
        Level::Must,
        "MaxBurstLength=511 (below its range 512 to 2^24-1) is answered Reject or with a number in its range, or \
       the login refused",
        max_burst_below,
    ),
    Scenario::new(
        "iscsi.negotiation.first-burst-length-below-range",
        "RFC 7143 §6.2.2",
        Level::Must,
        "FirstBurstLength=511 (below its range) is answered Reject or with a number in its range, or the login refused",
        first_burst_below,
    ),
    Scenario::new(
        "iscsi.negotiation.default-time2wait-above-range",
        "RFC 7143 §6.2.2",
        Level::Must,
        "DefaultTime2Wait=3601 (above its range 0-3600) is answered Reject or with a number in its range, or the login refused",
        time2wait_above,
    ),
    Scenario::new(
        "iscsi.negotiation.max-outstanding-r2t-zero",
        "RFC 7143 §6.2.2",
        Level::Must,
        "MaxOutstandingR2T=0 (below its range 1-65535) is answered Reject or with a number in its range, or the login refused",
        max_outstanding_zero,
    ),
    Scenario::new(
        "iscsi.negotiation.number-not-numeric",
        "RFC 7143 §6.2.2",
        Level::Must,
        "MaxBurstLength=lots (not a number) is answered Reject or with a number in its range, or the login refused",
        not_numeric,
    ),
    Scenario::new(
        "iscsi.negotiation.number-empty",
        "RFC 7143 §6.2.2",
        Level::Must,
        "MaxOutstandingR2T= (an empty value) is answered Reject or with a number in its range, or the login refused",
        empty,
    ),
    Scenario::new(
        "iscsi.negotiation.number-beyond-64-bits",
        "RFC 7143 §6.1",
        Level::Must,
        "DefaultTime2Wait with a 41-digit value (no numerical value exceeds 64 bits) is \
       answered Reject or with a number in its range, or the login refused",
        beyond_64_bits,
    ),
    Scenario::new(
        "iscsi.negotiation.first-burst-not-above-max-burst",
        "RFC 7143 §13.14",
        Level::Must,
        "offering MaxBurstLength=16384 with FirstBurstLength=65536 never yields a \
       FirstBurstLength above the negotiated MaxBurstLength",
        first_burst_above_max,
    ),
];

fn number(ctx: &mut Context, q: u16, key: &str, offered: u64, also: &[&str]) -> Verdict {
    let v = offered.to_string();
    let a = offer(ctx, q, &[(key, &v)], key)?;
    Ok(expect_number(&a, key, offered, also))
}

cases! {
    max_connections => number(Q, "MaxConnections", 4, &[]);
    max_burst => number(Q + 1, "MaxBurstLength", 131_072, &[]);
    first_burst => number(Q + 2, "FirstBurstLength", 32_768, &["Irrelevant"]);
    time2wait => number(Q + 3, "DefaultTime2Wait", 1, &[]);
    time2retain => number(Q + 4, "DefaultTime2Retain", 10, &[]);
    max_outstanding => number(Q + 5, "MaxOutstandingR2T", 2, &[]);
    erl => number(Q + 6, "ErrorRecoveryLevel", 2, &[]);
    protocol_level => number(Q + 7, "iSCSIProtocolLevel", 1, &["NotUnderstood"]);
}

fn number_in_hex(ctx: &mut Context) -> Verdict {
    let a = offer(
        ctx,
        Q + 8,
        &[("MaxBurstLength", "0x20000")],
        "MaxBurstLength",
    )?;
    Ok(expect_number(&a, "MaxBurstLength", 131_072, &[]))
}

cases! {
    max_connections_zero => rejected(Q + 9, "MaxConnections", "0");
    max_burst_below => rejected(Q + 10, "MaxBurstLength", "511");
    first_burst_below => rejected(Q + 11, "FirstBurstLength", "511");
    time2wait_above => rejected(Q + 12, "DefaultTime2Wait", "3601");
    max_outstanding_zero => rejected(Q + 13, "MaxOutstandingR2T", "0");
    not_numeric => rejected(Q + 14, "MaxBurstLength", "lots");
    empty => rejected(Q + 15, "MaxOutstandingR2T", "");
}

fn beyond_64_bits(ctx: &mut Context) -> Verdict {
    let huge = format!("1{}", "0".repeat(40));
    rejected(ctx, Q + 16, "DefaultTime2Wait", &huge)
}

fn first_burst_above_max(ctx: &mut Context) -> Verdict {
    let keys = [("MaxBurstLength", "16384"), ("FirstBurstLength", "65536")];
    let (_, step) = RawLogin::full(ctx, Q + 17, &keys)?;
    let pairs = match step {
        Step::Done(pairs) => pairs,
        Step::Refused(reply) => return Ok(Outcome::fail("a successful login", reply.describe())),
    };
    let number = |key: &str, default: u64| match last_value(&pairs, key) {
        None | Some("Reject") => Some(default),
        Some(v) => value::parse_numerical(v).ok(),
    };
    // RFC 7143 §6.2: a rejected key keeps its default (MaxBurstLength
    // 262144, FirstBurstLength 65536).
    if last_value(&pairs, "FirstBurstLength") == Some("Irrelevant") {
        return Ok(Outcome::Pass);
    }
    let (mbl, fbl) = (
        number("MaxBurstLength", 262_144),
        number("FirstBurstLength", 65_536),
    );
    let shown =
        |k: &str| Answer::Value(last_value(&pairs, k).unwrap_or("(none)").to_owned()).describe(k);
    Ok(match (mbl, fbl) {
        (Some(m), Some(f)) => Outcome::check(
            f <= m,
            "FirstBurstLength not above MaxBurstLength",
            format!(
                "{} and {}",
                shown("MaxBurstLength"),
                shown("FirstBurstLength")
            ),
        ),
        _ => Outcome::fail(
            "numerical answers",
            format!(
                "{} and {}",
                shown("MaxBurstLength"),
                shown("FirstBurstLength")
            ),
        ),
    })
}
