//! [`Disk`]: one logical unit, sans-IO.
//!
//! ```text
//! disk.submit(command);                       // a SCSI command arrives
//! while let Some(io) = disk.poll_io() {       // backstore work to run
//!     let r = io.execute(&*store);            // on an IO thread, or simulated
//!     disk.handle_io_complete(io.id, r);
//! }
//! while let Some(c) = disk.poll_completion() { /* send the response */ }
//! ```
//!
//! # Ordering
//!
//! Commands run in submission order as far as their data is concerned:
//! a command waits until every earlier command it conflicts with has
//! completed, then runs. Two commands conflict when
//! - their block ranges overlap and one of them writes (WRITE, WRITE SAME,
//!   UNMAP, COMPARE AND WRITE write; READ and VERIFY read; SYNCHRONIZE
//!   CACHE reads the whole medium, so it waits for earlier writes and later
//!   writes wait for it), or
//! - either has the ORDERED attribute (SAM-5 §8.6.3), or
//! - (never) the later one has the HEAD OF QUEUE attribute: it starts at
//!   once, ahead of everything (SAM-5 §8.6.4); a HEAD OF QUEUE read
//!   overlapping a write in flight may see old, new or mixed data.
//!
//! So a READ always sees every earlier WRITE to its blocks complete, writes
//! to the same blocks land in submission order, and commands on disjoint
//! ranges run concurrently. Commands that fail their checks complete at
//! once, whatever their attribute. Each command's backstore requests are
//! disjoint, so a backstore never sees overlapping writes in flight.
//!
//! # Task management
//!
//! [`Disk::abort_task`], [`Disk::abort_task_set`], [`Disk::clear_task_set`],
//! [`Disk::lun_reset`] and [`Disk::nexus_loss`] abort tasks. An aborted task
//! that has no request in flight completes at once; one with requests in
//! flight completes when they return (a write may still reach the medium,
//! which SAM-5 §5.6 allows). Either way it completes with `reply: None`:
//! no response is sent for it (SAM-5 §5.6; the Control mode page has TAS
//! zero, so tasks of other nexuses get no TASK ABORTED status either).

mod finish;
mod run;

use crate::backstore::{BackstoreError, IoData, IoId, IoRequest};
use crate::config::{ConfigError, DiskConfig};
use crate::dispatch::LuState;
use crate::plan::{Plan, TaskKind, Work};
use crate::pr::PrState;
use crate::sense::{backstore_sense, IoDirection};
use crate::task::{Command, Completion, Nexus, Reply, Residual, TaskAttribute};
use bytes::Bytes;
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::params::Lun;
use rtgt_proto::scsi::sense::Sense;
use rtgt_proto::scsi::status::Status;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// A task admitted to the device.
#[derive(Debug)]
struct Task {
    nexus: Arc<Nexus>,
    tag: u64,
    lun: Lun,
    expected_len: u32,
    attr: TaskAttribute,
    plan: Plan,
    phase: Phase,
    error: Option<Sense>,
    /// The bytes the last read returned.
    read: Option<Bytes>,
    progress: Progress,
}

/// Where a task is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the earlier tasks it conflicts with.
    Queued,
    /// Started, with `outstanding` backstore requests not yet returned.
    Running { outstanding: usize },
    /// Aborted by task management while requests were outstanding: ends,
    /// with no reply, once they are back.
    Aborted { outstanding: usize },
    /// A started task whose command is over (its completion is out) while
    /// its work runs on: an IMMED write, or a SANITIZE whose command was
    /// aborted.
    Detached { outstanding: usize },
}

impl Phase {
    /// The backstore requests not yet returned.
    fn outstanding(self) -> usize {
        match self {
            Phase::Queued => 0,
            Phase::Running { outstanding }
            | Phase::Aborted { outstanding }
            | Phase::Detached { outstanding } => outstanding,
        }
    }

    /// The same phase with `outstanding` requests not yet returned.
    fn with_outstanding(self, outstanding: usize) -> Phase {
        match self {
            Phase::Queued => Phase::Queued,
            Phase::Running { .. } => Phase::Running { outstanding },
            Phase::Aborted { .. } => Phase::Aborted { outstanding },
            Phase::Detached { .. } => Phase::Detached { outstanding },
        }
    }
}

/// Which half of a read-then-write command a task is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Half {
    Reading,
    Writing,
}

/// What a task of a multi-step kind keeps between its steps.
#[derive(Debug)]
enum Progress {
    /// A command of one step.
    Plain,
    /// COMPARE AND WRITE, ORWRITE: the read, then the write.
    ReadWrite(Half),
    /// GET LBA STATUS: the allocation the backstore reported.
    LbaStatus {
        extents: Option<Vec<crate::backstore::Extent>>,
    },
    /// EXTENDED COPY: chunk `at`, being read or written.
    Copy { at: usize, half: Half },
    /// SANITIZE: not aborted by task management once started; ends the
    /// sanitize state; its requests run in the background.
    Sanitize,
}

impl Progress {
    fn of(plan: &Plan) -> Progress {
        if let TaskKind::Sanitize { .. } = plan.kind {
            return Progress::Sanitize;
        }
        match plan.work {
            Work::CompareAndWrite { .. } | Work::OrWrite { .. } => {
                Progress::ReadWrite(Half::Reading)
            }
            Work::LbaStatus { .. } => Progress::LbaStatus { extents: None },
            Work::Copy(_) => Progress::Copy {
                at: 0,
                half: Half::Reading,
            },
            _ => Progress::Plain,
        }
    }
}

/// A virtual SCSI disk (SBC-4 direct access block device), sans-IO.
#[derive(Debug)]
pub struct Disk {
    pub(crate) lu: LuState,
    tasks: BTreeMap<u64, Task>,
    next_task: u64,
    next_io: u64,
    io_out: VecDeque<IoRequest>,
    io_owner: BTreeMap<IoId, (u64, IoDirection)>,
    done: VecDeque<Completion>,
    persist_out: VecDeque<PersistRequest>,
}

/// Persistent reservation state to store before a PERSISTENT RESERVE OUT
/// completes (APTPL, SPC-5 §5.14.5): the driver writes `state` to
/// non-volatile storage (and syncs it), then calls
/// [`Disk::handle_io_complete`] with `id` and `Ok(IoData::Done)`, or an
/// error, which fails the command with the sense of a failed write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersistRequest {
    pub id: IoId,
    pub state: PrState,
}

impl Disk {
    /// A disk with this configuration, in power-on state.
    pub fn new(cfg: DiskConfig) -> Result<Self, ConfigError> {
        cfg.validate()?;
        Ok(Disk {
            lu: LuState::new(cfg),
            tasks: BTreeMap::new(),
            next_task: 0,
            next_io: 0,
            io_out: VecDeque::new(),
            io_owner: BTreeMap::new(),
            done: VecDeque::new(),
            persist_out: VecDeque::new(),
        })
    }

    /// The persistent reservation state.
    pub fn reservations(&self) -> &PrState {
        self.lu.res.persistent()
    }

    /// Restores persistent reservations saved with APTPL (at start, before
    /// any command; SPC-5 §5.14.5). State without APTPL is not restored.
    pub fn restore_reservations(&mut self, state: PrState) {
        self.lu.res.restore(state);
    }

    /// The next reservation state to store (see [`PersistRequest`]).
    pub fn poll_persist(&mut self) -> Option<PersistRequest> {
        self.persist_out.pop_front()
    }

    /// The configuration.
    pub fn config(&self) -> &DiskConfig {
        &self.lu.cfg
    }

    /// The target port groups and their states.
    pub fn alua(&self) -> &crate::alua::Alua {
        &self.lu.alua
    }

    /// Replaces the target port groups (an implicit change, SPC-5,
    /// "Implicit asymmetric logical unit access"): when a group's state
    /// or PREF bit changes, every I_T nexus gets ASYMMETRIC ACCESS STATE
    /// CHANGED (2Ah/06h).
    pub fn set_alua(&mut self, alua: crate::alua::Alua) {
        if self.lu.alua.states_differ(&alua) {
            self.lu
                .ua
                .establish(None, crate::alua::ACCESS_STATE_CHANGED);
        }
        self.lu.alua = alua;
    }

    /// Tasks admitted and not yet completed.
    pub fn tasks_in_flight(&self) -> usize {
        self.tasks.len()
    }

    /// Accepts a command. Its completion comes out of
    /// [`Disk::poll_completion`], after any backstore work.
    pub fn submit(&mut self, cmd: Command) {
        let dup = self.tasks.values().any(|t| {
            t.tag == cmd.tag && t.nexus == cmd.nexus && !matches!(t.phase, Phase::Detached { .. })
        });
        let result = if dup {
            // SAM-5 §5.9.2: a task tag already in use on the nexus is an
            // overlapped command: ABORTED COMMAND, OVERLAPPED COMMANDS
            // ATTEMPTED. (The tasks already in flight are kept.)
            Err(Sense::new(
                SenseKey::ABORTED_COMMAND,
                AscAscq::OVERLAPPED_COMMANDS_ATTEMPTED,
            ))
        } else if cmd.attr == TaskAttribute::Aca {
            // SAM-5 §8.6 (ACA task attribute): this device never establishes
            // an ACA condition (NORMACA zero, NACA one is refused), so an ACA
            // task has none to serve: ILLEGAL REQUEST, INVALID MESSAGE ERROR.
            Err(Sense::new(
                SenseKey::ILLEGAL_REQUEST,
                AscAscq::INVALID_MESSAGE_ERROR,
            ))
        } else {
            self.lu.command(&cmd)
        };
        // SPC-5 §5.14.11.5: PREEMPT AND ABORT ends the tasks of the
        // preempted I_T nexuses (the command itself goes on).
        let preempted = self.lu.res.take_preempted();
        if !preempted.is_empty() {
            let me = cmd.nexus.clone();
            self.abort_where(|t| *t.nexus != *me && preempted.iter().any(|r| r.matches(&t.nexus)));
        }
        let plan = match result {
            Ok(plan) => plan,
            Err(sense) => {
                // RFC 7143 §11.4.5: the residual is valid whatever the
                // status; a refused write still reports the Data-Out its
                // CDB asked for against the expected length.
                let bs = self.lu.cfg.block_bytes();
                let out_wanted = rtgt_proto::scsi::cdb::Cdb::decode(&cmd.cdb)
                    .ok()
                    .and_then(|c| c.block_io())
                    .map_or(0, |io| io.data_out_blocks().saturating_mul(bs));
                let reply = self.reply(Err(sense), out_wanted, cmd.expected_len);
                self.done.push_back(Completion {
                    nexus: cmd.nexus,
                    tag: cmd.tag,
                    lun: cmd.lun,
                    reply: Some(reply),
                });
                return;
            }
        };
        let id = self.next_task;
        self.next_task += 1;
        let progress = Progress::of(&plan);
        self.tasks.insert(
            id,
            Task {
                nexus: cmd.nexus,
                tag: cmd.tag,
                lun: cmd.lun,
                expected_len: cmd.expected_len,
                attr: cmd.attr,
                plan,
                phase: Phase::Queued,
                error: None,
                read: None,
                progress,
            },
        );
        self.schedule();
    }

    /// The next backstore request to run.
    pub fn poll_io(&mut self) -> Option<IoRequest> {
        self.io_out.pop_front()
    }

    /// The next finished command.
    pub fn poll_completion(&mut self) -> Option<Completion> {
        self.done.pop_front()
    }

    /// A backstore request finished. Unknown ids (already completed) are
    /// ignored and give `false`.
    pub fn handle_io_complete(&mut self, id: IoId, result: Result<IoData, BackstoreError>) -> bool {
        let Some((tid, dir)) = self.io_owner.remove(&id) else {
            return false;
        };
        let Some(t) = self.tasks.get_mut(&tid) else {
            return false;
        };
        let outstanding = t.phase.outstanding().saturating_sub(1);
        t.phase = t.phase.with_outstanding(outstanding);
        match result {
            Err(e) => {
                if t.error.is_none() {
                    t.error = Some(backstore_sense(e, dir, t.plan.lba));
                }
            }
            Ok(IoData::Read(b)) => t.read = Some(b),
            Ok(IoData::Allocation(e)) => {
                if let Progress::LbaStatus { extents } = &mut t.progress {
                    *extents = Some(e);
                }
            }
            Ok(IoData::Done) => {}
        }
        if outstanding == 0 {
            self.step(tid);
            self.schedule();
        }
        true
    }
}

/// The reply to a command: GOOD with Data-In, or CHECK CONDITION with sense
/// in the format `d_sense` selects; Data-In cut to `expected`, residual
/// from the Data-Out the command takes (`out_wanted`) or else its Data-In.
pub(crate) fn make_reply(
    result: Result<Bytes, Sense>,
    out_wanted: u64,
    expected: u32,
    d_sense: bool,
) -> Reply {
    let (status, sense, data) = match result {
        Ok(d) => (Status::GOOD, Bytes::new(), d),
        // SPC-5 §4.4.1: D_SENSE of the Control mode page picks the format.
        Err(s) => (
            Status::CHECK_CONDITION,
            Bytes::from(s.encode_for(d_sense)),
            Bytes::new(),
        ),
    };
    let wanted = if out_wanted > 0 {
        out_wanted
    } else {
        data.len() as u64
    };
    // RFC 7143 §11.4.5.1: never more Data-In than the expected length; the
    // rest is reported as a residual overflow.
    let keep = data.len().min(expected as usize);
    Reply {
        status,
        sense,
        data_in: data.slice(..keep),
        residual: Residual::of(wanted, expected),
    }
}
