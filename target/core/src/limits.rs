//! Resource limits: a peer that exceeds one loses its own connection, with
//! an event naming the limit and its address.

use super::events::{CloseReason, ConnId, Event};
use super::TargetCore;

impl TargetCore {
    /// Refuses a connection beyond [`Limits::max_connections`](super::Limits).
    pub(crate) fn check_connection_limit(&mut self, conn: ConnId) {
        let open = self.conns.open_count();
        if open > self.cfg.limits.max_connections {
            self.limit_hit(conn, "connections");
        }
    }

    /// Closes a connection holding more than
    /// [`Limits::max_buffered_bytes`](super::Limits): unframed input plus
    /// write data of its tasks.
    pub(crate) fn check_buffer_limit(&mut self, conn: ConnId) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        if !c.is_open() {
            return;
        }
        let mut held = c.decoder.buffered();
        if let Some(s) = c.session().and_then(|k| self.sessions.get(&k)) {
            held += s.tasks.buffered_on(conn);
        }
        if held > self.cfg.limits.max_buffered_bytes {
            self.limit_hit(conn, "buffered bytes");
        }
    }

    fn limit_hit(&mut self, conn: ConnId, limit: &'static str) {
        let peer = self.conns.peer_of(conn);
        self.events
            .push_back(Event::LimitExceeded { conn, peer, limit });
        self.close_conn(conn, CloseReason::Limit(limit));
    }
}
