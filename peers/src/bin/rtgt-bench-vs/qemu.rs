//! The neutral client: qemu's `qemu-img bench` over its libiscsi driver,
//! neither rtgt's initiator nor tgt's. It runs a fixed count of requests
//! of one size at one queue depth and prints the time they took.
//!
//! `qemu-img bench` has no random mode: it moves by a fixed step and wraps
//! at the end of the image. The "strided" workloads step 2053 blocks of
//! 4 KiB (a prime, so every 4 KiB slot of a 1 GiB LUN is visited before one
//! repeats): no two requests in a row are adjacent, which is what a random
//! workload costs a target that does no read-ahead.

use anyhow::{bail, Context, Result};
use rtgt_peers::process::output_shown;
use std::process::Command;

/// What a workload's figure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Metric {
    Iops,
    MibPerSec,
    /// Mean time per request at queue depth 1, in microseconds.
    LatencyUs,
}

impl Metric {
    pub fn unit(self) -> &'static str {
        match self {
            Metric::Iops => "IOPS",
            Metric::MibPerSec => "MiB/s",
            Metric::LatencyUs => "µs per request",
        }
    }
}

/// One `qemu-img bench` workload.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Workload {
    pub name: &'static str,
    pub write: bool,
    pub bs: u64,
    pub qd: u32,
    pub strided: bool,
    pub metric: Metric,
    /// Requests in the short run that sizes the measured ones.
    pub probe: u64,
}

const STRIDE_BLOCKS: u64 = 2053;

/// The workloads of the table, the sequential write first so that
/// the reads after it find written blocks on every target.
pub(crate) const WORKLOADS: [Workload; 5] = [
    Workload::new(
        "1 MiB sequential write, QD8",
        Io::Write,
        1 << 20,
        8,
        Metric::MibPerSec,
    ),
    Workload::new(
        "4 KiB strided write, QD32",
        Io::Write,
        4096,
        32,
        Metric::Iops,
    ),
    Workload::new("4 KiB strided read, QD32", Io::Read, 4096, 32, Metric::Iops),
    Workload::new(
        "1 MiB sequential read, QD8",
        Io::Read,
        1 << 20,
        8,
        Metric::MibPerSec,
    ),
    Workload::new(
        "4 KiB strided read, QD1",
        Io::Read,
        4096,
        1,
        Metric::LatencyUs,
    ),
];

/// Which way the data goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Io {
    Read,
    Write,
}

impl Workload {
    /// 4 KiB requests stride (see the module), larger ones are sequential;
    /// the sizing run moves about 300 MiB or 20,000 requests (3,000 at QD1).
    const fn new(name: &'static str, io: Io, bs: u64, qd: u32, metric: Metric) -> Workload {
        let strided = bs < (1 << 20);
        let probe = if !strided {
            300
        } else if qd == 1 {
            3_000
        } else {
            20_000
        };
        Workload {
            name,
            write: matches!(io, Io::Write),
            bs,
            qd,
            strided,
            metric,
            probe,
        }
    }

    /// Runs `count` requests against `url`; gives the figure.
    pub fn run(&self, url: &str, count: u64) -> Result<f64> {
        let secs = self.seconds(url, count)?;
        Ok(self.figure(count, secs))
    }

    /// The request count that takes about `time` seconds on `url`.
    pub fn size(&self, url: &str, time: f64) -> Result<u64> {
        let secs = self.seconds(url, self.probe)?;
        let rate = self.probe as f64 / secs.max(1e-6);
        Ok(((rate * time) as u64).max(self.probe))
    }

    fn figure(&self, count: u64, secs: f64) -> f64 {
        let secs = secs.max(1e-9);
        match self.metric {
            Metric::Iops => count as f64 / secs,
            Metric::MibPerSec => (count * self.bs) as f64 / secs / 1_048_576.0,
            Metric::LatencyUs => secs * 1e6 / count as f64,
        }
    }

    fn seconds(&self, url: &str, count: u64) -> Result<f64> {
        let step = if self.strided {
            self.bs * STRIDE_BLOCKS
        } else {
            self.bs
        };
        let mut c = Command::new("qemu-img");
        c.args(["bench", "-f", "raw", "-t", "none"])
            .args(["-c", &count.to_string()])
            .args(["-d", &self.qd.to_string()])
            .args(["-s", &self.bs.to_string()])
            .args(["-S", &step.to_string()]);
        if self.write {
            // Not zeros: a RAM disk that skips zero blocks would not store them.
            c.args(["-w", "--pattern=165"]);
        }
        c.arg(url);
        let out = String::from_utf8_lossy(&output_shown(&mut c)?).into_owned();
        completed_in(&out).with_context(|| {
            format!("no `Run completed in N seconds.` in qemu-img's output:\n{out}")
        })
    }
}

/// The seconds of `Run completed in 1.234 seconds.`.
fn completed_in(out: &str) -> Option<f64> {
    out.lines()
        .find_map(|l| l.trim().strip_prefix("Run completed in "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// Fails with what to do when qemu-img or its iSCSI driver is missing.
pub(crate) fn check_installed() -> Result<()> {
    let out = Command::new("qemu-img").arg("--help").output();
    let Ok(out) = out else {
        bail!("qemu-img not found: run `cargo xtask peers` (Debian's qemu-utils)");
    };
    let help = String::from_utf8_lossy(&out.stdout);
    if !help.contains("iscsi") {
        bail!("qemu-img has no iscsi driver: run `cargo xtask peers` (Debian's qemu-block-extra)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_time_qemu_img_prints() {
        let out = "Sending 100 read requests, 4096 bytes each, 1 in parallel\nRun completed in 0.052 seconds.\n";
        assert_eq!(completed_in(out), Some(0.052));
        assert_eq!(completed_in("error"), None);
    }

    #[test]
    fn figures_from_count_and_time() {
        let w = WORKLOADS[3];
        assert_eq!(w.figure(1024, 1.0), 1024.0);
        let qd1 = WORKLOADS[4];
        assert!((qd1.figure(1000, 0.1) - 100.0).abs() < 1e-9);
    }
}
