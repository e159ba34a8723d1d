//! Real peers for rtgt's tests: Debian's tgtd, istgt and isnsd started in the
//! foreground on a free loopback port with a temporary configuration, and helpers to run
//! external programs with the command line shown first.
//!
//! The packages themselves are installed by `cargo xtask peers`.

pub mod gluster;
pub mod isnsd;
pub mod istgt;
pub mod process;
pub mod rtgtd;
pub mod test_cu;
pub mod tgtd;
