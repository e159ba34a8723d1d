//! CHAP algorithms (RFC 7143 §12.1.3, RFC 1994 §2): MD5 which every target
//! must run, the optional SHA family, and the target's choice from a list.

use super::{account, ask, complete, name_and, open, respond};
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, Verdict};
use crate::wire::value_of;
use rtgt_proto::chap::ChapAlgorithm;

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "iscsi.chap.md5",
        clause: "RFC 7143 §12.1.3",
        level: Level::Must,
        requirement: "offered CHAP_A=5 alone, the target challenges with MD5 and accepts a \
                      correct one-way response: MD5 is the algorithm every implementation runs",
        needs: Needs::CHAP,
        run: md5,
    },
    Scenario {
        id: "iscsi.chap.sha1",
        clause: "RFC 7143 §12.1.3",
        level: Level::May,
        requirement: "a target that accepts CHAP_A=6 (SHA-1) alone authenticates with a SHA-1 \
                      response of 20 bytes",
        needs: Needs::CHAP,
        run: sha1,
    },
    Scenario {
        id: "iscsi.chap.sha256",
        clause: "RFC 7143 §12.1.3",
        level: Level::May,
        requirement: "a target that accepts CHAP_A=7 (SHA-256) alone authenticates with a \
                      SHA-256 response of 32 bytes",
        needs: Needs::CHAP,
        run: sha256,
    },
    Scenario {
        id: "iscsi.chap.sha3-256",
        clause: "RFC 7143 §12.1.3",
        level: Level::May,
        requirement: "a target that accepts CHAP_A=8 (SHA3-256) alone authenticates with a \
                      SHA3-256 response of 32 bytes",
        needs: Needs::CHAP,
        run: sha3_256,
    },
    Scenario {
        id: "iscsi.chap.algorithm-from-list",
        clause: "RFC 7143 §12.1.3",
        level: Level::Must,
        requirement: "offered a list of algorithms, the target answers CHAP_A with exactly one \
                      of them and the login completes with it",
        needs: Needs::CHAP,
        run: from_list,
    },
    Scenario {
        id: "iscsi.chap.unknown-algorithms-skipped",
        clause: "RFC 7143 §12.1.3, §6.2.1",
        level: Level::Must,
        requirement: "offered unassigned algorithm numbers before MD5, the target picks MD5, \
                      the only one of the list it can run",
        needs: Needs::CHAP,
        run: unknown_skipped,
    },
    Scenario {
        id: "iscsi.chap.no-common-algorithm",
        clause: "RFC 7143 §12.1.3, §6.2.1",
        level: Level::Must,
        requirement: "offered only an unassigned algorithm number, the target answers \
                      CHAP_A=Reject or ends the login; it never challenges with an algorithm \
                      that was not offered",
        needs: Needs::CHAP,
        run: no_common,
    },
];

/// One-way CHAP offering `alg` alone. An optional algorithm the target
/// declines is not applicable; MD5 declined is a failure.
fn one(ctx: &mut Context, alg: ChapAlgorithm, optional: bool) -> Verdict {
    let user = account(ctx)?;
    let mut login = open(ctx, false)?;
    let code = alg.code().to_string();
    let c = match ask(ctx, &mut login, &code)? {
        Ok(c) => c,
        Err(answer) if optional => {
            return Ok(Outcome::not_applicable(format!(
                "the target does not run CHAP_A={code}: {}",
                answer.describe()
            )))
        }
        Err(answer) => {
            return Ok(Outcome::fail(
                format!("a challenge with CHAP_A={code}"),
                answer.describe(),
            ))
        }
    };
    if c.alg != alg {
        return Ok(Outcome::fail(
            format!("CHAP_A={code}, the one offered"),
            format!("CHAP_A={}", c.alg.code()),
        ));
    }
    let response = c.response(&user.secret);
    let answer = respond(ctx, &mut login, &name_and(&user.user, &response))?;
    Ok(match complete(ctx, &mut login, answer)? {
        None => Outcome::Pass,
        Some(what) => Outcome::fail(
            format!("the login to complete after a correct {alg:?} response"),
            what,
        ),
    })
}

cases! {
    md5 => one(ChapAlgorithm::Md5, false);
    sha1 => one(ChapAlgorithm::Sha1, true);
    sha256 => one(ChapAlgorithm::Sha256, true);
    sha3_256 => one(ChapAlgorithm::Sha3_256, true);
}

fn from_list(ctx: &mut Context) -> Verdict {
    let user = account(ctx)?;
    let mut login = open(ctx, false)?;
    let c = match ask(ctx, &mut login, "8,7,6,5")? {
        Ok(c) => c,
        Err(answer) => {
            return Ok(Outcome::fail(
                "a challenge with one of 8, 7, 6, 5",
                answer.describe(),
            ))
        }
    };
    let response = c.response(&user.secret);
    let answer = respond(ctx, &mut login, &name_and(&user.user, &response))?;
    Ok(match complete(ctx, &mut login, answer)? {
        None => Outcome::Pass,
        Some(what) => Outcome::fail(
            format!("the login to complete with the chosen {:?}", c.alg),
            what,
        ),
    })
}

fn unknown_skipped(ctx: &mut Context) -> Verdict {
    let mut login = open(ctx, false)?;
    Ok(match ask(ctx, &mut login, "200,201,5")? {
        Ok(c) => Outcome::check(
            c.alg == ChapAlgorithm::Md5,
            "CHAP_A=5",
            format!("CHAP_A={}", c.alg.code()),
        ),
        Err(answer) => Outcome::fail("a challenge with CHAP_A=5", answer.describe()),
    })
}

fn no_common(ctx: &mut Context) -> Verdict {
    let mut login = open(ctx, false)?;
    Ok(match ask(ctx, &mut login, "200")? {
        Ok(c) => Outcome::fail(
            "CHAP_A=Reject or the end of the login",
            format!("a challenge with CHAP_A={}", c.alg.code()),
        ),
        Err(answer) => {
            let ok = match &answer {
                super::Answer::Response(r, keys) => {
                    r.status.class() != rtgt_proto::pdu::LoginStatusClass::Success
                        || (value_of(keys, "CHAP_A") == Some("Reject")
                            && value_of(keys, "CHAP_C").is_none())
                }
                super::Answer::Closed => true,
            };
            Outcome::check(
                ok,
                "CHAP_A=Reject or the end of the login",
                answer.describe(),
            )
        }
    })
}
