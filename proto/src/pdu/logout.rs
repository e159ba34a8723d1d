//! Logout Request (RFC 7143 §11.14) and Logout Response (RFC 7143 §11.15).

use bytes::Bytes;

use super::bhs::F_BIT;
use super::codes::code_enum;
use super::layout::pdu;

code_enum! {
    /// Reason Code of a Logout Request (RFC 7143 §11.14.1), the low 7 bits
    /// of byte 1.
    pub enum LogoutReason: u8 {
        CloseSession = 0 => "close the session",
        CloseConnection = 1 => "close the connection",
        RemoveConnectionForRecovery = 2 => "remove the connection for recovery",
    }
}

code_enum! {
    /// Response of a Logout Response (RFC 7143 §11.15.1).
    pub enum LogoutResponseCode: u8 {
        Success = 0 => "connection or session closed successfully",
        CidNotFound = 1 => "CID not found",
        RecoveryNotSupported = 2 => "connection recovery is not supported",
        CleanupFailed = 3 => "cleanup failed for various reasons",
    }
}

const REASON_MASK: u8 = 0x7f;

pdu! {
    /// Logout Request (opcode 0x06, RFC 7143 §11.14).
    pub struct LogoutRequest {
        /// I bit: immediate delivery.
        pub immediate: bool => immediate,
        /// Reserved bit 7 of byte 0, in place.
        pub reserved0: u8 => reserved0,
        /// Bit 7 of byte 1; always 1.
        pub final_bit: bool = true => flag(F_BIT, "byte 1 bit 7", "always 1"),
        /// Reason Code (§11.14.1).
        pub reason: LogoutReason = LogoutReason::CloseSession
            => code_bits(REASON_MASK, 0, "ReasonCode"),
        /// Bytes 2-3, reserved.
        pub reserved2: [u8; 2] => reserved(2),
        /// Bytes 8-15, reserved.
        pub reserved8: [u8; 8] => reserved(8),
        /// Initiator Task Tag.
        pub itt: u32 => itt,
        /// CID of the connection to close (§11.14.3; reserved for close session).
        pub cid: u16 => value(20, "CID", ""),
        /// Bytes 22-23, reserved.
        pub reserved22: [u8; 2] => reserved(22),
        ..initiator_sns,
        /// Bytes 32-47, reserved.
        pub reserved32: [u8; 16] => reserved(32),
        /// Data segment; RFC 7143 §11.14 defines none.
        pub data: Bytes => data,
    }
}

pdu! {
    /// Logout Response (opcode 0x26, RFC 7143 §11.15).
    pub struct LogoutResponse {
        /// Reserved bits 7-6 of byte 0, in place.
        pub reserved0: u8 => reserved0,
        ..final_always,
        /// Response (§11.15.1).
        pub response: LogoutResponseCode = LogoutResponseCode::Success => code(2, "Response"),
        /// Byte 3, reserved.
        pub reserved3: u8 => reserved(3),
        /// Bytes 8-15, reserved.
        pub reserved8: [u8; 8] => reserved(8),
        /// Initiator Task Tag.
        pub itt: u32 => itt,
        /// Bytes 20-23, reserved.
        pub reserved20: [u8; 4] => reserved(20),
        ..target_sns,
        /// Bytes 36-39, reserved.
        pub reserved36: [u8; 4] => reserved(36),
        /// Time2Wait in seconds (§11.15.2).
        pub time2wait: u16 => value(40, "Time2Wait", "seconds"),
        /// Time2Retain in seconds (§11.15.3).
        pub time2retain: u16 => value(42, "Time2Retain", "seconds"),
        /// Bytes 44-47, reserved.
        pub reserved44: [u8; 4] => reserved(44),
        /// Data segment; RFC 7143 §11.15 defines none.
        pub data: Bytes => data,
    }
}

#[cfg(test)]
mod tests {
    use super::super::bhs::be16;
    use super::super::pdu_enum::Codec;
    use super::*;

    #[test]
    fn layouts() {
        let req = LogoutRequest {
            immediate: true,
            reason: LogoutReason::CloseConnection,
            cid: 7,
            ..LogoutRequest::default()
        };
        let b = req.to_bhs();
        assert_eq!(&b[..2], &[0x46, 0x81]);
        assert_eq!(be16(&b, 20), 7);
        let rsp = LogoutResponse {
            response: LogoutResponseCode::CidNotFound,
            time2wait: 2,
            time2retain: 20,
            ..LogoutResponse::default()
        };
        let b = rsp.to_bhs();
        assert_eq!(&b[..4], &[0x26, 0x80, 1, 0]);
        assert_eq!(&b[40..44], &[0, 2, 0, 20]);
        assert_eq!(LogoutResponse::from_bhs(&b, Bytes::new()), rsp);
    }
}
