//! Starts `rtgtd` (the binary cargo built for these tests) on a free
//! loopback port and stops it with SIGTERM when dropped.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub const DEMO_IQN: &str = "iqn.2024-01.org.rtgt:demo";

/// A running rtgtd.
pub struct Rtgtd {
    child: Option<Child>,
    pub addr: SocketAddr,
    /// Its stderr (the log), kept in a temporary directory.
    pub log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Rtgtd {
    /// `rtgtd --demo --listen 127.0.0.1:0 ARGS`.
    pub fn demo(args: &[&str]) -> Rtgtd {
        let mut all = vec!["--demo", "--listen", "127.0.0.1:0", "--size", "64M"];
        all.extend_from_slice(args);
        Rtgtd::start(&all)
    }

    /// `rtgtd ARGS`, waiting until it is ready.
    pub fn start(args: &[&str]) -> Rtgtd {
        let dir = tempfile::tempdir().expect("temporary directory");
        let log = dir.path().join("rtgtd.log");
        let bin = env!("CARGO_BIN_EXE_rtgtd");
        println!("$ {bin} {}", args.join(" "));
        let mut child = Command::new(bin)
            .args(args)
            .env("RUST_LOG", "debug")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("rtgtd starts");
        let out = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(out).lines();
        let mut addr = None;
        let deadline = Instant::now() + Duration::from_secs(20);
        for line in lines.by_ref() {
            let line = line.expect("stdout line");
            println!("{line}");
            if let Some(a) = line.strip_prefix("rtgtd: listening on ") {
                addr.get_or_insert(a.parse().expect("an address"));
            }
            if line == "rtgtd: ready" || Instant::now() > deadline {
                break;
            }
        }
        // Keep draining stdout so the daemon never blocks on it.
        std::thread::spawn(move || for _ in lines {});
        Rtgtd {
            child: Some(child),
            addr: addr.expect("rtgtd printed its address"),
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
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM and waits for the exit (at most 20 s).
    pub fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let pid = child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(st) = child.try_wait().expect("wait") {
                return st;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("rtgtd did not stop on SIGTERM:\n{}", self.log_text());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Rtgtd {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
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
