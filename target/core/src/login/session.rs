//! ISID and TSIH rules (RFC 7143 §4.2.7, §6.3.4, §6.3.5, §11.12.5): a new
//! session, a connection added to a session, session reinstatement and
//! connection reinstatement at ErrorRecoveryLevel 0.

use std::collections::BTreeMap;
use std::time::Instant;

use rtgt_proto::pdu::{DecoderConfig, Digests, LoginRequest, LoginResponse, LoginStatus};
use rtgt_proto::text::{DigestKind, SessionType};
use rtgt_scsi::Nexus;

use super::{Failure, LoginCtx};
use crate::conn::{Conn, ConnState, FullFeature};
use crate::events::{CloseReason, ConnId, Event};
use crate::session::Session;
use crate::tasks::TaskTable;
use crate::timers::Timer;
use crate::window::CommandWindow;
use crate::TargetCore;
use crate::TargetId;

/// What a finished login leaves for the connection: digests and the
/// initiator's MaxRecvDataSegmentLength, our own.
pub(crate) struct ConnParams {
    pub digests: Digests,
    pub max_send: u32,
    pub max_recv: u32,
}

impl LoginCtx<'_> {
    /// Checks TSIH and ISID of the first request; gives the session being
    /// joined, if any.
    pub(crate) fn check_session_rules(
        &self,
        req: &LoginRequest,
        initiator: &str,
        target: Option<TargetId>,
        session_type: SessionType,
    ) -> Result<Option<u64>, Failure> {
        if req.tsih == 0 {
            let reinstating = self.sessions.find_by(initiator, req.isid, target).is_some();
            if !reinstating && self.sessions.len() >= self.cfg.limits.max_sessions {
                // RFC 7143 §11.13.5: 0x0302, out of resources.
                return Err(Failure::new(
                    LoginStatus::OutOfResources,
                    format!("session limit {} reached", self.cfg.limits.max_sessions),
                ));
            }
            return Ok(None);
        }
        // RFC 7143 §11.12.5: a non-zero TSIH names an existing session of
        // this I_T nexus (same initiator name and ISID); else 0x020a.
        let found = self.sessions.iter().find(|(_, s)| {
            s.tsih == req.tsih && s.isid == req.isid && s.initiator.eq_ignore_ascii_case(initiator)
        });
        let Some((&serial, s)) = found else {
            return Err(Failure::new(
                LoginStatus::SessionDoesNotExist,
                format!("no session with TSIH {:#06x} for this ISID", req.tsih),
            ));
        };
        let discovery = session_type == SessionType::Discovery;
        if s.target != target || discovery != s.target.is_none() {
            // RFC 7143 §11.13.5: 0x0208, the connection cannot join this
            // session (another target or session type).
            return Err(Failure::new(
                LoginStatus::CantIncludeInSession,
                "TargetName or SessionType differs from the session's",
            ));
        }
        let reinstating = s.conns.contains_key(&req.cid);
        if !reinstating && s.conns.len() >= usize::from(s.params.max_connections) {
            // RFC 7143 §13.2 and §11.13.5: more connections than the
            // negotiated MaxConnections: 0x0206.
            return Err(Failure::new(
                LoginStatus::TooManyConnections,
                format!("MaxConnections={} reached", s.params.max_connections),
            ));
        }
        Ok(Some(serial))
    }
}

impl TargetCore {
    /// The final response of a successful login: creates, reinstates or
    /// joins the session and fills TSIH and the window.
    pub(crate) fn finish_login(
        &mut self,
        conn: ConnId,
        _now: Instant,
        resp: &mut LoginResponse,
    ) -> Result<ConnParams, Failure> {
        let Some(login) = self
            .tables
            .conns
            .get_mut(&conn)
            .and_then(|c| c.take_login())
        else {
            return Err(Failure::new(LoginStatus::TargetError, "login state lost"));
        };
        let bad = |e: rtgt_proto::text::ParamsError| {
            Failure::new(LoginStatus::InitiatorError, e.to_string())
        };
        let peer = self.tables.conns.peer_of(conn);
        let (serial, params) = match login.joining {
            Some(serial) => {
                let Some(s) = self.tables.sessions.get_mut(&serial) else {
                    // The session ended during this login.
                    return Err(Failure::new(
                        LoginStatus::SessionDoesNotExist,
                        "session ended",
                    ));
                };
                let params = login.neg.params_over(s.params).map_err(bad)?;
                let old = s.conns.insert(login.cid, conn);
                let tsih = s.tsih;
                if let Some(old) = old.filter(|&o| o != conn) {
                    // RFC 7143 §6.3.4: connection reinstatement; at
                    // ErrorRecoveryLevel 0 the old connection's tasks end.
                    self.tables.close_conn(old, CloseReason::Reinstated);
                }
                self.tables.events.push_back(Event::ConnectionAdded {
                    tsih,
                    cid: login.cid,
                    conn,
                });
                (serial, params)
            }
            None => {
                let params = login.neg.params().map_err(bad)?;
                let target = login.target;
                let key = (login.initiator.clone(), login.isid);
                if let Some(old) = self.tables.sessions.find_by(&key.0, login.isid, target) {
                    // RFC 7143 §6.3.5: a new session with the ISID and
                    // initiator of an existing one reinstates it: the old
                    // session is closed and its tasks end.
                    self.tables.end_session(old, "reinstated by a new login");
                }
                let tsih = self.tables.sessions.new_tsih(&mut *self.rng);
                let t = target.and_then(|i| self.tables.reg.get(i));
                let target_name = t.map(|t| t.name.clone()).unwrap_or_default();
                let depth = t.map_or(4, |t| t.session.queue_depth.max(1));
                let isid = u64::from_be_bytes({
                    let mut b = [0u8; 8];
                    b[2..].copy_from_slice(&login.isid.to_bytes());
                    b
                });
                let nexus = std::sync::Arc::new(Nexus {
                    // RFC 7143 §13.1 (SCSI port names): <name>,i,0x<ISID>.
                    initiator_port: format!("{},i,0x{isid:012x}", login.initiator),
                    target_name: target_name.clone(),
                    tpgt: self.cfg.tpgt,
                    relative_target_port: self.cfg.relative_target_port,
                });
                let next_ttt = self.rng.next_u32() & 0x7fff_ffff;
                let mut conns = BTreeMap::new();
                conns.insert(login.cid, conn);
                let serial = self.tables.sessions.insert(Session {
                    tsih,
                    isid: login.isid,
                    initiator: login.initiator.clone(),
                    target,
                    nexus,
                    params,
                    conns,
                    window: CommandWindow::new(login.exp_cmd_sn, depth),
                    tasks: TaskTable::default(),
                    tmfs: Vec::new(),
                    next_ttt,
                });
                self.tables.events.push_back(Event::SessionCreated {
                    tsih,
                    isid: login.isid,
                    initiator: login.initiator.clone(),
                    target: t.map(|_| target_name),
                    peer,
                });
                (serial, params)
            }
        };
        let (exp, max) = self.tables.sessions.window(serial);
        resp.tsih = self.tables.sessions.get(&serial).map_or(0, |s| s.tsih);
        resp.exp_cmd_sn = exp;
        resp.max_cmd_sn = max;
        if let Some(c) = self.tables.conns.get_mut(&conn) {
            c.cid = login.cid;
            if c.is_open() {
                c.state = ConnState::Full(FullFeature::new(serial));
                // The login is over: no more login deadline.
                self.tables.timers.cancel(conn, Timer::Login);
            }
        }
        Ok(ConnParams {
            digests: Digests {
                header: params.header_digest == DigestKind::Crc32c,
                data: params.data_digest == DigestKind::Crc32c,
            },
            max_send: params.initiator_max_recv_data_segment_length,
            max_recv: params.target_max_recv_data_segment_length,
        })
    }
}

impl ConnParams {
    /// After the final Login Response went out: digests and the data
    /// segment bound take effect on the connection (RFC 7143 §13.1,
    /// §13.12).
    pub(crate) fn apply(&self, c: &mut Conn) {
        c.digests = self.digests;
        c.max_send = self.max_send;
        c.decoder.set_config(DecoderConfig {
            digests: self.digests,
            max_data_segment_length: self.max_recv,
        });
    }
}
