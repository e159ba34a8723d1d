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
    // With every crate's `fuzzing` feature, so one build also runs the
    // harness bodies' unit tests and rtgt-proto's corpus replay
    // (`tests/fuzz_corpus.rs`).
    let features = FUZZING_CRATES.map(|c| format!("{c}/fuzzing")).join(",");
    run_shown(cargo().args([
        "test",
        "--workspace",
        "--all-targets",
        "--features",
        &features,
    ]))?;
    // Doc tests are not part of --all-targets.
    run_shown(cargo().args(["test", "--workspace", "--doc"]))?;
    fuzz_targets_build()?;
    crate::fuzz::replay_committed()?;
    crate::traceability::check()
}

/// The crates with a `fuzzing` feature: the harness bodies of the fuzz/
/// targets, each with unit tests on fixed inputs; rtgt-proto's also
/// replays every committed corpus entry and crash artifact of its targets.
/// The fuzz target binaries replay every target's committed inputs after
/// [`fuzz_targets_build`].
const FUZZING_CRATES: [&str; 6] = [
    "rtgt-proto",
    "rtgt-scsi",
    "rtgt-target-core",
    "rtgt-initiator-core",
    "rtgt-sim",
    "rtgt-target",
];

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
