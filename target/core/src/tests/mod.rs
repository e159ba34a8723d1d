//! Protocol scenarios: the core driven with hand-built PDUs over RAM disks.

mod chap;
mod digest;
mod discovery;
mod harness;
mod io;
mod login;
mod registry;
mod session;
mod snapshots;
mod tmf;
mod window;
