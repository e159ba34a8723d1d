//! NOP-Out (RFC 7143 §11.18) and NOP-In (RFC 7143 §11.19).

use bytes::Bytes;

use super::bhs::{self, arr, be32, put32, put_arr, Bhs, Lun, F_BIT, ITT_RESERVED, TTT_RESERVED};
use super::dump::Dump;
use super::opcode::Opcode;
use super::pdu_enum::Codec;

/// NOP-Out (opcode 0x00, RFC 7143 §11.18): a ping from the initiator, or
/// the answer to a target's NOP-In.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NopOut {
    /// I bit: immediate delivery.
    pub immediate: bool,
    /// Reserved bit 7 of byte 0, in place.
    pub reserved0: u8,
    /// F bit; RFC 7143 §11.18: always 1.
    pub final_bit: bool,
    /// Reserved bits 6-0 of byte 1.
    pub reserved_flags: u8,
    /// Bytes 2-3, reserved.
    pub reserved2: [u8; 2],
    /// LUN (§11.18.2: meaningful when answering a NOP-In with a valid TTT).
    pub lun: Lun,
    /// Initiator Task Tag; 0xffffffff when no NOP-In answer is wanted
    /// (§11.18.1).
    pub itt: u32,
    /// Target Transfer Tag: copied from the NOP-In being answered, else
    /// 0xffffffff (§11.18.2).
    pub ttt: u32,
    /// CmdSN.
    pub cmd_sn: u32,
    /// ExpStatSN.
    pub exp_stat_sn: u32,
    /// Bytes 32-47, reserved.
    pub reserved32: [u8; 16],
    /// Ping data (§11.18.3), echoed by the target.
    pub data: Bytes,
}

impl Default for NopOut {
    fn default() -> Self {
        NopOut {
            immediate: false,
            reserved0: 0,
            final_bit: true,
            reserved_flags: 0,
            reserved2: [0; 2],
            lun: Lun::ZERO,
            itt: ITT_RESERVED,
            ttt: TTT_RESERVED,
            cmd_sn: 0,
            exp_stat_sn: 0,
            reserved32: [0; 16],
            data: Bytes::new(),
        }
    }
}

impl Codec for NopOut {
    const OPCODE: Opcode = Opcode::NopOut;

    fn from_bhs(b: &Bhs, data: Bytes) -> Self {
        NopOut {
            immediate: bhs::immediate(b),
            reserved0: bhs::reserved0(b),
            final_bit: b[1] & F_BIT != 0,
            reserved_flags: b[1] & !F_BIT,
            reserved2: arr(b, 2),
            lun: Lun(arr(b, 8)),
            itt: be32(b, 16),
            ttt: be32(b, 20),
            cmd_sn: be32(b, 24),
            exp_stat_sn: be32(b, 28),
            reserved32: arr(b, 32),
            data,
        }
    }

    fn to_bhs(&self) -> Bhs {
        let mut b = bhs::start(Self::OPCODE, self.immediate, self.reserved0);
        b[1] = if self.final_bit { F_BIT } else { 0 } | (self.reserved_flags & !F_BIT);
        put_arr(&mut b, 2, &self.reserved2);
        put_arr(&mut b, 8, &self.lun.0);
        put32(&mut b, 16, self.itt);
        put32(&mut b, 20, self.ttt);
        put32(&mut b, 24, self.cmd_sn);
        put32(&mut b, 28, self.exp_stat_sn);
        put_arr(&mut b, 32, &self.reserved32);
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
        d.u32("CmdSN", self.cmd_sn);
        d.u32("ExpStatSN", self.exp_stat_sn);
        d.reserved("bytes 32-47", &self.reserved32);
    }
}

/// NOP-In (opcode 0x20, RFC 7143 §11.19): the target's answer to a
/// NOP-Out, or its own ping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NopIn {
    /// Reserved bits 7-6 of byte 0, in place.
    pub reserved0: u8,
    /// F bit; always 1.
    pub final_bit: bool,
    /// Reserved bits 6-0 of byte 1.
    pub reserved_flags: u8,
    /// Bytes 2-3, reserved.
    pub reserved2: [u8; 2],
    /// LUN (§11.19.2: meaningful with a valid TTT).
    pub lun: Lun,
    /// Initiator Task Tag: the NOP-Out's ITT, or 0xffffffff for a ping from
    /// the target (§11.19.1).
    pub itt: u32,
    /// Target Transfer Tag: 0xffffffff unless the target wants a NOP-Out
    /// back (§11.19.2).
    pub ttt: u32,
    /// StatSN.
    pub stat_sn: u32,
    /// ExpCmdSN.
    pub exp_cmd_sn: u32,
    /// MaxCmdSN.
    pub max_cmd_sn: u32,
    /// Bytes 36-47, reserved.
    pub reserved36: [u8; 12],
    /// Ping data, echoed from the NOP-Out (§11.19.3).
    pub data: Bytes,
}

impl Default for NopIn {
    fn default() -> Self {
        NopIn {
            reserved0: 0,
            final_bit: true,
            reserved_flags: 0,
            reserved2: [0; 2],
            lun: Lun::ZERO,
            itt: ITT_RESERVED,
            ttt: TTT_RESERVED,
            stat_sn: 0,
            exp_cmd_sn: 0,
            max_cmd_sn: 0,
            reserved36: [0; 12],
            data: Bytes::new(),
        }
    }
}

impl Codec for NopIn {
    const OPCODE: Opcode = Opcode::NopIn;

    fn from_bhs(b: &Bhs, data: Bytes) -> Self {
        NopIn {
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
            reserved36: arr(b, 36),
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
        put_arr(&mut b, 36, &self.reserved36);
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
        d.reserved("bytes 36-47", &self.reserved36);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Digests, Pdu, RawPdu};
    use super::*;

    #[test]
    fn nop_out_ping_bytes() {
        let ping = NopOut {
            immediate: true,
            itt: 0x10,
            cmd_sn: 5,
            exp_stat_sn: 9,
            data: Bytes::from_static(b"ping"),
            ..NopOut::default()
        };
        let wire = Pdu::from(ping.clone()).encode(Digests::NONE);
        assert_eq!(&wire[..8], &[0x40, 0x80, 0, 0, 0, 0, 0, 4]);
        assert_eq!(&wire[16..24], &[0, 0, 0, 0x10, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(&wire[48..], b"ping");
        let (raw, _) = RawPdu::parse(&Bytes::from(wire), Digests::NONE).unwrap();
        assert_eq!(Pdu::decode(&raw), Ok(Pdu::NopOut(ping)));
    }

    #[test]
    fn nop_in_defaults() {
        let nop = NopIn::default();
        let b = nop.to_bhs();
        assert_eq!(b[0], 0x20);
        assert_eq!(b[1], 0x80);
        assert_eq!(be32(&b, 16), ITT_RESERVED);
        assert_eq!(NopIn::from_bhs(&b, Bytes::new()), nop);
    }
}
