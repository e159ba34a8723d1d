//! `cargo xtask capture`: records real iSCSI sessions between Debian's tgtd
//! and libiscsi's tools as test vectors under proto/tests/vectors/. Installs
//! the peers when missing, then runs the `rtgt-capture` program of peers/.

use crate::cmd::{cargo, run_command};
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct CaptureArgs {
    /// Arguments for rtgt-capture (`--only SCENARIO`, `--out DIR`; `-- --help` lists them)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

pub fn run(args: &CaptureArgs) -> Result<()> {
    crate::peers::ensure_installed()?;
    run_command(
        cargo()
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
