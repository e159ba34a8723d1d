//! Text Request (RFC 7143 §11.10) and Text Response (RFC 7143 §11.11).

use bytes::Bytes;

use super::bhs::{self, arr, be32, put32, put_arr, Bhs, Lun, F_BIT, TTT_RESERVED};
use super::dump::Dump;
use super::opcode::Opcode;
use super::pdu_enum::Codec;

const C_BIT: u8 = 0x40;
const RESERVED: u8 = 0x3f;

/// Text Request (opcode 0x04, RFC 7143 §11.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextRequest {
    /// I bit: immediate delivery.
    pub immediate: bool,
    /// Reserved bit 7 of byte 0, in place.
    pub reserved0: u8,
    /// F bit (§11.10.1): the last request of the exchange.
    pub final_bit: bool,
    /// C bit (§11.10.2): the text continues in the next PDU.
    pub continue_bit: bool,
    /// Reserved bits 5-0 of byte 1.
    pub reserved_flags: u8,
    /// Bytes 2-3, reserved.
    pub reserved2: [u8; 2],
    /// LUN (reserved for text, kept as sent).
    pub lun: Lun,
    /// Initiator Task Tag.
    pub itt: u32,
    /// Target Transfer Tag (§11.10.4): 0xffffffff to start, else the value
    /// from the last Text Response.
    pub ttt: u32,
    /// CmdSN.
    pub cmd_sn: u32,
    /// ExpStatSN.
    pub exp_stat_sn: u32,
    /// Bytes 32-47, reserved.
    pub reserved32: [u8; 16],
    /// Text key=value pairs, NUL-separated.
    pub data: Bytes,
}

impl Default for TextRequest {
    fn default() -> Self {
        TextRequest {
            immediate: false,
            reserved0: 0,
            final_bit: true,
            continue_bit: false,
            reserved_flags: 0,
            reserved2: [0; 2],
            lun: Lun::ZERO,
            itt: 0,
            ttt: TTT_RESERVED,
            cmd_sn: 0,
            exp_stat_sn: 0,
            reserved32: [0; 16],
            data: Bytes::new(),
        }
    }
}

impl Codec for TextRequest {
    const OPCODE: Opcode = Opcode::TextRequest;

    fn from_bhs(b: &Bhs, data: Bytes) -> Self {
        TextRequest {
            immediate: bhs::immediate(b),
            reserved0: bhs::reserved0(b),
            final_bit: b[1] & F_BIT != 0,
            continue_bit: b[1] & C_BIT != 0,
            reserved_flags: b[1] & RESERVED,
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
        b[1] = if self.final_bit { F_BIT } else { 0 }
            | if self.continue_bit { C_BIT } else { 0 }
            | (self.reserved_flags & RESERVED);
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

    fn text_data() -> bool {
        true
    }

    fn dump_fields(&self, d: &mut Dump) {
        d.flag("F (final)", self.final_bit, "last request of the exchange");
        d.flag(
            "C (continue)",
            self.continue_bit,
            "text continues in the next PDU",
        );
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

/// Text Response (opcode 0x24, RFC 7143 §11.11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextResponse {
    /// Reserved bits 7-6 of byte 0, in place.
    pub reserved0: u8,
    /// F bit (§11.11.1): the last response of the exchange.
    pub final_bit: bool,
    /// C bit (§11.11.2): the text continues in the next PDU.
    pub continue_bit: bool,
    /// Reserved bits 5-0 of byte 1.
    pub reserved_flags: u8,
    /// Bytes 2-3, reserved.
    pub reserved2: [u8; 2],
    /// LUN (reserved for text, kept as sent).
    pub lun: Lun,
    /// Initiator Task Tag.
    pub itt: u32,
    /// Target Transfer Tag (§11.11.4): 0xffffffff when final, else a tag the
    /// initiator returns to continue.
    pub ttt: u32,
    /// StatSN.
    pub stat_sn: u32,
    /// ExpCmdSN.
    pub exp_cmd_sn: u32,
    /// MaxCmdSN.
    pub max_cmd_sn: u32,
    /// Bytes 36-47, reserved.
    pub reserved36: [u8; 12],
    /// Text key=value pairs, NUL-separated.
    pub data: Bytes,
}

impl Default for TextResponse {
    fn default() -> Self {
        TextResponse {
            reserved0: 0,
            final_bit: true,
            continue_bit: false,
            reserved_flags: 0,
            reserved2: [0; 2],
            lun: Lun::ZERO,
            itt: 0,
            ttt: TTT_RESERVED,
            stat_sn: 0,
            exp_cmd_sn: 0,
            max_cmd_sn: 0,
            reserved36: [0; 12],
            data: Bytes::new(),
        }
    }
}

impl Codec for TextResponse {
    const OPCODE: Opcode = Opcode::TextResponse;

    fn from_bhs(b: &Bhs, data: Bytes) -> Self {
        TextResponse {
            reserved0: bhs::reserved0(b),
            final_bit: b[1] & F_BIT != 0,
            continue_bit: b[1] & C_BIT != 0,
            reserved_flags: b[1] & RESERVED,
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
        b[1] = if self.final_bit { F_BIT } else { 0 }
            | if self.continue_bit { C_BIT } else { 0 }
            | (self.reserved_flags & RESERVED);
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

    fn text_data() -> bool {
        true
    }

    fn dump_fields(&self, d: &mut Dump) {
        d.flag("F (final)", self.final_bit, "last response of the exchange");
        d.flag(
            "C (continue)",
            self.continue_bit,
            "text continues in the next PDU",
        );
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
    use super::*;

    #[test]
    fn flags_layout() {
        let req = TextRequest {
            final_bit: false,
            continue_bit: true,
            data: Bytes::from_static(b"SendTargets=All\0"),
            ..TextRequest::default()
        };
        let b = req.to_bhs();
        assert_eq!(&b[..2], &[0x04, 0x40]);
        assert_eq!(TextRequest::from_bhs(&b, req.data.clone()), req);
        let rsp = TextResponse::default();
        assert_eq!(&rsp.to_bhs()[..2], &[0x24, 0x80]);
        assert_eq!(be32(&rsp.to_bhs(), 20), TTT_RESERVED);
    }
}
