//! tshark: capturing on loopback, checking a capture with the iSCSI
//! dissector, and extracting each TCP stream's payload.

use super::scenarios::Scenario;
use anyhow::{bail, ensure, Context, Result};
use rtgt_peers::process::{command_line, installed, run_shown};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A running `tshark -i lo` writing a capture file.
pub struct Tshark {
    child: Child,
    stderr: Option<JoinHandle<String>>,
}

impl Tshark {
    pub fn start(pcap: &Path, port: u16) -> Result<Self> {
        ensure!(
            installed("tshark"),
            "tshark not found: run `cargo xtask peers`"
        );
        let mut command = Command::new("tshark");
        command
            .args(["-i", "lo", "-n", "-q"])
            .args(["-f", &format!("tcp port {port}")])
            .arg("-w")
            .arg(pcap)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        println!("$ {} &", command_line(&command));
        let mut child = command.spawn().context("could not start tshark")?;
        let stderr = child.stderr.take().context("tshark's stderr")?;
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        // Read tshark's messages until it says it is capturing, then keep
        // draining them so it never blocks on a full pipe.
        let reader = std::thread::spawn(move || {
            let mut seen = String::new();
            let mut lines = BufReader::new(stderr);
            let mut line = String::new();
            while lines.read_line(&mut line).unwrap_or(0) > 0 {
                if line.contains("Capturing on") {
                    let _ = ready_tx.send(());
                }
                seen.push_str(&line);
                line.clear();
            }
            let mut rest = String::new();
            let _ = lines.read_to_string(&mut rest);
            seen + &rest
        });
        let mut tshark = Self {
            child,
            stderr: Some(reader),
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if ready_rx.recv_timeout(Duration::from_millis(100)).is_ok() {
                break;
            }
            if let Some(status) = tshark.child.try_wait()? {
                let said = tshark.stderr.take().map(|h| h.join().unwrap_or_default());
                bail!("tshark exited ({status}): {}", said.unwrap_or_default());
            }
            ensure!(
                Instant::now() < deadline,
                "tshark did not start capturing within 15 s"
            );
        }
        // "Capturing on" is printed once the capture is open; give the ring a moment.
        std::thread::sleep(Duration::from_millis(300));
        Ok(tshark)
    }

    /// Stops tshark with SIGINT (so it finishes the file) and waits for it.
    pub fn stop(mut self) -> Result<()> {
        run_shown(Command::new("kill").args(["-INT", &self.child.id().to_string()]))?;
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                bail!("tshark did not stop within 15 s of SIGINT");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let said = self
            .stderr
            .take()
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default();
        if let Some(line) = said.lines().find(|l| l.contains("dropped")) {
            bail!("tshark dropped packets: {line}");
        }
        Ok(())
    }
}

impl Drop for Tshark {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `tshark -r PCAP` with the iSCSI dissector on tgtd's port, output captured.
fn tshark_read(pcap: &Path, port: u16, args: &[&str]) -> Result<String> {
    let mut command = Command::new("tshark");
    command
        .arg("-r")
        .arg(pcap)
        .args(["-n", "-d", &format!("tcp.port=={port},iscsi")])
        .args(args);
    let shown = command_line(&command);
    println!("$ {shown}");
    let output = command
        .output()
        .with_context(|| format!("running `{shown}`"))?;
    ensure!(
        output.status.success(),
        "`{shown}` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn count(pcap: &Path, port: u16, filter: &str) -> Result<usize> {
    let out = tshark_read(
        pcap,
        port,
        &["-Y", filter, "-T", "fields", "-e", "frame.number"],
    )?;
    Ok(out.lines().filter(|l| !l.trim().is_empty()).count())
}

/// Confirms with tshark's iSCSI dissector that the capture holds what the
/// scenario claims, and that TCP saw no retransmission or loss.
pub fn check_contents(scenario: &Scenario, pcap: &Path, port: u16) -> Result<()> {
    let trouble = "tcp.analysis.retransmission || tcp.analysis.fast_retransmission \
                   || tcp.analysis.spurious_retransmission || tcp.analysis.out_of_order \
                   || tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment";
    let bad = count(pcap, port, trouble)?;
    ensure!(
        bad == 0,
        "{}: {bad} TCP segments retransmitted, lost or out of order",
        scenario.name
    );
    for check in scenario.checks {
        let filter = check.filter.replace("{port}", &port.to_string());
        let n = count(pcap, port, &filter)?;
        let ok = (n > 0) == check.present;
        println!(
            "capture: {} {}: {} ({n} packets match `{filter}`)",
            scenario.name,
            if ok { "ok" } else { "MISSING" },
            check.what
        );
        ensure!(ok, "{}: expected {} ({filter})", scenario.name, check.what);
    }
    Ok(())
}

/// Per TCP stream, in order of appearance: (initiator to target, target to initiator) bytes.
pub fn extract_streams(pcap: &Path, port: u16) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let out = tshark_read(
        pcap,
        port,
        &"--disable-protocol iscsi -T fields -E separator=/t -e tcp.stream -e tcp.srcport \
           -e tcp.seq_raw -e tcp.flags.syn -e tcp.len -e tcp.payload"
            .split_whitespace()
            .collect::<Vec<_>>(),
    )?;
    /// Per stream and direction (true = from the initiator): next expected sequence number.
    #[derive(Default)]
    struct Half {
        next: Option<u32>,
        bytes: Vec<u8>,
    }
    let mut halves: BTreeMap<(u32, bool), Half> = BTreeMap::new();
    for (n, line) in out.lines().enumerate() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [stream, srcport, seq, syn, len, payload] = fields[..] else {
            bail!("unexpected tshark line {}: {line:?}", n + 1);
        };
        let stream: u32 = stream.parse()?;
        let from_initiator = srcport.parse::<u16>()? != port;
        let seq: u32 = seq.parse()?;
        let len: usize = len.parse()?;
        let half = halves.entry((stream, from_initiator)).or_default();
        if syn == "1" || syn.eq_ignore_ascii_case("true") {
            half.next = Some(seq.wrapping_add(1));
            continue;
        }
        if len == 0 {
            continue;
        }
        let Some(next) = half.next else {
            bail!("stream {stream}: data before the SYN (capture started late?)");
        };
        ensure!(
            seq == next,
            "stream {stream}: segment at sequence {seq}, expected {next}: gap or retransmission"
        );
        let bytes = hex(payload).with_context(|| format!("payload of tshark line {}", n + 1))?;
        ensure!(
            bytes.len() == len,
            "stream {stream}: segment truncated in the capture ({} of {len} bytes)",
            bytes.len()
        );
        half.bytes.extend_from_slice(&bytes);
        half.next = Some(next.wrapping_add(len as u32));
    }
    let streams: Vec<u32> = halves
        .keys()
        .map(|(s, _)| *s)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for (i, s) in streams.iter().enumerate() {
        ensure!(
            *s as usize == i,
            "tcp stream numbers are not 0..n: {streams:?}"
        );
    }
    Ok(streams
        .iter()
        .map(|s| {
            let mut take = |dir| {
                halves
                    .remove(&(*s, dir))
                    .map(|h| h.bytes)
                    .unwrap_or_default()
            };
            (take(true), take(false))
        })
        .collect())
}

fn hex(text: &str) -> Result<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().filter(|b| *b != b':').collect();
    ensure!(digits.len().is_multiple_of(2), "odd number of hex digits");
    digits
        .chunks(2)
        .map(|pair| {
            let pair = std::str::from_utf8(pair)?;
            Ok(u8::from_str_radix(pair, 16)?)
        })
        .collect()
}
