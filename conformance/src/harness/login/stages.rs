//! The stages of a raw login: the security stage (the suite's account, if
//! any) and the operational stage up to full feature phase, each driven to
//! its end or to the target's refusal.

use super::{Answer, RawLogin, Reply, Step};
use crate::context::{Account, Context};
use crate::scenario::{Outcome, ScenarioError};
use crate::wire::{borrowed, keys_of, kv, value_of};
use rtgt_proto::chap::{self, ChapAlgorithm, ChapSecret};
use rtgt_proto::pdu::{Isid, LoginResponse, LoginStage, LoginStatusClass};
use rtgt_proto::text::{self, Pair};

/// How many exchanges a stage may take before the scenario gives up.
const MAX_EXCHANGES: usize = 8;

/// What to send next within a stage: the transit bit and the keys, or why
/// the stage cannot go on.
type Next = Result<(bool, Vec<(String, String)>), String>;

impl RawLogin {
    /// One stage from `csg` to `nsg`: `first` keys with T=1, then what
    /// `next` makes of each response of the target, until the target moves
    /// to `nsg` (the target's keys of the stage, in order) or refuses.
    fn stage(
        &mut self,
        ctx: &mut Context,
        (csg, nsg): (LoginStage, LoginStage),
        first: &[(&str, &str)],
        mut next: impl FnMut(&[Pair]) -> Next,
        unended: &str,
    ) -> Result<Step, ScenarioError> {
        let mut received = Vec::new();
        let mut reply = self.exchange(ctx, csg, nsg, true, first)?;
        for _ in 0..MAX_EXCHANGES {
            let Reply::Response(r) = &reply else {
                return Ok(Step::Refused(reply));
            };
            if r.status.class() != LoginStatusClass::Success {
                return Ok(Step::Refused(reply));
            }
            let pairs = keys_of(&r.data);
            received.extend(pairs.iter().cloned());
            if r.transit && r.nsg == nsg {
                if nsg == LoginStage::FullFeaturePhase {
                    self.tsih = r.tsih;
                }
                return Ok(Step::Done(received));
            }
            let (transit, keys) = match next(&pairs) {
                Ok(next) => next,
                Err(why) => return Ok(Step::Refused(Reply::Junk(why))),
            };
            reply = self.exchange(ctx, csg, nsg, transit, &borrowed(&keys))?;
        }
        Ok(Step::Refused(Reply::Junk(unended.into())))
    }

    /// The security stage, from the first request to the target's
    /// transition to operational negotiation: `first` are the session keys
    /// (see [`RawLogin::first_keys`]), `extra` more keys for the first
    /// request. One-way CHAP when the suite has an account.
    pub(crate) fn security(
        &mut self,
        ctx: &mut Context,
        first: &[(String, String)],
        extra: &[(&str, &str)],
    ) -> Result<Step, ScenarioError> {
        let chap = ctx.target.chap.clone();
        let mut keys = borrowed(first);
        keys.push(("AuthMethod", RawLogin::auth_methods(ctx)));
        keys.extend_from_slice(extra);
        let stages = (
            LoginStage::SecurityNegotiation,
            LoginStage::LoginOperationalNegotiation,
        );
        let next = |pairs: &[Pair]| -> Next {
            let next = match (&chap, value_of(pairs, "CHAP_C")) {
                (Some(account), Some(challenge)) => {
                    let id = value_of(pairs, "CHAP_I").unwrap_or("0");
                    chap_md5_keys(account, id, challenge)
                        .ok_or("a CHAP challenge the suite could not answer")?
                }
                (Some(_), None) if value_of(pairs, "AuthMethod") == Some("CHAP") => {
                    kv(&[("CHAP_A", "5")])
                }
                _ => Vec::new(),
            };
            let transit = !next.iter().any(|(k, _)| k == "CHAP_A");
            Ok((transit, next))
        };
        self.stage(
            ctx,
            stages,
            &keys,
            next,
            "a security stage that did not end",
        )
    }

    /// The operational stage up to the Login Final-Response, offering
    /// `keys` first. Offers of the target's own are accepted as made.
    pub(crate) fn operational(
        &mut self,
        ctx: &mut Context,
        keys: &[(&str, &str)],
    ) -> Result<Step, ScenarioError> {
        let stages = (
            LoginStage::LoginOperationalNegotiation,
            LoginStage::FullFeaturePhase,
        );
        let next = |pairs: &[Pair]| -> Next { Ok((true, answers_to_offers(pairs, keys))) };
        self.stage(
            ctx,
            stages,
            keys,
            next,
            "an operational stage that did not end",
        )
    }

    /// The security stage with `first` keys, for a scenario that needs it
    /// done: the failed outcome when the target refuses.
    pub(crate) fn secure(
        &mut self,
        ctx: &mut Context,
        first: &[(String, String)],
    ) -> Result<Option<Outcome>, ScenarioError> {
        Ok(match self.security(ctx, first, &[])? {
            Step::Done(_) => None,
            Step::Refused(reply) => Some(Outcome::fail(
                "the security stage to succeed",
                reply.describe(),
            )),
        })
    }

    /// Connects ([`RawLogin::connect`]) and goes through the security stage
    /// of a normal session, or gives the outcome that ends the scenario.
    pub(crate) fn after_security(
        ctx: &mut Context,
        q: u16,
    ) -> Result<Result<RawLogin, Outcome>, ScenarioError> {
        let mut login = RawLogin::connect(ctx, q)?;
        let first = RawLogin::first_keys(ctx);
        Ok(match login.secure(ctx, &first)? {
            None => Ok(login),
            Some(outcome) => Err(outcome),
        })
    }

    /// Connects and logs in to full feature phase with `keys` offered in
    /// the operational stage; the keys the target sent in both stages.
    pub(crate) fn full(
        ctx: &mut Context,
        q: u16,
        keys: &[(&str, &str)],
    ) -> Result<(RawLogin, Step), ScenarioError> {
        let mut login = RawLogin::connect(ctx, q)?;
        let first = RawLogin::first_keys(ctx);
        let mut all = match login.security(ctx, &first, &[])? {
            Step::Done(keys) => keys,
            refused => return Ok((login, refused)),
        };
        let step = match login.operational(ctx, keys)? {
            Step::Done(keys) => {
                all.extend(keys);
                Step::Done(all)
            }
            refused => refused,
        };
        Ok((login, step))
    }

    /// A login of a connection with `isid` and `tsih` through both stages:
    /// the first refusal, if any.
    pub(crate) fn join(
        ctx: &mut Context,
        isid: Isid,
        tsih: u16,
        cid: u16,
    ) -> Result<(RawLogin, Step), ScenarioError> {
        let mut login = RawLogin::connect(ctx, 0)?;
        (login.isid, login.tsih, login.cid) = (isid, tsih, cid);
        let step = login.join_stages(ctx)?;
        Ok((login, step))
    }

    /// Both stages of a login that adds a connection to a session (its
    /// ISID, TSIH and CID already set): the first refusal, if any.
    pub(crate) fn join_stages(&mut self, ctx: &mut Context) -> Result<Step, ScenarioError> {
        // RFC 7143 §13.21: SessionType is leading-only, so not sent here.
        let first: Vec<(String, String)> = RawLogin::first_keys(ctx)
            .into_iter()
            .filter(|(k, _)| k != "SessionType")
            .collect();
        Ok(match self.security(ctx, &first, &[])? {
            Step::Done(_) => self.operational(ctx, &[])?,
            refused => refused,
        })
    }
}

/// The target's offers in `pairs` (keys we did not send), each answered
/// with the value it offered (the first of a list): always a legal answer.
fn answers_to_offers(pairs: &[Pair], ours: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .filter(|p| !ours.iter().any(|(k, _)| *k == p.key))
        .filter(|p| {
            text::lookup(&p.key).is_some_and(|d| {
                !matches!(
                    d.kind,
                    text::KeyKind::Declarative | text::KeyKind::Auth | text::KeyKind::Query
                )
            })
        })
        .filter(|p| text::value::Special::parse_answer(&p.value).is_none())
        .map(|p| {
            let first = p.value.split(',').next().unwrap_or_default();
            (p.key.clone(), first.to_owned())
        })
        .collect()
}

/// `CHAP_N` and `CHAP_R` of `account` for a CHAP_MD5 challenge (RFC 7143
/// §12.1.3).
fn chap_md5_keys(account: &Account, id: &str, challenge: &str) -> Option<Vec<(String, String)>> {
    let (_, response) = chap_response(account, ChapAlgorithm::Md5, id, challenge).ok()?;
    Some(vec![
        ("CHAP_N".into(), account.user.clone()),
        ("CHAP_R".into(), chap::encode_response(&response)),
    ])
}

/// The identifier and the response of `account` with `alg` to the
/// challenge `challenge` of identifier `id`, both as the target wrote them
/// (RFC 7143 §12.1.3).
fn chap_response(
    account: &Account,
    alg: ChapAlgorithm,
    id: &str,
    challenge: &str,
) -> Result<(u8, Vec<u8>), chap::ChapError> {
    let id = chap::parse_identifier(id)?;
    let challenge = chap::parse_binary(challenge)?;
    Ok((
        id,
        alg.response(id, &ChapSecret::new(account.secret.clone()), &challenge),
    ))
}

/// The CHAP response of `account` to the target's challenge keys: the
/// algorithm chosen, the identifier, the challenge and the response.
fn chap_answer(
    account: &Account,
    keys: &[Pair],
) -> Result<(ChapAlgorithm, u8, Vec<u8>, Vec<u8>), ScenarioError> {
    let get = |k: &str| {
        value_of(keys, k).ok_or_else(|| ScenarioError::Login(format!("no {k} in the challenge")))
    };
    let bad = |e: chap::ChapError| ScenarioError::Login(e.to_string());
    let alg = chap::parse_chosen_algorithm(get("CHAP_A")?, &ChapAlgorithm::ALL).map_err(bad)?;
    let (id, challenge) = (get("CHAP_I")?, get("CHAP_C")?);
    let (id, response) = chap_response(account, alg, id, challenge).map_err(bad)?;
    let challenge = chap::parse_binary(challenge).map_err(bad)?;
    Ok((alg, id, challenge, response))
}

/// The security stage with the suite's account (one-way CHAP, MD5) or
/// AuthMethod=None, ending with the move to the operational stage.
pub(crate) fn authenticate(
    ctx: &mut Context,
    login: &mut RawLogin,
    discovery: bool,
) -> Result<(), ScenarioError> {
    use LoginStage::{LoginOperationalNegotiation as Op, SecurityNegotiation as Sec};
    let mut keys = RawLogin::opening_keys(ctx, discovery);
    let account = ctx.target.chap.clone();
    let mut answer = match &account {
        None => {
            keys.push(("AuthMethod".into(), "None".into()));
            login.step(ctx, Sec, Op, true, &keys)?
        }
        Some(account) => {
            keys.push(("AuthMethod".into(), "CHAP".into()));
            accepted(login.step(ctx, Sec, Op, false, &keys)?, "AuthMethod=CHAP")?;
            let (_, challenge) = accepted(
                login.step(ctx, Sec, Op, false, &kv(&[("CHAP_A", "5")]))?,
                "CHAP_A=5",
            )?;
            let (_, _, _, response) = chap_answer(account, &challenge)?;
            let reply = vec![
                ("CHAP_N".to_owned(), account.user.clone()),
                ("CHAP_R".to_owned(), chap::encode_response(&response)),
            ];
            login.step(ctx, Sec, Op, true, &reply)?
        }
    };
    for _ in 0..4 {
        let (r, _) = accepted(answer, "the security stage")?;
        if r.transit {
            return Ok(());
        }
        answer = login.step(ctx, Sec, Op, true, &[])?;
    }
    Err(ScenarioError::Login(
        "the target never left the security stage".into(),
    ))
}

/// The operational stage with `keys` up to full feature phase, as
/// [`RawLogin::operational`]; a refusal is an error of the login. Gives the
/// target's keys.
pub(crate) fn operational(
    ctx: &mut Context,
    login: &mut RawLogin,
    keys: &[(String, String)],
) -> Result<Vec<Pair>, ScenarioError> {
    match login.operational(ctx, &borrowed(keys))? {
        Step::Done(keys) => Ok(keys),
        Step::Refused(reply) => {
            let answer = Answer::of(reply, ctx.target.timeout)?;
            Err(ScenarioError::Login(format!(
                "the operational stage: {}",
                answer.describe()
            )))
        }
    }
}

fn accepted(answer: Answer, what: &str) -> Result<(LoginResponse, Vec<Pair>), ScenarioError> {
    match answer {
        Answer::Response(r, keys) if r.status.class() == LoginStatusClass::Success => Ok((r, keys)),
        other => Err(ScenarioError::Login(format!(
            "{what}: {}",
            other.describe()
        ))),
    }
}
