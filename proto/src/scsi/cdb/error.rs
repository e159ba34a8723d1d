//! Why a CDB cannot be decoded, as plain data the target turns into sense:
//! either INVALID COMMAND OPERATION CODE or INVALID FIELD IN CDB with the
//! sense-key-specific field pointer of the offending field.

/// ASC and ASCQ of INVALID COMMAND OPERATION CODE (SPC-5, additional sense code table).
pub const ASC_INVALID_COMMAND_OPERATION_CODE: (u8, u8) = (0x20, 0x00);
/// ASC and ASCQ of INVALID FIELD IN CDB (SPC-5, additional sense code table).
pub const ASC_INVALID_FIELD_IN_CDB: (u8, u8) = (0x24, 0x00);

/// A position in the CDB, for the FIELD POINTER sense-key-specific data
/// (SPC-5 §4.4.2.2), where C/D is always one (the error is in the CDB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldPointer {
    /// FIELD POINTER: the byte of the CDB in error (the first byte of a
    /// multi-byte field).
    pub byte: u16,
    /// BIT POINTER, when BPV is one: the left-most bit of the field in error
    /// within `byte` (7 to 0).
    pub bit: Option<u8>,
}

impl FieldPointer {
    /// A pointer to a whole byte (BPV zero).
    pub const fn byte(byte: u16) -> Self {
        FieldPointer { byte, bit: None }
    }

    /// A pointer to a bit of a byte (BPV one).
    pub const fn bit(byte: u16, bit: u8) -> Self {
        FieldPointer {
            byte,
            bit: Some(bit),
        }
    }

    /// The three bytes of sense-key-specific data (SPC-5 §4.4.2.2, field
    /// pointer format): SKSV one, C/D one, BPV and BIT POINTER, then the
    /// FIELD POINTER, big-endian.
    pub fn sense_key_specific(&self) -> [u8; 3] {
        // SPC-5 §4.4.2.2: byte 0 = SKSV(7) C/D(6) reserved(5-4) BPV(3) BIT POINTER(2-0).
        let mut b0 = 0x80 | 0x40;
        if let Some(bit) = self.bit {
            b0 |= 0x08 | (bit & 7);
        }
        let [hi, lo] = self.byte.to_be_bytes();
        [b0, hi, lo]
    }
}

/// What the device server answers for a CDB that fails to decode, before any
/// device-dependent check: both are CHECK CONDITION with ILLEGAL REQUEST.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CdbAnswer {
    /// INVALID COMMAND OPERATION CODE (ASC 0x20/0x00), no field pointer.
    InvalidOpcode,
    /// INVALID FIELD IN CDB (ASC 0x24/0x00) with this field pointer.
    InvalidField(FieldPointer),
}

impl CdbAnswer {
    /// The ASC and ASCQ of the answer.
    pub fn asc_ascq(&self) -> (u8, u8) {
        match self {
            CdbAnswer::InvalidOpcode => ASC_INVALID_COMMAND_OPERATION_CODE,
            CdbAnswer::InvalidField(_) => ASC_INVALID_FIELD_IN_CDB,
        }
    }

    /// The field pointer, for INVALID FIELD IN CDB.
    pub fn field(&self) -> Option<FieldPointer> {
        match self {
            CdbAnswer::InvalidOpcode => None,
            CdbAnswer::InvalidField(p) => Some(*p),
        }
    }
}

/// A CDB that cannot be decoded into a typed command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum CdbError {
    /// No byte at all, not even an operation code.
    #[error("empty cdb: send at least the operation code byte")]
    Empty,
    /// The operation code is not one this module decodes (unknown, vendor
    /// specific, reserved group 3, or a command a disk target does not serve).
    #[error("invalid command operation code {opcode:#04x}: the command is not supported")]
    InvalidOpcode {
        /// The operation code, byte 0.
        opcode: u8,
    },
    /// Fewer bytes than the operation code's CDB length.
    #[error("cdb of operation code {opcode:#04x} has {got} bytes, its layout needs {needed}")]
    Truncated {
        /// The operation code, byte 0.
        opcode: u8,
        /// The CDB length of that operation code.
        needed: usize,
        /// The bytes given.
        got: usize,
    },
    /// The SERVICE ACTION field (byte 1, bits 4-0) names no command this
    /// module decodes, or a value the standard reserves.
    #[error("invalid service action {service_action:#04x} for operation code {opcode:#04x}")]
    InvalidServiceAction {
        /// The operation code, byte 0.
        opcode: u8,
        /// The SERVICE ACTION field.
        service_action: u8,
    },
}

impl CdbError {
    /// The answer the device server gives (SPC-5 §4.4.2.2 for the pointer).
    pub fn answer(&self) -> CdbAnswer {
        match self {
            // Nothing to point at but the missing operation code byte.
            CdbError::Empty => CdbAnswer::InvalidField(FieldPointer::byte(0)),
            // SPC-5 §4.2.5.1: an unsupported operation code is
            // INVALID COMMAND OPERATION CODE.
            CdbError::InvalidOpcode { .. } => CdbAnswer::InvalidOpcode,
            // The CDB length follows from the operation code: point at it.
            CdbError::Truncated { .. } => CdbAnswer::InvalidField(FieldPointer::byte(0)),
            // SPC-5 §4.2.5.2: an unsupported service action is INVALID FIELD
            // IN CDB; the field is byte 1 bits 4-0, so bit 4 is its left-most bit.
            CdbError::InvalidServiceAction { .. } => {
                CdbAnswer::InvalidField(FieldPointer::bit(1, 4))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sense_key_specific_bytes() {
        assert_eq!(
            FieldPointer::bit(1, 4).sense_key_specific(),
            [0xcc, 0x00, 0x01]
        );
        assert_eq!(
            FieldPointer::byte(0x102).sense_key_specific(),
            [0xc0, 0x01, 0x02]
        );
    }

    #[test]
    fn answers() {
        assert_eq!(
            CdbError::InvalidOpcode { opcode: 0xff }.answer(),
            CdbAnswer::InvalidOpcode
        );
        assert_eq!(CdbAnswer::InvalidOpcode.asc_ascq(), (0x20, 0x00));
        let e = CdbError::InvalidServiceAction {
            opcode: 0x9e,
            service_action: 0x1f,
        };
        assert_eq!(e.answer().field(), Some(FieldPointer::bit(1, 4)));
        assert_eq!(e.answer().asc_ascq(), (0x24, 0x00));
        let t = CdbError::Truncated {
            opcode: 0x28,
            needed: 10,
            got: 6,
        };
        assert_eq!(t.answer(), CdbAnswer::InvalidField(FieldPointer::byte(0)));
        assert_eq!(
            CdbError::Empty.answer().field(),
            Some(FieldPointer::byte(0))
        );
        assert_eq!(
            t.to_string(),
            "cdb of operation code 0x28 has 6 bytes, its layout needs 10"
        );
    }
}
