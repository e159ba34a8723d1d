//! Reject PDUs (RFC 7143 §11.17).

use rtgt_proto::pdu::{RawPdu, Reject, RejectReason};

use super::conn::ConnTable;
use super::events::ConnId;
use super::session::SessionTable;

impl ConnTable {
    /// Rejects `raw` for `reason`; the Reject carries its header (RFC 7143
    /// §11.17.3) and a StatSN of its own.
    pub fn reject(
        &mut self,
        sessions: &mut SessionTable,
        conn: ConnId,
        raw: &RawPdu,
        reason: RejectReason,
    ) {
        let mut r = Reject::of(raw, reason);
        if let Some(serial) = self.session_of(conn) {
            let (exp, max) = sessions.window(serial);
            r.exp_cmd_sn = exp;
            r.max_cmd_sn = max;
        }
        r.stat_sn = self.take_stat_sn(conn);
        self.send(conn, r.into());
    }
}
