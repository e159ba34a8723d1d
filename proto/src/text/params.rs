//! The operational parameters a negotiation leaves in force (RFC 7143 §13).

use thiserror::Error;

use super::negotiate::{Negotiator, Role};
use super::value;

/// RFC 7143 §13.1: a header or data digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestKind {
    /// No digest.
    None,
    /// CRC32C (see [`crate::digest`]).
    Crc32c,
}

/// RFC 7143 §13.23: how the target reports task management outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskReporting {
    /// RFC 3720 semantics (the default).
    Rfc3720,
    /// Response fence semantics (§4.2.2.3.3).
    ResponseFence,
    /// Fast multi-task abort semantics (§4.2.3.4), which include the fence.
    FastAbort,
}

/// Everything negotiated in operational stage, with the RFC 7143 §13
/// default for anything that was not (or was answered Reject, Irrelevant or
/// NotUnderstood).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OperationalParams {
    /// §13.1.
    pub header_digest: DigestKind,
    /// §13.1.
    pub data_digest: DigestKind,
    /// §13.12: the largest data segment the initiator accepts, so the largest
    /// the target may send.
    pub initiator_max_recv_data_segment_length: u32,
    /// §13.12: the largest data segment the target accepts, so the largest
    /// the initiator may send.
    pub target_max_recv_data_segment_length: u32,
    /// §13.13.
    pub max_burst_length: u32,
    /// §13.14.
    pub first_burst_length: u32,
    /// §13.10.
    pub initial_r2t: bool,
    /// §13.11.
    pub immediate_data: bool,
    /// §13.17.
    pub max_outstanding_r2t: u16,
    /// §13.2.
    pub max_connections: u16,
    /// §13.20.
    pub error_recovery_level: u8,
    /// §13.18.
    pub data_pdu_in_order: bool,
    /// §13.19.
    pub data_sequence_in_order: bool,
    /// §13.15, seconds.
    pub default_time2wait: u16,
    /// §13.16, seconds.
    pub default_time2retain: u16,
    /// §13.23.
    pub task_reporting: TaskReporting,
    /// RFC 7144 §2.1.
    pub iscsi_protocol_level: u8,
}

impl Default for OperationalParams {
    /// The RFC 7143 §13 defaults.
    fn default() -> Self {
        OperationalParams {
            header_digest: DigestKind::None,
            data_digest: DigestKind::None,
            initiator_max_recv_data_segment_length: 8192,
            target_max_recv_data_segment_length: 8192,
            max_burst_length: 262_144,
            first_burst_length: 65_536,
            initial_r2t: true,
            immediate_data: true,
            max_outstanding_r2t: 1,
            max_connections: 1,
            error_recovery_level: 0,
            data_pdu_in_order: true,
            data_sequence_in_order: true,
            default_time2wait: 2,
            default_time2retain: 20,
            task_reporting: TaskReporting::Rfc3720,
            iscsi_protocol_level: 0,
        }
    }
}

impl OperationalParams {
    /// The largest data segment `role` may send.
    pub fn max_send_data_segment_length(&self, role: Role) -> u32 {
        match role {
            Role::Initiator => self.target_max_recv_data_segment_length,
            Role::Target => self.initiator_max_recv_data_segment_length,
        }
    }
}

/// Why the negotiated values cannot be used together.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParamsError {
    /// RFC 7143 §13.14: FirstBurstLength MUST NOT exceed MaxBurstLength.
    #[error("negotiated FirstBurstLength {first} exceeds MaxBurstLength {max}")]
    FirstBurstExceedsMaxBurst { first: u32, max: u32 },
    /// A negotiated or declared value does not fit its field.
    #[error("value {value:?} of key {key} is not usable")]
    BadValue { key: &'static str, value: String },
}

impl Negotiator {
    /// The operational parameters in force after this negotiation, from the
    /// negotiated outcomes, both sides' MaxRecvDataSegmentLength declarations
    /// and the RFC defaults.
    pub fn params(&self) -> Result<OperationalParams, ParamsError> {
        self.params_over(OperationalParams::default())
    }

    /// Like [`Negotiator::params`], starting from earlier values (e.g. a
    /// text negotiation in full feature phase changes only what it names).
    pub fn params_over(&self, base: OperationalParams) -> Result<OperationalParams, ParamsError> {
        let mut p = base;
        // RFC 7143 §13.12: each side declares what it can receive.
        let ours = self.our_value("MaxRecvDataSegmentLength");
        let theirs = self.peer_value("MaxRecvDataSegmentLength");
        let (i, t) = match self.role() {
            Role::Initiator => (ours, theirs),
            Role::Target => (theirs, ours),
        };
        let mrdsl = "MaxRecvDataSegmentLength";
        p.initiator_max_recv_data_segment_length =
            parse_or(mrdsl, i, p.initiator_max_recv_data_segment_length)?;
        p.target_max_recv_data_segment_length =
            parse_or(mrdsl, t, p.target_max_recv_data_segment_length)?;
        // RFC 7143 §13.1.
        p.header_digest = self.outcome("HeaderDigest", p.header_digest)?;
        p.data_digest = self.outcome("DataDigest", p.data_digest)?;
        // Data transfer: bursts and R2Ts (RFC 7143 §13.10, §13.11, §13.13,
        // §13.14, §13.17).
        p.initial_r2t = self.outcome("InitialR2T", p.initial_r2t)?;
        p.immediate_data = self.outcome("ImmediateData", p.immediate_data)?;
        p.max_burst_length = self.outcome("MaxBurstLength", p.max_burst_length)?;
        p.first_burst_length = self.outcome("FirstBurstLength", p.first_burst_length)?;
        p.max_outstanding_r2t = self.outcome("MaxOutstandingR2T", p.max_outstanding_r2t)?;
        // Ordering (§13.18, §13.19).
        p.data_pdu_in_order = self.outcome("DataPDUInOrder", p.data_pdu_in_order)?;
        p.data_sequence_in_order = self.outcome("DataSequenceInOrder", p.data_sequence_in_order)?;
        // Session and recovery (§13.2, §13.15, §13.16, §13.20, §13.23;
        // iSCSIProtocolLevel: RFC 7144 §2.1).
        p.max_connections = self.outcome("MaxConnections", p.max_connections)?;
        p.default_time2wait = self.outcome("DefaultTime2Wait", p.default_time2wait)?;
        p.default_time2retain = self.outcome("DefaultTime2Retain", p.default_time2retain)?;
        p.error_recovery_level = self.outcome("ErrorRecoveryLevel", p.error_recovery_level)?;
        p.task_reporting = self.outcome("TaskReporting", p.task_reporting)?;
        p.iscsi_protocol_level = self.outcome("iSCSIProtocolLevel", p.iscsi_protocol_level)?;
        // RFC 7143 §13.14: FirstBurstLength MUST NOT exceed MaxBurstLength.
        // It does not matter when FirstBurstLength is irrelevant (InitialR2T=Yes
        // and ImmediateData=No: no unsolicited data at all).
        let unsolicited = !p.initial_r2t || p.immediate_data;
        if unsolicited && p.first_burst_length > p.max_burst_length {
            return Err(ParamsError::FirstBurstExceedsMaxBurst {
                first: p.first_burst_length,
                max: p.max_burst_length,
            });
        }
        Ok(p)
    }
}

fn bad(key: &'static str, v: &str) -> ParamsError {
    ParamsError::BadValue {
        key,
        value: v.into(),
    }
}

impl Negotiator {
    /// The negotiated outcome of `key` as a `T`, or `d` when the key was
    /// not negotiated.
    fn outcome<T: FromValue>(&self, key: &'static str, d: T) -> Result<T, ParamsError> {
        parse_or(key, self.result(key), d)
    }
}

/// `v` as a `T`, or `d` when there is no value.
fn parse_or<T: FromValue>(key: &'static str, v: Option<&str>, d: T) -> Result<T, ParamsError> {
    match v {
        None => Ok(d),
        Some(v) => T::from_value(v).ok_or_else(|| bad(key, v)),
    }
}

/// A parameter as a key's value spells it (RFC 7143 §13); None when the
/// value does not fit the parameter.
trait FromValue: Sized {
    fn from_value(v: &str) -> Option<Self>;
}

macro_rules! numerical_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(v: &str) -> Option<Self> {
                value::parse_numerical(v).ok().and_then(|n| Self::try_from(n).ok())
            }
        }
    )*};
}
numerical_value!(u8, u16, u32);

impl FromValue for bool {
    fn from_value(v: &str) -> Option<Self> {
        value::parse_bool(v).ok()
    }
}

/// RFC 7143 §13.1: HeaderDigest and DataDigest.
impl FromValue for DigestKind {
    fn from_value(v: &str) -> Option<Self> {
        match v {
            "None" => Some(DigestKind::None),
            "CRC32C" => Some(DigestKind::Crc32c),
            _ => None,
        }
    }
}

/// RFC 7143 §13.23: TaskReporting.
impl FromValue for TaskReporting {
    fn from_value(v: &str) -> Option<Self> {
        match v {
            "RFC3720" => Some(TaskReporting::Rfc3720),
            "ResponseFence" => Some(TaskReporting::ResponseFence),
            "FastAbort" => Some(TaskReporting::FastAbort),
            _ => None,
        }
    }
}
