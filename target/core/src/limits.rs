//! Resource limits: a peer that exceeds one loses its own connection, with
//! an event naming the limit and its address.

use super::config::Limits;
use super::conn::ConnTable;
use super::events::{CloseReason, ConnId, Event};
use super::session::SessionTable;
use super::tables::Tables;

impl ConnTable {
    /// What `conn` holds, if open: unframed input plus the write data of
    /// its tasks.
    pub fn held_bytes(&self, conn: ConnId, sessions: &SessionTable) -> Option<usize> {
        let c = self.get(&conn).filter(|c| c.is_open())?;
        let tasks = c
            .session()
            .and_then(|k| sessions.get(&k))
            .map_or(0, |s| s.tasks.buffered_on(conn));
        Some(c.decoder.buffered() + tasks)
    }
}

impl Tables {
    /// Applies the connection limits to `conn`, just accepted. Connections
    /// still in the login phase (RFC 7143 §6.3) have budgets of their own,
    /// per address and in all: past one, one of them that has not
    /// completed its login makes room for the new one (one that sent no
    /// Login Request before one that did, then the oldest), so peers that
    /// open connections and stay idle or slow cannot keep a login out. Past
    /// `max_connections`, in any phase, the new one is refused.
    pub(crate) fn admit(&mut self, conn: ConnId, limits: &Limits) {
        let ip = self.conns.peer_of(conn).ip();
        let budgets = [
            (
                Some(ip),
                limits.max_prelogin_per_address,
                "pre-login connections per address",
            ),
            (
                None,
                limits.max_prelogin_connections,
                "pre-login connections",
            ),
        ];
        for (from, max, limit) in budgets {
            while self.conns.prelogin_count(from) > max {
                let Some(oldest) = self.conns.prelogin_victim(from, conn) else {
                    break;
                };
                self.limit_hit(oldest, limit);
            }
        }
        if self.conns.open_count() > limits.max_connections {
            // Limits::max_connections: the newest connection is refused.
            self.limit_hit(conn, "connections");
        }
    }

    /// Closes a connection over a limit, with an event naming the limit.
    pub(crate) fn limit_hit(&mut self, conn: ConnId, limit: &'static str) {
        let peer = self.conns.peer_of(conn);
        self.events
            .push_back(Event::LimitExceeded { conn, peer, limit });
        self.close_conn(conn, CloseReason::Limit(limit));
    }
}
