//! rtgtd beside tgtd, the same workloads from rtgt-iscsi bench against each,
//! in one run: rtgtd's `--demo` RAM disk and tgtd's `rdwr` backing store on
//! a file in /dev/shm (memory on both sides). The sequential write runs
//! first, so the reads that follow find written blocks on both targets.

use super::{rtgt, Args, Figures, BURST};
use anyhow::Result;
use rtgt_peers::rtgtd::{Rtgtd, READY_TIMEOUT};
use rtgt_peers::tgtd::{Tgtd, TgtdConfig, LUN};
use std::path::{Path, PathBuf};
use std::process::Command;

const TGTD_IQN: &str = "iqn.2024-01.org.rtgt:bench-target";
const LUN_BYTES: u64 = 1 << 30;

/// Sequential 1 MiB write, then 4 KiB random reads and 1 MiB sequential reads.
fn workloads(args: &Args, url: &str) -> Result<[Figures; 3]> {
    let write = rtgt(args, url, "write", 1 << 20, args.seq_qd)?;
    let random = rtgt(args, url, "randread", 4096, args.qd)?;
    let read = rtgt(args, url, "read", 1 << 20, args.seq_qd)?;
    Ok([random, read, write])
}

pub fn compare(args: &Args, rtgtd: &Path) -> Result<()> {
    let ours = {
        let mut command = Command::new(rtgtd);
        command.args(["--demo", "--listen", "127.0.0.1:0"]).args([
            "--size",
            "1G",
            "--log-level",
            "warn",
        ]);
        let log =
            std::env::temp_dir().join(format!("rtgt-bench-vs-rtgtd-{}.log", std::process::id()));
        let daemon = Rtgtd::spawn(command, &log, READY_TIMEOUT)?;
        workloads(
            args,
            &format!("iscsi://{}/{}/0", daemon.addr(), daemon.iqn()),
        )?
    };
    let mut config = TgtdConfig::new(TGTD_IQN);
    config.lun_bytes = LUN_BYTES;
    config.backing_dir = Some(PathBuf::from("/dev/shm"));
    config.params = vec![("MaxBurstLength".into(), BURST.into())];
    let theirs = {
        let tgtd = Tgtd::start(config)?;
        workloads(args, &format!("iscsi://{}/{TGTD_IQN}/{LUN}", tgtd.portal()))?
    };
    println!();
    println!(
        "rtgtd --demo (RAM) and tgtd (rdwr, 1 GiB file in /dev/shm) on 127.0.0.1, \
         rtgt-iscsi bench, {} s per run",
        args.time
    );
    println!("| workload | rtgtd | tgtd | rtgtd / tgtd |");
    println!("|---|---:|---:|---:|");
    let row = |name: String, ours: f64, theirs: f64| {
        println!(
            "| {name} | {ours:.1} | {theirs:.1} | {:.2} |",
            ours / theirs.max(1.0)
        );
    };
    row(
        format!("4 KiB random read, QD {}, IOPS", args.qd),
        ours[0].iops,
        theirs[0].iops,
    );
    row(
        format!("1 MiB sequential read, QD {}, MiB/s", args.seq_qd),
        ours[1].mibps,
        theirs[1].mibps,
    );
    row(
        format!("1 MiB sequential write, QD {}, MiB/s", args.seq_qd),
        ours[2].mibps,
        theirs[2].mibps,
    );
    Ok(())
}
