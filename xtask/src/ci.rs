//! `cargo xtask ci`: everything CI runs. `.ci/run` calls exactly this.

use crate::cmd::{cargo, run_shown};
use anyhow::Result;

pub fn run() -> Result<()> {
    crate::test::run_all()?;
    real_peers()?;
    crate::real_peers_target::run()?;
    crate::test_cu::run()?;
    crate::sim::ci()?;
    crate::conformance::ci()?;
    crate::fuzz::ci()?;
    println!("xtask ci: all checks passed");
    Ok(())
}

/// The initiator's tests against Debian's tgtd (initiator/tests/tgtd_*.rs),
/// which the quick `cargo xtask test` leaves out.
fn real_peers() -> Result<()> {
    crate::peers::ensure_installed()?;
    run_shown(cargo().args(["test", "-p", "rtgt-initiator", "--features", "real-peers"]))
}
