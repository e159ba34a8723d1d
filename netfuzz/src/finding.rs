//! Findings: the reproducer file (the symbolic sequence, replayable), the
//! transcript (every PDU sent as hex plus a one-line decode), delta
//! debugging over the steps while the target is up, and `--replay`.

use crate::exec::{self, Line, Waits};
use crate::monitor;
use crate::seq::{Sequence, Step};
use crate::wire::Target;
use anyhow::{Context, Result};
use rtgt_proto::pdu::Pdu;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a reproducer file holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reproducer {
    pub target: String,
    pub iqn: String,
    pub lun: u16,
    /// The seed of the session's ISID (the initiator core's random source).
    pub seed: u64,
    pub reason: String,
    pub minimised: bool,
    pub sequence: Sequence,
}

/// Writes the folder `name` under `out`: reproducer.json and transcript.txt.
pub fn save(out: &Path, name: &str, r: &Reproducer, transcript: &[Line]) -> Result<PathBuf> {
    let dir = out.join(name);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let file = dir.join("reproducer.json");
    std::fs::write(&file, serde_json::to_string_pretty(r)?)
        .with_context(|| format!("writing {}", file.display()))?;
    let mut text = format!(
        "# {}\n# target {} iqn {} lun {} seed {}{}\n",
        r.reason,
        r.target,
        r.iqn,
        r.lun,
        r.seed,
        if r.minimised {
            " (minimised)"
        } else {
            " (not minimised)"
        }
    );
    text.push_str(&exec::render(transcript));
    std::fs::write(dir.join("transcript.txt"), text)?;
    Ok(file)
}

/// Whether `seq` still takes the target down; waits for it to come back
/// afterwards (None: it did not come back, so testing must stop).
pub fn still_fails(t: &Target, seq: &Sequence, seed: u64, restart_wait: Duration) -> Option<bool> {
    let _ = exec::run(t, seq, seed, Waits::default());
    let down = monitor::probe(t.addr, t.timeout).is_err();
    if down && !monitor::wait_up(t.addr, t.timeout, restart_wait) {
        return None;
    }
    Some(down)
}

/// Delta debugging (ddmin) over the steps of `seq`, then over each step's
/// mutations and TCP cuts, with `fails` saying whether a candidate still
/// takes the target down (None: testing cannot go on). Stops at
/// `deadline`. Returns the smallest failing sequence found and whether the
/// search ran to its end.
pub fn minimise(
    seq: &Sequence,
    deadline: Instant,
    mut fails: impl FnMut(&Sequence) -> Option<bool>,
) -> (Sequence, bool) {
    let mut best: Vec<Step> = seq.steps.clone();
    let mut parts = 2usize;
    let mut tries = |c: &[Step]| -> Option<bool> {
        if Instant::now() >= deadline {
            return None;
        }
        fails(&with(seq, c.to_vec()))
    };
    while best.len() >= 2 {
        let chunk = best.len().div_ceil(parts);
        let mut reduced = false;
        for i in 0..parts {
            let lo = (i * chunk).min(best.len());
            let hi = ((i + 1) * chunk).min(best.len());
            if lo == hi {
                continue;
            }
            // The complement of chunk i.
            let mut c = best[..lo].to_vec();
            c.extend_from_slice(&best[hi..]);
            match tries(&c) {
                Some(true) => {
                    best = c;
                    reduced = true;
                    break;
                }
                Some(false) => {}
                None => return (with(seq, best), false),
            }
        }
        if reduced {
            parts = (parts - 1).max(2);
            continue;
        }
        if parts >= best.len() {
            break;
        }
        parts = (parts * 2).min(best.len());
    }
    // Then each step's cuts and mutations, one at a time.
    for i in 0..best.len() {
        if !best[i].cuts.is_empty() {
            let mut c = best.clone();
            c[i].cuts.clear();
            match tries(&c) {
                Some(true) => best = c,
                Some(false) => {}
                None => return (with(seq, best), false),
            }
        }
        let mut m = 0;
        while m < best[i].muts.len() {
            let mut c = best.clone();
            c[i].muts.remove(m);
            match tries(&c) {
                Some(true) => best = c,
                Some(false) => m += 1,
                None => return (with(seq, best), false),
            }
        }
    }
    (with(seq, best), true)
}

fn with(seq: &Sequence, steps: Vec<Step>) -> Sequence {
    Sequence {
        start: seq.start,
        steps,
    }
}

/// Reads a reproducer file.
pub fn load(file: &Path) -> Result<Reproducer> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", file.display()))
}

/// Where a replay goes, each field overriding the reproducer's when set.
#[derive(Debug, Clone, Default)]
pub struct ReplayTo {
    pub target: Option<String>,
    pub iqn: Option<String>,
    pub lun: Option<u16>,
    pub chap: Option<(String, String)>,
    pub pid: Option<u32>,
}

/// `--replay FILE`: sends the reproducer's sequence once and prints every
/// PDU sent as an annotated dump, every PDU received on one line, and
/// whether the target is still up.
pub fn replay(file: &Path, to: ReplayTo) -> Result<bool> {
    let r = load(file)?;
    let addr = crate::wire::resolve(to.target.as_deref().unwrap_or(&r.target))?;
    let pid = to.pid;
    let t = Target {
        addr,
        iqn: to.iqn.unwrap_or_else(|| r.iqn.clone()),
        lun: to.lun.unwrap_or(r.lun),
        chap: to.chap,
        timeout: Duration::from_secs(3),
    };
    println!("replaying {} ({}) against {addr}", file.display(), r.reason);
    let waits = Waits {
        step: Duration::from_millis(100),
        end: Duration::from_millis(500),
    };
    let out = exec::run(&t, &r.sequence, r.seed, waits);
    if let Some(e) = &out.login_failed {
        println!("login failed: {e}");
    }
    for line in &out.transcript {
        match line {
            Line::Sent { step, frame, bytes } => {
                println!("> step {step}: {}", exec::one_line(frame));
                match Pdu::decode(frame) {
                    Ok(p) => println!("{}", p.dump()),
                    Err(e) => println!("  (not a typed PDU: {e})"),
                }
                println!("  sent {} bytes: {}", bytes.len(), exec::hex(bytes));
            }
            Line::Received(raw) => println!("< {}", exec::one_line(raw)),
            Line::Note(n) => println!("# {n}"),
        }
    }
    std::thread::sleep(Duration::from_millis(200));
    match monitor::check(addr, pid, t.timeout) {
        Ok(()) => {
            println!("the target is still up");
            Ok(true)
        }
        Err(d) => {
            println!("the target is DOWN: {d}");
            Ok(false)
        }
    }
}
