//! Resource limits: a peer that exceeds one loses its own connection, with
//! an event naming the limit and its address.

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
    /// Closes a connection over a limit, with an event naming the limit.
    pub(crate) fn limit_hit(&mut self, conn: ConnId, limit: &'static str) {
        let peer = self.conns.peer_of(conn);
        self.events
            .push_back(Event::LimitExceeded { conn, peer, limit });
        self.close_conn(conn, CloseReason::Limit(limit));
    }
}
