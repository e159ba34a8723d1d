//! The figures around the comparison, from the same run: the loopback
//! ceiling (`iperf3`, one TCP stream), what CRC32C digests cost rtgtd, how
//! rtgtd scales to 64 sessions, and its memory per idle session.
//!
//! qemu-img cannot offer a data digest (libiscsi has none) nor open 64
//! sessions, so digests and sessions are driven by rtgt-iscsi bench; each
//! row compares rtgtd with itself under one client.

use super::report::{Row, Table};
use super::{rtgt, Args};
use anyhow::{bail, Context, Result};
use rtgt_peers::process::output_shown;
use rtgt_peers::tgtd::free_loopback_port;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Single-stream TCP bandwidth on 127.0.0.1 in MiB/s, `iperf3` for `time`
/// seconds.
pub(crate) fn loopback_mibps(time: u32) -> Result<f64> {
    let port = free_loopback_port()?;
    let mut server = Command::new("iperf3")
        .args(["-s", "-B", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("iperf3 not found: run `cargo xtask peers` (Debian's iperf3)")?;
    let mut client = Command::new("iperf3");
    client.args(["-c", "127.0.0.1", "-p", &port.to_string(), "-J"]);
    client.args(["-t", &time.to_string()]);
    // The server needs a moment to listen, and iperf3 -c does not retry: a
    // refused connection comes back as a JSON report with an error.
    let deadline = Instant::now() + Duration::from_secs(5);
    let bits = loop {
        let json = output_shown(&mut client).map(|out| String::from_utf8_lossy(&out).into_owned());
        match json.as_deref().map(received_bits_per_second) {
            Ok(Some(bits)) => break Ok(bits),
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            Ok(None) => {
                break Err(anyhow::anyhow!(
                    "no sum_received in iperf3's JSON:\n{}",
                    json.unwrap_or_default()
                ))
            }
            Err(_) => break json.map(|_| 0.0),
        }
    };
    let _ = server.kill();
    let _ = server.wait();
    let bits = bits?;
    Ok(bits / 8.0 / 1_048_576.0)
}

/// `end.sum_received.bits_per_second` of iperf3's JSON report.
fn received_bits_per_second(json: &str) -> Option<f64> {
    let at = json.find("\"sum_received\"")?;
    let rest = json.get(at..)?;
    let v = rest.split("\"bits_per_second\":").nth(1)?;
    let num: String = v
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
        .collect();
    num.parse().ok()
}

/// Rows measured with rtgt-iscsi bench against rtgtd's RAM disk.
pub(crate) struct SelfRows {
    pub digests: Row,
    pub sessions: Row,
}

impl SelfRows {
    pub fn new(args: &Args) -> SelfRows {
        SelfRows {
            digests: Row::new(
                format!(
                    "1 MiB sequential read, QD{}: header and data CRC32C on / off",
                    args.seq_qd
                ),
                "MiB/s",
                false,
            ),
            sessions: Row::new(
                format!(
                    "4 KiB random read: 64 sessions at QD8 / one session at QD{}",
                    args.qd
                ),
                "IOPS",
                false,
            ),
        }
    }

    /// One round of both rows.
    pub fn round(&mut self, args: &Args, url: &str) -> Result<()> {
        let crc = ["--header-digest", "crc32c", "--data-digest", "crc32c"];
        let on = rtgt(args, url, "read", 1 << 20, args.seq_qd, &crc)?;
        let off = rtgt(args, url, "read", 1 << 20, args.seq_qd, &[])?;
        self.digests.ours.rounds.push(on.mibps);
        self.digests.theirs.rounds.push(off.mibps);
        let many = rtgt(args, url, "randread", 4096, 8, &["--sessions", "64"])?;
        let one = rtgt(args, url, "randread", 4096, args.qd, &[])?;
        self.sessions.ours.rounds.push(many.iops);
        self.sessions.theirs.rounds.push(one.iops);
        Ok(())
    }

    pub fn table(&self) -> Table {
        Table {
            title: "rtgtd RAM disk against itself, rtgt-iscsi bench".into(),
            ours: "first".into(),
            theirs: "second".into(),
            rows: vec![self.digests.clone(), self.sessions.clone()],
        }
    }
}

/// rtgtd's resident memory per session, in KiB: its VmRSS with `sessions`
/// idle sessions logged in (rtgt-iscsi bench --idle) less its VmRSS before.
pub(crate) fn kib_per_idle_session(args: &Args, pid: u32, url: &str, sessions: u32) -> Result<f64> {
    let before = vm_rss_kib(pid)?;
    let mut child = Command::new(&args.rtgt_iscsi)
        .args(["bench", "--idle", "--time", "3"])
        .args(["--sessions", &sessions.to_string(), url])
        .stdout(Stdio::piped())
        .spawn()
        .context("starting rtgt-iscsi")?;
    let stdout = child.stdout.take().context("rtgt-iscsi's stdout")?;
    let up = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|l| l.starts_with("sessions up:"));
    if !up {
        let _ = child.wait();
        bail!("rtgt-iscsi bench --idle did not log its {sessions} sessions in");
    }
    // The last login's answer is out; give the engine its next turn.
    std::thread::sleep(Duration::from_millis(300));
    let during = vm_rss_kib(pid)?;
    let status = child.wait().context("waiting for rtgt-iscsi")?;
    if !status.success() {
        bail!("rtgt-iscsi bench --idle failed: {status}");
    }
    Ok(during.saturating_sub(before) as f64 / f64::from(sessions))
}

fn vm_rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .context("no VmRSS in /proc/PID/status")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_iperf3_received_bandwidth() {
        let json = r#"{"end":{"sum_sent":{"bits_per_second":9.5e10},"sum_received":{"seconds":5,"bytes":1,"bits_per_second":94371840000.5}}}"#;
        assert_eq!(received_bits_per_second(json), Some(94371840000.5));
        assert_eq!(received_bits_per_second("{}"), None);
    }
}
