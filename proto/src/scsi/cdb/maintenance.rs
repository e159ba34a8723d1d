//! MAINTENANCE IN (0xa3) service actions: REPORT TARGET PORT GROUPS, REPORT
//! SUPPORTED OPERATION CODES, REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS
//! (SPC-5, clauses of the same names).

use super::macros::cdb_struct;
use super::opcode::{op, sa};

cdb_struct! {
    /// REPORT TARGET PORT GROUPS, SPC-5 REPORT TARGET PORT GROUPS command.
    pub struct ReportTargetPortGroups {
        opcode: op::MAINTENANCE_IN,
        service_action: Some(sa::REPORT_TARGET_PORT_GROUPS),
        len: 12,
        /// PARAMETER DATA FORMAT, byte 1 bits 7-5 (000b length only, 001b
        /// extended header; others reserved).
        field parameter_data_format: u8 = (1, 1, 5, 3),
        /// Bytes 2-5: reserved.
        reserved reserved_2: u32 = (2, 4, 0, 32),
        /// ALLOCATION LENGTH, bytes 6-9.
        field allocation_length: u32 = (6, 4, 0, 32),
        /// Byte 10: reserved.
        reserved reserved_10: u8 = (10, 1, 0, 8),
    }
}

/// REPORTING OPTIONS of REPORT SUPPORTED OPERATION CODES (SPC-5, reporting
/// options table); 100b-111b are reserved.
pub mod reporting_options {
    #![allow(missing_docs)]
    /// All commands, in the all_commands parameter data format.
    pub const ALL: u8 = 0b000;
    /// One command by operation code; it must have no service actions.
    pub const OPCODE: u8 = 0b001;
    /// One command by operation code and service action.
    pub const OPCODE_AND_SERVICE_ACTION: u8 = 0b010;
    /// One command by operation code, with or without service action.
    pub const OPCODE_MAYBE_SERVICE_ACTION: u8 = 0b011;
}

cdb_struct! {
    /// REPORT SUPPORTED OPERATION CODES, SPC-5 REPORT SUPPORTED OPERATION
    /// CODES command.
    pub struct ReportSupportedOperationCodes {
        opcode: op::MAINTENANCE_IN,
        service_action: Some(sa::REPORT_SUPPORTED_OPERATION_CODES),
        len: 12,
        /// Byte 1 bits 7-5: reserved.
        reserved reserved_1: u8 = (1, 1, 5, 3),
        /// RCTD, byte 2 bit 7: return command timeouts descriptors.
        field rctd: bool = (2, 1, 7, 1),
        /// Byte 2 bits 6-3: reserved.
        reserved reserved_2: u8 = (2, 1, 3, 4),
        /// REPORTING OPTIONS, byte 2 bits 2-0 (see [`reporting_options`]).
        field reporting_options: u8 = (2, 1, 0, 3),
        /// REQUESTED OPERATION CODE, byte 3.
        field requested_opcode: u8 = (3, 1, 0, 8),
        /// REQUESTED SERVICE ACTION, bytes 4-5.
        field requested_service_action: u16 = (4, 2, 0, 16),
        /// ALLOCATION LENGTH, bytes 6-9.
        field allocation_length: u32 = (6, 4, 0, 32),
        /// Byte 10: reserved.
        reserved reserved_10: u8 = (10, 1, 0, 8),
    }
}

cdb_struct! {
    /// REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS, SPC-5 command of that name.
    pub struct ReportSupportedTaskManagementFunctions {
        opcode: op::MAINTENANCE_IN,
        service_action: Some(sa::REPORT_SUPPORTED_TASK_MANAGEMENT_FUNCTIONS),
        len: 12,
        /// Byte 1 bits 7-5: reserved.
        reserved reserved_1: u8 = (1, 1, 5, 3),
        /// REPD, byte 2 bit 7: return extended parameter data.
        field repd: bool = (2, 1, 7, 1),
        /// Byte 2 bits 6-0: reserved.
        reserved reserved_2: u8 = (2, 1, 0, 7),
        /// Bytes 3-5: reserved.
        reserved reserved_3: u32 = (3, 3, 0, 24),
        /// ALLOCATION LENGTH, bytes 6-9.
        field allocation_length: u32 = (6, 4, 0, 32),
        /// Byte 10: reserved.
        reserved reserved_10: u8 = (10, 1, 0, 8),
    }
}
