//! One session (RFC 7143 §4.2.1): its I_T nexus, negotiated parameters,
//! connections, CmdSN window, tasks and the task management functions
//! waiting for them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rtgt_proto::pdu::{Isid, Pdu};
use rtgt_proto::random::RandomSource;
use rtgt_proto::text::OperationalParams;
use rtgt_scsi::Nexus;

use super::events::ConnId;
use super::registry::Registry;
use super::tasks::TaskTable;
use super::tmf::PendingTmf;
use super::window::{Admission, CommandWindow};
use crate::TargetId;

/// One session (RFC 7143 §4.2.1).
#[derive(Debug)]
pub(crate) struct Session {
    pub tsih: u16,
    pub isid: Isid,
    pub initiator: String,
    /// Index of the target; `None` for a discovery session.
    pub target: Option<TargetId>,
    pub nexus: Arc<Nexus>,
    pub params: OperationalParams,
    /// Connections by CID.
    pub conns: BTreeMap<u16, ConnId>,
    /// The CmdSN window (RFC 7143 §4.2.2.1).
    pub window: CommandWindow,
    pub tasks: TaskTable,
    pub tmfs: Vec<PendingTmf>,
    pub next_ttt: u32,
}

impl Session {
    /// A fresh Target Transfer Tag, never the reserved 0xffffffff.
    pub fn ttt(&mut self) -> u32 {
        let t = self.next_ttt;
        self.next_ttt = self.next_ttt.wrapping_add(1);
        if self.next_ttt == u32::MAX {
            self.next_ttt = 0;
        }
        t
    }

    /// ExpCmdSN and MaxCmdSN, the window opened to the slots the tasks in
    /// flight leave free (RFC 7143 §4.2.2.1).
    pub fn window(&mut self) -> (u32, u32) {
        self.window.refresh(self.tasks.slots_used())
    }

    /// A non-immediate command through the window (RFC 7143 §4.2.2.1).
    pub fn offer(&mut self, conn: ConnId, sn: u32, pdu: Pdu) -> Admission {
        let used = self.tasks.slots_used();
        self.window.offer(conn, sn, pdu, used)
    }

    /// Connection `conn` (CID `cid`) is gone and leaves the session (RFC
    /// 7143 §6.3.4, §7.1.4); gives whether it was the last one, the
    /// session then to end. Otherwise, at ErrorRecoveryLevel 0, the tasks
    /// allegiant to it are terminated: aborted at their logical unit, no
    /// status sent.
    pub fn conn_gone(&mut self, serial: u64, cid: u16, conn: ConnId, reg: &mut Registry) -> bool {
        if self.conns.get(&cid) == Some(&conn) {
            self.conns.remove(&cid);
        }
        if self.conns.is_empty() {
            return true;
        }
        for (itt, lun) in self.tasks.terminate_conn(conn) {
            reg.abort_task(self.target, lun, &self.nexus, Session::tag(serial, itt));
        }
        false
    }

    /// The tag a task of this session has in its disk: the session's
    /// serial above the ITT, so that a reinstated session's ITTs never
    /// meet the old one's.
    pub fn tag(serial: u64, itt: u32) -> u64 {
        (serial << 32) | u64::from(itt)
    }
}

/// The sessions by serial number (never reused).
#[derive(Debug)]
pub(crate) struct SessionTable {
    sessions: BTreeMap<u64, Session>,
    next_serial: u64,
}

impl Default for SessionTable {
    fn default() -> Self {
        SessionTable {
            sessions: BTreeMap::new(),
            next_serial: 1,
        }
    }
}

impl SessionTable {
    pub fn get(&self, serial: &u64) -> Option<&Session> {
        self.sessions.get(serial)
    }

    pub fn get_mut(&mut self, serial: &u64) -> Option<&mut Session> {
        self.sessions.get_mut(serial)
    }

    pub fn remove(&mut self, serial: &u64) -> Option<Session> {
        self.sessions.remove(serial)
    }

    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&u64, &Session)> {
        self.sessions.iter()
    }

    /// Adds a session under the next serial.
    pub fn insert(&mut self, s: Session) -> u64 {
        let serial = self.next_serial;
        self.next_serial += 1;
        self.sessions.insert(serial, s);
        serial
    }

    /// ExpCmdSN and MaxCmdSN of a session.
    pub fn window(&mut self, serial: u64) -> (u32, u32) {
        self.sessions
            .get_mut(&serial)
            .map_or((0, 0), Session::window)
    }

    /// A fresh Target Transfer Tag of a session.
    pub fn ttt(&mut self, serial: u64) -> u32 {
        self.sessions.get_mut(&serial).map_or(0, Session::ttt)
    }

    /// The session a TSIH-0 login would reinstate (RFC 7143 §6.3.5: same
    /// initiator name, ISID and target).
    pub fn find_by(&self, initiator: &str, isid: Isid, target: Option<TargetId>) -> Option<u64> {
        self.sessions
            .iter()
            .find(|(_, s)| {
                s.isid == isid && s.target == target && s.initiator.eq_ignore_ascii_case(initiator)
            })
            .map(|(&k, _)| k)
    }

    /// A TSIH not in use, never 0 (RFC 7143 §11.12.6), from the injected
    /// random source.
    pub fn new_tsih(&self, rng: &mut dyn RandomSource) -> u16 {
        let used: BTreeSet<u16> = self.sessions.values().map(|s| s.tsih).collect();
        for _ in 0..64 {
            let t = rng.next_u32() as u16;
            if t != 0 && !used.contains(&t) {
                return t;
            }
        }
        (1..=u16::MAX).find(|t| !used.contains(t)).unwrap_or(1)
    }

    /// The serials of target `id`'s sessions.
    pub fn of_target(&self, id: TargetId) -> Vec<u64> {
        self.sessions
            .iter()
            .filter(|(_, s)| s.target == Some(id))
            .map(|(&k, _)| k)
            .collect()
    }

    /// The I_T nexuses of target `id`'s sessions.
    pub fn nexuses_of(&self, id: TargetId) -> Vec<Arc<Nexus>> {
        self.sessions
            .values()
            .filter(|s| s.target == Some(id))
            .map(|s| s.nexus.clone())
            .collect()
    }

    /// The tasks of target `id`'s sessions (or only of session `only`) at
    /// the logical unit of `lun` (every LUN for `None`), as (session
    /// serial, ITT).
    pub fn submitted_on(
        &self,
        id: TargetId,
        lun: Option<u16>,
        only: Option<u64>,
    ) -> Vec<(u64, u32)> {
        self.sessions
            .iter()
            .filter(|(&serial, s)| s.target == Some(id) && only.is_none_or(|o| o == serial))
            .flat_map(|(&serial, s)| {
                s.tasks
                    .submitted(lun)
                    .into_iter()
                    .map(move |itt| (serial, itt))
            })
            .collect()
    }

    /// An affected task (by its disk tag) of `target` is over: the task
    /// management functions that waited only for it, to be answered.
    pub fn tmfs_done(&mut self, target: TargetId, tag: u64) -> Vec<PendingTmf> {
        let mut ready = Vec::new();
        for s in self.sessions.values_mut() {
            for p in &mut s.tmfs {
                p.waiting.remove(&(target, tag));
            }
            let (done, wait): (Vec<_>, Vec<_>) = std::mem::take(&mut s.tmfs)
                .into_iter()
                .partition(|p| p.waiting.is_empty());
            s.tmfs = wait;
            ready.extend(done);
        }
        ready
    }
}
