//! Shrinking a failing seed. [`families`] caps whole families (initiators,
//! operations, fault kinds); [`events`] then removes single scheduled
//! faults, injected network faults and operations while the failure
//! persists (delta debugging over the run's events), down to a schedule
//! from which no single event can be dropped.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use crate::mutants::checker_of;
use crate::{run, Limits, Options, Outcome};

/// One removable event of a run. Scheduled faults are numbered by their
/// place in the seed's [`crate::Schedule`]; injected network faults by the
/// order they happen in, operations by their order at their initiator
/// (dropping one leaves the others' numbers, since the random draws still
/// happen, but a run whose timing changes may number them otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Item {
    TargetCrash(usize),
    InitiatorCrash(usize),
    LatentError(usize),
    Partition(usize),
    /// A bit flip, reset, half-close or stall the network draws.
    NetFault(u64),
    /// An EIO, a write failing part way or a misdirected block the disk
    /// draws.
    DiskFault(u64),
    /// An operation an initiator's workload picks (a command or task
    /// management): (initiator, its number there).
    Op(usize, u64),
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Item::TargetCrash(k) => write!(f, "tc{k}"),
            Item::InitiatorCrash(k) => write!(f, "ic{k}"),
            Item::LatentError(k) => write!(f, "le{k}"),
            Item::Partition(k) => write!(f, "pa{k}"),
            Item::NetFault(k) => write!(f, "f{k}"),
            Item::DiskFault(k) => write!(f, "d{k}"),
            Item::Op(i, k) => write!(f, "o{i}.{k}"),
        }
    }
}

impl FromStr for Item {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("bad event {s:?} (tcN, icN, leN, paN, fN, dN, oI.N)");
        let split = s.find(|c: char| c.is_ascii_digit()).unwrap_or(s.len());
        let (kind, n) = s.split_at(split);
        if kind == "o" {
            let (i, k) = n.split_once('.').ok_or_else(bad)?;
            return Ok(Item::Op(
                i.parse().map_err(|_| bad())?,
                k.parse().map_err(|_| bad())?,
            ));
        }
        let n: u64 = n.parse().map_err(|_| bad())?;
        let k = n as usize;
        Ok(match kind {
            "tc" => Item::TargetCrash(k),
            "ic" => Item::InitiatorCrash(k),
            "le" => Item::LatentError(k),
            "pa" => Item::Partition(k),
            "f" => Item::NetFault(n),
            "d" => Item::DiskFault(n),
            _ => return Err(bad()),
        })
    }
}

/// Which removable events a run lets happen, and the log of those that
/// did.
#[derive(Debug)]
pub(crate) struct Events {
    keep: Option<BTreeSet<Item>>,
    pub(crate) log: Option<Vec<(Item, String)>>,
    /// Network and disk faults drawn so far (their numbers).
    pub(crate) net_faults: u64,
    disk_faults: u64,
}

impl Events {
    pub(crate) fn new(keep: Option<BTreeSet<Item>>, log: bool) -> Self {
        Events {
            keep,
            log: log.then(Vec::new),
            net_faults: 0,
            disk_faults: 0,
        }
    }

    /// Whether `item` happens; logs it when it does.
    pub(crate) fn keeps(&mut self, item: Item, what: impl FnOnce() -> String) -> bool {
        let kept = self.keep.as_ref().is_none_or(|k| k.contains(&item));
        if kept {
            if let Some(log) = self.log.as_mut() {
                log.push((item, what()));
            }
        }
        kept
    }

    /// The next disk fault drawn (at `at`): whether it happens.
    pub(crate) fn disk_fault(&mut self, at: std::time::Duration, what: &str) -> bool {
        self.disk_faults += 1;
        self.keeps(Item::DiskFault(self.disk_faults), || {
            format!("{at:?}: {what}")
        })
    }
}

/// Parses a `--keep` list: events separated by commas, `none` for none.
pub fn parse_keep(s: &str) -> Result<BTreeSet<Item>, String> {
    if s == "none" {
        return Ok(BTreeSet::new());
    }
    s.split(',').map(str::parse).collect()
}

/// Formats a `--keep` list.
pub fn format_keep(items: &[Item]) -> String {
    if items.is_empty() {
        return "none".into();
    }
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The smallest limits found under which `seed` still fails, with its
/// outcome. Tries fewer initiators, fewer operations, and each fault family
/// off, keeping every reduction that still fails.
pub fn families(seed: u64) -> (Limits, Outcome) {
    let opts = |l: Limits| Options {
        limits: l,
        ..Options::default()
    };
    let mut best = Limits::default();
    let mut out = run(seed, &opts(best));
    if out.failures.is_empty() {
        return (best, out);
    }
    let n = out.params.initiators;
    for k in 1..n {
        let l = Limits {
            initiators: k,
            ..best
        };
        let o = run(seed, &opts(l));
        if !o.failures.is_empty() {
            best = l;
            out = o;
            break;
        }
    }
    let mut ops = out.params.ops_per_initiator;
    while ops > 1 {
        let l = Limits {
            ops: ops / 2,
            ..best
        };
        let o = run(seed, &opts(l));
        if o.failures.is_empty() {
            break;
        }
        ops /= 2;
        best = l;
        out = o;
    }
    let toggles: [fn(&mut Limits); 6] = [
        |l| l.crashes = false,
        |l| l.net_faults = false,
        |l| l.disk_faults = false,
        |l| l.tmf = false,
        |l| l.reservations = false,
        |l| l.chap = false,
    ];
    for t in toggles {
        let mut l = best;
        t(&mut l);
        let o = run(seed, &opts(l));
        if !o.failures.is_empty() {
            best = l;
            out = o;
        }
    }
    (best, out)
}

/// Most runs [`events`] spends.
pub const EVENT_RUNS: usize = 3000;

/// What [`events`] found.
#[derive(Debug)]
pub struct Minimal {
    /// The events kept, with what each was.
    pub kept: Vec<(Item, String)>,
    /// Events the run under `limits` had before shrinking.
    pub before: usize,
    pub outcome: Outcome,
    pub runs: usize,
}

/// Delta debugging (ddmin, complements only) over the events of `seed`
/// under `limits`: removes chunks of events, then single ones, while the
/// run still fails with the same checker as at the start.
pub fn events(seed: u64, limits: Limits) -> Option<Minimal> {
    let opts = |keep: Option<BTreeSet<Item>>| Options {
        limits,
        keep,
        log_items: true,
        ..Options::default()
    };
    let mut out = run(seed, &opts(None));
    let class = checker_of(out.failures.first()?);
    let fails = |o: &Outcome| o.failures.iter().any(|f| checker_of(f) == class);
    let before = out.items.len();
    let mut cur: Vec<Item> = out.items.iter().map(|x| x.0).collect();
    let mut n = 2usize;
    let mut runs = 1;
    while !cur.is_empty() && runs < EVENT_RUNS {
        let len = cur.len();
        let chunk = len.div_ceil(n.min(len));
        let mut reduced = false;
        for start in (0..len).step_by(chunk) {
            let cand: BTreeSet<Item> = cur
                .iter()
                .enumerate()
                .filter(|(k, _)| *k < start || *k >= start + chunk)
                .map(|(_, &x)| x)
                .collect();
            let o = run(seed, &opts(Some(cand)));
            runs += 1;
            if fails(&o) {
                cur = o.items.iter().map(|x| x.0).collect();
                out = o;
                n = n.saturating_sub(1).max(2);
                reduced = true;
                break;
            }
            if runs >= EVENT_RUNS {
                break;
            }
        }
        if !reduced {
            if chunk == 1 {
                break;
            }
            n = (n * 2).min(len);
        }
    }
    Some(Minimal {
        kept: out.items.clone(),
        before,
        outcome: out,
        runs,
    })
}
