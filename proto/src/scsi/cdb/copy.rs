//! Third-party copy: EXTENDED COPY (LID1), operation code 0x83 service action
//! 0x00, and RECEIVE COPY RESULTS, operation code 0x84 (SPC-5 and SPC-4,
//! clauses EXTENDED COPY (LID1) and RECEIVE COPY RESULTS).

use super::field::field_enum;
use super::macros::cdb_struct;
use super::opcode::{op, sa};

cdb_struct! {
    /// EXTENDED COPY (LID1), the third-party copy out service action 0x00.
    pub struct ExtendedCopy {
        opcode: op::EXTENDED_COPY,
        service_action: Some(sa::EXTENDED_COPY_LID1),
        len: 16,
        /// Byte 1 bits 7-5: reserved.
        reserved reserved_1: u8 = (1, 1, 5, 3),
        /// Bytes 2-9: reserved.
        reserved reserved_2: u64 = (2, 8, 0, 64),
        /// PARAMETER LIST LENGTH, bytes 10-13.
        field parameter_list_length: u32 = (10, 4, 0, 32),
        /// Byte 14: reserved.
        reserved reserved_14: u8 = (14, 1, 0, 8),
    }
}

field_enum! {
    /// RECEIVE COPY RESULTS service actions of the LID1 family (SPC-4
    /// RECEIVE COPY RESULTS service action codes table).
    pub enum CopyResultsAction {
        /// 00h COPY STATUS.
        CopyStatus = 0x00,
        /// 01h RECEIVE DATA.
        ReceiveData = 0x01,
        /// 03h OPERATING PARAMETERS.
        OperatingParameters = 0x03,
        /// 04h FAILED SEGMENT DETAILS.
        FailedSegmentDetails = 0x04,
    }
}

cdb_struct! {
    /// RECEIVE COPY RESULTS (LID1 service actions), operation code 0x84.
    pub struct ReceiveCopyResults {
        opcode: op::RECEIVE_COPY_RESULTS,
        service_action: None,
        len: 16,
        /// Byte 1 bits 7-5: reserved.
        reserved reserved_1: u8 = (1, 1, 5, 3),
        /// SERVICE ACTION, byte 1 bits 4-0.
        field service_action: CopyResultsAction = (1, 1, 0, 5),
        /// LIST IDENTIFIER, byte 2.
        field list_identifier: u8 = (2, 1, 0, 8),
        /// Bytes 3-9: reserved.
        reserved reserved_3: u64 = (3, 7, 0, 56),
        /// ALLOCATION LENGTH, bytes 10-13.
        field allocation_length: u32 = (10, 4, 0, 32),
        /// Byte 14: reserved.
        reserved reserved_14: u8 = (14, 1, 0, 8),
    }
}
