//! What can go wrong in the tokio client, grouped by who is at fault: the
//! network, the target, the caller. Each message says what to do.

use std::time::Duration;

use rtgt_proto::pdu::{RejectReason, ScsiResponseCode, ScsiStatus, TmfFunction, TmfResponseCode};
use rtgt_proto::scsi::sense::Sense;
use thiserror::Error;

use crate::core::{CloseReason, LoginError, ProtocolViolation, TargetAddress, UsageError};

/// An error of the tokio client.
#[derive(Debug, Error)]
pub enum ClientError {
    // --- network ---
    /// The host name did not resolve.
    #[error("could not resolve {addr}: {error}; check the host name")]
    Resolve { addr: String, error: std::io::Error },
    /// The TCP connection could not be made.
    #[error(
        "could not connect to {addr}: {error}; check the address and that the target listens there"
    )]
    Connect { addr: String, error: std::io::Error },
    /// The TCP connection did not come up in time.
    #[error("connecting to {addr} took longer than {after:?}; check the address and the firewall")]
    ConnectTimeout { addr: String, after: Duration },
    /// Reading or writing the socket failed.
    #[error("the connection to the target failed: {0}; log in again")]
    Io(std::io::Error),
    /// The operating system gave no random bytes for the ISID and CHAP.
    #[error("the operating system's random generator failed: {0}")]
    Random(std::io::Error),
    /// The target closed the TCP connection.
    #[error("the target closed the connection; check the target's log, then log in again")]
    ConnectionClosed,

    // --- login ---
    /// The target refused the login, or our side of CHAP gave up.
    #[error(transparent)]
    Login(#[from] LoginError),
    /// Redirects kept coming (RFC 7143 §11.13.5, status class 1).
    #[error("the target redirected the login {count} times (last to {last}); log in to the final portal directly")]
    TooManyRedirects { count: usize, last: TargetAddress },

    // --- target misbehaviour ---
    /// The target broke RFC 7143 and the session was closed.
    #[error("the target broke the protocol: {0}; the session was closed (set Strictness::Lenient to carry on past such deviations)")]
    Violation(ProtocolViolation),
    /// The target rejected a PDU of ours (RFC 7143 §11.17).
    #[error(
        "the target rejected the command PDU ({0}); check the command and the negotiated limits"
    )]
    Rejected(RejectReason),
    /// The command's Data-In was lost to a data digest error and the command
    /// was aborted (RFC 7143 §7.8).
    #[error("a data digest error lost the command's data; it was aborted, retry it")]
    DataDigest,

    // --- session state ---
    /// The session ended before the request did.
    #[error("the session closed ({reason:?}) before the request completed; log in again")]
    SessionClosed { reason: CloseReason },
    /// The driver task is gone (the session was closed or dropped).
    #[error("the session is no longer running; log in again")]
    DriverGone,
    /// A request made at the wrong time.
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// A request did not complete in time.
    #[error("{what} did not complete within {after:?}; the target may be stuck: abort the task or log out")]
    Timeout { what: &'static str, after: Duration },

    // --- SCSI outcomes ---
    /// A task management function ended the command.
    #[error("the command was aborted by {function}")]
    Aborted { function: TmfFunction },
    /// The target answered with a non-success iSCSI response (RFC 7143 §11.4.3).
    #[error(
        "the target failed the command at the iSCSI level ({0}); retry it or check the target"
    )]
    TargetFailure(ScsiResponseCode),
    /// A command ended with a SCSI status other than GOOD.
    #[error("{}", describe_status(*.status, .sense.as_ref()))]
    Scsi {
        status: ScsiStatus,
        sense: Option<Sense>,
    },
    /// A task management function was refused.
    #[error("{function} answered {response}")]
    Tmf {
        function: TmfFunction,
        response: TmfResponseCode,
    },
    /// SCSI data that does not decode.
    #[error("the target's {what} does not decode: {reason}")]
    BadData { what: &'static str, reason: String },

    // --- multipath ---
    /// No path of a [`MultipathSession`](super::MultipathSession) can carry
    /// commands.
    #[error(transparent)]
    NoUsablePath(#[from] crate::core::multipath::NoUsablePath),

    // --- caller ---
    /// An argument that cannot be used.
    #[error("{0}")]
    Argument(String),
}

/// "CHECK CONDITION: ILLEGAL REQUEST, LOGICAL BLOCK ADDRESS OUT OF RANGE".
fn describe_status(status: ScsiStatus, sense: Option<&Sense>) -> String {
    let mut s = format!("the command ended with {}", status.name());
    if let Some(sense) = sense {
        let asc = sense
            .asc
            .name()
            .map(str::to_owned)
            .unwrap_or_else(|| sense.asc.to_string());
        s.push_str(&format!(": {}, {asc}", sense.key));
    }
    s.push_str(match status {
        ScsiStatus::Busy | ScsiStatus::TaskSetFull => "; retry later",
        ScsiStatus::ReservationConflict => "; another initiator holds a reservation",
        _ => "; check the command against the device",
    });
    s
}

impl ClientError {
    /// Whether this is a CHECK CONDITION with sense key UNIT ATTENTION (the
    /// command was not run and may be sent again, SAM-5 §5.14).
    pub fn is_unit_attention(&self) -> bool {
        matches!(
            self,
            ClientError::Scsi {
                status: ScsiStatus::CheckCondition,
                sense: Some(s),
            } if s.key == rtgt_proto::scsi::asc::SenseKey::UNIT_ATTENTION
        )
    }
}

/// A result of the client.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;
