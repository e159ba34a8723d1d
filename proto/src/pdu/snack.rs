//! SNACK Request (RFC 7143 §11.16).

use bytes::Bytes;

use super::bhs::{Lun, F_BIT, TTT_RESERVED};
use super::codes::code_enum;
use super::layout::pdu;

code_enum! {
    /// The Type field of a SNACK Request (RFC 7143 §11.16.1), the low 4
    /// bits of byte 1.
    pub enum SnackType: u8 {
        DataR2t = 0 => "Data/R2T SNACK",
        Status = 1 => "Status SNACK",
        DataAck = 2 => "DataACK",
        RData = 3 => "R-Data SNACK",
    }
}

const TYPE_MASK: u8 = 0x0f;
const RESERVED: u8 = 0x70;

pdu! {
    /// SNACK Request (opcode 0x10, RFC 7143 §11.16).
    pub struct SnackRequest {
        /// Reserved bits 7-6 of byte 0 (SNACK has no I bit), in place.
        pub reserved0: u8 => reserved0,
        /// Bit 7 of byte 1; always 1.
        pub final_bit: bool = true => flag(F_BIT, "byte 1 bit 7", "always 1"),
        /// Reserved bits 6-4 of byte 1, in place.
        pub reserved_flags: u8 => rbits(RESERVED),
        /// Type (§11.16.1).
        pub snack_type: SnackType = SnackType::DataR2t => code_bits(TYPE_MASK, 0, "Type"),
        /// Bytes 2-3, reserved.
        pub reserved2: [u8; 2] => reserved(2),
        /// LUN: for DataACK, the LUN of the acknowledged Data-In; else reserved.
        pub lun: Lun => lun,
        /// Initiator Task Tag of the task, or 0xffffffff for Status SNACK.
        pub itt: u32 => itt,
        /// Target Transfer Tag (DataACK) or SNACK Tag (R-Data) (§11.16.2-3),
        /// else 0xffffffff.
        pub ttt: u32 = TTT_RESERVED => u32(20, "TTT/SNACK Tag"),
        /// Bytes 24-27, reserved.
        pub reserved24: [u8; 4] => reserved(24),
        /// ExpStatSN.
        pub exp_stat_sn: u32 => exp_stat_sn,
        /// Bytes 32-39, reserved.
        pub reserved32: [u8; 8] => reserved(32),
        /// BegRun (§11.16.4).
        pub beg_run: u32 => u32(40, "BegRun"),
        /// RunLength (§11.16.5): 0 means all from BegRun on.
        pub run_length: u32 => u32(44, "RunLength"),
        /// Data segment; RFC 7143 §11.16 defines none.
        pub data: Bytes => data,
    }
}

#[cfg(test)]
mod tests {
    use super::super::bhs::be32;
    use super::super::pdu_enum::Codec;
    use super::*;

    #[test]
    fn layout() {
        let s = SnackRequest {
            snack_type: SnackType::RData,
            beg_run: 4,
            run_length: 2,
            ..SnackRequest::default()
        };
        let b = s.to_bhs();
        assert_eq!(&b[..2], &[0x10, 0x83]);
        assert_eq!((be32(&b, 40), be32(&b, 44)), (4, 2));
        assert_eq!(SnackRequest::from_bhs(&b, Bytes::new()), s);
    }
}
