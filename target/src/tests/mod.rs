//! Protocol scenarios: the core driven with hand-built PDUs over RAM disks.

mod chap;
mod discovery;
mod harness;
mod io;
mod login;
mod session;
mod tmf;
mod window;
