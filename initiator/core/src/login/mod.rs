//! The login phase (RFC 7143 §6.3): stages, the T and C bits, security and
//! operational negotiation, and the move to full feature phase.

mod chap;
mod check;
mod status;

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;
use rtgt_proto::pdu::{
    DecoderConfig, Digests, LoginRequest, LoginResponse, LoginStage, LoginStatusClass, Pdu,
    LOGIN_MAX_DATA_SEGMENT_LENGTH,
};
use rtgt_proto::text::{
    self, DigestKind, Negotiator, Outcome, Pair, Role as TextRole, Stage, TextAccumulator,
};

pub use status::LoginError;

use super::address::TargetAddress;
use super::config::Auth;
use super::event::{CloseReason, Event, UsageError};
use super::state::State;
use super::timers::Timer;
use super::violation::{Flow, ProtocolViolation, Stop, ViolationKind};
use super::Initiator;
use chap::{ChapError, ChapState};

/// What our last Login Request asked for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sent {
    pub transit: bool,
    pub nsg: LoginStage,
}

/// State of a login in progress.
#[derive(Debug)]
pub(crate) struct LoginState {
    pub neg: Negotiator,
    pub csg: LoginStage,
    pub itt: u32,
    pub sent: Sent,
    /// The target's text continued with the C bit.
    pub acc: TextAccumulator,
    /// Further segments of our own text (we sent C=1).
    pub outbox: VecDeque<Bytes>,
    pub chap: Option<ChapState>,
    pub target_keys: Vec<Pair>,
}

fn stage_of(s: LoginStage) -> Stage {
    match s {
        LoginStage::SecurityNegotiation => Stage::Security,
        _ => Stage::Operational,
    }
}

impl Initiator {
    /// Starts the login: the first Login Request is queued.
    pub fn login(&mut self, now: Instant) -> Result<(), UsageError> {
        if !matches!(self.state, State::Idle) {
            return Err(UsageError::LoginStarted);
        }
        let itt = self.session.tasks.alloc_itt()?;
        let csg = if self.config.skip_security {
            LoginStage::LoginOperationalNegotiation
        } else {
            LoginStage::SecurityNegotiation
        };
        let mut neg = Negotiator::new(TextRole::Initiator, stage_of(csg), self.config.keys.clone());
        let pairs = neg.propose();
        let chap = match &self.config.auth {
            Auth::Chap(c) if !self.config.skip_security => Some(ChapState::new(c.clone())),
            _ => None,
        };
        // RFC 7143 §6.3.1: with nothing to authenticate the initiator may ask
        // to leave the security stage at once.
        let (transit, nsg) = match csg {
            LoginStage::SecurityNegotiation => {
                (chap.is_none(), LoginStage::LoginOperationalNegotiation)
            }
            _ => (true, LoginStage::FullFeaturePhase),
        };
        let mut ls = LoginState {
            neg,
            csg,
            itt,
            sent: Sent { transit, nsg },
            acc: TextAccumulator::default(),
            outbox: VecDeque::new(),
            chap,
            target_keys: Vec::new(),
        };
        if let Some(t) = self.config.login_timeout {
            self.timers.set(Timer::Login, now + t);
        }
        ls.send(self, transit, nsg, &pairs);
        self.state = State::Login(Box::new(ls));
        Ok(())
    }

    /// A Login Response during the login phase.
    pub(crate) fn on_login_response(&mut self, now: Instant, r: LoginResponse) -> Flow {
        // The login's state is taken out while it is worked on; the step
        // leaves the state Idle unless it ends the login (full feature phase
        // or closed), and then the login's state is dropped.
        let State::Login(mut ls) = std::mem::replace(&mut self.state, State::Idle) else {
            return Ok(());
        };
        let res = ls.step(self, now, r);
        if matches!(self.state, State::Idle) {
            self.state = State::Login(ls);
        }
        res
    }

    /// The login failed: the session closes.
    pub(crate) fn login_failed(&mut self, e: LoginError) {
        self.events.push_back(Event::LoginFailed(e));
        self.close(CloseReason::LoginFailed);
    }
}

impl LoginState {
    /// Queues a Login Request carrying `pairs`, split into segments with the
    /// C bit when they pass 8192 bytes (RFC 7143 §6.1, §11.12.2).
    fn send(&mut self, ini: &mut Initiator, transit: bool, nsg: LoginStage, pairs: &[Pair]) {
        let encoded = text::encode(pairs);
        let segs: Vec<Bytes> =
            text::split_segments(&encoded, LOGIN_MAX_DATA_SEGMENT_LENGTH as usize)
                .iter()
                .map(|s| Bytes::copy_from_slice(s.data))
                .collect();
        let mut segs = VecDeque::from(segs);
        let first = segs.pop_front().unwrap_or_default();
        self.outbox = segs;
        self.sent = Sent { transit, nsg };
        self.send_segment(ini, first);
    }

    /// Queues one segment of our text as a Login Request.
    fn send_segment(&self, ini: &mut Initiator, data: Bytes) {
        let cont = !self.outbox.is_empty();
        // RFC 7143 §11.12.2: with C=1, T must be 0; NSG is meaningful only
        // with T=1 (§11.12.3) and is sent as zero otherwise.
        let transit = self.sent.transit && !cont;
        let req = LoginRequest {
            immediate: true,
            transit,
            continue_bit: cont,
            csg: self.csg,
            nsg: if transit {
                self.sent.nsg
            } else {
                LoginStage::SecurityNegotiation
            },
            version_max: ini.config.version.0,
            version_min: ini.config.version.1,
            isid: ini.session.isid,
            tsih: ini.config.tsih,
            itt: self.itt,
            cid: ini.conn.cid,
            cmd_sn: ini.session.cmd_sn,
            exp_stat_sn: ini.conn.exp_stat_sn_value(),
            data,
            ..LoginRequest::default()
        };
        ini.conn.push_pdu(&Pdu::LoginRequest(req));
    }

    /// A Login Response: checked against our request, then the next request
    /// of the negotiation, or the end of the login.
    fn step(&mut self, ini: &mut Initiator, now: Instant, r: LoginResponse) -> Flow {
        for v in self.response_problems(&r, ini.session.isid, ini.config.version, ini.config.tsih) {
            ini.violation(v)?;
        }
        match r.status.class() {
            LoginStatusClass::Success => {}
            LoginStatusClass::Redirection => return Self::redirected(ini, &r),
            _ => {
                ini.login_failed(LoginError::from_status(r.status));
                return Err(Stop);
            }
        }
        if let Some(next) = self.outbox.pop_front() {
            // RFC 7143 §11.13: a target answers a C=1 request with an empty
            // response until our text is complete.
            self.send_segment(ini, next);
            return Ok(());
        }
        let pairs = match self.acc.push(&r.data, r.continue_bit) {
            Ok(Some(p)) => p,
            Ok(None) => {
                // RFC 7143 §11.13.2: more text follows; ask for it with an
                // empty request.
                let sent = self.sent;
                self.send(ini, sent.transit, sent.nsg, &[]);
                return Ok(());
            }
            Err(e) => {
                ini.violation(
                    ProtocolViolation::new(
                        ViolationKind::Text,
                        "RFC 7143 §6.1",
                        "key=value pairs, each NUL-terminated",
                        e.to_string(),
                    )
                    .on(rtgt_proto::pdu::Opcode::LoginResponse, r.itt),
                )?;
                Vec::new()
            }
        };
        self.target_keys.extend(pairs.iter().cloned());
        let outcome = match self.neg.handle(&pairs) {
            Ok(o) => o,
            Err(e) => {
                ini.violation(
                    ProtocolViolation::new(
                        ViolationKind::Negotiation,
                        "RFC 7143 §6.2",
                        "a legal answer or offer",
                        e.to_string(),
                    )
                    .on(rtgt_proto::pdu::Opcode::LoginResponse, r.itt),
                )?;
                Outcome::default()
            }
        };
        let mut send = outcome.responses.clone();
        let mut ready = true;
        if self.csg == LoginStage::SecurityNegotiation {
            let (more, chap_ready) = self.security_step(ini, &outcome)?;
            send.extend(more);
            ready = chap_ready;
        }
        if r.transit {
            if r.nsg == LoginStage::FullFeaturePhase {
                return self.complete(ini, now, &r);
            }
            self.csg = r.nsg;
            self.neg.set_stage(stage_of(r.nsg));
            send.extend(self.neg.propose());
            self.send(ini, true, LoginStage::FullFeaturePhase, &send);
            return Ok(());
        }
        if self.csg != LoginStage::SecurityNegotiation {
            send.extend(self.neg.propose());
        }
        let nsg = self.sent.nsg;
        self.send(ini, ready, nsg, &send);
        Ok(())
    }

    /// The CHAP exchange of the security stage, when we authenticate (RFC
    /// 7143 §12.1.3): the keys to send and whether we are ready to move on.
    fn security_step(
        &mut self,
        ini: &mut Initiator,
        outcome: &Outcome,
    ) -> Result<(Vec<Pair>, bool), Stop> {
        let Some(chap) = &mut self.chap else {
            return Ok((Vec::new(), true));
        };
        match chap.step(self.neg.result("AuthMethod"), &outcome.auth, &mut ini.rng) {
            Ok(step) => Ok(step),
            Err(ChapError::Failed(e)) => {
                ini.login_failed(e);
                Err(Stop)
            }
            Err(ChapError::Violation(v, e)) => {
                let _ = ini.violation(v);
                ini.login_failed(e);
                Err(Stop)
            }
        }
    }

    /// A redirection (RFC 7143 §11.13.5): the login ends with the address
    /// to use instead.
    fn redirected(ini: &mut Initiator, r: &LoginResponse) -> Flow {
        let addr = text::decode(&r.data)
            .ok()
            .and_then(|pairs| pairs.into_iter().find(|p| p.key == "TargetAddress"))
            .map(|p| p.value.parse::<TargetAddress>());
        match addr {
            Some(Ok(address)) => {
                ini.events.push_back(Event::Redirected {
                    permanent: r.status.detail() == 0x02,
                    address,
                });
                ini.close(CloseReason::Redirected);
            }
            other => {
                // RFC 7143 §11.13.5: a redirect carries the TargetAddress to
                // use instead (§13.8 gives its form).
                let received = match other {
                    Some(Err(e)) => e.to_string(),
                    _ => "no TargetAddress key".to_owned(),
                };
                ini.violation(
                    ProtocolViolation::new(
                        ViolationKind::MissingKey,
                        "RFC 7143 §11.13.5",
                        "a TargetAddress=host[:port][,tag] with the redirect",
                        received,
                    )
                    .on(rtgt_proto::pdu::Opcode::LoginResponse, r.itt),
                )?;
                ini.login_failed(LoginError::RedirectWithoutAddress {
                    status: r.status.raw(),
                });
            }
        }
        Err(Stop)
    }

    /// The final Login Response: the negotiated parameters take effect and
    /// the connection enters full feature phase.
    fn complete(&mut self, ini: &mut Initiator, now: Instant, r: &LoginResponse) -> Flow {
        let unanswered: Vec<String> = self
            .neg
            .unanswered()
            .iter()
            .map(|s| s.to_string())
            .collect();
        if !unanswered.is_empty() {
            // RFC 7143 §6.2: every offered key gets an answer (a value,
            // Reject, Irrelevant or NotUnderstood).
            ini.violation(
                ProtocolViolation::new(
                    ViolationKind::Negotiation,
                    "RFC 7143 §6.2",
                    "an answer to every key offered",
                    format!("no answer to {}", unanswered.join(", ")),
                )
                .on(rtgt_proto::pdu::Opcode::LoginResponse, r.itt),
            )?;
        }
        let params = match self.neg.params() {
            Ok(p) => p,
            Err(e) => {
                ini.violation(
                    ProtocolViolation::new(
                        ViolationKind::Negotiation,
                        "RFC 7143 §13",
                        "negotiated values that can be used together",
                        e.to_string(),
                    )
                    .on(rtgt_proto::pdu::Opcode::LoginResponse, r.itt),
                )?;
                Default::default()
            }
        };
        let digests = Digests {
            header: params.header_digest == DigestKind::Crc32c,
            data: params.data_digest == DigestKind::Crc32c,
        };
        // RFC 7143 §13.1: digests start with the first PDU after the final
        // Login Response; §13.12: our declared bound applies from then on.
        ini.conn.digests = digests;
        ini.conn.decoder.set_config(DecoderConfig {
            digests,
            max_data_segment_length: ini.config.max_recv_data_segment_length(),
        });
        ini.conn.max_send_data_segment_length = params.target_max_recv_data_segment_length;
        ini.session.tsih = r.tsih;
        ini.session.params = params;
        ini.state = State::FullFeature;
        ini.timers.cancel(Timer::Login);
        if let Some(k) = ini.config.keepalive {
            ini.timers.set(Timer::Keepalive, now + k);
        }
        ini.events.push_back(Event::LoginComplete {
            isid: ini.session.isid,
            tsih: r.tsih,
            params,
            target_keys: std::mem::take(&mut self.target_keys),
        });
        Ok(())
    }
}
