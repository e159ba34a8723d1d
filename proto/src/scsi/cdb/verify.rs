//! VERIFY and WRITE AND VERIFY (10), (12) and (16) (SBC-4, clauses VERIFY (n)
//! and WRITE AND VERIFY (n)).
//!
//! BYTCHK (byte 1 bits 2-1): 00b verify the medium only, 01b compare with
//! Data-Out blocks, 10b reserved (the device server answers INVALID FIELD IN
//! CDB), 11b compare every block with the one block sent (SBC-4 BYTCHK field
//! table). A VERIFICATION LENGTH or TRANSFER LENGTH of zero verifies nothing
//! and is not an error.

use super::macros::cdb_struct;
use super::opcode::op;

/// BYTCHK 10b is reserved (SBC-4 VERIFY (10), BYTCHK field table).
pub const BYTCHK_RESERVED: u8 = 0b10;

macro_rules! verify_family {
    ($name:ident, $op:expr, $len:expr, $prot:ident, $doc:literal,
     lba: $lw:expr, len: ($lb:expr, $ln:expr), group: $gb:expr) => {
        cdb_struct! {
            #[doc = $doc]
            pub struct $name {
                opcode: $op,
                service_action: None,
                len: $len,
                protection: $prot,
                /// Byte 1 bit 3: reserved.
                reserved reserved_1_3: bool = (1, 1, 3, 1),
                /// BYTCHK, byte 1 bits 2-1 (10b is reserved).
                field bytchk: u8 = (1, 1, 1, 2),
                /// Byte 1 bit 0: obsolete.
                field obsolete_1_0: bool = (1, 1, 0, 1),
                /// LOGICAL BLOCK ADDRESS, from byte 2.
                field lba: u64 = (2, $lw, 0, $lw * 8),
                /// Length in blocks (VERIFICATION LENGTH or TRANSFER LENGTH).
                field length: u32 = ($lb, $ln, 0, $ln * 8),
                /// Bits 7-6 of the GROUP NUMBER byte: reserved.
                reserved reserved_group: u8 = ($gb, 1, 6, 2),
                /// GROUP NUMBER, bits 5-0.
                field group_number: u8 = ($gb, 1, 0, 6),
            }
        }
    };
}

verify_family!(Verify10, op::VERIFY_10, 10, vrprotect, "VERIFY (10), SBC-4 VERIFY (10) command.",
    lba: 4, len: (7, 2), group: 6);
verify_family!(Verify12, op::VERIFY_12, 12, vrprotect, "VERIFY (12), SBC-4 VERIFY (12) command.",
    lba: 4, len: (6, 4), group: 10);
verify_family!(Verify16, op::VERIFY_16, 16, vrprotect, "VERIFY (16), SBC-4 VERIFY (16) command.",
    lba: 8, len: (10, 4), group: 14);
verify_family!(WriteAndVerify10, op::WRITE_AND_VERIFY_10, 10, wrprotect,
    "WRITE AND VERIFY (10), SBC-4 WRITE AND VERIFY (10) command.",
    lba: 4, len: (7, 2), group: 6);
verify_family!(WriteAndVerify12, op::WRITE_AND_VERIFY_12, 12, wrprotect,
    "WRITE AND VERIFY (12), SBC-4 WRITE AND VERIFY (12) command.",
    lba: 4, len: (6, 4), group: 10);
verify_family!(WriteAndVerify16, op::WRITE_AND_VERIFY_16, 16, wrprotect,
    "WRITE AND VERIFY (16), SBC-4 WRITE AND VERIFY (16) command.",
    lba: 8, len: (10, 4), group: 14);
