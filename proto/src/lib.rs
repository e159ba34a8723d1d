//! Wire formats of iSCSI (RFC 7143) and of the SCSI commands a disk target serves
//! (SPC-5, SBC-4).
//!
//! Pure code: no IO, no clock, no global randomness. Every parser is total: peer
//! input yields a value or a typed error naming the answer the standard wants,
//! never a panic.
#![forbid(unsafe_code)]

pub mod chap;
pub mod digest;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod pdu;
pub mod scsi;
pub mod text;
