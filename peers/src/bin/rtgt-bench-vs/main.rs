//! `rtgt-bench-vs` (run by `cargo xtask bench`): rtgtd beside tgtd, and
//! rtgt-iscsi beside libiscsi's iscsi-perf, each in one run on one machine,
//! as tables of medians over interleaved rounds with the ratio.
//!
//! - Targets ([`targets`]): qemu-img bench (libiscsi, a neutral client)
//!   against rtgtd's RAM disk, rtgtd on a file in /dev/shm and tgtd on a
//!   file in /dev/shm.
//! - Around them ([`extras`]): iperf3's single-stream loopback bandwidth
//!   (the ceiling), rtgtd with CRC32C digests on and off, 64 sessions at
//!   QD8 against one at QD32, and rtgtd's memory per idle session.
//! - Initiators ([`initiators`]): rtgt-iscsi bench and iscsi-perf on one
//!   tgtd LUN.

mod extras;
mod initiators;
mod qemu;
mod report;
mod targets;

use anyhow::{Context, Result};
use report::{quote, Row, Table};
use rtgt_peers::process::output_shown;
use std::path::PathBuf;
use std::process::Command;

/// A MaxBurstLength large enough for 1 MiB reads in one burst: tgtd sends
/// each read as one Data-In sequence whatever MaxBurstLength says, which the
/// strict initiator would report (see initiator/tests/tgtd_io.rs).
pub(crate) const BURST: &str = "16776192";

#[derive(Debug, clap::Parser)]
#[command(
    name = "rtgt-bench-vs",
    about = "Benchmark rtgtd beside tgtd under qemu-img bench, and rtgt-iscsi beside iscsi-perf, in one run",
    long_about = "Benchmark rtgtd beside tgtd under qemu-img bench (libiscsi), and rtgt-iscsi \
beside libiscsi's iscsi-perf, in one run. Every figure is the median of --rounds \
interleaved rounds; ratios are rtgt's median over the other's. Needs tgtd, \
qemu-img with its iscsi driver, iperf3 and iscsi-perf (`cargo xtask peers`)."
)]
pub(crate) struct Args {
    /// The rtgt-iscsi binary to run (a release build)
    #[arg(long, value_name = "PATH")]
    rtgt_iscsi: PathBuf,
    /// The rtgtd binary (a release build)
    #[arg(long, value_name = "PATH")]
    rtgtd: PathBuf,
    /// Seconds per run (qemu-img runs are sized to take this long on tgtd)
    #[arg(long, default_value_t = 5)]
    time: u32,
    /// Interleaved rounds; each figure is the median of the rounds
    #[arg(long, default_value_t = 3)]
    rounds: u32,
    /// Commands in flight for rtgt-iscsi's 4 KiB random reads
    #[arg(long, default_value_t = 32)]
    qd: u32,
    /// Commands in flight for rtgt-iscsi's 1 MiB sequential reads
    #[arg(long, default_value_t = 8)]
    seq_qd: u32,
    /// Also write the tables as JSON to this file
    #[arg(long, value_name = "PATH")]
    json: Option<PathBuf>,
    /// Leave out the initiator comparison
    #[arg(long)]
    skip_initiators: bool,
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
/// `extra` adds options (digests, sessions).
pub(crate) fn rtgt(
    args: &Args,
    url: &str,
    rw: &str,
    bs: u64,
    qd: u32,
    extra: &[&str],
) -> Result<Figures> {
    let out = run(Command::new(&args.rtgt_iscsi)
        .arg("bench")
        .args(extra)
        .args([
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

/// A goal of the performance work and whether this run meets it.
struct Goal {
    what: String,
    met: bool,
}

fn goals(cmp: &targets::Comparison, ceiling: &Row, own: &extras::SelfRows) -> Vec<Goal> {
    let mut goals = Vec::new();
    for r in &cmp.file.rows {
        let (what, met) = if r.lower_is_better {
            (
                format!(
                    "{}: rtgtd latency at most 0.80x tgtd's (equal backstores)",
                    r.workload
                ),
                r.ratio() <= 0.8,
            )
        } else {
            (
                format!(
                    "{}: rtgtd at least 2.00x tgtd (equal backstores)",
                    r.workload
                ),
                r.ratio() >= 2.0,
            )
        };
        goals.push(Goal {
            what: format!("{what}: {:.2}", r.ratio()),
            met,
        });
    }
    goals.push(Goal {
        what: format!(
            "1 MiB sequential read at least 75% of iperf3's loopback: {:.0}%",
            ceiling.ratio() * 100.0
        ),
        met: ceiling.ratio() >= 0.75,
    });
    goals.push(Goal {
        what: format!(
            "digests cost at most 5% of bandwidth: {:.1}%",
            (1.0 - own.digests.ratio()) * 100.0
        ),
        met: own.digests.ratio() >= 0.95,
    });
    goals.push(Goal {
        what: format!(
            "64 sessions x QD8 at least one session at QD32: {:.2}",
            own.sessions.ratio()
        ),
        met: own.sessions.ratio() >= 1.0,
    });
    goals
}

fn main() -> Result<()> {
    let args = <Args as clap::Parser>::parse();
    qemu::check_installed()?;
    let t = targets::Targets::start(&args.rtgtd)?;
    println!("sizing each workload to about {} s on tgtd", args.time);
    let counts = targets::sizes(&t, f64::from(args.time))?;
    let mut cmp = targets::Comparison::new();
    let mut ceiling = Row::new(
        "1 MiB sequential read, QD8: rtgtd RAM / iperf3 one TCP stream".into(),
        "MiB/s",
        false,
    );
    let mut own = extras::SelfRows::new(&args);
    for round in 1..=args.rounds {
        println!("targets, round {round} of {}", args.rounds);
        targets::round(&t, &counts, &mut cmp)?;
        let read = cmp
            .ram
            .rows
            .get(3)
            .and_then(|r| r.ours.rounds.last())
            .copied()
            .unwrap_or(0.0);
        ceiling.ours.rounds.push(read);
        ceiling
            .theirs
            .rounds
            .push(extras::loopback_mibps(args.time)?);
        own.round(&args, &t.ram_url())?;
    }
    let pid = t.ram.pid().context("rtgtd exited")?;
    let idle_kib = extras::kib_per_idle_session(&args, pid, &t.ram_url(), 64)?;
    drop(t);
    let mut tables = vec![
        cmp.ram.clone(),
        cmp.file.clone(),
        Table {
            title: "Ceiling: the same run's loopback TCP bandwidth".into(),
            ours: "rtgtd".into(),
            theirs: "iperf3".into(),
            rows: vec![ceiling.clone()],
        },
        own.table(),
    ];
    if !args.skip_initiators {
        tables.push(initiators::compare(&args)?);
    }
    let goals = goals(&cmp, &ceiling, &own);
    for t in &tables {
        print!("{}", t.markdown());
    }
    println!("\nrtgtd memory per idle session (64 sessions, VmRSS): {idle_kib:.1} KiB");
    println!("\nGoals:");
    for g in &goals {
        println!("- [{}] {}", if g.met { "x" } else { " " }, g.what);
    }
    if let Some(path) = &args.json {
        let json = format!(
            "{{\"tables\":[{}],\"kib_per_idle_session\":{},\"goals\":[{}]}}\n",
            tables.iter().map(Table::json).collect::<Vec<_>>().join(","),
            report::number(idle_kib),
            goals
                .iter()
                .map(|g| format!("{{\"goal\":{},\"met\":{}}}", quote(&g.what), g.met))
                .collect::<Vec<_>>()
                .join(",")
        );
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
