//! SCSI Data-Out and Data-In (RFC 7143 §11.7) and Ready To Transfer (R2T,
//! RFC 7143 §11.8).

use bytes::Bytes;

use super::bhs::{Lun, F_BIT, TTT_RESERVED};
use super::layout::pdu;
use super::scsi::ScsiStatus;

pdu! {
    /// SCSI Data-Out (opcode 0x05, RFC 7143 §11.7).
    pub struct DataOut {
        /// Reserved bits 7-6 of byte 0 (Data-Out has no I bit), in place.
        pub reserved0: u8 => reserved0,
        /// F bit (§11.7.1): last PDU of the sequence.
        pub final_bit: bool = true => flag(F_BIT, "F (final)", "last PDU of the sequence"),
        /// Reserved bits 6-0 of byte 1.
        pub reserved_flags: u8 => rbits(!F_BIT),
        /// Bytes 2-3, reserved.
        pub reserved2: [u8; 2] => reserved(2),
        /// LUN: copied from the R2T when answering one, else reserved (§11.7.4).
        pub lun: Lun => lun,
        /// Initiator Task Tag.
        pub itt: u32 => itt,
        /// Target Transfer Tag (§11.7.5): from the R2T, or 0xffffffff for
        /// unsolicited data.
        pub ttt: u32 = TTT_RESERVED => ttt,
        /// Bytes 24-27, reserved.
        pub reserved24: [u8; 4] => reserved(24),
        /// ExpStatSN.
        pub exp_stat_sn: u32 => exp_stat_sn,
        /// Bytes 32-35, reserved.
        pub reserved32: [u8; 4] => reserved(32),
        /// DataSN (§11.7.6).
        pub data_sn: u32 => u32(36, "DataSN"),
        /// Buffer Offset (§11.7.7).
        pub buffer_offset: u32 => u32(40, "BufferOffset"),
        /// Bytes 44-47, reserved.
        pub reserved44: [u8; 4] => reserved(44),
        /// The data.
        pub data: Bytes => data,
    }
}

const A_BIT: u8 = 0x40;
const IN_RESERVED: u8 = 0x38;
const O_BIT: u8 = 0x04;
const U_BIT: u8 = 0x02;
const S_BIT: u8 = 0x01;

pdu! {
    /// SCSI Data-In (opcode 0x25, RFC 7143 §11.7).
    pub struct DataIn {
        /// Reserved bits 7-6 of byte 0, in place.
        pub reserved0: u8 => reserved0,
        /// F bit (§11.7.1): last PDU of the sequence.
        pub final_bit: bool = true => flag(F_BIT, "F (final)", "last PDU of the sequence"),
        /// A bit (§11.7.2): the target asks for a DataACK SNACK (ERL > 0).
        pub acknowledge: bool => flag(A_BIT, "A (acknowledge)", "DataACK SNACK requested"),
        /// Reserved bits 5-3 of byte 1, in place.
        pub reserved_flags: u8 => rbits(IN_RESERVED),
        /// O bit: residual overflow (valid with S).
        pub overflow: bool => flag(O_BIT, "O (overflow)", "residual overflow"),
        /// U bit: residual underflow (valid with S).
        pub underflow: bool => flag(U_BIT, "U (underflow)", "residual underflow"),
        /// S bit (§11.7.3): status is carried in this PDU.
        pub status_present: bool => flag(S_BIT, "S (status)", "status carried in this PDU"),
        /// Byte 2, reserved.
        pub reserved2: u8 => reserved(2),
        /// Status (valid with S).
        pub status: ScsiStatus = ScsiStatus::Good => code_hex(3, "Status"),
        /// LUN: set with the A bit, else reserved (§11.7.4).
        pub lun: Lun => lun,
        /// Initiator Task Tag.
        pub itt: u32 => itt,
        /// Target Transfer Tag: set with the A bit, else 0xffffffff (§11.7.5).
        pub ttt: u32 = TTT_RESERVED => ttt,
        /// StatSN (valid with S).
        pub stat_sn: u32 => stat_sn,
        /// ExpCmdSN.
        pub exp_cmd_sn: u32 => exp_cmd_sn,
        /// MaxCmdSN.
        pub max_cmd_sn: u32 => max_cmd_sn,
        /// DataSN (§11.7.6).
        pub data_sn: u32 => u32(36, "DataSN"),
        /// Buffer Offset (§11.7.7).
        pub buffer_offset: u32 => u32(40, "BufferOffset"),
        /// Residual Count (§11.7.8, valid with S).
        pub residual_count: u32 => u32(44, "ResidualCount"),
        /// The data.
        pub data: Bytes => data,
    }
}

pdu! {
    /// Ready To Transfer (opcode 0x31, RFC 7143 §11.8).
    pub struct ReadyToTransfer {
        /// Reserved bits 7-6 of byte 0, in place.
        pub reserved0: u8 => reserved0,
        ..final_always,
        /// Bytes 2-3, reserved.
        pub reserved2: [u8; 2] => reserved(2),
        /// LUN.
        pub lun: Lun => lun,
        /// Initiator Task Tag.
        pub itt: u32 => itt,
        /// Target Transfer Tag (§11.8.4).
        pub ttt: u32 => ttt,
        /// StatSN (§11.8.2: the next StatSN, not advanced).
        pub stat_sn: u32 => stat_sn,
        /// ExpCmdSN.
        pub exp_cmd_sn: u32 => exp_cmd_sn,
        /// MaxCmdSN.
        pub max_cmd_sn: u32 => max_cmd_sn,
        /// R2TSN (§11.8.1).
        pub r2t_sn: u32 => u32(36, "R2TSN"),
        /// Buffer Offset (§11.8.3).
        pub buffer_offset: u32 => u32(40, "BufferOffset"),
        /// Desired Data Transfer Length (§11.8.3).
        pub desired_data_transfer_length: u32 => u32(44, "DesiredDataTransferLength"),
        /// Data segment; RFC 7143 §11.8 defines none.
        pub data: Bytes => data,
    }
}

#[cfg(test)]
mod tests {
    use super::super::bhs::be32;
    use super::super::pdu_enum::Codec;
    use super::*;

    #[test]
    fn data_in_flags() {
        let din = DataIn {
            status_present: true,
            underflow: true,
            status: ScsiStatus::Good,
            residual_count: 512,
            ..DataIn::default()
        };
        let b = din.to_bhs();
        assert_eq!(&b[..4], &[0x25, 0x83, 0, 0]);
        assert_eq!(be32(&b, 44), 512);
        assert_eq!(DataIn::from_bhs(&b, Bytes::new()), din);
    }

    #[test]
    fn data_out_and_r2t_layout() {
        let out = DataOut {
            data_sn: 3,
            buffer_offset: 8192,
            ..DataOut::default()
        };
        let b = out.to_bhs();
        assert_eq!(&b[..2], &[0x05, 0x80]);
        assert_eq!((be32(&b, 36), be32(&b, 40)), (3, 8192));
        let r2t = ReadyToTransfer {
            r2t_sn: 1,
            desired_data_transfer_length: 65536,
            ..ReadyToTransfer::default()
        };
        let b = r2t.to_bhs();
        assert_eq!(&b[..2], &[0x31, 0x80]);
        assert_eq!(be32(&b, 44), 65536);
    }
}
