//! The task table: outstanding tasks by Initiator Task Tag (RFC 7143
//! §11.2.1.8), their free tags, and the commands waiting for the CmdSN
//! window to open.

use std::collections::{BTreeMap, VecDeque};
use std::time::Instant;

use bytes::Bytes;
use rtgt_proto::pdu::{Lun, TmfFunction, ITT_RESERVED};

use super::event::UsageError;
use super::session::{DataDirection, ScsiRequest};

/// The most read buffer reserved before any Data-In arrives.
const READ_RESERVE_MAX: usize = 16 << 20;

/// A SCSI command in flight.
#[derive(Debug, Clone)]
pub(crate) struct ScsiTask {
    pub req: ScsiRequest,
    /// Expected Data Transfer Length.
    pub edtl: u32,
    /// Read data gathered so far.
    pub read_buf: Vec<u8>,
    /// The Buffer Offset the next Data-In must carry (DataPDUInOrder).
    pub next_offset: u32,
    /// Bytes of Data-In received.
    pub received: u64,
    /// Bytes of the current Data-In sequence (since the last F bit).
    pub seq_bytes: u64,
    /// The DataSN the next Data-In must carry.
    pub exp_data_sn: u32,
    /// The R2TSN the next R2T must carry.
    pub exp_r2t_sn: u32,
    /// Bytes sent as immediate or unsolicited data.
    pub unsolicited_end: u32,
    /// The Buffer Offset the next R2T must start at (DataSequenceInOrder).
    pub next_r2t_offset: u32,
    /// R2Ts whose Data-Out has not all left.
    pub r2t_outstanding: u32,
    /// Data-In was lost to a digest error; the task is being aborted.
    pub lost: bool,
    /// Times the command was sent again after a Reject for a data digest
    /// error (RFC 7143 §7.2.1).
    pub retries: u8,
}

/// What an outstanding task is.
#[derive(Debug, Clone)]
pub(crate) enum TaskKind {
    Scsi(Box<ScsiTask>),
    /// Our ping; its deadline is `Timer::Nop` of its ITT.
    Nop {
        sent: Instant,
        data: Bytes,
    },
    Tmf {
        function: TmfFunction,
        lun: Lun,
        referenced: u32,
    },
    Text(Box<super::discovery::TextTask>),
    Logout,
    /// A tag handed to the caller for PDUs it builds itself: responses are
    /// delivered raw, not checked.
    Raw,
}

/// One outstanding task.
#[derive(Debug, Clone)]
pub(crate) struct Task {
    /// The CmdSN it was sent with (None while waiting for the window).
    pub cmd_sn: Option<u32>,
    pub kind: TaskKind,
}

impl ScsiTask {
    /// A command not yet sent.
    pub(crate) fn new(req: ScsiRequest) -> Self {
        let edtl = match &req.data {
            DataDirection::None => 0,
            DataDirection::Read(n) => *n,
            DataDirection::Write(d) => u32::try_from(d.len()).unwrap_or(u32::MAX),
        };
        let read_len = match &req.data {
            DataDirection::Read(n) => (*n as usize).min(READ_RESERVE_MAX),
            _ => 0,
        };
        ScsiTask {
            req,
            edtl,
            // Room for the whole read up front (the caller's own length, not
            // peer data), so that Data-In is copied once.
            read_buf: Vec::with_capacity(read_len),
            next_offset: 0,
            received: 0,
            seq_bytes: 0,
            exp_data_sn: 0,
            exp_r2t_sn: 0,
            unsolicited_end: 0,
            next_r2t_offset: 0,
            r2t_outstanding: 0,
            lost: false,
            retries: 0,
        }
    }
}

/// The outstanding tasks of a session by ITT, and those waiting for the
/// CmdSN window.
#[derive(Debug, Clone, Default)]
pub(crate) struct TaskTable {
    tasks: BTreeMap<u32, Task>,
    waiting: VecDeque<u32>,
    next_itt: u32,
}

impl TaskTable {
    /// A free Initiator Task Tag (never 0xffffffff, RFC 7143 §11.2.1.8).
    pub(crate) fn alloc_itt(&mut self) -> Result<u32, UsageError> {
        for _ in 0..1024 {
            let itt = self.next_itt;
            self.next_itt = self.next_itt.wrapping_add(1);
            if itt != ITT_RESERVED && !self.tasks.contains_key(&itt) {
                return Ok(itt);
            }
        }
        Err(UsageError::NoFreeTag)
    }

    /// Records task `itt`, sent with `cmd_sn` (None while it waits).
    pub(crate) fn insert(&mut self, itt: u32, cmd_sn: Option<u32>, kind: TaskKind) {
        self.tasks.insert(itt, Task { cmd_sn, kind });
    }

    /// Queues task `itt` behind the CmdSN window.
    pub(crate) fn wait(&mut self, itt: u32) {
        self.waiting.push_back(itt);
    }

    /// The next task the window may admit.
    pub(crate) fn next_waiting(&mut self) -> Option<u32> {
        self.waiting.pop_front()
    }

    pub(crate) fn get(&self, itt: u32) -> Option<&Task> {
        self.tasks.get(&itt)
    }

    pub(crate) fn get_mut(&mut self, itt: u32) -> Option<&mut Task> {
        self.tasks.get_mut(&itt)
    }

    /// What task `itt` is.
    pub(crate) fn kind(&self, itt: u32) -> Option<&TaskKind> {
        self.tasks.get(&itt).map(|t| &t.kind)
    }

    /// The SCSI command `itt`.
    pub(crate) fn scsi(&self, itt: u32) -> Option<&ScsiTask> {
        match self.kind(itt) {
            Some(TaskKind::Scsi(t)) => Some(t),
            _ => None,
        }
    }

    pub(crate) fn scsi_mut(&mut self, itt: u32) -> Option<&mut ScsiTask> {
        match self.tasks.get_mut(&itt).map(|t| &mut t.kind) {
            Some(TaskKind::Scsi(t)) => Some(t),
            _ => None,
        }
    }

    /// Ends task `itt`.
    pub(crate) fn remove(&mut self, itt: u32) -> Option<Task> {
        self.tasks.remove(&itt)
    }

    /// Ends task `itt`, waiting or sent.
    pub(crate) fn finish(&mut self, itt: u32) {
        self.tasks.remove(&itt);
        self.waiting.retain(|&w| w != itt);
    }

    /// Ends every task; the SCSI commands among them, by ITT.
    pub(crate) fn clear(&mut self) -> Vec<u32> {
        self.waiting.clear();
        std::mem::take(&mut self.tasks)
            .into_iter()
            .filter(|(_, t)| matches!(t.kind, TaskKind::Scsi(_)))
            .map(|(itt, _)| itt)
            .collect()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, &Task)> {
        self.tasks.iter().map(|(&itt, t)| (itt, t))
    }

    /// Number of tasks outstanding (sent or waiting).
    pub(crate) fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether SCSI tasks are outstanding.
    pub(crate) fn scsi_outstanding(&self) -> bool {
        self.tasks
            .values()
            .any(|t| matches!(t.kind, TaskKind::Scsi(_)))
    }

    /// The last Data-Out answering an R2T of `itt` left: that R2T is no
    /// longer outstanding (RFC 7143 §13.17).
    pub(crate) fn r2t_answered(&mut self, itt: u32) {
        if let Some(t) = self.scsi_mut(itt) {
            t.r2t_outstanding = t.r2t_outstanding.saturating_sub(1);
        }
    }
}
