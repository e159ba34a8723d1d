//! rtgtd beside tgtd under the neutral client ([`super::qemu`]), in one
//! run: the three set-ups run side by side, and each round runs every
//! workload on each of them in turn, so that a disturbance of the machine
//! falls on all of them alike.
//!
//! - rtgtd, RAM disk of 1 GiB;
//! - rtgtd, a 1 GiB file in /dev/shm (`backstore = "file"`);
//! - tgtd, a 1 GiB file in /dev/shm (its `rdwr` backing store).

use super::qemu::{Metric, Workload, WORKLOADS};
use super::report::{Row, Table};
use anyhow::{Context, Result};
use rtgt_peers::rtgtd::{Rtgtd, READY_TIMEOUT};
use rtgt_peers::tgtd::{free_loopback_port, Tgtd, TgtdConfig, LUN};
use std::path::{Path, PathBuf};
use std::process::Command;

const TGTD_IQN: &str = "iqn.2024-01.org.rtgt:bench-tgtd";
const RTGTD_IQN: &str = "iqn.2024-01.org.rtgt:bench";
const LUN_BYTES: u64 = 1 << 30;

/// The running targets, stopped when dropped.
pub(crate) struct Targets {
    pub ram: Rtgtd,
    pub file: Rtgtd,
    pub tgtd: Tgtd,
    dir: PathBuf,
}

impl Drop for Targets {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Targets {
    pub fn start(rtgtd: &Path) -> Result<Targets> {
        let dir = Path::new("/dev/shm").join(format!("rtgt-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let ram = start_rtgtd(rtgtd, &dir, "ram", "backstore = \"ram\"")?;
        let img = dir.join("rtgtd.img");
        let file = start_rtgtd(
            rtgtd,
            &dir,
            "file",
            &format!("backstore = \"file\"\npath = \"{}\"", img.display()),
        )?;
        let mut config = TgtdConfig::new(TGTD_IQN);
        config.lun_bytes = LUN_BYTES;
        config.backing_dir = Some(dir.clone());
        let tgtd = Tgtd::start(config)?;
        Ok(Targets {
            ram,
            file,
            tgtd,
            dir,
        })
    }

    pub fn ram_url(&self) -> String {
        format!("iscsi://{}/{RTGTD_IQN}/0", self.ram.addr())
    }

    fn file_url(&self) -> String {
        format!("iscsi://{}/{RTGTD_IQN}/0", self.file.addr())
    }

    fn tgtd_url(&self) -> String {
        format!("iscsi://{}/{TGTD_IQN}/{LUN}", self.tgtd.portal())
    }
}

/// An rtgtd serving one 1 GiB LUN described by `lun` on a free port, with
/// its default runtime.
fn start_rtgtd(binary: &Path, dir: &Path, name: &str, lun: &str) -> Result<Rtgtd> {
    let port = free_loopback_port()?;
    let config = dir.join(format!("{name}.toml"));
    let text = format!(
        "portals = [\"127.0.0.1:{port}\"]\nlog_level = \"warn\"\nstate_dir = \"{}\"\n\n\
         [[target]]\niqn = \"{RTGTD_IQN}\"\n\n[[target.lun]]\nlun = 0\n{lun}\nsize = \"1G\"\nblock_size = 512\n",
        dir.join(format!("{name}-state")).display()
    );
    std::fs::write(&config, text).with_context(|| format!("writing {}", config.display()))?;
    let mut command = Command::new(binary);
    command.arg("--config").arg(&config);
    Rtgtd::spawn(command, &dir.join(format!("{name}.log")), READY_TIMEOUT)
}

/// The figures of both comparisons: rtgtd's RAM disk against tgtd, and
/// rtgtd's file against tgtd's file.
pub(crate) struct Comparison {
    pub ram: Table,
    pub file: Table,
}

impl Comparison {
    pub fn new() -> Comparison {
        let rows = |_: &str| {
            WORKLOADS
                .iter()
                .map(|w| {
                    Row::new(
                        w.name.to_owned(),
                        w.metric.unit(),
                        w.metric == Metric::LatencyUs,
                    )
                })
                .collect()
        };
        let title = "Targets under qemu-img bench (libiscsi), 127.0.0.1";
        Comparison {
            ram: Table {
                title: format!("{title}: rtgtd RAM disk against tgtd on a file in /dev/shm"),
                ours: "rtgtd RAM".into(),
                theirs: "tgtd file".into(),
                rows: rows("ram"),
            },
            file: Table {
                title: format!("{title}: equal backstores, a 1 GiB file in /dev/shm on both sides"),
                ours: "rtgtd file".into(),
                theirs: "tgtd file".into(),
                rows: rows("file"),
            },
        }
    }
}

/// Request counts per workload that take about `time` seconds on tgtd.
pub(crate) fn sizes(t: &Targets, time: f64) -> Result<Vec<u64>> {
    WORKLOADS
        .iter()
        .map(|w| w.size(&t.tgtd_url(), time))
        .collect()
}

/// One round: every workload on each set-up in turn, with `counts`
/// requests.
pub(crate) fn round(t: &Targets, counts: &[u64], into: &mut Comparison) -> Result<()> {
    for (i, (w, &count)) in WORKLOADS.iter().zip(counts).enumerate() {
        let figure = |url: &str, w: &Workload| w.run(url, count);
        let ram = figure(&t.ram_url(), w)?;
        let file = figure(&t.file_url(), w)?;
        let tgtd = figure(&t.tgtd_url(), w)?;
        println!(
            "  {}: rtgtd RAM {ram:.1}, rtgtd file {file:.1}, tgtd file {tgtd:.1} {}",
            w.name,
            w.metric.unit()
        );
        if let Some(r) = into.ram.rows.get_mut(i) {
            r.ours.rounds.push(ram);
            r.theirs.rounds.push(tgtd);
        }
        if let Some(r) = into.file.rows.get_mut(i) {
            r.ours.rounds.push(file);
            r.theirs.rounds.push(tgtd);
        }
    }
    Ok(())
}
