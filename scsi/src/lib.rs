//! rtgt's virtual SCSI disk: SPC-5 and SBC-4 command semantics over a
//! [`Backstore`], sans-IO.
//!
//! A [`Disk`] is one logical unit. It never does IO: commands enter with
//! [`Disk::submit`], backstore work leaves as [`IoRequest`]s from
//! [`Disk::poll_io`] for the driver to run (with [`IoRequest::execute`] or
//! a simulated disk) and comes back through [`Disk::handle_io_complete`],
//! and answers leave as [`Completion`]s from [`Disk::poll_completion`].
//! [`LunMap`] groups the disks of a target and answers REPORT LUNS and the
//! commands to LUNs without a disk. [`exec::run`] is a synchronous driver
//! for tests and tools.
//!
//! Every byte format comes from `rtgt_proto::scsi`; this crate holds the
//! semantics only. Every check cites its clause.
#![forbid(unsafe_code)]
// House rule 1: peer input never panics. Outside tests, no unwrap, expect,
// panic or unchecked index/slice: commands check lengths and read through
// `get` or slice patterns.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
#![cfg_attr(not(test), deny(clippy::panic, clippy::indexing_slicing))]

pub mod alua;
pub mod backstore;
mod capacity;
mod caw;
pub mod config;
pub mod device;
mod dispatch;
pub mod exec;
// The fuzz harness bodies report a broken invariant by panicking: that is
// how libFuzzer and the tests learn of it.
#[cfg(feature = "fuzzing")]
#[allow(clippy::panic)]
pub mod fuzzing;
pub mod inquiry;
pub mod luns;
mod medium;
mod misc;
pub mod mode;
mod mode_select;
pub mod opcodes;
mod plan;
pub mod pr;
mod rw;
mod sanitize;
mod sbc_more;
pub mod sense;
mod spc_more;
pub mod task;
mod unmap;
pub mod vpd;
mod xcopy;

#[cfg(test)]
mod tests;

pub use backstore::{
    Backstore, BackstoreError, Extent, IoData, IoId, IoOp, IoRequest, NullBackstore, RamBackstore,
};
pub use capacity::read_capacity16_data;
pub use config::{BlockSize, ConfigError, DiskConfig, RTGT_COMPANY_ID};
pub use device::{Disk, PersistRequest};
pub use luns::LunMap;
pub use mode::ModeState;
pub use pr::{PrInitiator, PrReservation, PrState, Registrant};
pub use task::{Command, Completion, Nexus, Reply, Residual, TaskAttribute};
