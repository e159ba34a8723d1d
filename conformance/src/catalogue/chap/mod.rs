//! Scenarios of CHAP authentication (RFC 7143 §12.1.3, RFC 1994): the
//! algorithms, one-way and mutual, wrong and missing values, encodings of
//! binary values, and the stage rules around authentication.

use crate::context::{Account, Context};
use crate::harness::login::{self, Answer, RawLogin, OP, SEC};
use crate::scenario::{Outcome, ScenarioError};
use crate::wire::kv;
use crate::wire::value_of;
use rtgt_proto::chap::{self, ChapAlgorithm, ChapSecret};
use rtgt_proto::pdu::LoginStatusClass;
use rtgt_proto::text::Pair;

mod algorithms;
mod encodings;
mod failures;
mod mutual;
mod stages;

use crate::scenario::Scenario;

/// This area's scenarios, one slice per file.
pub const SCENARIOS: &[&[Scenario]] = &[
    algorithms::SCENARIOS,
    failures::SCENARIOS,
    encodings::SCENARIOS,
    mutual::SCENARIOS,
    stages::SCENARIOS,
];

/// The suite's incoming account (scenarios declare `needs.chap`).
fn account(ctx: &Context) -> Result<Account, ScenarioError> {
    ctx.target
        .chap
        .clone()
        .ok_or_else(|| ScenarioError::Setup("no CHAP account".into()))
}

/// The target's account for mutual CHAP (scenarios declare `needs.mutual_chap`).
fn target_account(ctx: &Context) -> Result<Account, ScenarioError> {
    ctx.target
        .mutual_chap
        .clone()
        .ok_or_else(|| ScenarioError::Setup("no target CHAP account".into()))
}

/// Connects and agrees AuthMethod=CHAP (the first step of §12.1.3).
fn open(ctx: &mut Context, discovery: bool) -> Result<RawLogin, ScenarioError> {
    let mut login = RawLogin::plain(ctx)?;
    let mut keys = RawLogin::opening_keys(ctx, discovery);
    keys.push(("AuthMethod".into(), "CHAP".into()));
    match login.step(ctx, SEC, OP, false, &keys)? {
        Answer::Response(r, k)
            if r.status.class() == LoginStatusClass::Success
                && value_of(&k, "AuthMethod") == Some("CHAP") =>
        {
            Ok(login)
        }
        other => Err(ScenarioError::Login(format!(
            "AuthMethod=CHAP was not agreed: {}",
            other.describe()
        ))),
    }
}

/// The target's challenge, as received.
struct Challenge {
    alg: ChapAlgorithm,
    id: u8,
    bytes: Vec<u8>,
}

impl Challenge {
    /// The correct response with `secret`.
    fn response(&self, secret: &[u8]) -> Vec<u8> {
        self.alg
            .response(self.id, &ChapSecret::new(secret.to_vec()), &self.bytes)
    }
}

/// Sends CHAP_A=`list`; the challenge, or what came instead.
fn ask(
    ctx: &mut Context,
    login: &mut RawLogin,
    list: &str,
) -> Result<Result<Challenge, Answer>, ScenarioError> {
    let answer = login.step(ctx, SEC, SEC, false, &kv(&[("CHAP_A", list)]))?;
    let Answer::Response(r, keys) = &answer else {
        return Ok(Err(answer));
    };
    if r.status.class() != LoginStatusClass::Success {
        return Ok(Err(answer));
    }
    let parsed = (|| {
        let code = value_of(keys, "CHAP_A")?.parse::<u64>().ok()?;
        let alg = ChapAlgorithm::from_code(code)?;
        let id = chap::parse_identifier(value_of(keys, "CHAP_I")?).ok()?;
        let bytes = chap::parse_binary(value_of(keys, "CHAP_C")?).ok()?;
        Some(Challenge { alg, id, bytes })
    })();
    Ok(parsed.ok_or(answer))
}

/// Opens a normal session login and gets a challenge for `list`; a
/// refusal is a setup error (the scenario is about what follows).
fn challenged(ctx: &mut Context, list: &str) -> Result<(RawLogin, Challenge), ScenarioError> {
    let mut login = open(ctx, false)?;
    match ask(ctx, &mut login, list)? {
        Ok(c) => Ok((login, c)),
        Err(answer) => Err(ScenarioError::Login(format!(
            "no challenge for CHAP_A={list}: {}",
            answer.describe()
        ))),
    }
}

/// Sends the third CHAP step with T=1 towards the operational stage.
fn respond(
    ctx: &mut Context,
    login: &mut RawLogin,
    keys: &[(String, String)],
) -> Result<Answer, ScenarioError> {
    login.step(ctx, SEC, OP, true, keys)
}

/// CHAP_N and a CHAP_R of `response` in hex.
fn name_and(user: &str, response: &[u8]) -> Vec<(String, String)> {
    vec![
        ("CHAP_N".to_owned(), user.to_owned()),
        ("CHAP_R".to_owned(), chap::encode_response(response)),
    ]
}

/// After the answer to our response: on to full feature phase. `Ok(None)`
/// when the login completed, else what happened instead.
fn complete(
    ctx: &mut Context,
    login: &mut RawLogin,
    mut answer: Answer,
) -> Result<Option<String>, ScenarioError> {
    for _ in 0..3 {
        match &answer {
            Answer::Response(r, _) if r.status.class() == LoginStatusClass::Success => {
                if r.transit {
                    return match login::operational(ctx, login, &[]) {
                        Ok(_) => Ok(None),
                        Err(ScenarioError::Login(why)) => Ok(Some(why)),
                        Err(e) => Err(e),
                    };
                }
                answer = login.step(ctx, SEC, OP, true, &[])?;
            }
            other => return Ok(Some(other.describe())),
        }
    }
    Ok(Some("the target never left the security stage".into()))
}

/// A refusal (class 2 status or a close) passes; anything else fails.
fn refused(answer: &Answer, expected: &str) -> Outcome {
    Outcome::check(answer.refused(), expected, answer.describe())
}

/// A refusal with one of `statuses` (or, when `close_ok`, a close).
fn refused_with(answer: &Answer, statuses: &[u16], close_ok: bool, expected: &str) -> Outcome {
    let ok = match answer.status() {
        Some(s) => statuses.contains(&s),
        None => close_ok,
    };
    Outcome::check(ok, expected, answer.describe())
}

/// The target's CHAP_N and CHAP_R of a mutual answer.
fn mutual_answer(keys: &[Pair]) -> Option<(String, Vec<u8>)> {
    let n = value_of(keys, "CHAP_N")?.to_owned();
    let r = chap::parse_binary(value_of(keys, "CHAP_R")?).ok()?;
    Some((n, r))
}
