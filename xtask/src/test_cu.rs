//! libiscsi's whole test tool against rtgtd: `iscsi-test-cu -d -S -t ALL`
//! with two initiator names on a thin, removable file LUN reached through
//! two portals (the multipath URL), and its ReadOnly tests on a second,
//! write-protected LUN, summarised by `rtgt-test-cu`. Fails on any failed
//! test but the known faults of the tool (listed with their reason), or on
//! more than three skipped.

use crate::cmd::{cargo, display, run_command, workspace_root};
use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const IQN: &str = "iqn.2024-01.org.rtgt:test-cu";

/// Tests of libiscsi 1.19.0 that no target following SBC-4 passes, with the
/// reason; `rtgt-test-cu` fails the run if one of them passes.
const KNOWN_FAILURES: &[(&str, &str)] = &[
    (
        "GetLBAStatus.UnmapSingle",
        "asks GET LBA STATUS at LBA i+1 and wants the first descriptor at \
         i+LBPPB: true only with one logical block per physical block \
         (SBC-4 §5.8 starts it at the LBA asked for)",
    ),
    (
        "WriteSame10.UnmapUntilEnd",
        "sends a block of FFh with UNMAP one and wants zeros back; SBC-4 §5.47 \
         has later reads return the block sent (the (16) test clears it first)",
    ),
    (
        "Sanitize.Reset",
        "wants the overwrite of the whole LU still running three seconds \
         later; rtgt overwrites 128 MiB in well under one",
    ),
];

/// The configuration: two loopback portals on ports the OS picks, LUN 0 a
/// thin removable 128 MiB file, LUN 1 a read-only RAM disk.
fn config(dir: &Path) -> String {
    format!(
        r#"portals = ["127.0.0.1:0", "127.0.0.1:0"]
state_dir = "{state}"
log_level = "warn"

[[target]]
iqn = "{IQN}"

[[target.lun]]
lun = 0
backstore = "file"
path = "{disk}"
size = "128M"
thin = true
removable = true

[[target.lun]]
lun = 1
backstore = "ram"
size = "16M"
read_only = true
"#,
        state = dir.join("state").display(),
        disk = dir.join("lun0.img").display(),
    )
}

/// A running rtgtd, stopped with SIGTERM when dropped.
struct Daemon {
    child: Child,
    portals: Vec<String>,
}

impl Daemon {
    fn start(bin: &Path, config: &Path) -> Result<Daemon> {
        let mut command = Command::new(bin);
        command
            .args(["--config"])
            .arg(config)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        println!("$ {}", display(&command));
        let mut child = command.spawn().context("could not start rtgtd")?;
        let out = child.stdout.take().context("rtgtd stdout")?;
        let mut portals = Vec::new();
        let mut lines = BufReader::new(out).lines();
        for line in lines.by_ref() {
            let line = line?;
            if let Some(a) = line.strip_prefix("rtgtd: listening on ") {
                portals.push(a.to_string());
            }
            if line == "rtgtd: ready" {
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        let mut d = Daemon { child, portals };
        if d.portals.len() < 2 {
            d.stop();
            bail!("rtgtd did not report two portals");
        }
        Ok(d)
    }

    fn stop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop();
        }
    }
}

pub fn run() -> Result<()> {
    let started = Instant::now();
    crate::peers::ensure_installed()?;
    run_command(cargo().args([
        "build",
        "--package",
        "rtgt-target",
        "--bin",
        "rtgtd",
        "--package",
        "rtgt-peers",
        "--bin",
        "rtgt-test-cu",
    ]))?;
    let bin = workspace_root().join("build").join("debug");
    let dir = std::env::temp_dir().join(format!("rtgt-test-cu-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let cfg = dir.join("rtgt.toml");
    std::fs::write(&cfg, config(&dir))?;
    let result = (|| {
        let mut daemon = Daemon::start(&bin.join("rtgtd"), &cfg)?;
        let url = |portal: &str, lun: u16| format!("iscsi://{portal}/{IQN}/{lun}");
        let (main, second) = (&daemon.portals[0], &daemon.portals[1]);
        for (name, why) in KNOWN_FAILURES {
            println!("known failure {name}: {why}");
        }
        let mut command = Command::new(bin.join("rtgt-test-cu"));
        for (name, _) in KNOWN_FAILURES {
            command.args(["--known-failure", name]);
        }
        let res = run_command(
            command
                .args(["--dataloss", "--allow-sanitize"])
                .args(["--max-failed", "0", "--max-skipped", "3"])
                .args(["--multipath-url", &url(second, 0)])
                .args(["--readonly-url", &url(main, 1)])
                .arg(url(main, 0)),
        );
        daemon.stop();
        res
    })();
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "xtask test-cu: {} in {:.0?}",
        if result.is_ok() { "passed" } else { "FAILED" },
        started.elapsed()
    );
    result
}
