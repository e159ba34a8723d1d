//! The keys of the first Login Request: InitiatorName, TargetName,
//! SessionType (RFC 7143 §13.4, §13.5, §13.21) and who may log in
//! (§11.13.5).

use crate::context::Context;
use crate::harness::login::{RawLogin, Refusal, Step};
use crate::scenario::{Level, Outcome, Scenario, Verdict};
use crate::wire::last_value;
use rtgt_proto::pdu::LoginStatus;

const Q: u16 = 0x5600;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "iscsi.login.no-initiator-name",
        "RFC 7143 §13.5",
        Level::Must,
        "a first Login Request without InitiatorName is refused with 0x0207 (Missing parameter)",
        no_initiator_name,
    ),
    Scenario::new(
        "iscsi.login.no-target-name",
        "RFC 7143 §13.4",
        Level::Must,
        "a first Login Request of a normal session without TargetName is refused with 0x0207 \
       (Missing parameter)",
        no_target_name,
    ),
    Scenario::new(
        "iscsi.login.discovery-no-initiator-name",
        "RFC 7143 §13.5",
        Level::Must,
        "a discovery session's first Login Request without InitiatorName is refused with 0x0207",
        discovery_no_initiator_name,
    ),
    Scenario::new(
        "iscsi.login.discovery-session",
        "RFC 7143 §13.21",
        Level::Must,
        "a discovery session (SessionType=Discovery, no TargetName) logs in",
        discovery,
    ),
    Scenario::new(
        "iscsi.login.session-type-default-normal",
        "RFC 7143 §13.21",
        Level::Must,
        "a login without SessionType is a normal session (the default) and succeeds with a \
       TargetName",
        default_normal,
    ),
    Scenario::new(
        "iscsi.login.session-type-unknown",
        "RFC 7143 §13.21, §11.13.5",
        Level::Must,
        "an unknown SessionType value is answered SessionType=Reject or the login refused with \
         an initiator error (status class 2)",
        session_type_unknown,
    ),
    Scenario::new(
        "iscsi.login.session-type-unknown-detail",
        "RFC 7143 §11.13.5",
        Level::Should,
        "a refusal of an unknown SessionType says 0x0209 (Session type not supported)",
        session_type_unknown_detail,
    ),
    Scenario::new(
        "iscsi.login.unauthorized-initiator",
        "RFC 7143 §11.13.5",
        Level::Must,
        "an initiator name the target does not admit is refused with 0x0202 (Authorization \
       failure); not applicable when the target admits any name",
        unauthorized,
    ),
];

/// The names of a first request: InitiatorName (the suite's, the one
/// given, or none) and TargetName (the suite's, when `target`).
#[derive(Clone, Copy)]
struct Names {
    initiator: Option<Option<&'static str>>,
    target: bool,
}

impl Names {
    /// The suite's names: its InitiatorName when `initiator`, its
    /// TargetName when `target`.
    const fn suite(initiator: bool, target: bool) -> Names {
        Names {
            initiator: if initiator { Some(None) } else { None },
            target,
        }
    }
}

const NO_INITIATOR: Names = Names::suite(false, true);
const INITIATOR_ONLY: Names = Names::suite(true, false);
const NO_NAME: Names = Names::suite(false, false);
const BOTH: Names = Names::suite(true, true);
/// An initiator name no target is configured to admit.
const INVENTED: &str = "iqn.2001-04.org.rtgt.conformance:not-admitted-7d3e1a";

/// A login whose first request carries exactly `names` and `session_type`
/// (plus AuthMethod), through both stages, judged by `judge`.
fn judged(
    ctx: &mut Context,
    q: u16,
    (names, session_type): (Names, Option<&str>),
    judge: impl FnOnce(&Step) -> Outcome,
) -> Verdict {
    let mut first = Vec::new();
    if let Some(name) = names.initiator {
        let name = name.map_or_else(|| ctx.target.initiator_name.clone(), str::to_owned);
        first.push(("InitiatorName".to_owned(), name));
    }
    if names.target {
        first.push(("TargetName".to_owned(), ctx.target.iqn.clone()));
    }
    if let Some(kind) = session_type {
        first.push(("SessionType".to_owned(), kind.to_owned()));
    }
    let mut login = RawLogin::connect(ctx, q)?;
    let step = match login.security(ctx, &first, &[])? {
        Step::Done(_) => login.operational(ctx, &[])?,
        refused => refused,
    };
    Ok(judge(&step))
}

/// RFC 7143 §11.13.5: 0x0207, a key the login needs left out.
fn missing() -> Refusal {
    Refusal::detail(LoginStatus::MissingParameter)
}

fn refused_missing(step: &Step) -> Outcome {
    missing().judge(step)
}

fn success(step: &Step) -> Outcome {
    match step {
        Step::Done(_) => Outcome::Pass,
        Step::Refused(reply) => Outcome::fail("a successful login", reply.describe()),
    }
}

cases! {
    no_initiator_name => judged(Q, (NO_INITIATOR, Some("Normal")), refused_missing);
    no_target_name => judged(Q + 1, (INITIATOR_ONLY, Some("Normal")), refused_missing);
    discovery_no_initiator_name => judged(Q + 2, (NO_NAME, Some("Discovery")), refused_missing);
    discovery => judged(Q + 3, (INITIATOR_ONLY, Some("Discovery")), success);
    default_normal => judged(Q + 4, (BOTH, None), success);
}

fn session_type_unknown_judged(ctx: &mut Context, judge: Refusal) -> Verdict {
    let name = ctx.target.initiator_name.clone();
    let iqn = ctx.target.iqn.clone();
    let mut raw = RawLogin::connect(ctx, Q + 5)?;
    let first = vec![
        ("InitiatorName".to_owned(), name),
        ("TargetName".to_owned(), iqn),
        ("SessionType".to_owned(), "Bulk".to_owned()),
    ];
    let step = raw.security(ctx, &first, &[])?;
    let answered_reject = raw
        .responses
        .iter()
        .any(|r| last_value(&crate::wire::keys_of(&r.data), "SessionType") == Some("Reject"));
    Ok(match step {
        // RFC 7143 §13.21 with §6.2: an unsupported value may be answered
        // Reject, and the login go on.
        _ if answered_reject => Outcome::Pass,
        Step::Done(_) => Outcome::fail(
            "SessionType=Reject, or the login refused",
            "the security stage completed without either",
        ),
        refused => judge.judge(&refused),
    })
}

fn session_type_unknown(ctx: &mut Context) -> Verdict {
    session_type_unknown_judged(ctx, Refusal::Class)
}

fn session_type_unknown_detail(ctx: &mut Context) -> Verdict {
    session_type_unknown_judged(ctx, Refusal::detail(LoginStatus::SessionTypeNotSupported))
}

fn unauthorized(ctx: &mut Context) -> Verdict {
    let chap = ctx.target.chap.is_some();
    let names = Names {
        initiator: Some(Some(INVENTED)),
        target: true,
    };
    judged(ctx, Q + 6, (names, Some("Normal")), |step| match step {
        Step::Done(_) => Outcome::not_applicable(format!(
            "the target admitted the invented initiator name {INVENTED}: it restricts no names"
        )),
        Step::Refused(reply) => {
            let auth_failure = chap && reply.status() == Some(0x0201);
            Outcome::check(
                reply.status() == Some(0x0202) || auth_failure,
                "status 0x0202 (Authorization failure)",
                reply.describe(),
            )
        }
    })
}
