//! SNACK Request (RFC 7143 §11.16).

use bytes::Bytes;

use super::bhs::{self, arr, be32, put32, put_arr, Bhs, Lun, F_BIT, TTT_RESERVED};
use super::codes::code_enum;
use super::dump::Dump;
use super::opcode::Opcode;
use super::pdu_enum::Codec;

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

/// SNACK Request (opcode 0x10, RFC 7143 §11.16).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnackRequest {
    /// Reserved bits 7-6 of byte 0 (SNACK has no I bit), in place.
    pub reserved0: u8,
    /// Bit 7 of byte 1; always 1.
    pub final_bit: bool,
    /// Reserved bits 6-4 of byte 1, in place.
    pub reserved_flags: u8,
    /// Type (§11.16.1).
    pub snack_type: SnackType,
    /// Bytes 2-3, reserved.
    pub reserved2: [u8; 2],
    /// LUN: for DataACK, the LUN of the acknowledged Data-In; else reserved.
    pub lun: Lun,
    /// Initiator Task Tag of the task, or 0xffffffff for Status SNACK.
    pub itt: u32,
    /// Target Transfer Tag (DataACK) or SNACK Tag (R-Data) (§11.16.2-3),
    /// else 0xffffffff.
    pub ttt: u32,
    /// Bytes 24-27, reserved.
    pub reserved24: [u8; 4],
    /// ExpStatSN.
    pub exp_stat_sn: u32,
    /// Bytes 32-39, reserved.
    pub reserved32: [u8; 8],
    /// BegRun (§11.16.4).
    pub beg_run: u32,
    /// RunLength (§11.16.5): 0 means all from BegRun on.
    pub run_length: u32,
    /// Data segment; RFC 7143 §11.16 defines none.
    pub data: Bytes,
}

impl Default for SnackRequest {
    fn default() -> Self {
        SnackRequest {
            reserved0: 0,
            final_bit: true,
            reserved_flags: 0,
            snack_type: SnackType::DataR2t,
            reserved2: [0; 2],
            lun: Lun::ZERO,
            itt: 0,
            ttt: TTT_RESERVED,
            reserved24: [0; 4],
            exp_stat_sn: 0,
            reserved32: [0; 8],
            beg_run: 0,
            run_length: 0,
            data: Bytes::new(),
        }
    }
}

impl Codec for SnackRequest {
    const OPCODE: Opcode = Opcode::SnackRequest;

    fn from_bhs(b: &Bhs, data: Bytes) -> Self {
        SnackRequest {
            reserved0: bhs::reserved0(b),
            final_bit: b[1] & F_BIT != 0,
            reserved_flags: b[1] & RESERVED,
            snack_type: SnackType::from_raw(b[1] & TYPE_MASK),
            reserved2: arr(b, 2),
            lun: Lun(arr(b, 8)),
            itt: be32(b, 16),
            ttt: be32(b, 20),
            reserved24: arr(b, 24),
            exp_stat_sn: be32(b, 28),
            reserved32: arr(b, 32),
            beg_run: be32(b, 40),
            run_length: be32(b, 44),
            data,
        }
    }

    fn to_bhs(&self) -> Bhs {
        let mut b = bhs::start(Self::OPCODE, false, self.reserved0);
        b[1] = if self.final_bit { F_BIT } else { 0 }
            | (self.reserved_flags & RESERVED)
            | (self.snack_type.raw() & TYPE_MASK);
        put_arr(&mut b, 2, &self.reserved2);
        put_arr(&mut b, 8, &self.lun.0);
        put32(&mut b, 16, self.itt);
        put32(&mut b, 20, self.ttt);
        put_arr(&mut b, 24, &self.reserved24);
        put32(&mut b, 28, self.exp_stat_sn);
        put_arr(&mut b, 32, &self.reserved32);
        put32(&mut b, 40, self.beg_run);
        put32(&mut b, 44, self.run_length);
        b
    }

    fn data(&self) -> &Bytes {
        &self.data
    }

    fn dump_fields(&self, d: &mut Dump) {
        d.flag("byte 1 bit 7", self.final_bit, "always 1");
        d.reserved("byte 1 reserved bits", &[self.reserved_flags]);
        d.field("Type", self.snack_type.raw(), self.snack_type.name());
        d.reserved("bytes 2-3", &self.reserved2);
        d.field("LUN", self.lun, "");
        d.u32("ITT", self.itt);
        d.u32("TTT/SNACK Tag", self.ttt);
        d.reserved("bytes 24-27", &self.reserved24);
        d.u32("ExpStatSN", self.exp_stat_sn);
        d.reserved("bytes 32-39", &self.reserved32);
        d.u32("BegRun", self.beg_run);
        d.u32("RunLength", self.run_length);
    }
}

#[cfg(test)]
mod tests {
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
