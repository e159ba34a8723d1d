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

use crate::backstore::{BackstoreError, IoData, IoId, IoOp, IoRequest};
use crate::config::{ConfigError, DiskConfig};
use crate::dispatch::LuState;
use crate::plan::{Plan, Work};
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
    head: bool,
    ordered: bool,
    plan: Plan,
    started: bool,
    outstanding: usize,
    error: Option<Sense>,
    aborted: bool,
    read: Option<Bytes>,
    /// COMPARE AND WRITE, ORWRITE: the read is done and the write issued.
    writing: bool,
    /// GET LBA STATUS: the allocation the backstore reported.
    extents: Option<Vec<crate::backstore::Extent>>,
    /// EXTENDED COPY: the chunk being copied.
    copy_at: usize,
    /// SANITIZE: not aborted by task management; ends the sanitize state.
    sanitize: bool,
    /// A started SANITIZE whose command was aborted: the command is over
    /// (its `reply: None` completion is out) while the operation runs on.
    detached: bool,
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
        &self.lu.pr
    }

    /// Restores persistent reservations saved with APTPL (at start, before
    /// any command; SPC-5 §5.14.5). State without APTPL is not restored.
    pub fn restore_reservations(&mut self, state: PrState) {
        if state.aptpl {
            self.lu.pr = state;
        }
    }

    /// The next reservation state to store (see [`PersistRequest`]).
    pub fn poll_persist(&mut self) -> Option<PersistRequest> {
        self.persist_out.pop_front()
    }

    /// The configuration.
    pub fn config(&self) -> &DiskConfig {
        &self.lu.cfg
    }

    /// Tasks admitted and not yet completed.
    pub fn tasks_in_flight(&self) -> usize {
        self.tasks.len()
    }

    /// Accepts a command. Its completion comes out of
    /// [`Disk::poll_completion`], after any backstore work.
    pub fn submit(&mut self, cmd: Command) {
        let dup = self
            .tasks
            .values()
            .any(|t| t.tag == cmd.tag && t.nexus == cmd.nexus && !t.detached);
        let result = if dup {
            // SAM-5 §5.9.2: a task tag already in use on the nexus is an
            // overlapped command: ABORTED COMMAND, OVERLAPPED COMMANDS
            // ATTEMPTED. (The tasks already in flight are kept.)
            Err(Sense::new(
                SenseKey::ABORTED_COMMAND,
                AscAscq::OVERLAPPED_COMMANDS_ATTEMPTED,
            ))
        } else {
            self.lu.command(&cmd)
        };
        // SPC-5 §5.14.11.5: PREEMPT AND ABORT ends the tasks of the
        // preempted I_T nexuses (the command itself goes on).
        let preempted = std::mem::take(&mut self.lu.preempted);
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
        let sanitize = plan.sanitize;
        self.tasks.insert(
            id,
            Task {
                nexus: cmd.nexus,
                tag: cmd.tag,
                lun: cmd.lun,
                expected_len: cmd.expected_len,
                head: cmd.attr == TaskAttribute::HeadOfQueue,
                ordered: cmd.attr == TaskAttribute::Ordered,
                plan,
                started: false,
                outstanding: 0,
                error: None,
                aborted: false,
                read: None,
                writing: false,
                extents: None,
                copy_at: 0,
                sanitize,
                detached: false,
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
        t.outstanding = t.outstanding.saturating_sub(1);
        match result {
            Err(e) => {
                if t.error.is_none() {
                    t.error = Some(backstore_sense(e, dir, t.plan.lba));
                }
            }
            Ok(IoData::Read(b)) => t.read = Some(b),
            Ok(IoData::Allocation(e)) => t.extents = Some(e),
            Ok(IoData::Done) => {}
        }
        if t.outstanding == 0 {
            self.step(tid);
            self.schedule();
        }
        true
    }

    /// Starts every waiting task that no earlier task conflicts with.
    fn schedule(&mut self) {
        let waiting: Vec<u64> = self
            .tasks
            .iter()
            .filter(|(_, t)| !t.started)
            .map(|(&id, _)| id)
            .collect();
        for id in waiting {
            let Some(t) = self.tasks.get(&id) else {
                continue;
            };
            let blocked = !t.head
                && self.tasks.range(..id).any(|(_, e)| {
                    e.ordered
                        || t.ordered
                        || matches!((&e.plan.access, &t.plan.access), (Some(a), Some(b)) if a.conflicts(b))
                });
            if !blocked {
                self.start(id);
            }
        }
    }

    fn issue(&mut self, tid: u64, op: IoOp, dir: IoDirection) {
        self.issue_on(tid, op, dir, None);
    }

    /// Issues `op` for task `tid`, on another LUN's backstore when `lun`.
    fn issue_on(&mut self, tid: u64, op: IoOp, dir: IoDirection, lun: Option<u16>) {
        let id = IoId(self.next_io);
        self.next_io += 1;
        self.io_owner.insert(id, (tid, dir));
        let mut background = false;
        if let Some(t) = self.tasks.get_mut(&tid) {
            t.outstanding += 1;
            background = t.sanitize;
        }
        self.io_out.push_back(IoRequest {
            id,
            op,
            background,
            lun,
        });
    }

    fn start(&mut self, tid: u64) {
        let Some(t) = self.tasks.get_mut(&tid) else {
            return;
        };
        t.started = true;
        match t.plan.work.clone() {
            Work::Ready(data) => self.finish(tid, Ok(data)),
            Work::Read { offset, len } | Work::Verify { offset, len, .. } => {
                self.issue(tid, IoOp::Read { offset, len }, IoDirection::Read)
            }
            Work::CompareAndWrite { offset, verify, .. } => {
                let len = verify.len() as u64;
                self.issue(tid, IoOp::Read { offset, len }, IoDirection::Read)
            }
            Work::Status(st) => self.finish_status(tid, st),
            Work::LbaStatus { offset, len, .. } => {
                self.issue(tid, IoOp::Allocation { offset, len }, IoDirection::Read)
            }
            Work::OrWrite {
                offset, ref data, ..
            } => {
                let len = data.len() as u64;
                self.issue(tid, IoOp::Read { offset, len }, IoDirection::Read)
            }
            Work::Persist(state) => {
                let id = IoId(self.next_io);
                self.next_io += 1;
                self.io_owner.insert(id, (tid, IoDirection::Write));
                self.persist_out
                    .push_back(PersistRequest { id, state: *state });
                if let Some(t) = self.tasks.get_mut(&tid) {
                    t.outstanding += 1;
                }
            }
            Work::Writes(ops) if ops.is_empty() => self.finish(tid, Ok(Bytes::new())),
            Work::Writes(ops) => {
                for op in ops {
                    self.issue(tid, op, IoDirection::Write);
                }
                if let Some(t) = self.tasks.get(&tid).filter(|t| t.plan.immediate) {
                    let reply = self.reply(Ok(Bytes::new()), t.plan.out_wanted, t.expected_len);
                    self.detach(tid, Some(reply));
                }
            }
            Work::Copy(job) => self.copy_step(tid, &job, 0, None),
        }
    }

    /// EXTENDED COPY: reads chunk `at`, or with its bytes in `read`
    /// writes them; finishes after the last chunk.
    fn copy_step(&mut self, tid: u64, job: &crate::xcopy::CopyJob, at: usize, read: Option<Bytes>) {
        let Some(chunk) = job.chunks.get(at).copied() else {
            if let Some(t) = self.tasks.get(&tid) {
                let nexus = t.nexus.clone();
                self.lu.copy_done(&nexus, job, true);
            }
            self.finish(tid, Ok(Bytes::new()));
            return;
        };
        if let Some(t) = self.tasks.get_mut(&tid) {
            t.copy_at = at;
            t.writing = read.is_some();
        }
        match read {
            None => {
                let op = IoOp::Read {
                    offset: chunk.src,
                    len: chunk.len,
                };
                self.issue_on(tid, op, IoDirection::Read, chunk.src_lun);
            }
            Some(data) => {
                // The other LU's write cache is not known here: its writes
                // are made stable at once.
                let fua = chunk.dst_lun.is_some() || !self.lu.mode.wce();
                let op = IoOp::Write {
                    offset: chunk.dst,
                    data,
                    fua,
                };
                self.issue_on(tid, op, IoDirection::Write, chunk.dst_lun);
            }
        }
    }

    /// All requests of a task returned: go on or finish.
    fn step(&mut self, tid: u64) {
        let Some(t) = self.tasks.get_mut(&tid) else {
            return;
        };
        if t.aborted {
            self.drop_aborted(tid);
            return;
        }
        if let Some(sense) = t.error.take() {
            if let Work::Copy(job) = &t.plan.work {
                let (nexus, job) = (t.nexus.clone(), job.clone());
                self.lu.copy_done(&nexus, &job, false);
            }
            self.finish(tid, Err(sense));
            return;
        }
        let read = t.read.take().unwrap_or_default();
        let writing = t.writing;
        let copy_at = t.copy_at;
        match t.plan.work.clone() {
            Work::Ready(d) => self.finish(tid, Ok(d)),
            Work::Read { .. } => self.finish(tid, Ok(read)),
            Work::Writes(_) | Work::Persist(_) => self.finish(tid, Ok(Bytes::new())),
            Work::Verify { expect, .. } => {
                let r = match expect {
                    Some(e) => crate::caw::compare(&e, &read).map(|()| Bytes::new()),
                    None => Ok(Bytes::new()),
                };
                self.finish(tid, r);
            }
            Work::CompareAndWrite {
                offset,
                verify,
                write,
                fua,
            } => {
                if writing {
                    self.finish(tid, Ok(Bytes::new()));
                } else if let Err(s) = crate::caw::compare(&verify, &read) {
                    self.finish(tid, Err(s));
                } else {
                    if let Some(t) = self.tasks.get_mut(&tid) {
                        t.writing = true;
                    }
                    let fua = fua || !self.lu.mode.wce();
                    let op = IoOp::Write {
                        offset,
                        data: write,
                        fua,
                    };
                    self.issue(tid, op, IoDirection::Write);
                }
            }
            Work::Status(st) => self.finish_status(tid, st),
            Work::Copy(job) if writing => self.copy_step(tid, &job, copy_at + 1, None),
            Work::Copy(job) => self.copy_step(tid, &job, copy_at, Some(read)),
            Work::LbaStatus { lba, alloc, .. } => {
                let ext = self
                    .tasks
                    .get_mut(&tid)
                    .and_then(|t| t.extents.take())
                    .unwrap_or_default();
                let data = self.lu.lba_status_data(lba, &ext, alloc);
                self.finish(tid, Ok(data));
            }
            Work::OrWrite { offset, data, fua } => {
                if writing {
                    self.finish(tid, Ok(Bytes::new()));
                } else {
                    if let Some(t) = self.tasks.get_mut(&tid) {
                        t.writing = true;
                    }
                    // SBC-4 §5.11: the medium's bytes ORed with the Data-Out.
                    let merged: Vec<u8> = data
                        .iter()
                        .zip(read.iter().chain(std::iter::repeat(&0)))
                        .map(|(a, b)| a | b)
                        .collect();
                    let fua = fua || !self.lu.mode.wce();
                    let op = IoOp::Write {
                        offset,
                        data: Bytes::from(merged),
                        fua,
                    };
                    self.issue(tid, op, IoDirection::Write);
                }
            }
        }
    }

    fn reply(&self, result: Result<Bytes, Sense>, out_wanted: u64, expected: u32) -> Reply {
        make_reply(result, out_wanted, expected, self.lu.mode.d_sense())
    }

    fn finish(&mut self, tid: u64, result: Result<Bytes, Sense>) {
        let Some(t) = self.tasks.remove(&tid) else {
            return;
        };
        if t.sanitize {
            self.lu.sanitizing = false;
        }
        if t.detached {
            return;
        }
        let reply = self.reply(result, t.plan.out_wanted, t.expected_len);
        self.done.push_back(Completion {
            nexus: t.nexus,
            tag: t.tag,
            lun: t.lun,
            reply: Some(reply),
        });
    }

    /// Completes a task with `status`, no sense, no data.
    fn finish_status(&mut self, tid: u64, status: Status) {
        let Some(t) = self.tasks.remove(&tid) else {
            return;
        };
        self.done.push_back(Completion {
            nexus: t.nexus,
            tag: t.tag,
            lun: t.lun,
            reply: Some(Reply {
                status,
                sense: Bytes::new(),
                data_in: Bytes::new(),
                residual: Residual::of(0, t.expected_len),
            }),
        });
    }

    fn drop_aborted(&mut self, tid: u64) {
        if let Some(t) = self.tasks.remove(&tid) {
            if t.sanitize {
                self.lu.sanitizing = false;
            }
            self.done.push_back(Completion {
                nexus: t.nexus,
                tag: t.tag,
                lun: t.lun,
                reply: None,
            });
        }
    }

    /// Aborts the tasks `pick` selects; gives how many.
    ///
    /// SBC-4 §4.11.2: a sanitize operation goes on through task management
    /// and nexus loss. Its command, once started, is aborted like any other
    /// (completed with no reply, so that the function's response does not
    /// wait for the whole medium) while the operation runs on, detached,
    /// and the LU stays in the sanitize state until it ends.
    fn abort_where(&mut self, pick: impl Fn(&Task) -> bool) -> usize {
        let ids: Vec<u64> = self
            .tasks
            .iter()
            .filter(|(_, t)| !t.aborted && !t.detached && pick(t))
            .map(|(&id, _)| id)
            .collect();
        for &id in &ids {
            let Some(t) = self.tasks.get_mut(&id) else {
                continue;
            };
            if t.sanitize && t.started {
                self.detach(id, None);
                continue;
            }
            t.aborted = true;
            if t.outstanding == 0 {
                self.drop_aborted(id);
            }
        }
        self.schedule();
        ids.len()
    }

    /// Ends the command of a started task whose work runs on: `reply` goes
    /// out now (`None` for an aborted command), and nothing when the work
    /// ends.
    fn detach(&mut self, tid: u64, reply: Option<Reply>) {
        let Some(t) = self.tasks.get_mut(&tid) else {
            return;
        };
        t.detached = true;
        let done = Completion {
            nexus: t.nexus.clone(),
            tag: t.tag,
            lun: t.lun,
            reply,
        };
        self.done.push_back(done);
    }

    /// ABORT TASK (SAM-5 §7.2): aborts the task `tag` of `nexus`; `false`
    /// when there is none.
    pub fn abort_task(&mut self, nexus: &Nexus, tag: u64) -> bool {
        self.abort_where(|t| *t.nexus == *nexus && t.tag == tag) > 0
    }

    /// ABORT TASK SET (SAM-5 §7.3): aborts every task of `nexus`.
    pub fn abort_task_set(&mut self, nexus: &Nexus) -> usize {
        self.abort_where(|t| *t.nexus == *nexus)
    }

    /// CLEAR TASK SET (SAM-5 §7.5): aborts every task; the other nexuses
    /// that had tasks get COMMANDS CLEARED BY ANOTHER INITIATOR (2Fh/00h).
    pub fn clear_task_set(&mut self, nexus: &Nexus) -> usize {
        let others: Vec<Arc<Nexus>> = self
            .tasks
            .values()
            .filter(|t| *t.nexus != *nexus)
            .map(|t| t.nexus.clone())
            .collect();
        for n in others {
            // SAM-5 §7.5: a unit attention for the nexuses whose tasks
            // were cleared.
            self.lu
                .ua
                .establish_for(&n, AscAscq::COMMANDS_CLEARED_BY_ANOTHER_INITIATOR);
        }
        self.abort_where(|_| true)
    }

    /// LOGICAL UNIT RESET (SAM-5 §7.7): aborts every task, returns the mode
    /// pages to their defaults, and establishes BUS DEVICE RESET FUNCTION
    /// OCCURRED (29h/03h) for every nexus, the one that asked included
    /// (SAM-5 §6.3.3: "every I_T nexus").
    pub fn lun_reset(&mut self, nexus: &Nexus) -> usize {
        let n = self.abort_where(|_| true);
        self.lu.reset();
        self.lu.ua.touch(nexus);
        self.lu
            .ua
            .establish(None, AscAscq::BUS_DEVICE_RESET_FUNCTION_OCCURRED);
        n
    }

    /// The nexus is gone (session closed, I_T NEXUS RESET, SAM-5 §6.3.4):
    /// aborts its tasks and establishes I_T NEXUS LOSS OCCURRED (29h/07h)
    /// for it, reported if the nexus comes back.
    pub fn nexus_loss(&mut self, nexus: &Nexus) -> usize {
        let n = self.abort_task_set(nexus);
        // SPC-2 §5.5.1: an I_T nexus loss releases its RESERVE reservation.
        if self.lu.spc2.as_ref() == Some(nexus) {
            self.lu.spc2 = None;
        }
        // SBC-4 §5.13: the loss of an I_T nexus ends its prevention of
        // medium removal.
        self.lu.medium.prevent.remove(nexus);
        self.lu
            .ua
            .establish_for(nexus, AscAscq::I_T_NEXUS_LOSS_OCCURRED);
        n
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
