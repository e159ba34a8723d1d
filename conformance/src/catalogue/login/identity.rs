//! The session's identity in the login: ISID and TSIH (RFC 7143 §6.3.1,
//! §11.12.5, §11.12.6, §11.13.4).

use crate::context::Context;
use crate::harness::login::{RawLogin, Refusal, Reply, Step};
use crate::scenario::{Level, Outcome, Scenario, Verdict};
use rtgt_proto::pdu::{Isid, IsidType, LoginStatus, LoginStatusClass};

const Q: u16 = 0x5300;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "iscsi.login.isid-echoed",
        "RFC 7143 §11.13",
        Level::Must,
        "every Login Response carries the ISID of the request",
        isid_echoed,
    ),
    Scenario::new(
        "iscsi.login.isid-oui-format",
        "RFC 7143 §11.12.5",
        Level::Must,
        "a login whose ISID has the OUI format (T=00b) succeeds",
        isid_oui,
    ),
    Scenario::new(
        "iscsi.login.isid-en-format",
        "RFC 7143 §11.12.5",
        Level::Must,
        "a login whose ISID has the IANA enterprise number format (T=01b) succeeds",
        isid_en,
    ),
    Scenario::new(
        "iscsi.login.isid-random-format",
        "RFC 7143 §11.12.5",
        Level::Must,
        "a login whose ISID has the random format (T=10b) succeeds",
        isid_random,
    ),
    Scenario::new(
        "iscsi.login.tsih-zero-until-final",
        "RFC 7143 §11.13.3",
        Level::Must,
        "in a new session the target returns its TSIH only in the Final-Response: every earlier \
       Login Response carries the request's TSIH, 0",
        tsih_zero_until_final,
    ),
    Scenario::new(
        "iscsi.login.tsih-nonzero-final",
        "RFC 7143 §11.13.3",
        Level::Must,
        "the Final-Response of a new session's login carries a TSIH other than 0",
        tsih_nonzero_final,
    ),
    Scenario::new(
        "iscsi.login.tsih-unknown",
        "RFC 7143 §6.3.1, §11.13.5",
        Level::Must,
        "a login with a TSIH that names no session is refused with an initiator error (status \
         class 2)",
        tsih_unknown,
    ),
    Scenario::new(
        "iscsi.login.tsih-unknown-detail",
        "RFC 7143 §11.13.5",
        Level::Should,
        "that refusal says 0x020a (Session does not exist)",
        tsih_unknown_detail,
    ),
    Scenario::new(
        "iscsi.login.tsih-wrong-isid",
        "RFC 7143 §6.3.1, §11.13.5",
        Level::Must,
        "a login with the TSIH of an existing session but another ISID names no session and is \
         refused with an initiator error (status class 2)",
        tsih_wrong_isid,
    ),
    Scenario::new(
        "iscsi.login.tsih-wrong-isid-detail",
        "RFC 7143 §11.13.5",
        Level::Should,
        "that refusal says 0x020a (Session does not exist)",
        tsih_wrong_isid_detail,
    ),
    Scenario::new(
        "iscsi.login.tsih-changed-mid-login",
        "RFC 7143 §11.12.6",
        Level::Should,
        "the target keeps the TSIH of the first Login Request: a later request of the same login \
       with another TSIH is refused or ignored, never adopted",
        tsih_changed,
    ),
];

fn success(login: &RawLogin, step: Step) -> Result<(), Outcome> {
    match step {
        Step::Done(_) if !login.responses.is_empty() => Ok(()),
        Step::Done(_) => Err(Outcome::fail("Login Responses", "none")),
        Step::Refused(reply) => Err(Outcome::fail("a successful login", reply.describe())),
    }
}

fn isid_echoed(ctx: &mut Context) -> Verdict {
    let (login, step) = RawLogin::full(ctx, Q, &[])?;
    if let Err(outcome) = success(&login, step) {
        return Ok(outcome);
    }
    Ok(
        match login.responses.iter().find(|r| r.isid != login.isid) {
            None => Outcome::Pass,
            Some(r) => Outcome::fail(
                format!("ISID {:02x?}", login.isid.to_bytes()),
                format!("ISID {:02x?}", r.isid.to_bytes()),
            ),
        },
    )
}

fn login_with_isid(ctx: &mut Context, isid: Isid) -> Verdict {
    let mut login = RawLogin::connect(ctx, 0)?;
    login.isid = isid;
    let first = RawLogin::first_keys(ctx);
    let step = match login.security(ctx, &first, &[])? {
        Step::Done(_) => login.operational(ctx, &[])?,
        refused => refused,
    };
    Ok(match success(&login, step) {
        Ok(()) => Outcome::Pass,
        Err(outcome) => outcome,
    })
}

fn isid_oui(ctx: &mut Context) -> Verdict {
    // A and B hold an OUI (here 00-14-05 shifted into 22 bits), C and D a qualifier.
    login_with_isid(
        ctx,
        Isid {
            t: IsidType::Oui,
            a: 0x00,
            b: 0x1405,
            c: 0x53,
            d: Q + 1,
        },
    )
}

fn isid_en(ctx: &mut Context) -> Verdict {
    // A reserved, B and C an IANA enterprise number, D a qualifier.
    login_with_isid(
        ctx,
        Isid {
            t: IsidType::En,
            a: 0,
            b: 0x0000,
            c: 0x2a,
            d: Q + 2,
        },
    )
}

fn isid_random(ctx: &mut Context) -> Verdict {
    login_with_isid(
        ctx,
        Isid {
            t: IsidType::Random,
            a: 0,
            b: 0x9c41,
            c: 0x7d,
            d: Q + 3,
        },
    )
}

fn tsih_zero_until_final(ctx: &mut Context) -> Verdict {
    let (login, step) = RawLogin::full(ctx, Q + 4, &[])?;
    if let Err(outcome) = success(&login, step) {
        return Ok(outcome);
    }
    let before_final = &login.responses[..login.responses.len() - 1];
    Ok(match before_final.iter().find(|r| r.tsih != 0) {
        None => Outcome::Pass,
        Some(r) => Outcome::fail(
            "TSIH 0 in every Login Response before the Final-Response",
            format!(
                "TSIH {:#06x} in a response with T={} NSG={}",
                r.tsih,
                r.transit,
                r.nsg.raw()
            ),
        ),
    })
}

fn tsih_nonzero_final(ctx: &mut Context) -> Verdict {
    let (login, step) = RawLogin::full(ctx, Q + 5, &[])?;
    if let Err(outcome) = success(&login, step) {
        return Ok(outcome);
    }
    Ok(Outcome::check(
        login.tsih != 0,
        "a TSIH other than 0",
        "TSIH 0",
    ))
}

/// RFC 7143 §11.13.5: 0x020a, a TSIH naming no session.
fn session_does_not_exist() -> Refusal {
    Refusal::detail(LoginStatus::SessionDoesNotExist)
}

fn tsih_unknown_judged(ctx: &mut Context, judge: Refusal) -> Verdict {
    let (_, step) = RawLogin::join(ctx, crate::wire::isid(Q + 6), 0x7e57, 0)?;
    Ok(judge.judge(&step))
}

cases! {
    tsih_unknown => tsih_unknown_judged(Refusal::Class);
    tsih_unknown_detail => tsih_unknown_judged(session_does_not_exist());
}

fn tsih_wrong_isid_judged(ctx: &mut Context, judge: Refusal) -> Verdict {
    let (session, step) = RawLogin::full(ctx, Q + 7, &[])?;
    if let Err(outcome) = success(&session, step) {
        return Ok(outcome);
    }
    let (_, step) = RawLogin::join(ctx, crate::wire::isid(Q + 8), session.tsih, 1)?;
    drop(session);
    Ok(judge.judge(&step))
}

cases! {
    tsih_wrong_isid => tsih_wrong_isid_judged(Refusal::Class);
    tsih_wrong_isid_detail => tsih_wrong_isid_judged(session_does_not_exist());
}

fn tsih_changed(ctx: &mut Context) -> Verdict {
    const OTHER: u16 = 0x6b1d;
    let mut login = match RawLogin::after_security(ctx, Q + 9)? {
        Ok(login) => login,
        Err(outcome) => return Ok(outcome),
    };
    login.tsih = OTHER;
    let step = login.operational(ctx, &[])?;
    Ok(match step {
        Step::Refused(Reply::Response(r)) if r.status == LoginStatus::SessionDoesNotExist => {
            Outcome::fail(
                "the TSIH of the first request (0, a new session) kept",
                "status 0x020a: the later TSIH was looked up",
            )
        }
        Step::Refused(reply) => Outcome::check(
            reply.is_refusal(),
            "a refusal as an initiator error, or the first TSIH kept",
            reply.describe(),
        ),
        Step::Done(_) => {
            let last = login.responses.last().map_or(0, |r| r.tsih);
            let class = login.responses.last().map(|r| r.status.class());
            Outcome::check(
                last != OTHER && class == Some(LoginStatusClass::Success),
                "a new session's TSIH, not the one of the later request",
                format!("TSIH {last:#06x}"),
            )
        }
    })
}
