//! The session-wide CmdSN window (RFC 7143 §4.2.2.1, §3.2.2.1): out-of-window
//! and duplicate commands are dropped silently, commands ahead of a gap wait
//! for it to fill, immediate commands pass without advancing ExpCmdSN.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use rtgt_proto::pdu::{Pdu, RawPdu};
use rtgt_proto::serial::Serial;

use super::events::ConnId;
use super::TargetCore;

/// A session's CmdSN window: ExpCmdSN, the MaxCmdSN last sent, the queue
/// depth it is opened to, the commands held behind a gap and the CmdSNs an
/// ABORT TASK declared received.
#[derive(Debug)]
pub(crate) struct CommandWindow {
    /// RFC 7143 §4.2.2.1: the next CmdSN expected.
    exp_cmd_sn: u32,
    /// The last MaxCmdSN sent (it never goes back).
    max_cmd_sn: u32,
    queue_depth: u32,
    /// Non-immediate commands that arrived ahead of a gap, by CmdSN.
    held: BTreeMap<u32, (ConnId, Pdu)>,
    /// CmdSNs a TMF declared received (RFC 7143 §11.5.1, RefCmdSN).
    skip: BTreeSet<u32>,
}

/// What the window does with a non-immediate command.
pub(crate) enum Admission {
    /// Delivered now: it was ExpCmdSN, which moved past it.
    Deliver(Pdu),
    /// Ahead of a gap: it waits.
    Held,
    /// Silently ignored; the line for the log.
    Ignored(String),
}

impl CommandWindow {
    /// A window expecting `exp_cmd_sn` first (the leading login's CmdSN,
    /// RFC 7143 §11.12.7) and opened `queue_depth` commands wide.
    pub fn new(exp_cmd_sn: u32, queue_depth: u32) -> Self {
        CommandWindow {
            exp_cmd_sn,
            max_cmd_sn: exp_cmd_sn.wrapping_sub(1),
            queue_depth,
            held: BTreeMap::new(),
            skip: BTreeSet::new(),
        }
    }

    /// ExpCmdSN.
    pub fn exp_cmd_sn(&self) -> u32 {
        self.exp_cmd_sn
    }

    /// ExpCmdSN and MaxCmdSN with `slots_used` non-immediate tasks in
    /// flight. RFC 7143 §4.2.2.1: MaxCmdSN = ExpCmdSN + free slots - 1,
    /// never lower than what was already sent (the window only moves
    /// forward).
    pub fn refresh(&mut self, slots_used: u32) -> (u32, u32) {
        let free = self.queue_depth.saturating_sub(slots_used);
        let max = self.exp_cmd_sn.wrapping_add(free).wrapping_sub(1);
        if Serial(max).is_after(Serial(self.max_cmd_sn)) {
            self.max_cmd_sn = max;
        }
        (self.exp_cmd_sn, self.max_cmd_sn)
    }

    /// A non-immediate command numbered `sn` from `conn`.
    pub fn offer(&mut self, conn: ConnId, sn: u32, pdu: Pdu, slots_used: u32) -> Admission {
        let (exp, max) = self.refresh(slots_used);
        if !Serial(sn).in_window(Serial(exp), Serial(max)) {
            // RFC 7143 §4.2.2.1: a non-immediate command outside
            // [ExpCmdSN, MaxCmdSN] (a duplicate included) is silently
            // ignored.
            return Admission::Ignored(format!(
                "CmdSN {sn} outside the window [{exp}, {max}]: ignored"
            ));
        }
        if sn != exp {
            // RFC 7143 §4.2.2.1: commands are delivered in CmdSN order; one
            // ahead of a gap (another connection's, §3.2.2.1) waits.
            if self.held.contains_key(&sn) {
                // RFC 7143 §4.2.2.1: a non-immediate duplicate within the
                // window is silently ignored; the first one stays.
                return Admission::Ignored(format!("CmdSN {sn} already waiting: ignored"));
            }
            self.held.insert(sn, (conn, pdu));
            return Admission::Held;
        }
        self.exp_cmd_sn = self.exp_cmd_sn.wrapping_add(1);
        Admission::Deliver(pdu)
    }

    /// The held command that is now ExpCmdSN, with its connection and
    /// CmdSN; ExpCmdSN moves past it.
    pub fn release(&mut self) -> Option<(ConnId, u32, Pdu)> {
        let sn = self.exp_cmd_sn;
        let (conn, pdu) = self.held.remove(&sn)?;
        self.exp_cmd_sn = sn.wrapping_add(1);
        Some((conn, sn, pdu))
    }

    /// Whether the command numbered `sn`, now delivered, was already
    /// treated as received and aborted by an ABORT TASK (RFC 7143
    /// §11.5.1): it is then not executed.
    pub fn take_skip(&mut self, sn: u32) -> bool {
        self.skip.remove(&sn)
    }

    /// ABORT TASK of a task the session does not know, by its RefCmdSN
    /// (RFC 7143 §11.5.1), asked by a TMF numbered `tmf_cmd_sn`; gives
    /// whether the function is complete (else the task does not exist).
    pub fn abort_unseen(&mut self, ref_cmd_sn: u32, tmf_cmd_sn: u32, slots_used: u32) -> bool {
        let r = ref_cmd_sn;
        if self.held.remove(&r).is_some() {
            // RFC 7143 §11.5.1: a command not yet delivered is aborted
            // before it runs.
            return true;
        }
        let (exp, max) = self.refresh(slots_used);
        if Serial(r).in_window(Serial(exp), Serial(max)) && Serial(tmf_cmd_sn).is_after(Serial(r)) {
            // RFC 7143 §11.5.1: a RefCmdSN inside the window and below the
            // TMF's CmdSN is taken as received (and the command, when it
            // comes, not executed): function complete.
            self.skip.insert(r);
            return true;
        }
        // RFC 7143 §11.5.1: otherwise the task does not exist.
        false
    }
}

/// The CmdSN and I bit of a PDU that carries a CmdSN.
fn numbering(pdu: &Pdu) -> Option<(u32, bool)> {
    Some(match pdu {
        Pdu::NopOut(p) => (p.cmd_sn, p.immediate),
        Pdu::ScsiCommand(p) => (p.cmd_sn, p.immediate),
        Pdu::TaskManagementRequest(p) => (p.cmd_sn, p.immediate),
        Pdu::TextRequest(p) => (p.cmd_sn, p.immediate),
        Pdu::LogoutRequest(p) => (p.cmd_sn, p.immediate),
        _ => return None,
    })
}

impl TargetCore {
    /// Lets a numbered PDU through its session's window, holds it, or
    /// drops it; then delivers what waited for it.
    pub(crate) fn admit(&mut self, conn: ConnId, now: Instant, pdu: Pdu, raw: &RawPdu) {
        let Some(serial) = self.tables.conns.session_of(conn) else {
            return;
        };
        let Some((sn, immediate)) = numbering(&pdu) else {
            self.dispatch(conn, now, pdu, raw);
            return;
        };
        if immediate {
            // RFC 7143 §4.2.2.1: an immediate command carries the current
            // CmdSN and does not advance it; it is delivered at once.
            // Test only: with `broken-cmdsn`, it advances ExpCmdSN all the
            // same, so the next non-immediate command falls out of the window.
            if cfg!(feature = "broken-cmdsn") && rtgt_proto::mutant::on("broken-cmdsn") {
                if let Some(s) = self.tables.sessions.get_mut(&serial) {
                    s.window.exp_cmd_sn = s.window.exp_cmd_sn.wrapping_add(1);
                }
            }
            self.dispatch(conn, now, pdu, raw);
            return;
        }
        let Some(s) = self.tables.sessions.get_mut(&serial) else {
            return;
        };
        match s.offer(conn, sn, pdu) {
            Admission::Ignored(why) => {
                self.tables
                    .events
                    .peer_error(conn, self.tables.conns.peer_of(conn), why)
            }
            Admission::Held => {}
            Admission::Deliver(pdu) => {
                self.deliver(conn, now, sn, serial, pdu, raw);
                // Release what waited for this one.
                while let Some((c, sn, p)) = self
                    .tables
                    .sessions
                    .get_mut(&serial)
                    .and_then(|s| s.window.release())
                {
                    let raw = p.to_raw();
                    self.deliver(c, now, sn, serial, p, &raw);
                }
            }
        }
    }

    fn deliver(
        &mut self,
        conn: ConnId,
        now: Instant,
        sn: u32,
        serial: u64,
        pdu: Pdu,
        raw: &RawPdu,
    ) {
        let skip = self
            .tables
            .sessions
            .get_mut(&serial)
            .is_some_and(|s| s.window.take_skip(sn));
        if skip {
            // RFC 7143 §11.5.1: a task an ABORT TASK already treated as
            // received and aborted (by RefCmdSN) is not executed.
            return;
        }
        if self
            .tables
            .conns
            .get(&conn)
            .is_some_and(|c| c.full().is_some())
        {
            self.dispatch(conn, now, pdu, raw);
        }
    }
}
