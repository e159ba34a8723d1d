//! Logout (RFC 7143 §11.14, §11.15): close the session, close a connection,
//! or remove one for recovery (not supported at ErrorRecoveryLevel 0).

use std::time::Instant;

use rtgt_proto::pdu::{LogoutReason, LogoutRequest, LogoutResponse, LogoutResponseCode};

use super::events::{CloseReason, ConnId};
use super::tables::Tables;

impl Tables {
    /// A Logout Request.
    pub(crate) fn on_logout(&mut self, conn: ConnId, _now: Instant, l: LogoutRequest) {
        let Some(serial) = self.conns.session_of(conn) else {
            return;
        };
        let Some(s) = self.sessions.get(&serial) else {
            return;
        };
        let named = s.conns.get(&l.cid).copied();
        let (code, close) = match l.reason {
            // RFC 7143 §11.14.1: close the whole session.
            LogoutReason::CloseSession => (LogoutResponseCode::Success, None),
            // RFC 7143 §11.14.1: close the connection named by CID (maybe
            // another one of the session); response 1 when there is none.
            LogoutReason::CloseConnection => match named {
                Some(c) => (LogoutResponseCode::Success, Some(c)),
                None => (LogoutResponseCode::CidNotFound, None),
            },
            // RFC 7143 §11.15.1: connection recovery needs
            // ErrorRecoveryLevel 2; response 2.
            LogoutReason::RemoveConnectionForRecovery => {
                (LogoutResponseCode::RecoveryNotSupported, None)
            }
            // RFC 7143 §11.15.1: response 3 for a reason we cannot act on.
            _ => (LogoutResponseCode::CleanupFailed, None),
        };
        let params = s.params;
        let (exp, max) = self.sessions.window(serial);
        let resp = LogoutResponse {
            response: code,
            itt: l.itt,
            stat_sn: self.conns.take_stat_sn(conn),
            exp_cmd_sn: exp,
            max_cmd_sn: max,
            // RFC 7143 §11.15.2-3: ignored by the initiator below
            // ErrorRecoveryLevel 2, sent as negotiated.
            time2wait: params.default_time2wait,
            time2retain: params.default_time2retain,
            ..LogoutResponse::default()
        };
        self.conns.send(conn, resp.into());
        match (l.reason, code) {
            (LogoutReason::CloseSession, LogoutResponseCode::Success) => {
                self.close_conn(conn, CloseReason::Logout);
                self.end_session(serial, "logout");
            }
            (_, LogoutResponseCode::Success) => {
                if let Some(c) = close {
                    self.close_conn(c, CloseReason::Logout);
                }
            }
            _ => {}
        }
    }
}
