//! `cargo xtask bench`: rtgtd against tgtd under qemu-img bench (a neutral
//! client) with equal backstores, the loopback ceiling, digests, 64
//! sessions, and rtgt-iscsi against libiscsi's iscsi-perf, in one run.
//! Installs the tools, builds rtgt-iscsi and rtgtd in release mode and runs
//! the `rtgt-bench-vs` program of peers/, which starts the targets and
//! prints the tables (and JSON with `--json PATH`).

use crate::cmd::{build_bins, cargo, run_shown, Profile};
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Arguments for rtgt-bench-vs (`--time S`, `--rounds N`, `--json PATH`;
    /// `-- --help` lists them)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

pub fn run(args: &BenchArgs) -> Result<()> {
    crate::peers::ensure_bench_tools()?;
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
