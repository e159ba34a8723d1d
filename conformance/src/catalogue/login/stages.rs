//! Login stages and their transitions: CSG, NSG and the T and C bits
//! (RFC 7143 §6.3, §11.12.1-§11.12.3, §11.13.3).

use crate::context::Context;
use crate::harness::login::{RawLogin, Reply, Step, FFP, OP, SEC};
use crate::scenario::{Level, Outcome, Scenario, Verdict};
use crate::wire::borrowed;
use rtgt_proto::pdu::LoginStatusClass;

const Q: u16 = 0x5100;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "iscsi.login.three-stage-login",
        "RFC 7143 §6.3",
        Level::Must,
        "a login through the security stage, then the operational stage, then to full feature \
       phase succeeds, ending with a Final-Response (T=1, CSG=1, NSG=3, status 0)",
        three_stage,
    ),
    Scenario::new(
        "iscsi.login.skip-security",
        "RFC 7143 §6.3",
        Level::Must,
        "a target that needs no authentication accepts a login whose first request is already \
       in the operational stage (CSG=1)",
        skip_security,
    ),
    Scenario::new(
        "iscsi.login.security-straight-to-full-feature",
        "RFC 7143 §6.3",
        Level::Must,
        "a request in the security stage may ask to go straight to full feature phase (NSG=3); \
       the target either does so or picks the operational stage, and the login succeeds",
        security_to_ffp,
    ),
    Scenario::new(
        "iscsi.login.csg-echoed",
        "RFC 7143 §6.3",
        Level::Must,
        "every Login Response carries the CSG of the request it answers",
        csg_echoed,
    ),
    Scenario::new(
        "iscsi.login.nsg-not-above-request",
        "RFC 7143 §6.3",
        Level::Must,
        "a Login Response with T=1 never names a next stage beyond the one the request named",
        nsg_not_above,
    ),
    Scenario::new(
        "iscsi.login.no-unasked-transit-security",
        "RFC 7143 §6.3",
        Level::Must,
        "the target answers a security-stage request with T=0 with T=0: it transits only when \
       the initiator proposed it",
        no_transit_security,
    ),
    Scenario::new(
        "iscsi.login.no-unasked-transit-operational",
        "RFC 7143 §6.3",
        Level::Must,
        "the target answers an operational-stage request with T=0 with T=0",
        no_transit_operational,
    ),
    Scenario::new(
        "iscsi.login.repeated-t0-exchanges",
        "RFC 7143 §6.3",
        Level::Must,
        "several operational exchanges with T=0 before the one with T=1 are legal and the login \
       still succeeds",
        repeated_t0,
    ),
];

pub(super) fn first(ctx: &Context) -> Vec<(String, String)> {
    RawLogin::first_keys(ctx)
}

/// Not applicable when the suite authenticates: the target may require it.
fn needs_no_auth(ctx: &Context) -> Option<Outcome> {
    ctx.target.chap.as_ref().map(|_| {
        Outcome::not_applicable("the suite has a CHAP account, so the target may require security")
    })
}

fn three_stage(ctx: &mut Context) -> Verdict {
    let (login, step) = RawLogin::full(ctx, Q, &[])?;
    if let Step::Refused(reply) = step {
        return Ok(Outcome::fail("a successful login", reply.describe()));
    }
    let last = login.responses.last().cloned().unwrap_or_default();
    Ok(Outcome::check(
        last.transit && last.csg == OP && last.nsg == FFP && last.status.raw() == 0,
        "a Final-Response with T=1, CSG=1, NSG=3 and status 0",
        format!(
            "T={} CSG={} NSG={} status {:#06x}",
            last.transit,
            last.csg.raw(),
            last.nsg.raw(),
            last.status.raw()
        ),
    ))
}

fn skip_security(ctx: &mut Context) -> Verdict {
    if let Some(na) = needs_no_auth(ctx) {
        return Ok(na);
    }
    let mut login = RawLogin::connect(ctx, Q + 1)?;
    let keys = first(ctx);
    Ok(match login.operational(ctx, &borrowed(&keys))? {
        Step::Done(_) => Outcome::Pass,
        Step::Refused(reply) => Outcome::fail("a successful login", reply.describe()),
    })
}

fn security_to_ffp(ctx: &mut Context) -> Verdict {
    if let Some(na) = needs_no_auth(ctx) {
        return Ok(na);
    }
    let mut login = RawLogin::connect(ctx, Q + 2)?;
    let reply = login.send_first(ctx, Some("None"), FFP, true)?;
    let Reply::Response(r) = &reply else {
        return Ok(Outcome::fail("a Login Response", reply.describe()));
    };
    if r.status.class() != LoginStatusClass::Success {
        return Ok(Outcome::fail(
            "a successful Login Response",
            reply.describe(),
        ));
    }
    if r.transit && r.nsg == FFP {
        return Ok(Outcome::Pass);
    }
    if r.transit && r.nsg != OP {
        return Ok(Outcome::fail("NSG 3 or 1", format!("NSG {}", r.nsg.raw())));
    }
    Ok(match login.operational(ctx, &[])? {
        Step::Done(_) => Outcome::Pass,
        Step::Refused(reply) => Outcome::fail("a successful login", reply.describe()),
    })
}

fn csg_echoed(ctx: &mut Context) -> Verdict {
    let (login, step) = RawLogin::full(ctx, Q + 3, &[])?;
    if let Step::Refused(reply) = step {
        return Ok(Outcome::fail("a successful login", reply.describe()));
    }
    for (sent, got) in login.sent.iter().zip(&login.responses) {
        if sent.0 != got.csg {
            return Ok(Outcome::fail(
                format!("CSG {} echoed", sent.0.raw()),
                format!("CSG {}", got.csg.raw()),
            ));
        }
    }
    Ok(Outcome::Pass)
}

fn nsg_not_above(ctx: &mut Context) -> Verdict {
    let (login, step) = RawLogin::full(ctx, Q + 4, &[])?;
    if let Step::Refused(reply) = step {
        return Ok(Outcome::fail("a successful login", reply.describe()));
    }
    for ((_, nsg, t), got) in login.sent.iter().zip(&login.responses) {
        if got.transit && (!t || got.nsg.raw() > nsg.raw()) {
            return Ok(Outcome::fail(
                format!("T=1 only after T=1, with NSG at most {}", nsg.raw()),
                format!("request T={t}, response T=1 NSG={}", got.nsg.raw()),
            ));
        }
    }
    Ok(Outcome::Pass)
}

fn no_transit_security(ctx: &mut Context) -> Verdict {
    if let Some(na) = needs_no_auth(ctx) {
        return Ok(na);
    }
    let mut login = RawLogin::connect(ctx, Q + 5)?;
    let reply = login.send_first(ctx, Some("None"), SEC, false)?;
    Ok(transit_zero(&reply))
}

fn transit_zero(reply: &Reply) -> Outcome {
    match reply {
        Reply::Response(r) if r.status.raw() == 0 => Outcome::check(
            !r.transit,
            "a Login Response with T=0",
            format!("T=1 with NSG {}", r.nsg.raw()),
        ),
        other => Outcome::fail("a successful Login Response", other.describe()),
    }
}

fn no_transit_operational(ctx: &mut Context) -> Verdict {
    let mut login = match RawLogin::after_security(ctx, Q + 6)? {
        Ok(login) => login,
        Err(outcome) => return Ok(outcome),
    };
    let reply = login.exchange(ctx, OP, OP, false, &[("HeaderDigest", "None")])?;
    Ok(transit_zero(&reply))
}

fn repeated_t0(ctx: &mut Context) -> Verdict {
    let mut login = match RawLogin::after_security(ctx, Q + 7)? {
        Ok(login) => login,
        Err(outcome) => return Ok(outcome),
    };
    for keys in [
        &[("HeaderDigest", "None")][..],
        &[("DataDigest", "None")][..],
    ] {
        let reply = login.exchange(ctx, OP, OP, false, keys)?;
        if reply.status() != Some(0) {
            return Ok(Outcome::fail(
                "a successful Login Response",
                reply.describe(),
            ));
        }
    }
    Ok(match login.operational(ctx, &[])? {
        Step::Done(_) => Outcome::Pass,
        Step::Refused(reply) => Outcome::fail("a successful login", reply.describe()),
    })
}
