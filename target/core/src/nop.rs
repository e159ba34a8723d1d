//! NOP-Out answers and NOP-In pings (RFC 7143 §11.18, §11.19).

use std::time::{Duration, Instant};

use rtgt_proto::pdu::{NopIn, NopOut, ITT_RESERVED, TTT_RESERVED};

use super::conn::ConnTable;
use super::events::ConnId;
use super::session::SessionTable;
use super::timers::{Timer, Timers};

impl ConnTable {
    /// Answers a NOP-Out ping from the initiator (ITT not reserved); gives
    /// what to log of a malformed one.
    pub fn answer_nop_out(
        &mut self,
        sessions: &mut SessionTable,
        conn: ConnId,
        n: NopOut,
    ) -> Option<String> {
        let serial = self.session_of(conn)?;
        // RFC 7143 §11.18.3: a NOP-Out answering a NOP-In carries the
        // reserved ITT; with a real ITT the TTT must be 0xffffffff.
        let warning = (n.ttt != TTT_RESERVED).then(|| "NOP-Out with an ITT and a TTT".to_string());
        let max = self.max_send(conn, 0) as usize;
        let (exp, max_sn) = sessions.window(serial);
        let reply = NopIn {
            lun: n.lun,
            itt: n.itt,
            // RFC 7143 §11.19.2: TTT 0xffffffff in an answer.
            ttt: TTT_RESERVED,
            // Test only: with `broken-statsn`, the answer reuses the StatSN
            // the next response carries too (RFC 7143 §4.2.2.2: StatSN
            // advances by one per response).
            stat_sn: if cfg!(feature = "broken-statsn") && rtgt_proto::mutant::on("broken-statsn") {
                self.peek_stat_sn(conn)
            } else {
                self.take_stat_sn(conn)
            },
            exp_cmd_sn: exp,
            max_cmd_sn: max_sn,
            // RFC 7143 §11.18.5: the ping data comes back, up to what the
            // initiator accepts.
            data: n.data.slice(..n.data.len().min(max)),
            ..NopIn::default()
        };
        self.send(conn, reply.into());
        warning
    }

    /// A NOP-Out with the reserved ITT: the answer to our ping, or a bare
    /// ExpStatSN update; gives what to log of a malformed one.
    pub fn nop_reply(&mut self, timers: &mut Timers, conn: ConnId, n: &NopOut) -> Option<String> {
        let f = self.get_mut(&conn).and_then(|c| c.full_mut())?;
        // RFC 7143 §11.18.1: with ITT 0xffffffff the I bit is set.
        if !n.immediate {
            return Some("NOP-Out with the reserved ITT and no I bit".to_string());
        }
        match f.ping {
            Some(ttt) if ttt == n.ttt => {
                f.ping = None;
                timers.cancel(conn, Timer::PingAnswer);
                None
            }
            _ if n.ttt == TTT_RESERVED => None,
            // RFC 7143 §11.18.4: the TTT must be the one of our NOP-In.
            _ => Some(format!("NOP-Out answers unknown TTT {:#x}", n.ttt)),
        }
    }

    /// Re-arms the idle timer of a connection in full feature phase with
    /// no ping outstanding: something was received at `now`.
    pub fn rearm_nop(
        &self,
        timers: &mut Timers,
        conn: ConnId,
        interval: Option<Duration>,
        now: Instant,
    ) {
        let idle = self
            .get(&conn)
            .and_then(|c| c.full())
            .is_some_and(|f| f.ping.is_none());
        if let (true, Some(interval)) = (idle, interval) {
            timers.set(conn, Timer::NopDue, now + interval);
        }
    }

    /// Pings a connection idle for the NOP interval; the answer is due by
    /// `deadline`.
    pub fn ping(
        &mut self,
        sessions: &mut SessionTable,
        timers: &mut Timers,
        conn: ConnId,
        deadline: Instant,
    ) {
        timers.cancel(conn, Timer::NopDue);
        let Some(serial) = self.session_of(conn) else {
            return;
        };
        let ttt = sessions.ttt(serial);
        let (exp, max) = sessions.window(serial);
        let ping = NopIn {
            // RFC 7143 §11.19: a ping asking for an answer has ITT
            // 0xffffffff and a TTT of ours; StatSN is not advanced.
            itt: ITT_RESERVED,
            ttt,
            stat_sn: self.peek_stat_sn(conn),
            exp_cmd_sn: exp,
            max_cmd_sn: max,
            ..NopIn::default()
        };
        self.send(conn, ping.into());
        if let Some(f) = self.get_mut(&conn).and_then(|c| c.full_mut()) {
            f.ping = Some(ttt);
        }
        timers.set(conn, Timer::PingAnswer, deadline);
    }
}
