//! The sense data a disk answers with: builders for the conditions SPC-5
//! and SBC-4 name, the mapping of backstore errors, and unit attentions.

pub(crate) mod ua;

use crate::backstore::BackstoreError;
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::cdb::{Cdb, FieldPointer};
use rtgt_proto::scsi::sense::Sense;

/// A command's result before it is turned into a reply: `Err` is CHECK
/// CONDITION with this sense.
pub(crate) type CmdResult<T> = Result<T, Sense>;

/// ILLEGAL REQUEST, INVALID FIELD IN CDB with a field pointer (SPC-5
/// §4.4.2.4.2, C/D one).
pub(crate) fn invalid_field(p: FieldPointer) -> Sense {
    Sense::invalid_field_in_cdb(p.byte, p.bit)
}

/// INVALID FIELD IN CDB pointing at the field `name` of `cdb` (the names
/// are those of proto's CDB structs), or at the operation code if absent.
pub(crate) fn invalid_named(cdb: &Cdb, name: &str) -> Sense {
    invalid_field(field_pointer(cdb, name))
}

/// The field pointer of the field `name` of `cdb`.
pub(crate) fn field_pointer(cdb: &Cdb, name: &str) -> FieldPointer {
    cdb.fields()
        .iter()
        .find(|f| f.name == name)
        .map_or(FieldPointer::byte(0), |f| f.pointer())
}

/// ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE (SPC-5 §4.2.5.1).
pub(crate) fn invalid_opcode() -> Sense {
    Sense::new(
        SenseKey::ILLEGAL_REQUEST,
        AscAscq::INVALID_COMMAND_OPERATION_CODE,
    )
}

/// ILLEGAL REQUEST, LOGICAL BLOCK ADDRESS OUT OF RANGE (SBC-4 §4.5).
pub(crate) fn lba_out_of_range() -> Sense {
    Sense::new(SenseKey::ILLEGAL_REQUEST, AscAscq::LBA_OUT_OF_RANGE)
}

/// DATA PROTECT, WRITE PROTECTED (SBC-4 §4.11, write protection).
pub(crate) fn write_protected() -> Sense {
    Sense::new(SenseKey::DATA_PROTECT, AscAscq::WRITE_PROTECTED)
}

/// ILLEGAL REQUEST, PARAMETER LIST LENGTH ERROR (SPC-5 §4.4 table of ASC).
pub(crate) fn parameter_list_length() -> Sense {
    Sense::new(
        SenseKey::ILLEGAL_REQUEST,
        AscAscq::PARAMETER_LIST_LENGTH_ERROR,
    )
}

/// ILLEGAL REQUEST, INVALID FIELD IN PARAMETER LIST pointing at `byte`
/// of the parameter list (C/D zero).
pub(crate) fn invalid_param(byte: usize, bit: Option<u8>) -> Sense {
    Sense::invalid_field_in_parameter_list(u16::try_from(byte).unwrap_or(u16::MAX), bit)
}

/// ILLEGAL REQUEST, LOGICAL UNIT NOT SUPPORTED (SPC-5 §6.33 and SAM-5 §4.6.2:
/// a command to a LUN the target does not have).
pub(crate) fn lun_not_supported() -> Sense {
    Sense::new(
        SenseKey::ILLEGAL_REQUEST,
        AscAscq::LOGICAL_UNIT_NOT_SUPPORTED,
    )
}

/// What a failed backstore request was doing, for the sense it maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoDirection {
    /// A read (READ, VERIFY, the read of COMPARE AND WRITE).
    Read,
    /// A write, a deallocation or a flush.
    Write,
}

/// The sense SBC-4 gives a failed backstore request of a command whose
/// first LBA is `lba` (set as INFORMATION for medium errors, SBC-4 §4.18.1).
pub fn backstore_sense(err: BackstoreError, dir: IoDirection, lba: u64) -> Sense {
    match (err, dir) {
        // SBC-4 §4.18.1: an unrecovered read is MEDIUM ERROR, 11h/00h.
        (BackstoreError::Io, IoDirection::Read) => {
            Sense::new(SenseKey::MEDIUM_ERROR, AscAscq::UNRECOVERED_READ_ERROR)
                .with_information(lba)
        }
        // SBC-4 §4.18.1: a failed write is MEDIUM ERROR, WRITE ERROR 0Ch/00h.
        (BackstoreError::Io, IoDirection::Write) => {
            Sense::new(SenseKey::MEDIUM_ERROR, AscAscq::WRITE_ERROR).with_information(lba)
        }
        // SBC-4 §4.7.3.6: a thin LU out of resources answers DATA PROTECT,
        // SPACE ALLOCATION FAILED WRITE PROTECT 27h/07h.
        (BackstoreError::NoSpace, _) => Sense::new(
            SenseKey::DATA_PROTECT,
            AscAscq::SPACE_ALLOCATION_FAILED_WRITE_PROTECT,
        ),
        (BackstoreError::ReadOnly, _) => write_protected(),
        // A misconfigured LUN is the target's fault: HARDWARE ERROR,
        // INTERNAL TARGET FAILURE (SPC-5 ASC 44h/00h).
        (BackstoreError::OutOfRange { .. } | BackstoreError::Unsupported { .. }, _) => {
            Sense::new(SenseKey::HARDWARE_ERROR, AscAscq::INTERNAL_TARGET_FAILURE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backstore_errors_map_to_sbc4_sense() {
        let s = backstore_sense(BackstoreError::Io, IoDirection::Read, 9);
        assert_eq!(
            (s.key, s.asc),
            (SenseKey::MEDIUM_ERROR, AscAscq::new(0x11, 0))
        );
        assert_eq!(s.information, Some(9));
        let s = backstore_sense(BackstoreError::Io, IoDirection::Write, 9);
        assert_eq!(
            (s.key, s.asc),
            (SenseKey::MEDIUM_ERROR, AscAscq::new(0x0c, 0))
        );
        let s = backstore_sense(BackstoreError::NoSpace, IoDirection::Write, 0);
        assert_eq!(
            (s.key, s.asc),
            (SenseKey::DATA_PROTECT, AscAscq::new(0x27, 7))
        );
        let s = backstore_sense(
            BackstoreError::Unsupported { op: "x" },
            IoDirection::Write,
            0,
        );
        assert_eq!(s.key, SenseKey::HARDWARE_ERROR);
    }

    #[test]
    fn named_field_pointers() {
        let c = Cdb::decode(&[0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0]).unwrap();
        assert_eq!(
            field_pointer(&c, "transfer_length"),
            FieldPointer::bit(7, 7)
        );
        assert_eq!(field_pointer(&c, "rdprotect"), FieldPointer::bit(1, 7));
        assert_eq!(field_pointer(&c, "nope"), FieldPointer::byte(0));
    }
}
