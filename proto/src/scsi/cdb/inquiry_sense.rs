//! TEST UNIT READY, REQUEST SENSE, INQUIRY and REPORT LUNS (SPC-5, clauses
//! of the same names).

use super::macros::cdb_struct;
use super::opcode::op;

cdb_struct! {
    /// TEST UNIT READY, SPC-5 TEST UNIT READY command.
    pub struct TestUnitReady {
        opcode: op::TEST_UNIT_READY,
        service_action: None,
        len: 6,
        /// Bytes 1-4: reserved.
        reserved reserved_1: u32 = (1, 4, 0, 32),
    }
}

cdb_struct! {
    /// REQUEST SENSE, SPC-5 REQUEST SENSE command.
    pub struct RequestSense {
        opcode: op::REQUEST_SENSE,
        service_action: None,
        len: 6,
        /// Byte 1 bits 7-1: reserved.
        reserved reserved_1: u8 = (1, 1, 1, 7),
        /// DESC, byte 1 bit 0: descriptor format sense data wanted.
        field desc: bool = (1, 1, 0, 1),
        /// Bytes 2-3: reserved.
        reserved reserved_2: u16 = (2, 2, 0, 16),
        /// ALLOCATION LENGTH, byte 4.
        field allocation_length: u8 = (4, 1, 0, 8),
    }
}

cdb_struct! {
    /// INQUIRY, SPC-5 INQUIRY command. With EVPD zero a PAGE CODE other than
    /// zero is invalid (the device answers INVALID FIELD IN CDB at byte 2).
    pub struct Inquiry {
        opcode: op::INQUIRY,
        service_action: None,
        len: 6,
        /// Byte 1 bits 7-2: reserved.
        reserved reserved_1: u8 = (1, 1, 2, 6),
        /// Byte 1 bit 1: obsolete (once CMDDT); devices reject it set.
        field obsolete_cmddt: bool = (1, 1, 1, 1),
        /// EVPD, byte 1 bit 0: return the vital product data page PAGE CODE.
        field evpd: bool = (1, 1, 0, 1),
        /// PAGE CODE, byte 2.
        field page_code: u8 = (2, 1, 0, 8),
        /// ALLOCATION LENGTH, bytes 3-4.
        field allocation_length: u16 = (3, 2, 0, 16),
    }
}

/// SELECT REPORT values of REPORT LUNS (SPC-5 REPORT LUNS, SELECT REPORT
/// field table); other values are reserved.
pub mod select_report {
    #![allow(missing_docs)]
    pub const LOGICAL_UNITS: u8 = 0x00;
    pub const WELL_KNOWN: u8 = 0x01;
    pub const ALL: u8 = 0x02;
    pub const ADMINISTRATIVE: u8 = 0x10;
    pub const SUBSIDIARY_OF_ADMINISTRATIVE: u8 = 0x11;
    pub const SUBSIDIARY_OF_GIVEN: u8 = 0x12;
}

cdb_struct! {
    /// REPORT LUNS, SPC-5 REPORT LUNS command.
    pub struct ReportLuns {
        opcode: op::REPORT_LUNS,
        service_action: None,
        len: 12,
        /// Byte 1: reserved.
        reserved reserved_1: u8 = (1, 1, 0, 8),
        /// SELECT REPORT, byte 2 (see [`select_report`]).
        field select_report: u8 = (2, 1, 0, 8),
        /// Bytes 3-5: reserved.
        reserved reserved_3: u32 = (3, 3, 0, 24),
        /// ALLOCATION LENGTH, bytes 6-9 (SPC-5: less than 16 is invalid).
        field allocation_length: u32 = (6, 4, 0, 32),
        /// Byte 10: reserved.
        reserved reserved_10: u8 = (10, 1, 0, 8),
    }
}
