//! Reject (RFC 7143 §11.17).

use bytes::Bytes;

use super::bhs::{BHS_LEN, ITT_RESERVED};
use super::codes::code_enum;
use super::dump::Dump;
use super::frame::RawPdu;
use super::layout::pdu;
use super::opcode::Opcode;

code_enum! {
    /// Reject reasons (RFC 7143 §11.17.1).
    pub enum RejectReason: u8 {
        Reserved = 0x01 => "Reserved",
        DataDigestError = 0x02 => "Data (payload) Digest Error",
        SnackReject = 0x03 => "SNACK Reject",
        ProtocolError = 0x04 => "Protocol Error",
        CommandNotSupported = 0x05 => "Command not supported",
        ImmediateCommandReject = 0x06 => "Immediate command reject - too many immediate commands",
        TaskInProgress = 0x07 => "Task in progress",
        InvalidDataAck = 0x08 => "Invalid data ack",
        InvalidPduField = 0x09 => "Invalid PDU field",
        LongOperationReject = 0x0a => "Long op reject - can't generate Target Transfer Tag - out of resources",
        Deprecated = 0x0b => "Deprecated; MUST NOT be used",
        WaitingForLogout = 0x0c => "Waiting for Logout",
    }
}

impl RejectReason {
    /// Whether the initiator may resend the rejected PDU, as RFC 7143
    /// §11.17.1 lists it: after a digest error, a SNACK reject, too many
    /// immediate commands, a long operation reject and waiting for logout.
    pub fn original_may_be_resent(self) -> bool {
        matches!(
            self,
            RejectReason::DataDigestError
                | RejectReason::SnackReject
                | RejectReason::ImmediateCommandReject
                | RejectReason::LongOperationReject
                | RejectReason::WaitingForLogout
        )
    }
}

pdu! {
    /// Reject (opcode 0x3f, RFC 7143 §11.17).
    pub struct Reject {
        /// Reserved bits 7-6 of byte 0, in place.
        pub reserved0: u8 => reserved0,
        ..final_always,
        /// Reason (§11.17.1).
        pub reason: RejectReason = RejectReason::ProtocolError => code_hex(2, "Reason"),
        /// Byte 3, reserved.
        pub reserved3: u8 => reserved(3),
        /// Bytes 8-15, reserved.
        pub reserved8: [u8; 8] => reserved(8),
        /// Bytes 16-19: 0xffffffff (§11.17).
        pub itt: u32 = ITT_RESERVED => itt,
        /// Bytes 20-23, reserved.
        pub reserved20: [u8; 4] => reserved(20),
        ..target_sns,
        /// DataSN/R2TSN (§11.17.2): for a rejected Data/R2T SNACK, else
        /// reserved.
        pub data_sn_or_r2t_sn: u32 => u32(36, "DataSN/R2TSN"),
        /// Bytes 40-47, reserved.
        pub reserved40: [u8; 8] => reserved(40),
        /// The complete header of the rejected PDU (§11.17.3).
        pub data: Bytes => data,
    }
    codec {
        fn dump_extra(&self, d: &mut Dump) {
            if let Some(h) = self.rejected_header() {
                let op = Opcode::from_byte0(h[0]);
                d.field("rejected opcode", format_args!("{:#04x}", op.raw()), op.name());
            }
        }
    }
}

impl Reject {
    /// A Reject of `rejected` for `reason`, carrying its BHS as the data
    /// segment (RFC 7143 §11.17.3); the sequence numbers are left for the
    /// caller.
    pub fn of(rejected: &RawPdu, reason: RejectReason) -> Reject {
        Reject {
            reason,
            data: Bytes::copy_from_slice(&rejected.bhs),
            ..Reject::default()
        }
    }

    /// The BHS of the rejected PDU, if the data segment holds one.
    pub fn rejected_header(&self) -> Option<[u8; BHS_LEN]> {
        let head = self.data.get(..BHS_LEN)?;
        let mut out = [0u8; BHS_LEN];
        out.copy_from_slice(head);
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::bhs::be32;
    use super::super::pdu_enum::Codec;
    use super::*;

    #[test]
    fn reject_carries_header() {
        let mut bhs = [0u8; BHS_LEN];
        bhs[0] = 0x1d;
        let raw = RawPdu::new(bhs, Bytes::new(), Bytes::new());
        let rej = Reject::of(&raw, RejectReason::CommandNotSupported);
        assert_eq!(rej.rejected_header(), Some(bhs));
        let b = rej.to_bhs();
        assert_eq!(&b[..4], &[0x3f, 0x80, 0x05, 0]);
        assert_eq!(be32(&b, 16), ITT_RESERVED);
        assert!(RejectReason::DataDigestError.original_may_be_resent());
        assert!(!RejectReason::ProtocolError.original_may_be_resent());
        assert_eq!(RejectReason::NAMED.len(), 12);
    }
}
