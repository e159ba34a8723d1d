//! Login redirection (RFC 7143 §11.13.5): a target that has moved answers a
//! login naming it with status class 1 (0x0101 moved temporarily, 0x0102
//! moved permanently) and its new address as TargetAddress, then closes
//! the connection. The suite cannot make a target move: these scenarios
//! run against the name `--moved-iqn` gives, and are not applicable without
//! one.

use crate::context::Context;
use crate::scenario::{Level, Outcome, Scenario, ScenarioError, Verdict};
use crate::wire::{keys_of, login_request, Wire};
use rtgt_proto::pdu::{LoginResponse, LoginStage, LoginStatusClass};

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "iscsi.login.redirect-target-address",
        "RFC 7143 §11.13.5",
        Level::Must,
        "a login naming a target that has moved is answered with status 0x0101 or 0x0102 \
         (redirection) carrying one or more TargetAddress keys, each of the form \
         host[:port][,portal-group-tag]",
        target_address,
    ),
    Scenario::new(
        "iscsi.login.redirect-closes",
        "RFC 7143 §11.13.5",
        Level::Must,
        "after that redirection the target closes the connection",
        closes,
    ),
];

/// The first Login Request naming the moved target, and the answer; or
/// the outcome that ends the scenario.
fn redirected(ctx: &mut Context) -> Result<Result<(Wire, LoginResponse), Outcome>, ScenarioError> {
    let Some(name) = ctx.target.moved_iqn.clone() else {
        return Ok(Err(Outcome::not_applicable(
            "no target name the target redirects (--moved-iqn)",
        )));
    };
    let mut wire = Wire::connect(ctx)?;
    let initiator = ctx.target.initiator_name.clone();
    let methods = if ctx.target.chap.is_some() {
        "CHAP,None"
    } else {
        "None"
    };
    let request = login_request(
        LoginStage::SecurityNegotiation,
        LoginStage::LoginOperationalNegotiation,
        false,
        &[
            ("InitiatorName", &initiator),
            ("TargetName", &name),
            ("SessionType", "Normal"),
            ("AuthMethod", methods),
        ],
    );
    wire.send(ctx, request)?;
    Ok(match wire.expect_login_response(ctx)? {
        Ok(r) if r.status.class() == LoginStatusClass::Redirection => Ok((wire, r)),
        // A redirection "prior to or after completing a security
        // negotiation": a target that answers after it is not judged here.
        Ok(r) if r.status.class() == LoginStatusClass::Success => {
            Err(Outcome::not_applicable(format!(
                "the target went on with the login of {name} (status {:#06x}): it does not \
                 redirect before the security stage",
                r.status.raw()
            )))
        }
        Ok(r) => Err(Outcome::fail(
            "status class 1 (redirection)",
            format!("status {:#06x}", r.status.raw()),
        )),
        Err(other) => Err(Outcome::fail("a Login Response", other.opcode().name())),
    })
}

/// Whether `value` reads as a TargetAddress (RFC 7143 §13.8:
/// `domainname[:port][,portal-group-tag]`, an IPv6 address in brackets).
fn well_formed(value: &str) -> bool {
    let (addr, tag) = match value.rsplit_once(',') {
        Some((a, t)) => (a, Some(t)),
        None => (value, None),
    };
    let number = |s: &str, max: u32| !s.is_empty() && s.parse::<u32>().is_ok_and(|n| n <= max);
    if tag.is_some_and(|t| !number(t, 65535)) {
        return false;
    }
    let (host, port) = if let Some(rest) = addr.strip_prefix('[') {
        match rest.split_once(']') {
            Some((h, "")) => (h, None),
            Some((h, p)) => match p.strip_prefix(':') {
                Some(p) => (h, Some(p)),
                None => return false,
            },
            None => return false,
        }
    } else {
        match addr.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (addr, None),
        }
    };
    !host.is_empty() && !host.contains(char::is_whitespace) && port.is_none_or(|p| number(p, 65535))
}

fn target_address(ctx: &mut Context) -> Verdict {
    let (_, r) = match redirected(ctx)? {
        Ok(x) => x,
        Err(outcome) => return Ok(outcome),
    };
    let addresses: Vec<String> = keys_of(&r.data)
        .into_iter()
        .filter(|p| p.key == "TargetAddress")
        .map(|p| p.value)
        .collect();
    if addresses.is_empty() {
        return Ok(Outcome::fail(
            "one or more TargetAddress keys",
            format!("status {:#06x} without TargetAddress", r.status.raw()),
        ));
    }
    let bad: Vec<&String> = addresses.iter().filter(|a| !well_formed(a)).collect();
    Ok(Outcome::check(
        bad.is_empty(),
        "TargetAddress=host[:port][,portal-group-tag]",
        format!("TargetAddress={bad:?}"),
    ))
}

fn closes(ctx: &mut Context) -> Verdict {
    let (mut wire, _) = match redirected(ctx)? {
        Ok(x) => x,
        Err(outcome) => return Ok(outcome),
    };
    let timeout = ctx.target.timeout;
    Ok(Outcome::check(
        wire.closed_within(ctx, timeout)?,
        "the connection closed",
        format!("still open after {timeout:?}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::well_formed;

    #[test]
    fn target_address_forms() {
        for ok in [
            "192.0.2.7",
            "192.0.2.7:3260",
            "192.0.2.7:3260,1",
            "[2001:db8::1]:3260,2",
            "[2001:db8::1]",
            "iscsi.example.com,7",
        ] {
            assert!(well_formed(ok), "{ok}");
        }
        for bad in [
            "",
            ":3260",
            "192.0.2.7:port",
            "192.0.2.7,tag",
            "[2001:db8::1",
            "a b",
        ] {
            assert!(!well_formed(bad), "{bad}");
        }
    }
}
