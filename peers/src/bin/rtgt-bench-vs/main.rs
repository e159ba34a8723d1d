//! `rtgt-bench-vs` (run by `cargo xtask bench`): two side-by-side
//! comparisons, each in one run on one machine, each printed as a table with
//! the ratio.
//!
//! - Initiators: rtgt-iscsi beside libiscsi's iscsi-perf on the same tgtd
//!   LUN, served from tgtd's `null` backing store (no storage: reads cost only
//!   the protocol), so the figures compare the initiators and the loopback
//!   path: 4 KiB random reads at `--qd` and 1 MiB sequential reads at
//!   `--seq-qd`.
//! - Targets (with `--rtgtd PATH`, see [`targets`]): rtgtd's RAM disk beside
//!   tgtd on a file in /dev/shm, both driven by rtgt-iscsi bench.

mod targets;

use anyhow::{Context, Result};
use rtgt_peers::process::output_shown;
use rtgt_peers::tgtd::{Tgtd, TgtdConfig, LUN};
use std::path::PathBuf;
use std::process::Command;

const TARGET: &str = "iqn.2024-01.org.rtgt:bench";
/// A MaxBurstLength large enough for 1 MiB reads in one burst: tgtd sends
/// each read as one Data-In sequence whatever MaxBurstLength says, which the
/// strict initiator would report (see initiator/tests/tgtd_io.rs).
pub(crate) const BURST: &str = "16776192";

#[derive(Debug, clap::Parser)]
#[command(
    name = "rtgt-bench-vs",
    about = "Benchmark rtgt-iscsi beside libiscsi's iscsi-perf on one tgtd LUN"
)]
pub(crate) struct Args {
    /// The rtgt-iscsi binary to run (a release build)
    #[arg(long, value_name = "PATH")]
    rtgt_iscsi: PathBuf,
    /// Seconds per run
    #[arg(long, default_value_t = 10)]
    time: u32,
    /// Commands in flight for the 4 KiB random reads
    #[arg(long, default_value_t = 32)]
    qd: u32,
    /// Commands in flight for the 1 MiB sequential reads and writes
    #[arg(long, default_value_t = 8)]
    seq_qd: u32,
    /// The rtgtd binary (a release build): also compare rtgtd with tgtd
    #[arg(long, value_name = "PATH")]
    rtgtd: Option<PathBuf>,
}

/// One measurement.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Figures {
    iops: f64,
    mibps: f64,
}

fn run(command: &mut Command) -> Result<String> {
    Ok(String::from_utf8_lossy(&output_shown(command)?).into_owned())
}

/// `result: iops=N mibps=M ...` from rtgt-iscsi bench.
pub(crate) fn rtgt(args: &Args, url: &str, rw: &str, bs: u64, qd: u32) -> Result<Figures> {
    let out = run(Command::new(&args.rtgt_iscsi).args([
        "bench",
        "--rw",
        rw,
        "--bs",
        &bs.to_string(),
        "--qd",
        &qd.to_string(),
        "--time",
        &args.time.to_string(),
        "--set",
        &format!("MaxBurstLength={BURST}"),
        url,
    ]))?;
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix("result: "))
        .with_context(|| format!("no result line in rtgt-iscsi's output:\n{out}"))?;
    let field = |name: &str| -> Result<f64> {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("no {name} in {line:?}"))
    };
    println!("  {line}");
    Ok(Figures {
        iops: field("iops")?,
        mibps: field("mibps")?,
    })
}

/// The last `iops average N` of iscsi-perf's progress output.
fn iscsi_perf(args: &Args, url: &str, random: bool, blocks: u64, qd: u32) -> Result<Figures> {
    let mut c = Command::new("iscsi-perf");
    c.args([
        "-t",
        &args.time.to_string(),
        "-m",
        &qd.to_string(),
        "-b",
        &blocks.to_string(),
    ]);
    if random {
        c.arg("-r");
    }
    c.arg(url);
    let out = run(&mut c)?;
    let iops: f64 = out
        .rsplit("iops average ")
        .next()
        .filter(|_| out.contains("iops average "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("no `iops average` in iscsi-perf's output:\n{out}"))?;
    let mibps = iops * (blocks * 512) as f64 / 1048576.0;
    println!("  iscsi-perf: iops={iops:.0} mibps={mibps:.1}");
    Ok(Figures { iops, mibps })
}

fn main() -> Result<()> {
    let args = <Args as clap::Parser>::parse();
    let mut config = TgtdConfig::new(TARGET);
    config.bstype = Some("null".into());
    config.params = vec![("MaxBurstLength".into(), BURST.into())];
    let tgtd = Tgtd::start(config)?;
    let url = format!("iscsi://{}/{TARGET}/{LUN}", tgtd.portal());
    let version = run(Command::new("tgtd").arg("--version")).unwrap_or_default();
    let rr_ours = rtgt(&args, &url, "randread", 4096, args.qd)?;
    let rr_theirs = iscsi_perf(&args, &url, true, 8, args.qd)?;
    let sr_ours = rtgt(&args, &url, "read", 1 << 20, args.seq_qd)?;
    let sr_theirs = iscsi_perf(&args, &url, false, 2048, args.seq_qd)?;
    drop(tgtd);
    println!();
    println!(
        "tgtd {} (null backing store) on 127.0.0.1, {} s per run",
        version.trim(),
        args.time
    );
    println!("| workload | rtgt-iscsi | iscsi-perf (libiscsi) | rtgt-iscsi / iscsi-perf |");
    println!("|---|---:|---:|---:|");
    println!(
        "| 4 KiB random read, QD {}, IOPS | {:.0} | {:.0} | {:.2} |",
        args.qd,
        rr_ours.iops,
        rr_theirs.iops,
        rr_ours.iops / rr_theirs.iops.max(1.0)
    );
    println!(
        "| 1 MiB sequential read, QD {}, MiB/s | {:.1} | {:.1} | {:.2} |",
        args.seq_qd,
        sr_ours.mibps,
        sr_theirs.mibps,
        sr_ours.mibps / sr_theirs.mibps.max(1.0)
    );
    if let Some(rtgtd) = &args.rtgtd {
        targets::compare(&args, rtgtd)?;
    }
    Ok(())
}
