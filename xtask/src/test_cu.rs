//! libiscsi's whole test tool against rtgtd: `iscsi-test-cu -d -S -t ALL`
//! with two initiator names on a thin, removable file LUN reached through
//! two portals (the multipath URL), its ReadOnly tests on a second,
//! write-protected LUN and GetLBAStatus.UnmapSingle on a third (see
//! [`config`]), summarised by `rtgt-test-cu`. Fails on any failed
//! test, or on more than three skipped.

use crate::cmd::{build_bins, run_shown, Profile};
use anyhow::{bail, Result};
use rtgt_peers::rtgtd::{Rtgtd, READY_TIMEOUT};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const IQN: &str = "iqn.2024-01.org.rtgt:test-cu";

/// The configuration: two loopback portals on ports the OS picks, LUN 0 a
/// thin removable 128 MiB file, LUN 1 a read-only RAM disk, LUN 2 a thin
/// RAM disk with one logical block per physical block.
///
/// Settings and second runs that meet premises of the test tool:
/// - `[nop] interval_secs = 0`: the tool sleeps up to 60 s without reading
///   its socket (Sanitize.Reset), so it cannot answer NOP-In pings, and a
///   connection dropped for it comes back with an I_T NEXUS LOSS unit
///   attention that restarts the wait;
/// - `sanitize_rate = "16M"` on LUN 0: Sanitize.Reset wants the overwrite of
///   the whole LU still running four seconds after it began; paced, the
///   128 MiB take eight;
/// - LUN 2 (`physical_block_size = 512`) runs GetLBAStatus.UnmapSingle: it
///   asks GET LBA STATUS at LBA i+1 and wants the first descriptor at i +
///   (logical blocks per physical block), which SBC-4 §5.8 (the first
///   descriptor starts at the LBA asked for) only allows with one logical
///   block per physical block, while on LUN 0 (eight, the default 4096-byte
///   physical block) five other tests run that skip with fewer than two;
/// - Sanitize.Reset runs again, alone, on LUN 0: in the main run the
///   multipath URL's session still holds the RESERVE (6) reservation that
///   Sanitize.Reservations takes and never releases, so the SANITIZE of
///   Sanitize.Reset rightly meets RESERVATION CONFLICT.
fn config(dir: &Path) -> String {
    format!(
        r#"portals = ["127.0.0.1:0", "127.0.0.1:0"]
state_dir = "{state}"
log_level = "warn"

[nop]
interval_secs = 0

[[target]]
iqn = "{IQN}"

[[target.lun]]
lun = 0
backstore = "file"
path = "{disk}"
size = "128M"
thin = true
removable = true
sanitize_rate = "16M"

[[target.lun]]
lun = 1
backstore = "ram"
size = "16M"
read_only = true

[[target.lun]]
lun = 2
backstore = "ram"
size = "16M"
physical_block_size = 512
"#,
        state = dir.join("state").display(),
        disk = dir.join("lun0.img").display(),
    )
}

pub fn run() -> Result<()> {
    let started = Instant::now();
    crate::peers::ensure_installed()?;
    let bin = build_bins(
        Profile::Debug,
        &[("rtgt-target", "rtgtd"), ("rtgt-peers", "rtgt-test-cu")],
    )?;
    let dir = std::env::temp_dir().join(format!("rtgt-test-cu-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let cfg = dir.join("rtgt.toml");
    std::fs::write(&cfg, config(&dir))?;
    let result = (|| {
        let mut command = Command::new(bin.join("rtgtd"));
        command.arg("--config").arg(&cfg);
        let mut daemon = Rtgtd::spawn(command, &bin.join("test-cu-rtgtd.log"), READY_TIMEOUT)?;
        if daemon.portals.len() < 2 {
            bail!(
                "rtgtd did not report two portals; see {}",
                daemon.log.display()
            );
        }
        let url = |portal: &str, lun: u16| format!("iscsi://{portal}/{IQN}/{lun}");
        let (main, second) = (&daemon.portals[0], &daemon.portals[1]);
        let res = run_shown(
            Command::new(bin.join("rtgt-test-cu"))
                .args(["--dataloss", "--allow-sanitize"])
                .args(["--max-failed", "0", "--max-skipped", "3"])
                .args(["--multipath-url", &url(second, 0)])
                .args(["--readonly-url", &url(main, 1)])
                .args([
                    "--on",
                    &format!("SCSI.GetLBAStatus.UnmapSingle={}", url(main, 2)),
                ])
                .args(["--on", &format!("SCSI.Sanitize.Reset={}", url(main, 0))])
                .arg(url(main, 0)),
        );
        // The test tool's verdict first, then whether rtgtd stopped.
        let stopped = daemon.stop();
        res?;
        stopped.map(|_| ())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "xtask test-cu: {} in {:.0?}",
        if result.is_ok() { "passed" } else { "FAILED" },
        started.elapsed()
    );
    result
}
