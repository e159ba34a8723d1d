//! PERSISTENT RESERVE IN and OUT (SPC-5), and the SPC-2 RESERVE and RELEASE
//! (6) and (10) commands that SPC-3 made obsolete but initiators still send.

use super::field::field_enum;
use super::macros::cdb_struct;
use super::opcode::op;

field_enum! {
    /// PERSISTENT RESERVE IN service actions (SPC-5 PERSISTENT RESERVE IN
    /// service action codes table).
    pub enum PrInAction {
        /// 00h READ KEYS.
        ReadKeys = 0x00,
        /// 01h READ RESERVATION.
        ReadReservation = 0x01,
        /// 02h REPORT CAPABILITIES.
        ReportCapabilities = 0x02,
        /// 03h READ FULL STATUS.
        ReadFullStatus = 0x03,
    }
}

field_enum! {
    /// PERSISTENT RESERVE OUT service actions (SPC-5 PERSISTENT RESERVE OUT
    /// service action codes table).
    pub enum PrOutAction {
        /// 00h REGISTER.
        Register = 0x00,
        /// 01h RESERVE.
        Reserve = 0x01,
        /// 02h RELEASE.
        Release = 0x02,
        /// 03h CLEAR.
        Clear = 0x03,
        /// 04h PREEMPT.
        Preempt = 0x04,
        /// 05h PREEMPT AND ABORT.
        PreemptAndAbort = 0x05,
        /// 06h REGISTER AND IGNORE EXISTING KEY.
        RegisterAndIgnoreExistingKey = 0x06,
        /// 07h REGISTER AND MOVE.
        RegisterAndMove = 0x07,
        /// 08h REPLACE LOST RESERVATION.
        ReplaceLostReservation = 0x08,
    }
}

/// PERSISTENT RESERVE OUT TYPE values (SPC-5 persistent reservation type
/// codes table); 0, 2, 4 and 9-15 are reserved or obsolete.
pub mod pr_type {
    #![allow(missing_docs)]
    pub const WRITE_EXCLUSIVE: u8 = 0x1;
    pub const EXCLUSIVE_ACCESS: u8 = 0x3;
    pub const WRITE_EXCLUSIVE_REGISTRANTS_ONLY: u8 = 0x5;
    pub const EXCLUSIVE_ACCESS_REGISTRANTS_ONLY: u8 = 0x6;
    pub const WRITE_EXCLUSIVE_ALL_REGISTRANTS: u8 = 0x7;
    pub const EXCLUSIVE_ACCESS_ALL_REGISTRANTS: u8 = 0x8;
    /// SCOPE LU_SCOPE, the only scope SPC-5 leaves defined.
    pub const LU_SCOPE: u8 = 0x0;
}

cdb_struct! {
    /// PERSISTENT RESERVE IN, SPC-5 PERSISTENT RESERVE IN command.
    pub struct PersistentReserveIn {
        opcode: op::PERSISTENT_RESERVE_IN,
        service_action: None,
        len: 10,
        /// Byte 1 bits 7-5: reserved.
        reserved reserved_1: u8 = (1, 1, 5, 3),
        /// SERVICE ACTION, byte 1 bits 4-0.
        field service_action: PrInAction = (1, 1, 0, 5),
        /// Bytes 2-6: reserved.
        reserved reserved_2: u64 = (2, 5, 0, 40),
        /// ALLOCATION LENGTH, bytes 7-8.
        field allocation_length: u16 = (7, 2, 0, 16),
    }
}

cdb_struct! {
    /// PERSISTENT RESERVE OUT, SPC-5 PERSISTENT RESERVE OUT command.
    pub struct PersistentReserveOut {
        opcode: op::PERSISTENT_RESERVE_OUT,
        service_action: None,
        len: 10,
        /// Byte 1 bits 7-5: reserved.
        reserved reserved_1: u8 = (1, 1, 5, 3),
        /// SERVICE ACTION, byte 1 bits 4-0.
        field service_action: PrOutAction = (1, 1, 0, 5),
        /// SCOPE, byte 2 bits 7-4 (see [`pr_type::LU_SCOPE`]).
        field scope: u8 = (2, 1, 4, 4),
        /// TYPE, byte 2 bits 3-0 (see [`pr_type`]).
        field pr_type: u8 = (2, 1, 0, 4),
        /// Bytes 3-4: reserved.
        reserved reserved_3: u16 = (3, 2, 0, 16),
        /// PARAMETER LIST LENGTH, bytes 5-8.
        field parameter_list_length: u32 = (5, 4, 0, 32),
    }
}

macro_rules! reserve6 {
    ($name:ident, $op:expr, $doc:literal) => {
        cdb_struct! {
            #[doc = $doc]
            pub struct $name {
                opcode: $op,
                service_action: None,
                len: 6,
                /// Byte 1 bits 7-5: reserved (once the LUN).
                reserved reserved_1: u8 = (1, 1, 5, 3),
                /// Byte 1 bits 4-0: obsolete (third-party and extent fields).
                field obsolete_1: u8 = (1, 1, 0, 5),
                /// Byte 2: obsolete (once RESERVATION IDENTIFICATION).
                field obsolete_2: u8 = (2, 1, 0, 8),
                /// Bytes 3-4: obsolete (once EXTENT LIST LENGTH).
                field obsolete_3: u16 = (3, 2, 0, 16),
            }
        }
    };
}

reserve6!(
    Reserve6,
    op::RESERVE_6,
    "RESERVE (6), SPC-2 RESERVE (6) command."
);
reserve6!(
    Release6,
    op::RELEASE_6,
    "RELEASE (6), SPC-2 RELEASE (6) command."
);

macro_rules! reserve10 {
    ($name:ident, $op:expr, $doc:literal) => {
        cdb_struct! {
            #[doc = $doc]
            pub struct $name {
                opcode: $op,
                service_action: None,
                len: 10,
                /// Byte 1 bits 7-5: reserved.
                reserved reserved_1_hi: u8 = (1, 1, 5, 3),
                /// 3RDPTY, byte 1 bit 4: third-party reservation.
                field third_party: bool = (1, 1, 4, 1),
                /// Byte 1 bits 3-2: reserved.
                reserved reserved_1_mid: u8 = (1, 1, 2, 2),
                /// LONGID, byte 1 bit 1: the device ID comes as parameter data.
                field long_id: bool = (1, 1, 1, 1),
                /// Byte 1 bit 0: obsolete (once EXTENT).
                field obsolete_1_0: bool = (1, 1, 0, 1),
                /// Byte 2: obsolete (once RESERVATION IDENTIFICATION).
                field obsolete_2: u8 = (2, 1, 0, 8),
                /// THIRD PARTY DEVICE ID, byte 3.
                field third_party_device_id: u8 = (3, 1, 0, 8),
                /// Bytes 4-6: reserved.
                reserved reserved_4: u32 = (4, 3, 0, 24),
                /// PARAMETER LIST LENGTH, bytes 7-8.
                field parameter_list_length: u16 = (7, 2, 0, 16),
            }
        }
    };
}

reserve10!(
    Reserve10,
    op::RESERVE_10,
    "RESERVE (10), SPC-2 RESERVE (10) command."
);
reserve10!(
    Release10,
    op::RELEASE_10,
    "RELEASE (10), SPC-2 RELEASE (10) command."
);
