//! `rtgtadm`, tgtadm's command line: the same options, checks, messages
//! and exit statuses as tgt's `usr/tgtadm.c`, the same request on the same
//! socket, so scripts written for tgtadm (and Debian's `tgt-admin`) run
//! unchanged against tgtd and rtgtd alike.
//!
//! [`getopt`] is glibc's `getopt_long`, [`numbers`] tgtadm's number
//! parsing, [`tgtadm`] its `main` up to the request and [`checks`] the
//! checks of each mode; all without IO. [`client`] sends the request and
//! prints the reply as tgtadm does.
//!
//! `--import FILE` reads tgt-admin's targets.conf: [`targets_conf`] parses
//! one file's text, [`import_plan`] turns the files into tgtadm command
//! lines and the list of what rtgtd cannot honour (both without IO), and
//! [`import`] reads the files and sends the commands. `--dump` ([`dump`])
//! asks rtgtd for its live state as `rtgt.toml`.

mod checks;
pub mod client;
pub mod dump;
pub mod getopt;
pub mod import;
pub mod import_plan;
pub mod numbers;
pub mod targets_conf;
pub mod tgtadm;

pub use tgtadm::{plan, Exit, Plan, Send, Target};
