//! SCSI Command (RFC 7143 §11.3) and SCSI Response (RFC 7143 §11.4).

use bytes::Bytes;

use super::ahs::{Ahs, AhsType};
use super::bhs::{Lun, F_BIT};
use super::codes::code_enum;
use super::dump::{hex, Dump};
use super::layout::pdu;

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

pdu! {
    /// SCSI Command (opcode 0x01, RFC 7143 §11.3).
    pub struct ScsiCommand {
        /// I bit: immediate delivery.
        pub immediate: bool => immediate,
        /// Reserved bit 7 of byte 0, in place.
        pub reserved0: u8 => reserved0,
        /// F bit: no unsolicited Data-Out follows (§11.3.1).
        pub final_bit: bool = true => flag(F_BIT, "F (final)", "no unsolicited Data-Out follows"),
        /// R bit: data will be read from the target.
        pub read: bool => flag(R_BIT, "R (read)", "data from target"),
        /// W bit: data will be written to the target.
        pub write: bool => flag(W_BIT, "W (write)", "data to target"),
        /// Reserved bits 4-3 of byte 1, in place.
        pub reserved_flags: u8 => rbits(CMD_RESERVED),
        /// ATTR: task attribute.
        pub attr: TaskAttribute = TaskAttribute::Simple => code_bits(ATTR_MASK, 0, "ATTR"),
        /// Bytes 2-3, reserved.
        pub reserved2: [u8; 2] => reserved(2),
        /// LUN.
        pub lun: Lun => lun,
        /// Initiator Task Tag.
        pub itt: u32 => itt,
        /// Expected Data Transfer Length (§11.3.4).
        pub expected_data_transfer_length: u32 => u32(20, "ExpectedDataTransferLength"),
        ..initiator_sns,
        /// The first 16 bytes of the CDB, zero padded (§11.3.5).
        pub cdb: [u8; 16] => bytes(32, "CDB"),
        /// AHSs: Extended CDB and Bidirectional Expected Read-Data Length.
        pub ahs: Vec<Ahs> => none,
        /// Immediate data (§11.3.6).
        pub data: Bytes => data,
    }
    codec {
        fn ahs_bytes(&self) -> Bytes {
            Ahs::encode_list(&self.ahs).into()
        }

        fn dump_extra(&self, d: &mut Dump) {
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
}

impl ScsiCommand {
    /// Sets the CDB: the first 16 bytes in the BHS, the rest in an Extended
    /// CDB AHS (RFC 7143 §11.2.2.3), replacing any earlier one.
    pub fn set_cdb(&mut self, cdb: &[u8]) {
        let (head, tail) = cdb.split_at(cdb.len().min(16));
        self.cdb = [0; 16];
        for (byte, &value) in self.cdb.iter_mut().zip(head) {
            *byte = value;
        }
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

const BIDI_OVERFLOW: u8 = 0x10;
const BIDI_UNDERFLOW: u8 = 0x08;
const OVERFLOW: u8 = 0x04;
const UNDERFLOW: u8 = 0x02;
const RSP_RESERVED: u8 = 0x61;

pdu! {
    /// SCSI Response (opcode 0x21, RFC 7143 §11.4).
    pub struct ScsiResponse {
        /// Reserved bits 7-6 of byte 0, in place.
        pub reserved0: u8 => reserved0,
        /// F bit; always 1.
        pub final_bit: bool = true => final_bit,
        /// o bit: bidirectional read residual overflow (§11.4.1).
        pub bidi_overflow: bool => flag(
            BIDI_OVERFLOW,
            "o (bidi overflow)",
            "bidirectional read residual overflow"
        ),
        /// u bit: bidirectional read residual underflow.
        pub bidi_underflow: bool => flag(
            BIDI_UNDERFLOW,
            "u (bidi underflow)",
            "bidirectional read residual underflow"
        ),
        /// O bit: residual overflow.
        pub overflow: bool => flag(OVERFLOW, "O (overflow)", "residual overflow"),
        /// U bit: residual underflow.
        pub underflow: bool => flag(UNDERFLOW, "U (underflow)", "residual underflow"),
        /// Reserved bits 6-5 and 0 of byte 1, in place.
        pub reserved_flags: u8 => rbits(RSP_RESERVED),
        /// Response (§11.4.3).
        pub response: ScsiResponseCode = ScsiResponseCode::CommandCompleted
            => code_hex(2, "Response"),
        /// Status (§11.4.2), valid when Response is Command Completed.
        pub status: ScsiStatus = ScsiStatus::Good => code_hex(3, "Status"),
        /// Bytes 8-15, reserved.
        pub reserved8: [u8; 8] => reserved(8),
        /// Initiator Task Tag.
        pub itt: u32 => itt,
        /// SNACK Tag (§11.4.4).
        pub snack_tag: u32 => u32(20, "SNACK Tag"),
        ..target_sns,
        /// ExpDataSN (§11.4.6).
        pub exp_data_sn: u32 => u32(36, "ExpDataSN"),
        /// Bidirectional Read Residual Count (§11.4.5).
        pub bidi_read_residual_count: u32 => u32(40, "BidiReadResidualCount"),
        /// Residual Count (§11.4.5).
        pub residual_count: u32 => u32(44, "ResidualCount"),
        /// SenseLength (2 bytes), sense data and response data (§11.4.7).
        pub data: Bytes => data,
    }
    codec {
        fn dump_extra(&self, d: &mut Dump) {
            if let Some(sense) = self.sense_data() {
                d.field("SenseLength", sense.len(), "bytes of sense data");
            }
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

#[cfg(test)]
mod tests {
    use super::super::pdu_enum::Codec;
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
