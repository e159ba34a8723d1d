//! A login driven Login Request by Login Request over a raw connection:
//! each step's answer as it came, the suite's authentication, and the
//! operational stage up to full feature phase.

use crate::context::{Account, Context};
use crate::scenario::ScenarioError;
use crate::wire::{isid, keys_of, value_of, Received, Wire};
use bytes::Bytes;
use rtgt_proto::chap::{self, ChapAlgorithm, ChapSecret};
use rtgt_proto::pdu::{LoginRequest, LoginResponse, LoginStage, LoginStatusClass, Pdu};
use rtgt_proto::text::{self, Pair};

/// What a Login Request got back.
#[derive(Debug)]
pub(crate) enum Answer {
    Response(LoginResponse, Vec<Pair>),
    Closed,
}

impl Answer {
    /// `"status 0x0201"`, `"the connection closed"`...
    pub(crate) fn describe(&self) -> String {
        match self {
            Answer::Response(r, keys) => format!(
                "status {:#06x}, T={}, NSG={:?}, keys {:?}",
                r.status.raw(),
                r.transit,
                r.nsg,
                keys.iter()
                    .map(|p| format!("{}={}", p.key, p.value))
                    .collect::<Vec<_>>()
            ),
            Answer::Closed => "the connection closed".to_owned(),
        }
    }

    /// A Login Response of class 2 (initiator error) or the connection
    /// closed: the ways a target refuses a login.
    pub(crate) fn refused(&self) -> bool {
        match self {
            Answer::Response(r, _) => r.status.class() == LoginStatusClass::InitiatorError,
            Answer::Closed => true,
        }
    }

    /// The raw status, when a response came.
    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            Answer::Response(r, _) => Some(r.status.raw()),
            Answer::Closed => None,
        }
    }
}

/// A login under way on a raw connection: one ITT, CmdSN 1, ExpStatSN
/// following the target's StatSN.
#[derive(Debug)]
pub(crate) struct Login {
    pub wire: Wire,
    pub(crate) exp_stat_sn: u32,
    /// Every key the target sent, in order.
    pub target_keys: Vec<Pair>,
}

impl Login {
    pub(crate) fn connect(ctx: &mut Context) -> Result<Login, ScenarioError> {
        Ok(Login {
            wire: Wire::connect(ctx)?,
            exp_stat_sn: 0,
            target_keys: Vec::new(),
        })
    }

    /// The keys that open a login: names and session type.
    pub(crate) fn opening_keys(ctx: &Context, discovery: bool) -> Vec<(String, String)> {
        let mut keys = vec![(
            "InitiatorName".to_owned(),
            ctx.target.initiator_name.clone(),
        )];
        if discovery {
            keys.push(("SessionType".into(), "Discovery".into()));
        } else {
            keys.push(("TargetName".into(), ctx.target.iqn.clone()));
            keys.push(("SessionType".into(), "Normal".into()));
        }
        keys
    }

    /// Sends one Login Request and reads its answer.
    pub(crate) fn step(
        &mut self,
        ctx: &mut Context,
        csg: LoginStage,
        nsg: LoginStage,
        transit: bool,
        keys: &[(String, String)],
    ) -> Result<Answer, ScenarioError> {
        let pairs: Vec<Pair> = keys.iter().map(|(k, v)| Pair::new(k, v)).collect();
        let request = LoginRequest {
            transit,
            csg,
            nsg: if transit {
                nsg
            } else {
                LoginStage::SecurityNegotiation
            },
            isid: isid(7),
            itt: 1,
            cmd_sn: 1,
            exp_stat_sn: self.exp_stat_sn,
            data: Bytes::from(text::encode(&pairs)),
            ..LoginRequest::default()
        };
        self.wire.send(ctx, request)?;
        let timeout = ctx.target.timeout;
        match self.wire.recv(ctx, timeout)? {
            Received::Pdu(Pdu::LoginResponse(r)) => {
                self.exp_stat_sn = r.stat_sn.wrapping_add(1);
                let keys = keys_of(&r.data);
                self.target_keys.extend(keys.iter().cloned());
                Ok(Answer::Response(r, keys))
            }
            Received::Closed => Ok(Answer::Closed),
            Received::Timeout => Err(ScenarioError::Timeout(timeout, "a Login Response".into())),
            other => Err(ScenarioError::Setup(format!(
                "waiting for a Login Response, received {}",
                other.describe()
            ))),
        }
    }
}

/// `[(k, v)]` from string slices.
pub(crate) fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
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

/// The CHAP response of `account` to the target's challenge keys.
pub(crate) fn chap_answer(
    account: &Account,
    keys: &[Pair],
) -> Result<(ChapAlgorithm, u8, Vec<u8>, Vec<u8>), ScenarioError> {
    let get = |k: &str| {
        value_of(keys, k).ok_or_else(|| ScenarioError::Login(format!("no {k} in the challenge")))
    };
    let bad = |e: chap::ChapError| ScenarioError::Login(e.to_string());
    let alg = chap::parse_chosen_algorithm(get("CHAP_A")?, &ChapAlgorithm::ALL).map_err(bad)?;
    let id = chap::parse_identifier(get("CHAP_I")?).map_err(bad)?;
    let challenge = chap::parse_binary(get("CHAP_C")?).map_err(bad)?;
    let response = alg.response(id, &ChapSecret::new(account.secret.clone()), &challenge);
    Ok((alg, id, challenge, response))
}

/// The security stage with the suite's account (one-way CHAP, MD5) or
/// AuthMethod=None, ending with the move to the operational stage.
pub(crate) fn authenticate(
    ctx: &mut Context,
    login: &mut Login,
    discovery: bool,
) -> Result<(), ScenarioError> {
    use LoginStage::{LoginOperationalNegotiation as Op, SecurityNegotiation as Sec};
    let mut keys = Login::opening_keys(ctx, discovery);
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

/// Keys the target may send without expecting an answer.
fn declarative(key: &str) -> bool {
    matches!(
        key,
        "TargetPortalGroupTag" | "TargetAlias" | "TargetAddress" | "MaxRecvDataSegmentLength"
    )
}

/// The operational stage with `keys`, answering what the target proposes
/// by echoing it, until full feature phase. Gives the target's keys.
pub(crate) fn operational(
    ctx: &mut Context,
    login: &mut Login,
    keys: &[(String, String)],
) -> Result<Vec<Pair>, ScenarioError> {
    use LoginStage::{FullFeaturePhase as Ffp, LoginOperationalNegotiation as Op};
    let mut sent: Vec<String> = keys.iter().map(|(k, _)| k.clone()).collect();
    let mut all = Vec::new();
    let mut next = keys.to_vec();
    for _ in 0..6 {
        let (r, answer) = accepted(
            login.step(ctx, Op, Ffp, true, &next)?,
            "the operational stage",
        )?;
        next = Vec::new();
        for p in &answer {
            if !sent.contains(&p.key) && !declarative(&p.key) {
                next.push((p.key.clone(), p.value.clone()));
                sent.push(p.key.clone());
            }
        }
        all.extend(answer);
        if r.transit && r.nsg == Ffp {
            return Ok(all);
        }
    }
    Err(ScenarioError::Login(
        "the target never reached full feature phase".into(),
    ))
}

/// The last value the target gave for `key`.
pub(crate) fn answer_of<'a>(keys: &'a [Pair], key: &str) -> Option<&'a str> {
    keys.iter()
        .rev()
        .find(|p| p.key == key)
        .map(|p| p.value.as_str())
}
