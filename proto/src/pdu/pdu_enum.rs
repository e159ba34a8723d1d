//! The typed PDU enum and the conversions between it and raw frames.

use core::fmt;

use bytes::Bytes;
use thiserror::Error;

use super::ahs::{Ahs, AhsError};
use super::bhs::{self, Bhs, OFF_TOTAL_AHS};
use super::dump::Dump;
use super::frame::{Digests, EncodedParts, RawPdu};
use super::opcode::{Opcode, Role};
use super::reject::RejectReason;
use super::stream::Answer;
use super::{
    AsyncMessage, DataIn, DataOut, LoginRequest, LoginResponse, LogoutRequest, LogoutResponse,
    NopIn, NopOut, ReadyToTransfer, Reject, ScsiCommand, ScsiResponse, SnackRequest,
    TaskManagementRequest, TaskManagementResponse, TextRequest, TextResponse,
};

/// What every typed PDU struct provides to the enum.
pub(crate) trait Codec: Sized {
    /// The opcode of this PDU.
    const OPCODE: Opcode;
    /// Builds the struct from a BHS and data segment (any bytes are valid:
    /// reserved and unassigned values are kept).
    fn from_bhs(b: &Bhs, data: Bytes) -> Self;
    /// Writes the BHS, lengths left zero.
    fn to_bhs(&self) -> Bhs;
    /// The data segment.
    fn data(&self) -> &Bytes;
    /// Appends the opcode-specific fields to a dump.
    fn dump_fields(&self, d: &mut Dump);
    /// Calls `f` with the name (`byte N`, `bytes N-M`) and the bytes of
    /// each reserved field of the BHS, in byte order.
    fn reserved_fields(&self, f: &mut dyn FnMut(&str, &[u8]));
    /// Lines a dump adds after the BHS fields (derived values, the AHS).
    fn dump_extra(&self, _d: &mut Dump) {}
    /// Whether the data segment holds text key=value pairs.
    fn text_data() -> bool {
        false
    }
    /// The AHS area as it goes on the wire (only a SCSI Command has one).
    fn ahs_bytes(&self) -> Bytes {
        Bytes::new()
    }
}

/// Why a frame does not make a typed PDU. Each maps to the answer RFC 7143
/// wants from a target with [`PduError::answer`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PduError {
    /// The AHS area does not split into AHSs (RFC 7143 §11.2.2).
    #[error("malformed ahs: {0}")]
    Ahs(#[from] AhsError),
    /// An AHS on an opcode for which RFC 7143 defines none (AHS types 1 and 2
    /// belong to the SCSI Command, §11.2.2.3-§11.2.2.4).
    #[error("{opcode} carries {len} bytes of ahs, which only a scsi command may carry")]
    UnexpectedAhs { opcode: Opcode, len: usize },
    /// An opcode RFC 7143 does not define.
    #[error("unknown opcode {:#04x}", opcode.raw())]
    UnknownOpcode { opcode: Opcode },
    /// An opcode the sender's role never sends, e.g. a NOP-In from an
    /// initiator (RFC 7143 §11.2.1.2 splits the opcode space by sender).
    #[error("{opcode} may not be sent by the {sender:?}")]
    WrongDirection { opcode: Opcode, sender: Role },
}

impl PduError {
    /// The target's answer to the offending PDU.
    pub fn answer(&self) -> Answer {
        match self {
            // RFC 7143 §11.17.1: reason 0x05 "Command not supported" is the
            // reason for a PDU the target does not implement; an unknown
            // opcode is such a PDU.
            PduError::UnknownOpcode { .. } => Answer::Reject(RejectReason::CommandNotSupported),
            // RFC 7143 §11.17.1: reason 0x04 "Protocol Error" for a PDU that
            // breaks the protocol's rules.
            PduError::WrongDirection { .. } => Answer::Reject(RejectReason::ProtocolError),
            // RFC 7143 §11.17.1: reason 0x09 "Invalid PDU field" for a header
            // field the target cannot accept; the AHS is part of the header.
            PduError::Ahs(_) | PduError::UnexpectedAhs { .. } => {
                Answer::Reject(RejectReason::InvalidPduField)
            }
        }
    }
}

macro_rules! pdu_enum {
    ($($variant:ident),* $(,)?) => {
        /// A typed PDU: one variant per opcode of RFC 7143 §11, and
        /// `Unknown` for any other opcode (kept raw so it can be rejected or
        /// re-encoded).
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Pdu {
            $( #[doc = concat!("See [`", stringify!($variant), "`].")] $variant($variant), )*
            /// An opcode RFC 7143 does not define, kept as received.
            Unknown(RawPdu),
        }

        $(
            impl From<$variant> for Pdu {
                fn from(p: $variant) -> Pdu {
                    Pdu::$variant(p)
                }
            }
        )*

        impl Pdu {
            /// Typed view of a frame. Unknown opcodes become `Pdu::Unknown`;
            /// see [`Pdu::decode_from`] to treat them as errors.
            pub fn decode(raw: &RawPdu) -> Result<Pdu, PduError> {
                let opcode = raw.opcode();
                if opcode == Opcode::ScsiCommand {
                    let ahs = Ahs::parse_list(&raw.ahs)?;
                    let mut cmd = ScsiCommand::from_bhs(&raw.bhs, raw.data.clone());
                    cmd.ahs = ahs;
                    return Ok(Pdu::ScsiCommand(cmd));
                }
                if !raw.ahs.is_empty() && !matches!(opcode, Opcode::Other(_)) {
                    return Err(PduError::UnexpectedAhs { opcode, len: raw.ahs.len() });
                }
                Ok(match opcode {
                    $( Opcode::$variant => Pdu::$variant($variant::from_bhs(&raw.bhs, raw.data.clone())), )*
                    Opcode::Other(_) => Pdu::Unknown(raw.clone()),
                })
            }

            /// The frame for this PDU: TotalAHSLength and DataSegmentLength
            /// from the contents, zero padding. `Unknown` is returned as held.
            pub fn to_raw(&self) -> RawPdu {
                let (mut b, ahs, data): (Bhs, Bytes, Bytes) = match self {
                    $( Pdu::$variant(p) => (p.to_bhs(), p.ahs_bytes(), p.data().clone()), )*
                    Pdu::Unknown(raw) => return raw.clone(),
                };
                b[OFF_TOTAL_AHS] = 0;
                bhs::set_data_segment_length(&mut b, 0);
                RawPdu::new(b, ahs, data)
            }

            /// The opcode.
            pub fn opcode(&self) -> Opcode {
                match self {
                    $( Pdu::$variant(_) => Opcode::$variant, )*
                    Pdu::Unknown(raw) => raw.opcode(),
                }
            }

            /// The reserved fields of the BHS that are not zero, each as
            /// its name (`byte N`, `bytes N-M`) and bytes, in byte order
            /// (RFC 7143 §11: reserved fields are sent as zero). None for an
            /// unknown opcode.
            pub fn nonzero_reserved(&self) -> Vec<(String, Vec<u8>)> {
                let mut found = Vec::new();
                let mut visit = |name: &str, bytes: &[u8]| {
                    if bytes.iter().any(|&b| b != 0) {
                        found.push((name.to_owned(), bytes.to_vec()));
                    }
                };
                match self {
                    $( Pdu::$variant(p) => p.reserved_fields(&mut visit), )*
                    Pdu::Unknown(_) => {}
                }
                found
            }

            fn dump_body(&self, d: &mut Dump) {
                match self {
                    $( Pdu::$variant(p) => {
                        p.dump_fields(d);
                        if $variant::text_data() {
                            d.text_data(p.data());
                        } else {
                            d.binary_data("data segment", p.data());
                        }
                    } )*
                    Pdu::Unknown(raw) => {
                        d.binary_data("BHS", &raw.bhs);
                        d.binary_data("AHS", &raw.ahs);
                        d.binary_data("data segment", &raw.data);
                    }
                }
            }
        }
    };
}

pdu_enum!(
    NopOut,
    ScsiCommand,
    TaskManagementRequest,
    LoginRequest,
    TextRequest,
    DataOut,
    LogoutRequest,
    SnackRequest,
    NopIn,
    ScsiResponse,
    TaskManagementResponse,
    LoginResponse,
    TextResponse,
    DataIn,
    LogoutResponse,
    ReadyToTransfer,
    AsyncMessage,
    Reject,
);

impl Pdu {
    /// Like [`Pdu::decode`], for the receiver: a PDU with an opcode RFC 7143
    /// does not define, or one that `sender` never sends, is an error whose
    /// [`PduError::answer`] names the Reject to send.
    pub fn decode_from(raw: &RawPdu, sender: Role) -> Result<Pdu, PduError> {
        let opcode = raw.opcode();
        if let Opcode::Other(_) = opcode {
            return Err(PduError::UnknownOpcode { opcode });
        }
        // RFC 7143 §11.2.1.2: 0x00-0x1f are initiator opcodes, 0x20-0x3f
        // target opcodes.
        if opcode.sender() != sender {
            return Err(PduError::WrongDirection { opcode, sender });
        }
        Pdu::decode(raw)
    }

    /// The PDU as one buffer on the wire.
    pub fn encode(&self, digests: Digests) -> Vec<u8> {
        self.to_raw().encode(digests)
    }

    /// The PDU in three parts for a vectored write (the data segment is
    /// shared, not copied).
    pub fn encode_parts(&self, digests: Digests) -> EncodedParts {
        self.to_raw().encode_parts(digests)
    }

    /// The Initiator Task Tag (bytes 16-19 of every BHS).
    pub fn itt(&self) -> u32 {
        self.to_raw().itt()
    }

    /// An annotated dump: one field per line with name, value and meaning.
    pub fn dump(&self) -> String {
        let raw = self.to_raw();
        let opcode = raw.opcode();
        let mut d = Dump::new();
        let name = if opcode.is_vendor_specific() {
            "vendor specific"
        } else {
            opcode.name()
        };
        d.field(
            "opcode",
            format_args!("{:#04x}", opcode.raw()),
            format_args!("{name} (sent by {:?})", opcode.sender()),
        );
        if opcode.has_immediate_bit() {
            d.flag("I (immediate)", raw.immediate(), "immediate delivery");
        }
        d.reserved("byte 0 reserved bits", &[bhs::reserved0(&raw.bhs)]);
        d.field("TotalAHSLength", raw.total_ahs_length(), "4-byte words");
        d.field("DataSegmentLength", raw.data_segment_length(), "bytes");
        self.dump_body(&mut d);
        d.finish()
    }
}

impl fmt::Display for Pdu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.dump())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdu::BHS_LEN;

    fn raw(opcode: u8, ahs: &'static [u8]) -> RawPdu {
        let mut b = [0u8; BHS_LEN];
        b[0] = opcode;
        RawPdu::new(b, Bytes::from_static(ahs), Bytes::new())
    }

    #[test]
    fn unknown_opcode_is_kept_or_rejected() {
        let r = raw(0x1d, &[]);
        assert_eq!(Pdu::decode(&r), Ok(Pdu::Unknown(r.clone())));
        assert_eq!(Pdu::Unknown(r.clone()).to_raw(), r);
        let err = Pdu::decode_from(&r, Role::Initiator).unwrap_err();
        assert_eq!(
            err,
            PduError::UnknownOpcode {
                opcode: Opcode::Other(0x1d)
            }
        );
        assert_eq!(
            err.answer(),
            Answer::Reject(RejectReason::CommandNotSupported)
        );
    }

    #[test]
    fn wrong_direction_is_a_protocol_error() {
        let err = Pdu::decode_from(&raw(0x20, &[]), Role::Initiator).unwrap_err();
        assert_eq!(
            err,
            PduError::WrongDirection {
                opcode: Opcode::NopIn,
                sender: Role::Initiator
            }
        );
        assert_eq!(err.answer(), Answer::Reject(RejectReason::ProtocolError));
        assert!(Pdu::decode_from(&raw(0x00, &[]), Role::Initiator).is_ok());
    }

    #[test]
    fn ahs_errors() {
        let err = Pdu::decode(&raw(0x00, &[0, 1, 1, 0])).unwrap_err();
        assert_eq!(
            err,
            PduError::UnexpectedAhs {
                opcode: Opcode::NopOut,
                len: 4
            }
        );
        assert_eq!(err.answer(), Answer::Reject(RejectReason::InvalidPduField));
        let err = Pdu::decode(&raw(0x01, &[0, 9, 1, 0])).unwrap_err();
        assert!(matches!(err, PduError::Ahs(AhsError::TooLong { .. })));
        assert_eq!(err.answer(), Answer::Reject(RejectReason::InvalidPduField));
        let ok = Pdu::decode(&raw(0x01, &[0, 1, 1, 0])).unwrap();
        assert_eq!(ok.opcode(), Opcode::ScsiCommand);
        assert_eq!(ok.itt(), 0);
        assert!(ok.to_string().contains("Extended CDB"));
    }
}
