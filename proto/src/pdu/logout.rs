//! Logout Request (RFC 7143 §11.14) and Logout Response (RFC 7143 §11.15).

use bytes::Bytes;

use super::bhs::{self, arr, be16, be32, put16, put32, put_arr, Bhs, F_BIT};
use super::codes::code_enum;
use super::dump::Dump;
use super::opcode::Opcode;
use super::pdu_enum::Codec;

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

/// Logout Request (opcode 0x06, RFC 7143 §11.14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutRequest {
    /// I bit: immediate delivery.
    pub immediate: bool,
    /// Reserved bit 7 of byte 0, in place.
    pub reserved0: u8,
    /// Bit 7 of byte 1; always 1.
    pub final_bit: bool,
    /// Reason Code (§11.14.1).
    pub reason: LogoutReason,
    /// Bytes 2-3, reserved.
    pub reserved2: [u8; 2],
    /// Bytes 8-15, reserved.
    pub reserved8: [u8; 8],
    /// Initiator Task Tag.
    pub itt: u32,
    /// CID of the connection to close (§11.14.3; reserved for close session).
    pub cid: u16,
    /// Bytes 22-23, reserved.
    pub reserved22: [u8; 2],
    /// CmdSN.
    pub cmd_sn: u32,
    /// ExpStatSN.
    pub exp_stat_sn: u32,
    /// Bytes 32-47, reserved.
    pub reserved32: [u8; 16],
    /// Data segment; RFC 7143 §11.14 defines none.
    pub data: Bytes,
}

impl Default for LogoutRequest {
    fn default() -> Self {
        LogoutRequest {
            immediate: false,
            reserved0: 0,
            final_bit: true,
            reason: LogoutReason::CloseSession,
            reserved2: [0; 2],
            reserved8: [0; 8],
            itt: 0,
            cid: 0,
            reserved22: [0; 2],
            cmd_sn: 0,
            exp_stat_sn: 0,
            reserved32: [0; 16],
            data: Bytes::new(),
        }
    }
}

impl Codec for LogoutRequest {
    const OPCODE: Opcode = Opcode::LogoutRequest;

    fn from_bhs(b: &Bhs, data: Bytes) -> Self {
        LogoutRequest {
            immediate: bhs::immediate(b),
            reserved0: bhs::reserved0(b),
            final_bit: b[1] & F_BIT != 0,
            reason: LogoutReason::from_raw(b[1] & REASON_MASK),
            reserved2: arr(b, 2),
            reserved8: arr(b, 8),
            itt: be32(b, 16),
            cid: be16(b, 20),
            reserved22: arr(b, 22),
            cmd_sn: be32(b, 24),
            exp_stat_sn: be32(b, 28),
            reserved32: arr(b, 32),
            data,
        }
    }

    fn to_bhs(&self) -> Bhs {
        let mut b = bhs::start(Self::OPCODE, self.immediate, self.reserved0);
        b[1] = if self.final_bit { F_BIT } else { 0 } | (self.reason.raw() & REASON_MASK);
        put_arr(&mut b, 2, &self.reserved2);
        put_arr(&mut b, 8, &self.reserved8);
        put32(&mut b, 16, self.itt);
        put16(&mut b, 20, self.cid);
        put_arr(&mut b, 22, &self.reserved22);
        put32(&mut b, 24, self.cmd_sn);
        put32(&mut b, 28, self.exp_stat_sn);
        put_arr(&mut b, 32, &self.reserved32);
        b
    }

    fn data(&self) -> &Bytes {
        &self.data
    }

    fn dump_fields(&self, d: &mut Dump) {
        d.flag("byte 1 bit 7", self.final_bit, "always 1");
        d.field("ReasonCode", self.reason.raw(), self.reason.name());
        d.reserved("bytes 2-3", &self.reserved2);
        d.reserved("bytes 8-15", &self.reserved8);
        d.u32("ITT", self.itt);
        d.field("CID", self.cid, "");
        d.reserved("bytes 22-23", &self.reserved22);
        d.u32("CmdSN", self.cmd_sn);
        d.u32("ExpStatSN", self.exp_stat_sn);
        d.reserved("bytes 32-47", &self.reserved32);
    }
}

/// Logout Response (opcode 0x26, RFC 7143 §11.15).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutResponse {
    /// Reserved bits 7-6 of byte 0, in place.
    pub reserved0: u8,
    /// F bit; always 1.
    pub final_bit: bool,
    /// Reserved bits 6-0 of byte 1.
    pub reserved_flags: u8,
    /// Response (§11.15.1).
    pub response: LogoutResponseCode,
    /// Byte 3, reserved.
    pub reserved3: u8,
    /// Bytes 8-15, reserved.
    pub reserved8: [u8; 8],
    /// Initiator Task Tag.
    pub itt: u32,
    /// Bytes 20-23, reserved.
    pub reserved20: [u8; 4],
    /// StatSN.
    pub stat_sn: u32,
    /// ExpCmdSN.
    pub exp_cmd_sn: u32,
    /// MaxCmdSN.
    pub max_cmd_sn: u32,
    /// Bytes 36-39, reserved.
    pub reserved36: [u8; 4],
    /// Time2Wait in seconds (§11.15.2).
    pub time2wait: u16,
    /// Time2Retain in seconds (§11.15.3).
    pub time2retain: u16,
    /// Bytes 44-47, reserved.
    pub reserved44: [u8; 4],
    /// Data segment; RFC 7143 §11.15 defines none.
    pub data: Bytes,
}

impl Default for LogoutResponse {
    fn default() -> Self {
        LogoutResponse {
            reserved0: 0,
            final_bit: true,
            reserved_flags: 0,
            response: LogoutResponseCode::Success,
            reserved3: 0,
            reserved8: [0; 8],
            itt: 0,
            reserved20: [0; 4],
            stat_sn: 0,
            exp_cmd_sn: 0,
            max_cmd_sn: 0,
            reserved36: [0; 4],
            time2wait: 0,
            time2retain: 0,
            reserved44: [0; 4],
            data: Bytes::new(),
        }
    }
}

impl Codec for LogoutResponse {
    const OPCODE: Opcode = Opcode::LogoutResponse;

    fn from_bhs(b: &Bhs, data: Bytes) -> Self {
        LogoutResponse {
            reserved0: bhs::reserved0(b),
            final_bit: b[1] & F_BIT != 0,
            reserved_flags: b[1] & !F_BIT,
            response: LogoutResponseCode::from_raw(b[2]),
            reserved3: b[3],
            reserved8: arr(b, 8),
            itt: be32(b, 16),
            reserved20: arr(b, 20),
            stat_sn: be32(b, 24),
            exp_cmd_sn: be32(b, 28),
            max_cmd_sn: be32(b, 32),
            reserved36: arr(b, 36),
            time2wait: be16(b, 40),
            time2retain: be16(b, 42),
            reserved44: arr(b, 44),
            data,
        }
    }

    fn to_bhs(&self) -> Bhs {
        let mut b = bhs::start(Self::OPCODE, false, self.reserved0);
        b[1] = if self.final_bit { F_BIT } else { 0 } | (self.reserved_flags & !F_BIT);
        b[2] = self.response.raw();
        b[3] = self.reserved3;
        put_arr(&mut b, 8, &self.reserved8);
        put32(&mut b, 16, self.itt);
        put_arr(&mut b, 20, &self.reserved20);
        put32(&mut b, 24, self.stat_sn);
        put32(&mut b, 28, self.exp_cmd_sn);
        put32(&mut b, 32, self.max_cmd_sn);
        put_arr(&mut b, 36, &self.reserved36);
        put16(&mut b, 40, self.time2wait);
        put16(&mut b, 42, self.time2retain);
        put_arr(&mut b, 44, &self.reserved44);
        b
    }

    fn data(&self) -> &Bytes {
        &self.data
    }

    fn dump_fields(&self, d: &mut Dump) {
        d.flag("F (final)", self.final_bit, "always 1");
        d.reserved("byte 1 reserved bits", &[self.reserved_flags]);
        d.field("Response", self.response.raw(), self.response.name());
        d.reserved("byte 3", &[self.reserved3]);
        d.reserved("bytes 8-15", &self.reserved8);
        d.u32("ITT", self.itt);
        d.reserved("bytes 20-23", &self.reserved20);
        d.u32("StatSN", self.stat_sn);
        d.u32("ExpCmdSN", self.exp_cmd_sn);
        d.u32("MaxCmdSN", self.max_cmd_sn);
        d.reserved("bytes 36-39", &self.reserved36);
        d.field("Time2Wait", self.time2wait, "seconds");
        d.field("Time2Retain", self.time2retain, "seconds");
        d.reserved("bytes 44-47", &self.reserved44);
    }
}

#[cfg(test)]
mod tests {
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
