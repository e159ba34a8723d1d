//! rtgt-iscsi beside libiscsi's iscsi-perf on the same tgtd LUN, served
//! from tgtd's `null` backing store (no storage: reads cost only the
//! protocol), so the figures compare the initiators and the loopback path.

use super::report::{Row, Table};
use super::{rtgt, run, Args, Figures, BURST};
use anyhow::{Context, Result};
use rtgt_peers::tgtd::{Tgtd, TgtdConfig, LUN};
use std::process::Command;

const TARGET: &str = "iqn.2024-01.org.rtgt:bench-initiators";

/// `rounds` interleaved rounds of 4 KiB random reads at `--qd` and 1 MiB
/// sequential reads at `--seq-qd`, each by both initiators.
pub(crate) fn compare(args: &Args) -> Result<Table> {
    let mut config = TgtdConfig::new(TARGET);
    config.bstype = Some("null".into());
    config.params = vec![("MaxBurstLength".into(), BURST.into())];
    let tgtd = Tgtd::start(config)?;
    let url = format!("iscsi://{}/{TARGET}/{LUN}", tgtd.portal());
    let version = run(Command::new("tgtd").arg("--version")).unwrap_or_default();
    let mut random = Row::new(format!("4 KiB random read, QD{}", args.qd), "IOPS", false);
    let mut seq = Row::new(
        format!("1 MiB sequential read, QD{}", args.seq_qd),
        "MiB/s",
        false,
    );
    for round in 1..=args.rounds {
        println!("initiators, round {round} of {}", args.rounds);
        random
            .ours
            .rounds
            .push(rtgt(args, &url, "randread", 4096, args.qd, &[])?.iops);
        random
            .theirs
            .rounds
            .push(iscsi_perf(args, &url, true, 8, args.qd)?.iops);
        seq.ours
            .rounds
            .push(rtgt(args, &url, "read", 1 << 20, args.seq_qd, &[])?.mibps);
        seq.theirs
            .rounds
            .push(iscsi_perf(args, &url, false, 2048, args.seq_qd)?.mibps);
    }
    Ok(Table {
        title: format!(
            "Initiators on one tgtd LUN ({}, null backing store), 127.0.0.1",
            version.trim()
        ),
        ours: "rtgt-iscsi".into(),
        theirs: "iscsi-perf (libiscsi)".into(),
        rows: vec![random, seq],
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
