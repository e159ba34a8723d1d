//! `cargo xtask test`: the quick inner loop.

use crate::cmd::{cargo, run_command};
use anyhow::Result;

pub fn run_all() -> Result<()> {
    run_command(cargo().args(["fmt", "--all", "--check"]))?;
    run_command(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]))?;
    run_command(cargo().args(["test", "--workspace", "--all-targets"]))?;
    // Doc tests are not part of --all-targets.
    run_command(cargo().args(["test", "--workspace", "--doc"]))?;
    fuzz_corpus_replay()?;
    crate::traceability::check()
}

/// Replays every committed fuzz corpus entry and crash artifact through the
/// harness bodies, on the stable toolchain, as ordinary tests.
pub fn fuzz_corpus_replay() -> Result<()> {
    run_command(cargo().args([
        "test",
        "--package",
        "rtgt-proto",
        "--features",
        "fuzzing",
        "--test",
        "fuzz_corpus",
    ]))
}

pub fn run() -> Result<()> {
    run_all()?;
    println!("xtask test: all checks passed");
    Ok(())
}
