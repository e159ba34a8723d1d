//! The core's timers in one table: each entry a connection, what fires and
//! when. [`TargetCore::poll_timeout`](crate::TargetCore::poll_timeout) is the
//! earliest entry; [`TargetCore::handle_timeout`](crate::TargetCore::handle_timeout)
//! fires the due ones.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::events::ConnId;

/// What fires, in the order a connection's due timers are looked at: only
/// the first due one of a connection fires at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Timer {
    /// The login phase lasted longer than `Limits::login_timeout`: close.
    Login,
    /// No Login Request (RFC 7143 §6.1) within `Limits::first_pdu_timeout`
    /// of the accept: close.
    FirstPdu,
    /// A shutdown's logout request (RFC 7143 §11.9.1, AsyncEvent 1) was not
    /// followed in its grace period: close.
    CloseAfterLogout,
    /// Our NOP-In ping (RFC 7143 §11.19) went unanswered: close.
    PingAnswer,
    /// The connection was idle for the NOP interval: ping it.
    NopDue,
}

/// Every armed timer with its deadline.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    entries: BTreeMap<(ConnId, Timer), Instant>,
}

impl Timers {
    /// Arms (or re-arms) `timer` of `conn` for `at`.
    pub fn set(&mut self, conn: ConnId, timer: Timer, at: Instant) {
        self.entries.insert((conn, timer), at);
    }

    pub fn cancel(&mut self, conn: ConnId, timer: Timer) {
        self.entries.remove(&(conn, timer));
    }

    /// Cancels every timer of a closed connection.
    pub fn cancel_all(&mut self, conn: ConnId) {
        self.entries.retain(|&(c, _), _| c != conn);
    }

    /// The earliest deadline.
    pub fn earliest(&self) -> Option<Instant> {
        self.entries.values().min().copied()
    }

    /// The first due timer of each connection, by connection.
    pub fn due(&self, now: Instant) -> Vec<(ConnId, Timer)> {
        let mut out: Vec<(ConnId, Timer)> = Vec::new();
        for (&(conn, timer), &at) in &self.entries {
            if now >= at && out.last().is_none_or(|&(c, _)| c != conn) {
                out.push((conn, timer));
            }
        }
        out
    }
}
