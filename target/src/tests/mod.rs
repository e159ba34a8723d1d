//! Protocol scenarios: the core driven with hand-built PDUs over RAM disks.

mod harness;
mod io;
mod login;
