//! What enters a disk (a [`Command`] on an [`Nexus`]) and what leaves it
//! (a [`Completion`]).

use bytes::Bytes;
pub use rtgt_proto::pdu::Residual;
use rtgt_proto::scsi::params::Lun;
use rtgt_proto::scsi::status::Status;
use std::sync::Arc;

/// The I_T nexus a command came through (SAM-5 §4.6.4), with what the
/// device reports about the target port in VPD page 83h.
///
/// Unit attention conditions are kept per nexus, keyed on the whole value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Nexus {
    /// The initiator port name, "<initiator name>,i,0x<ISID>" (RFC 7143 §13.1).
    pub initiator_port: String,
    /// The iSCSI target name.
    pub target_name: String,
    /// The target portal group tag of the session.
    pub tpgt: u16,
    /// RELATIVE TARGET PORT IDENTIFIER of the port (SPC-5 §7.7.6.7),
    /// from one.
    pub relative_target_port: u16,
}

impl Nexus {
    /// A nexus with relative port 1, for tests and single-port targets.
    pub fn new(initiator_port: &str, target_name: &str, tpgt: u16) -> Arc<Self> {
        Arc::new(Nexus {
            initiator_port: initiator_port.into(),
            target_name: target_name.into(),
            tpgt,
            relative_target_port: 1,
        })
    }
}

/// Task attribute (SAM-5 §8.6). ACA is treated as SIMPLE (rtgt does not
/// support ACA: NORMACA is zero and NACA is refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TaskAttribute {
    Untagged,
    #[default]
    Simple,
    Ordered,
    HeadOfQueue,
    Aca,
}

/// A command for a logical unit.
#[derive(Debug, Clone)]
pub struct Command {
    pub nexus: Arc<Nexus>,
    /// The initiator's task tag (the iSCSI ITT): unique among the nexus's
    /// tasks in flight (SAM-5 §4.6.5).
    pub tag: u64,
    pub attr: TaskAttribute,
    pub lun: Lun,
    /// The CDB; bytes past its length (padding) are ignored.
    pub cdb: Bytes,
    /// The Data-Out buffer, as received.
    pub data_out: Bytes,
    /// The expected data transfer length (iSCSI EDTL) in the command's
    /// direction, for the residual.
    pub expected_len: u32,
}

/// The answer to a command: status, sense, Data-In, residual.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: Status,
    /// Sense data in the format the Control mode page's D_SENSE selects
    /// (SPC-5 §4.4.1); empty unless CHECK CONDITION.
    pub sense: Bytes,
    /// Data-In, already cut to the allocation length and to the expected
    /// transfer length.
    pub data_in: Bytes,
    pub residual: Residual,
}

/// A command that is over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub nexus: Arc<Nexus>,
    pub tag: u64,
    pub lun: Lun,
    /// `None` when the task was aborted and no response is sent for it
    /// (SAM-5 §5.6: ABORT TASK, ABORT TASK SET, a reset, or TAS zero); the
    /// driver answers the task management function once every aborted task
    /// has completed this way.
    pub reply: Option<Reply>,
}

impl Completion {
    /// The status, `None` for an aborted task.
    pub fn status(&self) -> Option<Status> {
        self.reply.as_ref().map(|r| r.status)
    }
}
