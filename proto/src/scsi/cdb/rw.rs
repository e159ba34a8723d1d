//! READ and WRITE (6), (10), (12) and (16) (SBC-4, clauses READ (n) and
//! WRITE (n)).
//!
//! Byte 1 of the 10, 12 and 16 byte forms carries the protection field
//! (RDPROTECT or WRPROTECT, bits 7-5), DPO (bit 4) and FUA (bit 3). The GROUP
//! NUMBER is six bits in SBC-4 (bits 5-0). In the 6-byte forms a TRANSFER
//! LENGTH of zero means 256 blocks; in the others zero means no block, which
//! is not an error (SBC-4 READ (10)); see [`super::BlockIo`].

use super::macros::cdb_struct;
use super::opcode::op;

cdb_struct! {
    /// READ (6), SBC-4 READ (6) command: 21-bit LBA, TRANSFER LENGTH 0 = 256.
    pub struct Read6 = op::READ_6;
    /// WRITE (6), SBC-4 WRITE (6) command: 21-bit LBA, TRANSFER LENGTH 0 = 256.
    pub struct Write6 = op::WRITE_6;
    service_action: None,
    len: 6,
    {
        /// Byte 1 bits 7-5: reserved (once the LUN).
        reserved reserved_1: u8 = (1, 1, 5, 3),
        /// LOGICAL BLOCK ADDRESS: byte 1 bits 4-0 and bytes 2-3.
        field lba: u32 = (1, 3, 0, 21),
        /// TRANSFER LENGTH in blocks; zero means 256.
        field transfer_length: u8 = (4, 1, 0, 8),
    }
}

/// The READ and WRITE forms of one length share their table but for the
/// names of byte 1: RDPROTECT and RARC (bit 2) in READ, WRPROTECT and a
/// reserved bit 2 in WRITE (SBC-4 READ (n), WRITE (n)). Both are declared
/// from bits 1-0 of byte 1 on, given once.
macro_rules! read_write {
    (
        $(#[$rmeta:meta])* pub struct $read:ident = $rop:expr;
        $(#[$wmeta:meta])* pub struct $write:ident = $wop:expr;
        len: $len:expr,
        $rest:tt
    ) => {
        read_write!(@one [$(#[$rmeta])*] $read, $rop, $len, rdprotect, field rarc, $rest);
        read_write!(@one [$(#[$wmeta])*] $write, $wop, $len, wrprotect, reserved reserved_1_2, $rest);
    };
    (@one [$($meta:tt)*] $name:ident, $op:expr, $len:expr, $prot:ident, $k2:ident $b2:ident,
     { $($rest:tt)* }) => {
        cdb_struct! {
            $($meta)*
            pub struct $name {
                opcode: $op,
                service_action: None,
                len: $len,
                protection: $prot,
                /// FUA (force unit access), byte 1 bit 3.
                field fua: bool = (1, 1, 3, 1),
                /// Byte 1 bit 2: RARC (rebuild assist recovery control) in
                /// READ, reserved in WRITE.
                $k2 $b2: bool = (1, 1, 2, 1),
                /// Byte 1 bit 1: obsolete (once FUA_NV).
                field obsolete_1_1: bool = (1, 1, 1, 1),
                $($rest)*
            }
        }
    };
}

read_write! {
    /// READ (10), SBC-4 READ (10) command.
    pub struct Read10 = op::READ_10;
    /// WRITE (10), SBC-4 WRITE (10) command.
    pub struct Write10 = op::WRITE_10;
    len: 10,
    {
        /// Byte 1 bit 0: obsolete (once RELADR).
        field obsolete_1_0: bool = (1, 1, 0, 1),
        /// LOGICAL BLOCK ADDRESS, bytes 2-5.
        field lba: u32 = (2, 4, 0, 32),
        /// Byte 6 bits 7-6: reserved.
        reserved reserved_6: u8 = (6, 1, 6, 2),
        /// GROUP NUMBER, byte 6 bits 5-0.
        field group_number: u8 = (6, 1, 0, 6),
        /// TRANSFER LENGTH in blocks, bytes 7-8.
        field transfer_length: u16 = (7, 2, 0, 16),
    }
}

read_write! {
    /// READ (12), SBC-4 READ (12) command.
    pub struct Read12 = op::READ_12;
    /// WRITE (12), SBC-4 WRITE (12) command.
    pub struct Write12 = op::WRITE_12;
    len: 12,
    {
        /// Byte 1 bit 0: obsolete.
        field obsolete_1_0: bool = (1, 1, 0, 1),
        /// LOGICAL BLOCK ADDRESS, bytes 2-5.
        field lba: u32 = (2, 4, 0, 32),
        /// TRANSFER LENGTH in blocks, bytes 6-9.
        field transfer_length: u32 = (6, 4, 0, 32),
        /// Byte 10 bit 7: restricted for MMC-6.
        field mmc_restricted: bool = (10, 1, 7, 1),
        /// Byte 10 bit 6: reserved.
        reserved reserved_10: bool = (10, 1, 6, 1),
        /// GROUP NUMBER, byte 10 bits 5-0.
        field group_number: u8 = (10, 1, 0, 6),
    }
}

read_write! {
    /// READ (16), SBC-4 READ (16) command.
    pub struct Read16 = op::READ_16;
    /// WRITE (16), SBC-4 WRITE (16) command.
    pub struct Write16 = op::WRITE_16;
    len: 16,
    {
        /// DLD2, byte 1 bit 0 (command duration limit descriptor, bit 2).
        field dld2: bool = (1, 1, 0, 1),
        /// LOGICAL BLOCK ADDRESS, bytes 2-9.
        field lba: u64 = (2, 8, 0, 64),
        /// TRANSFER LENGTH in blocks, bytes 10-13.
        field transfer_length: u32 = (10, 4, 0, 32),
        /// DLD1, byte 14 bit 7.
        field dld1: bool = (14, 1, 7, 1),
        /// DLD0, byte 14 bit 6.
        field dld0: bool = (14, 1, 6, 1),
        /// GROUP NUMBER, byte 14 bits 5-0.
        field group_number: u8 = (14, 1, 0, 6),
    }
}
