//! `cargo xtask capture`: records real iSCSI sessions between Debian's tgtd
//! and libiscsi's tools as test vectors under proto/tests/vectors/. Installs
//! the peers when missing, builds rtgt's own initiator CLI (one scenario uses
//! it), then runs the `rtgt-capture` program of peers/ with it on PATH.

use crate::cmd::{build_bins, cargo, run_shown, Profile};
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct CaptureArgs {
    /// Arguments for rtgt-capture (`--only SCENARIO`, `--out DIR`; `-- --help` lists them)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

pub fn run(args: &CaptureArgs) -> Result<()> {
    crate::peers::ensure_capture_tools()?;
    let built = build_bins(Profile::Debug, &[("rtgt-initiator", "rtgt-iscsi")])?;
    let path = std::env::var_os("PATH").unwrap_or_default();
    let path = std::env::join_paths(std::iter::once(built).chain(std::env::split_paths(&path)))?;
    run_shown(
        cargo()
            .env("PATH", path)
            .args([
                "run",
                "--quiet",
                "--package",
                "rtgt-peers",
                "--bin",
                "rtgt-capture",
                "--",
            ])
            .args(&args.args),
    )
}
