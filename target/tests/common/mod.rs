//! Starts `rtgtd` (the binary cargo built for these tests) on a free
//! loopback port and stops it with SIGTERM when dropped.
#![allow(dead_code)]

pub mod tgt;

pub use rtgt_peers::rtgtd::DEMO_IQN;
use rtgt_peers::rtgtd::READY_TIMEOUT;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A running rtgtd ([`rtgt_peers::rtgtd::Rtgtd`]) with its log in a
/// temporary directory; killed when dropped.
pub struct Rtgtd {
    daemon: rtgt_peers::rtgtd::Rtgtd,
    pub addr: SocketAddr,
    /// Its stderr (the log), kept in a temporary directory.
    pub log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Rtgtd {
    /// `rtgtd --demo --listen 127.0.0.1:0 --size 64M ARGS`.
    pub fn demo(args: &[&str]) -> Rtgtd {
        let mut all = vec!["--demo", "--listen", "127.0.0.1:0", "--size", "64M"];
        all.extend_from_slice(args);
        Rtgtd::start(&all)
    }

    /// `rtgtd ARGS` with debug logging, waiting until it is ready.
    pub fn start(args: &[&str]) -> Rtgtd {
        let dir = tempfile::tempdir().expect("temporary directory");
        let log = dir.path().join("rtgtd.log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_rtgtd"));
        command.args(args).env("RUST_LOG", "debug");
        let daemon = rtgt_peers::rtgtd::Rtgtd::spawn(command, &log, READY_TIMEOUT)
            .unwrap_or_else(|e| panic!("{e:#}"));
        Rtgtd {
            addr: daemon.addr().parse().expect("rtgtd printed an address"),
            daemon,
            log,
            _dir: dir,
        }
    }

    /// `iscsi://[USER%SECRET@]HOST:PORT`.
    pub fn url(&self, chap: Option<(&str, &str)>) -> String {
        let cred = chap.map_or(String::new(), |(u, s)| format!("{u}%{s}@"));
        format!("iscsi://{cred}{}", self.addr)
    }

    /// The URL of the demo LUN.
    pub fn lun_url(&self, chap: Option<(&str, &str)>) -> String {
        format!("{}/{DEMO_IQN}/0", self.url(chap))
    }

    pub fn log_text(&self) -> String {
        self.daemon.log_text()
    }

    /// Sends it signal `sig` (`-HUP`) with kill(1).
    pub fn signal(&self, sig: &str) {
        let pid = self.daemon.pid().expect("rtgtd runs").to_string();
        let ok = Command::new("kill").args([sig, &pid]).status();
        assert!(ok.is_ok_and(|s| s.success()), "kill {sig} {pid}");
    }

    /// Sends SIGTERM and waits for the exit.
    pub fn stop(&mut self) -> ExitStatus {
        self.daemon
            .stop()
            .unwrap_or_else(|e| panic!("{e:#}\n{}", self.log_text()))
    }
}

/// The rtgt-iscsi binary named in RTGT_ISCSI (`cargo xtask ci` builds it).
pub fn rtgt_iscsi() -> String {
    std::env::var("RTGT_ISCSI").unwrap_or_else(|_| {
        panic!(
            "set RTGT_ISCSI to the rtgt-iscsi binary \
             (cargo build -p rtgt-initiator --bin rtgt-iscsi; cargo xtask ci does this)"
        )
    })
}

/// Runs a program with a time limit, printing its command line first;
/// returns (success, stdout + stderr).
pub fn run(program: &str, args: &[&str], limit: Duration) -> (bool, String) {
    println!("$ {program} {}", args.join(" "));
    let mut child = Command::new(program)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} runs (install it with `cargo xtask peers`): {e}"));
    let deadline = Instant::now() + limit;
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().expect("output");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    (out.status.success(), text)
}
