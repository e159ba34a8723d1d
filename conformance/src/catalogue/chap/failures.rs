//! CHAP responses the target must refuse (RFC 7143 §12.1.3, §11.13.5):
//! a wrong secret, an unknown user, a response to another identifier, cut
//! or padded responses, and responses without their companion key.

use super::{account, challenged, name_and, refused, refused_with, respond, Challenge};
use crate::context::{Account, Context};
use crate::scenario::{Level, Needs, Scenario, Verdict};
use rtgt_proto::chap::{self, ChapSecret};

/// Authentication failure.
const AUTH_FAILURE: u16 = 0x0201;

/// A response of the wrong length fails authentication or is a malformed
/// request (initiator error).
const WRONG_LENGTH: &[u16] = &[0x0200, 0x0201];

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "iscsi.chap.wrong-secret",
        clause: "RFC 7143 §12.1.3, §11.13.5",
        level: Level::Must,
        requirement: "a response computed with the wrong secret fails the login with status \
                      0x0201 (authentication failure)",
        needs: Needs::CHAP,
        run: wrong_secret,
    },
    Scenario {
        id: "iscsi.chap.unknown-user",
        clause: "RFC 7143 §12.1.3, §11.13.5",
        level: Level::Must,
        requirement: "a CHAP_N the target has no account for fails the login with status \
                      0x0201, even with the response the suite's secret gives",
        needs: Needs::CHAP,
        run: unknown_user,
    },
    Scenario {
        id: "iscsi.chap.wrong-identifier",
        clause: "RFC 1994 §4.1, RFC 7143 §12.1.3",
        level: Level::Must,
        requirement: "a response computed over another identifier than the CHAP_I sent fails \
                      the login with status 0x0201",
        needs: Needs::CHAP,
        run: wrong_identifier,
    },
    Scenario {
        id: "iscsi.chap.truncated-response",
        clause: "RFC 1994 §4.1, RFC 7143 §12.1.3",
        level: Level::Must,
        requirement: "the first half of a correct response is not a correct response: the \
                      login fails with status 0x0201 (or 0x0200, the length being wrong)",
        needs: Needs::CHAP,
        run: truncated,
    },
    Scenario {
        id: "iscsi.chap.extended-response",
        clause: "RFC 1994 §4.1, RFC 7143 §12.1.3",
        level: Level::Must,
        requirement: "a correct response with one byte appended is not a correct response: \
                      the login fails with status 0x0201 (or 0x0200, the length being wrong)",
        needs: Needs::CHAP,
        run: extended,
    },
    Scenario {
        id: "iscsi.chap.oversize-response",
        clause: "RFC 7143 §12.1.3",
        level: Level::Must,
        requirement: "a CHAP_R longer than 1024 bytes (a correct response followed by filler) \
                      is refused: the login fails or the connection closes",
        needs: Needs::CHAP,
        run: oversize,
    },
    Scenario {
        id: "iscsi.chap.name-without-response",
        clause: "RFC 7143 §12.1.3, §11.13.5",
        level: Level::Must,
        requirement: "CHAP_N without CHAP_R does not authenticate: the target refuses with an \
                      initiator error (0x0200, 0x0201 or 0x0207) rather than moving on",
        needs: Needs::CHAP,
        run: name_only,
    },
    // RFC 3720 §11.1.4: "In the third step, the initiator MUST continue
    // with: CHAP_N=<N> CHAP_R=<R>". The rule binds the initiator; no
    // sentence makes a response without a name an authentication failure
    // the target must refuse, so refusing it is a SHOULD.
    Scenario {
        id: "iscsi.chap.response-without-name",
        clause: "RFC 7143 §12.1.3, §11.13.5",
        level: Level::Should,
        requirement: "CHAP_R without CHAP_N does not authenticate: the target refuses with an \
                      initiator error (0x0200, 0x0201 or 0x0207) rather than moving on",
        needs: Needs::CHAP,
        run: response_only,
    },
];

/// How the answer must be refused: with one of these statuses (named in
/// the expectation), or with any initiator error or a close.
#[derive(Clone, Copy)]
enum Expect {
    Statuses(&'static [u16], &'static str),
    Refused,
}

/// The status of a wrong response.
const AUTH: Expect = Expect::Statuses(&[AUTH_FAILURE], "status 0x0201");
/// The status of a response of the wrong length.
const LENGTH: Expect = Expect::Statuses(WRONG_LENGTH, "status 0x0201 or 0x0200");
/// The status of an incomplete CHAP step.
const INCOMPLETE: Expect =
    Expect::Statuses(&[0x0200, 0x0201, 0x0207], "status 0x0200, 0x0201 or 0x0207");

/// Answers a CHAP_MD5 challenge with the keys `keys` makes of the suite's
/// account and the challenge, and judges the refusal.
fn refuses(
    ctx: &mut Context,
    expect: Expect,
    keys: impl FnOnce(&Account, &Challenge) -> Vec<(String, String)>,
) -> Verdict {
    let user = account(ctx)?;
    let (mut login, c) = challenged(ctx, "5")?;
    let answer = respond(ctx, &mut login, &keys(&user, &c))?;
    Ok(match expect {
        Expect::Statuses(statuses, expected) => refused_with(&answer, statuses, false, expected),
        Expect::Refused => refused(&answer, "an initiator error status or a closed connection"),
    })
}

fn wrong_secret(ctx: &mut Context) -> Verdict {
    refuses(ctx, AUTH, |user, c| {
        let mut secret = user.secret.clone();
        secret.extend_from_slice(b"-wrong");
        name_and(&user.user, &c.response(&secret))
    })
}

fn unknown_user(ctx: &mut Context) -> Verdict {
    refuses(ctx, AUTH, |user, c| {
        let name = format!("{}-no-such-user", user.user);
        name_and(&name, &c.response(&user.secret))
    })
}

fn wrong_identifier(ctx: &mut Context) -> Verdict {
    refuses(ctx, AUTH, |user, c| {
        let response = c.alg.response(
            c.id.wrapping_add(1),
            &ChapSecret::new(user.secret.clone()),
            &c.bytes,
        );
        name_and(&user.user, &response)
    })
}

fn truncated(ctx: &mut Context) -> Verdict {
    refuses(ctx, LENGTH, |user, c| {
        let response = c.response(&user.secret);
        name_and(&user.user, &response[..response.len() / 2])
    })
}

fn extended(ctx: &mut Context) -> Verdict {
    refuses(ctx, LENGTH, |user, c| {
        let mut response = c.response(&user.secret);
        response.push(0);
        name_and(&user.user, &response)
    })
}

fn oversize(ctx: &mut Context) -> Verdict {
    refuses(ctx, Expect::Refused, |user, c| {
        let mut response = c.response(&user.secret);
        response.resize(chap::MAX_BINARY_LEN + 1, 0x5a);
        name_and(&user.user, &response)
    })
}

fn name_only(ctx: &mut Context) -> Verdict {
    refuses(ctx, INCOMPLETE, |user, _| {
        vec![("CHAP_N".to_owned(), user.user.clone())]
    })
}

fn response_only(ctx: &mut Context) -> Verdict {
    refuses(ctx, INCOMPLETE, |user, c| {
        vec![(
            "CHAP_R".to_owned(),
            chap::encode_response(&c.response(&user.secret)),
        )]
    })
}
