//! MODE SENSE (6) and (10), MODE SELECT (6) and (10) (SPC-5, clauses of the
//! same names).

use super::field::FieldValue;
use super::macros::cdb_struct;
use super::opcode::op;

/// PC, the page control field of MODE SENSE (SPC-5 MODE SENSE (6), page
/// control table). All four values are defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum PageControl {
    /// 00b: current values.
    #[default]
    Current,
    /// 01b: changeable values (a mask).
    Changeable,
    /// 10b: default values.
    Default,
    /// 11b: saved values (a device without saved pages answers SAVING
    /// PARAMETERS NOT SUPPORTED).
    Saved,
}

impl FieldValue for PageControl {
    fn from_raw(raw: u64) -> Self {
        match raw & 3 {
            0 => PageControl::Current,
            1 => PageControl::Changeable,
            2 => PageControl::Default,
            _ => PageControl::Saved,
        }
    }
    fn to_raw(&self) -> u64 {
        *self as u64
    }
}

cdb_struct! {
    /// MODE SENSE (6), SPC-5 MODE SENSE (6) command. PAGE CODE 0x3f with
    /// SUBPAGE CODE 0x00 or 0xff asks for all pages.
    pub struct ModeSense6 {
        opcode: op::MODE_SENSE_6,
        service_action: None,
        len: 6,
        /// Byte 1 bits 7-4: reserved.
        reserved reserved_1_hi: u8 = (1, 1, 4, 4),
        /// DBD, byte 1 bit 3: disable block descriptors.
        field dbd: bool = (1, 1, 3, 1),
        /// Byte 1 bits 2-0: reserved.
        reserved reserved_1_lo: u8 = (1, 1, 0, 3),
        /// PC, byte 2 bits 7-6.
        field pc: PageControl = (2, 1, 6, 2),
        /// PAGE CODE, byte 2 bits 5-0.
        field page_code: u8 = (2, 1, 0, 6),
        /// SUBPAGE CODE, byte 3.
        field subpage_code: u8 = (3, 1, 0, 8),
        /// ALLOCATION LENGTH, byte 4.
        field allocation_length: u8 = (4, 1, 0, 8),
    }
}

cdb_struct! {
    /// MODE SENSE (10), SPC-5 MODE SENSE (10) command.
    pub struct ModeSense10 {
        opcode: op::MODE_SENSE_10,
        service_action: None,
        len: 10,
        /// Byte 1 bits 7-5: reserved.
        reserved reserved_1_hi: u8 = (1, 1, 5, 3),
        /// LLBAA, byte 1 bit 4: long LBA block descriptors accepted.
        field llbaa: bool = (1, 1, 4, 1),
        /// DBD, byte 1 bit 3.
        field dbd: bool = (1, 1, 3, 1),
        /// Byte 1 bits 2-0: reserved.
        reserved reserved_1_lo: u8 = (1, 1, 0, 3),
        /// PC, byte 2 bits 7-6.
        field pc: PageControl = (2, 1, 6, 2),
        /// PAGE CODE, byte 2 bits 5-0.
        field page_code: u8 = (2, 1, 0, 6),
        /// SUBPAGE CODE, byte 3.
        field subpage_code: u8 = (3, 1, 0, 8),
        /// Bytes 4-6: reserved.
        reserved reserved_4: u32 = (4, 3, 0, 24),
        /// ALLOCATION LENGTH, bytes 7-8.
        field allocation_length: u16 = (7, 2, 0, 16),
    }
}

cdb_struct! {
    /// MODE SELECT (6), SPC-5 MODE SELECT (6) command.
    pub struct ModeSelect6 {
        opcode: op::MODE_SELECT_6,
        service_action: None,
        len: 6,
        /// Byte 1 bits 7-5: reserved.
        reserved reserved_1_hi: u8 = (1, 1, 5, 3),
        /// PF, byte 1 bit 4: pages follow the standard page format.
        field pf: bool = (1, 1, 4, 1),
        /// Byte 1 bits 3-2: reserved.
        reserved reserved_1_lo: u8 = (1, 1, 2, 2),
        /// RTD, byte 1 bit 1: revert to defaults.
        field rtd: bool = (1, 1, 1, 1),
        /// SP, byte 1 bit 0: save pages.
        field sp: bool = (1, 1, 0, 1),
        /// Bytes 2-3: reserved.
        reserved reserved_2: u16 = (2, 2, 0, 16),
        /// PARAMETER LIST LENGTH, byte 4.
        field parameter_list_length: u8 = (4, 1, 0, 8),
    }
}

cdb_struct! {
    /// MODE SELECT (10), SPC-5 MODE SELECT (10) command.
    pub struct ModeSelect10 {
        opcode: op::MODE_SELECT_10,
        service_action: None,
        len: 10,
        /// Byte 1 bits 7-5: reserved.
        reserved reserved_1_hi: u8 = (1, 1, 5, 3),
        /// PF, byte 1 bit 4.
        field pf: bool = (1, 1, 4, 1),
        /// Byte 1 bits 3-2: reserved.
        reserved reserved_1_lo: u8 = (1, 1, 2, 2),
        /// RTD, byte 1 bit 1.
        field rtd: bool = (1, 1, 1, 1),
        /// SP, byte 1 bit 0.
        field sp: bool = (1, 1, 0, 1),
        /// Bytes 2-6: reserved.
        reserved reserved_2: u64 = (2, 5, 0, 40),
        /// PARAMETER LIST LENGTH, bytes 7-8.
        field parameter_list_length: u16 = (7, 2, 0, 16),
    }
}
