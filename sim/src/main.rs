//! `rtgt-sim`: run seeds of the deterministic simulator.
//!
//! ```text
//! rtgt-sim --seeds 1000 [--from 0] [--jobs 2] [--twice]
//! rtgt-sim --seed 42 [--trace] [--pcap out.pcap] [--shrink]
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use clap::Parser;
use rtgt_sim::{run, shrink, Limits, Options, Outcome};

#[derive(Debug, Parser)]
#[command(name = "rtgt-sim", about = "Run rtgt's deterministic simulator")]
struct Args {
    /// Run this many seeds.
    #[arg(long)]
    seeds: Option<u64>,
    /// First seed of a sweep.
    #[arg(long, default_value_t = 0)]
    from: u64,
    /// Worker threads of a sweep (each seed runs on one thread).
    #[arg(long)]
    jobs: Option<usize>,
    /// Run each seed twice and fail if the trace hashes differ.
    #[arg(long)]
    twice: bool,
    /// Replay one seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Print the readable event trace of the replayed seed.
    #[arg(long)]
    trace: bool,
    /// Write the replayed seed's iSCSI traffic as a pcap.
    #[arg(long)]
    pcap: Option<String>,
    /// Shrink a failing seed: fewer initiators, operations and faults.
    #[arg(long)]
    shrink: bool,
    /// Cap the number of initiators.
    #[arg(long)]
    initiators: Option<usize>,
    /// Cap the operations per initiator.
    #[arg(long)]
    ops: Option<u32>,
    #[arg(long)]
    no_crashes: bool,
    #[arg(long)]
    no_net_faults: bool,
    #[arg(long)]
    no_disk_faults: bool,
    #[arg(long)]
    no_tmf: bool,
    /// No persistent reservation operations.
    #[arg(long)]
    no_pr: bool,
    /// No CHAP logins.
    #[arg(long)]
    no_chap: bool,
    /// The mutation score: hunt each deliberately broken variant over this
    /// many seeds (needs the `mutants` feature) and fail if one is not
    /// caught.
    #[arg(long)]
    mutants: Option<u64>,
    /// Replay with only these removable events (what `--shrink` prints:
    /// tcN target crash, icN initiator crash, leN latent error, paN
    /// partition, fN network fault, dN disk fault, oI.N operation N of
    /// initiator I;
    /// `none` for none).
    #[arg(long)]
    keep: Option<String>,
    /// With the `mutants` feature: only this broken variant is active
    /// (all of them otherwise).
    #[arg(long)]
    mutant: Option<String>,
    /// A soak: one seed (`--seed`, 0 by default) with faults for this many
    /// simulated seconds (`1h`, `30m`, `600s` or plain seconds) and
    /// `--initiators` initiators (exactly, up to 64); prints the simulated
    /// to wall time ratio and events per second.
    #[arg(long, value_parser = parse_span)]
    soak: Option<Duration>,
}

/// `1h`, `30m`, `600s` or `600`.
fn parse_span(s: &str) -> Result<Duration, String> {
    let (n, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(k) => s.split_at(k),
        None => (s, "s"),
    };
    let n: u64 = n.parse().map_err(|_| format!("{s:?}: not a duration"))?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(format!("{s:?}: unit s, m or h")),
    };
    Ok(Duration::from_secs(n.saturating_mul(mult)))
}

/// Selects `--mutant` on this thread (a build with the `mutants` feature).
fn select_mutant(args: &Args) -> Result<()> {
    let Some(name) = &args.mutant else {
        return Ok(());
    };
    #[cfg(feature = "mutants")]
    {
        let Some(v) = rtgt_sim::mutants::VARIANTS.iter().find(|v| v.name == name) else {
            bail!("no broken variant {name}");
        };
        rtgt_proto::mutant::select(Some(v.name));
        Ok(())
    }
    #[cfg(not(feature = "mutants"))]
    bail!("--mutant {name} needs the `mutants` feature (cargo xtask sim --broken mutants ...)")
}

impl Args {
    fn limits(&self) -> Limits {
        Limits {
            initiators: self.initiators.unwrap_or(usize::MAX),
            ops: self.ops.unwrap_or(u32::MAX),
            net_faults: !self.no_net_faults,
            disk_faults: !self.no_disk_faults,
            crashes: !self.no_crashes,
            tmf: !self.no_tmf,
            reservations: !self.no_pr,
            chap: !self.no_chap,
        }
    }
}

/// `--broken mutants --mutant NAME` when a variant was selected.
fn mutant_flags(args: &Args) -> String {
    args.mutant
        .as_ref()
        .map_or(String::new(), |m| format!(" --broken mutants --mutant {m}"))
}

fn replay_flags(l: &Limits) -> String {
    let mut s = String::new();
    if l.initiators != usize::MAX {
        s += &format!(" --initiators {}", l.initiators);
    }
    if l.ops != u32::MAX {
        s += &format!(" --ops {}", l.ops);
    }
    for (off, flag) in [
        (!l.crashes, " --no-crashes"),
        (!l.net_faults, " --no-net-faults"),
        (!l.disk_faults, " --no-disk-faults"),
        (!l.tmf, " --no-tmf"),
        (!l.reservations, " --no-pr"),
        (!l.chap, " --no-chap"),
    ] {
        if off {
            s += flag;
        }
    }
    s
}

fn describe(o: &Outcome) -> String {
    let p = &o.params;
    format!(
        "{} initiators x {} ops qd {} digests {}/{} net-flip {:.4} resets {:.4} partitions {} disk-eio {:.3}/{:.3} crashes {}+{}",
        p.initiators,
        p.ops_per_initiator,
        p.queue_depth,
        if p.header_digest { "H" } else { "-" },
        if p.data_digest { "D" } else { "-" },
        p.net.p_flip,
        p.net.p_reset,
        p.net.partitions,
        p.disk.p_eio_read,
        p.disk.p_eio_write,
        p.target_crashes,
        p.initiator_crashes
    )
}

fn one(args: &Args, seed: u64) -> Result<()> {
    select_mutant(args)?;
    println!("rtgt-sim: seed {seed}");
    if args.shrink {
        let (l, o) = shrink(seed);
        if o.failures.is_empty() {
            println!("seed {seed} passes; nothing to shrink");
            return Ok(());
        }
        println!("smallest failing families: seed {seed}{}", replay_flags(&l));
        println!("  {}", describe(&o));
        let Some(m) = rtgt_sim::shrink::events(seed, l) else {
            bail!("seed {seed} fails");
        };
        println!(
            "minimal schedule: {} of {} events ({} runs):",
            m.kept.len(),
            m.before,
            m.runs
        );
        for (item, what) in &m.kept {
            println!("  {item:<6} {what}");
        }
        for f in &m.outcome.failures {
            println!("  FAIL {f}");
        }
        let items: Vec<_> = m.kept.iter().map(|k| k.0).collect();
        println!(
            "replay: cargo xtask sim{} --seed {seed} --trace{} --keep {}",
            mutant_flags(args),
            replay_flags(&l),
            rtgt_sim::shrink::format_keep(&items)
        );
        bail!("seed {seed} fails");
    }
    let limits = args.limits();
    let keep = match &args.keep {
        Some(k) => Some(rtgt_sim::shrink::parse_keep(k).map_err(anyhow::Error::msg)?),
        None => None,
    };
    let o = run(
        seed,
        &Options {
            limits,
            trace: args.trace,
            pcap: args.pcap.is_some(),
            keep,
            ..Options::default()
        },
    );
    for line in &o.trace {
        println!("{line}");
    }
    if let (Some(path), Some(bytes)) = (&args.pcap, &o.pcap) {
        std::fs::write(path, bytes)?;
        println!("pcap written to {path}");
    }
    println!("  {}", describe(&o));
    println!(
        "seed {seed}: hash {:016x}, {:.1} s simulated, {} events, {} PDUs, {} commands",
        o.hash,
        o.sim_time.as_secs_f64(),
        o.events,
        o.stats.pdus,
        o.stats.commands
    );
    println!("  stats {:?}", o.stats);
    for n in &o.notes {
        println!("  note: {n}");
    }
    for f in &o.failures {
        println!("  FAIL {f}");
    }
    if !o.failures.is_empty() {
        println!(
            "replay: cargo xtask sim{} --seed {seed} --trace{}{}",
            mutant_flags(args),
            replay_flags(&limits),
            args.keep
                .as_ref()
                .map_or(String::new(), |k| format!(" --keep {k}"))
        );
        bail!("seed {seed} fails");
    }
    Ok(())
}

/// One long run: the seed's mix and fault rates for `span` of faults.
fn soak(args: &Args, span: Duration) -> Result<()> {
    select_mutant(args)?;
    let seed = args.seed.unwrap_or(0);
    let initiators = args.initiators.map(|n| n.clamp(1, 64));
    let mut limits = args.limits();
    limits.initiators = usize::MAX;
    println!(
        "rtgt-sim: soak of seed {seed}, {} s of faults, {} initiators",
        span.as_secs(),
        initiators.map_or("the seed's".into(), |n| n.to_string())
    );
    let wall = Instant::now();
    let o = run(
        seed,
        &Options {
            limits,
            soak: Some(rtgt_sim::Soak {
                faulty: span,
                initiators,
            }),
            ..Options::default()
        },
    );
    let w = wall.elapsed().as_secs_f64().max(1e-9);
    println!("  {}", describe(&o));
    println!("  stats {:?}", o.stats);
    println!(
        "rtgt-sim: soak seed {seed}: hash {:016x}, {:.0} s simulated in {:.1} s wall: ratio {:.0}x, {} events ({:.0} events/s), {} commands ({:.0}/s)",
        o.hash,
        o.sim_time.as_secs_f64(),
        w,
        o.sim_time.as_secs_f64() / w,
        o.events,
        o.events as f64 / w,
        o.stats.commands,
        o.stats.commands as f64 / w
    );
    for f in &o.failures {
        println!("  FAIL {f}");
    }
    if !o.failures.is_empty() {
        bail!("soak of seed {seed} fails");
    }
    Ok(())
}

#[derive(Default)]
struct Totals {
    seeds: u64,
    sim: Duration,
    events: u64,
    pdus: u64,
    commands: u64,
    unprotected: u64,
    failures: Vec<(u64, String)>,
}

fn sweep(args: &Args, n: u64) -> Result<()> {
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let limits = args.limits();
    let from = args.from;
    println!(
        "rtgt-sim: seeds {from}..{} on {jobs} threads{}",
        from + n,
        if args.twice { ", each twice" } else { "" }
    );
    let next = AtomicU64::new(0);
    let totals = Mutex::new(Totals::default());
    let wall = Instant::now();
    let last_print = Mutex::new(Instant::now());
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                if select_mutant(args).is_err() {
                    break;
                }
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= n {
                    break;
                }
                let seed = from + k;
                let opts = Options {
                    limits,
                    ..Options::default()
                };
                let o = run(seed, &opts);
                let mut fails: Vec<String> = o.failures.clone();
                if args.twice {
                    let o2 = run(seed, &opts);
                    if o2.hash != o.hash {
                        fails.push(format!(
                            "nondeterministic: hash {:016x} then {:016x}",
                            o.hash, o2.hash
                        ));
                    }
                }
                let mut t = totals.lock().expect("totals");
                t.seeds += 1;
                t.sim += o.sim_time;
                t.events += o.events;
                t.pdus += o.stats.pdus;
                t.commands += o.stats.commands;
                if !o.notes.is_empty() {
                    t.unprotected += 1;
                }
                for f in fails {
                    println!("FAIL seed {seed}: {f}");
                    println!(
                        "  replay: cargo xtask sim --seed {seed} --trace{}",
                        replay_flags(&limits)
                    );
                    t.failures.push((seed, f));
                }
                let mut lp = last_print.lock().expect("print");
                if lp.elapsed() >= Duration::from_secs(2) || t.seeds == n {
                    *lp = Instant::now();
                    println!(
                        "  {}/{} seeds, {} failing, {:.0} s simulated, {:.1} s wall",
                        t.seeds,
                        n,
                        t.failures.len(),
                        t.sim.as_secs_f64(),
                        wall.elapsed().as_secs_f64()
                    );
                }
            });
        }
    });
    let t = totals.into_inner().expect("totals");
    let w = wall.elapsed().as_secs_f64().max(1e-9);
    println!(
        "rtgt-sim: {} seeds, {:.0} s simulated ({:.1} h), {} events, {} PDUs, {} commands in {:.1} s wall",
        t.seeds,
        t.sim.as_secs_f64(),
        t.sim.as_secs_f64() / 3600.0,
        t.events,
        t.pdus,
        t.commands,
        w
    );
    println!(
        "rtgt-sim: {:.0} events/s, simulated-to-wall ratio {:.0}x; {} runs saw corruption pass with digests off",
        t.events as f64 / w,
        t.sim.as_secs_f64() / w,
        t.unprotected
    );
    if !t.failures.is_empty() {
        let mut seeds: Vec<u64> = t.failures.iter().map(|f| f.0).collect();
        seeds.sort_unstable();
        seeds.dedup();
        println!("rtgt-sim: {} failing seeds: {seeds:?}", seeds.len());
        bail!("{} seeds fail", seeds.len());
    }
    println!("rtgt-sim: all seeds pass");
    Ok(())
}

fn main() -> Result<()> {
    let args = Args::parse();
    if let Some(n) = args.mutants {
        return mutation_score(&args, n);
    }
    if let Some(span) = args.soak {
        return soak(&args, span);
    }
    match (args.seed, args.seeds) {
        (Some(seed), _) => one(&args, seed),
        (None, Some(n)) => sweep(&args, n),
        (None, None) => bail!("give --seeds N for a sweep or --seed S to replay one"),
    }
}

/// Hunts every broken variant over `n` seeds; one line each: the first
/// seed that caught it and the checker that did.
#[cfg(feature = "mutants")]
fn mutation_score(args: &Args, n: u64) -> Result<()> {
    use rtgt_sim::mutants::{checkers, hunt, VARIANTS};
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let wall = Instant::now();
    let mut missed = Vec::new();
    println!(
        "rtgt-sim: {} broken variants, {n} seeds each at most",
        VARIANTS.len()
    );
    for v in VARIANTS {
        let t = Instant::now();
        match hunt(v.name, n, jobs) {
            Some((seed, f)) => println!(
                "  {:<17} caught at seed {seed:>3} by {:<30} ({:.1} s): {}",
                v.name,
                checkers(&f).join(" + "),
                t.elapsed().as_secs_f64(),
                f.first().map_or("", |s| s.as_str())
            ),
            None => {
                println!("  {:<17} NOT CAUGHT in {n} seeds: {}", v.name, v.bug);
                missed.push(v.name);
            }
        }
    }
    println!(
        "rtgt-sim: {}/{} variants caught in {:.1} s",
        VARIANTS.len() - missed.len(),
        VARIANTS.len(),
        wall.elapsed().as_secs_f64()
    );
    if !missed.is_empty() {
        bail!("not caught: {}", missed.join(", "));
    }
    Ok(())
}

#[cfg(not(feature = "mutants"))]
fn mutation_score(_: &Args, _: u64) -> Result<()> {
    bail!("--mutants needs the simulator built with the `mutants` feature (cargo xtask sim --broken mutants --mutants 200)")
}
