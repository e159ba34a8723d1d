//! CHAP responses the target must refuse (RFC 7143 §12.1.3, §11.13.5):
//! a wrong secret, an unknown user, a response to another identifier, cut
//! or padded responses, and responses without their companion key.

use super::{account, challenged, name_and, refused, refused_with, respond};
use crate::context::Context;
use crate::scenario::{Level, Needs, Scenario, Verdict};
use rtgt_proto::chap::{self, ChapSecret};

const NEEDS: Needs = Needs {
    chap: true,
    ..Needs::NONE
};

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
        needs: NEEDS,
        run: wrong_secret,
    },
    Scenario {
        id: "iscsi.chap.unknown-user",
        clause: "RFC 7143 §12.1.3, §11.13.5",
        level: Level::Must,
        requirement: "a CHAP_N the target has no account for fails the login with status \
                      0x0201, even with the response the suite's secret gives",
        needs: NEEDS,
        run: unknown_user,
    },
    Scenario {
        id: "iscsi.chap.wrong-identifier",
        clause: "RFC 1994 §4.1, RFC 7143 §12.1.3",
        level: Level::Must,
        requirement: "a response computed over another identifier than the CHAP_I sent fails \
                      the login with status 0x0201",
        needs: NEEDS,
        run: wrong_identifier,
    },
    Scenario {
        id: "iscsi.chap.truncated-response",
        clause: "RFC 1994 §4.1, RFC 7143 §12.1.3",
        level: Level::Must,
        requirement: "the first half of a correct response is not a correct response: the \
                      login fails with status 0x0201 (or 0x0200, the length being wrong)",
        needs: NEEDS,
        run: truncated,
    },
    Scenario {
        id: "iscsi.chap.extended-response",
        clause: "RFC 1994 §4.1, RFC 7143 §12.1.3",
        level: Level::Must,
        requirement: "a correct response with one byte appended is not a correct response: \
                      the login fails with status 0x0201 (or 0x0200, the length being wrong)",
        needs: NEEDS,
        run: extended,
    },
    Scenario {
        id: "iscsi.chap.oversize-response",
        clause: "RFC 7143 §12.1.3",
        level: Level::Must,
        requirement: "a CHAP_R longer than 1024 bytes (a correct response followed by filler) \
                      is refused: the login fails or the connection closes",
        needs: NEEDS,
        run: oversize,
    },
    Scenario {
        id: "iscsi.chap.name-without-response",
        clause: "RFC 7143 §12.1.3, §11.13.5",
        level: Level::Must,
        requirement: "CHAP_N without CHAP_R does not authenticate: the target refuses with an \
                      initiator error (0x0200, 0x0201 or 0x0207) rather than moving on",
        needs: NEEDS,
        run: name_only,
    },
    Scenario {
        id: "iscsi.chap.response-without-name",
        clause: "RFC 7143 §12.1.3, §11.13.5",
        level: Level::Must,
        requirement: "CHAP_R without CHAP_N does not authenticate: the target refuses with an \
                      initiator error (0x0200, 0x0201 or 0x0207) rather than moving on",
        needs: NEEDS,
        run: response_only,
    },
];

fn wrong_secret(ctx: &mut Context) -> Verdict {
    let user = account(ctx)?;
    let (mut login, c) = challenged(ctx, "5")?;
    let mut secret = user.secret.clone();
    secret.extend_from_slice(b"-wrong");
    let answer = respond(ctx, &mut login, &name_and(&user.user, &c.response(&secret)))?;
    Ok(refused_with(
        &answer,
        &[AUTH_FAILURE],
        false,
        "status 0x0201",
    ))
}

fn unknown_user(ctx: &mut Context) -> Verdict {
    let user = account(ctx)?;
    let (mut login, c) = challenged(ctx, "5")?;
    let name = format!("{}-no-such-user", user.user);
    let answer = respond(ctx, &mut login, &name_and(&name, &c.response(&user.secret)))?;
    Ok(refused_with(
        &answer,
        &[AUTH_FAILURE],
        false,
        "status 0x0201",
    ))
}

fn wrong_identifier(ctx: &mut Context) -> Verdict {
    let user = account(ctx)?;
    let (mut login, c) = challenged(ctx, "5")?;
    let response = c.alg.response(
        c.id.wrapping_add(1),
        &ChapSecret::new(user.secret.clone()),
        &c.bytes,
    );
    let answer = respond(ctx, &mut login, &name_and(&user.user, &response))?;
    Ok(refused_with(
        &answer,
        &[AUTH_FAILURE],
        false,
        "status 0x0201",
    ))
}

fn truncated(ctx: &mut Context) -> Verdict {
    let user = account(ctx)?;
    let (mut login, c) = challenged(ctx, "5")?;
    let response = c.response(&user.secret);
    let half = &response[..response.len() / 2];
    let answer = respond(ctx, &mut login, &name_and(&user.user, half))?;
    Ok(refused_with(
        &answer,
        WRONG_LENGTH,
        false,
        "status 0x0201 or 0x0200",
    ))
}

fn extended(ctx: &mut Context) -> Verdict {
    let user = account(ctx)?;
    let (mut login, c) = challenged(ctx, "5")?;
    let mut response = c.response(&user.secret);
    response.push(0);
    let answer = respond(ctx, &mut login, &name_and(&user.user, &response))?;
    Ok(refused_with(
        &answer,
        WRONG_LENGTH,
        false,
        "status 0x0201 or 0x0200",
    ))
}

fn oversize(ctx: &mut Context) -> Verdict {
    let user = account(ctx)?;
    let (mut login, c) = challenged(ctx, "5")?;
    let mut response = c.response(&user.secret);
    response.resize(chap::MAX_BINARY_LEN + 1, 0x5a);
    let answer = respond(ctx, &mut login, &name_and(&user.user, &response))?;
    Ok(refused(
        &answer,
        "an initiator error status or a closed connection",
    ))
}

/// Initiator error statuses that fit an incomplete CHAP step.
const INCOMPLETE: &[u16] = &[0x0200, 0x0201, 0x0207];

fn name_only(ctx: &mut Context) -> Verdict {
    let user = account(ctx)?;
    let (mut login, _) = challenged(ctx, "5")?;
    let keys = vec![("CHAP_N".to_owned(), user.user.clone())];
    let answer = respond(ctx, &mut login, &keys)?;
    Ok(refused_with(
        &answer,
        INCOMPLETE,
        false,
        "status 0x0200, 0x0201 or 0x0207",
    ))
}

fn response_only(ctx: &mut Context) -> Verdict {
    let user = account(ctx)?;
    let (mut login, c) = challenged(ctx, "5")?;
    let keys = vec![(
        "CHAP_R".to_owned(),
        chap::encode_response(&c.response(&user.secret)),
    )];
    let answer = respond(ctx, &mut login, &keys)?;
    Ok(refused_with(
        &answer,
        INCOMPLETE,
        false,
        "status 0x0200, 0x0201 or 0x0207",
    ))
}
