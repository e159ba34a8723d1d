//! Protocol scenarios against a scripted target: hand-built proto PDUs
//! answering what the core sends, no network, virtual time.

mod io;
mod login;
mod reject;
mod session_ops;
mod violations;

use std::time::{Duration, Instant};

use bytes::Bytes;
use rtgt_proto::pdu::{
    DecoderConfig, Digests, LoginRequest, LoginResponse, LoginStage, Pdu, Role, StreamDecoder,
    MAX_DATA_SEGMENT_LENGTH_LIMIT,
};
use rtgt_proto::text::{self, LocalConfig, Negotiator, Pair, Role as TextRole, Stage};

use super::{Event, Initiator, InitiatorConfig, SeededRandom, Strictness};

/// The target side of a test: decodes what the core sent, stamps and sends
/// hand-built answers.
pub(super) struct Target {
    dec: StreamDecoder,
    pub digests: Digests,
    pub stat_sn: u32,
    pub exp_cmd_sn: u32,
    pub max_cmd_sn: u32,
    pub now: Instant,
    /// Every PDU the initiator sent, in order.
    pub log: Vec<Pdu>,
    /// Both directions, in order: (sent by the target, PDU).
    pub transcript: Vec<(bool, Pdu)>,
}

impl Target {
    pub fn new() -> Self {
        Target {
            dec: StreamDecoder::new(DecoderConfig {
                digests: Digests::NONE,
                max_data_segment_length: MAX_DATA_SEGMENT_LENGTH_LIMIT,
            }),
            digests: Digests::NONE,
            stat_sn: 100,
            exp_cmd_sn: 1,
            max_cmd_sn: 16,
            now: Instant::now(),
            log: Vec::new(),
            transcript: Vec::new(),
        }
    }

    pub fn set_digests(&mut self, d: Digests) {
        self.digests = d;
        self.dec.set_digests(d);
    }

    /// Everything the initiator has queued, decoded.
    pub fn recv(&mut self, ini: &mut Initiator) -> Vec<Pdu> {
        let mut out = Vec::new();
        while let Some(parts) = ini.poll_transmit() {
            self.dec.feed(&parts.slices().concat());
            while let Some(f) = self.dec.next_frame() {
                let raw = f.expect("initiator frame");
                let pdu = Pdu::decode_from(&raw, Role::Initiator).expect("initiator pdu");
                self.log.push(pdu.clone());
                self.transcript.push((false, pdu.clone()));
                out.push(pdu);
            }
        }
        out
    }

    /// Fills StatSN, ExpCmdSN and MaxCmdSN of a target PDU and advances
    /// StatSN where the PDU consumes one.
    pub fn stamp(&mut self, mut pdu: Pdu) -> Pdu {
        let (sn, exp, max) = (self.stat_sn, self.exp_cmd_sn, self.max_cmd_sn);
        let advance = match &mut pdu {
            Pdu::LoginResponse(p) => {
                (p.stat_sn, p.exp_cmd_sn, p.max_cmd_sn) = (sn, exp, max);
                true
            }
            Pdu::ScsiResponse(p) => {
                (p.stat_sn, p.exp_cmd_sn, p.max_cmd_sn) = (sn, exp, max);
                true
            }
            Pdu::DataIn(p) => {
                (p.exp_cmd_sn, p.max_cmd_sn) = (exp, max);
                if p.status_present {
                    p.stat_sn = sn;
                }
                p.status_present
            }
            Pdu::NopIn(p) => {
                (p.stat_sn, p.exp_cmd_sn, p.max_cmd_sn) = (sn, exp, max);
                p.itt != u32::MAX
            }
            Pdu::ReadyToTransfer(p) => {
                (p.stat_sn, p.exp_cmd_sn, p.max_cmd_sn) = (sn, exp, max);
                false
            }
            Pdu::TaskManagementResponse(p) => {
                (p.stat_sn, p.exp_cmd_sn, p.max_cmd_sn) = (sn, exp, max);
                true
            }
            Pdu::TextResponse(p) => {
                (p.stat_sn, p.exp_cmd_sn, p.max_cmd_sn) = (sn, exp, max);
                true
            }
            Pdu::LogoutResponse(p) => {
                (p.stat_sn, p.exp_cmd_sn, p.max_cmd_sn) = (sn, exp, max);
                true
            }
            Pdu::AsyncMessage(p) => {
                (p.stat_sn, p.exp_cmd_sn, p.max_cmd_sn) = (sn, exp, max);
                true
            }
            Pdu::Reject(p) => {
                (p.stat_sn, p.exp_cmd_sn, p.max_cmd_sn) = (sn, exp, max);
                true
            }
            _ => false,
        };
        if advance {
            self.stat_sn = self.stat_sn.wrapping_add(1);
        }
        pdu
    }

    /// Stamps and sends a PDU.
    pub fn send(&mut self, ini: &mut Initiator, pdu: impl Into<Pdu>) {
        let pdu = self.stamp(pdu.into());
        self.send_unstamped(ini, &pdu);
    }

    /// Sends a PDU as it is.
    pub fn send_unstamped(&mut self, ini: &mut Initiator, pdu: &Pdu) {
        self.transcript.push((true, pdu.clone()));
        let bytes = pdu.encode(self.digests);
        ini.handle_bytes(self.now, &bytes);
    }

    /// Acknowledges `n` more commands (ExpCmdSN and MaxCmdSN move on).
    pub fn ack(&mut self, n: u32) {
        self.exp_cmd_sn = self.exp_cmd_sn.wrapping_add(n);
        self.max_cmd_sn = self.max_cmd_sn.wrapping_add(n);
    }
}

/// A Login Response echoing a request.
pub(super) fn login_rsp(
    req: &LoginRequest,
    transit: bool,
    nsg: LoginStage,
    pairs: &[Pair],
) -> LoginResponse {
    LoginResponse {
        transit,
        csg: req.csg,
        nsg: if transit {
            nsg
        } else {
            LoginStage::SecurityNegotiation
        },
        isid: req.isid,
        itt: req.itt,
        tsih: if transit && nsg == LoginStage::FullFeaturePhase {
            0x0a0b
        } else {
            0
        },
        data: Bytes::from(text::encode(pairs)),
        ..LoginResponse::default()
    }
}

pub(super) fn login_req(p: &Pdu) -> LoginRequest {
    match p {
        Pdu::LoginRequest(r) => r.clone(),
        other => panic!("expected a login request, got {other:?}"),
    }
}

/// An initiator seeded with `seed` that has queued its first Login Request,
/// its target, and that request.
pub(super) fn start_login(cfg: InitiatorConfig, seed: u64) -> (Initiator, Target, LoginRequest) {
    let mut ini = Initiator::new(cfg, SeededRandom::new(seed));
    let mut t = Target::new();
    ini.login(t.now).unwrap();
    let req = login_req(&t.recv(&mut ini)[0]);
    (ini, t, req)
}

/// Answers `req` in the security stage with `pairs` (T=0) and returns the
/// next Login Request.
pub(super) fn answer_security(
    ini: &mut Initiator,
    t: &mut Target,
    req: &LoginRequest,
    pairs: &[Pair],
) -> LoginRequest {
    t.send(
        ini,
        login_rsp(req, false, LoginStage::SecurityNegotiation, pairs),
    );
    login_req(&t.recv(ini)[0])
}

/// A CHAP login (`cfg` has CHAP, the initiator is seeded with `seed`) whose
/// target agrees to CHAP and then sends `challenge` (CHAP_A, CHAP_I,
/// CHAP_C).
pub(super) fn chap_challenged(cfg: InitiatorConfig, seed: u64, challenge: &[Pair]) -> Initiator {
    let (mut ini, mut t, req) = start_login(cfg, seed);
    let req = answer_security(&mut ini, &mut t, &req, &[Pair::new("AuthMethod", "CHAP")]);
    t.send(
        &mut ini,
        login_rsp(&req, false, LoginStage::SecurityNegotiation, challenge),
    );
    ini
}

/// Runs the target side of a login with AuthMethod=None, answering every
/// key with a target negotiator over `keys`.
pub(super) fn run_login(ini: &mut Initiator, t: &mut Target, keys: LocalConfig) {
    let now = t.now;
    if ini.phase() == super::Phase::Idle {
        ini.login(now).unwrap();
    }
    let mut neg = Negotiator::new(TextRole::Target, Stage::Security, keys);
    for _ in 0..8 {
        let reqs = t.recv(ini);
        let Some(p) = reqs.first() else { return };
        let req = login_req(p);
        if req.csg == LoginStage::LoginOperationalNegotiation {
            neg.set_stage(Stage::Operational);
        }
        let pairs = text::decode(&req.data).unwrap();
        let out = neg.handle(&pairs).unwrap();
        let fin = req.transit && req.nsg == LoginStage::FullFeaturePhase;
        let rsp = login_rsp(&req, req.transit, req.nsg, &out.responses);
        t.send(ini, rsp);
        if fin {
            return;
        }
    }
}

pub(super) fn target_keys() -> LocalConfig {
    LocalConfig::rfc_defaults().with("AuthMethod", "None,CHAP")
}

pub(super) fn config() -> InitiatorConfig {
    InitiatorConfig::normal("iqn.2024-01.test:ini", "iqn.2024-01.test:tgt")
}

/// A logged-in initiator and its target.
pub(super) fn logged_in(cfg: InitiatorConfig, keys: LocalConfig) -> (Initiator, Target) {
    let mut ini = Initiator::new(cfg, SeededRandom::new(7));
    let mut t = Target::new();
    run_login(&mut ini, &mut t, keys);
    let ev = events(&mut ini);
    assert!(
        matches!(ev.last(), Some(Event::LoginComplete { .. })),
        "{ev:#?}"
    );
    (ini, t)
}

pub(super) fn lenient(mut cfg: InitiatorConfig) -> InitiatorConfig {
    cfg.strictness = Strictness::Lenient;
    cfg
}

pub(super) fn events(ini: &mut Initiator) -> Vec<Event> {
    std::iter::from_fn(|| ini.poll_event()).collect()
}

pub(super) fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}
