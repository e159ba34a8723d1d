//! The core's timers: one table of deadlines. [`crate::Initiator::poll_timeout`]
//! is its earliest entry and [`crate::Initiator::handle_timeout`] fires the
//! entries that are due, in the order of [`Timer`].

use std::collections::BTreeMap;
use std::time::Instant;

/// A timer of the core. The order is the order due timers fire in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Timer {
    /// The login must be over by then (`InitiatorConfig::login_timeout`);
    /// armed only while logging in.
    Login,
    /// The answer to our ping with this ITT is due (RFC 7143 §11.18);
    /// armed while the ping is outstanding.
    Nop(u32),
    /// AsyncEvent 1: we must have logged out by then (RFC 7143 §11.9.1);
    /// armed only in full feature phase.
    AsyncLogout,
    /// The next keepalive ping; armed only in full feature phase.
    Keepalive,
    /// Our Logout Request must be answered (or the connection ended) by then
    /// (`InitiatorConfig::logout_timeout`); armed only while logging out.
    Logout,
}

/// Every armed timer with its deadline.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    deadlines: BTreeMap<Timer, Instant>,
}

impl Timers {
    /// Arms `timer` for `at`, replacing its previous deadline.
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.deadlines.insert(timer, at);
    }

    /// Disarms `timer`; true when it was armed.
    pub(crate) fn cancel(&mut self, timer: Timer) -> bool {
        self.deadlines.remove(&timer).is_some()
    }

    /// Whether `timer` is armed.
    pub(crate) fn is_armed(&self, timer: Timer) -> bool {
        self.deadlines.contains_key(&timer)
    }

    /// Disarms every timer.
    pub(crate) fn clear(&mut self) {
        self.deadlines.clear();
    }

    /// The earliest deadline.
    pub(crate) fn earliest(&self) -> Option<Instant> {
        self.deadlines.values().min().copied()
    }

    /// The timers due at `now`, in firing order.
    pub(crate) fn due(&self, now: Instant) -> Vec<Timer> {
        self.deadlines
            .iter()
            .filter(|(_, &at)| at <= now)
            .map(|(&t, _)| t)
            .collect()
    }
}
