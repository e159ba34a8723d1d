//! rtgt's deterministic simulator: the real target core
//! (`rtgt-target-core`, with real `rtgt-scsi` disks) and several real
//! initiator cores (`rtgt-initiator-core`) run over a simulated network and a
//! simulated disk, with faults, all from one `u64` seed. It depends on the
//! sans-IO crates only (in Cargo.toml under the names `rtgt-target` and
//! `rtgt-initiator`).
//!
//! # Determinism
//! - Time is virtual: an `Instant` epoch plus a `Duration` that only the
//!   event loop advances ([`world`]). The wall clock is never read for time.
//! - The seed is split into one generator per subsystem (swarm, network,
//!   disk, workload, scheduler, cores: [`rng::Stream`]).
//! - No threads inside a run; everything iterated is a `BTreeMap` or `Vec`.
//! - Every event (time, host, kind, CRC of its bytes) is folded into a
//!   trace hash ([`trace`]); the same seed gives the same hash bit for bit.
//!
//! # Hosts
//! One target (LUN 0 thick, LUN 1 thin, 512-byte blocks) and one to four
//! initiators. Any host may crash and restart before the faults heal. A
//! target crash loses the core and the disks' memory; the simulated media
//! keep what was durable. Initiators reconnect with their own ISID (session
//! reinstatement) and retry what a real initiator retries (unit attention,
//! BUSY, TASK SET FULL, commands lost with the session); other failures are
//! reported to the workload and not retried. A command outstanding for 30 s
//! is aborted (ABORT TASK); a failed abort escalates to LOGICAL UNIT RESET,
//! a task management request unanswered for 20 s to dropping the session.
//!
//! # Fault model
//! The faults stay inside this model, so every failure found is a bug of
//! the cores or of the checkers, never of the "hardware":
//!
//! **Network** (per TCP connection, order always kept within a direction):
//! latency, jitter, bandwidth; writes cut into pieces of any size
//! (arbitrary read splits); stalls of a direction; resets (both ends learn
//! after a latency); half-closes (the sender's FIN after what it wrote);
//! partitions of every link lasting up to 40 s (long enough for NOP
//! timeouts); single bit flips in pieces of full feature phase streams.
//! A flip in bytes a negotiated digest covers (the header digest: BHS and
//! AHS; the data digest: data segment and padding) must be reported as a
//! digest error by its receiver once it has read that PDU (by the sender's
//! framing, or the longest header a flipped TotalAHSLength announces),
//! unless the connection closed first; the run fails otherwise. A flip no
//! digest covers may go through: the run records it as a note, and
//! failures after it are notes, not failures.
//!
//! **Disk** (per LUN, 512-byte sectors, each sector written atomically):
//! request latency with a slow tail; EIO on a read or a write (a failed
//! write may have written a prefix of its blocks); ENOSPC on the thin LUN
//! when its allocated blocks reach a cap; a volatile write cache: writes
//! without FUA sit in the cache until a flush (SYNCHRONIZE CACHE) or a
//! FUA write to the block; at a crash each block keeps some prefix of its
//! unflushed writes (so multi-block writes tear at sector boundaries) and
//! writes in flight reach the medium block by block or not; misdirected
//! writes (one block lands on another LBA; the oracle is told, since no
//! initiator could tell); latent sector errors (a block fails reads until
//! rewritten). Faults stop when the run heals.
//!
//! Not modelled: corruption of data at rest, lost acknowledged FUA writes
//! (the disk honours FUA and flush), reordering across a flush.
//!
//! # Checkers
//! - Durability and read validity ([`oracle`]): a write acknowledged with
//!   FUA, or followed by an acknowledged SYNCHRONIZE CACHE, survives any
//!   crash; every GOOD read returns, per block, a value some write could
//!   have left there.
//! - Linearizability ([`linear`]): each block is a register; a GOOD read or
//!   compare that saw a value excludes, for reads submitted after it ended,
//!   every value that must precede it (no crash between); a COMPARE AND
//!   WRITE is atomic (no write acknowledged before a read comes between its
//!   compare and its write; two GOOD ones cannot match the same value with
//!   no write of it between them), a MISCOMPARE writes nothing and needs a
//!   legal value other than the expected one; unmapped blocks read as the
//!   LBPRZ value of the LUN's READ CAPACITY (16) data.
//! - Protocol: any `ProtocolViolation` of the (strict) initiator fails the
//!   run; a task answered twice or never sent fails it; digests must
//!   negotiate as both sides wanted.
//! - Digest detection: every covered bit flip comes back as a digest error
//!   (above).
//! - Liveness: after the faults heal, every command completes within
//!   [`world::LIVENESS_BOUND`], and the run ends.
//! - Reservations ([`reservation`]): the holder of LUN 0's Write Exclusive
//!   reservation, when certain, decides every write: GOOD from a nexus
//!   other than the holder's, or RESERVATION CONFLICT for the holder or
//!   with no reservation, fails the run; a RESERVATION CONFLICT writes
//!   nothing (the read oracles are told); a READ never conflicts; a RESERVE
//!   answered GOOD while another holds it fails.
//! - Unit attentions ([`ua`]): BUS DEVICE RESET FUNCTION OCCURRED after a
//!   LOGICAL UNIT RESET and REGISTRATIONS PREEMPTED after a PREEMPT are
//!   reported at most once per function sent, and at least once to each
//!   other initiator that kept its session (its next command to the LUN).
//! - CHAP: a login with a wrong initiator secret, or accepting a target
//!   whose mutual response used a wrong secret, fails the run; a login
//!   with the right secrets refused for authentication fails it too.
//!
//! # Workloads
//! Reads, writes, FUA writes, SYNCHRONIZE CACHE, COMPARE AND WRITE, UNMAP
//! and WRITE SAME (16) with UNMAP (thin LUN), ABORT TASK and LOGICAL UNIT
//! RESET at a mix and queue depth the seed picks ([`swarm`]). COMPARE AND
//! WRITE goes to one of the first four blocks, two tasks of one initiator
//! at a time with the same expected value (a lock contended). About a third
//! of the seeds add persistent reservations on LUN 0: each initiator
//! registers its key (REGISTER AND IGNORE EXISTING KEY), reserves and
//! releases Write Exclusive, preempts another's key, and reads the
//! reservation, while the others write. Half of the seeds log in with CHAP
//! (one-way or mutual), most of those with a wrong initiator or target
//! secret now and then. Not exercised: SPC-2 RESERVE/RELEASE, PREEMPT AND
//! ABORT, the other reservation types, APTPL, and sessions of several
//! connections (the initiator core runs one connection per session).
//!
//! # Soak
//! [`world::Soak`] stretches one seed: its mix and fault rates over a
//! faulty period of any length, with any number of initiators and
//! [`world::SOAK_OPS_PER_SECOND`] operations per initiator and second
//! (`rtgt-sim --soak 1h --initiators 8`).

#![forbid(unsafe_code)]

pub mod disk;
#[cfg(feature = "fuzzing")]
#[allow(clippy::panic)]
pub mod fuzzing;
pub mod linear;
pub mod mutants;
pub mod net;
pub mod oracle;
pub mod pcap;
pub mod reservation;
pub mod rng;
pub mod shrink;
pub mod swarm;
pub mod target_host;
pub mod trace;
pub mod ua;
pub mod workload;
pub mod world;

#[cfg(test)]
mod tests;

pub use swarm::{Limits, Params};
pub use world::{Options, Outcome, Schedule, Soak, Stats};

/// Runs one seed.
pub fn run(seed: u64, opts: &Options) -> Outcome {
    let mut o = world::World::new(seed, opts).run();
    o.seed = seed;
    o
}

/// The smallest limits found under which `seed` still fails, with its
/// outcome ([`shrink::families`]; [`shrink::events`] goes on from there).
pub fn shrink(seed: u64) -> (Limits, Outcome) {
    shrink::families(seed)
}
