//! rtgt's own daemon, started for tests, xtask and benchmarks: the one way
//! to start `rtgtd` and know it is ready.
//!
//! rtgtd prints `rtgtd: listening on ADDR` for each portal, `rtgtd: target
//! IQN` for each target, then `rtgtd: ready` on stdout. [`Rtgtd::spawn`]
//! waits for that last line within a timeout, keeps draining stdout
//! afterwards so the daemon never blocks on a full pipe, and writes its
//! stderr (the log) to a file. [`Rtgtd::stop`] stops it gracefully;
//! dropping a running [`Rtgtd`] kills it.

use crate::process::command_line;
use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The target `rtgtd --demo` serves, LUN 0.
pub const DEMO_IQN: &str = "iqn.2024-01.org.rtgt:demo";

/// How long rtgtd gets to say it is ready, unless told otherwise.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// How long rtgtd gets to exit after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// A running rtgtd, killed when dropped unless [`Rtgtd::stop`]ped first.
#[derive(Debug)]
pub struct Rtgtd {
    child: Option<Child>,
    /// The portals it listens on, as it printed them (`127.0.0.1:3260`).
    pub portals: Vec<String>,
    /// The targets it serves, as it printed them.
    pub targets: Vec<String>,
    /// The file its stderr (the log) goes to.
    pub log: PathBuf,
}

impl Rtgtd {
    /// `binary --demo --listen 127.0.0.1:0 --size 64M EXTRA`: the demo RAM
    /// disk on a free loopback port, ready within [`READY_TIMEOUT`].
    pub fn demo(binary: &Path, extra: &[&str], log: &Path) -> Result<Rtgtd> {
        let mut command = Command::new(binary);
        command
            .args(["--demo", "--listen", "127.0.0.1:0", "--size", "64M"])
            .args(extra);
        Rtgtd::spawn(command, log, READY_TIMEOUT)
    }

    /// Starts `command` (an rtgtd command line, with whatever arguments and
    /// environment the caller set), printing it first, and waits until the
    /// daemon says it is ready, at most `ready_within`.
    pub fn spawn(mut command: Command, log: &Path, ready_within: Duration) -> Result<Rtgtd> {
        let log_file =
            std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file);
        let line = command_line(&command);
        println!("$ {line} 2> {}", log.display());
        let mut child = command
            .spawn()
            .with_context(|| format!("could not start `{line}`: build rtgtd first"))?;
        let stdout = child.stdout.take().context("rtgtd's stdout")?;
        let (lines, said) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // Once nobody listens any more, keep draining quietly.
                let _ = lines.send(line);
            }
        });
        let mut daemon = Rtgtd {
            child: Some(child),
            portals: Vec::new(),
            targets: Vec::new(),
            log: log.to_owned(),
        };
        let deadline = Instant::now() + ready_within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = said.recv_timeout(left) else {
                let exited = daemon.exit_status();
                bail!(
                    "rtgtd did not say it was ready within {ready_within:?}{}; see its log {}",
                    exited.map_or(String::new(), |st| format!(" (it exited: {st})")),
                    log.display()
                );
            };
            println!("{line}");
            if let Some(portal) = line.strip_prefix("rtgtd: listening on ") {
                daemon.portals.push(portal.trim().to_owned());
            } else if let Some(target) = line.strip_prefix("rtgtd: target ") {
                daemon.targets.push(target.trim().to_owned());
            } else if line == "rtgtd: ready" {
                break;
            }
        }
        if daemon.portals.is_empty() {
            bail!(
                "rtgtd said it was ready without naming a portal; see {}",
                log.display()
            );
        }
        Ok(daemon)
    }

    /// The first portal it printed.
    pub fn addr(&self) -> &str {
        self.portals.first().map_or("", String::as_str)
    }

    /// The first target it printed (the demo's, with `--demo`).
    pub fn iqn(&self) -> &str {
        self.targets.first().map_or(DEMO_IQN, String::as_str)
    }

    /// The log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The exit status, if it has exited.
    /// Its process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn exit_status(&mut self) -> Option<ExitStatus> {
        self.child.as_mut()?.try_wait().ok().flatten()
    }

    /// Sends SIGTERM (rtgtd then logs its sessions out) and waits for the
    /// exit; kills it if it is still running [`STOP_TIMEOUT`] later, which
    /// is an error.
    pub fn stop(&mut self) -> Result<ExitStatus> {
        let Some(mut child) = self.child.take() else {
            bail!("rtgtd was already stopped");
        };
        let pid = child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait()? {
                println!("rtgtd: stopped (pid {pid}, {status})");
                return Ok(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        bail!(
            "rtgtd (pid {pid}) did not stop within {STOP_TIMEOUT:?} of SIGTERM and was killed; see {}",
            self.log.display()
        )
    }
}

impl Drop for Rtgtd {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
