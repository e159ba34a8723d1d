//! `rtgt-iscsi bench`: QD workers per session, each with one command in
//! flight, for a time or a count; IOPS, MiB/s and latency percentiles.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use clap::{Args, ValueEnum};
use hdrhistogram::Histogram;
use rtgt_initiator::client::Session;
use rtgt_proto::pdu::Lun;

use crate::conn::ConnArgs;

/// The I/O pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Rw {
    /// Sequential reads
    Read,
    /// Sequential writes
    Write,
    /// Random reads
    Randread,
    /// Random writes
    Randwrite,
    /// Random reads and writes (--read-percent of them reads)
    Randrw,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// The I/O pattern
    #[arg(long, value_enum, default_value = "randread")]
    pub rw: Rw,
    /// Bytes per I/O (a multiple of the block length; k and m suffixes allowed)
    #[arg(long, default_value = "4096", value_parser = parse_size)]
    pub bs: u64,
    /// Commands in flight per session
    #[arg(long, default_value_t = 32)]
    pub qd: usize,
    /// Sessions (one TCP connection each), all on the same LUN
    #[arg(long, default_value_t = 1)]
    pub sessions: usize,
    /// Run for this many seconds (default 10 unless --count is given)
    #[arg(long, value_name = "SECONDS", conflicts_with = "count")]
    pub time: Option<f64>,
    /// Run this many I/Os in all, then stop
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Share of reads in randrw, in percent
    #[arg(long, default_value_t = 50)]
    pub read_percent: u8,
    /// Only touch the first SIZE bytes of the LUN (k, m, g suffixes allowed)
    #[arg(long, value_parser = parse_size)]
    pub size: Option<u64>,
    /// Log the sessions in, print `sessions up: N`, hold them for --time
    /// seconds without I/O, then log them out: for a target's memory per
    /// idle session
    #[arg(long, conflicts_with = "count")]
    pub idle: bool,
}

fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim().to_ascii_lowercase();
    let (num, mul) = match t.chars().last() {
        Some('k') => (&t[..t.len() - 1], 1u64 << 10),
        Some('m') => (&t[..t.len() - 1], 1 << 20),
        Some('g') => (&t[..t.len() - 1], 1 << 30),
        _ => (t.as_str(), 1),
    };
    num.parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mul))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{s:?} is not a size like 4096, 4k or 1m"))
}

/// Shared by every worker.
struct Shared {
    stop: AtomicBool,
    issued: AtomicU64,
    done: AtomicU64,
    bytes: AtomicU64,
    next_seq: AtomicU64,
    limit: Option<u64>,
}

struct Plan {
    rw: Rw,
    lun: Lun,
    io_blocks: u32,
    /// Number of I/O slots of io_blocks in the range.
    slots: u64,
    read_percent: u8,
    data: Bytes,
}

pub async fn run(a: BenchArgs) -> Result<()> {
    let r = a.conn.resolve()?;
    let lun = r.lun()?;
    if a.qd == 0 || a.sessions == 0 {
        bail!("--qd and --sessions must be at least 1");
    }
    let mut sessions = Vec::new();
    for _ in 0..a.sessions {
        sessions.push(r.login().await?);
    }
    if a.idle {
        println!("sessions up: {}", sessions.len());
        tokio::time::sleep(Duration::from_secs_f64(a.time.unwrap_or(10.0).max(0.1))).await;
        for s in &sessions {
            s.logout().await?;
        }
        return Ok(());
    }
    let first = sessions.first().context("no session")?;
    let cap = first.read_capacity(lun).await?;
    let bl = u64::from(cap.block_length);
    if a.bs % bl != 0 {
        bail!(
            "--bs {} is not a multiple of the {bl}-byte block length",
            a.bs
        );
    }
    for s in sessions.iter().skip(1) {
        s.read_capacity(lun).await?;
    }
    let io_blocks = u32::try_from(a.bs / bl).context("--bs is too large")?;
    let range_blocks = a.size.map_or(cap.blocks, |s| (s / bl).min(cap.blocks));
    let slots = range_blocks / u64::from(io_blocks);
    if slots == 0 {
        bail!(
            "the LUN ({} bytes) is smaller than one I/O of {} bytes",
            cap.bytes(),
            a.bs
        );
    }
    let pattern: Vec<u8> = (0..a.bs).map(|i| (i % 251) as u8).collect();
    let plan = Arc::new(Plan {
        rw: a.rw,
        lun,
        io_blocks,
        slots,
        read_percent: a.read_percent.min(100),
        data: Bytes::from(pattern),
    });
    let duration = match (a.time, a.count) {
        (Some(t), _) => Some(Duration::from_secs_f64(t.max(0.1))),
        (None, Some(_)) => None,
        (None, None) => Some(Duration::from_secs(10)),
    };
    let shared = Arc::new(Shared {
        stop: AtomicBool::new(false),
        issued: AtomicU64::new(0),
        done: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        next_seq: AtomicU64::new(0),
        limit: a.count,
    });
    let start = Instant::now();
    let mut workers = Vec::new();
    for (si, s) in sessions.iter().enumerate() {
        for w in 0..a.qd {
            let seed = (si as u64) << 32 | w as u64;
            workers.push(tokio::spawn(worker(
                s.clone(),
                plan.clone(),
                shared.clone(),
                seed,
            )));
        }
    }
    let progress = tokio::spawn(progress(shared.clone(), start, a.bs));
    if let Some(d) = duration {
        let sh = shared.clone();
        tokio::spawn(async move {
            tokio::time::sleep(d).await;
            sh.stop.store(true, Ordering::Relaxed);
        });
    }
    let mut hist = Histogram::<u64>::new(3).context("histogram")?;
    let mut first_error = None;
    for w in workers {
        match w.await.context("a worker panicked")? {
            Ok(h) => hist.add(h).context("merging histograms")?,
            Err(e) => {
                shared.stop.store(true, Ordering::Relaxed);
                first_error.get_or_insert(e);
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    progress.abort();
    if let Some(e) = first_error {
        return Err(e);
    }
    for s in &sessions {
        s.logout().await?;
    }
    let ios = hist.len();
    let iops = ios as f64 / elapsed;
    let mibps = iops * a.bs as f64 / 1048576.0;
    let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "{:?} bs={} qd={} sessions={}: {ios} I/Os in {elapsed:.2} s",
        a.rw, a.bs, a.qd, a.sessions
    );
    println!("IOPS      {iops:.0}");
    println!("MiB/s     {mibps:.1}");
    println!(
        "latency   p50 {:.3} ms  p99 {:.3} ms  p99.9 {:.3} ms  max {:.3} ms",
        ms(0.5),
        ms(0.99),
        ms(0.999),
        hist.max() as f64 / 1000.0
    );
    println!(
        "result: iops={iops:.0} mibps={mibps:.1} p50_us={} p99_us={} p999_us={}",
        hist.value_at_quantile(0.5),
        hist.value_at_quantile(0.99),
        hist.value_at_quantile(0.999)
    );
    Ok(())
}

fn xorshift(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

async fn worker(s: Session, plan: Arc<Plan>, sh: Arc<Shared>, seed: u64) -> Result<Histogram<u64>> {
    let mut hist = Histogram::<u64>::new(3).context("histogram")?;
    let mut rng = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let io_bytes = plan.data.len() as u64;
    loop {
        if sh.stop.load(Ordering::Relaxed) {
            break;
        }
        if let Some(limit) = sh.limit {
            if sh.issued.fetch_add(1, Ordering::Relaxed) >= limit {
                break;
            }
        }
        let (slot, read) = match plan.rw {
            Rw::Read | Rw::Write => (
                sh.next_seq.fetch_add(1, Ordering::Relaxed) % plan.slots,
                plan.rw == Rw::Read,
            ),
            Rw::Randread | Rw::Randwrite => {
                (xorshift(&mut rng) % plan.slots, plan.rw == Rw::Randread)
            }
            Rw::Randrw => {
                let slot = xorshift(&mut rng) % plan.slots;
                (
                    slot,
                    xorshift(&mut rng) % 100 < u64::from(plan.read_percent),
                )
            }
        };
        let lba = slot * u64::from(plan.io_blocks);
        let t = Instant::now();
        if read {
            s.read(plan.lun, lba, plan.io_blocks).await?;
        } else {
            s.write(plan.lun, lba, plan.data.clone()).await?;
        }
        let us = t.elapsed().as_micros().max(1) as u64;
        hist.record(us).context("recording a latency")?;
        sh.done.fetch_add(1, Ordering::Relaxed);
        sh.bytes.fetch_add(io_bytes, Ordering::Relaxed);
    }
    Ok(hist)
}

async fn progress(sh: Arc<Shared>, start: Instant, bs: u64) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    let mut last = 0u64;
    loop {
        tick.tick().await;
        let done = sh.done.load(Ordering::Relaxed);
        let n = done - last;
        last = done;
        eprintln!(
            "[{:>4.0} s] {:>8} IOPS {:>9.1} MiB/s  ({done} I/Os)",
            start.elapsed().as_secs_f64(),
            n,
            (n * bs) as f64 / 1048576.0
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("4k"), Ok(4096));
        assert_eq!(parse_size("1M"), Ok(1 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert!(parse_size("0").is_err());
        assert!(parse_size("x").is_err());
    }
}
