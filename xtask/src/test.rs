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
    crate::fuzz::replay_committed()?;
    crate::traceability::check()
}

/// Replays every committed fuzz corpus entry and crash artifact of the
/// `rtgt_proto::fuzzing` targets as ordinary tests, then runs the unit
/// tests of every other crate's `fuzzing` module (each harness body on
/// fixed inputs), on the stable toolchain. The fuzz target binaries replay
/// every target's committed inputs after [`fuzz_targets_build`].
pub fn fuzz_corpus_replay() -> Result<()> {
    run_shown(cargo().args([
        "test",
        "--package",
        "rtgt-proto",
        "--features",
        "fuzzing",
        "--test",
        "fuzz_corpus",
    ]))?;
    let crates = [
        "rtgt-scsi",
        "rtgt-target-core",
        "rtgt-initiator-core",
        "rtgt-sim",
        "rtgt-target",
    ];
    let mut command = cargo();
    command.arg("test");
    for c in crates {
        command.args(["--package", c]);
    }
    let features: Vec<String> = crates.iter().map(|c| format!("{c}/fuzzing")).collect();
    command.args(["--features", &features.join(","), "--lib", "fuzzing::"]);
    run_shown(&mut command)
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
