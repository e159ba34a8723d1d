//! A session's tasks by ITT (RFC 7143 §4.2.2.1: a task is allegiant to one
//! connection), and the lookups the task management and the registry need.

use std::collections::BTreeMap;

use bytes::{Bytes, BytesMut};
use rtgt_proto::pdu;
use rtgt_scsi::TaskAttribute;

use super::events::ConnId;
use super::r2t::R2t;

/// A task of a session, from its command to its status.
#[derive(Debug)]
pub(crate) struct Task {
    /// The connection the task is allegiant to (RFC 7143 §4.2.2.1).
    pub conn: ConnId,
    pub lun: pdu::Lun,
    pub immediate: bool,
    pub cdb: Bytes,
    pub attr: TaskAttribute,
    /// Expected Data Transfer Length.
    pub edtl: u32,
    pub write: bool,
    /// Write data received so far (always in order, DataPDUInOrder=Yes).
    pub data: BytesMut,
    /// Where the unsolicited data (immediate and Data-Out with the reserved
    /// TTT) ends.
    pub unsol_end: u32,
    /// The next DataSN of the unsolicited sequence.
    pub unsol_data_sn: u32,
    /// Outstanding R2Ts by TTT.
    pub r2ts: BTreeMap<u32, R2t>,
    pub next_r2t_offset: u32,
    pub r2t_sn: u32,
    /// A Data-Out of this task failed its data digest (RFC 7143 §7.8).
    pub crc_error: bool,
    pub phase: TaskPhase,
    /// Its place in the session's order of arrival (set by
    /// [`TaskTable::insert`]).
    pub seq: u64,
}

/// Where a task is in its life at the iSCSI layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TaskPhase {
    /// Collecting its write data (immediate, unsolicited, then solicited).
    Collecting,
    /// Aborted by a task management function of its own session while
    /// R2Ts were outstanding: RFC 7143 §4.2.3.3 has the target wait for
    /// the Data-Out answering those R2Ts before it answers the function.
    /// No new R2T is issued; the task ends silently once they are in.
    Draining,
    /// Handed to the logical unit.
    Submitted,
}

impl Task {
    pub fn received(&self) -> u32 {
        self.data.len() as u32
    }
}

impl Task {
    /// The LUN as an index, when it addresses one (flat space, SAM-5 §4.7).
    pub fn lun_index(&self) -> Option<u16> {
        rtgt_proto::scsi::params::Lun(self.lun.0).index()
    }

    /// On `lun`, or any LUN when `None`.
    fn on(&self, lun: Option<u16>) -> bool {
        lun.is_none() || self.lun_index() == lun
    }
}

/// A session's tasks by ITT.
#[derive(Debug, Default)]
pub(crate) struct TaskTable {
    tasks: BTreeMap<u32, Task>,
    /// The next task's [`Task::seq`].
    next_seq: u64,
}

impl TaskTable {
    pub fn get(&self, itt: u32) -> Option<&Task> {
        self.tasks.get(&itt)
    }

    pub fn get_mut(&mut self, itt: u32) -> Option<&mut Task> {
        self.tasks.get_mut(&itt)
    }

    /// RFC 7143 §11.2.1.8: an ITT names one task of the session.
    pub fn contains(&self, itt: u32) -> bool {
        self.tasks.contains_key(&itt)
    }

    pub fn insert(&mut self, itt: u32, mut task: Task) {
        task.seq = self.next_seq;
        self.next_seq += 1;
        self.tasks.insert(itt, task);
    }

    /// Whether task `itt` must stay away from its logical unit for now
    /// (SAM-5 §8.6, task attributes): a task enters the logical unit's
    /// task set when it reaches the disk, so one that arrived behind a
    /// task still collecting its data waits for it when either is ORDERED;
    /// a HEAD OF QUEUE task never waits.
    pub fn order_blocks(&self, itt: u32) -> bool {
        let Some(t) = self.tasks.get(&itt) else {
            return false;
        };
        t.attr != TaskAttribute::HeadOfQueue
            && self.tasks.values().any(|e| {
                e.seq < t.seq
                    && e.lun == t.lun
                    && e.phase == TaskPhase::Collecting
                    && (e.attr == TaskAttribute::Ordered || t.attr == TaskAttribute::Ordered)
            })
    }

    /// The first task, in order of arrival, that has all its data and no
    /// R2T outstanding but was held back by [`TaskTable::order_blocks`] and
    /// no longer is.
    pub fn first_released(&self) -> Option<u32> {
        let mut held: Vec<(u64, u32)> = self
            .tasks
            .iter()
            .filter(|(_, t)| {
                t.phase == TaskPhase::Collecting
                    && (!t.write || t.received() >= t.edtl)
                    && t.r2ts.is_empty()
            })
            .map(|(&itt, t)| (t.seq, itt))
            .collect();
        held.sort_unstable();
        held.into_iter()
            .map(|(_, itt)| itt)
            .find(|&itt| !self.order_blocks(itt))
    }

    pub fn remove(&mut self, itt: u32) -> Option<Task> {
        self.tasks.remove(&itt)
    }

    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Non-immediate tasks in flight: they hold slots of the CmdSN window
    /// (RFC 7143 §4.2.2.1).
    pub fn slots_used(&self) -> u32 {
        self.tasks.values().filter(|t| !t.immediate).count() as u32
    }

    /// Write data held by the tasks allegiant to `conn`.
    pub fn buffered_on(&self, conn: ConnId) -> usize {
        self.tasks
            .values()
            .filter(|t| t.conn == conn)
            .map(|t| t.data.len())
            .sum()
    }

    /// The ITTs of the tasks at their logical unit on `lun` (every LUN for
    /// `None`).
    pub fn submitted(&self, lun: Option<u16>) -> Vec<u32> {
        self.tasks
            .iter()
            .filter(|(_, t)| t.phase == TaskPhase::Submitted && t.on(lun))
            .map(|(&itt, _)| itt)
            .collect()
    }

    /// Terminates the tasks allegiant to `conn` (RFC 7143 §6.3.4 at
    /// ErrorRecoveryLevel 0): those not yet at their logical unit end here;
    /// gives the others, as (ITT, LUN index), to be aborted there.
    pub fn terminate_conn(&mut self, conn: ConnId) -> Vec<(u32, Option<u16>)> {
        let mut at_lu = Vec::new();
        self.tasks.retain(|&itt, t| {
            if t.conn != conn {
                return true;
            }
            if t.phase == TaskPhase::Submitted {
                at_lu.push((itt, t.lun_index()));
                return true;
            }
            false
        });
        at_lu
    }

    /// Ends the tasks on `lun` (or every LUN) that never reached their
    /// logical unit, but for those with R2Ts outstanding, which drain them
    /// first (RFC 7143 §4.2.3.3); gives the ITTs of those.
    pub fn end_unsubmitted(&mut self, lun: Option<u16>) -> Vec<u32> {
        let mut draining = Vec::new();
        self.tasks.retain(|&itt, t| {
            if t.phase != TaskPhase::Collecting || !t.on(lun) {
                return true;
            }
            if t.r2ts.is_empty() {
                return false;
            }
            t.phase = TaskPhase::Draining;
            draining.push(itt);
            true
        });
        draining
    }
}
