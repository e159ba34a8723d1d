//! Swarm testing: each seed picks its own fault probabilities and workload
//! mix, so a sweep covers calm runs and violent ones. [`Limits`] caps what
//! the seed picked, for shrinking a failure.

use std::time::Duration;

use crate::rng::{Rng, Stream};

/// Network faults and shape.
#[derive(Debug, Clone, PartialEq)]
pub struct NetFaults {
    /// One-way latency, microseconds.
    pub latency_us: u64,
    /// Extra random delay up to this, microseconds (order is kept).
    pub jitter_us: u64,
    /// Bytes per second per direction.
    pub bandwidth: u64,
    /// Largest piece a write is cut into before delivery.
    pub max_split: usize,
    /// Chance that a delivered piece of a full feature phase stream has one
    /// bit flipped.
    pub p_flip: f64,
    /// Chance per piece that the connection is reset.
    pub p_reset: f64,
    /// Chance per piece that the sender half-closes the connection.
    pub p_half_close: f64,
    /// Chance per piece of a stall of up to `stall_ms`.
    pub p_stall: f64,
    pub stall_ms: u64,
    /// Partitions of every link, each lasting `partition_s`.
    pub partitions: u32,
    pub partition_s: u64,
}

/// Disk faults and shape (see the crate docs for the model).
#[derive(Debug, Clone, PartialEq)]
pub struct DiskFaults {
    pub latency_us: u64,
    pub p_slow: f64,
    pub slow_ms: u64,
    pub p_eio_read: f64,
    pub p_eio_write: f64,
    pub p_misdirect: f64,
    /// Latent sector errors appearing over the run.
    pub latent: u32,
    /// Thin LUN capacity in allocated blocks.
    pub thin_cap: u64,
    /// Chance that each unflushed cached write of a block survives a crash.
    pub crash_keep: f64,
}

impl DiskFaults {
    /// No fault, fast.
    pub fn calm() -> Self {
        DiskFaults {
            latency_us: 100,
            p_slow: 0.0,
            slow_ms: 0,
            p_eio_read: 0.0,
            p_eio_write: 0.0,
            p_misdirect: 0.0,
            latent: 0,
            thin_cap: u64::MAX,
            crash_keep: 0.5,
        }
    }
}

/// Relative weights of the operations a workload issues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mix {
    pub read: u32,
    pub write: u32,
    pub write_fua: u32,
    pub sync: u32,
    pub compare_and_write: u32,
    pub unmap: u32,
    pub abort_task: u32,
    pub lun_reset: u32,
    /// PERSISTENT RESERVE OUT and IN on LUN 0 (register, reserve, release,
    /// preempt, read reservation).
    pub pr: u32,
}

/// How the initiators authenticate (RFC 7143 §12.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChapMode {
    /// AuthMethod=None.
    None,
    /// The target checks the initiator.
    OneWay,
    /// Each checks the other.
    Mutual,
}

/// Everything a seed decides.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    pub initiators: usize,
    pub ops_per_initiator: u32,
    pub queue_depth: u32,
    pub header_digest: bool,
    pub data_digest: bool,
    /// Blocks of each LUN (the hot range all initiators hit).
    pub lun_blocks: u64,
    pub max_op_blocks: u64,
    pub mix: Mix,
    pub net: NetFaults,
    pub disk: DiskFaults,
    pub target_crashes: u32,
    pub initiator_crashes: u32,
    /// No new fault after this; the liveness bound counts from here.
    pub heal_at: Duration,
    /// What the initiators propose: MaxRecvDataSegmentLength,
    /// MaxBurstLength, FirstBurstLength, ImmediateData, InitialR2T.
    pub mrdsl: u32,
    pub max_burst: u32,
    pub first_burst: u32,
    pub immediate_data: bool,
    pub initial_r2t: bool,
    pub chap: ChapMode,
    /// Chance that a login offers a wrong initiator secret.
    pub p_wrong_secret: f64,
    /// Mutual CHAP: chance that a login expects a wrong target secret (as
    /// if the target answered with the wrong one).
    pub p_wrong_target: f64,
}

/// Caps on a seed's choices, used to shrink a failing run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub initiators: usize,
    pub ops: u32,
    pub net_faults: bool,
    pub disk_faults: bool,
    pub crashes: bool,
    pub tmf: bool,
    /// Persistent reservation operations.
    pub reservations: bool,
    /// CHAP logins.
    pub chap: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            initiators: usize::MAX,
            ops: u32::MAX,
            net_faults: true,
            disk_faults: true,
            crashes: true,
            tmf: true,
            reservations: true,
            chap: true,
        }
    }
}

fn maybe(rng: &mut Rng, on: f64, lo: f64, hi: f64) -> f64 {
    if rng.chance(on) {
        lo + (hi - lo) * rng.unit()
    } else {
        0.0
    }
}

impl Params {
    /// The parameters of `seed`, within `limits`.
    pub fn pick(seed: u64, limits: &Limits) -> Params {
        let mut r = Rng::for_stream(seed, Stream::Swarm);
        let initiators = (r.range(1, 4) as usize).min(limits.initiators).max(1);
        let ops_per_initiator = (r.range(20, 200) as u32).min(limits.ops);
        let queue_depth = r.range(1, 8) as u32;
        let digests = r.below(4);
        let w = |r: &mut Rng, on: f64, hi: u64| {
            if r.chance(on) {
                r.range(1, hi) as u32
            } else {
                0
            }
        };
        let mut mix = Mix {
            read: r.range(2, 10) as u32,
            write: r.range(2, 10) as u32,
            write_fua: w(&mut r, 0.7, 5),
            sync: w(&mut r, 0.7, 3),
            compare_and_write: w(&mut r, 0.5, 3),
            unmap: w(&mut r, 0.5, 2),
            abort_task: w(&mut r, 0.3, 2),
            lun_reset: w(&mut r, 0.15, 1),
            pr: 0,
        };
        if !limits.tmf {
            mix.abort_task = 0;
            mix.lun_reset = 0;
        }
        let violent = r.chance(0.5) && limits.net_faults;
        let mut net = NetFaults {
            latency_us: r.range(20, 2_000),
            jitter_us: r.range(0, 1_000),
            bandwidth: r.range(10, 1_000) * 1_000_000,
            max_split: r.range(1, 9000) as usize,
            p_flip: maybe(&mut r, 0.3, 0.0, 0.002),
            p_reset: maybe(&mut r, 0.3, 0.0, 0.0005),
            p_half_close: maybe(&mut r, 0.2, 0.0, 0.0003),
            p_stall: maybe(&mut r, 0.3, 0.0, 0.002),
            stall_ms: r.range(1, 3_000),
            partitions: if r.chance(0.3) {
                r.range(1, 3) as u32
            } else {
                0
            },
            partition_s: r.range(1, 40),
        };
        if !violent {
            net.p_flip = 0.0;
            net.p_reset = 0.0;
            net.p_half_close = 0.0;
            net.p_stall = 0.0;
            net.partitions = 0;
        }
        let mut disk = DiskFaults {
            latency_us: r.range(20, 5_000),
            p_slow: maybe(&mut r, 0.4, 0.0, 0.05),
            slow_ms: r.range(1, 2_000),
            p_eio_read: maybe(&mut r, 0.3, 0.0, 0.02),
            p_eio_write: maybe(&mut r, 0.3, 0.0, 0.02),
            p_misdirect: maybe(&mut r, 0.15, 0.0, 0.01),
            latent: if r.chance(0.3) {
                r.range(1, 5) as u32
            } else {
                0
            },
            thin_cap: if r.chance(0.3) {
                r.range(8, 200)
            } else {
                u64::MAX
            },
            crash_keep: r.unit(),
        };
        if !limits.disk_faults {
            disk = DiskFaults {
                latency_us: disk.latency_us,
                crash_keep: disk.crash_keep,
                ..DiskFaults::calm()
            };
        }
        let (mut target_crashes, mut initiator_crashes) = (0, 0);
        if r.chance(0.4) {
            target_crashes = r.range(1, 3) as u32;
        }
        if r.chance(0.3) {
            initiator_crashes = r.range(1, 3) as u32;
        }
        if !limits.crashes {
            target_crashes = 0;
            initiator_crashes = 0;
        }
        let sizes = [512u32, 1024, 2048, 4096, 8192, 65_536, 262_144];
        let mrdsl = sizes[r.index(sizes.len())];
        let max_burst = sizes[r.index(sizes.len())];
        let first_burst = sizes[r.index(sizes.len())].min(max_burst);
        let immediate_data = r.chance(0.5);
        let initial_r2t = r.chance(0.5);
        let lun_blocks = r.range(16, 256);
        let max_op_blocks = r.range(1, 16);
        let heal_at = Duration::from_secs(r.range(5, 120));
        // Drawn last, so that a seed's earlier choices stay what they were.
        mix.pr = w(&mut r, 0.35, 4);
        let chap = match r.below(4) {
            0 => ChapMode::OneWay,
            1 => ChapMode::Mutual,
            _ => ChapMode::None,
        };
        let p_wrong_secret = maybe(&mut r, 0.7, 0.05, 0.3);
        let p_wrong_target = maybe(&mut r, 0.7, 0.05, 0.3);
        if !limits.reservations {
            mix.pr = 0;
        }
        let chap = if limits.chap { chap } else { ChapMode::None };
        let (p_wrong_secret, p_wrong_target) = match chap {
            ChapMode::None => (0.0, 0.0),
            ChapMode::OneWay => (p_wrong_secret, 0.0),
            ChapMode::Mutual => (p_wrong_secret, p_wrong_target),
        };
        Params {
            chap,
            p_wrong_secret,
            p_wrong_target,
            mrdsl,
            max_burst,
            first_burst,
            immediate_data,
            initial_r2t,
            initiators,
            ops_per_initiator,
            queue_depth,
            header_digest: digests & 1 == 1,
            data_digest: digests & 2 == 2,
            lun_blocks,
            max_op_blocks,
            mix,
            net,
            disk,
            target_crashes,
            initiator_crashes,
            heal_at,
        }
    }

    /// Whether a flipped bit is certain to be caught.
    pub fn fully_digested(&self) -> bool {
        self.header_digest && self.data_digest
    }
}
