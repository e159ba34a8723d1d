//! `cargo xtask bench`: rtgt-iscsi against libiscsi's iscsi-perf on the same
//! tgtd LUN, and rtgtd against tgtd under the same rtgt-iscsi load, each in
//! one run. Builds rtgt-iscsi and rtgtd in release mode and runs the
//! `rtgt-bench-vs` program of peers/, which starts the targets and prints the
//! tables.

use crate::cmd::{build_bins, cargo, run_shown, Profile};
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Arguments for rtgt-bench-vs (`--time S`, `--qd N`; `-- --help` lists them)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

pub fn run(args: &BenchArgs) -> Result<()> {
    crate::peers::ensure_installed()?;
    let built = build_bins(
        Profile::Release,
        &[("rtgt-initiator", "rtgt-iscsi"), ("rtgt-target", "rtgtd")],
    )?;
    let rtgt_iscsi = built.join("rtgt-iscsi");
    let rtgtd = built.join("rtgtd");
    run_shown(
        cargo()
            .args([
                "run",
                "--quiet",
                "--release",
                "--package",
                "rtgt-peers",
                "--bin",
                "rtgt-bench-vs",
                "--",
                "--rtgt-iscsi",
            ])
            .arg(rtgt_iscsi)
            .arg("--rtgtd")
            .arg(rtgtd)
            .args(&args.args),
    )
}
