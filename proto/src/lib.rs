//! Wire formats of iSCSI (RFC 7143) and of the SCSI commands a disk target serves
//! (SPC-5, SBC-4).
//!
//! Pure code: no IO, no clock, no global randomness. Every parser is total: peer
//! input yields a value or a typed error naming the answer the standard wants,
//! never a panic.
#![forbid(unsafe_code)]
// House rule 1: peer input never panics. Outside tests, no unwrap, expect,
// panic or unchecked index/slice: decoders check lengths and read through
// `get`, encoders write fixed-size arrays.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
#![cfg_attr(not(test), deny(clippy::panic, clippy::indexing_slicing))]

pub mod chap;
pub mod digest;
// The fuzz harness bodies report a round trip that does not hold by
// panicking: that is how libFuzzer and the corpus replay learn of it.
#[cfg(feature = "fuzzing")]
#[allow(clippy::expect_used)]
pub mod fuzzing;
pub mod glob;
pub mod isns;
pub mod mutant;
pub mod pdu;
pub mod random;
pub mod scsi;
pub mod serial;
pub mod text;
