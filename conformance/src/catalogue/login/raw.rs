//! A login driven by hand over a raw connection: every field of every Login
//! Request under the scenario's control, every Login Response kept for
//! checking. Used by the login and negotiation scenarios.

use crate::context::Context;
use crate::scenario::{Outcome, ScenarioError};
use crate::wire::{isid, keys_of, Received, Wire};
use bytes::Bytes;
use rtgt_proto::chap::{self, ChapAlgorithm, ChapSecret};
use rtgt_proto::pdu::{
    Isid, LoginRequest, LoginResponse, LoginStage, LoginStatusClass, NopOut, Pdu,
};
use rtgt_proto::text::{self, Pair};

/// The CmdSN of every login this module drives: not 0 or 1, so that an
/// ExpCmdSN echoing it is not a coincidence.
pub(crate) const LOGIN_CMD_SN: u32 = 0x0000_1000;
/// The ITT of every Login Request: distinctive, so an echo is visible.
pub(crate) const LOGIN_ITT: u32 = 0x0c0f_f1ce;
/// How many exchanges a stage may take before the scenario gives up.
const MAX_EXCHANGES: usize = 8;

/// What came back for one Login Request.
#[derive(Debug)]
pub(crate) enum Reply {
    Response(LoginResponse),
    Other(Pdu),
    Closed,
    Timeout,
    Junk(String),
}

impl Reply {
    pub(crate) fn describe(&self) -> String {
        match self {
            Reply::Response(r) => format!(
                "a Login Response with status {:#06x} ({})",
                r.status.raw(),
                r.status.name()
            ),
            Reply::Other(p) => format!("a {} PDU", p.opcode().name()),
            Reply::Closed => "the connection closed".into(),
            Reply::Timeout => "nothing within the timeout".into(),
            Reply::Junk(what) => what.clone(),
        }
    }

    /// A refusal of an initiator error: a Login Response of class 2
    /// (RFC 7143 §11.13.5), or the connection closed.
    pub(crate) fn is_refusal(&self) -> bool {
        match self {
            Reply::Response(r) => r.status.class() == LoginStatusClass::InitiatorError,
            Reply::Closed => true,
            _ => false,
        }
    }

    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            Reply::Response(r) => Some(r.status.raw()),
            _ => None,
        }
    }
}

/// How a refused login is judged. RFC 7143 §11.13.5: the Status-Class is
/// what an initiator acts on (2: initiator error), the Status-Detail the
/// finer reason. A scenario checks the class at its own level; a sibling
/// `-detail` scenario checks the detail at SHOULD.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Refusal {
    /// A Login Response of status class 2.
    Class,
    /// A Login Response with this status, named.
    Detail(u16, &'static str),
}

impl Refusal {
    fn expected(self) -> String {
        match self {
            Refusal::Class => "a Login Response of status class 2 (initiator error)".into(),
            Refusal::Detail(code, name) => format!("status {code:#06x} ({name})"),
        }
    }

    /// The verdict on how a login ended.
    pub(crate) fn judge(self, step: &Step) -> Outcome {
        let expected = self.expected();
        match (self, step) {
            (Refusal::Class, Step::Refused(reply @ Reply::Response(r))) => Outcome::check(
                r.status.class() == LoginStatusClass::InitiatorError,
                expected,
                reply.describe(),
            ),
            (Refusal::Detail(code, _), Step::Refused(reply @ Reply::Response(r))) => {
                Outcome::check(r.status.raw() == code, expected, reply.describe())
            }
            (_, Step::Refused(reply)) => Outcome::fail(expected, reply.describe()),
            (_, Step::Done(_)) => Outcome::fail(expected, "a successful login"),
        }
    }
}

/// How a stage ended.
#[derive(Debug)]
pub(crate) enum Step {
    /// The stage ended with the transition asked for; the target's keys of
    /// the stage, in order.
    Done(Vec<Pair>),
    /// The target refused (or the exchange broke off) with this reply.
    Refused(Reply),
}

/// One connection's login, driven by hand.
#[derive(Debug)]
pub(crate) struct RawLogin {
    pub wire: Wire,
    pub isid: Isid,
    pub tsih: u16,
    pub cid: u16,
    pub cmd_sn: u32,
    pub exp_stat_sn: u32,
    pub version_max: u8,
    pub version_min: u8,
    /// Every Login Response received, oldest first.
    pub responses: Vec<LoginResponse>,
    /// CSG, NSG and T of every request sent, in order.
    pub sent: Vec<(LoginStage, LoginStage, bool)>,
}

impl RawLogin {
    /// Connects; the login uses ISID [`isid`]\(`q`), TSIH 0 and CID 0.
    pub(crate) fn connect(ctx: &mut Context, q: u16) -> Result<RawLogin, ScenarioError> {
        Ok(RawLogin {
            wire: Wire::connect(ctx)?,
            isid: isid(q),
            tsih: 0,
            cid: 0,
            cmd_sn: LOGIN_CMD_SN,
            exp_stat_sn: 0,
            version_max: 0,
            version_min: 0,
            responses: Vec::new(),
            sent: Vec::new(),
        })
    }

    /// A Login Request with this login's fields and `keys`.
    pub(crate) fn request(
        &self,
        csg: LoginStage,
        nsg: LoginStage,
        transit: bool,
        keys: &[(&str, &str)],
    ) -> LoginRequest {
        let pairs: Vec<Pair> = keys.iter().map(|(k, v)| Pair::new(*k, *v)).collect();
        LoginRequest {
            transit,
            csg,
            nsg: if transit {
                nsg
            } else {
                LoginStage::SecurityNegotiation
            },
            version_max: self.version_max,
            version_min: self.version_min,
            isid: self.isid,
            tsih: self.tsih,
            itt: LOGIN_ITT,
            cid: self.cid,
            cmd_sn: self.cmd_sn,
            exp_stat_sn: self.exp_stat_sn,
            data: Bytes::from(text::encode(&pairs)),
            ..LoginRequest::default()
        }
    }

    /// Sends `request` as it is and reads the reply.
    pub(crate) fn send(
        &mut self,
        ctx: &mut Context,
        request: LoginRequest,
    ) -> Result<Reply, ScenarioError> {
        self.sent.push((request.csg, request.nsg, request.transit));
        self.wire.send(ctx, request)?;
        self.recv(ctx)
    }

    /// Sends any PDU and reads the reply.
    pub(crate) fn send_other(
        &mut self,
        ctx: &mut Context,
        pdu: impl Into<Pdu>,
    ) -> Result<Reply, ScenarioError> {
        self.wire.send(ctx, pdu)?;
        self.recv(ctx)
    }

    /// Builds a request from this login's fields and sends it.
    pub(crate) fn exchange(
        &mut self,
        ctx: &mut Context,
        csg: LoginStage,
        nsg: LoginStage,
        transit: bool,
        keys: &[(&str, &str)],
    ) -> Result<Reply, ScenarioError> {
        let request = self.request(csg, nsg, transit, keys);
        self.send(ctx, request)
    }

    /// The next reply within the target's timeout.
    pub(crate) fn recv(&mut self, ctx: &mut Context) -> Result<Reply, ScenarioError> {
        let timeout = ctx.target.timeout;
        Ok(match self.wire.recv(ctx, timeout)? {
            Received::Pdu(Pdu::LoginResponse(r)) => {
                // RFC 7143 §11.12.9: later requests acknowledge the responses.
                self.exp_stat_sn = r.stat_sn.wrapping_add(1);
                self.responses.push(r.clone());
                Reply::Response(r)
            }
            Received::Pdu(other) => Reply::Other(other),
            Received::Closed => Reply::Closed,
            Received::Timeout => Reply::Timeout,
            other => Reply::Junk(other.describe()),
        })
    }

    /// The keys the first request of a normal session carries.
    pub(crate) fn first_keys(ctx: &Context) -> Vec<(String, String)> {
        vec![
            ("InitiatorName".into(), ctx.target.initiator_name.clone()),
            ("TargetName".into(), ctx.target.iqn.clone()),
            ("SessionType".into(), "Normal".into()),
        ]
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
        let method = if chap.is_some() { "CHAP,None" } else { "None" };
        let mut keys: Vec<(&str, &str)> = first
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        keys.push(("AuthMethod", method));
        keys.extend_from_slice(extra);
        let sec = LoginStage::SecurityNegotiation;
        let op = LoginStage::LoginOperationalNegotiation;
        let mut received = Vec::new();
        let mut reply = self.exchange(ctx, sec, op, true, &keys)?;
        for _ in 0..MAX_EXCHANGES {
            let Reply::Response(r) = &reply else {
                return Ok(Step::Refused(reply));
            };
            if r.status.class() != LoginStatusClass::Success {
                return Ok(Step::Refused(reply));
            }
            let pairs = keys_of(&r.data);
            received.extend(pairs.iter().cloned());
            if r.transit && r.nsg == op {
                return Ok(Step::Done(received));
            }
            let next = match (&chap, crate::wire::value_of(&pairs, "CHAP_C")) {
                (Some(account), Some(challenge)) => {
                    let id = crate::wire::value_of(&pairs, "CHAP_I").unwrap_or("0");
                    match chap_answer(&account.user, &account.secret, id, challenge) {
                        Some(answer) => answer,
                        None => {
                            return Ok(Step::Refused(Reply::Junk(
                                "a CHAP challenge the suite could not answer".into(),
                            )))
                        }
                    }
                }
                (Some(_), None) if crate::wire::value_of(&pairs, "AuthMethod") == Some("CHAP") => {
                    vec![("CHAP_A".to_owned(), "5".to_owned())]
                }
                _ => Vec::new(),
            };
            let transit = !next.iter().any(|(k, _)| k == "CHAP_A");
            let next: Vec<(&str, &str)> =
                next.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            reply = self.exchange(ctx, sec, op, transit, &next)?;
        }
        Ok(Step::Refused(Reply::Junk(
            "a security stage that did not end".into(),
        )))
    }

    /// The operational stage up to the Login Final-Response, offering
    /// `keys` first. Offers of the target's own are accepted as made.
    pub(crate) fn operational(
        &mut self,
        ctx: &mut Context,
        keys: &[(&str, &str)],
    ) -> Result<Step, ScenarioError> {
        let op = LoginStage::LoginOperationalNegotiation;
        let ffp = LoginStage::FullFeaturePhase;
        let mut received: Vec<Pair> = Vec::new();
        let mut reply = self.exchange(ctx, op, ffp, true, keys)?;
        for _ in 0..MAX_EXCHANGES {
            let Reply::Response(r) = &reply else {
                return Ok(Step::Refused(reply));
            };
            if r.status.class() != LoginStatusClass::Success {
                return Ok(Step::Refused(reply));
            }
            let pairs = keys_of(&r.data);
            received.extend(pairs.iter().cloned());
            if r.transit && r.nsg == ffp {
                self.tsih = r.tsih;
                return Ok(Step::Done(received));
            }
            let answers = answers_to_offers(&pairs, keys);
            let answers: Vec<(&str, &str)> = answers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            reply = self.exchange(ctx, op, ffp, true, &answers)?;
        }
        Ok(Step::Refused(Reply::Junk(
            "an operational stage that did not end".into(),
        )))
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
}

impl RawLogin {
    /// A login of a connection with `isid` and `tsih` through both stages:
    /// the first refusal, if any.
    pub(crate) fn join(
        ctx: &mut Context,
        isid: Isid,
        tsih: u16,
        cid: u16,
    ) -> Result<(RawLogin, Step), ScenarioError> {
        let mut login = RawLogin::connect(ctx, 0)?;
        login.isid = isid;
        login.tsih = tsih;
        login.cid = cid;
        // RFC 7143 §13.21: SessionType is leading-only, so not sent here.
        let first: Vec<(String, String)> = RawLogin::first_keys(ctx)
            .into_iter()
            .filter(|(k, _)| k != "SessionType")
            .collect();
        let step = match login.security(ctx, &first, &[])? {
            Step::Done(_) => login.operational(ctx, &[])?,
            refused => refused,
        };
        Ok((login, step))
    }

    /// After a successful login: a NOP-Out (the session's first command,
    /// immediate) and whether a NOP-In answered it in time.
    pub(crate) fn ping(&mut self, ctx: &mut Context) -> Result<bool, ScenarioError> {
        let itt = 0x0050_1e55;
        let nop = NopOut {
            immediate: true,
            itt,
            cmd_sn: self.cmd_sn,
            exp_stat_sn: self.exp_stat_sn,
            data: Bytes::from_static(b"rtgt ping"),
            ..NopOut::default()
        };
        self.wire.send(ctx, nop)?;
        let timeout = ctx.target.timeout;
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.wire.recv(ctx, left)? {
                Received::Pdu(Pdu::NopIn(n)) if n.itt == itt => {
                    self.exp_stat_sn = n.stat_sn.wrapping_add(1);
                    return Ok(true);
                }
                Received::Pdu(_) => continue,
                _ => return Ok(false),
            }
        }
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

/// `CHAP_N` and `CHAP_R` for a CHAP_MD5 challenge (RFC 7143 §12.1.3).
fn chap_answer(
    user: &str,
    secret: &[u8],
    id: &str,
    challenge: &str,
) -> Option<Vec<(String, String)>> {
    let id = chap::parse_identifier(id).ok()?;
    let challenge = chap::parse_binary(challenge).ok()?;
    let response = ChapAlgorithm::Md5.response(id, &ChapSecret::new(secret.to_vec()), &challenge);
    Some(vec![
        ("CHAP_N".into(), user.into()),
        ("CHAP_R".into(), chap::encode_response(&response)),
    ])
}

/// Pass when `reply` is a refusal of an initiator error (class 2 status or
/// a closed connection).
pub(crate) fn expect_refusal(reply: &Reply, what: &str) -> Outcome {
    Outcome::check(
        reply.is_refusal(),
        format!("{what}: a Login Response with an initiator-error status (class 2), or the connection closed"),
        reply.describe(),
    )
}

/// The value of `key` among `pairs` (the last one if sent twice).
pub(crate) fn last_value<'a>(pairs: &'a [Pair], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|p| p.key == key)
        .map(|p| p.value.as_str())
}
