//! `cargo xtask capture`: records real iSCSI sessions between Debian's tgtd
//! and libiscsi's tools as test vectors under proto/tests/vectors/. Installs
//! the peers when missing, builds rtgt's own initiator CLI (one scenario uses
//! it), then runs the `rtgt-capture` program of peers/ with it on PATH.

use crate::cmd::{cargo, run_command, workspace_root};
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct CaptureArgs {
    /// Arguments for rtgt-capture (`--only SCENARIO`, `--out DIR`; `-- --help` lists them)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

pub fn run(args: &CaptureArgs) -> Result<()> {
    crate::peers::ensure_installed()?;
    run_command(cargo().args([
        "build",
        "--quiet",
        "--package",
        "rtgt-initiator",
        "--bin",
        "rtgt-iscsi",
    ]))?;
    let built = workspace_root().join("build/debug");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let path = std::env::join_paths(std::iter::once(built).chain(std::env::split_paths(&path)))?;
    run_command(
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
