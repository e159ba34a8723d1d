//! Session state (RFC 7143 §4.2.2.1: command numbering is per session): the
//! CmdSN window (its logic in `window`, RFC 7143 §3.2.2.1), the task table
//! (`tasks`) and what the session sends for its tasks (`issue`).

use bytes::Bytes;
use rtgt_proto::pdu::{Isid, Lun, TaskAttribute};
use rtgt_proto::text::{OperationalParams, SessionType};

use std::time::Instant;

use rtgt_proto::pdu::Pdu;

use super::connection::Connection;
use super::reaction::Reaction;
use super::tasks::TaskTable;
use super::violation::ProtocolViolation;

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

    /// A PDU of the full feature phase answering or concerning our tasks,
    /// handed to its handler.
    pub(crate) fn on_response(&mut self, now: Instant, pdu: Pdu, conn: &Connection) -> Reaction {
        match pdu {
            Pdu::NopIn(p) => self.on_nop_in(now, p, conn),
            Pdu::ScsiResponse(p) => self.on_scsi_response(p),
            Pdu::DataIn(p) => self.on_data_in(p),
            Pdu::ReadyToTransfer(p) => self.on_r2t(p, conn),
            Pdu::TaskManagementResponse(p) => self.on_tmf_response(p),
            Pdu::TextResponse(p) => self.on_text_response(p),
            Pdu::LogoutResponse(p) => self.on_logout_response(p),
            other => Reaction::violation(ProtocolViolation::unexpected(
                &other,
                "RFC 7143 §6.3",
                "no Login Response after the login",
            )),
        }
    }
}
