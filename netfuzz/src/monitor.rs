//! Is the target still alive? A probe (a fresh TCP connection and the first
//! Login Request of a discovery session, RFC 7143 §11.12, which any live
//! target answers, even with a refusal) and, with `--pid`, the process in
//! /proc: gone or a zombie is a crash; its RSS and open descriptors are
//! sampled for the progress lines.

use crate::wire::{connect, INITIATOR_NAME};
use bytes::Bytes;
use rtgt_proto::pdu::{Digests, Isid, LoginRequest, LoginStage, Pdu};
use rtgt_proto::text::{self, Pair};
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Why the target counts as down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Down {
    /// The process given with --pid is gone (or a zombie).
    Crashed(String),
    /// Connection refused or reset.
    Refused(String),
    /// Connected, but no Login Response within the timeout.
    Silent,
}

impl std::fmt::Display for Down {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Down::Crashed(s) => write!(f, "the target process is gone ({s})"),
            Down::Refused(s) => write!(f, "the target refuses connections ({s})"),
            Down::Silent => f.write_str("the target does not answer a login"),
        }
    }
}

/// The process state of `pid` from /proc/PID/stat, None when gone.
fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    after.trim_start().chars().next()
}

/// Checks the process first (a crash is the stronger finding), then the
/// network.
pub fn check(addr: SocketAddr, pid: Option<u32>, timeout: Duration) -> Result<(), Down> {
    if let Some(pid) = pid {
        match proc_state(pid) {
            None => return Err(Down::Crashed(format!("pid {pid} no longer exists"))),
            Some('Z') | Some('X') => return Err(Down::Crashed(format!("pid {pid} is a zombie"))),
            Some(_) => {}
        }
    }
    probe(addr, timeout)
}

/// A discovery login's first request; any answer at all proves life.
pub fn probe(addr: SocketAddr, timeout: Duration) -> Result<(), Down> {
    let mut s = connect(addr, timeout).map_err(|e| Down::Refused(e.to_string()))?;
    let keys = [
        Pair::new("InitiatorName", INITIATOR_NAME),
        Pair::new("SessionType", "Discovery"),
        Pair::new("AuthMethod", "None"),
    ];
    let req = LoginRequest {
        transit: true,
        csg: LoginStage::SecurityNegotiation,
        nsg: LoginStage::LoginOperationalNegotiation,
        isid: Isid::from_bytes([0x80, 0, 0x50, 0x52, 0x4f, 0x42]),
        data: Bytes::from(text::encode(&keys)),
        ..LoginRequest::default()
    };
    if let Err(e) = s.write_all(&Pdu::from(req).encode(Digests::NONE)) {
        return Err(Down::Refused(e.to_string()));
    }
    let deadline = Instant::now() + timeout;
    let mut buf = [0u8; 48];
    while Instant::now() < deadline {
        let left = deadline.saturating_duration_since(Instant::now());
        let _ = s.set_read_timeout(Some(left.max(Duration::from_millis(1))));
        match s.read(&mut buf) {
            Ok(0) => return Err(Down::Refused("closed before answering a login".into())),
            Ok(_) => return Ok(()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(Down::Refused(e.to_string())),
        }
    }
    Err(Down::Silent)
}

/// RSS (kB) and open descriptors of `pid`, from /proc.
pub fn sample(pid: u32) -> Option<(u64, usize)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count());
    Some((rss, fds))
}

/// Waits up to `within` for the target to answer again.
pub fn wait_up(addr: SocketAddr, timeout: Duration, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if probe(addr, timeout).is_ok() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}
