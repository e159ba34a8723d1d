//! Logins driven by hand over a raw connection: every field of every
//! Login Request under the scenario's control, every Login Response kept
//! for checking. [`RawLogin`] is the connection's login; [`stages`] drives
//! its security and operational stages; [`reply`] says what came back.

mod reply;
mod stages;

pub(crate) use reply::{expect_refusal, Answer, Refusal, Reply, Step};
pub(crate) use stages::{authenticate, operational};

use crate::context::Context;
use crate::scenario::ScenarioError;
use crate::wire::{borrowed, isid, login_request, wait_within, Received, Wire};
use bytes::Bytes;
use rtgt_proto::pdu::{Isid, LoginRequest, LoginResponse, LoginStage, NopOut, Pdu};

/// The security stage (RFC 7143 §11.12.3: CSG and NSG 0).
pub(crate) const SEC: LoginStage = LoginStage::SecurityNegotiation;
/// The operational stage (1).
pub(crate) const OP: LoginStage = LoginStage::LoginOperationalNegotiation;
/// Full feature phase (3).
pub(crate) const FFP: LoginStage = LoginStage::FullFeaturePhase;

/// The CmdSN of every login [`RawLogin::connect`] drives: not 0 or 1, so
/// that an ExpCmdSN echoing it is not a coincidence.
pub(crate) const LOGIN_CMD_SN: u32 = 0x0000_1000;
/// The ITT of every Login Request: distinctive, so an echo is visible.
pub(crate) const LOGIN_ITT: u32 = 0x0c0f_f1ce;

/// One connection's login, driven by hand.
#[derive(Debug)]
pub(crate) struct RawLogin {
    pub wire: Wire,
    pub isid: Isid,
    pub tsih: u16,
    pub itt: u32,
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
            itt: LOGIN_ITT,
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
        (csg, nsg): (LoginStage, LoginStage),
        transit: bool,
        keys: &[(&str, &str)],
    ) -> LoginRequest {
        LoginRequest {
            version_max: self.version_max,
            version_min: self.version_min,
            isid: self.isid,
            tsih: self.tsih,
            itt: self.itt,
            cid: self.cid,
            cmd_sn: self.cmd_sn,
            exp_stat_sn: self.exp_stat_sn,
            ..login_request(csg, nsg, transit, keys)
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
        let request = self.request((csg, nsg), transit, keys);
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

    /// Connects for a login of the suite's own: ISID [`isid`]\(7), ITT 1
    /// and CmdSN 1, as an ordinary initiator numbers its first login.
    pub(crate) fn plain(ctx: &mut Context) -> Result<RawLogin, ScenarioError> {
        let mut login = RawLogin::connect(ctx, 7)?;
        login.itt = 1;
        login.cmd_sn = 1;
        Ok(login)
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

    /// The keys the first request of a normal session carries.
    pub(crate) fn first_keys(ctx: &Context) -> Vec<(String, String)> {
        Self::opening_keys(ctx, false)
    }

    /// The AuthMethod values the suite offers: CHAP first when it has an
    /// account (RFC 7143 §12.1).
    pub(crate) fn auth_methods(ctx: &Context) -> &'static str {
        if ctx.target.chap.is_some() {
            "CHAP,None"
        } else {
            "None"
        }
    }

    /// The first Login Request of a normal session (not sent): the keys of
    /// [`RawLogin::first_keys`] and `AuthMethod=methods`, from stage `csg`
    /// asking with `transit` for `nsg`.
    pub(crate) fn first_request(
        &self,
        ctx: &Context,
        methods: &str,
        (csg, nsg): (LoginStage, LoginStage),
        transit: bool,
    ) -> LoginRequest {
        let mut keys = RawLogin::first_keys(ctx);
        keys.push(("AuthMethod".into(), methods.into()));
        self.request((csg, nsg), transit, &borrowed(&keys))
    }

    /// Sends [`RawLogin::first_request`] from the security stage and reads
    /// the reply; `methods` `None` offers the suite's
    /// ([`RawLogin::auth_methods`]).
    pub(crate) fn send_first(
        &mut self,
        ctx: &mut Context,
        methods: Option<&str>,
        nsg: LoginStage,
        transit: bool,
    ) -> Result<Reply, ScenarioError> {
        let methods = methods.unwrap_or_else(|| RawLogin::auth_methods(ctx));
        let sec = LoginStage::SecurityNegotiation;
        let request = self.first_request(ctx, methods, (sec, nsg), transit);
        self.send(ctx, request)
    }

    /// Sends one Login Request and reads its answer: a Login Response or a
    /// close, anything else an error of the exchange.
    pub(crate) fn step(
        &mut self,
        ctx: &mut Context,
        csg: LoginStage,
        nsg: LoginStage,
        transit: bool,
        keys: &[(String, String)],
    ) -> Result<Answer, ScenarioError> {
        let reply = self.exchange(ctx, csg, nsg, transit, &borrowed(keys))?;
        Answer::of(reply, ctx.target.timeout)
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
        wait_within(ctx.target.timeout, |left| {
            Ok(match self.wire.recv(ctx, left)? {
                Received::Pdu(Pdu::NopIn(n)) if n.itt == itt => {
                    self.exp_stat_sn = n.stat_sn.wrapping_add(1);
                    Some(true)
                }
                Received::Pdu(_) => None,
                _ => Some(false),
            })
        })
    }
}
