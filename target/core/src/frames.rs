//! Routing each received frame by phase and opcode, and the answers to
//! frames that fail the stream decoder's checks (digests, lengths).

use std::time::Instant;

use rtgt_proto::pdu::{
    Answer, DecodeError, LoginResponse, LoginStatus, Opcode, Pdu, RawPdu, RejectReason, Role,
};

use super::events::{CloseReason, ConnId, Event};
use super::TargetCore;

impl TargetCore {
    /// One frame from the decoder.
    pub(crate) fn on_frame(&mut self, conn: ConnId, now: Instant, raw: RawPdu) {
        let in_login = match self.tables.conns.get(&conn) {
            Some(c) if c.is_open() => c.in_login(),
            _ => return,
        };
        let pdu = match Pdu::decode_from(&raw, Role::Initiator) {
            Ok(p) => p,
            Err(e) => {
                self.tables.events.peer_error(
                    conn,
                    self.tables.conns.peer_of(conn),
                    format!("{e}"),
                );
                if in_login {
                    // RFC 7143 §11.13.5: a login phase PDU the target cannot
                    // use is an initiator error (0x0200).
                    self.fail_login(
                        conn,
                        login_failure(&raw, LoginStatus::InitiatorError),
                        &e.to_string(),
                    );
                    return;
                }
                match e.answer() {
                    Answer::Reject(reason) => self.tables.reject(conn, &raw, reason),
                    Answer::CloseConnection => self
                        .tables
                        .close_conn(conn, CloseReason::ProtocolError(e.to_string())),
                    Answer::Discard => {}
                }
                return;
            }
        };
        if in_login {
            match pdu {
                Pdu::LoginRequest(req) => self.on_login(conn, now, req),
                other => {
                    // RFC 7143 §11.13.5: 0x020b, a non-login PDU during login.
                    self.fail_login(
                        conn,
                        login_failure(&raw, LoginStatus::InvalidDuringLogin),
                        &format!("{} during login", other.opcode().name()),
                    );
                }
            }
        } else {
            self.on_full_feature(conn, now, pdu, &raw);
        }
    }

    /// A PDU in full feature phase.
    fn on_full_feature(&mut self, conn: ConnId, now: Instant, pdu: Pdu, raw: &RawPdu) {
        if let Some(c) = self.tables.conns.get_mut(&conn) {
            // RFC 7143 §4.2.2.2: ExpStatSN acknowledges our statuses.
            if let Some(e) = exp_stat_sn(&pdu) {
                c.exp_stat_sn = e;
            }
        }
        match pdu {
            Pdu::DataOut(d) => self.on_data_out(conn, d, raw),
            Pdu::LoginRequest(_) => {
                // RFC 7143 §6.3: login requests belong to the login phase;
                // one in full feature phase is a protocol error.
                self.tables.reject(conn, raw, RejectReason::ProtocolError)
            }
            Pdu::SnackRequest(_) => {
                // RFC 7143 §13.20: SNACK needs ErrorRecoveryLevel >= 1;
                // rtgt runs at 0, where it is a protocol error.
                self.tables.reject(conn, raw, RejectReason::ProtocolError)
            }
            Pdu::NopOut(n) if n.itt == rtgt_proto::pdu::ITT_RESERVED => {
                // RFC 7143 §11.18: a NOP-Out with the reserved ITT answers
                // our ping and takes no CmdSN.
                if let Some(what) = self
                    .tables
                    .conns
                    .nop_reply(&mut self.tables.timers, conn, &n)
                {
                    self.tables
                        .events
                        .peer_error(conn, self.tables.conns.peer_of(conn), what);
                }
            }
            other => self.admit(conn, now, other, raw),
        }
    }

    /// Dispatches a PDU the CmdSN window has let through.
    pub(crate) fn dispatch(&mut self, conn: ConnId, now: Instant, pdu: Pdu, raw: &RawPdu) {
        match pdu {
            Pdu::ScsiCommand(c) => self.on_scsi_command(conn, c, raw),
            Pdu::NopOut(n) => {
                if let Some(what) =
                    self.tables
                        .conns
                        .answer_nop_out(&mut self.tables.sessions, conn, n)
                {
                    self.tables
                        .events
                        .peer_error(conn, self.tables.conns.peer_of(conn), what);
                }
            }
            Pdu::TaskManagementRequest(t) => {
                self.tables.on_tmf(conn, t);
                // Tasks held behind one the function ended may go on.
                if let Some(serial) = self.tables.conns.session_of(conn) {
                    self.release_held(serial);
                }
            }
            Pdu::TextRequest(t) => self.tables.on_text(&self.cfg, conn, t, raw),
            Pdu::LogoutRequest(l) => self.tables.on_logout(conn, now, l),
            // Every other opcode was routed before the window.
            _ => self.tables.reject(conn, raw, RejectReason::ProtocolError),
        }
    }

    /// A frame that failed the decoder's checks.
    pub(crate) fn on_decode_error(&mut self, conn: ConnId, _now: Instant, e: DecodeError) {
        self.tables
            .events
            .peer_error(conn, self.tables.conns.peer_of(conn), e.to_string());
        let in_login = self.tables.conns.get(&conn).is_some_and(|c| c.in_login());
        if in_login {
            // RFC 7143 §6.3 and §13.12: a login PDU over 8192 bytes of data
            // breaks the login; answered 0x0200 (initiator error).
            let raw = RawPdu::new(*e.header(), Default::default(), Default::default());
            self.fail_login(
                conn,
                login_failure(&raw, LoginStatus::InitiatorError),
                &e.to_string(),
            );
            return;
        }
        match (&e, e.answer_for(Role::Target)) {
            (DecodeError::DataDigest { frame, .. }, Answer::Reject(reason)) => {
                // RFC 7143 §7.8: reject with "Data (payload) Digest Error"
                // and discard the PDU; a Data-Out's task ends later.
                self.tables.reject(conn, frame, reason);
                self.data_digest_error(conn, frame);
            }
            (_, Answer::Reject(reason)) => {
                let raw = RawPdu::new(*e.header(), Default::default(), Default::default());
                self.tables.reject(conn, &raw, reason);
            }
            // RFC 7143 §7.8: after a header digest error the next PDU cannot
            // be found: close the connection.
            (_, Answer::CloseConnection) => self
                .tables
                .close_conn(conn, CloseReason::StreamLost(e.to_string())),
            (_, Answer::Discard) => {}
        }
    }

    /// Sends a failing Login Response and closes the connection.
    pub(crate) fn fail_login(&mut self, conn: ConnId, mut resp: LoginResponse, why: &str) {
        resp.transit = false;
        resp.continue_bit = false;
        resp.nsg = rtgt_proto::pdu::LoginStage::SecurityNegotiation;
        resp.tsih = 0;
        if resp.status.class() != rtgt_proto::pdu::LoginStatusClass::Redirection {
            // Only a redirection carries keys (its TargetAddress).
            resp.data = Default::default();
        }
        resp.stat_sn = self.tables.conns.take_stat_sn(conn);
        if let Some(l) = self.tables.conns.get(&conn).and_then(|c| c.login()) {
            resp.exp_cmd_sn = l.exp_cmd_sn;
            resp.max_cmd_sn = l.exp_cmd_sn;
        }
        let status = resp.status;
        self.tables.conns.send(conn, resp.into());
        let peer = self.tables.conns.peer_of(conn);
        self.tables.events.push_back(Event::LoginFailed {
            conn,
            peer,
            status,
            why: why.into(),
        });
        self.tables
            .close_conn(conn, CloseReason::LoginFailed(status));
    }
}

/// The failing Login Response to a login-phase PDU the target cannot use
/// (RFC 7143 §11.13.5: any status class but 0 ends the login).
fn login_failure(raw: &RawPdu, status: LoginStatus) -> LoginResponse {
    let mut resp = LoginResponse {
        itt: raw.itt(),
        status,
        ..LoginResponse::default()
    };
    if raw.opcode() == Opcode::LoginRequest {
        if let Ok(Pdu::LoginRequest(r)) = Pdu::decode(raw) {
            resp.isid = r.isid;
            resp.csg = r.csg;
        }
    }
    resp
}

/// The ExpStatSN field of initiator PDUs that carry one.
fn exp_stat_sn(pdu: &Pdu) -> Option<u32> {
    Some(match pdu {
        Pdu::NopOut(p) => p.exp_stat_sn,
        Pdu::ScsiCommand(p) => p.exp_stat_sn,
        Pdu::TaskManagementRequest(p) => p.exp_stat_sn,
        Pdu::TextRequest(p) => p.exp_stat_sn,
        Pdu::DataOut(p) => p.exp_stat_sn,
        Pdu::LogoutRequest(p) => p.exp_stat_sn,
        _ => return None,
    })
}
