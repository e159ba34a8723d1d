//! SCSI CDBs of the commands a disk target serves (SPC-5, SBC-4): one typed
//! struct per command, the [`Cdb`] enum over all of them, the operation code
//! table, and the errors a target maps to sense data.
//!
//! Every field of every CDB is a public field of its struct, reserved and
//! obsolete bits and the CONTROL byte included, so that
//! - `decode` then `encode` gives back exactly the bytes received, and
//! - the conformance suite can set any bit to check that a target rejects it,
//!   while the target sees them to reject them ([`Cdb::reserved_violation`]).
//!
//! Decoding is total: any byte slice gives a typed CDB or a [`CdbError`]
//! whose [`CdbError::answer`] names the sense to return. Only checks that
//! need no device knowledge are made here (the operation code, the CDB
//! length, the service action); LBA ranges, transfer limits and the meaning
//! of reserved enumeration values are the device's to judge.
//!
//! Clause citations name the command clause of the standard ("SBC-4 READ
//! (10) command") rather than its number, which moves between revisions.

mod block_io;
mod capacity;
mod copy;
mod decode;
mod error;
pub(crate) mod field;
mod inquiry_sense;
mod macros;
mod maintenance;
mod misc;
mod mode;
pub mod opcode;
mod reservations;
mod rw;
mod verify;
mod write_same_unmap;

pub use block_io::{BlockIo, BlockIoKind};
pub use capacity::{
    GetLbaStatus, PreFetch10, PreFetch16, ReadCapacity10, ReadCapacity16, SynchronizeCache10,
    SynchronizeCache16,
};
pub use copy::{CopyResultsAction, ExtendedCopy, ReceiveCopyResults};
pub use error::{
    CdbAnswer, CdbError, FieldPointer, ASC_INVALID_COMMAND_OPERATION_CODE, ASC_INVALID_FIELD_IN_CDB,
};
pub use field::{Control, FieldInfo, FieldValue};
pub use inquiry_sense::{select_report, Inquiry, ReportLuns, RequestSense, TestUnitReady};
pub use maintenance::{
    reporting_options, ReportSupportedOperationCodes, ReportSupportedTaskManagementFunctions,
    ReportTargetPortGroups,
};
pub use misc::{
    FormatUnit, PreventAllowMediumRemoval, ReadDefectData10, ReadDefectData12, Sanitize,
    SanitizeAction, StartStopUnit,
};
pub use mode::{ModeSelect10, ModeSelect6, ModeSense10, ModeSense6, PageControl};
pub use opcode::{op, sa, OpInfo, OPERATIONS};
pub use reservations::{
    pr_type, PersistentReserveIn, PersistentReserveOut, PrInAction, PrOutAction, Release10,
    Release6, Reserve10, Reserve6,
};
pub use rw::{Read10, Read12, Read16, Read6, Write10, Write12, Write16, Write6};
pub use verify::{
    Verify10, Verify12, Verify16, WriteAndVerify10, WriteAndVerify12, WriteAndVerify16,
    BYTCHK_RESERVED,
};
pub use write_same_unmap::{
    CompareAndWrite, OrWrite16, Unmap, WriteAtomic16, WriteSame10, WriteSame16,
};

/// The longest CDB kept by [`Cdb::decode_or_unknown`] for an operation code
/// whose length the group code does not give (SPC-5 §4.2.5.1; variable
/// length CDBs are at most 260 bytes).
pub const MAX_CDB_LEN: usize = 260;

/// Checks byte 0, the length and the selecting service action, and returns
/// the CDB's own bytes (the first `len`).
pub(crate) fn check_header(
    bytes: &[u8],
    opcode: u8,
    service_action: Option<u8>,
    len: usize,
) -> Result<&[u8], CdbError> {
    let &got = bytes.first().ok_or(CdbError::Empty)?;
    if got != opcode {
        return Err(CdbError::InvalidOpcode { opcode: got });
    }
    // SPC-5 §4.2.5.1: the operation code fixes the CDB length.
    let b = bytes.get(..len).ok_or(CdbError::Truncated {
        opcode,
        needed: len,
        got: bytes.len(),
    })?;
    if let Some(want) = service_action {
        let sa = b.get(1).map_or(0, |x| x & 0x1f);
        // SPC-5 §4.2.5.2: the service action selects the command.
        if sa != want {
            return Err(CdbError::InvalidServiceAction {
                opcode,
                service_action: sa,
            });
        }
    }
    Ok(b)
}

macro_rules! cdb_enum {
    ($( $variant:ident ),* $(,)?) => {
        /// Any CDB a disk target serves, typed, or an unknown one kept raw.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum Cdb {
            $(
                #[allow(missing_docs)]
                $variant($variant),
            )*
            /// A CDB this module does not decode, kept so it can be sent
            /// (vendor commands, illegal operation codes or service actions)
            /// or dumped.
            Unknown {
                /// OPERATION CODE, byte 0.
                opcode: u8,
                /// The bytes after the operation code.
                bytes: Vec<u8>,
            },
        }

        $(
            impl From<$variant> for Cdb {
                fn from(c: $variant) -> Self {
                    Cdb::$variant(c)
                }
            }
        )*

        impl Cdb {
            /// The CDB bytes: its exact length for typed CDBs, the operation
            /// code followed by `bytes` for [`Cdb::Unknown`].
            pub fn encode(&self) -> Vec<u8> {
                match self {
                    $( Cdb::$variant(c) => c.encode().to_vec(), )*
                    Cdb::Unknown { opcode, bytes } => {
                        let mut v = Vec::with_capacity(1 + bytes.len());
                        v.push(*opcode);
                        v.extend_from_slice(bytes);
                        v
                    }
                }
            }

            /// The field layout of the command, empty for unknown CDBs.
            pub fn fields(&self) -> &'static [FieldInfo] {
                match self {
                    $( Cdb::$variant(_) => $variant::FIELDS, )*
                    Cdb::Unknown { .. } => &[],
                }
            }

            /// The CONTROL byte; `None` for unknown CDBs.
            pub fn control(&self) -> Option<Control> {
                match self {
                    $( Cdb::$variant(c) => Some(c.control), )*
                    Cdb::Unknown { .. } => None,
                }
            }

            /// The first reserved field or reserved CONTROL bit that is set,
            /// as the field pointer of INVALID FIELD IN CDB.
            pub fn reserved_violation(&self) -> Option<FieldPointer> {
                match self {
                    $( Cdb::$variant(c) => c.reserved_violation(), )*
                    Cdb::Unknown { .. } => None,
                }
            }
        }
    };
}

/// Calls the macro `$m` with the list of every command struct, in the order
/// of [`Cdb`]'s variants, so the enum and the tests that cover every command
/// are written against one list.
macro_rules! for_each_cdb {
    ($m:ident) => {
        $m!(
            TestUnitReady,
            RequestSense,
            FormatUnit,
            Read6,
            Write6,
            Inquiry,
            ModeSelect6,
            Reserve6,
            Release6,
            ModeSense6,
            StartStopUnit,
            PreventAllowMediumRemoval,
            ReadCapacity10,
            Read10,
            Write10,
            WriteAndVerify10,
            Verify10,
            PreFetch10,
            SynchronizeCache10,
            ReadDefectData10,
            WriteSame10,
            Unmap,
            Sanitize,
            ModeSelect10,
            Reserve10,
            Release10,
            ModeSense10,
            PersistentReserveIn,
            PersistentReserveOut,
            ExtendedCopy,
            ReceiveCopyResults,
            Read16,
            CompareAndWrite,
            Write16,
            OrWrite16,
            WriteAndVerify16,
            Verify16,
            PreFetch16,
            SynchronizeCache16,
            WriteSame16,
            WriteAtomic16,
            ReadCapacity16,
            GetLbaStatus,
            ReportLuns,
            ReportTargetPortGroups,
            ReportSupportedOperationCodes,
            ReportSupportedTaskManagementFunctions,
            Read12,
            Write12,
            WriteAndVerify12,
            Verify12,
            ReadDefectData12
        );
    };
}
for_each_cdb!(cdb_enum);

impl Cdb {
    /// OPERATION CODE, byte 0.
    pub fn opcode(&self) -> u8 {
        match self {
            Cdb::Unknown { opcode, .. } => *opcode,
            other => other.encode().first().copied().unwrap_or(0),
        }
    }

    /// The SERVICE ACTION, for commands that have service actions.
    pub fn service_action(&self) -> Option<u8> {
        let op = self.opcode();
        if !opcode::has_service_actions(op) || matches!(self, Cdb::Unknown { .. }) {
            return None;
        }
        self.encode().get(1).map(|b| b & 0x1f)
    }

    /// The command's entry in [`OPERATIONS`]; `None` for unknown CDBs.
    pub fn info(&self) -> Option<&'static OpInfo> {
        match self {
            Cdb::Unknown { .. } => None,
            c => opcode::lookup_cdb(&c.encode()),
        }
    }

    /// The command's name as the standard spells it.
    pub fn name(&self) -> &'static str {
        self.info().map_or("UNKNOWN", |i| i.name)
    }

    /// Every field with its raw value, in CDB order, for dumps.
    pub fn field_values(&self) -> Vec<(&'static str, u64)> {
        let bytes = self.encode();
        self.fields()
            .iter()
            .map(|f| (f.name, f.get(&bytes)))
            .collect()
    }
}

// After `for_each_cdb`, which the tests use.
#[cfg(test)]
mod layout_tests;
#[cfg(test)]
mod tests;
