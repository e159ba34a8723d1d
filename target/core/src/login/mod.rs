//! The login phase (RFC 7143 §6.3, §11.12, §11.13): stages, transitions and
//! their errors. A [`Login`] runs its own requests against a [`LoginCtx`],
//! what it reads of the rest of the core. Security is in [`security`], key
//! negotiation limits in [`operational`], ISID/TSIH rules in [`session`].

mod operational;
mod security;
mod session;

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use rtgt_proto::pdu::{
    Isid, LoginRequest, LoginResponse, LoginStage, LoginStatus, LoginStatusClass,
};
use rtgt_proto::text::{
    self, NegotiationError, Negotiator, Pair, Role, SessionType, Stage, TextAccumulator,
};

use super::conn::Conn;
use super::events::ConnId;
use super::registry::Registry;
use super::session::SessionTable;
use super::TargetCore;
use crate::{PortalGroupConfig, RandomSource, TargetId};
use security::Auth;

/// The versions rtgt speaks: RFC 7143 §11.12.4 defines only 0x00.
const VERSION: u8 = 0x00;

/// A login in progress on one connection.
#[derive(Debug)]
pub(crate) struct Login {
    pub isid: Isid,
    pub tsih: u16,
    pub cid: u16,
    pub initiator: String,
    /// The target, for a normal session.
    pub target: Option<TargetId>,
    pub neg: Negotiator,
    /// The stage the next request must be in.
    pub stage: LoginStage,
    pub auth: Auth,
    pub accum: TextAccumulator,
    /// ExpCmdSN for the login responses: the first request's CmdSN
    /// (RFC 7143 §11.12.7), or the session's when joining one.
    pub exp_cmd_sn: u32,
    /// The session being joined (TSIH given), by serial.
    pub joining: Option<u64>,
}

/// What a login reads of the rest of the core: the configuration, the
/// targets, the sessions (to join or reinstate), the peer, and the random
/// source its CHAP challenges come from.
pub(crate) struct LoginCtx<'a> {
    pub cfg: &'a PortalGroupConfig,
    pub reg: &'a Registry,
    pub sessions: &'a SessionTable,
    pub rng: &'a mut dyn RandomSource,
    pub peer: SocketAddr,
    /// The target is shutting down: new logins are refused.
    pub shutting_down: bool,
}

/// Why a login fails: the status and a line for the log.
pub(crate) struct Failure(pub LoginStatus, pub String);

impl Failure {
    pub(crate) fn new(status: LoginStatus, why: impl Into<String>) -> Self {
        Failure(status, why.into())
    }
}

impl From<NegotiationError> for Failure {
    fn from(e: NegotiationError) -> Self {
        let status = match e {
            // RFC 7143 §11.13.5: 0x0207, a required key is missing.
            NegotiationError::MissingKey { .. } => LoginStatus::MissingParameter,
            // RFC 7143 §6.2, §11.13.5: any other negotiation error is an
            // initiator error (0x0200).
            _ => LoginStatus::InitiatorError,
        };
        Failure(status, e.to_string())
    }
}

impl TargetCore {
    /// A Login Request.
    pub(crate) fn on_login(&mut self, conn: ConnId, now: Instant, req: LoginRequest) {
        let base = LoginResponse {
            itt: req.itt,
            isid: req.isid,
            csg: req.csg,
            version_max: VERSION,
            version_active: VERSION,
            ..LoginResponse::default()
        };
        let mut ctx = LoginCtx {
            cfg: &self.cfg,
            reg: &self.tables.reg,
            sessions: &self.tables.sessions,
            rng: &mut *self.rng,
            peer: self.tables.conns.peer_of(conn),
            shutting_down: self.shutting_down,
        };
        let result = match self.tables.conns.get_mut(&conn) {
            Some(c) => c
                .login_for(&ctx, &req)
                .and_then(|login| login.step(&mut ctx, &req)),
            None => Err(Failure::new(LoginStatus::TargetError, "login state lost")),
        };
        match result {
            Ok(Some(resp)) => {
                let done = resp.transit && resp.nsg == LoginStage::FullFeaturePhase;
                let mut resp = resp;
                let mut params = None;
                if done {
                    // The session exists from here: the response carries its
                    // TSIH and window.
                    match self.finish_login(conn, now, &mut resp) {
                        Ok(p) => params = Some(p),
                        Err(Failure(status, why)) => {
                            self.fail_login(conn, LoginResponse { status, ..base }, &why);
                            return;
                        }
                    }
                } else if let Some(l) = self.tables.conns.get(&conn).and_then(|c| c.login()) {
                    resp.exp_cmd_sn = l.exp_cmd_sn;
                    resp.max_cmd_sn = l.exp_cmd_sn;
                }
                resp.stat_sn = self.tables.conns.take_stat_sn(conn);
                self.tables.conns.send(conn, resp.into());
                if let Some(p) = params {
                    if let Some(c) = self.tables.conns.get_mut(&conn) {
                        p.apply(c);
                    }
                    self.tables.conns.rearm_nop(
                        &mut self.tables.timers,
                        conn,
                        self.cfg.nop.interval,
                        now,
                    );
                }
            }
            Ok(None) => {}
            Err(Failure(status, why)) => {
                let data = redirect_keys(status, &why);
                let resp = LoginResponse {
                    status,
                    data,
                    ..base
                };
                self.fail_login(conn, resp, &why);
            }
        }
    }
}

/// The data of a failing Login Response: for a redirection (status class 1)
/// the TargetAddress key with the new address, which the failure's text
/// holds; nothing otherwise. RFC 7143 §11.13.5: redirections "MUST return
/// one or more text key parameters of the type TargetAddress".
fn redirect_keys(status: LoginStatus, address: &str) -> Bytes {
    if status.class() != LoginStatusClass::Redirection {
        return Bytes::new();
    }
    Bytes::from(text::encode(&[Pair::new("TargetAddress", address)]))
}

impl Conn {
    /// The login a request continues on this connection, started by the
    /// first request.
    fn login_for(&mut self, ctx: &LoginCtx<'_>, req: &LoginRequest) -> Result<&mut Login, Failure> {
        // RFC 7143 §11.12.4: Version-min above what we speak fails with
        // 0x0205; below it we answer with ours in Version-active.
        if req.version_min > VERSION {
            return Err(Failure::new(
                LoginStatus::UnsupportedVersion,
                format!("version-min {:#04x} is above 0x00", req.version_min),
            ));
        }
        if self.login().is_none() {
            let login = Login::start(ctx, req)?;
            self.cid = req.cid;
            self.set_login(login);
        }
        self.login_mut()
            .ok_or_else(|| Failure::new(LoginStatus::TargetError, "login state lost"))
    }
}

impl Login {
    /// One request of this login, after the first one started it.
    fn step(
        &mut self,
        ctx: &mut LoginCtx<'_>,
        req: &LoginRequest,
    ) -> Result<Option<LoginResponse>, Failure> {
        // RFC 7143 §11.12.5 and §6.3: ISID, TSIH, CID and ITT stay the same
        // in every request of one self.
        if req.isid != self.isid || req.tsih != self.tsih || req.cid != self.cid {
            return Err(Failure::new(
                LoginStatus::InitiatorError,
                "ISID, TSIH or CID changed during login",
            ));
        }
        // RFC 7143 §11.12.3: CSG must be the stage we are in.
        if req.csg != self.stage {
            return Err(Failure::new(
                LoginStatus::InitiatorError,
                format!("CSG {} while in {}", req.csg.name(), self.stage.name()),
            ));
        }
        // RFC 7143 §11.12.2: C and T together are a protocol error.
        if req.continue_bit && req.transit {
            return Err(Failure::new(
                LoginStatus::InitiatorError,
                "C and T both set",
            ));
        }
        if req.transit && !valid_transition(req.csg, req.nsg) {
            // RFC 7143 §11.12.3: NSG 2 is reserved and a stage never goes
            // back; FullFeaturePhase is never a current stage.
            return Err(Failure::new(
                LoginStatus::InitiatorError,
                format!("transition {} -> {}", req.csg.name(), req.nsg.name()),
            ));
        }
        // RFC 7143 §6.1.2 (text continuation): C-bit segments are joined and
        // each is acknowledged with an empty Login Response.
        let pairs = match self.accum.push(&req.data, req.continue_bit) {
            Ok(Some(p)) => p,
            Ok(None) => {
                return Ok(Some(LoginResponse {
                    itt: req.itt,
                    isid: req.isid,
                    csg: req.csg,
                    nsg: req.csg,
                    ..LoginResponse::default()
                }));
            }
            Err(e) => return Err(Failure::new(LoginStatus::InitiatorError, e.to_string())),
        };
        let mut out: Vec<Pair> = Vec::new();
        let ready = match req.csg {
            LoginStage::SecurityNegotiation => self.security_step(ctx, &pairs, req, &mut out)?,
            _ => self.operational_step(ctx, &pairs, req.transit, &mut out)?,
        };
        let transit = req.transit && ready;
        if transit {
            self.stage = req.nsg;
            if req.nsg == LoginStage::LoginOperationalNegotiation {
                self.neg.set_stage(Stage::Operational);
            }
        }
        Ok(Some(LoginResponse {
            itt: req.itt,
            isid: req.isid,
            tsih: self.tsih,
            csg: req.csg,
            nsg: if transit { req.nsg } else { req.csg },
            transit,
            version_max: VERSION,
            version_active: VERSION,
            data: Bytes::from(text::encode(&out)),
            ..LoginResponse::default()
        }))
    }

    /// The first request: who is logging in, to what, with which session.
    fn start(ctx: &LoginCtx<'_>, req: &LoginRequest) -> Result<Login, Failure> {
        let pairs = text::decode(&req.data)
            .map_err(|e| Failure::new(LoginStatus::InitiatorError, e.to_string()))?;
        if req.continue_bit {
            // A first request split with the C bit cannot be checked for
            // its required keys; rtgt wants them in the first PDU.
            return Err(Failure::new(
                LoginStatus::InitiatorError,
                "first login request continued with the C bit",
            ));
        }
        // RFC 7143 §13.4, §13.5: InitiatorName always, TargetName in a
        // normal session, in the first request (0x0207 otherwise).
        Negotiator::check_first_request(&pairs)?;
        let initiator = value(&pairs, "InitiatorName")
            .unwrap_or_default()
            .to_string();
        let session_type = match value(&pairs, "SessionType") {
            None | Some("Normal") => SessionType::Normal,
            Some("Discovery") => SessionType::Discovery,
            // RFC 7143 §11.13.5: 0x0209, a session type the target does not
            // support.
            Some(other) => {
                return Err(Failure::new(
                    LoginStatus::SessionTypeNotSupported,
                    format!("SessionType={other}"),
                ))
            }
        };
        if ctx.shutting_down {
            // RFC 7143 §11.13.5: 0x0301, the target is going away.
            return Err(Failure::new(
                LoginStatus::ServiceUnavailable,
                "shutting down",
            ));
        }
        let target = ctx.pick_target(&pairs, session_type)?;
        let joining = ctx.check_session_rules(req, &initiator, target, session_type)?;
        let neg = ctx.negotiator(target, session_type, joining.is_some(), req.csg);
        let exp_cmd_sn = match joining.and_then(|s| ctx.sessions.get(&s)) {
            Some(s) => s.window.exp_cmd_sn(),
            None => req.cmd_sn,
        };
        Ok(Login {
            isid: req.isid,
            tsih: req.tsih,
            cid: req.cid,
            initiator,
            target,
            neg,
            stage: req.csg,
            auth: Auth::Start,
            accum: TextAccumulator::new(ctx.cfg.limits.max_text_bytes),
            exp_cmd_sn,
            joining,
        })
    }
}

impl LoginCtx<'_> {
    /// The target named by TargetName, checked against its access list.
    fn pick_target(
        &self,
        pairs: &[Pair],
        session_type: SessionType,
    ) -> Result<Option<TargetId>, Failure> {
        let initiator = value(pairs, "InitiatorName").unwrap_or_default();
        let peer = self.peer;
        if session_type == SessionType::Discovery {
            if !self.cfg.discovery_enabled {
                // RFC 7143 §11.13.5: 0x0209 for a session type not served.
                return Err(Failure::new(
                    LoginStatus::SessionTypeNotSupported,
                    "discovery sessions are disabled",
                ));
            }
            return Ok(None);
        }
        let name = value(pairs, "TargetName").unwrap_or_default();
        let Some(i) = self.reg.find(name) else {
            // RFC 7143 §11.13.5: 0x0203, no such target.
            return Err(Failure::new(
                LoginStatus::NotFound,
                format!("no target {name}"),
            ));
        };
        let allowed = self
            .reg
            .get(i)
            .is_some_and(|t| t.allows(initiator, peer.ip()));
        if !allowed {
            // RFC 7143 §11.13.5: 0x0202, the initiator may not access it.
            return Err(Failure::new(
                LoginStatus::AuthorizationFailure,
                format!("{initiator} from {peer} may not access {name}"),
            ));
        }
        if let Some(r) = self.reg.get(i).and_then(|t| t.redirect.as_ref()) {
            // RFC 7143 §11.13.5: a moved target answers with status class 1
            // (0x0101 temporarily, 0x0102 permanently), "prior to or after"
            // security negotiation; here at the first request. The text is
            // the TargetAddress the response carries (see `redirect_keys`).
            let status = if r.permanent {
                LoginStatus::TargetMovedPermanently
            } else {
                LoginStatus::TargetMovedTemporarily
            };
            return Err(Failure::new(status, r.address.clone()));
        }
        Ok(Some(i))
    }
}

/// RFC 7143 §11.12.3: the transitions a request may ask for.
fn valid_transition(csg: LoginStage, nsg: LoginStage) -> bool {
    use LoginStage::*;
    matches!(
        (csg, nsg),
        (SecurityNegotiation, LoginOperationalNegotiation)
            | (SecurityNegotiation, FullFeaturePhase)
            | (LoginOperationalNegotiation, FullFeaturePhase)
    )
}

/// The value of `key` in `pairs`.
pub(crate) fn value<'a>(pairs: &'a [Pair], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|p| p.key == key)
        .map(|p| p.value.as_str())
}

/// The negotiator's role for a target.
pub(crate) const ROLE: Role = Role::Target;
