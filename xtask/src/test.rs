//! `cargo xtask test`: the quick inner loop.

use crate::cmd::{cargo, run_shown};
use anyhow::Result;

pub fn run_all() -> Result<()> {
    run_shown(cargo().args(["fmt", "--all", "--check"]))?;
    crate::tidy::run()?;
    run_shown(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]))?;
    run_shown(cargo().args(["test", "--workspace", "--all-targets"]))?;
    // Doc tests are not part of --all-targets.
    run_shown(cargo().args(["test", "--workspace", "--doc"]))?;
    fuzz_corpus_replay()?;
    fuzz_targets_build()?;
    crate::traceability::check()
}

/// Replays every committed fuzz corpus entry and crash artifact through the
/// harness bodies, on the stable toolchain, as ordinary tests.
pub fn fuzz_corpus_replay() -> Result<()> {
    run_shown(cargo().args([
        "test",
        "--package",
        "rtgt-proto",
        "--features",
        "fuzzing",
        "--test",
        "fuzz_corpus",
    ]))
}

/// Builds every fuzz target of fuzz/ (its own workspace) on the stable
/// toolchain, so none rots between campaigns. A plain `cargo build` of the
/// targets links: libfuzzer-sys compiles libFuzzer with the C++ compiler
/// and needs no sanitizer or nightly flag for that (cargo fuzz adds those
/// for a campaign). The output goes to build/fuzz, inside the ignored
/// build/, never to a `target` folder. Cold on 2 cores about 1.5 min, warm
/// a few seconds.
pub fn fuzz_targets_build() -> Result<()> {
    run_shown(cargo().args([
        "build",
        "--locked",
        "--manifest-path",
        "fuzz/Cargo.toml",
        "--bins",
        "--target-dir",
        "build/fuzz",
    ]))
}

pub fn run() -> Result<()> {
    run_all()?;
    println!("xtask test: all checks passed");
    Ok(())
}
