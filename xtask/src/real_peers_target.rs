//! The target against real peers: libiscsi's tools and `iscsi-test-cu -t
//! iSCSI` against a started rtgtd (rtgt-target's `real-peers` feature).

use crate::cmd::{cargo, run_command};
use anyhow::Result;

pub fn run() -> Result<()> {
    println!("$ cargo xtask peers");
    crate::peers::ensure_installed()?;
    run_command(cargo().args([
        "test",
        "--package",
        "rtgt-target",
        "--features",
        "real-peers",
        "--test",
        "libiscsi_tools",
        "--test",
        "libiscsi_test_cu",
    ]))
}
