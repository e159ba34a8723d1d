//! START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL, SANITIZE, READ DEFECT DATA
//! (10) and (12), FORMAT UNIT (SBC-4, clauses of the same names).

use super::field::field_enum;
use super::macros::cdb_struct;
use super::opcode::op;

cdb_struct! {
    /// START STOP UNIT, SBC-4 START STOP UNIT command.
    pub struct StartStopUnit {
        opcode: op::START_STOP_UNIT,
        service_action: None,
        len: 6,
        /// Byte 1 bits 7-1: reserved.
        reserved reserved_1: u8 = (1, 1, 1, 7),
        /// IMMED, byte 1 bit 0.
        field immed: bool = (1, 1, 0, 1),
        /// Byte 2: reserved.
        reserved reserved_2: u8 = (2, 1, 0, 8),
        /// Byte 3 bits 7-4: reserved.
        reserved reserved_3: u8 = (3, 1, 4, 4),
        /// POWER CONDITION MODIFIER, byte 3 bits 3-0.
        field power_condition_modifier: u8 = (3, 1, 0, 4),
        /// POWER CONDITION, byte 4 bits 7-4 (0 START_VALID; SBC-4 POWER
        /// CONDITION field table, several values reserved).
        field power_condition: u8 = (4, 1, 4, 4),
        /// Byte 4 bit 3: reserved.
        reserved reserved_4: bool = (4, 1, 3, 1),
        /// NO_FLUSH, byte 4 bit 2.
        field no_flush: bool = (4, 1, 2, 1),
        /// LOEJ, byte 4 bit 1: load or eject the medium.
        field loej: bool = (4, 1, 1, 1),
        /// START, byte 4 bit 0.
        field start: bool = (4, 1, 0, 1),
    }
}

cdb_struct! {
    /// PREVENT ALLOW MEDIUM REMOVAL, SBC-4 command of that name.
    pub struct PreventAllowMediumRemoval {
        opcode: op::PREVENT_ALLOW_MEDIUM_REMOVAL,
        service_action: None,
        len: 6,
        /// Bytes 1-3: reserved.
        reserved reserved_1: u32 = (1, 3, 0, 24),
        /// Byte 4 bits 7-2: reserved.
        reserved reserved_4: u8 = (4, 1, 2, 6),
        /// PREVENT, byte 4 bits 1-0 (00b allowed, 01b prevented; 10b and
        /// 11b obsolete).
        field prevent: u8 = (4, 1, 0, 2),
    }
}

field_enum! {
    /// SANITIZE service actions (SBC-4 SANITIZE service action codes table).
    pub enum SanitizeAction {
        /// 01h OVERWRITE.
        Overwrite = 0x01,
        /// 02h BLOCK ERASE.
        BlockErase = 0x02,
        /// 03h CRYPTOGRAPHIC ERASE.
        CryptographicErase = 0x03,
        /// 1Fh EXIT FAILURE MODE.
        ExitFailureMode = 0x1f,
    }
}

cdb_struct! {
    /// SANITIZE, SBC-4 SANITIZE command.
    pub struct Sanitize {
        opcode: op::SANITIZE,
        service_action: None,
        len: 10,
        /// IMMED, byte 1 bit 7.
        field immed: bool = (1, 1, 7, 1),
        /// Byte 1 bit 6: reserved.
        reserved reserved_1: bool = (1, 1, 6, 1),
        /// AUSE, byte 1 bit 5: allow unrestricted sanitize exit.
        field ause: bool = (1, 1, 5, 1),
        /// SERVICE ACTION, byte 1 bits 4-0.
        field service_action: SanitizeAction = (1, 1, 0, 5),
        /// Bytes 2-6: reserved.
        reserved reserved_2: u64 = (2, 5, 0, 40),
        /// PARAMETER LIST LENGTH, bytes 7-8.
        field parameter_list_length: u16 = (7, 2, 0, 16),
    }
}

cdb_struct! {
    /// READ DEFECT DATA (10), SBC-4 READ DEFECT DATA (10) command.
    pub struct ReadDefectData10 {
        opcode: op::READ_DEFECT_DATA_10,
        service_action: None,
        len: 10,
        /// Byte 1: reserved.
        reserved reserved_1: u8 = (1, 1, 0, 8),
        /// Byte 2 bits 7-5: reserved.
        reserved reserved_2: u8 = (2, 1, 5, 3),
        /// REQ_PLIST, byte 2 bit 4.
        field req_plist: bool = (2, 1, 4, 1),
        /// REQ_GLIST, byte 2 bit 3.
        field req_glist: bool = (2, 1, 3, 1),
        /// DEFECT LIST FORMAT, byte 2 bits 2-0.
        field defect_list_format: u8 = (2, 1, 0, 3),
        /// Bytes 3-6: reserved.
        reserved reserved_3: u32 = (3, 4, 0, 32),
        /// ALLOCATION LENGTH, bytes 7-8.
        field allocation_length: u16 = (7, 2, 0, 16),
    }
}

cdb_struct! {
    /// READ DEFECT DATA (12), SBC-4 READ DEFECT DATA (12) command.
    pub struct ReadDefectData12 {
        opcode: op::READ_DEFECT_DATA_12,
        service_action: None,
        len: 12,
        /// Byte 1 bits 7-5: reserved.
        reserved reserved_1: u8 = (1, 1, 5, 3),
        /// REQ_PLIST, byte 1 bit 4.
        field req_plist: bool = (1, 1, 4, 1),
        /// REQ_GLIST, byte 1 bit 3.
        field req_glist: bool = (1, 1, 3, 1),
        /// DEFECT LIST FORMAT, byte 1 bits 2-0.
        field defect_list_format: u8 = (1, 1, 0, 3),
        /// ADDRESS DESCRIPTOR INDEX, bytes 2-5.
        field address_descriptor_index: u32 = (2, 4, 0, 32),
        /// ALLOCATION LENGTH, bytes 6-9.
        field allocation_length: u32 = (6, 4, 0, 32),
        /// Byte 10: reserved.
        reserved reserved_10: u8 = (10, 1, 0, 8),
    }
}

cdb_struct! {
    /// FORMAT UNIT, SBC-4 FORMAT UNIT command.
    pub struct FormatUnit {
        opcode: op::FORMAT_UNIT,
        service_action: None,
        len: 6,
        /// FMTPINFO, byte 1 bits 7-6.
        field fmtpinfo: u8 = (1, 1, 6, 2),
        /// LONGLIST, byte 1 bit 5.
        field longlist: bool = (1, 1, 5, 1),
        /// FMTDATA, byte 1 bit 4: a parameter list follows.
        field fmtdata: bool = (1, 1, 4, 1),
        /// CMPLST, byte 1 bit 3.
        field cmplst: bool = (1, 1, 3, 1),
        /// DEFECT LIST FORMAT, byte 1 bits 2-0.
        field defect_list_format: u8 = (1, 1, 0, 3),
        /// Byte 2: vendor specific.
        field vendor_specific: u8 = (2, 1, 0, 8),
        /// Byte 3: obsolete (once INTERLEAVE).
        field obsolete_3: u8 = (3, 1, 0, 8),
        /// Byte 4 bits 7-2: reserved.
        reserved reserved_4: u8 = (4, 1, 2, 6),
        /// FFMT, byte 4 bits 1-0: fast format.
        field ffmt: u8 = (4, 1, 0, 2),
    }
}
