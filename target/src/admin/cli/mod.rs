//! `rtgtadm`, tgtadm's command line: the same options, checks, messages
//! and exit statuses as tgt's `usr/tgtadm.c`, the same request on the same
//! socket, so scripts written for tgtadm (and Debian's `tgt-admin`) run
//! unchanged against tgtd and rtgtd alike.
//!
//! [`getopt`] is glibc's `getopt_long`, [`numbers`] tgtadm's number
//! parsing, [`tgtadm`] its `main` up to the request and [`checks`] the
//! checks of each mode; all without IO. [`client`] sends the request and
//! prints the reply as tgtadm does.

mod checks;
pub mod client;
pub mod getopt;
pub mod numbers;
pub mod tgtadm;

pub use tgtadm::{plan, Exit, Plan, Send, Target};
