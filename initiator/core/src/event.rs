//! What the core tells its driver: [`Event`]s, task outcomes, and the errors
//! of calls made at the wrong time.

use std::time::Duration;

use bytes::Bytes;
pub use rtgt_proto::pdu::Residual;
use rtgt_proto::pdu::{
    AsyncMessage, Isid, RawPdu, RejectReason, ScsiResponseCode, ScsiStatus, TmfFunction,
    TmfResponseCode,
};
use rtgt_proto::scsi::sense::Sense;
use rtgt_proto::text::{OperationalParams, Pair};
use thiserror::Error;

use super::address::TargetAddress;
use super::discovery::DiscoveredTarget;
use super::login::LoginError;
use super::violation::ProtocolViolation;

/// A task of ours, named by its Initiator Task Tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskHandle(pub u32);

/// A SCSI command that ran to a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScsiResult {
    /// The iSCSI Response field.
    pub response: ScsiResponseCode,
    /// The SCSI status.
    pub status: ScsiStatus,
    /// Residual over- or underflow.
    pub residual: Residual,
    /// Read data, reassembled from the Data-In PDUs.
    pub data: Bytes,
    /// The sense data bytes, as sent.
    pub sense_bytes: Bytes,
    /// The sense data decoded (SPC-5 §4.4), when it decodes.
    pub sense: Option<Sense>,
    /// Whether the status came in the last Data-In (S bit) rather than a
    /// SCSI Response PDU.
    pub status_in_data_in: bool,
}

/// How a SCSI task ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskOutcome {
    /// The target answered.
    Completed(ScsiResult),
    /// A task management function of ours ended it.
    Aborted {
        /// The function.
        function: TmfFunction,
        /// The TMF request's task.
        by: TaskHandle,
    },
    /// The target rejected the command PDU.
    Rejected(RejectReason),
    /// A data digest error lost some of its Data-In; it was aborted (RFC 7143
    /// §7.8: at ErrorRecoveryLevel 0 the initiator ends the command).
    DataDigestError,
    /// The session closed before the task ended.
    SessionClosed,
}

/// Why the session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// A logout completed.
    LoggedOut,
    /// The login failed.
    LoginFailed,
    /// The target redirected the login elsewhere.
    Redirected,
    /// The target broke a rule and strictness is `Strict`.
    Violation,
    /// Our ping went unanswered.
    PingTimeout,
    /// Our Logout Request was neither answered nor ended by the target in
    /// time.
    LogoutTimeout,
    /// A header digest error lost the PDU boundaries (RFC 7143 §7.8).
    HeaderDigest,
    /// A data digest error on a PDU that cannot be recovered at
    /// ErrorRecoveryLevel 0.
    DataDigest,
    /// The target announced the end of the connection or session.
    TargetDropped,
    /// A TARGET COLD RESET completed: the target closes every connection.
    TargetColdReset,
    /// The caller closed it.
    Local,
}

/// What happened, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Full feature phase reached.
    LoginComplete {
        /// The ISID used.
        isid: Isid,
        /// The TSIH the target gave the session.
        tsih: u16,
        /// The operational parameters in force.
        params: OperationalParams,
        /// Every key the target sent during the login, in order.
        target_keys: Vec<Pair>,
    },
    /// The target redirected the login (status class 1).
    Redirected {
        /// Status 0x0102 rather than 0x0101.
        permanent: bool,
        /// Where to log in instead.
        address: TargetAddress,
    },
    /// The login failed; the session is closed.
    LoginFailed(LoginError),
    /// A SCSI task ended.
    TaskComplete {
        /// The task.
        task: TaskHandle,
        /// How.
        outcome: TaskOutcome,
    },
    /// A task management function answered.
    TmfComplete {
        /// The request's task.
        task: TaskHandle,
        /// The function.
        function: TmfFunction,
        /// The target's answer.
        response: TmfResponseCode,
    },
    /// Our NOP-Out ping was answered.
    PingReply {
        /// The ping's task.
        task: TaskHandle,
        /// The data echoed.
        data: Bytes,
        /// Time from send to answer.
        rtt: Duration,
    },
    /// Our ping went unanswered within the NOP timeout: the connection is
    /// dead and the session closed.
    PingTimeout {
        /// The ping's task.
        task: TaskHandle,
    },
    /// The target pinged us (a NOP-In with a valid TTT was answered).
    TargetPing {
        /// The Target Transfer Tag answered.
        ttt: u32,
    },
    /// A SendTargets exchange ended.
    Discovery {
        /// The request's task.
        task: TaskHandle,
        /// The targets listed, in the order sent.
        targets: Vec<DiscoveredTarget>,
    },
    /// An Asynchronous Message arrived (RFC 7143 §11.9).
    Async(AsyncMessage),
    /// The target asked for a logout (AsyncEvent 1); we log out within the
    /// time given.
    LogoutRequested {
        /// Parameter3: the time we have.
        within: Duration,
    },
    /// The logout completed.
    LoggedOut {
        /// The target's Response.
        response: rtgt_proto::pdu::LogoutResponseCode,
        /// Time2Wait.
        time2wait: u16,
        /// Time2Retain.
        time2retain: u16,
    },
    /// The target rejected a PDU of ours (RFC 7143 §11.17).
    Rejected {
        /// Why.
        reason: RejectReason,
        /// The ITT of the rejected PDU, from the header it carries.
        itt: Option<u32>,
    },
    /// The target broke a rule.
    Violation(ProtocolViolation),
    /// A digest did not match.
    DigestError {
        /// Header digest (else data digest).
        header: bool,
        /// The ITT of the PDU, when its header could be read.
        itt: Option<u32>,
    },
    /// A received PDU, delivered raw ([`ReceiveMode`](super::ReceiveMode)).
    Received(RawPdu),
    /// The session is over; the driver closes the connection.
    Closed(CloseReason),
}

/// A call made when the session cannot take it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UsageError {
    /// Login was already started.
    #[error("the login was already started; create a new initiator to log in again")]
    LoginStarted,
    /// The session is not in full feature phase.
    #[error("the session is not in full feature phase; wait for the login to complete")]
    NotLoggedIn,
    /// A logout is under way.
    #[error("a logout is under way; no new task may start")]
    LoggingOut,
    /// The session is closed.
    #[error("the session is closed")]
    Closed,
    /// SCSI and task management are not allowed in a discovery session.
    #[error("a discovery session carries only text and logout requests (RFC 7143 §4.3)")]
    DiscoverySession,
    /// The referenced task is unknown.
    #[error("task {0:#010x} is not outstanding")]
    NoSuchTask(u32),
    /// No free Initiator Task Tag.
    #[error("every initiator task tag is in use")]
    NoFreeTag,
}
