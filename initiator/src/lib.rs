//! The rtgt iSCSI initiator.
//!
//! The session engine is `rtgt-initiator-core`, sans-IO, re-exported here as
//! [`core`] and at this crate's root: bytes from the target go in through
//! [`Initiator::handle_bytes`], bytes for the target come out of
//! [`Initiator::poll_transmit`], time enters as an argument and randomness
//! from an injected [`RandomSource`]; every deviation of the target is a
//! [`ProtocolViolation`] naming its clause.
//!
//! [`client`] drives the core over tokio TCP: [`client::Session`] logs in and
//! runs many commands at once; the `rtgt-iscsi` command line sits on top.
#![forbid(unsafe_code)]

pub mod client;

pub use rtgt_initiator_core as core;

pub use crate::core::*;
