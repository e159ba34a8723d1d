//! `cargo xtask sim`: runs the deterministic simulator (the `rtgt-sim`
//! binary, built with --release) over seeds, or replays one seed.

use anyhow::Result;
use clap::Args;

use crate::cmd::{cargo, run_command};

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Run this many seeds.
    #[arg(long)]
    seeds: Option<u64>,
    /// First seed of a sweep.
    #[arg(long)]
    from: Option<u64>,
    /// Worker threads of a sweep (each seed stays single-threaded).
    #[arg(long)]
    jobs: Option<usize>,
    /// Replay one seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Print the replayed seed's readable event trace.
    #[arg(long)]
    trace: bool,
    /// Write the replayed seed's iSCSI traffic as a pcap file.
    #[arg(long)]
    pcap: Option<String>,
    /// Shrink a failing seed to the smallest run that still fails.
    #[arg(long)]
    shrink: bool,
    /// Run each seed twice and fail if its trace hash differs.
    #[arg(long)]
    twice: bool,
    /// Build the simulator with a deliberately broken core variant
    /// (broken-fua, broken-datasn, broken-abort).
    #[arg(long)]
    broken: Option<String>,
    /// Limits for replaying a shrunk run, passed through.
    #[arg(long)]
    initiators: Option<usize>,
    #[arg(long)]
    ops: Option<u32>,
    #[arg(long)]
    no_crashes: bool,
    #[arg(long)]
    no_net_faults: bool,
    #[arg(long)]
    no_disk_faults: bool,
    #[arg(long)]
    no_tmf: bool,
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
    run_command(&mut c)
}

pub fn run(a: &SimArgs) -> Result<()> {
    let mut args: Vec<String> = Vec::new();
    let mut opt = |name: &str, v: Option<String>| {
        if let Some(v) = v {
            args.push(name.into());
            args.push(v);
        }
    };
    opt("--seeds", a.seeds.map(|v| v.to_string()));
    opt("--from", a.from.map(|v| v.to_string()));
    opt("--jobs", a.jobs.map(|v| v.to_string()));
    opt("--seed", a.seed.map(|v| v.to_string()));
    opt("--pcap", a.pcap.clone());
    opt("--initiators", a.initiators.map(|v| v.to_string()));
    opt("--ops", a.ops.map(|v| v.to_string()));
    for (on, flag) in [
        (a.trace, "--trace"),
        (a.shrink, "--shrink"),
        (a.twice, "--twice"),
        (a.no_crashes, "--no-crashes"),
        (a.no_net_faults, "--no-net-faults"),
        (a.no_disk_faults, "--no-disk-faults"),
        (a.no_tmf, "--no-tmf"),
    ] {
        if on {
            args.push(flag.into());
        }
    }
    if a.seed.is_none() && a.seeds.is_none() {
        args.extend(["--seeds".into(), "1000".into()]);
    }
    sim_command(a.broken.as_deref(), &args)
}

/// What CI runs: 300 seeds, a determinism check of 50 seeds run twice, and
/// the proof that each deliberately broken core variant is caught.
pub fn ci() -> Result<()> {
    sim_command(None, &["--seeds".into(), "300".into()])?;
    for f in ["broken-fua", "broken-datasn", "broken-abort"] {
        let mut c = cargo();
        c.args([
            "test",
            "--quiet",
            "-p",
            "rtgt-sim",
            "--lib",
            "--features",
            f,
            "broken",
        ]);
        run_command(&mut c)?;
    }
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
