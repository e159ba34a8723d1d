//! Text Request (RFC 7143 §11.10) and Text Response (RFC 7143 §11.11).

use super::bhs::{Lun, F_BIT, TTT_RESERVED};
use super::layout::pdu;

const C_BIT: u8 = 0x40;
const RESERVED: u8 = 0x3f;

pdu! {
    /// Text Request (opcode 0x04, RFC 7143 §11.10).
    pub struct TextRequest {
        /// I bit: immediate delivery.
        pub immediate: bool => immediate,
        /// Reserved bit 7 of byte 0, in place.
        pub reserved0: u8 => reserved0,
        /// F bit (§11.10.1): the last request of the exchange.
        pub final_bit: bool = true => flag(F_BIT, "F (final)", "last request of the exchange"),
        /// C bit (§11.10.2): the text continues in the next PDU.
        pub continue_bit: bool => flag(C_BIT, "C (continue)", "text continues in the next PDU"),
        /// Reserved bits 5-0 of byte 1.
        pub reserved_flags: u8 => rbits(RESERVED),
        /// Bytes 2-3, reserved.
        pub reserved2: [u8; 2] => reserved(2),
        /// LUN (reserved for text, kept as sent).
        pub lun: Lun => lun,
        /// Initiator Task Tag.
        pub itt: u32 => itt,
        /// Target Transfer Tag (§11.10.4): 0xffffffff to start, else the value
        /// from the last Text Response.
        pub ttt: u32 = TTT_RESERVED => ttt,
        ..initiator_sns,
        /// Bytes 32-47, reserved.
        pub reserved32: [u8; 16] => reserved(32),
        ..text_data,
    }
}

pdu! {
    /// Text Response (opcode 0x24, RFC 7143 §11.11).
    pub struct TextResponse {
        /// Reserved bits 7-6 of byte 0, in place.
        pub reserved0: u8 => reserved0,
        /// F bit (§11.11.1): the last response of the exchange.
        pub final_bit: bool = true => flag(F_BIT, "F (final)", "last response of the exchange"),
        /// C bit (§11.11.2): the text continues in the next PDU.
        pub continue_bit: bool => flag(C_BIT, "C (continue)", "text continues in the next PDU"),
        /// Reserved bits 5-0 of byte 1.
        pub reserved_flags: u8 => rbits(RESERVED),
        /// Bytes 2-3, reserved.
        pub reserved2: [u8; 2] => reserved(2),
        /// LUN (reserved for text, kept as sent).
        pub lun: Lun => lun,
        /// Initiator Task Tag.
        pub itt: u32 => itt,
        /// Target Transfer Tag (§11.11.4): 0xffffffff when final, else a tag the
        /// initiator returns to continue.
        pub ttt: u32 = TTT_RESERVED => ttt,
        ..target_sns,
        /// Bytes 36-47, reserved.
        pub reserved36: [u8; 12] => reserved(36),
        ..text_data,
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::super::bhs::be32;
    use super::super::pdu_enum::Codec;
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
