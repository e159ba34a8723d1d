//! One session (RFC 7143 §4.2.1): its I_T nexus, negotiated parameters,
//! connections, CmdSN window, tasks and the task management functions
//! waiting for them.

use std::collections::BTreeMap;
use std::sync::Arc;

use rtgt_proto::pdu::{Isid, Pdu};
use rtgt_proto::text::OperationalParams;
use rtgt_scsi::Nexus;

use super::events::ConnId;
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

    /// The tag a task of this session has in its disk: the session's
    /// serial above the ITT, so that a reinstated session's ITTs never
    /// meet the old one's.
    pub fn tag(serial: u64, itt: u32) -> u64 {
        (serial << 32) | u64::from(itt)
    }
}
