//! Real peers for rtgt's tests: Debian's tgtd started in the foreground on a
//! free loopback port with a temporary configuration, and helpers to run
//! external programs with the command line shown first.
//!
//! The packages themselves are installed by `cargo xtask peers`.

pub mod process;
pub mod test_cu;
pub mod tgtd;
