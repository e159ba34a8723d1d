//! READ CAPACITY (10) and (16), GET LBA STATUS, SYNCHRONIZE CACHE (10) and
//! (16), PRE-FETCH (10) and (16) (SBC-4, clauses of the same names).

use super::macros::cdb_struct;
use super::opcode::{op, sa};

cdb_struct! {
    /// READ CAPACITY (10), SBC-4 READ CAPACITY (10) command.
    pub struct ReadCapacity10 {
        opcode: op::READ_CAPACITY_10,
        service_action: None,
        len: 10,
        /// Byte 1 bits 7-1: reserved.
        reserved reserved_1: u8 = (1, 1, 1, 7),
        /// Byte 1 bit 0: obsolete (once RELADR).
        field obsolete_1_0: bool = (1, 1, 0, 1),
        /// Bytes 2-5: obsolete (once LOGICAL BLOCK ADDRESS, used with PMI).
        field obsolete_lba: u32 = (2, 4, 0, 32),
        /// Bytes 6-7: reserved.
        reserved reserved_6: u16 = (6, 2, 0, 16),
        /// Byte 8 bits 7-1: reserved.
        reserved reserved_8: u8 = (8, 1, 1, 7),
        /// Byte 8 bit 0: obsolete (once PMI).
        field obsolete_pmi: bool = (8, 1, 0, 1),
    }
}

cdb_struct! {
    /// READ CAPACITY (16), SERVICE ACTION IN (16) service action 0x10
    /// (SBC-4 READ CAPACITY (16) command).
    pub struct ReadCapacity16 {
        opcode: op::SERVICE_ACTION_IN_16,
        service_action: Some(sa::READ_CAPACITY_16),
        len: 16,
        /// Byte 1 bits 7-5: reserved.
        reserved reserved_1: u8 = (1, 1, 5, 3),
        /// Bytes 2-9: obsolete (once LOGICAL BLOCK ADDRESS).
        field obsolete_lba: u64 = (2, 8, 0, 64),
        /// ALLOCATION LENGTH, bytes 10-13.
        field allocation_length: u32 = (10, 4, 0, 32),
        /// Byte 14 bits 7-1: reserved.
        reserved reserved_14: u8 = (14, 1, 1, 7),
        /// Byte 14 bit 0: obsolete (once PMI).
        field obsolete_pmi: bool = (14, 1, 0, 1),
    }
}

cdb_struct! {
    /// GET LBA STATUS, SERVICE ACTION IN (16) service action 0x12 (SBC-4
    /// GET LBA STATUS command).
    pub struct GetLbaStatus {
        opcode: op::SERVICE_ACTION_IN_16,
        service_action: Some(sa::GET_LBA_STATUS),
        len: 16,
        /// Byte 1 bits 7-5: reserved.
        reserved reserved_1: u8 = (1, 1, 5, 3),
        /// STARTING LOGICAL BLOCK ADDRESS, bytes 2-9.
        field lba: u64 = (2, 8, 0, 64),
        /// ALLOCATION LENGTH, bytes 10-13.
        field allocation_length: u32 = (10, 4, 0, 32),
        /// Byte 14 bits 7-2: reserved.
        reserved reserved_14: u8 = (14, 1, 2, 6),
        /// REPORT TYPE, byte 14 bits 1-0 (0 all, 1 non-zero, 2 mapped, 3
        /// unmapped; SBC-4 REPORT TYPE field table).
        field report_type: u8 = (14, 1, 0, 2),
    }
}

cdb_struct! {
    /// SYNCHRONIZE CACHE (10), SBC-4 SYNCHRONIZE CACHE (10) command. NUMBER
    /// OF LOGICAL BLOCKS zero means through the last LBA.
    pub struct SynchronizeCache10 {
        opcode: op::SYNCHRONIZE_CACHE_10,
        service_action: None,
        len: 10,
        /// Byte 1 bits 7-3: reserved.
        reserved reserved_1: u8 = (1, 1, 3, 5),
        /// Byte 1 bit 2: obsolete (once SYNC_NV).
        field obsolete_1_2: bool = (1, 1, 2, 1),
        /// IMMED, byte 1 bit 1.
        field immed: bool = (1, 1, 1, 1),
        /// Byte 1 bit 0: obsolete.
        field obsolete_1_0: bool = (1, 1, 0, 1),
        /// LOGICAL BLOCK ADDRESS, bytes 2-5.
        field lba: u32 = (2, 4, 0, 32),
        /// Byte 6 bits 7-6: reserved.
        reserved reserved_6: u8 = (6, 1, 6, 2),
        /// GROUP NUMBER, byte 6 bits 5-0.
        field group_number: u8 = (6, 1, 0, 6),
        /// NUMBER OF LOGICAL BLOCKS, bytes 7-8.
        field number_of_blocks: u16 = (7, 2, 0, 16),
    }
}

cdb_struct! {
    /// SYNCHRONIZE CACHE (16), SBC-4 SYNCHRONIZE CACHE (16) command.
    pub struct SynchronizeCache16 {
        opcode: op::SYNCHRONIZE_CACHE_16,
        service_action: None,
        len: 16,
        /// Byte 1 bits 7-3: reserved.
        reserved reserved_1: u8 = (1, 1, 3, 5),
        /// Byte 1 bit 2: obsolete (once SYNC_NV).
        field obsolete_1_2: bool = (1, 1, 2, 1),
        /// IMMED, byte 1 bit 1.
        field immed: bool = (1, 1, 1, 1),
        /// Byte 1 bit 0: obsolete.
        field obsolete_1_0: bool = (1, 1, 0, 1),
        /// LOGICAL BLOCK ADDRESS, bytes 2-9.
        field lba: u64 = (2, 8, 0, 64),
        /// NUMBER OF LOGICAL BLOCKS, bytes 10-13.
        field number_of_blocks: u32 = (10, 4, 0, 32),
        /// Byte 14 bits 7-6: reserved.
        reserved reserved_14: u8 = (14, 1, 6, 2),
        /// GROUP NUMBER, byte 14 bits 5-0.
        field group_number: u8 = (14, 1, 0, 6),
    }
}

cdb_struct! {
    /// PRE-FETCH (10), SBC-4 PRE-FETCH (10) command. PREFETCH LENGTH zero
    /// means through the last LBA.
    pub struct PreFetch10 {
        opcode: op::PRE_FETCH_10,
        service_action: None,
        len: 10,
        /// Byte 1 bits 7-2: reserved.
        reserved reserved_1: u8 = (1, 1, 2, 6),
        /// IMMED, byte 1 bit 1.
        field immed: bool = (1, 1, 1, 1),
        /// Byte 1 bit 0: obsolete.
        field obsolete_1_0: bool = (1, 1, 0, 1),
        /// LOGICAL BLOCK ADDRESS, bytes 2-5.
        field lba: u32 = (2, 4, 0, 32),
        /// Byte 6 bits 7-6: reserved.
        reserved reserved_6: u8 = (6, 1, 6, 2),
        /// GROUP NUMBER, byte 6 bits 5-0.
        field group_number: u8 = (6, 1, 0, 6),
        /// PREFETCH LENGTH, bytes 7-8.
        field prefetch_length: u16 = (7, 2, 0, 16),
    }
}

cdb_struct! {
    /// PRE-FETCH (16), SBC-4 PRE-FETCH (16) command.
    pub struct PreFetch16 {
        opcode: op::PRE_FETCH_16,
        service_action: None,
        len: 16,
        /// Byte 1 bits 7-2: reserved.
        reserved reserved_1: u8 = (1, 1, 2, 6),
        /// IMMED, byte 1 bit 1.
        field immed: bool = (1, 1, 1, 1),
        /// Byte 1 bit 0: obsolete.
        field obsolete_1_0: bool = (1, 1, 0, 1),
        /// LOGICAL BLOCK ADDRESS, bytes 2-9.
        field lba: u64 = (2, 8, 0, 64),
        /// PREFETCH LENGTH, bytes 10-13.
        field prefetch_length: u32 = (10, 4, 0, 32),
        /// Byte 14 bits 7-6: reserved.
        reserved reserved_14: u8 = (14, 1, 6, 2),
        /// GROUP NUMBER, byte 14 bits 5-0.
        field group_number: u8 = (14, 1, 0, 6),
    }
}
