//! Parameter data of the basic SPC-5 and SBC-4 commands: what a device
//! server returns in Data-In and what an application client sends in Data-Out.
//!
//! Every format has an `encode` that the target uses and a `decode` that the
//! initiator and the conformance suite use. Decoders are total and tolerant of
//! data cut short by the ALLOCATION LENGTH (SPC-5 §4.2.5.6): they decode what
//! arrived and say, in [`Decoded`], how much the data claimed to hold.

pub(crate) mod wire;

/// A failure to decode SCSI parameter data, sense data, VPD or mode pages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// Fewer bytes than the fixed part of the format; retry with a larger
    /// allocation length or check the transfer.
    #[error(
        "{what} needs at least {need} bytes, got {have}; retry with a larger allocation length"
    )]
    Short {
        what: &'static str,
        need: usize,
        have: usize,
    },
    /// A length field contradicts the layout (not a multiple of the entry
    /// size, or smaller than the fixed part).
    #[error("{what} length field {len} is invalid: {reason}")]
    BadLength {
        what: &'static str,
        len: usize,
        reason: &'static str,
    },
    /// A code field holds a value this format cannot be decoded with.
    #[error("{what} has unsupported value {value:#x}; check the page or format code")]
    BadValue { what: &'static str, value: u64 },
}

/// A decoded value together with how much of it arrived.
///
/// `declared` is the total length the data's own length field announced
/// (header included); `available` is how many bytes were actually received.
/// When `available < declared` the data was truncated by the allocation
/// length: the decoded value holds what arrived, fields past the end read as
/// zero and lists hold only their complete entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded<T> {
    pub value: T,
    pub declared: usize,
    pub available: usize,
}

impl<T> Decoded<T> {
    /// A value decoded from exactly as many bytes as it declared.
    pub fn complete(value: T, len: usize) -> Self {
        Decoded {
            value,
            declared: len,
            available: len,
        }
    }

    /// A value whose length field declared `declared` bytes, decoded from
    /// `received`, which may hold fewer (or more) bytes.
    pub fn received(value: T, declared: usize, received: &[u8]) -> Self {
        Decoded {
            value,
            declared,
            available: received.len().min(declared),
        }
    }

    /// True when fewer bytes arrived than the data declared.
    pub fn is_truncated(&self) -> bool {
        self.available < self.declared
    }

    /// The value, whether or not it was truncated.
    pub fn into_value(self) -> T {
        self.value
    }

    /// Applies `f` to the value, keeping the lengths.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Decoded<U> {
        Decoded {
            value: f(self.value),
            declared: self.declared,
            available: self.available,
        }
    }
}

/// Fails with [`ParamError::Short`] unless `buf` holds `need` bytes.
pub(crate) fn need(what: &'static str, buf: &[u8], need: usize) -> Result<(), ParamError> {
    if buf.len() < need {
        return Err(ParamError::Short {
            what,
            need,
            have: buf.len(),
        });
    }
    Ok(())
}

pub mod capacity;
pub mod defect;
pub mod inquiry;
pub mod lba;
pub mod luns;

pub use capacity::{ReadCapacity10, ReadCapacity16};
pub use defect::DefectData;
pub use inquiry::StandardInquiry;
pub use lba::{LbaStatus, LbaStatusDescriptor, UnmapDescriptor, UnmapList};
pub use luns::{Lun, LunAddress, ReportLuns};
pub mod pr_in;
pub mod pr_out;
pub mod transport_id;

pub use pr_in::{
    FullStatusDescriptor, ReadFullStatus, ReadKeys, ReadReservation, ReportCapabilities,
    Reservation,
};
pub use pr_out::{PrOutBasic, PrOutRegisterAndMove};
pub use transport_id::TransportId;
pub mod opcodes;
pub mod tpg;

pub use opcodes::{
    CommandDescriptor, CommandTimeouts, OneCommand, SupportedOpcodes, SupportedTmfs,
};
pub use tpg::{TargetPortGroup, TargetPortGroups};
pub mod copy;

pub use copy::{
    CopyOperatingParameters, CopyStatus, CscdDescriptor, ExtendedCopy, SegmentDescriptor,
};
