//! tgtd's management interface, so that Debian's unmodified `tgtadm`
//! drives `rtgtd`: the request and reply bytes ([`codec`]), what a
//! request asks for ([`command`]), tgtd's error codes ([`error`]), tgtd's
//! view of the targets and accounts ([`state`]), its session numbers
//! ([`nexus`]) and its `show` text ([`show`]). Sans-IO: the socket is `daemon::control`'s.
//!
//! The source of truth is tgt's own code (`usr/tgtadm.h`, `usr/mgmt.c`,
//! `usr/target.c`); each item names the function it follows.

pub mod cli;
pub mod codec;
pub mod command;
pub mod dump;
pub mod error;
pub mod nexus;
pub mod show;
pub mod state;

pub use codec::{Header, Mode, Op, Request};
pub use command::{parse, Command};
pub use error::AdmError;
pub use state::AdminState;
