//! Logout (RFC 7143 §11.14, §11.15): closing the session or the connection,
//! and the logout a target asks for with AsyncEvent 1 (§11.9.1).

use std::time::Instant;

use rtgt_proto::pdu::{LogoutReason, LogoutRequest, LogoutResponse, Opcode, Pdu};

use super::event::{CloseReason, Event, TaskHandle, UsageError};
use super::reaction::Reaction;
use super::session::Session;
use super::state::State;
use super::tasks::TaskKind;
use super::timers::Timer;
use super::violation::{ProtocolViolation, ViolationKind};
use super::Initiator;

impl Initiator {
    /// Sends a Logout Request; [`Event::LoggedOut`] and
    /// [`Event::Closed`] follow its response. No task may start afterwards.
    pub fn logout(&mut self, now: Instant, reason: LogoutReason) -> Result<TaskHandle, UsageError> {
        self.state.can_start()?;
        let itt = self.session.tasks.alloc_itt()?;
        // RFC 7143 §11.14.3: the CID is that of the connection to close and
        // reserved when closing the session.
        let cid = if reason == LogoutReason::CloseSession {
            0
        } else {
            self.conn.cid
        };
        let req = LogoutRequest {
            immediate: true,
            reason,
            itt,
            cid,
            cmd_sn: self.session.cmd_sn,
            exp_stat_sn: self.conn.exp_stat_sn_value(),
            ..LogoutRequest::default()
        };
        self.conn.push_pdu(&Pdu::LogoutRequest(req));
        self.session
            .tasks
            .insert(itt, Some(self.session.cmd_sn), TaskKind::Logout);
        self.state = State::LoggingOut;
        self.timers.cancel(Timer::AsyncLogout);
        self.timers.cancel(Timer::Keepalive);
        if let Some(t) = self.config.logout_timeout {
            self.timers.set(Timer::Logout, now + t);
        }
        Ok(TaskHandle(itt))
    }
}

impl Session {
    /// The Logout Response: the session is over.
    pub(crate) fn on_logout_response(&mut self, r: LogoutResponse) -> Reaction {
        if !matches!(self.tasks.kind(r.itt), Some(TaskKind::Logout)) {
            // RFC 7143 §11.15: the response carries our Logout's ITT.
            return Reaction::violation(
                ProtocolViolation::new(
                    ViolationKind::UnknownItt,
                    "RFC 7143 §11.15",
                    "the ITT of our Logout Request",
                    format!("ITT {:#010x}", r.itt),
                )
                .on(Opcode::LogoutResponse, r.itt),
            );
        }
        self.tasks.remove(r.itt);
        let mut re = Reaction::default();
        re.event(Event::LoggedOut {
            response: r.response,
            time2wait: r.time2wait,
            time2retain: r.time2retain,
        });
        re.close(CloseReason::LoggedOut);
        re
    }
}
