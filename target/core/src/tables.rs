//! The tables a portal group runs on (targets, connections, sessions,
//! timers, events) and the work that spans them: closing a connection,
//! ending a session, and the full feature requests that do either (Logout,
//! task management, Text, resource limits).

use rtgt_proto::pdu::{RawPdu, RejectReason};

use super::conn::{ConnState, ConnTable};
use super::events::{CloseReason, ConnId, Event, EventQueue};
use super::registry::Registry;
use super::session::SessionTable;
use super::timers::Timers;

/// What a [`crate::TargetCore`] holds at run time besides its
/// configuration. Connections close and sessions end only through it, so
/// the timers, events, tasks and logical units they leave are settled in
/// one place.
#[derive(Debug)]
pub(crate) struct Tables {
    /// The live targets by id.
    pub reg: Registry,
    /// The connections and the frames queued for them.
    pub conns: ConnTable,
    /// The sessions by serial.
    pub sessions: SessionTable,
    /// What the driver is told besides bytes.
    pub events: EventQueue,
    /// Every deadline of the core.
    pub timers: Timers,
}

impl Tables {
    /// Tables for `reg`, with no connection, session, timer or event yet.
    pub fn new(reg: Registry) -> Self {
        Tables {
            reg,
            conns: ConnTable::default(),
            sessions: SessionTable::default(),
            events: EventQueue::default(),
            timers: Timers::default(),
        }
    }

    /// Rejects the PDU `raw` on `conn` (RFC 7143 §11.17).
    pub(crate) fn reject(&mut self, conn: ConnId, raw: &RawPdu, reason: RejectReason) {
        self.conns.reject(&mut self.sessions, conn, raw, reason);
    }

    /// Asks for a connection to be closed (after what was queued for it),
    /// ending what depended on it.
    pub(crate) fn close_conn(&mut self, conn: ConnId, reason: CloseReason) {
        self.drop_conn(conn, reason, true);
    }

    /// Ends `conn`'s part in its session, with a Close event if
    /// `announce` (not for a connection the peer closed).
    pub(crate) fn drop_conn(&mut self, conn: ConnId, reason: CloseReason, announce: bool) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let session = match std::mem::replace(&mut c.state, ConnState::Closed) {
            ConnState::Closed => return,
            ConnState::Login { .. } => None,
            ConnState::Full(f) => Some(f.session),
        };
        let (peer, cid) = (c.peer, c.cid);
        self.timers.cancel_all(conn);
        if announce {
            self.events.push_back(Event::Close {
                conn,
                peer,
                reason: reason.clone(),
            });
        }
        let Some(serial) = session else {
            return;
        };
        let last = self
            .sessions
            .get_mut(&serial)
            .is_some_and(|s| s.conn_gone(serial, cid, conn, &mut self.reg));
        if last {
            let why = match reason {
                CloseReason::Logout => "logout".to_string(),
                other => format!("{other:?}"),
            };
            self.end_session(serial, &why);
        }
    }

    /// Ends a session: closes its connections, aborts its tasks (I_T nexus
    /// loss, SAM-5 §6.3.4) and forgets it.
    pub(crate) fn end_session(&mut self, serial: u64, why: &str) {
        let Some(s) = self.sessions.remove(&serial) else {
            return;
        };
        for &conn in s.conns.values() {
            // The session is gone already: closing its connections ends
            // nothing more.
            self.close_conn(conn, CloseReason::SessionEnded);
        }
        if let Some(t) = s.target.and_then(|i| self.reg.get_mut(i)) {
            for n in t.luns.luns().iter().filter_map(|l| l.index()) {
                if let Some(d) = t.luns.disk_mut(n) {
                    d.nexus_loss(&s.nexus);
                }
            }
        }
        self.events.push_back(Event::SessionEnded {
            tsih: s.tsih,
            initiator: s.initiator.clone(),
            target: s
                .target
                .and_then(|i| self.reg.get(i))
                .map(|t| t.name.clone()),
            reason: why.into(),
        });
    }
}
