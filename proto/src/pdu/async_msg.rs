//! Asynchronous Message (RFC 7143 §11.9).

use bytes::Bytes;

use super::bhs::{self, arr, be16, be32, put16, put32, put_arr, Bhs, Lun, F_BIT, ITT_RESERVED};
use super::codes::code_enum;
use super::dump::Dump;
use super::opcode::Opcode;
use super::pdu_enum::Codec;

code_enum! {
    /// AsyncEvent codes (RFC 7143 §11.9.1).
    pub enum AsyncEvent: u8 {
        ScsiAsyncEvent = 0 => "SCSI asynchronous event (sense data in the data segment)",
        LogoutRequest = 1 => "target requests logout",
        ConnectionDrop = 2 => "target will drop the connection named by Parameter1",
        SessionDrop = 3 => "target will drop all connections of the session",
        NegotiationRequest = 4 => "target requests parameter negotiation",
        TaskTermination = 5 => "all active tasks of the LU will be terminated",
        VendorSpecific = 255 => "vendor-specific event (AsyncVCode)",
    }
}

/// Asynchronous Message (opcode 0x32, RFC 7143 §11.9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsyncMessage {
    /// Reserved bits 7-6 of byte 0, in place.
    pub reserved0: u8,
    /// F bit; always 1.
    pub final_bit: bool,
    /// Reserved bits 6-0 of byte 1.
    pub reserved_flags: u8,
    /// Bytes 2-3, reserved.
    pub reserved2: [u8; 2],
    /// LUN (for SCSI asynchronous events and task termination).
    pub lun: Lun,
    /// Bytes 16-19: 0xffffffff (§11.9).
    pub itt: u32,
    /// Bytes 20-23, reserved.
    pub reserved20: [u8; 4],
    /// StatSN.
    pub stat_sn: u32,
    /// ExpCmdSN.
    pub exp_cmd_sn: u32,
    /// MaxCmdSN.
    pub max_cmd_sn: u32,
    /// AsyncEvent (§11.9.1).
    pub async_event: AsyncEvent,
    /// AsyncVCode (§11.9.2): vendor code for event 255.
    pub async_vcode: u8,
    /// Parameter1.
    pub parameter1: u16,
    /// Parameter2.
    pub parameter2: u16,
    /// Parameter3.
    pub parameter3: u16,
    /// Bytes 44-47, reserved.
    pub reserved44: [u8; 4],
    /// SenseLength, sense data and iSCSI event data (§11.9.4).
    pub data: Bytes,
}

impl Default for AsyncMessage {
    fn default() -> Self {
        AsyncMessage {
            reserved0: 0,
            final_bit: true,
            reserved_flags: 0,
            reserved2: [0; 2],
            lun: Lun::ZERO,
            itt: ITT_RESERVED,
            reserved20: [0; 4],
            stat_sn: 0,
            exp_cmd_sn: 0,
            max_cmd_sn: 0,
            async_event: AsyncEvent::LogoutRequest,
            async_vcode: 0,
            parameter1: 0,
            parameter2: 0,
            parameter3: 0,
            reserved44: [0; 4],
            data: Bytes::new(),
        }
    }
}

impl Codec for AsyncMessage {
    const OPCODE: Opcode = Opcode::AsyncMessage;

    fn from_bhs(b: &Bhs, data: Bytes) -> Self {
        AsyncMessage {
            reserved0: bhs::reserved0(b),
            final_bit: b[1] & F_BIT != 0,
            reserved_flags: b[1] & !F_BIT,
            reserved2: arr(b, 2),
            lun: Lun(arr(b, 8)),
            itt: be32(b, 16),
            reserved20: arr(b, 20),
            stat_sn: be32(b, 24),
            exp_cmd_sn: be32(b, 28),
            max_cmd_sn: be32(b, 32),
            async_event: AsyncEvent::from_raw(b[36]),
            async_vcode: b[37],
            parameter1: be16(b, 38),
            parameter2: be16(b, 40),
            parameter3: be16(b, 42),
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
        put_arr(&mut b, 20, &self.reserved20);
        put32(&mut b, 24, self.stat_sn);
        put32(&mut b, 28, self.exp_cmd_sn);
        put32(&mut b, 32, self.max_cmd_sn);
        b[36] = self.async_event.raw();
        b[37] = self.async_vcode;
        put16(&mut b, 38, self.parameter1);
        put16(&mut b, 40, self.parameter2);
        put16(&mut b, 42, self.parameter3);
        put_arr(&mut b, 44, &self.reserved44);
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
        d.reserved("bytes 20-23", &self.reserved20);
        d.u32("StatSN", self.stat_sn);
        d.u32("ExpCmdSN", self.exp_cmd_sn);
        d.u32("MaxCmdSN", self.max_cmd_sn);
        d.field(
            "AsyncEvent",
            self.async_event.raw(),
            self.async_event.name(),
        );
        d.field("AsyncVCode", format_args!("{:#04x}", self.async_vcode), "");
        d.field("Parameter1", self.parameter1, "");
        d.field("Parameter2", self.parameter2, "");
        d.field("Parameter3", self.parameter3, "");
        d.reserved("bytes 44-47", &self.reserved44);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        let m = AsyncMessage {
            async_event: AsyncEvent::ConnectionDrop,
            parameter1: 1,
            parameter2: 2,
            parameter3: 20,
            ..AsyncMessage::default()
        };
        let b = m.to_bhs();
        assert_eq!(&b[..2], &[0x32, 0x80]);
        assert_eq!(&b[36..44], &[2, 0, 0, 1, 0, 2, 0, 20]);
        assert_eq!(be32(&b, 16), ITT_RESERVED);
        assert_eq!(AsyncMessage::from_bhs(&b, Bytes::new()), m);
    }
}
