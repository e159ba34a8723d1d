//! The session-wide CmdSN window (RFC 7143 §4.2.2.1): out-of-window and
//! duplicate commands are dropped silently, commands ahead of a gap wait for
//! it to fill, immediate commands pass without advancing ExpCmdSN.

use std::time::Instant;

use rtgt_proto::pdu::{Pdu, RawPdu};
use rtgt_proto::serial::Serial;

use super::events::ConnId;
use super::TargetCore;

/// The CmdSN and I bit of a PDU that carries a CmdSN.
fn numbering(pdu: &Pdu) -> Option<(u32, bool)> {
    Some(match pdu {
        Pdu::NopOut(p) => (p.cmd_sn, p.immediate),
        Pdu::ScsiCommand(p) => (p.cmd_sn, p.immediate),
        Pdu::TaskManagementRequest(p) => (p.cmd_sn, p.immediate),
        Pdu::TextRequest(p) => (p.cmd_sn, p.immediate),
        Pdu::LogoutRequest(p) => (p.cmd_sn, p.immediate),
        _ => return None,
    })
}

impl TargetCore {
    /// Lets a numbered PDU through the window, holds it, or drops it.
    pub(crate) fn admit(&mut self, conn: ConnId, now: Instant, pdu: Pdu, raw: &RawPdu) {
        let Some(serial) = self.session_of(conn) else {
            return;
        };
        let Some((sn, immediate)) = numbering(&pdu) else {
            self.dispatch(conn, now, pdu, raw);
            return;
        };
        if immediate {
            // RFC 7143 §4.2.2.1: an immediate command carries the current
            // CmdSN and does not advance it; it is delivered at once.
            self.dispatch(conn, now, pdu, raw);
            return;
        }
        let (exp, max) = self.window(serial);
        if !Serial(sn).in_window(Serial(exp), Serial(max)) {
            // RFC 7143 §4.2.2.1: a non-immediate command outside
            // [ExpCmdSN, MaxCmdSN] (a duplicate included) is silently
            // ignored.
            self.peer_error(
                conn,
                format!("CmdSN {sn} outside the window [{exp}, {max}]: ignored"),
            );
            return;
        }
        if sn != exp {
            // RFC 7143 §4.2.2.1: commands are delivered in CmdSN order; one
            // ahead of a gap (another connection's, §3.2.2.1) waits.
            let duplicate = self
                .sessions
                .get(&serial)
                .is_some_and(|s| s.held.contains_key(&sn));
            if duplicate {
                // RFC 7143 §4.2.2.1: a non-immediate duplicate within the
                // window is silently ignored; the first one stays.
                self.peer_error(conn, format!("CmdSN {sn} already waiting: ignored"));
                return;
            }
            if let Some(s) = self.sessions.get_mut(&serial) {
                s.held.insert(sn, (conn, pdu));
            }
            return;
        }
        self.advance(serial);
        self.deliver(conn, now, sn, serial, pdu, raw);
        // Release what waited for this one.
        loop {
            let Some(s) = self.sessions.get_mut(&serial) else {
                return;
            };
            let exp = s.exp_cmd_sn;
            let Some((c, p)) = s.held.remove(&exp) else {
                return;
            };
            self.advance(serial);
            let raw = p.to_raw();
            self.deliver(c, now, exp, serial, p, &raw);
        }
    }

    fn advance(&mut self, serial: u64) {
        if let Some(s) = self.sessions.get_mut(&serial) {
            s.exp_cmd_sn = s.exp_cmd_sn.wrapping_add(1);
        }
    }

    fn deliver(
        &mut self,
        conn: ConnId,
        now: Instant,
        sn: u32,
        serial: u64,
        pdu: Pdu,
        raw: &RawPdu,
    ) {
        let skip = self
            .sessions
            .get_mut(&serial)
            .is_some_and(|s| s.skip_cmd_sn.remove(&sn));
        if skip {
            // RFC 7143 §11.5.1: a task an ABORT TASK already treated as
            // received and aborted (by RefCmdSN) is not executed.
            return;
        }
        if self.is_open_conn(conn) {
            self.dispatch(conn, now, pdu, raw);
        }
    }

    fn is_open_conn(&self, conn: ConnId) -> bool {
        self.conns.get(&conn).is_some_and(|c| c.full().is_some())
    }
}
