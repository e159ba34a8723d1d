//! What the core tells its driver besides bytes: connections to close and
//! events to log.

use std::collections::VecDeque;
use std::net::SocketAddr;

use rtgt_proto::pdu::{Isid, LoginStatus};

/// A connection, named by the driver at [`accept`](super::TargetCore::accept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u64);

/// Why the core asks for a connection to be closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// The login failed; the Login Response with the status was sent.
    LoginFailed(LoginStatus),
    /// Login took longer than the limit.
    LoginTimeout,
    /// Logout done (RFC 7143 §11.14).
    Logout,
    /// A NOP-In ping was not answered in time.
    NopTimeout,
    /// A header digest error (RFC 7143 §7.8) or another stream error.
    StreamLost(String),
    /// The peer broke the protocol beyond a Reject.
    ProtocolError(String),
    /// A resource limit was exceeded.
    Limit(&'static str),
    /// The session ended (reinstated, reset, or another connection failed).
    SessionEnded,
    /// A connection with the same CID replaced this one (RFC 7143 §6.3.4).
    Reinstated,
    /// The target is shutting down.
    Shutdown,
    /// The target the login or session was for was removed.
    TargetRemoved,
}

/// Something worth a log line. Secrets never appear here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A connection is to be closed; the driver writes what
    /// [`poll_transmit`](super::TargetCore::poll_transmit) gave for it first.
    Close {
        conn: ConnId,
        peer: SocketAddr,
        reason: CloseReason,
    },
    /// A login failed with this status.
    LoginFailed {
        conn: ConnId,
        peer: SocketAddr,
        status: LoginStatus,
        why: String,
    },
    /// A session reached full feature phase.
    SessionCreated {
        tsih: u16,
        isid: Isid,
        initiator: String,
        /// `None` for a discovery session.
        target: Option<String>,
        peer: SocketAddr,
    },
    /// A connection joined an existing session.
    ConnectionAdded { tsih: u16, cid: u16, conn: ConnId },
    /// A session ended.
    SessionEnded {
        tsih: u16,
        initiator: String,
        target: Option<String>,
        reason: String,
    },
    /// A limit was hit.
    LimitExceeded {
        conn: ConnId,
        peer: SocketAddr,
        limit: &'static str,
    },
    /// A PDU was rejected or dropped (RFC 7143 §11.17).
    PeerError {
        conn: ConnId,
        peer: SocketAddr,
        what: String,
    },
}

/// The events waiting for the driver, oldest first.
#[derive(Debug, Default)]
pub(crate) struct EventQueue(VecDeque<Event>);

impl EventQueue {
    pub fn push_back(&mut self, e: Event) {
        self.0.push_back(e);
    }

    pub fn pop_front(&mut self) -> Option<Event> {
        self.0.pop_front()
    }

    /// Logs a peer's mistake.
    pub fn peer_error(&mut self, conn: ConnId, peer: SocketAddr, what: String) {
        self.push_back(Event::PeerError { conn, peer, what });
    }
}
