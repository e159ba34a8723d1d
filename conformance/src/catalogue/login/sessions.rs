//! Sessions and connections at login: reinstatement, concurrent sessions,
//! connections added to a session (RFC 7143 §6.3.1, §6.3.5, §13.2).

use crate::context::Context;
use crate::harness::login::{RawLogin, Refusal, Step};
use crate::scenario::{Level, Outcome, Scenario, Verdict};
use crate::wire::isid;
use crate::wire::last_value;
use rtgt_proto::pdu::LoginStatus;

const Q: u16 = 0x5400;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "iscsi.login.reinstatement-closes-old",
        "RFC 7143 §6.3.5",
        Level::Must,
        "a new login with the ISID and initiator name of a live session and TSIH 0 reinstates it: \
       the login succeeds and the old session's connection is closed",
        reinstatement,
    ),
    Scenario::new(
        "iscsi.login.sessions-with-distinct-isids-coexist",
        "RFC 7143 §6.3.1",
        Level::Must,
        "a second session from the same initiator with another ISID leaves the first working",
        coexist,
    ),
    Scenario::new(
        "iscsi.login.tsih-distinct-per-session",
        "RFC 7143 §11.13.3",
        Level::Must,
        "two live sessions of one initiator get different TSIHs",
        tsih_distinct,
    ),
    // RFC 3720 §12.2: "Initiator and target negotiate the maximum number of
    // connections requested/acceptable"; its §10.13.5 names the refusal
    // (0206, "Too many connections on this SSID"). RFC 7143 §13.2 and
    // §11.13.5 carry both on (their wording not checked). No sentence with a
    // keyword demands the refusal: a SHOULD.
    Scenario::new(
        "iscsi.login.add-connection-over-limit",
        "RFC 7143 §13.2, §11.13.5",
        Level::Should,
        "with MaxConnections=1 negotiated, a login adding a second connection to the session is \
         refused with an initiator error (status class 2)",
        over_limit,
    ),
    Scenario::new(
        "iscsi.login.add-connection-over-limit-detail",
        "RFC 7143 §11.13.5",
        Level::Should,
        "that refusal says 0x0206 (Too many connections)",
        over_limit_detail,
    ),
    Scenario::new(
        "iscsi.login.add-connection",
        "RFC 7143 §6.3.1",
        Level::Must,
        "when MaxConnections allows it, a login with the session's ISID and TSIH and a new CID \
       adds a working connection whose Final-Response carries that TSIH",
        add_connection,
    ),
];

/// A session in full feature phase, or the outcome that ends the scenario.
fn session(
    ctx: &mut Context,
    q: u16,
    keys: &[(&str, &str)],
) -> Result<Result<(RawLogin, Vec<rtgt_proto::text::Pair>), Outcome>, crate::scenario::ScenarioError>
{
    let (login, step) = RawLogin::full(ctx, q, keys)?;
    Ok(match step {
        Step::Done(pairs) => Ok((login, pairs)),
        Step::Refused(reply) => Err(Outcome::fail("a successful login", reply.describe())),
    })
}

fn reinstatement(ctx: &mut Context) -> Verdict {
    let (mut old, _) = match session(ctx, Q, &[])? {
        Ok(s) => s,
        Err(outcome) => return Ok(outcome),
    };
    if !old.ping(ctx)? {
        return Ok(Outcome::fail(
            "the first session to answer a NOP-Out",
            "no NOP-In",
        ));
    }
    let (mut new, _) = match session(ctx, Q, &[])? {
        Ok(s) => s,
        Err(outcome) => return Ok(outcome),
    };
    let timeout = ctx.target.timeout;
    if !old.wire.closed_within(ctx, timeout)? {
        return Ok(Outcome::fail(
            "the reinstated session's connection closed",
            format!("still open after {timeout:?}"),
        ));
    }
    Ok(Outcome::check(
        new.ping(ctx)?,
        "the new session answers a NOP-Out",
        "no NOP-In",
    ))
}

fn coexist(ctx: &mut Context) -> Verdict {
    let (mut a, _) = match session(ctx, Q + 1, &[])? {
        Ok(s) => s,
        Err(outcome) => return Ok(outcome),
    };
    let (mut b, _) = match session(ctx, Q + 2, &[])? {
        Ok(s) => s,
        Err(outcome) => return Ok(outcome),
    };
    let a_alive = a.ping(ctx)?;
    let b_alive = b.ping(ctx)?;
    Ok(Outcome::check(
        a_alive && b_alive,
        "both sessions answer a NOP-Out",
        format!("first session answered: {a_alive}, second: {b_alive}"),
    ))
}

fn tsih_distinct(ctx: &mut Context) -> Verdict {
    let (a, _) = match session(ctx, Q + 3, &[])? {
        Ok(s) => s,
        Err(outcome) => return Ok(outcome),
    };
    let (b, _) = match session(ctx, Q + 4, &[])? {
        Ok(s) => s,
        Err(outcome) => return Ok(outcome),
    };
    Ok(Outcome::check(
        a.tsih != b.tsih,
        "two different TSIHs",
        format!("both sessions have TSIH {:#06x}", a.tsih),
    ))
}

fn over_limit_judged(ctx: &mut Context, judge: Refusal) -> Verdict {
    let (lead, pairs) = match session(ctx, Q + 5, &[("MaxConnections", "1")])? {
        Ok(s) => s,
        Err(outcome) => return Ok(outcome),
    };
    if let Some(v) = last_value(&pairs, "MaxConnections") {
        if v != "1" {
            return Ok(Outcome::fail(
                "MaxConnections=1 (the minimum of 1 and any value)",
                format!("MaxConnections={v}"),
            ));
        }
    }
    let (_, step) = RawLogin::join(ctx, isid(Q + 5), lead.tsih, 1)?;
    Ok(judge.judge(&step))
}

cases! {
    over_limit => over_limit_judged(Refusal::Class);
    over_limit_detail => over_limit_judged(Refusal::detail(LoginStatus::TooManyConnections));
}

fn add_connection(ctx: &mut Context) -> Verdict {
    let (mut lead, pairs) = match session(ctx, Q + 6, &[("MaxConnections", "2")])? {
        Ok(s) => s,
        Err(outcome) => return Ok(outcome),
    };
    match last_value(&pairs, "MaxConnections") {
        Some("2") => {}
        other => {
            return Ok(Outcome::not_applicable(format!(
                "the target allows one connection per session (MaxConnections answer {other:?})"
            )))
        }
    }
    let (mut second, step) = RawLogin::join(ctx, isid(Q + 6), lead.tsih, 1)?;
    if let Step::Refused(reply) = step {
        return Ok(Outcome::fail(
            "the second connection's login to succeed",
            reply.describe(),
        ));
    }
    if second.tsih != lead.tsih {
        return Ok(Outcome::fail(
            format!("TSIH {:#06x} in the Final-Response", lead.tsih),
            format!("TSIH {:#06x}", second.tsih),
        ));
    }
    let both = second.ping(ctx)? && lead.ping(ctx)?;
    Ok(Outcome::check(
        both,
        "both connections answer a NOP-Out",
        "a NOP-Out went unanswered",
    ))
}
