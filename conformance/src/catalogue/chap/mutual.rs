//! Mutual CHAP (RFC 7143 §12.1.3): the target proves itself by answering
//! our challenge, must refuse its own challenge sent back, and must not
//! answer challenges it cannot answer correctly.

use super::{
    account, ask, complete, mutual_answer, name_and, open, refused, respond, target_account,
    Answer, Challenge, RawLogin,
};
use crate::context::Context;
use crate::scenario::{Level, Needs, Outcome, Scenario, ScenarioError, Verdict};
use rtgt_proto::chap::{ChapSecret, MAX_BINARY_LEN};
use rtgt_proto::pdu::LoginStatusClass;
use rtgt_proto::text::value;

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "iscsi.chap.mutual-md5",
        clause: "RFC 7143 §12.1.3",
        level: Level::Must,
        requirement: "given our CHAP_I and CHAP_C with a correct response, the target answers \
                      with its CHAP_N and a CHAP_R computed from its secret, our identifier \
                      and our challenge, and the login completes",
        needs: Needs::MUTUAL_CHAP,
        run: md5,
    },
    Scenario {
        id: "iscsi.chap.mutual-sha256",
        clause: "RFC 7143 §12.1.3",
        level: Level::May,
        requirement: "a target that runs SHA-256 answers our mutual challenge with a correct \
                      32-byte SHA-256 response",
        needs: Needs::MUTUAL_CHAP,
        run: sha256,
    },
    Scenario {
        id: "iscsi.chap.mutual-challenge-base64",
        clause: "RFC 7143 §6.1, §12.1.3",
        level: Level::Must,
        requirement: "our challenge written in base64 is taken as the same bytes: the target's \
                      response to it verifies",
        needs: Needs::MUTUAL_CHAP,
        run: base64,
    },
    Scenario {
        id: "iscsi.chap.reflected-challenge",
        // RFC 3720 §8.2.1 (RFC 7143 §9.2.1): "Responders MUST check for this
        // condition and close the iSCSI TCP connection if it occurs".
        clause: "RFC 7143 §9.2.1",
        level: Level::Must,
        requirement: "when the initiator's challenge is the very challenge the target sent, \
                      the target refuses and closes the connection instead of answering it",
        needs: Needs::MUTUAL_CHAP,
        run: reflected,
    },
    Scenario {
        id: "iscsi.chap.mutual-identifier-out-of-range",
        clause: "RFC 1994 §4.1, RFC 7143 §12.1.3",
        level: Level::Should,
        requirement: "a CHAP_I of 256 is no CHAP identifier (one octet): the target refuses \
                      the login rather than answer it",
        needs: Needs::MUTUAL_CHAP,
        run: identifier_out_of_range,
    },
    Scenario {
        id: "iscsi.chap.mutual-oversize-challenge",
        clause: "RFC 7143 §12.1.3",
        level: Level::Should,
        requirement: "a CHAP_C of 1025 bytes breaks the 1024-byte limit: the target refuses \
                      the login rather than answer it",
        needs: Needs::MUTUAL_CHAP,
        run: oversize,
    },
    Scenario {
        id: "iscsi.chap.mutual-challenge-without-identifier",
        clause: "RFC 7143 §12.1.3",
        level: Level::Should,
        requirement: "a CHAP_C without CHAP_I cannot be answered: the target refuses the login",
        needs: Needs::MUTUAL_CHAP,
        run: without_identifier,
    },
    Scenario {
        id: "iscsi.chap.mutual-one-byte-challenge",
        clause: "RFC 1994 §4.1, RFC 7143 §12.1.3",
        level: Level::Must,
        requirement: "a target that answers a one-byte challenge answers it correctly",
        needs: Needs::MUTUAL_CHAP,
        run: one_byte,
    },
];

/// Our challenge bytes: distinct from any target challenge in practice.
fn ours(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(73) ^ 0xa5)
        .collect()
}

/// Sends a correct response plus `extra` mutual keys.
fn send_mutual(
    ctx: &mut Context,
    login: &mut RawLogin,
    c: &Challenge,
    extra: &[(&str, String)],
) -> Result<Answer, ScenarioError> {
    let user = account(ctx)?;
    let mut keys = name_and(&user.user, &c.response(&user.secret));
    keys.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    respond(ctx, login, &keys)
}

/// Whether `answer` carries a correct mutual response to (`id`, `bytes`).
fn check_mutual(
    ctx: &Context,
    c: &Challenge,
    answer: &Answer,
    id: u8,
    bytes: &[u8],
) -> Result<Outcome, ScenarioError> {
    let target = target_account(ctx)?;
    let Answer::Response(r, keys) = answer else {
        return Ok(Outcome::fail("CHAP_N and CHAP_R", answer.describe()));
    };
    if r.status.class() != LoginStatusClass::Success {
        return Ok(Outcome::fail("CHAP_N and CHAP_R", answer.describe()));
    }
    let Some((name, response)) = mutual_answer(keys) else {
        return Ok(Outcome::fail("CHAP_N and CHAP_R", answer.describe()));
    };
    if name != target.user {
        return Ok(Outcome::fail(
            format!("CHAP_N={}", target.user),
            format!("CHAP_N={name}"),
        ));
    }
    let ok = c.alg.verify(
        id,
        &ChapSecret::new(target.secret.clone()),
        bytes,
        &response,
    );
    Ok(Outcome::check(
        ok && response.len() == c.alg.digest_len(),
        format!(
            "a {:?} response of the target secret over our identifier and challenge",
            c.alg
        ),
        format!("CHAP_R of {} bytes that does not verify", response.len()),
    ))
}

/// Mutual CHAP with `alg_list`, our challenge written by `encode`.
fn mutual(
    ctx: &mut Context,
    alg_list: &str,
    optional: bool,
    encode: fn(&[u8]) -> String,
) -> Verdict {
    let mut login = open(ctx, false)?;
    let c = match ask(ctx, &mut login, alg_list)? {
        Ok(c) => c,
        Err(a) if optional => {
            return Ok(Outcome::not_applicable(format!(
                "the target does not run CHAP_A={alg_list}: {}",
                a.describe()
            )))
        }
        Err(a) => return Ok(Outcome::fail("a challenge", a.describe())),
    };
    let bytes = ours(16);
    let answer = send_mutual(
        ctx,
        &mut login,
        &c,
        &[("CHAP_I", "77".into()), ("CHAP_C", encode(&bytes))],
    )?;
    let verdict = check_mutual(ctx, &c, &answer, 77, &bytes)?;
    if verdict != Outcome::Pass {
        return Ok(verdict);
    }
    Ok(match complete(ctx, &mut login, answer)? {
        None => Outcome::Pass,
        Some(what) => Outcome::fail("the login to complete after mutual CHAP", what),
    })
}

cases! {
    md5 => mutual("5", false, value::encode_hex);
    sha256 => mutual("7", true, value::encode_hex);
    base64 => mutual("5", false, value::encode_base64);
}

fn reflected(ctx: &mut Context) -> Verdict {
    let mut login = open(ctx, false)?;
    let c = match ask(ctx, &mut login, "5")? {
        Ok(c) => c,
        Err(a) => return Ok(Outcome::fail("a challenge", a.describe())),
    };
    let echo = value::encode_hex(&c.bytes);
    let answer = send_mutual(
        ctx,
        &mut login,
        &c,
        &[("CHAP_I", c.id.to_string()), ("CHAP_C", echo)],
    )?;
    if !answer.refused() {
        return Ok(Outcome::fail(
            "a refusal and the connection closed",
            answer.describe(),
        ));
    }
    let quiet = ctx.target.quiet + ctx.target.timeout;
    let closed = matches!(answer, Answer::Closed) || login.wire.closed_within(ctx, quiet)?;
    Ok(Outcome::check(
        closed,
        "the connection closed",
        "the connection stayed open",
    ))
}

/// Mutual keys the target should refuse.
fn refuse_mutual(ctx: &mut Context, extra: &[(&str, String)]) -> Verdict {
    let mut login = open(ctx, false)?;
    let c = match ask(ctx, &mut login, "5")? {
        Ok(c) => c,
        Err(a) => return Ok(Outcome::fail("a challenge", a.describe())),
    };
    let answer = send_mutual(ctx, &mut login, &c, extra)?;
    Ok(refused(
        &answer,
        "an initiator error status or a closed connection",
    ))
}

fn identifier_out_of_range(ctx: &mut Context) -> Verdict {
    let c = value::encode_hex(&ours(16));
    refuse_mutual(ctx, &[("CHAP_I", "256".into()), ("CHAP_C", c)])
}

fn oversize(ctx: &mut Context) -> Verdict {
    let c = value::encode_hex(&ours(MAX_BINARY_LEN + 1));
    refuse_mutual(ctx, &[("CHAP_I", "9".into()), ("CHAP_C", c)])
}

fn without_identifier(ctx: &mut Context) -> Verdict {
    refuse_mutual(ctx, &[("CHAP_C", value::encode_hex(&ours(16)))])
}

fn one_byte(ctx: &mut Context) -> Verdict {
    let mut login = open(ctx, false)?;
    let c = match ask(ctx, &mut login, "5")? {
        Ok(c) => c,
        Err(a) => return Ok(Outcome::fail("a challenge", a.describe())),
    };
    let bytes = [0x42u8];
    let answer = send_mutual(
        ctx,
        &mut login,
        &c,
        &[
            ("CHAP_I", "3".into()),
            ("CHAP_C", value::encode_hex(&bytes)),
        ],
    )?;
    if answer.refused() {
        return Ok(Outcome::not_applicable(format!(
            "the target refuses one-byte challenges: {}",
            answer.describe()
        )));
    }
    check_mutual(ctx, &c, &answer, 3, &bytes)
}
