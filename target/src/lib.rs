//! rtgt's iSCSI target (RFC 7143).
//!
//! [`core`] is the protocol engine, sans-IO: one [`TargetCore`] per portal
//! group takes bytes, timeouts and backstore completions and gives bytes,
//! backstore requests, deadlines and events. SCSI semantics come from
//! `rtgt-scsi`, every byte format from `rtgt-proto`.
#![forbid(unsafe_code)]

pub mod core;

#[cfg(test)]
mod tests;

pub use crate::core::{
    AuthConfig, ChapAccount, Cidr, CloseReason, ConnId, Event, IoTag, Limits, NopConfig,
    PortalGroupConfig, RandomSource, SeededRandom, SessionLimits, TargetConfig, TargetCore,
};
