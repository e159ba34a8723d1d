//! `cargo xtask fuzz-net`: builds the network fuzzer (netfuzz/) and runs it
//! with the arguments given (`--target HOST:PORT [--iqn IQN] [--lun N]
//! [--chap USER:SECRET] [--time SECS] [--seed N] [--pid PID] [--out DIR]`,
//! or `--replay FILE`; `--help` lists them). Findings land in
//! build/fuzz-net/ unless `--out` says otherwise.

use crate::cmd::{build_bins, run_shown, Profile};
use anyhow::Result;
use std::process::Command;

#[derive(Debug, clap::Args)]
pub struct FuzzNetArgs {
    /// Arguments for rtgt-fuzz-net (`--help` lists them)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

pub fn run(args: &FuzzNetArgs) -> Result<()> {
    let bin =
        build_bins(Profile::Debug, &[("rtgt-fuzz-net", "rtgt-fuzz-net")])?.join("rtgt-fuzz-net");
    run_shown(Command::new(bin).args(&args.args))
}
