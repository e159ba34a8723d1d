//! rtgt's iSCSI target (RFC 7143).
//!
//! The protocol engine is `rtgt-target-core`, sans-IO, re-exported here as
//! [`core`]: one [`TargetCore`] per portal group takes bytes, timeouts and
//! backstore completions and gives bytes, backstore requests, deadlines and
//! events. SCSI semantics come from `rtgt-scsi`, every byte format from
//! `rtgt-proto`.
//!
//! Around it: [`backstore`] (files and block devices), [`config`] (the
//! `rtgt.toml` file), [`daemon`] (the tokio server behind `rtgtd`) and
//! [`admin`] (tgtd's management protocol, for tgtadm).
#![forbid(unsafe_code)]

pub mod admin;
pub mod backstore;
pub mod config;
pub mod daemon;
// The fuzz harness bodies report a broken invariant by panicking: that is
// how libFuzzer and the tests learn of it.
#[cfg(feature = "fuzzing")]
#[allow(clippy::expect_used, clippy::panic)]
pub mod fuzzing;

pub use rtgt_target_core as core;

pub use crate::core::{
    AuthConfig, ChapAccount, Cidr, CloseReason, ConnId, Event, IoTag, Limits, NopConfig,
    PortalGroupConfig, RandomSource, RegistryError, SeededRandom, SessionLimits, TargetConfig,
    TargetCore, TargetId,
};
