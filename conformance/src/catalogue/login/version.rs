//! Version-max, Version-min and Version-active (RFC 7143 §11.12.4,
//! §11.13.1, §11.13.2; the only version defined is 0).

use crate::context::Context;
use crate::harness::login::{RawLogin, Reply, Step};
use crate::scenario::{Level, Outcome, Scenario, Verdict};
use rtgt_proto::pdu::{LoginResponse, LoginStage, LoginStatus, LoginStatusClass};

const Q: u16 = 0x5200;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "iscsi.login.version-unsupported",
        "RFC 7143 §11.13.5",
        Level::Must,
        "a login asking only for versions 1 to 255 (none defined) is refused with status 0x0205 \
       (Unsupported version), unless the target really runs a version in that range",
        version_unsupported,
    ),
    Scenario::new(
        "iscsi.login.version-reject-names-lowest",
        "RFC 7143 §11.13.2",
        Level::Must,
        "when the target refuses the version range, Version-active carries the lowest version it \
       supports (0 for a target of RFC 7143)",
        version_reject_lowest,
    ),
    Scenario::new(
        "iscsi.login.version-max-below-min",
        "RFC 7143 §11.12.4",
        Level::Must,
        "a Login Request whose Version-max is below its Version-min (an empty range) is refused \
       (0x0205, or another initiator-error status)",
        version_inverted,
    ),
    Scenario::new(
        "iscsi.login.version-active-in-range",
        "RFC 7143 §11.13.2",
        Level::Must,
        "with Version-min = Version-max = 0, every Login Response has Version-active 0 and a \
       Version-max not below it",
        version_active_in_range,
    ),
    Scenario::new(
        "iscsi.login.version-wide-range",
        "RFC 7143 §11.13.2",
        Level::Must,
        "a login offering versions 0 to 255 succeeds, with Version-active inside the range and \
       not above the target's Version-max",
        version_wide_range,
    ),
    Scenario::new(
        "iscsi.login.version-constant",
        "RFC 7143 §11.13.1",
        Level::Must,
        "every Login Response of one login carries the same Version-max and the same \
       Version-active",
        version_constant,
    ),
    Scenario::new(
        "iscsi.login.version-kept-when-request-changes",
        "RFC 7143 §11.13.2",
        Level::Must,
        "when a later Login Request carries another version range (an initiator error), the \
       target refuses the login or goes on with the Version-max and Version-active of its \
       first response",
        version_first_rules,
    ),
];

/// The first request of a login with the given version range.
fn first_reply(
    ctx: &mut Context,
    q: u16,
    max: u8,
    min: u8,
) -> Result<(RawLogin, Reply), crate::scenario::ScenarioError> {
    let mut login = RawLogin::connect(ctx, q)?;
    login.version_max = max;
    login.version_min = min;
    let reply = login.send_first(ctx, None, LoginStage::LoginOperationalNegotiation, true)?;
    Ok((login, reply))
}

fn version_unsupported(ctx: &mut Context) -> Verdict {
    let (_, reply) = first_reply(ctx, Q, 255, 1)?;
    Ok(match &reply {
        Reply::Response(r) if r.status.class() == LoginStatusClass::Success => Outcome::check(
            r.version_active >= 1,
            "status 0x0205, or a version from 1 to 255 actually in use",
            format!("success with Version-active {}", r.version_active),
        ),
        other => Outcome::check(
            other.status() == Some(LoginStatus::UnsupportedVersion.raw()),
            "status 0x0205 (Unsupported version)",
            other.describe(),
        ),
    })
}

fn version_reject_lowest(ctx: &mut Context) -> Verdict {
    let (_, reply) = first_reply(ctx, Q + 1, 255, 1)?;
    Ok(match &reply {
        Reply::Response(r) if r.status == LoginStatus::UnsupportedVersion => Outcome::check(
            r.version_active == 0,
            "Version-active 0, the lowest (only) version of RFC 7143",
            format!("Version-active {}", r.version_active),
        ),
        other => Outcome::not_applicable(format!(
            "the target did not refuse the range 1-255 with 0x0205 ({})",
            other.describe()
        )),
    })
}

fn version_inverted(ctx: &mut Context) -> Verdict {
    let (_, reply) = first_reply(ctx, Q + 2, 0, 1)?;
    Ok(Outcome::check(
        reply.is_refusal(),
        "a Login Response with 0x0205 or another initiator-error status",
        reply.describe(),
    ))
}

fn version_active_in_range(ctx: &mut Context) -> Verdict {
    let (login, step) = RawLogin::full(ctx, Q + 3, &[])?;
    if let Step::Refused(reply) = step {
        return Ok(Outcome::fail("a successful login", reply.describe()));
    }
    for r in &login.responses {
        if r.version_active != 0 || r.version_max < r.version_active {
            return Ok(Outcome::fail(
                "Version-active 0 and Version-max >= Version-active",
                format!(
                    "Version-active {} Version-max {}",
                    r.version_active, r.version_max
                ),
            ));
        }
    }
    Ok(Outcome::Pass)
}

fn version_wide_range(ctx: &mut Context) -> Verdict {
    let (_, reply) = first_reply(ctx, Q + 4, 255, 0)?;
    Ok(match &reply {
        Reply::Response(r) if r.status.class() == LoginStatusClass::Success => Outcome::check(
            r.version_active <= r.version_max,
            "Version-active not above Version-max",
            format!(
                "Version-active {} Version-max {}",
                r.version_active, r.version_max
            ),
        ),
        other => Outcome::fail("a successful Login Response", other.describe()),
    })
}

fn version_constant(ctx: &mut Context) -> Verdict {
    let (login, step) = RawLogin::full(ctx, Q + 5, &[])?;
    if let Step::Refused(reply) = step {
        return Ok(Outcome::fail("a successful login", reply.describe()));
    }
    let Some(first) = login.responses.first() else {
        return Ok(Outcome::fail("Login Responses", "none"));
    };
    Ok(same_versions(&login.responses, first, "throughout"))
}

fn version_first_rules(ctx: &mut Context) -> Verdict {
    let (mut login, reply) = first_reply(ctx, Q + 6, 0, 0)?;
    let first = match &reply {
        Reply::Response(r) if r.status.raw() == 0 => r.clone(),
        other => {
            return Ok(Outcome::fail(
                "a successful Login Response",
                other.describe(),
            ))
        }
    };
    login.version_max = 9;
    login.version_min = 9;
    if !first.transit {
        return Ok(Outcome::not_applicable(
            "the target did not leave the security stage after the first exchange",
        ));
    }
    let step = login.operational(ctx, &[])?;
    if let Step::Refused(reply) = &step {
        return Ok(Outcome::check(
            reply.is_refusal(),
            "a refusal as an initiator error, or the login going on",
            reply.describe(),
        ));
    }
    Ok(same_versions(&login.responses, &first, "kept"))
}

/// RFC 7143 §11.13.1, §11.13.2: Version-max and Version-active of every
/// response as in `first`; `kept` says how in the expectation.
fn same_versions(responses: &[LoginResponse], first: &LoginResponse, kept: &str) -> Outcome {
    let changed = responses
        .iter()
        .find(|r| r.version_max != first.version_max || r.version_active != first.version_active);
    match changed {
        None => Outcome::Pass,
        Some(r) => Outcome::fail(
            format!(
                "Version-max {} and Version-active {} {kept}",
                first.version_max, first.version_active
            ),
            format!(
                "Version-max {} and Version-active {}",
                r.version_max, r.version_active
            ),
        ),
    }
}
