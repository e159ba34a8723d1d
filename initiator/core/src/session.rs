//! Session state (RFC 7143 §4.2.2.1: command numbering is per session): the
//! CmdSN window, the outstanding tasks by Initiator Task Tag, and the
//! commands waiting for the window to open.

use std::collections::{BTreeMap, VecDeque};
use std::time::Instant;

use bytes::Bytes;
use rtgt_proto::pdu::{Isid, Lun, TaskAttribute, TmfFunction, ITT_RESERVED};
use rtgt_proto::text::{OperationalParams, SessionType};

use super::event::UsageError;

/// Which way a SCSI command moves data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataDirection {
    /// No data.
    None,
    /// Read this many bytes (the Expected Data Transfer Length).
    Read(u32),
    /// Write these bytes.
    Write(Bytes),
}

/// A SCSI command to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScsiRequest {
    /// The logical unit.
    pub lun: Lun,
    /// The CDB (more than 16 bytes go in an Extended CDB AHS).
    pub cdb: Vec<u8>,
    /// The task attribute.
    pub attr: TaskAttribute,
    /// Data to read or write.
    pub data: DataDirection,
    /// Send as an immediate command (I bit; not held by the CmdSN window).
    pub immediate: bool,
}

impl ScsiRequest {
    /// A command without data.
    pub fn none(lun: Lun, cdb: &[u8]) -> Self {
        ScsiRequest {
            lun,
            cdb: cdb.to_vec(),
            attr: TaskAttribute::Simple,
            data: DataDirection::None,
            immediate: false,
        }
    }

    /// A command reading `len` bytes.
    pub fn read(lun: Lun, cdb: &[u8], len: u32) -> Self {
        ScsiRequest {
            data: DataDirection::Read(len),
            ..ScsiRequest::none(lun, cdb)
        }
    }

    /// A command writing `data`.
    pub fn write(lun: Lun, cdb: &[u8], data: Bytes) -> Self {
        ScsiRequest {
            data: DataDirection::Write(data),
            ..ScsiRequest::none(lun, cdb)
        }
    }
}

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

/// The session: what all its connections share.
#[derive(Debug, Clone)]
pub struct Session {
    /// ISID.
    pub isid: Isid,
    /// TSIH (0 until the login completes).
    pub tsih: u16,
    /// Normal or discovery.
    pub session_type: SessionType,
    /// The next CmdSN to assign.
    pub cmd_sn: u32,
    /// The highest ExpCmdSN received.
    pub exp_cmd_sn: u32,
    /// The highest MaxCmdSN received.
    pub max_cmd_sn: u32,
    /// Parameters in force (defaults until the login completes).
    pub params: OperationalParams,
    pub(crate) tasks: BTreeMap<u32, Task>,
    pub(crate) waiting: VecDeque<u32>,
    next_itt: u32,
}

impl Session {
    pub(crate) fn new(isid: Isid, session_type: SessionType, cmd_sn: u32) -> Self {
        Session {
            isid,
            tsih: 0,
            session_type,
            cmd_sn,
            exp_cmd_sn: cmd_sn,
            // A window of one until the target says otherwise.
            max_cmd_sn: cmd_sn,
            params: OperationalParams::default(),
            tasks: BTreeMap::new(),
            waiting: VecDeque::new(),
            next_itt: 0,
        }
    }

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

    /// Number of tasks outstanding (sent or waiting).
    pub fn outstanding(&self) -> usize {
        self.tasks.len()
    }

    /// Whether SCSI tasks are outstanding.
    pub(crate) fn scsi_outstanding(&self) -> bool {
        self.tasks
            .values()
            .any(|t| matches!(t.kind, TaskKind::Scsi(_)))
    }

    /// Takes the next CmdSN for a non-immediate command.
    pub(crate) fn take_cmd_sn(&mut self) -> u32 {
        let sn = self.cmd_sn;
        self.cmd_sn = self.cmd_sn.wrapping_add(1);
        sn
    }
}
