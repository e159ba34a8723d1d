//! SCSI Command (RFC 7143 §11.3) and SCSI Response (RFC 7143 §11.4).

use bytes::Bytes;

use super::ahs::{Ahs, AhsType};
use super::bhs::{self, arr, be32, put32, put_arr, Bhs, Lun, F_BIT};
use super::codes::code_enum;
use super::dump::{hex, Dump};
use super::opcode::Opcode;
use super::pdu_enum::Codec;

code_enum! {
    /// Task attributes, the ATTR field of a SCSI Command (RFC 7143 §11.3.1;
    /// values 5-7 reserved).
    pub enum TaskAttribute: u8 {
        Untagged = 0 => "Untagged",
        Simple = 1 => "Simple",
        Ordered = 2 => "Ordered",
        HeadOfQueue = 3 => "Head of Queue",
        Aca = 4 => "ACA",
    }
}

code_enum! {
    /// The Response field of a SCSI Response (RFC 7143 §11.4.3; 0x80-0xff
    /// vendor specific, the rest reserved).
    pub enum ScsiResponseCode: u8 {
        CommandCompleted = 0x00 => "Command Completed at Target",
        TargetFailure = 0x01 => "Target Failure",
    }
}

code_enum! {
    /// SCSI status codes (SAM-5 §5.3.1), carried in the Status field of a
    /// SCSI Response (RFC 7143 §11.4.2) and a Data-In with the S bit.
    pub enum ScsiStatus: u8 {
        Good = 0x00 => "GOOD",
        CheckCondition = 0x02 => "CHECK CONDITION",
        ConditionMet = 0x04 => "CONDITION MET",
        Busy = 0x08 => "BUSY",
        ReservationConflict = 0x18 => "RESERVATION CONFLICT",
        TaskSetFull = 0x28 => "TASK SET FULL",
        AcaActive = 0x30 => "ACA ACTIVE",
        TaskAborted = 0x40 => "TASK ABORTED",
    }
}

const R_BIT: u8 = 0x40;
const W_BIT: u8 = 0x20;
const ATTR_MASK: u8 = 0x07;
const CMD_RESERVED: u8 = 0x18;

/// SCSI Command (opcode 0x01, RFC 7143 §11.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScsiCommand {
    /// I bit: immediate delivery.
    pub immediate: bool,
    /// Reserved bit 7 of byte 0, in place.
    pub reserved0: u8,
    /// F bit: no unsolicited Data-Out follows (§11.3.1).
    pub final_bit: bool,
    /// R bit: data will be read from the target.
    pub read: bool,
    /// W bit: data will be written to the target.
    pub write: bool,
    /// Reserved bits 4-3 of byte 1, in place.
    pub reserved_flags: u8,
    /// ATTR: task attribute.
    pub attr: TaskAttribute,
    /// Bytes 2-3, reserved.
    pub reserved2: [u8; 2],
    /// LUN.
    pub lun: Lun,
    /// Initiator Task Tag.
    pub itt: u32,
    /// Expected Data Transfer Length (§11.3.4).
    pub expected_data_transfer_length: u32,
    /// CmdSN.
    pub cmd_sn: u32,
    /// ExpStatSN.
    pub exp_stat_sn: u32,
    /// The first 16 bytes of the CDB, zero padded (§11.3.5).
    pub cdb: [u8; 16],
    /// AHSs: Extended CDB and Bidirectional Expected Read-Data Length.
    pub ahs: Vec<Ahs>,
    /// Immediate data (§11.3.6).
    pub data: Bytes,
}

impl Default for ScsiCommand {
    fn default() -> Self {
        ScsiCommand {
            immediate: false,
            reserved0: 0,
            final_bit: true,
            read: false,
            write: false,
            reserved_flags: 0,
            attr: TaskAttribute::Simple,
            reserved2: [0; 2],
            lun: Lun::ZERO,
            itt: 0,
            expected_data_transfer_length: 0,
            cmd_sn: 0,
            exp_stat_sn: 0,
            cdb: [0; 16],
            ahs: Vec::new(),
            data: Bytes::new(),
        }
    }
}

impl ScsiCommand {
    /// Sets the CDB: the first 16 bytes in the BHS, the rest in an Extended
    /// CDB AHS (RFC 7143 §11.2.2.3), replacing any earlier one.
    pub fn set_cdb(&mut self, cdb: &[u8]) {
        let (head, tail) = cdb.split_at(cdb.len().min(16));
        self.cdb = [0; 16];
        self.cdb[..head.len()].copy_from_slice(head);
        self.ahs.retain(|a| a.kind() != AhsType::ExtendedCdb);
        if !tail.is_empty() {
            self.ahs.insert(0, Ahs::extended_cdb(tail));
        }
    }

    /// The whole CDB: the 16 BHS bytes followed by any Extended CDB AHS.
    pub fn full_cdb(&self) -> Vec<u8> {
        let mut out = self.cdb.to_vec();
        for ahs in &self.ahs {
            if let Some(tail) = ahs.extended_cdb_bytes() {
                out.extend_from_slice(tail);
            }
        }
        out
    }

    /// The Bidirectional Expected Read-Data Length AHS value, if present.
    pub fn bidi_expected_read_data_length(&self) -> Option<u32> {
        self.ahs.iter().find_map(Ahs::expected_read_data_length)
    }
}

impl Codec for ScsiCommand {
    const OPCODE: Opcode = Opcode::ScsiCommand;

    fn from_bhs(b: &Bhs, data: Bytes) -> Self {
        ScsiCommand {
            immediate: bhs::immediate(b),
            reserved0: bhs::reserved0(b),
            final_bit: b[1] & F_BIT != 0,
            read: b[1] & R_BIT != 0,
            write: b[1] & W_BIT != 0,
            reserved_flags: b[1] & CMD_RESERVED,
            attr: TaskAttribute::from_raw(b[1] & ATTR_MASK),
            reserved2: arr(b, 2),
            lun: Lun(arr(b, 8)),
            itt: be32(b, 16),
            expected_data_transfer_length: be32(b, 20),
            cmd_sn: be32(b, 24),
            exp_stat_sn: be32(b, 28),
            cdb: arr(b, 32),
            ahs: Vec::new(),
            data,
        }
    }

    fn to_bhs(&self) -> Bhs {
        let mut b = bhs::start(Self::OPCODE, self.immediate, self.reserved0);
        b[1] = if self.final_bit { F_BIT } else { 0 }
            | if self.read { R_BIT } else { 0 }
            | if self.write { W_BIT } else { 0 }
            | (self.reserved_flags & CMD_RESERVED)
            | (self.attr.raw() & ATTR_MASK);
        put_arr(&mut b, 2, &self.reserved2);
        put_arr(&mut b, 8, &self.lun.0);
        put32(&mut b, 16, self.itt);
        put32(&mut b, 20, self.expected_data_transfer_length);
        put32(&mut b, 24, self.cmd_sn);
        put32(&mut b, 28, self.exp_stat_sn);
        put_arr(&mut b, 32, &self.cdb);
        b
    }

    fn data(&self) -> &Bytes {
        &self.data
    }

    fn ahs_bytes(&self) -> Bytes {
        Ahs::encode_list(&self.ahs).into()
    }

    fn dump_fields(&self, d: &mut Dump) {
        d.flag(
            "F (final)",
            self.final_bit,
            "no unsolicited Data-Out follows",
        );
        d.flag("R (read)", self.read, "data from target");
        d.flag("W (write)", self.write, "data to target");
        d.reserved("byte 1 reserved bits", &[self.reserved_flags]);
        d.field("ATTR", self.attr.raw(), self.attr.name());
        d.reserved("bytes 2-3", &self.reserved2);
        d.field("LUN", self.lun, "");
        d.u32("ITT", self.itt);
        d.u32(
            "ExpectedDataTransferLength",
            self.expected_data_transfer_length,
        );
        d.u32("CmdSN", self.cmd_sn);
        d.u32("ExpStatSN", self.exp_stat_sn);
        d.field("CDB", hex(&self.cdb), "");
        for ahs in &self.ahs {
            d.field(
                "AHS",
                format_args!("type {:#04x}", ahs.ahs_type),
                format_args!(
                    "{}, {} bytes: {}",
                    ahs.kind(),
                    ahs.specific.len(),
                    hex(&ahs.specific)
                ),
            );
        }
    }
}

const BIDI_OVERFLOW: u8 = 0x10;
const BIDI_UNDERFLOW: u8 = 0x08;
const OVERFLOW: u8 = 0x04;
const UNDERFLOW: u8 = 0x02;
const RSP_RESERVED: u8 = 0x61;

/// SCSI Response (opcode 0x21, RFC 7143 §11.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScsiResponse {
    /// Reserved bits 7-6 of byte 0, in place.
    pub reserved0: u8,
    /// F bit; always 1.
    pub final_bit: bool,
    /// o bit: bidirectional read residual overflow (§11.4.1).
    pub bidi_overflow: bool,
    /// u bit: bidirectional read residual underflow.
    pub bidi_underflow: bool,
    /// O bit: residual overflow.
    pub overflow: bool,
    /// U bit: residual underflow.
    pub underflow: bool,
    /// Reserved bits 6-5 and 0 of byte 1, in place.
    pub reserved_flags: u8,
    /// Response (§11.4.3).
    pub response: ScsiResponseCode,
    /// Status (§11.4.2), valid when Response is Command Completed.
    pub status: ScsiStatus,
    /// Bytes 8-15, reserved.
    pub reserved8: [u8; 8],
    /// Initiator Task Tag.
    pub itt: u32,
    /// SNACK Tag (§11.4.4).
    pub snack_tag: u32,
    /// StatSN.
    pub stat_sn: u32,
    /// ExpCmdSN.
    pub exp_cmd_sn: u32,
    /// MaxCmdSN.
    pub max_cmd_sn: u32,
    /// ExpDataSN (§11.4.6).
    pub exp_data_sn: u32,
    /// Bidirectional Read Residual Count (§11.4.5).
    pub bidi_read_residual_count: u32,
    /// Residual Count (§11.4.5).
    pub residual_count: u32,
    /// SenseLength (2 bytes), sense data and response data (§11.4.7).
    pub data: Bytes,
}

impl Default for ScsiResponse {
    fn default() -> Self {
        ScsiResponse {
            reserved0: 0,
            final_bit: true,
            bidi_overflow: false,
            bidi_underflow: false,
            overflow: false,
            underflow: false,
            reserved_flags: 0,
            response: ScsiResponseCode::CommandCompleted,
            status: ScsiStatus::Good,
            reserved8: [0; 8],
            itt: 0,
            snack_tag: 0,
            stat_sn: 0,
            exp_cmd_sn: 0,
            max_cmd_sn: 0,
            exp_data_sn: 0,
            bidi_read_residual_count: 0,
            residual_count: 0,
            data: Bytes::new(),
        }
    }
}

impl ScsiResponse {
    /// A data segment holding `sense` (RFC 7143 §11.4.7.2: SenseLength then
    /// the sense data). Sense longer than 65535 bytes is cut.
    pub fn sense_segment(sense: &[u8]) -> Bytes {
        let sense = sense.get(..usize::from(u16::MAX)).unwrap_or(sense);
        let mut out = Vec::with_capacity(2 + sense.len());
        out.extend_from_slice(&(sense.len() as u16).to_be_bytes());
        out.extend_from_slice(sense);
        out.into()
    }

    /// The sense data of the data segment: SenseLength bytes after the
    /// 2-byte SenseLength, or what there is of them.
    pub fn sense_data(&self) -> Option<&[u8]> {
        let [h, l, rest @ ..] = self.data.as_ref() else {
            return None;
        };
        let len = usize::from(u16::from_be_bytes([*h, *l]));
        Some(rest.get(..len).unwrap_or(rest))
    }
}

impl Codec for ScsiResponse {
    const OPCODE: Opcode = Opcode::ScsiResponse;

    fn from_bhs(b: &Bhs, data: Bytes) -> Self {
        ScsiResponse {
            reserved0: bhs::reserved0(b),
            final_bit: b[1] & F_BIT != 0,
            bidi_overflow: b[1] & BIDI_OVERFLOW != 0,
            bidi_underflow: b[1] & BIDI_UNDERFLOW != 0,
            overflow: b[1] & OVERFLOW != 0,
            underflow: b[1] & UNDERFLOW != 0,
            reserved_flags: b[1] & RSP_RESERVED,
            response: ScsiResponseCode::from_raw(b[2]),
            status: ScsiStatus::from_raw(b[3]),
            reserved8: arr(b, 8),
            itt: be32(b, 16),
            snack_tag: be32(b, 20),
            stat_sn: be32(b, 24),
            exp_cmd_sn: be32(b, 28),
            max_cmd_sn: be32(b, 32),
            exp_data_sn: be32(b, 36),
            bidi_read_residual_count: be32(b, 40),
            residual_count: be32(b, 44),
            data,
        }
    }

    fn to_bhs(&self) -> Bhs {
        let mut b = bhs::start(Self::OPCODE, false, self.reserved0);
        b[1] = if self.final_bit { F_BIT } else { 0 }
            | if self.bidi_overflow { BIDI_OVERFLOW } else { 0 }
            | if self.bidi_underflow {
                BIDI_UNDERFLOW
            } else {
                0
            }
            | if self.overflow { OVERFLOW } else { 0 }
            | if self.underflow { UNDERFLOW } else { 0 }
            | (self.reserved_flags & RSP_RESERVED);
        b[2] = self.response.raw();
        b[3] = self.status.raw();
        put_arr(&mut b, 8, &self.reserved8);
        put32(&mut b, 16, self.itt);
        put32(&mut b, 20, self.snack_tag);
        put32(&mut b, 24, self.stat_sn);
        put32(&mut b, 28, self.exp_cmd_sn);
        put32(&mut b, 32, self.max_cmd_sn);
        put32(&mut b, 36, self.exp_data_sn);
        put32(&mut b, 40, self.bidi_read_residual_count);
        put32(&mut b, 44, self.residual_count);
        b
    }

    fn data(&self) -> &Bytes {
        &self.data
    }

    fn dump_fields(&self, d: &mut Dump) {
        d.flag("F (final)", self.final_bit, "always 1");
        d.flag(
            "o (bidi overflow)",
            self.bidi_overflow,
            "bidirectional read residual overflow",
        );
        d.flag(
            "u (bidi underflow)",
            self.bidi_underflow,
            "bidirectional read residual underflow",
        );
        d.flag("O (overflow)", self.overflow, "residual overflow");
        d.flag("U (underflow)", self.underflow, "residual underflow");
        d.reserved("byte 1 reserved bits", &[self.reserved_flags]);
        d.field(
            "Response",
            format_args!("{:#04x}", self.response.raw()),
            self.response.name(),
        );
        d.field(
            "Status",
            format_args!("{:#04x}", self.status.raw()),
            self.status.name(),
        );
        d.reserved("bytes 8-15", &self.reserved8);
        d.u32("ITT", self.itt);
        d.u32("SNACK Tag", self.snack_tag);
        d.u32("StatSN", self.stat_sn);
        d.u32("ExpCmdSN", self.exp_cmd_sn);
        d.u32("MaxCmdSN", self.max_cmd_sn);
        d.u32("ExpDataSN", self.exp_data_sn);
        d.u32("BidiReadResidualCount", self.bidi_read_residual_count);
        d.u32("ResidualCount", self.residual_count);
        if let Some(sense) = self.sense_data() {
            d.field("SenseLength", sense.len(), "bytes of sense data");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_flags_and_long_cdb() {
        let mut cmd = ScsiCommand {
            read: true,
            attr: TaskAttribute::Ordered,
            expected_data_transfer_length: 4096,
            ..ScsiCommand::default()
        };
        let cdb: Vec<u8> = (0u8..32).collect();
        cmd.set_cdb(&cdb);
        assert_eq!(cmd.full_cdb(), cdb);
        cmd.ahs.push(Ahs::bidi_read_length(512));
        assert_eq!(cmd.bidi_expected_read_data_length(), Some(512));
        let b = cmd.to_bhs();
        assert_eq!(b[1], 0x80 | 0x40 | 0x02);
        cmd.set_cdb(&[0x28; 10]);
        assert_eq!(cmd.full_cdb().len(), 16);
        assert_eq!(cmd.ahs.len(), 1);
    }

    #[test]
    fn response_sense() {
        let rsp = ScsiResponse {
            status: ScsiStatus::CheckCondition,
            underflow: true,
            data: ScsiResponse::sense_segment(&[0x70, 0, 5]),
            ..ScsiResponse::default()
        };
        assert_eq!(rsp.sense_data(), Some(&[0x70, 0, 5][..]));
        let b = rsp.to_bhs();
        assert_eq!(&b[..4], &[0x21, 0x82, 0x00, 0x02]);
        let short = ScsiResponse {
            data: Bytes::from_static(&[0, 9, 1]),
            ..ScsiResponse::default()
        };
        assert_eq!(short.sense_data(), Some(&[1][..]));
        assert_eq!(ScsiResponse::default().sense_data(), None);
    }
}
