//! The `sim_tape` fuzz harness body: the fuzzer's bytes, read with
//! `arbitrary`, choose a run's parameters (workload mix, queue depth,
//! negotiation, network and disk fault rates) and its fault schedule
//! (crash, partition and latent error times), within the simulator's fault
//! model; one `u64` of them seeds the rest. The simulator's own checkers
//! (durability, read validity, protocol, liveness) are the oracle: a run
//! with a failure panics with the failures and the tape.
//!
//! A run is bounded: at most [`MAX_INITIATORS`] initiators of
//! [`MAX_OPS`] operations each, faults heal by [`MAX_HEAL`], and the event
//! loop stops quietly after [`STEP_BUDGET`] steps, so one input takes
//! milliseconds and a campaign keeps a useful rate.

use std::time::Duration;

use arbitrary::{Result, Unstructured};

use crate::swarm::{ChapMode, DiskFaults, Mix, NetFaults, Params};
use crate::world::{Options, Schedule, World};

/// Most initiators in one run.
pub const MAX_INITIATORS: usize = 3;
/// Most operations per initiator.
pub const MAX_OPS: u32 = 16;
/// Latest time the faults heal.
pub const MAX_HEAL: Duration = Duration::from_secs(10);
/// Steps of the event loop after which a run stops without a verdict.
pub const STEP_BUDGET: u64 = 20_000;
/// Most scheduled events of each kind.
const MAX_EVENTS: usize = 3;

/// A rate of at most `max`, chosen by one byte.
fn rate(u: &mut Unstructured, max: f64) -> Result<f64> {
    Ok(f64::from(u.arbitrary::<u8>()?) / 255.0 * max)
}

/// A time before `heal`, in milliseconds.
fn before(u: &mut Unstructured, heal: Duration) -> Result<Duration> {
    let ms = heal.as_millis().max(1) as u64;
    Ok(Duration::from_millis(u.int_in_range(0..=ms - 1)?))
}

fn mix(u: &mut Unstructured) -> Result<Mix> {
    Ok(Mix {
        read: u.int_in_range(1..=10)?,
        write: u.int_in_range(1..=10)?,
        write_fua: u.int_in_range(0..=5)?,
        sync: u.int_in_range(0..=3)?,
        compare_and_write: u.int_in_range(0..=3)?,
        unmap: u.int_in_range(0..=2)?,
        abort_task: u.int_in_range(0..=2)?,
        lun_reset: u.int_in_range(0..=1)?,
        pr: u.int_in_range(0..=2)?,
    })
}

fn net(u: &mut Unstructured) -> Result<NetFaults> {
    Ok(NetFaults {
        latency_us: u.int_in_range(20..=2_000)?,
        jitter_us: u.int_in_range(0..=1_000)?,
        bandwidth: u.int_in_range(10..=1_000)? * 1_000_000,
        max_split: u.int_in_range(1..=9_000)?,
        p_flip: rate(u, 0.002)?,
        p_reset: rate(u, 0.0005)?,
        p_half_close: rate(u, 0.0003)?,
        p_stall: rate(u, 0.002)?,
        stall_ms: u.int_in_range(1..=3_000)?,
        partitions: 0,
        partition_s: 0,
    })
}

fn disk(u: &mut Unstructured) -> Result<DiskFaults> {
    Ok(DiskFaults {
        latency_us: u.int_in_range(20..=5_000)?,
        p_slow: rate(u, 0.05)?,
        slow_ms: u.int_in_range(1..=2_000)?,
        p_eio_read: rate(u, 0.02)?,
        p_eio_write: rate(u, 0.02)?,
        p_misdirect: rate(u, 0.01)?,
        latent: 0,
        thin_cap: if u.arbitrary()? {
            u.int_in_range(8..=200)?
        } else {
            u64::MAX
        },
        crash_keep: rate(u, 1.0)?,
    })
}

/// A run's parameters and fault schedule, read from the fuzzer's bytes.
#[derive(Debug, Clone)]
pub struct Tape {
    pub seed: u64,
    pub params: Params,
    pub schedule: Schedule,
}

impl Tape {
    /// Reads a tape; bytes that run out read as the smallest choices.
    pub fn read(u: &mut Unstructured) -> Result<Tape> {
        let seed = u.arbitrary()?;
        let initiators = u.int_in_range(1..=MAX_INITIATORS)?;
        let heal_at = Duration::from_millis(u.int_in_range(1_000..=MAX_HEAL.as_millis() as u64)?);
        let sizes = [512u32, 1024, 2048, 4096, 8192, 65_536, 262_144];
        let max_burst = *u.choose(&sizes)?;
        let mut params = Params {
            initiators,
            ops_per_initiator: u.int_in_range(1..=MAX_OPS)?,
            queue_depth: u.int_in_range(1..=8)?,
            header_digest: u.arbitrary()?,
            data_digest: u.arbitrary()?,
            lun_blocks: u.int_in_range(16..=256)?,
            max_op_blocks: u.int_in_range(1..=16)?,
            mix: mix(u)?,
            net: net(u)?,
            disk: disk(u)?,
            target_crashes: 0,
            initiator_crashes: 0,
            heal_at,
            mrdsl: *u.choose(&sizes)?,
            max_burst,
            first_burst: (*u.choose(&sizes)?).min(max_burst),
            immediate_data: u.arbitrary()?,
            initial_r2t: u.arbitrary()?,
            chap: *u.choose(&[ChapMode::None, ChapMode::OneWay, ChapMode::Mutual])?,
            p_wrong_secret: f64::from(u.int_in_range(0..=3u8)?) / 10.0,
            p_wrong_target: f64::from(u.int_in_range(0..=3u8)?) / 10.0,
        };
        let mut schedule = Schedule::default();
        for _ in 0..initiators {
            let ms = u.int_in_range(0..=99)?;
            schedule.first_connect.push(Duration::from_millis(ms));
        }
        for _ in 0..u.int_in_range(0..=MAX_EVENTS)? {
            schedule.target_crashes.push(before(u, heal_at)?);
        }
        for _ in 0..u.int_in_range(0..=MAX_EVENTS)? {
            let at = before(u, heal_at)?;
            schedule
                .initiator_crashes
                .push((at, u.int_in_range(0..=initiators - 1)?));
        }
        for _ in 0..u.int_in_range(0..=MAX_EVENTS)? {
            let at = before(u, heal_at)?;
            schedule.latent_errors.push((at, u.int_in_range(0..=1)?));
        }
        for _ in 0..u.int_in_range(0..=MAX_EVENTS)? {
            let start = before(u, heal_at)?;
            let end = (start + Duration::from_millis(u.int_in_range(1..=40_000)?)).min(heal_at);
            schedule.partitions.push((start, end));
        }
        // The counts the rest of the simulator reads.
        params.target_crashes = schedule.target_crashes.len() as u32;
        params.initiator_crashes = schedule.initiator_crashes.len() as u32;
        params.disk.latent = schedule.latent_errors.len() as u32;
        params.net.partitions = schedule.partitions.len() as u32;
        Ok(Tape {
            seed,
            params,
            schedule,
        })
    }
}

/// One bounded simulator run chosen by `data`; panics when a checker fails.
pub fn sim_tape(data: &[u8]) {
    let Ok(tape) = Tape::read(&mut Unstructured::new(data)) else {
        return;
    };
    let opts = Options {
        budget: Some(STEP_BUDGET),
        ..Options::default()
    };
    let outcome = World::with_schedule(tape.seed, tape.params.clone(), &tape.schedule, &opts).run();
    if !outcome.failures.is_empty() {
        panic!(
            "the simulator's checkers failed: {:?}\n{tape:?}",
            outcome.failures
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sim_tape_runs_fixed_inputs() {
        sim_tape(&[]);
        sim_tape(&[0xff; 64]);
        sim_tape(&(0..=255).collect::<Vec<u8>>());
        let mut bytes = vec![7u8; 200];
        bytes[8] = 0xff;
        sim_tape(&bytes);
    }

    #[test]
    fn tape_stays_in_the_bounds() {
        for fill in [0u8, 0x55, 0xaa, 0xff] {
            let data = vec![fill; 512];
            let tape = Tape::read(&mut Unstructured::new(&data)).expect("a tape reads");
            let p = &tape.params;
            assert!((1..=MAX_INITIATORS).contains(&p.initiators));
            assert!((1..=MAX_OPS).contains(&p.ops_per_initiator));
            assert!(p.heal_at <= MAX_HEAL && p.first_burst <= p.max_burst);
            assert_eq!(tape.schedule.first_connect.len(), p.initiators);
            assert!(tape
                .schedule
                .initiator_crashes
                .iter()
                .all(|&(_, i)| i < p.initiators));
            assert!(tape
                .schedule
                .partitions
                .iter()
                .all(|&(s, e)| s <= e && e <= p.heal_at));
        }
    }

    /// Found by the fuzz target: the initiator half-closes its side, the
    /// target ends the session at end of stream, and the initiator, whose
    /// Logout Request the target never reads, waited for ever (the
    /// simulated target did not close its side as rtgtd does).
    #[test]
    fn a_half_closed_connection_ends_on_both_sides() {
        sim_tape(include_bytes!(
            "../../fuzz/artifacts/sim_tape/crash-f164f5cb92ce679f3012d670ada43bdcb16f18df"
        ));
    }

    /// A run a tape gives is the same every time (the trace hash).
    #[test]
    fn a_tape_replays_identically() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 37 % 251) as u8).collect();
        let run = || {
            let tape = Tape::read(&mut Unstructured::new(&data)).expect("a tape reads");
            World::with_schedule(tape.seed, tape.params, &tape.schedule, &Options::default()).run()
        };
        let (a, b) = (run(), run());
        assert_eq!(a.hash, b.hash);
        assert!(a.failures.is_empty(), "{:?}", a.failures);
    }
}
