//! Asynchronous Message (RFC 7143 §11.9).

use bytes::Bytes;

use super::bhs::{Lun, ITT_RESERVED};
use super::codes::code_enum;
use super::layout::pdu;

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

pdu! {
    /// Asynchronous Message (opcode 0x32, RFC 7143 §11.9).
    pub struct AsyncMessage {
        /// Reserved bits 7-6 of byte 0, in place.
        pub reserved0: u8 => reserved0,
        ..final_always,
        /// Bytes 2-3, reserved.
        pub reserved2: [u8; 2] => reserved(2),
        /// LUN (for SCSI asynchronous events and task termination).
        pub lun: Lun => lun,
        /// Bytes 16-19: 0xffffffff (§11.9).
        pub itt: u32 = ITT_RESERVED => itt,
        /// Bytes 20-23, reserved.
        pub reserved20: [u8; 4] => reserved(20),
        ..target_sns,
        /// AsyncEvent (§11.9.1).
        pub async_event: AsyncEvent = AsyncEvent::LogoutRequest => code(36, "AsyncEvent"),
        /// AsyncVCode (§11.9.2): vendor code for event 255.
        pub async_vcode: u8 => hex(37, "AsyncVCode"),
        /// Parameter1.
        pub parameter1: u16 => value(38, "Parameter1", ""),
        /// Parameter2.
        pub parameter2: u16 => value(40, "Parameter2", ""),
        /// Parameter3.
        pub parameter3: u16 => value(42, "Parameter3", ""),
        /// Bytes 44-47, reserved.
        pub reserved44: [u8; 4] => reserved(44),
        /// SenseLength, sense data and iSCSI event data (§11.9.4).
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
