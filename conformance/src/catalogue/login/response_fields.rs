//! The fields of Login Responses (RFC 7143 §11.13) and what follows a
//! failed login.

use crate::context::Context;
use crate::harness::login::{RawLogin, Reply, Step, LOGIN_CMD_SN, LOGIN_ITT};
use crate::scenario::{Level, Outcome, Scenario, Verdict};
use crate::wire::keys_of;
use rtgt_proto::pdu::{LoginResponse, LoginStage};
use rtgt_proto::text::value;
use std::time::Duration;

const Q: u16 = 0x5700;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "iscsi.login.statsn-increments",
        "RFC 7143 §11.13",
        Level::Must,
        "the first Login Response sets the connection's starting StatSN and each later Login \
       Response carries the previous StatSN plus one",
        statsn_increments,
    ),
    Scenario::new(
        "iscsi.login.expcmdsn-is-login-cmdsn",
        "RFC 7143 §11.12.8",
        Level::Must,
        "the login is an immediate command: every successful Login Response of a new session \
       carries as ExpCmdSN the CmdSN of the Login Requests",
        expcmdsn,
    ),
    Scenario::new(
        "iscsi.login.maxcmdsn-window",
        "RFC 7143 §4.2.2.1",
        Level::Must,
        "in every successful Login Response MaxCmdSN is at least ExpCmdSN - 1 (serial \
       arithmetic): the command window is never negative",
        maxcmdsn,
    ),
    Scenario::new(
        "iscsi.login.itt-echoed",
        "RFC 7143 §11.13",
        Level::Must,
        "every Login Response carries the Initiator Task Tag of the Login Request",
        itt_echoed,
    ),
    Scenario::new(
        "iscsi.login.reserved-fields-zero",
        "RFC 7143 §11.2",
        Level::Must,
        "the reserved bits and bytes of every Login Response are zero",
        reserved_zero,
    ),
    Scenario::new(
        "iscsi.login.tpgt-in-first-response",
        "RFC 7143 §13.9",
        Level::Must,
        "the response to the first Login Request (C=0, with TargetName) carries \
       TargetPortalGroupTag with a 16-bit value",
        tpgt_first,
    ),
    Scenario::new(
        "iscsi.login.failure-closes-connection",
        "RFC 7143 §11.13.5",
        Level::Must,
        "after a Login Response whose Status-Class is not 0 the target closes the connection",
        failure_closes,
    ),
    Scenario::new(
        "iscsi.login.stalled-login-ends",
        "RFC 7143 §6.3",
        Level::May,
        "a target may end a login that stops half way (no timer is mandated); checked only \
       when the suite's quiet time is at least 60 seconds",
        stalled_login,
    ),
];

fn responses(
    ctx: &mut Context,
    q: u16,
) -> Result<Result<Vec<LoginResponse>, Outcome>, crate::scenario::ScenarioError> {
    let (login, step) = RawLogin::full(ctx, q, &[])?;
    Ok(match step {
        Step::Done(_) => Ok(login.responses),
        Step::Refused(reply) => Err(Outcome::fail("a successful login", reply.describe())),
    })
}

macro_rules! responses_or_return {
    ($ctx:expr, $q:expr) => {
        match responses($ctx, $q)? {
            Ok(r) => r,
            Err(outcome) => return Ok(outcome),
        }
    };
}

fn statsn_increments(ctx: &mut Context) -> Verdict {
    let rs = responses_or_return!(ctx, Q);
    for pair in rs.windows(2) {
        let want = pair[0].stat_sn.wrapping_add(1);
        if pair[1].stat_sn != want {
            return Ok(Outcome::fail(
                format!("StatSN {want}"),
                format!("StatSN {}", pair[1].stat_sn),
            ));
        }
    }
    Ok(Outcome::Pass)
}

/// Pass when every response of a login with ISID qualifier `q` is `ok`;
/// else the first that is not, as `got` shows it.
fn every_response(
    ctx: &mut Context,
    q: u16,
    ok: impl Fn(&LoginResponse) -> bool,
    expected: impl Into<String>,
    got: impl Fn(&LoginResponse) -> String,
) -> Verdict {
    let rs = responses_or_return!(ctx, q);
    Ok(match rs.iter().find(|r| !ok(r)) {
        None => Outcome::Pass,
        Some(r) => Outcome::fail(expected, got(r)),
    })
}

/// Pass when `field` of every response is `want` (`show` names a value).
fn every_field(
    ctx: &mut Context,
    q: u16,
    (field, want): (fn(&LoginResponse) -> u32, u32),
    show: fn(u32) -> String,
) -> Verdict {
    every_response(ctx, q, |r| field(r) == want, show(want), |r| show(field(r)))
}

cases! {
    expcmdsn => every_field(Q + 1, (|r| r.exp_cmd_sn, LOGIN_CMD_SN), |v| format!("ExpCmdSN {v}"));
    itt_echoed => every_field(Q + 3, (|r| r.itt, LOGIN_ITT), |v| format!("ITT {v:#010x}"));
}

fn maxcmdsn(ctx: &mut Context) -> Verdict {
    every_response(
        ctx,
        Q + 2,
        |r| (r.max_cmd_sn.wrapping_sub(r.exp_cmd_sn.wrapping_sub(1)) as i32) >= 0,
        "MaxCmdSN >= ExpCmdSN - 1",
        |r| format!("ExpCmdSN {} MaxCmdSN {}", r.exp_cmd_sn, r.max_cmd_sn),
    )
}

fn reserved_zero(ctx: &mut Context) -> Verdict {
    every_response(
        ctx,
        Q + 4,
        |r| {
            r.reserved0 == 0
                && r.reserved_flags == 0
                && r.reserved20 == [0; 4]
                && r.reserved38 == [0; 10]
        },
        "zero reserved fields",
        |r| {
            format!(
                "byte 0 bits {:#04x}, byte 1 bits {:#04x}, bytes 20-23 {:02x?}, bytes 38-47 {:02x?}",
                r.reserved0, r.reserved_flags, r.reserved20, r.reserved38
            )
        },
    )
}

fn tpgt_first(ctx: &mut Context) -> Verdict {
    let rs = responses_or_return!(ctx, Q + 5);
    let keys = rs.first().map(|r| keys_of(&r.data)).unwrap_or_default();
    Ok(match crate::wire::value_of(&keys, "TargetPortalGroupTag") {
        None => Outcome::fail(
            "TargetPortalGroupTag in the first Login Response",
            "no such key",
        ),
        Some(v) => Outcome::check(
            value::parse_regular_binary(v).is_ok_and(|n| n <= 0xffff),
            "a number from 0 to 65535",
            format!("TargetPortalGroupTag={v}"),
        ),
    })
}

fn failure_closes(ctx: &mut Context) -> Verdict {
    let mut login = RawLogin::connect(ctx, Q + 6)?;
    let name = ctx.target.initiator_name.clone();
    let wrong = format!("{}.no-such-target", ctx.target.iqn);
    let keys = [
        ("InitiatorName", name.as_str()),
        ("TargetName", wrong.as_str()),
        ("SessionType", "Normal"),
        ("AuthMethod", "None"),
    ];
    let reply = login.exchange(
        ctx,
        LoginStage::SecurityNegotiation,
        LoginStage::LoginOperationalNegotiation,
        true,
        &keys,
    )?;
    match &reply {
        Reply::Response(r) if r.status.raw() != 0 => {}
        other => return Ok(Outcome::fail("a failed Login Response", other.describe())),
    }
    let timeout = ctx.target.timeout;
    Ok(Outcome::check(
        login.wire.closed_within(ctx, timeout)?,
        "the connection closed after the failure",
        format!("still open after {timeout:?}"),
    ))
}

fn stalled_login(ctx: &mut Context) -> Verdict {
    let quiet = ctx.target.quiet;
    if quiet < Duration::from_secs(60) {
        return Ok(Outcome::not_applicable(format!(
            "the quiet time ({quiet:?}) is too short to wait for a login timer"
        )));
    }
    let mut login = RawLogin::connect(ctx, Q + 7)?;
    let reply = login.send_first(ctx, Some("None"), LoginStage::SecurityNegotiation, false)?;
    if reply.status() != Some(0) {
        return Ok(Outcome::fail(
            "a successful first Login Response",
            reply.describe(),
        ));
    }
    Ok(Outcome::check(
        login.wire.closed_within(ctx, quiet)?,
        "the target ends the stalled login",
        format!("the connection still open after {quiet:?}"),
    ))
}
