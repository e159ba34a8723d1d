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
        let digest = |key: &'static str, d: DigestKind| match self.result(key) {
            None => Ok(d),
            Some("None") => Ok(DigestKind::None),
            Some("CRC32C") => Ok(DigestKind::Crc32c),
            Some(v) => Err(bad(key, v)),
        };
        p.header_digest = digest("HeaderDigest", p.header_digest)?;
        p.data_digest = digest("DataDigest", p.data_digest)?;
        let ours = self.our_value("MaxRecvDataSegmentLength");
        let theirs = self.peer_value("MaxRecvDataSegmentLength");
        let (i, t) = match self.role() {
            Role::Initiator => (ours, theirs),
            Role::Target => (theirs, ours),
        };
        let mrdsl = "MaxRecvDataSegmentLength";
        p.initiator_max_recv_data_segment_length =
            num_or(mrdsl, i, p.initiator_max_recv_data_segment_length)?;
        p.target_max_recv_data_segment_length =
            num_or(mrdsl, t, p.target_max_recv_data_segment_length)?;
        let r = |k| self.result(k);
        p.max_burst_length = num_or("MaxBurstLength", r("MaxBurstLength"), p.max_burst_length)?;
        p.first_burst_length = num_or(
            "FirstBurstLength",
            r("FirstBurstLength"),
            p.first_burst_length,
        )?;
        p.initial_r2t = bool_or("InitialR2T", r("InitialR2T"), p.initial_r2t)?;
        p.immediate_data = bool_or("ImmediateData", r("ImmediateData"), p.immediate_data)?;
        p.max_outstanding_r2t = num_or(
            "MaxOutstandingR2T",
            r("MaxOutstandingR2T"),
            p.max_outstanding_r2t,
        )?;
        p.max_connections = num_or("MaxConnections", r("MaxConnections"), p.max_connections)?;
        p.error_recovery_level = num_or(
            "ErrorRecoveryLevel",
            r("ErrorRecoveryLevel"),
            p.error_recovery_level,
        )?;
        p.data_pdu_in_order = bool_or("DataPDUInOrder", r("DataPDUInOrder"), p.data_pdu_in_order)?;
        p.data_sequence_in_order = bool_or(
            "DataSequenceInOrder",
            r("DataSequenceInOrder"),
            p.data_sequence_in_order,
        )?;
        p.default_time2wait = num_or(
            "DefaultTime2Wait",
            r("DefaultTime2Wait"),
            p.default_time2wait,
        )?;
        p.default_time2retain = num_or(
            "DefaultTime2Retain",
            r("DefaultTime2Retain"),
            p.default_time2retain,
        )?;
        p.task_reporting = match r("TaskReporting") {
            None => p.task_reporting,
            Some("RFC3720") => TaskReporting::Rfc3720,
            Some("ResponseFence") => TaskReporting::ResponseFence,
            Some("FastAbort") => TaskReporting::FastAbort,
            Some(v) => return Err(bad("TaskReporting", v)),
        };
        p.iscsi_protocol_level = num_or(
            "iSCSIProtocolLevel",
            r("iSCSIProtocolLevel"),
            p.iscsi_protocol_level,
        )?;
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

fn num_or<T: TryFrom<u64>>(key: &'static str, v: Option<&str>, d: T) -> Result<T, ParamsError> {
    match v {
        None => Ok(d),
        Some(v) => value::parse_numerical(v)
            .ok()
            .and_then(|n| T::try_from(n).ok())
            .ok_or_else(|| bad(key, v)),
    }
}

fn bool_or(key: &'static str, v: Option<&str>, d: bool) -> Result<bool, ParamsError> {
    match v {
        None => Ok(d),
        Some(v) => value::parse_bool(v).map_err(|_| bad(key, v)),
    }
}
