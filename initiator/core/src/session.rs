//! Session state (RFC 7143 §4.2.2.1: command numbering is per session): the
//! CmdSN window (its logic in `window`, RFC 7143 §3.2.2.1), the task table
//! (`tasks`) and what the session sends for its tasks (`issue`).

use bytes::Bytes;
use rtgt_proto::pdu::{Isid, Lun, TaskAttribute};
use rtgt_proto::text::{OperationalParams, SessionType};

use super::tasks::TaskTable;

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

/// The session: what all its connections share. It owns its CmdSN window
/// (`cmd_sn`, `exp_cmd_sn`, `max_cmd_sn`) and its task table.
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
    /// The outstanding tasks and those waiting for the window.
    pub(crate) tasks: TaskTable,
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
            tasks: TaskTable::default(),
        }
    }

    /// Number of tasks outstanding (sent or waiting).
    pub fn outstanding(&self) -> usize {
        self.tasks.len()
    }
}
