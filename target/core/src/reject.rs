//! Reject PDUs (RFC 7143 §11.17).

use rtgt_proto::pdu::{RawPdu, Reject, RejectReason};

use super::events::ConnId;
use super::TargetCore;

impl TargetCore {
    /// Rejects `raw` for `reason`; the Reject carries its header (RFC 7143
    /// §11.17.3) and a StatSN of its own.
    pub(crate) fn reject(&mut self, conn: ConnId, raw: &RawPdu, reason: RejectReason) {
        let mut r = Reject::of(raw, reason);
        if let Some(serial) = self.conns.session_of(conn) {
            let (exp, max) = self.sessions.window(serial);
            r.exp_cmd_sn = exp;
            r.max_cmd_sn = max;
        }
        r.stat_sn = self.conns.take_stat_sn(conn);
        self.conns.send(conn, r.into());
    }
}
