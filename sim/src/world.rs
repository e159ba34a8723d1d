//! The discrete-event loop: a virtual clock, an ordered queue of events, and
//! the hosts. Nothing here reads the wall clock or iterates a hash map; the
//! only input is the seed.

mod transport;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use rtgt_scsi::IoRequest;
use rtgt_target::IoTag;

use crate::linear::Linear;
use crate::net::Link;
use crate::oracle::Oracle;
use crate::pcap::Pcap;
use crate::rng::{Rng, Stream};
use crate::shrink::Item;
use crate::swarm::{Limits, Params};
use crate::target_host::TargetHost;
use crate::trace::{HostId, Trace};
use crate::workload::IniHost;

/// What happens at a point of virtual time.
#[derive(Debug, Clone)]
pub enum Ev {
    /// The head piece of a link's direction arrives.
    Deliver {
        link: u64,
        dir: usize,
    },
    /// A reset reaches one end of a link (`dir` UP: the target learns).
    RstNotice {
        link: u64,
        dir: usize,
    },
    /// A backstore request of target incarnation `gen` finishes.
    IoDone {
        gen: u64,
        tag: IoTag,
        req: IoRequest,
    },
    TargetCrash,
    TargetRestart,
    IniCrash(usize),
    IniRestart(usize),
    Reconnect(usize),
    Tick(usize),
    /// A latent sector error appears on a LUN.
    Rot(u16),
}

/// Counters of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub pdus: u64,
    pub bytes: u64,
    pub commands: u64,
    pub completed: u64,
    pub failed_commands: u64,
    pub flips: u64,
    pub digest_errors: u64,
    pub resets: u64,
    pub target_crashes: u64,
    pub initiator_crashes: u64,
    pub logins: u64,
    pub io_requests: u64,
    pub misdirected: u64,
    /// Commands judged against a known reservation holder.
    pub reservation_checks: u64,
    /// Unit attentions the ledger checked.
    pub unit_attentions: u64,
    /// Logins refused by CHAP (a wrong secret injected).
    pub chap_refusals: u64,
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub seed: u64,
    pub hash: u64,
    pub failures: Vec<String>,
    /// Things worth knowing that are not failures (corruption that passed
    /// with digests off, and what it caused).
    pub notes: Vec<String>,
    pub sim_time: Duration,
    pub events: u64,
    pub stats: Stats,
    pub params: Params,
    pub trace: Vec<String>,
    pub pcap: Option<Vec<u8>>,
    /// With [`Options::log_items`]: the removable events that happened.
    pub items: Vec<(Item, String)>,
}

/// Options of one run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub limits: Limits,
    pub trace: bool,
    pub pcap: bool,
    /// Stop quietly after this many steps, judging nothing more (keeps a
    /// fuzz run short); `None` runs to the end.
    pub budget: Option<u64>,
    /// Only these removable events happen (event-level shrinking); `None`:
    /// all of them.
    pub keep: Option<BTreeSet<Item>>,
    /// Record the removable events that happen in [`Outcome::items`].
    pub log_items: bool,
    /// A soak: one long run instead of the seed's own length.
    pub soak: Option<Soak>,
}

/// A soak run: the seed's mix and fault rates over a long faulty period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Soak {
    /// Simulated time during which faults happen (the seed's heal time).
    pub faulty: Duration,
    /// Initiators (the seed's own number when `None`).
    pub initiators: Option<usize>,
}

/// Operations per initiator and simulated second of a soak (a seed's own
/// runs issue 20 to 200 operations over 5 to 120 s).
pub const SOAK_OPS_PER_SECOND: u64 = 2;

/// How long a command may stay outstanding after the faults heal.
pub const LIVENESS_BOUND: Duration = Duration::from_secs(180);
/// Most steps a run may take (a core whose timer never advances spins).
pub const MAX_STEPS: u64 = 5_000_000;

/// The whole simulation.
#[derive(Debug)]
pub struct World {
    pub(crate) p: Params,
    pub(crate) epoch: Instant,
    pub(crate) now: Duration,
    /// Strictly increasing step counter, the oracle's clock.
    pub(crate) seq: u64,
    queue: BTreeMap<(Duration, u64), Ev>,
    queued: u64,
    pub(crate) net_rng: Rng,
    pub(crate) disk_rng: Rng,
    pub(crate) work_rng: Rng,
    pub(crate) sched_rng: Rng,
    pub(crate) core_rng: Rng,
    pub(crate) trace: Trace,
    pub(crate) pcap: Option<Pcap>,
    pub(crate) links: BTreeMap<u64, Link>,
    pub(crate) next_link: u64,
    pub(crate) target: TargetHost,
    pub(crate) inis: Vec<IniHost>,
    pub(crate) oracle: Oracle,
    pub(crate) lin: Linear,
    pub(crate) pr: crate::reservation::PrModel,
    pub(crate) ua: crate::ua::UaLedger,
    pub(crate) failures: Vec<String>,
    pub(crate) notes: Vec<String>,
    pub(crate) stats: Stats,
    /// A bit flip went where no digest covers it.
    pub(crate) unprotected: bool,
    /// A receiver got a flipped PDU whole: check its digest error.
    pub(crate) flips_owed: bool,
    partitions: Vec<(Duration, Duration)>,
    budget: Option<u64>,
    /// Most steps this run may take: [`MAX_STEPS`] per 120 s of faults.
    max_steps: u64,
    /// The removable events: which happen, and the log of those that did.
    pub(crate) events: crate::shrink::Events,
}

/// When the faults a run's [`Params`] count happen, and when each
/// initiator first connects.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schedule {
    /// Per initiator, the delay of its first connection.
    pub first_connect: Vec<Duration>,
    pub target_crashes: Vec<Duration>,
    /// (when, which initiator).
    pub initiator_crashes: Vec<(Duration, usize)>,
    /// (when, which LUN) a latent sector error appears.
    pub latent_errors: Vec<(Duration, u16)>,
    /// (start, end) of each partition of every link.
    pub partitions: Vec<(Duration, Duration)>,
}

impl Schedule {
    /// The schedule a seed gives: every time drawn from `rng` before the
    /// heal time.
    pub fn pick(p: &Params, rng: &mut Rng) -> Schedule {
        let heal = p.heal_at.as_millis() as u64;
        let mut s = Schedule::default();
        for _ in 0..p.net.partitions {
            let start = Duration::from_millis(rng.below(heal));
            let end = (start + Duration::from_secs(p.net.partition_s)).min(p.heal_at);
            s.partitions.push((start, end));
        }
        for _ in 0..p.initiators {
            s.first_connect.push(Duration::from_millis(rng.below(100)));
        }
        for _ in 0..p.target_crashes {
            s.target_crashes
                .push(Duration::from_millis(rng.below(heal)));
        }
        for _ in 0..p.initiator_crashes {
            let at = Duration::from_millis(rng.below(heal));
            s.initiator_crashes.push((at, rng.index(p.initiators)));
        }
        for _ in 0..p.disk.latent {
            let at = Duration::from_millis(rng.below(heal));
            s.latent_errors.push((at, rng.below(2) as u16));
        }
        s
    }
}

impl World {
    /// A world for `seed`.
    pub fn new(seed: u64, opts: &Options) -> World {
        let mut p = Params::pick(seed, &opts.limits);
        if let Some(s) = opts.soak {
            p.heal_at = s.faulty;
            p.initiators = s.initiators.unwrap_or(p.initiators).max(1);
            let ops = s.faulty.as_secs().saturating_mul(SOAK_OPS_PER_SECOND);
            p.ops_per_initiator = u32::try_from(ops).unwrap_or(u32::MAX).max(1);
        }
        let mut sched_rng = Rng::for_stream(seed, Stream::Scheduler);
        let schedule = Schedule::pick(&p, &mut sched_rng);
        World::build(seed, p, &schedule, sched_rng, opts)
    }

    /// A world with parameters and a fault schedule chosen by the caller
    /// (the `sim_tape` fuzz target); `seed` drives everything else. The
    /// schedule's initiator indices must be below `p.initiators`.
    pub fn with_schedule(seed: u64, p: Params, schedule: &Schedule, opts: &Options) -> World {
        let sched_rng = Rng::for_stream(seed, Stream::Scheduler);
        World::build(seed, p, schedule, sched_rng, opts)
    }

    fn build(seed: u64, p: Params, schedule: &Schedule, sched_rng: Rng, opts: &Options) -> World {
        let mut core_rng = Rng::for_stream(seed, Stream::Cores);
        let target = TargetHost::new(&p, &mut core_rng);
        let inis = (0..p.initiators)
            .map(|i| IniHost::new(i, p.ops_per_initiator))
            .collect();
        let mut w = World {
            epoch: epoch(),
            now: Duration::ZERO,
            seq: 0,
            queue: BTreeMap::new(),
            queued: 0,
            net_rng: Rng::for_stream(seed, Stream::Network),
            disk_rng: Rng::for_stream(seed, Stream::Disk),
            work_rng: Rng::for_stream(seed, Stream::Workload),
            sched_rng,
            core_rng,
            trace: Trace::new(opts.trace),
            pcap: opts.pcap.then(Pcap::new),
            links: BTreeMap::new(),
            next_link: 1,
            target,
            inis,
            oracle: crate::target_host::oracle_for_luns(p.lun_blocks),
            lin: Linear::default(),
            pr: crate::reservation::PrModel::new(),
            ua: crate::ua::UaLedger::new(p.initiators),
            failures: Vec::new(),
            notes: Vec::new(),
            stats: Stats::default(),
            unprotected: false,
            flips_owed: false,
            partitions: Vec::new(),
            budget: opts.budget,
            max_steps: MAX_STEPS * (p.heal_at.as_secs() / 120).max(1),
            events: crate::shrink::Events::new(opts.keep.clone(), opts.log_items),
            p,
        };
        w.schedule_start(schedule);
        w
    }

    fn schedule_start(&mut self, s: &Schedule) {
        for (i, at) in s.first_connect.iter().enumerate() {
            self.at(*at, Ev::Reconnect(i));
            self.at(Duration::from_secs(1), Ev::Tick(i));
        }
        for (k, (start, end)) in s.partitions.iter().enumerate() {
            if self.keeps(Item::Partition(k), || {
                format!("partition of every link from {start:?} to {end:?}")
            }) {
                self.partitions.push((*start, *end));
            }
        }
        for (k, at) in s.target_crashes.iter().enumerate() {
            if self.keeps(Item::TargetCrash(k), || format!("target crash at {at:?}")) {
                self.at(*at, Ev::TargetCrash);
            }
        }
        for (k, &(at, i)) in s.initiator_crashes.iter().enumerate() {
            if self.keeps(Item::InitiatorCrash(k), || {
                format!("crash of ini{i} at {at:?}")
            }) {
                self.at(at, Ev::IniCrash(i));
            }
        }
        for (k, &(at, lun)) in s.latent_errors.iter().enumerate() {
            if self.keeps(Item::LatentError(k), || {
                format!("latent sector error on lun {lun} at {at:?}")
            }) {
                self.at(at, Ev::Rot(lun));
            }
        }
    }

    /// Whether the removable event `item` happens in this run; records it
    /// when it does and events are logged.
    pub(crate) fn keeps(&mut self, item: Item, what: impl FnOnce() -> String) -> bool {
        self.events.keeps(item, what)
    }

    /// The next network fault drawn: whether it happens.
    pub(crate) fn keeps_fault(&mut self, what: impl FnOnce() -> String) -> bool {
        self.events.net_faults += 1;
        let at = self.now;
        self.keeps(Item::NetFault(self.events.net_faults), || {
            format!("{at:?}: {}", what())
        })
    }

    /// The virtual clock as the cores see it.
    pub(crate) fn instant(&self) -> Instant {
        self.epoch + self.now
    }

    fn to_virtual(&self, t: Instant) -> Duration {
        t.saturating_duration_since(self.epoch)
    }

    /// Queues an event at `at` (not before now).
    pub(crate) fn at(&mut self, at: Duration, ev: Ev) {
        self.queued += 1;
        self.queue.insert((at.max(self.now), self.queued), ev);
    }

    /// True while faults may still be injected.
    pub(crate) fn faulty(&self) -> bool {
        self.now < self.p.heal_at
    }

    /// True while a partition cuts every link; gives its end.
    pub(crate) fn partitioned(&self) -> Option<Duration> {
        self.partitions
            .iter()
            .find(|(s, e)| *s <= self.now && self.now < *e)
            .map(|&(_, e)| e)
    }

    /// Records a failure (or, after unprotected corruption, a note).
    pub(crate) fn fail(&mut self, what: String) {
        let who = HostId::Sim;
        let w = what.clone();
        self.trace
            .record(self.now, who, "FAILURE", w.as_bytes(), || w.clone());
        if self.unprotected {
            self.notes.push(format!(
                "after undetectable corruption (digests off): {what}"
            ));
        } else {
            self.failures.push(what);
        }
    }

    /// The next step number for the oracle.
    pub(crate) fn tick(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn finished(&self) -> bool {
        self.inis.iter().all(|i| i.finished())
    }

    /// Runs to the end.
    pub fn run(mut self) -> Outcome {
        let hard_end = self.p.heal_at + LIVENESS_BOUND * 3;
        let mut steps = 0u64;
        let mut spin = (Duration::ZERO, 0u32);
        loop {
            self.pump();
            self.check_flips();
            if self.finished() || !self.failures.is_empty() {
                break;
            }
            steps += 1;
            if self.budget.is_some_and(|b| steps > b) {
                self.notes
                    .push(format!("stopped after the budget of {steps} steps"));
                break;
            }
            if steps > self.max_steps {
                self.fail(format!("no end after {} steps", self.max_steps));
                break;
            }
            let timer = self.next_timer();
            let ev = self.queue.first_key_value().map(|(k, _)| k.0);
            let next = match (timer, ev) {
                (Some(t), Some(e)) => t.min(e),
                (Some(t), None) => t,
                (None, Some(e)) => e,
                (None, None) => {
                    self.fail("nothing left to happen but the run is not over".into());
                    break;
                }
            };
            if next > hard_end {
                self.fail(format!(
                    "liveness: the run did not finish by {:?} (faults healed at {:?}): {}",
                    hard_end,
                    self.p.heal_at,
                    self.stuck_summary()
                ));
                break;
            }
            self.now = self.now.max(next);
            if timer.is_some_and(|t| t <= self.now) {
                if spin.0 == self.now {
                    spin.1 += 1;
                    if spin.1 > 10_000 {
                        self.fail("a core's timer does not advance".into());
                        break;
                    }
                } else {
                    spin = (self.now, 0);
                }
                self.fire_timers();
                continue;
            }
            if let Some((_, ev)) = self.queue.pop_first() {
                self.tick();
                self.handle(ev);
            }
            self.check_liveness();
        }
        self.finish()
    }

    fn next_timer(&self) -> Option<Duration> {
        let t = self.target.poll_timeout().map(|t| self.to_virtual(t));
        self.inis
            .iter()
            .filter_map(|i| i.poll_timeout().map(|t| self.to_virtual(t)))
            .chain(t)
            .min()
    }

    fn fire_timers(&mut self) {
        let now = self.instant();
        if self.target.poll_timeout().is_some_and(|t| t <= now) {
            self.tick();
            self.trace
                .record(self.now, HostId::Target, "timeout", &[], String::new);
            self.target.handle_timeout(now);
        }
        for i in 0..self.inis.len() {
            if self.inis[i].poll_timeout().is_some_and(|t| t <= now) {
                self.tick();
                self.trace
                    .record(self.now, HostId::Initiator(i), "timeout", &[], String::new);
                if let Some(c) = self.inis[i].core.as_mut() {
                    c.handle_timeout(now);
                }
            }
        }
    }

    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::Deliver { link, dir } => self.deliver(link, dir),
            Ev::RstNotice { link, dir } => self.rst_notice(link, dir),
            Ev::IoDone { gen, tag, req } => self.io_done(gen, tag, req),
            Ev::TargetCrash => self.target_crash(),
            Ev::TargetRestart => self.target_restart(),
            Ev::IniCrash(i) => self.ini_crash(i),
            Ev::IniRestart(i) => self.ini_restart(i),
            Ev::Reconnect(i) => self.reconnect(i),
            Ev::Tick(i) => self.work_tick(i),
            Ev::Rot(lun) => {
                if self.faulty() {
                    self.trace
                        .record(self.now, HostId::Target, "latent-error", &[], || {
                            format!("lun {lun}")
                        });
                    self.target.rot(lun, &mut self.disk_rng);
                }
            }
        }
    }

    fn check_liveness(&mut self) {
        if self.now < self.p.heal_at + LIVENESS_BOUND {
            return;
        }
        let floor = self.p.heal_at;
        for i in 0..self.inis.len() {
            if let Some((h, since)) = self.inis[i].oldest(floor) {
                if self.now > since + LIVENESS_BOUND {
                    self.fail(format!(
                        "liveness: ini{i} task {h:#x} outstanding since {since:?}, more than {LIVENESS_BOUND:?} after the faults healed"
                    ));
                    return;
                }
            }
        }
    }

    fn stuck_summary(&self) -> String {
        self.inis
            .iter()
            .map(|i| i.summary())
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn finish(mut self) -> Outcome {
        self.stats.reservation_checks = self.pr.judged;
        self.stats.unit_attentions = self.ua.seen;
        Outcome {
            seed: 0,
            hash: self.trace.hash(),
            failures: self.failures,
            notes: self.notes,
            sim_time: self.now,
            events: self.trace.events(),
            stats: self.stats,
            params: self.p,
            trace: self.trace.take_lines(),
            pcap: self.pcap.map(|p| p.finish()),
            items: self.events.log.unwrap_or_default(),
        }
    }
}

/// The epoch every run's virtual clock starts from. Read once per process:
/// only differences from it reach the trace, so it does not affect a run.
fn epoch() -> Instant {
    use std::sync::OnceLock;
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}
