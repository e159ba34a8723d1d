//! Asynchronous messages (RFC 7143 §11.9) and the orderly shutdown built on
//! them.

use std::time::{Duration, Instant};

use rtgt_proto::pdu::{AsyncEvent, AsyncMessage, ITT_RESERVED};

use super::conn::ConnTable;
use super::events::{CloseReason, ConnId};
use super::session::SessionTable;
use super::timers::Timer;
use super::TargetCore;

impl TargetCore {
    /// Starts an orderly shutdown: logins are refused (0x0301), every
    /// initiator is asked to log out (AsyncEvent 1), and whatever is still
    /// connected after `grace` is closed.
    pub fn shutdown(&mut self, now: Instant, grace: Duration) {
        let at = now + grace;
        self.shutting_down = true;
        for id in self.tables.conns.ids() {
            let (in_login, full) = match self.tables.conns.get(&id) {
                Some(c) => (c.in_login(), c.full().is_some()),
                None => continue,
            };
            if in_login {
                self.tables.close_conn(id, CloseReason::Shutdown);
            } else if full {
                let secs = grace.as_secs().max(1).min(u64::from(u16::MAX)) as u16;
                self.tables.conns.send_async(
                    &mut self.tables.sessions,
                    id,
                    AsyncEvent::LogoutRequest,
                    secs,
                );
                self.tables.timers.set(id, Timer::CloseAfterLogout, at);
            }
        }
    }
}

impl ConnTable {
    /// Sends an Asynchronous Message; for event 1 (logout request)
    /// `param3` is the time to log out in seconds (RFC 7143 §11.9.1).
    pub fn send_async(
        &mut self,
        sessions: &mut SessionTable,
        conn: ConnId,
        event: AsyncEvent,
        param3: u16,
    ) {
        let Some(serial) = self.session_of(conn) else {
            return;
        };
        let (exp, max) = sessions.window(serial);
        let msg = AsyncMessage {
            // RFC 7143 §11.9: ITT is reserved (0xffffffff).
            itt: ITT_RESERVED,
            stat_sn: self.take_stat_sn(conn),
            exp_cmd_sn: exp,
            max_cmd_sn: max,
            async_event: event,
            parameter3: param3,
            ..AsyncMessage::default()
        };
        self.send(conn, msg.into());
    }
}
