//! Reject (RFC 7143 §11.17).

use bytes::Bytes;

use super::bhs::{self, arr, be32, put32, put_arr, Bhs, BHS_LEN, F_BIT, ITT_RESERVED};
use super::codes::code_enum;
use super::dump::Dump;
use super::frame::RawPdu;
use super::opcode::Opcode;
use super::pdu_enum::Codec;

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

/// Reject (opcode 0x3f, RFC 7143 §11.17).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// Reserved bits 7-6 of byte 0, in place.
    pub reserved0: u8,
    /// F bit; always 1.
    pub final_bit: bool,
    /// Reserved bits 6-0 of byte 1.
    pub reserved_flags: u8,
    /// Reason (§11.17.1).
    pub reason: RejectReason,
    /// Byte 3, reserved.
    pub reserved3: u8,
    /// Bytes 8-15, reserved.
    pub reserved8: [u8; 8],
    /// Bytes 16-19: 0xffffffff (§11.17).
    pub itt: u32,
    /// Bytes 20-23, reserved.
    pub reserved20: [u8; 4],
    /// StatSN.
    pub stat_sn: u32,
    /// ExpCmdSN.
    pub exp_cmd_sn: u32,
    /// MaxCmdSN.
    pub max_cmd_sn: u32,
    /// DataSN/R2TSN (§11.17.2): for a rejected Data/R2T SNACK, else
    /// reserved.
    pub data_sn_or_r2t_sn: u32,
    /// Bytes 40-47, reserved.
    pub reserved40: [u8; 8],
    /// The complete header of the rejected PDU (§11.17.3).
    pub data: Bytes,
}

impl Default for Reject {
    fn default() -> Self {
        Reject {
            reserved0: 0,
            final_bit: true,
            reserved_flags: 0,
            reason: RejectReason::ProtocolError,
            reserved3: 0,
            reserved8: [0; 8],
            itt: ITT_RESERVED,
            reserved20: [0; 4],
            stat_sn: 0,
            exp_cmd_sn: 0,
            max_cmd_sn: 0,
            data_sn_or_r2t_sn: 0,
            reserved40: [0; 8],
            data: Bytes::new(),
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

impl Codec for Reject {
    const OPCODE: Opcode = Opcode::Reject;

    fn from_bhs(b: &Bhs, data: Bytes) -> Self {
        Reject {
            reserved0: bhs::reserved0(b),
            final_bit: b[1] & F_BIT != 0,
            reserved_flags: b[1] & !F_BIT,
            reason: RejectReason::from_raw(b[2]),
            reserved3: b[3],
            reserved8: arr(b, 8),
            itt: be32(b, 16),
            reserved20: arr(b, 20),
            stat_sn: be32(b, 24),
            exp_cmd_sn: be32(b, 28),
            max_cmd_sn: be32(b, 32),
            data_sn_or_r2t_sn: be32(b, 36),
            reserved40: arr(b, 40),
            data,
        }
    }

    fn to_bhs(&self) -> Bhs {
        let mut b = bhs::start(Self::OPCODE, false, self.reserved0);
        b[1] = if self.final_bit { F_BIT } else { 0 } | (self.reserved_flags & !F_BIT);
        b[2] = self.reason.raw();
        b[3] = self.reserved3;
        put_arr(&mut b, 8, &self.reserved8);
        put32(&mut b, 16, self.itt);
        put_arr(&mut b, 20, &self.reserved20);
        put32(&mut b, 24, self.stat_sn);
        put32(&mut b, 28, self.exp_cmd_sn);
        put32(&mut b, 32, self.max_cmd_sn);
        put32(&mut b, 36, self.data_sn_or_r2t_sn);
        put_arr(&mut b, 40, &self.reserved40);
        b
    }

    fn data(&self) -> &Bytes {
        &self.data
    }

    fn dump_fields(&self, d: &mut Dump) {
        d.flag("F (final)", self.final_bit, "always 1");
        d.reserved("byte 1 reserved bits", &[self.reserved_flags]);
        d.field(
            "Reason",
            format_args!("{:#04x}", self.reason.raw()),
            self.reason.name(),
        );
        d.reserved("byte 3", &[self.reserved3]);
        d.reserved("bytes 8-15", &self.reserved8);
        d.u32("ITT", self.itt);
        d.reserved("bytes 20-23", &self.reserved20);
        d.u32("StatSN", self.stat_sn);
        d.u32("ExpCmdSN", self.exp_cmd_sn);
        d.u32("MaxCmdSN", self.max_cmd_sn);
        d.u32("DataSN/R2TSN", self.data_sn_or_r2t_sn);
        d.reserved("bytes 40-47", &self.reserved40);
        if let Some(h) = self.rejected_header() {
            let op = Opcode::from_byte0(h[0]);
            d.field(
                "rejected opcode",
                format_args!("{:#04x}", op.raw()),
                op.name(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
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
