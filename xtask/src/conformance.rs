//! `cargo xtask conformance`: the conformance suite (conformance/).
//!
//! Without `--target`, builds rtgt's daemon and the suite, starts
//! `rtgtd --demo` on a free loopback port with a CHAP account and a mutual
//! CHAP account, runs every scenario against it (any other arguments go to
//! the suite: `--filter`, `--junit`, `--jobs`...), and stops it. With
//! `--target HOST:PORT` (or `--list`, `--help`), the arguments go to the
//! `rtgt-conformance` program unchanged, to test any target.
//!
//! `cargo xtask ci` runs the suite against rtgtd (everything must pass), and
//! against Debian's tgtd and istgt through conformance/tests/runner_peers.rs
//! (every result must match conformance/profiles/<target>.toml).

use crate::cmd::{cargo, display, run_command, workspace_root};
use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct ConformanceArgs {
    /// Arguments for rtgt-conformance (`--target HOST:PORT` for another target; `--help` lists them)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

/// The accounts and second initiator name rtgtd is started with.
const CHAP: &str = "rtgt-conformance:incoming-secret-16";
const MUTUAL_CHAP: &str = "rtgt-demo-target:outgoing-secret-16";
const INITIATOR_2: &str = "iqn.2024-01.org.rtgt:conformance-2";

/// How long rtgtd may take to say it is ready.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

pub fn run(args: &ConformanceArgs) -> Result<()> {
    let external = args.args.iter().any(|a| {
        matches!(a.as_str(), "--list" | "--help" | "-h" | "--version")
            || a == "--target"
            || a.starts_with("--target=")
    });
    if external {
        build_suite()?;
        return run_command(Command::new(suite_binary()).args(&args.args));
    }
    against_rtgtd(&args.args)
}

/// What `cargo xtask ci` runs: the suite against rtgtd with no profile
/// (every scenario must pass or be skipped for a stated reason), then
/// against Debian's tgtd and istgt with their profiles, in each set-up. Reports land in
/// build/conformance/.
pub fn ci() -> Result<()> {
    let reports = workspace_root().join("build/conformance");
    let junit = reports.join("rtgtd.xml");
    let json = reports.join("rtgtd.json");
    // One job: scenarios build fixed ISIDs today, and two at once with the
    // same ISID and initiator name would reinstate each other's sessions.
    against_rtgtd(&[
        "--jobs".into(),
        "1".into(),
        "--timeout".into(),
        "2s".into(),
        "--quiet-time".into(),
        "500ms".into(),
        "--junit".into(),
        junit.display().to_string(),
        "--json".into(),
        json.display().to_string(),
    ])?;
    // Debian's tgtd and istgt against their profiles, each in the set-ups
    // "chap" and "plain" (conformance/tests/runner_peers.rs). Each istgt run
    // takes about 400 s (the tests run side by side): istgt answers each
    // first Login Request after about a second and leaves 28 SCSI commands
    // unanswered until the 2 s timeout.
    run_command(cargo().args([
        "test",
        "--package",
        "rtgt-conformance",
        "--features",
        "real-peers",
        "--test",
        "runner_peers",
        "--",
        "--nocapture",
    ]))
}

fn build_suite() -> Result<()> {
    run_command(cargo().args([
        "build",
        "--quiet",
        "--package",
        "rtgt-conformance",
        "--bin",
        "rtgt-conformance",
    ]))
}

fn suite_binary() -> PathBuf {
    workspace_root().join("build/debug/rtgt-conformance")
}

/// Builds and starts rtgtd, runs the suite with `extra` arguments, stops
/// rtgtd whatever the suite's verdict.
fn against_rtgtd(extra: &[String]) -> Result<()> {
    run_command(cargo().args([
        "build",
        "--quiet",
        "--package",
        "rtgt-target",
        "--bin",
        "rtgtd",
    ]))?;
    build_suite()?;
    let daemon = Rtgtd::start()?;
    let mut suite = Command::new(suite_binary());
    suite
        .args(["--target", &daemon.addr, "--iqn", &daemon.iqn, "--lun", "0"])
        .args(["--chap", CHAP, "--mutual-chap", MUTUAL_CHAP])
        .args(["--initiator-name-2", INITIATOR_2])
        .args(extra);
    let result = run_command(&mut suite);
    drop(daemon);
    result.context("the conformance suite found departures in rtgt's own target (see above)")
}

/// `rtgtd --demo` on a free loopback port; stopped when dropped.
#[derive(Debug)]
struct Rtgtd {
    child: Child,
    addr: String,
    iqn: String,
}

impl Rtgtd {
    fn start() -> Result<Rtgtd> {
        let log_dir = workspace_root().join("build/conformance");
        std::fs::create_dir_all(&log_dir)
            .with_context(|| format!("creating {}", log_dir.display()))?;
        let log_path = log_dir.join("rtgtd.log");
        let log = std::fs::File::create(&log_path)
            .with_context(|| format!("creating {}", log_path.display()))?;
        let mut command = Command::new(workspace_root().join("build/debug/rtgtd"));
        command
            .args(["--demo", "--listen", "127.0.0.1:0", "--size", "64M"])
            .args([
                "--chap",
                CHAP,
                "--mutual-chap",
                MUTUAL_CHAP,
                "--discovery-chap",
                CHAP,
            ])
            .args(["--grace", "1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log);
        println!("$ {} 2> {}", display(&command), log_path.display());
        let mut child = command.spawn().context("could not start rtgtd")?;
        let stdout = child.stdout.take().context("rtgtd's stdout")?;
        // rtgtd says where it listens, then "ready"; the reader thread keeps
        // draining its output afterwards so it never blocks on a full pipe.
        let (lines, said) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // Once nobody listens any more, keep draining quietly.
                let _ = lines.send(line);
            }
        });
        let mut daemon = Rtgtd {
            child,
            addr: String::new(),
            iqn: String::new(),
        };
        let (mut addr, mut iqn) = (None, None);
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match said.recv_timeout(left) {
                Ok(line) => line,
                Err(_) => bail!(
                    "rtgtd did not say it was ready within {READY_TIMEOUT:?}; see {}",
                    log_path.display()
                ),
            };
            println!("{line}");
            // The first portal and target announced are the demo's.
            if let Some(said) = line.strip_prefix("rtgtd: listening on ") {
                addr.get_or_insert_with(|| said.trim().to_owned());
            } else if let Some(said) = line.strip_prefix("rtgtd: target ") {
                iqn.get_or_insert_with(|| said.trim().to_owned());
            } else if line == "rtgtd: ready" {
                break;
            }
        }
        match (addr, iqn) {
            (Some(addr), Some(iqn)) => {
                daemon.addr = addr;
                daemon.iqn = iqn;
                Ok(daemon)
            }
            _ => bail!("rtgtd said it was ready without naming its portal and target"),
        }
    }
}

impl Drop for Rtgtd {
    fn drop(&mut self) {
        // SIGTERM by process id lets rtgtd log its sessions out; SIGKILL if
        // it has not gone a few seconds later.
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                println!("rtgtd: stopped (pid {pid})");
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        println!("rtgtd: killed (pid {pid})");
    }
}
