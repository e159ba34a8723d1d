//! A stateful, structure-aware network fuzzer for any iSCSI target.
//!
//! It logs in properly through rtgt's initiator core (`rtgt-initiator-core`,
//! CHAP included), then sends sequences of PDUs built with rtgt's codecs
//! (`rtgt-proto`): every opcode, field mutations around the CmdSN window,
//! lying lengths, flags and reserved bits, tag reuse, SCSI commands with edge
//! CDBs, Data-Out against the target's own R2Ts, task management during I/O,
//! text negotiation, logout, and login-phase cases, each PDU cut into random
//! TCP segments. After every sequence a fresh discovery login must be
//! answered; with a process id the process is watched too. Sequences that
//! draw a new answer signature join the corpus; a sequence that takes the
//! target down is saved as a replayable reproducer and minimised while the
//! target is up. A run follows from its seed.

pub mod exec;
pub mod finding;
pub mod fuzzer;
pub mod gen;
pub mod monitor;
pub mod rng;
pub mod seq;
pub mod signature;
pub mod wire;

pub use fuzzer::{run, Options, Report};
pub use wire::Target;
