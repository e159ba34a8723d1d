//! `cargo xtask sim`: runs the deterministic simulator (the `rtgt-sim`
//! binary, built with --release) over seeds, or replays one seed.

use anyhow::Result;
use clap::Args;

use crate::cmd::{cargo, run_shown};

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Build the simulator with a deliberately broken core variant
    /// (`broken-fua`, `broken-r2t`, ...: the features of sim/Cargo.toml), or
    /// `mutants` for all of them (with `--mutants N`); give it before the
    /// simulator's own arguments.
    #[arg(long)]
    broken: Option<String>,
    /// The simulator's arguments (`--seeds N`, `--from N`, `--jobs N`,
    /// `--seed N --trace`, `--pcap FILE`, `--shrink`, `--twice`, `--soak 1h`, limits such
    /// as `--initiators N`, `--ops N`, `--no-crashes`; `-- --help` lists
    /// them). Without `--seed` or `--seeds`, 1000 seeds run.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

fn sim_command(features: Option<&str>, args: &[String]) -> Result<()> {
    let mut c = cargo();
    c.args([
        "run",
        "--quiet",
        "--release",
        "-p",
        "rtgt-sim",
        "--bin",
        "rtgt-sim",
    ]);
    if let Some(f) = features {
        c.args(["--features", f]);
    }
    c.arg("--");
    c.args(args);
    run_shown(&mut c)
}

pub fn run(a: &SimArgs) -> Result<()> {
    let mut args = a.args.clone();
    let names_seeds = args.iter().any(|arg| {
        ["--seed", "--seeds", "--mutants", "--soak", "--help", "-h"].contains(&arg.as_str())
    });
    if !names_seeds {
        args.extend(["--seeds".into(), "1000".into()]);
    }
    sim_command(a.broken.as_deref(), &args)
}

/// What CI runs: 300 seeds, a determinism check of 50 seeds run twice, and
/// the mutation score: one release build with every deliberately broken
/// core variant, each of which must be caught within 200 seeds.
pub fn ci() -> Result<()> {
    sim_command(None, &["--seeds".into(), "300".into()])?;
    sim_command(
        Some("mutants"),
        &[
            "--mutants".into(),
            "200".into(),
            "--jobs".into(),
            "2".into(),
        ],
    )?;
    sim_command(
        None,
        &[
            "--seeds".into(),
            "50".into(),
            "--from".into(),
            "100000".into(),
            "--twice".into(),
        ],
    )
}
