//! Authentication and the login stages (RFC 7143 §6.3, §12.1.3,
//! §11.13.5): no leaving the security stage before CHAP completes, no
//! session without it where the target requires it, discovery included.

use super::{account, challenged, complete, name_and, open, refused, OP, SEC};
use crate::context::Context;
use crate::harness::login::{Answer, RawLogin};
use crate::harness::session::RawSession;
use crate::scenario::{Level, Needs, Outcome, Scenario, Verdict};
use rtgt_proto::pdu::{LoginStage, LoginStatusClass};

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "iscsi.chap.transit-before-response",
        clause: "RFC 7143 §6.3, §12.1.3",
        level: Level::Must,
        requirement: "asked to leave the security stage after the challenge but before any \
                      response, the target does not let the initiator through: it refuses or \
                      stays in the security stage (T=0)",
        needs: Needs::CHAP,
        run: transit_before_response,
    },
    Scenario {
        id: "iscsi.chap.operational-before-authentication",
        clause: "RFC 7143 §6.3, §12.1.3",
        level: Level::Must,
        requirement: "an operational-stage request sent while the CHAP exchange is unfinished \
                      is refused: no operational negotiation before authentication",
        needs: Needs::CHAP,
        run: operational_early,
    },
    Scenario {
        id: "iscsi.chap.none-refused",
        clause: "RFC 7143 §12, §11.13.5",
        level: Level::Must,
        requirement: "a target that requires CHAP refuses AuthMethod=None with status 0x0201",
        needs: Needs::CHAP_REQUIRED,
        run: none_refused,
    },
    Scenario {
        id: "iscsi.chap.security-skipped-refused",
        clause: "RFC 7143 §6.3, §11.13.5",
        level: Level::Must,
        requirement: "a target that requires CHAP refuses a login that starts in the \
                      operational stage (skipping security) with status 0x0201",
        needs: Needs::CHAP_REQUIRED,
        run: skipped,
    },
    Scenario {
        id: "iscsi.chap.discovery-session",
        clause: "RFC 7143 §12.1.3, §4.3",
        level: Level::Must,
        requirement: "a target that requires CHAP for discovery authenticates the suite's \
                      account on a discovery session and then answers SendTargets=All",
        needs: Needs::CHAP,
        run: discovery,
    },
    Scenario {
        id: "iscsi.chap.discovery-none-refused",
        clause: "RFC 7143 §12, §11.13.5",
        level: Level::Must,
        requirement: "a target that requires CHAP for discovery refuses AuthMethod=None on a \
                      discovery session with status 0x0201",
        needs: Needs::CHAP,
        run: discovery_none,
    },
];

fn transit_before_response(ctx: &mut Context) -> Verdict {
    let (mut login, _) = challenged(ctx, "5")?;
    let answer = login.step(ctx, SEC, OP, true, &[])?;
    Ok(match &answer {
        Answer::Response(r, _) if r.status.class() == LoginStatusClass::Success => {
            Outcome::check(!r.transit, "a refusal or T=0", answer.describe())
        }
        _ => refused(&answer, "a refusal or T=0"),
    })
}

fn operational_early(ctx: &mut Context) -> Verdict {
    let (mut login, _) = challenged(ctx, "5")?;
    let answer = login.step(ctx, OP, LoginStage::FullFeaturePhase, true, &[])?;
    Ok(refused(
        &answer,
        "an initiator error status or a closed connection",
    ))
}

/// A login without CHAP: the answer to its first request.
fn without_chap(
    ctx: &mut Context,
    discovery: bool,
    csg: LoginStage,
) -> Result<Answer, crate::scenario::ScenarioError> {
    let mut login = RawLogin::plain(ctx)?;
    let mut keys = RawLogin::opening_keys(ctx, discovery);
    let nsg = if csg == SEC {
        OP
    } else {
        LoginStage::FullFeaturePhase
    };
    if csg == SEC {
        keys.push(("AuthMethod".into(), "None".into()));
    }
    let mut answer = login.step(ctx, csg, nsg, true, &keys)?;
    // A target may answer AuthMethod=Reject with T=0 and wait: insist once.
    if let Answer::Response(r, _) = &answer {
        if r.status.class() == LoginStatusClass::Success && !r.transit {
            answer = login.step(ctx, csg, nsg, true, &[])?;
        }
    }
    Ok(answer)
}

fn status_0201(answer: &Answer) -> Outcome {
    Outcome::check(
        answer.status() == Some(0x0201),
        "status 0x0201 (authentication failure)",
        answer.describe(),
    )
}

fn none_refused(ctx: &mut Context) -> Verdict {
    Ok(status_0201(&without_chap(ctx, false, SEC)?))
}

fn skipped(ctx: &mut Context) -> Verdict {
    Ok(status_0201(&without_chap(ctx, false, OP)?))
}

/// Whether discovery works without CHAP (then it is not required).
fn discovery_open(ctx: &mut Context) -> Result<Option<Answer>, crate::scenario::ScenarioError> {
    let answer = without_chap(ctx, true, SEC)?;
    Ok(match &answer {
        Answer::Response(r, _) if r.status.class() == LoginStatusClass::Success => None,
        _ => Some(answer),
    })
}

fn discovery(ctx: &mut Context) -> Verdict {
    if discovery_open(ctx)?.is_none() {
        return Ok(Outcome::not_applicable(
            "the target does not require CHAP for discovery",
        ));
    }
    let user = account(ctx)?;
    let mut login = open(ctx, true)?;
    let c = match super::ask(ctx, &mut login, "5")? {
        Ok(c) => c,
        Err(a) => return Ok(Outcome::fail("a challenge", a.describe())),
    };
    let answer = super::respond(
        ctx,
        &mut login,
        &name_and(&user.user, &c.response(&user.secret)),
    )?;
    if let Answer::Response(r, _) = &answer {
        if r.status.class() == LoginStatusClass::Success && r.transit {
            let keys = crate::harness::login::operational(ctx, &mut login, &[])?;
            let mut s = RawSession::from_login(login, keys);
            let (_, pairs) = s.text(ctx, &[("SendTargets", "All")])?;
            s.logout(ctx);
            return Ok(Outcome::check(
                pairs
                    .iter()
                    .any(|p| p.key == "TargetName" && p.value == ctx.target.iqn),
                format!("TargetName={} in the SendTargets answer", ctx.target.iqn),
                format!("{pairs:?}"),
            ));
        }
    }
    Ok(match complete(ctx, &mut login, answer)? {
        None => Outcome::Pass,
        Some(what) => Outcome::fail("the discovery login to complete", what),
    })
}

fn discovery_none(ctx: &mut Context) -> Verdict {
    Ok(match discovery_open(ctx)? {
        None => Outcome::not_applicable("the target does not require CHAP for discovery"),
        Some(answer) => status_0201(&answer),
    })
}
