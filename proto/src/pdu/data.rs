//! SCSI Data-Out and Data-In (RFC 7143 §11.7) and Ready To Transfer (R2T,
//! RFC 7143 §11.8).

use bytes::Bytes;

use super::bhs::{self, arr, be32, put32, put_arr, Bhs, Lun, F_BIT, TTT_RESERVED};
use super::dump::Dump;
use super::opcode::Opcode;
use super::pdu_enum::Codec;
use super::scsi::ScsiStatus;

/// SCSI Data-Out (opcode 0x05, RFC 7143 §11.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataOut {
    /// Reserved bits 7-6 of byte 0 (Data-Out has no I bit), in place.
    pub reserved0: u8,
    /// F bit (§11.7.1): last PDU of the sequence.
    pub final_bit: bool,
    /// Reserved bits 6-0 of byte 1.
    pub reserved_flags: u8,
    /// Bytes 2-3, reserved.
    pub reserved2: [u8; 2],
    /// LUN: copied from the R2T when answering one, else reserved (§11.7.4).
    pub lun: Lun,
    /// Initiator Task Tag.
    pub itt: u32,
    /// Target Transfer Tag (§11.7.5): from the R2T, or 0xffffffff for
    /// unsolicited data.
    pub ttt: u32,
    /// Bytes 24-27, reserved.
    pub reserved24: [u8; 4],
    /// ExpStatSN.
    pub exp_stat_sn: u32,
    /// Bytes 32-35, reserved.
    pub reserved32: [u8; 4],
    /// DataSN (§11.7.6).
    pub data_sn: u32,
    /// Buffer Offset (§11.7.7).
    pub buffer_offset: u32,
    /// Bytes 44-47, reserved.
    pub reserved44: [u8; 4],
    /// The data.
    pub data: Bytes,
}

impl Default for DataOut {
    fn default() -> Self {
        DataOut {
            reserved0: 0,
            final_bit: true,
            reserved_flags: 0,
            reserved2: [0; 2],
            lun: Lun::ZERO,
            itt: 0,
            ttt: TTT_RESERVED,
            reserved24: [0; 4],
            exp_stat_sn: 0,
            reserved32: [0; 4],
            data_sn: 0,
            buffer_offset: 0,
            reserved44: [0; 4],
            data: Bytes::new(),
        }
    }
}

impl Codec for DataOut {
    const OPCODE: Opcode = Opcode::DataOut;

    fn from_bhs(b: &Bhs, data: Bytes) -> Self {
        DataOut {
            reserved0: bhs::reserved0(b),
            final_bit: b[1] & F_BIT != 0,
            reserved_flags: b[1] & !F_BIT,
            reserved2: arr(b, 2),
            lun: Lun(arr(b, 8)),
            itt: be32(b, 16),
            ttt: be32(b, 20),
            reserved24: arr(b, 24),
            exp_stat_sn: be32(b, 28),
            reserved32: arr(b, 32),
            data_sn: be32(b, 36),
            buffer_offset: be32(b, 40),
            reserved44: arr(b, 44),
            data,
        }
    }

    fn to_bhs(&self) -> Bhs {
        let mut b = bhs::start(Self::OPCODE, false, self.reserved0);
        b[1] = if self.final_bit { F_BIT } else { 0 } | (self.reserved_flags & !F_BIT);
        put_arr(&mut b, 2, &self.reserved2);
        put_arr(&mut b, 8, &self.lun.0);
        put32(&mut b, 16, self.itt);
        put32(&mut b, 20, self.ttt);
        put_arr(&mut b, 24, &self.reserved24);
        put32(&mut b, 28, self.exp_stat_sn);
        put_arr(&mut b, 32, &self.reserved32);
        put32(&mut b, 36, self.data_sn);
        put32(&mut b, 40, self.buffer_offset);
        put_arr(&mut b, 44, &self.reserved44);
        b
    }

    fn data(&self) -> &Bytes {
        &self.data
    }

    fn dump_fields(&self, d: &mut Dump) {
        d.flag("F (final)", self.final_bit, "last PDU of the sequence");
        d.reserved("byte 1 reserved bits", &[self.reserved_flags]);
        d.reserved("bytes 2-3", &self.reserved2);
        d.field("LUN", self.lun, "");
        d.u32("ITT", self.itt);
        d.u32("TTT", self.ttt);
        d.reserved("bytes 24-27", &self.reserved24);
        d.u32("ExpStatSN", self.exp_stat_sn);
        d.reserved("bytes 32-35", &self.reserved32);
        d.u32("DataSN", self.data_sn);
        d.u32("BufferOffset", self.buffer_offset);
        d.reserved("bytes 44-47", &self.reserved44);
    }
}

const A_BIT: u8 = 0x40;
const IN_RESERVED: u8 = 0x38;
const O_BIT: u8 = 0x04;
const U_BIT: u8 = 0x02;
const S_BIT: u8 = 0x01;

/// SCSI Data-In (opcode 0x25, RFC 7143 §11.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataIn {
    /// Reserved bits 7-6 of byte 0, in place.
    pub reserved0: u8,
    /// F bit (§11.7.1): last PDU of the sequence.
    pub final_bit: bool,
    /// A bit (§11.7.2): the target asks for a DataACK SNACK (ERL > 0).
    pub acknowledge: bool,
    /// Reserved bits 5-3 of byte 1, in place.
    pub reserved_flags: u8,
    /// O bit: residual overflow (valid with S).
    pub overflow: bool,
    /// U bit: residual underflow (valid with S).
    pub underflow: bool,
    /// S bit (§11.7.3): status is carried in this PDU.
    pub status_present: bool,
    /// Byte 2, reserved.
    pub reserved2: u8,
    /// Status (valid with S).
    pub status: ScsiStatus,
    /// LUN: set with the A bit, else reserved (§11.7.4).
    pub lun: Lun,
    /// Initiator Task Tag.
    pub itt: u32,
    /// Target Transfer Tag: set with the A bit, else 0xffffffff (§11.7.5).
    pub ttt: u32,
    /// StatSN (valid with S).
    pub stat_sn: u32,
    /// ExpCmdSN.
    pub exp_cmd_sn: u32,
    /// MaxCmdSN.
    pub max_cmd_sn: u32,
    /// DataSN (§11.7.6).
    pub data_sn: u32,
    /// Buffer Offset (§11.7.7).
    pub buffer_offset: u32,
    /// Residual Count (§11.7.8, valid with S).
    pub residual_count: u32,
    /// The data.
    pub data: Bytes,
}

impl Default for DataIn {
    fn default() -> Self {
        DataIn {
            reserved0: 0,
            final_bit: true,
            acknowledge: false,
            reserved_flags: 0,
            overflow: false,
            underflow: false,
            status_present: false,
            reserved2: 0,
            status: ScsiStatus::Good,
            lun: Lun::ZERO,
            itt: 0,
            ttt: TTT_RESERVED,
            stat_sn: 0,
            exp_cmd_sn: 0,
            max_cmd_sn: 0,
            data_sn: 0,
            buffer_offset: 0,
            residual_count: 0,
            data: Bytes::new(),
        }
    }
}

impl Codec for DataIn {
    const OPCODE: Opcode = Opcode::DataIn;

    fn from_bhs(b: &Bhs, data: Bytes) -> Self {
        DataIn {
            reserved0: bhs::reserved0(b),
            final_bit: b[1] & F_BIT != 0,
            acknowledge: b[1] & A_BIT != 0,
            reserved_flags: b[1] & IN_RESERVED,
            overflow: b[1] & O_BIT != 0,
            underflow: b[1] & U_BIT != 0,
            status_present: b[1] & S_BIT != 0,
            reserved2: b[2],
            status: ScsiStatus::from_raw(b[3]),
            lun: Lun(arr(b, 8)),
            itt: be32(b, 16),
            ttt: be32(b, 20),
            stat_sn: be32(b, 24),
            exp_cmd_sn: be32(b, 28),
            max_cmd_sn: be32(b, 32),
            data_sn: be32(b, 36),
            buffer_offset: be32(b, 40),
            residual_count: be32(b, 44),
            data,
        }
    }

    fn to_bhs(&self) -> Bhs {
        let mut b = bhs::start(Self::OPCODE, false, self.reserved0);
        b[1] = if self.final_bit { F_BIT } else { 0 }
            | if self.acknowledge { A_BIT } else { 0 }
            | (self.reserved_flags & IN_RESERVED)
            | if self.overflow { O_BIT } else { 0 }
            | if self.underflow { U_BIT } else { 0 }
            | if self.status_present { S_BIT } else { 0 };
        b[2] = self.reserved2;
        b[3] = self.status.raw();
        put_arr(&mut b, 8, &self.lun.0);
        put32(&mut b, 16, self.itt);
        put32(&mut b, 20, self.ttt);
        put32(&mut b, 24, self.stat_sn);
        put32(&mut b, 28, self.exp_cmd_sn);
        put32(&mut b, 32, self.max_cmd_sn);
        put32(&mut b, 36, self.data_sn);
        put32(&mut b, 40, self.buffer_offset);
        put32(&mut b, 44, self.residual_count);
        b
    }

    fn data(&self) -> &Bytes {
        &self.data
    }

    fn dump_fields(&self, d: &mut Dump) {
        d.flag("F (final)", self.final_bit, "last PDU of the sequence");
        d.flag(
            "A (acknowledge)",
            self.acknowledge,
            "DataACK SNACK requested",
        );
        d.reserved("byte 1 reserved bits", &[self.reserved_flags]);
        d.flag("O (overflow)", self.overflow, "residual overflow");
        d.flag("U (underflow)", self.underflow, "residual underflow");
        d.flag(
            "S (status)",
            self.status_present,
            "status carried in this PDU",
        );
        d.reserved("byte 2", &[self.reserved2]);
        d.field(
            "Status",
            format_args!("{:#04x}", self.status.raw()),
            self.status.name(),
        );
        d.field("LUN", self.lun, "");
        d.u32("ITT", self.itt);
        d.u32("TTT", self.ttt);
        d.u32("StatSN", self.stat_sn);
        d.u32("ExpCmdSN", self.exp_cmd_sn);
        d.u32("MaxCmdSN", self.max_cmd_sn);
        d.u32("DataSN", self.data_sn);
        d.u32("BufferOffset", self.buffer_offset);
        d.u32("ResidualCount", self.residual_count);
    }
}

/// Ready To Transfer (opcode 0x31, RFC 7143 §11.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadyToTransfer {
    /// Reserved bits 7-6 of byte 0, in place.
    pub reserved0: u8,
    /// F bit; always 1.
    pub final_bit: bool,
    /// Reserved bits 6-0 of byte 1.
    pub reserved_flags: u8,
    /// Bytes 2-3, reserved.
    pub reserved2: [u8; 2],
    /// LUN.
    pub lun: Lun,
    /// Initiator Task Tag.
    pub itt: u32,
    /// Target Transfer Tag (§11.8.4).
    pub ttt: u32,
    /// StatSN (§11.8.2: the next StatSN, not advanced).
    pub stat_sn: u32,
    /// ExpCmdSN.
    pub exp_cmd_sn: u32,
    /// MaxCmdSN.
    pub max_cmd_sn: u32,
    /// R2TSN (§11.8.1).
    pub r2t_sn: u32,
    /// Buffer Offset (§11.8.3).
    pub buffer_offset: u32,
    /// Desired Data Transfer Length (§11.8.3).
    pub desired_data_transfer_length: u32,
    /// Data segment; RFC 7143 §11.8 defines none.
    pub data: Bytes,
}

impl Default for ReadyToTransfer {
    fn default() -> Self {
        ReadyToTransfer {
            reserved0: 0,
            final_bit: true,
            reserved_flags: 0,
            reserved2: [0; 2],
            lun: Lun::ZERO,
            itt: 0,
            ttt: 0,
            stat_sn: 0,
            exp_cmd_sn: 0,
            max_cmd_sn: 0,
            r2t_sn: 0,
            buffer_offset: 0,
            desired_data_transfer_length: 0,
            data: Bytes::new(),
        }
    }
}

impl Codec for ReadyToTransfer {
    const OPCODE: Opcode = Opcode::ReadyToTransfer;

    fn from_bhs(b: &Bhs, data: Bytes) -> Self {
        ReadyToTransfer {
            reserved0: bhs::reserved0(b),
            final_bit: b[1] & F_BIT != 0,
            reserved_flags: b[1] & !F_BIT,
            reserved2: arr(b, 2),
            lun: Lun(arr(b, 8)),
            itt: be32(b, 16),
            ttt: be32(b, 20),
            stat_sn: be32(b, 24),
            exp_cmd_sn: be32(b, 28),
            max_cmd_sn: be32(b, 32),
            r2t_sn: be32(b, 36),
            buffer_offset: be32(b, 40),
            desired_data_transfer_length: be32(b, 44),
            data,
        }
    }

    fn to_bhs(&self) -> Bhs {
        let mut b = bhs::start(Self::OPCODE, false, self.reserved0);
        b[1] = if self.final_bit { F_BIT } else { 0 } | (self.reserved_flags & !F_BIT);
        put_arr(&mut b, 2, &self.reserved2);
        put_arr(&mut b, 8, &self.lun.0);
        put32(&mut b, 16, self.itt);
        put32(&mut b, 20, self.ttt);
        put32(&mut b, 24, self.stat_sn);
        put32(&mut b, 28, self.exp_cmd_sn);
        put32(&mut b, 32, self.max_cmd_sn);
        put32(&mut b, 36, self.r2t_sn);
        put32(&mut b, 40, self.buffer_offset);
        put32(&mut b, 44, self.desired_data_transfer_length);
        b
    }

    fn data(&self) -> &Bytes {
        &self.data
    }

    fn dump_fields(&self, d: &mut Dump) {
        d.flag("F (final)", self.final_bit, "always 1");
        d.reserved("byte 1 reserved bits", &[self.reserved_flags]);
        d.reserved("bytes 2-3", &self.reserved2);
        d.field("LUN", self.lun, "");
        d.u32("ITT", self.itt);
        d.u32("TTT", self.ttt);
        d.u32("StatSN", self.stat_sn);
        d.u32("ExpCmdSN", self.exp_cmd_sn);
        d.u32("MaxCmdSN", self.max_cmd_sn);
        d.u32("R2TSN", self.r2t_sn);
        d.u32("BufferOffset", self.buffer_offset);
        d.u32(
            "DesiredDataTransferLength",
            self.desired_data_transfer_length,
        );
    }
}

#[cfg(test)]
mod tests {
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
