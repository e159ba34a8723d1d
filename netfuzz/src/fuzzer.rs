//! The campaign: generate or mutate a sequence, run it, probe the target,
//! keep sequences that drew a new answer signature, save findings, print
//! progress every 10 s; bounded by time and by count.

use crate::exec::{self, Waits};
use crate::finding::{self, Reproducer};
use crate::gen;
use crate::monitor;
use crate::rng::Rng;
use crate::seq::{Sequence, Start};
use crate::wire::Target;
use anyhow::{bail, Result};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What a campaign is given.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where to log in, and how long an answer may take.
    pub target: Target,
    /// The target's process, watched for a crash and sampled.
    pub pid: Option<u32>,
    /// How long the campaign runs.
    pub time: Duration,
    /// The seed every choice follows from.
    pub seed: u64,
    /// The folder findings are saved in.
    pub out: PathBuf,
    /// Stop after this many executions (None: only the time bounds it).
    pub max_execs: Option<u64>,
    /// How long to wait for a downed target to come back (restarted by
    /// whoever runs it) before minimising.
    pub restart_wait: Duration,
    /// Stop at the first finding.
    pub stop_on_finding: bool,
}

/// How a campaign went.
#[derive(Debug, Default)]
pub struct Report {
    pub execs: u64,
    pub elapsed: Duration,
    pub signatures: usize,
    pub corpus: usize,
    /// Reproducer files written.
    pub findings: Vec<PathBuf>,
    pub login_failures: u64,
}

/// Failed logins, with none succeeding, after which the campaign stops.
const LOGIN_FAILURES: u64 = 20;

/// The largest corpus kept (oldest entries beyond it are dropped).
const MAX_CORPUS: usize = 4096;

pub fn run(o: &Options) -> Result<Report> {
    let start = Instant::now();
    let deadline = start + o.time;
    if let Err(d) = monitor::check(o.target.addr, o.pid, o.target.timeout) {
        bail!("the target is not up before fuzzing: {d}");
    }
    let mut rng = Rng::new(o.seed);
    let mut corpus: Vec<Sequence> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut report = Report::default();
    let mut last_progress = start;
    let mut last_execs = 0u64;
    let mut logins = 0u64;
    while Instant::now() < deadline && o.max_execs.is_none_or(|m| report.execs < m) {
        let seq = if corpus.is_empty() || rng.chance(1, 4) {
            gen::sequence(&mut rng)
        } else {
            let a = rng.below(corpus.len());
            let b = rng.below(corpus.len());
            gen::mutate(&mut rng, &corpus[a], &corpus[b])
        };
        let session_seed = rng.u64();
        let out = exec::run(&o.target, &seq, session_seed, Waits::default());
        report.execs += 1;
        if let Some(why) = &out.login_failed {
            // A target that never lets us in is a set-up error, not a case.
            if seq.start == Start::FullFeature
                && report.login_failures >= LOGIN_FAILURES
                && logins == 0
            {
                bail!("{LOGIN_FAILURES} logins failed and none succeeded (wrong --iqn or --chap?): {why}");
            }
            report.login_failures += 1;
            if report.login_failures == 1 || report.login_failures % 100 == 0 {
                println!(
                    "fuzz-net: login failed ({} times): {}",
                    report.login_failures,
                    out.login_failed.as_deref().unwrap_or("")
                );
            }
        }
        if out.login_failed.is_none() && seq.start == Start::FullFeature {
            logins += 1;
        }
        let mut new = false;
        for s in &out.signatures {
            new |= seen.insert(s.clone());
        }
        if new {
            corpus.push(seq.clone());
            if corpus.len() > MAX_CORPUS {
                corpus.remove(0);
            }
        }
        if let Err(down) = monitor::check(o.target.addr, o.pid, o.target.timeout) {
            let file = on_finding(
                o,
                &seq,
                session_seed,
                &down.to_string(),
                &out.transcript,
                deadline,
                report.findings.len(),
            )?;
            report.findings.push(file);
            if o.stop_on_finding
                || !monitor::wait_up(o.target.addr, o.target.timeout, o.restart_wait)
            {
                println!("fuzz-net: the target stays down; stopping");
                break;
            }
        }
        if last_progress.elapsed() >= Duration::from_secs(10) {
            let secs = last_progress.elapsed().as_secs_f64();
            let rate = (report.execs - last_execs) as f64 / secs;
            let proc_info = o
                .pid
                .and_then(monitor::sample)
                .map_or(String::new(), |(rss, fds)| {
                    format!(", target RSS {rss} kB, {fds} fds")
                });
            println!(
                "fuzz-net: {:>4}s {} execs, {rate:.1} exec/s, {} distinct answers, corpus {}, {} findings{proc_info}",
                start.elapsed().as_secs(),
                report.execs,
                seen.len(),
                corpus.len(),
                report.findings.len()
            );
            last_progress = Instant::now();
            last_execs = report.execs;
        }
    }
    report.elapsed = start.elapsed();
    report.signatures = seen.len();
    report.corpus = corpus.len();
    Ok(report)
}

/// Saves the unminimised reproducer at once, then minimises it if the
/// target comes back within the restart wait, and saves that too.
fn on_finding(
    o: &Options,
    seq: &Sequence,
    seed: u64,
    reason: &str,
    transcript: &[exec::Line],
    deadline: Instant,
    index: usize,
) -> Result<PathBuf> {
    println!("fuzz-net: FINDING: {reason}");
    let mut r = Reproducer {
        target: o.target.addr.to_string(),
        iqn: o.target.iqn.clone(),
        lun: o.target.lun,
        seed,
        reason: reason.to_owned(),
        minimised: false,
        sequence: seq.clone(),
    };
    let file = finding::save(&o.out, &format!("finding-{index}"), &r, transcript)?;
    println!(
        "fuzz-net: reproducer (not minimised) saved as {}",
        file.display()
    );
    if !monitor::wait_up(o.target.addr, o.target.timeout, o.restart_wait) {
        println!(
            "fuzz-net: the target did not come back within {:?}: not minimised (restart it and use --replay)",
            o.restart_wait
        );
        return Ok(file);
    }
    let (small, complete) = finding::minimise(
        seq,
        deadline.max(Instant::now() + Duration::from_secs(60)),
        |c| finding::still_fails(&o.target, c, seed, o.restart_wait),
    );
    let check = exec::run(&o.target, &small, seed, Waits::default());
    let reproduced = monitor::probe(o.target.addr, o.target.timeout).is_err();
    r.sequence = small;
    r.minimised = complete && reproduced;
    r.reason = format!(
        "{reason}; minimised to {} of {} steps{}",
        r.sequence.steps.len(),
        seq.steps.len(),
        if reproduced {
            ""
        } else {
            " (the last run did not reproduce it)"
        }
    );
    let file = finding::save(
        &o.out,
        &format!("finding-{index}-min"),
        &r,
        &check.transcript,
    )?;
    println!("fuzz-net: {}: {}", r.reason, file.display());
    Ok(file)
}
