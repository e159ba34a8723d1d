//! WRITE SAME (10) and (16), UNMAP, COMPARE AND WRITE, ORWRITE (16) and
//! WRITE ATOMIC (16) (SBC-4, one clause each).

use super::macros::cdb_struct;
use super::opcode::op;

cdb_struct! {
    /// WRITE SAME (10), SBC-4 WRITE SAME (10) command. NUMBER OF LOGICAL
    /// BLOCKS zero means through the last LBA (unless the Block Limits VPD
    /// page sets WSNZ, in which case the device rejects it).
    pub struct WriteSame10 {
        opcode: op::WRITE_SAME_10,
        service_action: None,
        len: 10,
        /// WRPROTECT, byte 1 bits 7-5.
        field wrprotect: u8 = (1, 1, 5, 3),
        /// ANCHOR, byte 1 bit 4.
        field anchor: bool = (1, 1, 4, 1),
        /// UNMAP, byte 1 bit 3.
        field unmap: bool = (1, 1, 3, 1),
        /// Byte 1 bit 2: obsolete (once PBDATA).
        field obsolete_1_2: bool = (1, 1, 2, 1),
        /// Byte 1 bit 1: obsolete (once LBDATA).
        field obsolete_1_1: bool = (1, 1, 1, 1),
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
    /// WRITE SAME (16), SBC-4 WRITE SAME (16) command. With NDOB set no
    /// Data-Out block is sent and zeros are written.
    pub struct WriteSame16 {
        opcode: op::WRITE_SAME_16,
        service_action: None,
        len: 16,
        /// WRPROTECT, byte 1 bits 7-5.
        field wrprotect: u8 = (1, 1, 5, 3),
        /// ANCHOR, byte 1 bit 4.
        field anchor: bool = (1, 1, 4, 1),
        /// UNMAP, byte 1 bit 3.
        field unmap: bool = (1, 1, 3, 1),
        /// Byte 1 bit 2: obsolete.
        field obsolete_1_2: bool = (1, 1, 2, 1),
        /// Byte 1 bit 1: obsolete.
        field obsolete_1_1: bool = (1, 1, 1, 1),
        /// NDOB (no Data-Out buffer), byte 1 bit 0.
        field ndob: bool = (1, 1, 0, 1),
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
    /// UNMAP, SBC-4 UNMAP command; the block descriptors come as Data-Out.
    pub struct Unmap {
        opcode: op::UNMAP,
        service_action: None,
        len: 10,
        /// Byte 1 bits 7-1: reserved.
        reserved reserved_1: u8 = (1, 1, 1, 7),
        /// ANCHOR, byte 1 bit 0.
        field anchor: bool = (1, 1, 0, 1),
        /// Bytes 2-5: reserved.
        reserved reserved_2: u32 = (2, 4, 0, 32),
        /// Byte 6 bits 7-6: reserved.
        reserved reserved_6: u8 = (6, 1, 6, 2),
        /// GROUP NUMBER, byte 6 bits 5-0.
        field group_number: u8 = (6, 1, 0, 6),
        /// PARAMETER LIST LENGTH, bytes 7-8.
        field parameter_list_length: u16 = (7, 2, 0, 16),
    }
}

cdb_struct! {
    /// COMPARE AND WRITE, SBC-4 COMPARE AND WRITE command: the Data-Out
    /// carries twice NUMBER OF LOGICAL BLOCKS blocks (verify, then write).
    pub struct CompareAndWrite {
        opcode: op::COMPARE_AND_WRITE,
        service_action: None,
        len: 16,
        protection: wrprotect,
        /// FUA, byte 1 bit 3.
        field fua: bool = (1, 1, 3, 1),
        /// Byte 1 bit 2: reserved.
        reserved reserved_1_2: bool = (1, 1, 2, 1),
        /// Byte 1 bit 1: obsolete (once FUA_NV).
        field obsolete_1_1: bool = (1, 1, 1, 1),
        /// Byte 1 bit 0: reserved.
        reserved reserved_1_0: bool = (1, 1, 0, 1),
        /// LOGICAL BLOCK ADDRESS, bytes 2-9.
        field lba: u64 = (2, 8, 0, 64),
        /// Bytes 10-12: reserved.
        reserved reserved_10: u32 = (10, 3, 0, 24),
        /// NUMBER OF LOGICAL BLOCKS, byte 13.
        field number_of_blocks: u8 = (13, 1, 0, 8),
        /// Byte 14 bits 7-6: reserved.
        reserved reserved_14: u8 = (14, 1, 6, 2),
        /// GROUP NUMBER, byte 14 bits 5-0.
        field group_number: u8 = (14, 1, 0, 6),
    }
}

cdb_struct! {
    /// ORWRITE (16), SBC-4 ORWRITE (16) command.
    pub struct OrWrite16 {
        opcode: op::ORWRITE_16,
        service_action: None,
        len: 16,
        protection: orprotect,
        /// FUA, byte 1 bit 3.
        field fua: bool = (1, 1, 3, 1),
        /// Byte 1 bit 2: reserved.
        reserved reserved_1_2: bool = (1, 1, 2, 1),
        /// Byte 1 bit 1: obsolete.
        field obsolete_1_1: bool = (1, 1, 1, 1),
        /// Byte 1 bit 0: reserved.
        reserved reserved_1_0: bool = (1, 1, 0, 1),
        /// LOGICAL BLOCK ADDRESS, bytes 2-9.
        field lba: u64 = (2, 8, 0, 64),
        /// TRANSFER LENGTH, bytes 10-13.
        field transfer_length: u32 = (10, 4, 0, 32),
        /// Byte 14 bits 7-6: reserved.
        reserved reserved_14: u8 = (14, 1, 6, 2),
        /// GROUP NUMBER, byte 14 bits 5-0.
        field group_number: u8 = (14, 1, 0, 6),
    }
}

cdb_struct! {
    /// WRITE ATOMIC (16), SBC-4 WRITE ATOMIC (16) command.
    pub struct WriteAtomic16 {
        opcode: op::WRITE_ATOMIC_16,
        service_action: None,
        len: 16,
        protection: wrprotect,
        /// FUA, byte 1 bit 3.
        field fua: bool = (1, 1, 3, 1),
        /// Byte 1 bits 2-0: reserved.
        reserved reserved_1: u8 = (1, 1, 0, 3),
        /// LOGICAL BLOCK ADDRESS, bytes 2-9.
        field lba: u64 = (2, 8, 0, 64),
        /// ATOMIC BOUNDARY, bytes 10-11.
        field atomic_boundary: u16 = (10, 2, 0, 16),
        /// TRANSFER LENGTH, bytes 12-13.
        field transfer_length: u16 = (12, 2, 0, 16),
        /// Byte 14 bits 7-6: reserved.
        reserved reserved_14: u8 = (14, 1, 6, 2),
        /// GROUP NUMBER, byte 14 bits 5-0.
        field group_number: u8 = (14, 1, 0, 6),
    }
}
