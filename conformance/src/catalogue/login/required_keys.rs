//! The keys of the first Login Request: InitiatorName, TargetName,
//! SessionType (RFC 7143 §13.4, §13.5, §13.21) and who may log in
//! (§11.13.5).

use crate::context::Context;
use crate::harness::login::{RawLogin, Refusal, Step};
use crate::scenario::{Level, Outcome, Scenario, ScenarioError, Verdict};
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

/// A login whose first request carries exactly `first` (plus AuthMethod),
/// through both stages.
fn login(
    ctx: &mut Context,
    q: u16,
    first: &[(&str, &str)],
) -> Result<(RawLogin, Step), ScenarioError> {
    let mut login = RawLogin::connect(ctx, q)?;
    let first: Vec<(String, String)> = first
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let step = match login.security(ctx, &first, &[])? {
        Step::Done(_) => login.operational(ctx, &[])?,
        refused => refused,
    };
    Ok((login, step))
}

/// RFC 7143 §11.13.5: 0x0207, a key the login needs left out.
fn missing() -> Refusal {
    Refusal::detail(LoginStatus::MissingParameter)
}

fn no_initiator_name(ctx: &mut Context) -> Verdict {
    let iqn = ctx.target.iqn.clone();
    let (_, step) = login(ctx, Q, &[("TargetName", &iqn), ("SessionType", "Normal")])?;
    Ok(missing().judge(&step))
}

fn no_target_name(ctx: &mut Context) -> Verdict {
    let name = ctx.target.initiator_name.clone();
    let (_, step) = login(
        ctx,
        Q + 1,
        &[("InitiatorName", &name), ("SessionType", "Normal")],
    )?;
    Ok(missing().judge(&step))
}

fn discovery_no_initiator_name(ctx: &mut Context) -> Verdict {
    let (_, step) = login(ctx, Q + 2, &[("SessionType", "Discovery")])?;
    Ok(missing().judge(&step))
}

fn success(step: &Step) -> Outcome {
    match step {
        Step::Done(_) => Outcome::Pass,
        Step::Refused(reply) => Outcome::fail("a successful login", reply.describe()),
    }
}

fn discovery(ctx: &mut Context) -> Verdict {
    let name = ctx.target.initiator_name.clone();
    let (_, step) = login(
        ctx,
        Q + 3,
        &[("InitiatorName", &name), ("SessionType", "Discovery")],
    )?;
    Ok(success(&step))
}

fn default_normal(ctx: &mut Context) -> Verdict {
    let name = ctx.target.initiator_name.clone();
    let iqn = ctx.target.iqn.clone();
    let (_, step) = login(
        ctx,
        Q + 4,
        &[("InitiatorName", &name), ("TargetName", &iqn)],
    )?;
    Ok(success(&step))
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
    let invented = "iqn.2001-04.org.rtgt.conformance:not-admitted-7d3e1a";
    let iqn = ctx.target.iqn.clone();
    let (_, step) = login(
        ctx,
        Q + 6,
        &[
            ("InitiatorName", invented),
            ("TargetName", &iqn),
            ("SessionType", "Normal"),
        ],
    )?;
    Ok(match step {
        Step::Done(_) => Outcome::not_applicable(format!(
            "the target admitted the invented initiator name {invented}: it restricts no names"
        )),
        Step::Refused(reply) => {
            let auth_failure = ctx.target.chap.is_some() && reply.status() == Some(0x0201);
            Outcome::check(
                reply.status() == Some(0x0202) || auth_failure,
                "status 0x0202 (Authorization failure)",
                reply.describe(),
            )
        }
    })
}
