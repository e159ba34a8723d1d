//! Deviations of the target from RFC 7143, as typed values naming the
//! clause broken and what was expected against what arrived.

use std::fmt;

use rtgt_proto::pdu::{Opcode, Pdu};

/// Which rule a target broke. Each kind is detected at one family of checks;
/// [`ProtocolViolation::clause`] names the exact clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ViolationKind {
    /// An opcode RFC 7143 does not define, or one only an initiator sends.
    IllegalOpcode,
    /// A target PDU that makes no sense now (wrong phase, nothing asked).
    UnexpectedPdu,
    /// A reserved field or bit is not zero.
    ReservedField,
    /// A flag has a value its PDU forbids (F clear, C with T, S without F...).
    InvalidFlags,
    /// The Initiator Task Tag names no outstanding task of ours.
    UnknownItt,
    /// StatSN is not the one expected.
    StatSn,
    /// MaxCmdSN is below ExpCmdSN - 1 (serial arithmetic).
    CmdSnWindow,
    /// ExpCmdSN acknowledges commands never sent.
    ExpCmdSn,
    /// DataSN out of order.
    DataSn,
    /// Buffer Offset out of order.
    BufferOffset,
    /// Data beyond the Expected Data Transfer Length.
    DataOverrun,
    /// A Data-In sequence longer than MaxBurstLength.
    BurstLength,
    /// A data segment beyond our MaxRecvDataSegmentLength.
    DataSegmentTooLong,
    /// R2TSN out of order.
    R2tSn,
    /// Desired Data Transfer Length zero or beyond MaxBurstLength.
    R2tLength,
    /// R2T asks for data outside the command's range or already sent.
    R2tRange,
    /// More R2Ts outstanding than MaxOutstandingR2T.
    R2tOutstanding,
    /// A Target Transfer Tag reserved where it must not be, or the reverse.
    TargetTransferTag,
    /// Version-active outside our Version-min..Version-max.
    LoginVersion,
    /// The ISID of a Login Response is not ours.
    LoginIsid,
    /// The TSIH of a Login Response breaks §11.13.4.
    LoginTsih,
    /// CSG, NSG or the T bit of a Login Response break the stage rules.
    LoginStage,
    /// A key the target had to send is missing (e.g. TargetAddress with a
    /// redirect).
    MissingKey,
    /// The key negotiation was broken (illegal answer, duplicate key...).
    Negotiation,
    /// The text of a Login or Text Response is not well-formed.
    Text,
    /// A CHAP value of the target is unusable.
    Chap,
    /// A residual count that disagrees with the flags or the data.
    Residual,
    /// Sense data missing with CHECK CONDITION, or present without it.
    Sense,
    /// ExpDataSN of a SCSI Response disagrees with the PDUs sent.
    ExpDataSn,
    /// A NOP-In answer does not echo our ping data.
    NopData,
    /// A Reject without the rejected PDU's header in its data segment.
    RejectHeader,
}

/// One deviation of the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolViolation {
    /// The family of rule.
    pub kind: ViolationKind,
    /// The clause broken, e.g. `"RFC 7143 §11.7.3"`.
    pub clause: &'static str,
    /// What the standard wants.
    pub expected: String,
    /// What the target sent.
    pub received: String,
    /// The offending PDU's opcode, when there is one.
    pub opcode: Option<Opcode>,
    /// The offending PDU's Initiator Task Tag.
    pub itt: Option<u32>,
}

impl ProtocolViolation {
    /// A violation without PDU context.
    pub fn new(
        kind: ViolationKind,
        clause: &'static str,
        expected: impl Into<String>,
        received: impl Into<String>,
    ) -> Self {
        ProtocolViolation {
            kind,
            clause,
            expected: expected.into(),
            received: received.into(),
            opcode: None,
            itt: None,
        }
    }

    /// A PDU the target may not send now (its clause says when it may).
    pub(crate) fn unexpected(pdu: &Pdu, clause: &'static str, expected: &str) -> Self {
        ProtocolViolation::new(
            ViolationKind::UnexpectedPdu,
            clause,
            expected,
            pdu.opcode().to_string(),
        )
        .on(pdu.opcode(), pdu.itt())
    }

    /// Attaches the offending PDU's opcode and ITT.
    pub fn on(mut self, opcode: Opcode, itt: u32) -> Self {
        self.opcode = Some(opcode);
        self.itt = Some(itt);
        self
    }
}

impl fmt::Display for ProtocolViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} ({})", self.kind, self.clause)?;
        if let Some(op) = self.opcode {
            write!(f, " in {op}")?;
        }
        write!(
            f,
            ": expected {}, received {}",
            self.expected, self.received
        )
    }
}

/// Processing of the current PDU stops: the session was closed (strict mode,
/// or an unrecoverable error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stop;

/// The result of a check site.
pub(crate) type Flow = Result<(), Stop>;
