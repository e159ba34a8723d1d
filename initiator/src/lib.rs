//! The rtgt iSCSI initiator.
//!
//! [`core`] is the sans-IO session engine: bytes from the target go in through
//! [`Initiator::handle_bytes`], bytes for the target come out of
//! [`Initiator::poll_transmit`], time enters as an argument and randomness from
//! an injected [`RandomSource`]. It is "the strictest initiator there is":
//! every field a target sends is checked against RFC 7143 and each deviation
//! is reported as a [`ProtocolViolation`] naming its clause.
//!
//! [`client`] drives the core over tokio TCP: [`client::Session`] logs in and
//! runs many commands at once; the `rtgt-iscsi` command line sits on top.
#![forbid(unsafe_code)]

pub mod client;
pub mod core;

pub use crate::core::*;
