//! rtgt's iSCSI conformance suite: a catalogue of scenarios, each checking
//! one requirement of RFC 7143 or of the SCSI standards against any target
//! reachable over TCP.
//!
//! - [`scenario`]: what a scenario is (a stable dotted id, the clause, the
//!   level, the requirement in our words, what it needs) and its outcome;
//! - [`context`]: the target under test and the suite's options, handed to
//!   every scenario;
//! - [`harness`]: the suite's raw initiator side for scenarios that must
//!   step outside the protocol: [`wire`], a raw connection that sends any
//!   PDU or bytes and reads what comes back, logins and sessions driven PDU
//!   by PDU on it, and the scratch range saved and restored;
//! - [`driven`]: rtgt's strict initiator core driven over a connection, for
//!   scenarios that need a working session (login, commands, pings);
//! - [`catalogue`]: every scenario, one module per area;
//! - [`runner`]: running one scenario or a whole selection on N threads;
//! - [`profile`], [`report`]: the expected departures of known targets,
//!   and the text, JUnit and JSON reports judged against them;
//! - [`traceability`]: the RFC 7143 requirements and the scenarios that
//!   check them (TRACEABILITY.md);
//! - [`options`], [`glob`], [`discover`], [`listing`], [`progress`]: the
//!   command line of `rtgt-conformance`.
#![forbid(unsafe_code)]

pub mod catalogue;
pub mod context;
pub mod discover;
pub mod driven;
pub mod glob;
pub mod harness;
pub mod listing;
pub mod options;
pub mod profile;
pub mod progress;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod traceability;
pub mod transcript;

pub use harness::wire;
