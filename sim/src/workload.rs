//! The initiator hosts: a real `Initiator` core each, driven by a workload
//! of reads, writes, FUA writes, cache flushes, COMPARE AND WRITE, UNMAP and
//! task management, with the recovery a real initiator does (command
//! timeout, ABORT TASK, LOGICAL UNIT RESET, reconnect and session
//! reinstatement with the same ISID, retry).

mod ops;
mod session;

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rtgt_initiator::{Initiator, TaskHandle, TaskOutcome};
use rtgt_proto::pdu::{Isid, IsidType, Lun, ScsiStatus, TmfFunction, TmfResponseCode};
use rtgt_proto::scsi::asc::SenseKey;
use rtgt_proto::scsi::params::ReadReservation;

use crate::oracle::{block_pattern, ReadBack, NEVER};
use crate::reservation::{Access, PrAction};
use crate::world::{Ev, World};

/// How long a command may take before the initiator aborts it.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a task management request may take before the session is
/// dropped and reinstated.
pub const TMF_TIMEOUT: Duration = Duration::from_secs(20);

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Read,
    Write {
        fua: bool,
    },
    Sync,
    CompareAndWrite {
        expect: u64,
    },
    Unmap,
    /// PERSISTENT RESERVE OUT on LUN 0.
    PrOut(PrAction),
    /// PERSISTENT RESERVE IN, READ RESERVATION, on LUN 0.
    PrIn,
}

/// One operation of the workload.
#[derive(Debug, Clone)]
pub struct OpSpec {
    pub kind: OpKind,
    pub lun: u16,
    pub lba: u64,
    pub blocks: u64,
    pub token: u64,
    pub tries: u32,
}

/// An operation in flight.
#[derive(Debug, Clone)]
pub(crate) struct Op {
    spec: OpSpec,
    rec: Option<usize>,
    submit: u64,
    sent_at: Duration,
    abort_at: Option<Duration>,
    /// The reservation model's epoch at submission (see
    /// [`crate::reservation::PrModel::stable`]).
    pr_epoch: Option<u64>,
}

/// One initiator host.
#[derive(Debug)]
pub struct IniHost {
    pub idx: usize,
    pub core: Option<Initiator>,
    pub link: Option<u64>,
    /// The host is running (not crashed).
    pub up: bool,
    logged_in: bool,
    logging_out: bool,
    done: bool,
    issued: u32,
    budget: u32,
    ops: BTreeMap<u32, Op>,
    /// Task management requests: (function, lun, sent at).
    tmfs: BTreeMap<u32, (TmfFunction, u16, Duration)>,
    retry: VecDeque<OpSpec>,
    next_token: u64,
    /// The last token this host knows it put at a block.
    known: BTreeMap<(u16, u64), u64>,
    reconnect_pending: bool,
    /// Operations picked so far (their numbers, for shrinking).
    pub(crate) picked: u64,
    /// New operations start no earlier than this (the workload is spread
    /// over the faulty period).
    next_issue: Duration,
    /// This login's injected wrong secrets: (ours, the target's).
    pub(crate) login_wrong: (bool, bool),
    /// When the pending once-a-second tick is due.
    tick_due: Duration,
}

impl IniHost {
    pub fn new(idx: usize, budget: u32) -> Self {
        IniHost {
            idx,
            core: None,
            link: None,
            up: true,
            logged_in: false,
            logging_out: false,
            done: false,
            issued: 0,
            budget,
            ops: BTreeMap::new(),
            tmfs: BTreeMap::new(),
            retry: VecDeque::new(),
            next_token: 1,
            known: BTreeMap::new(),
            reconnect_pending: false,
            picked: 0,
            next_issue: Duration::ZERO,
            login_wrong: (false, false),
            tick_due: Duration::ZERO,
        }
    }

    pub fn finished(&self) -> bool {
        self.done
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.core.as_ref().and_then(|c| c.poll_timeout())
    }

    /// The oldest outstanding task and since when it counts (not before
    /// `floor`).
    pub fn oldest(&self, floor: Duration) -> Option<(u32, Duration)> {
        self.ops
            .iter()
            .map(|(&h, o)| (h, o.sent_at.max(floor)))
            .min_by_key(|&(_, t)| t)
    }

    pub fn summary(&self) -> String {
        format!(
            "ini{}: up {} logged in {} issued {}/{} outstanding {} retry {} done {}",
            self.idx,
            self.up,
            self.logged_in,
            self.issued,
            self.budget,
            self.ops.len(),
            self.retry.len(),
            self.done
        )
    }

    fn name(&self) -> String {
        format!("iqn.2024-01.org.rtgt.sim:host{}", self.idx)
    }

    fn isid(&self) -> Isid {
        Isid {
            t: IsidType::Random,
            a: 0,
            b: 0x5100,
            c: 0,
            d: self.idx as u16 + 1,
        }
    }
}

fn lun(n: u16) -> Lun {
    Lun::single_level(n)
}

fn pattern(token: u64, lba: u64, blocks: u64) -> Bytes {
    let mut b = BytesMut::with_capacity(blocks as usize * 512);
    for k in 0..blocks {
        b.extend_from_slice(&block_pattern(token, lba + k));
    }
    b.freeze()
}

impl World {
    fn task_done(&mut self, i: usize, task: TaskHandle, outcome: TaskOutcome) {
        let t = self.tick();
        let Some(op) = self.inis[i].ops.remove(&task.0) else {
            self.fail(format!(
                "ini{i}: task {:#x} ended ({}) but was not outstanding: answered twice or never sent",
                task.0,
                outcome_name(&outcome)
            ));
            return;
        };
        self.stats.completed += 1;
        self.judge_access(i, task.0, &op, &outcome, t);
        let s = &op.spec;
        let mut retry = false;
        match &outcome {
            TaskOutcome::Completed(r) if r.status == ScsiStatus::Good => match s.kind {
                OpKind::Read if r.data.len() as u64 != s.blocks * 512 => {
                    self.fail(format!(
                        "ini{i}: READ of {} blocks returned {} bytes with GOOD",
                        s.blocks,
                        r.data.len()
                    ));
                }
                OpKind::Read => {
                    let back = ReadBack {
                        lun: s.lun,
                        lba: s.lba,
                        data: &r.data,
                        submit: op.submit,
                        end: t,
                    };
                    if let Err(m) = self.lin.check_read(&self.oracle, &back) {
                        self.fail(format!("ini{i}: {m}"));
                    } else if let Err(m) = self.oracle.check_read(&back) {
                        self.fail(format!("ini{i}: read validity: {m}"));
                    } else if let Some(b) = r.data.get(..8) {
                        self.lin.observe(&self.oracle, &back);
                        let tok = u64::from_be_bytes(b.try_into().unwrap_or([0; 8]));
                        self.inis[i].known.insert((s.lun, s.lba), tok);
                    }
                }
                OpKind::Write { .. } | OpKind::Unmap => {
                    if let Some(rec) = op.rec {
                        self.oracle.write_good(rec, t);
                    }
                    let tok = if s.kind == OpKind::Unmap {
                        self.oracle.unmap_token(s.lun)
                    } else {
                        s.token
                    };
                    self.inis[i].known.insert((s.lun, s.lba), tok);
                }
                OpKind::CompareAndWrite { expect } => {
                    let data = pattern(expect, s.lba, 1);
                    let back = ReadBack {
                        lun: s.lun,
                        lba: s.lba,
                        data: &data,
                        submit: op.submit,
                        end: t,
                    };
                    if let Err(m) = self.oracle.check_read(&back) {
                        self.fail(format!(
                            "ini{i}: COMPARE AND WRITE matched a value that could not be there: {m}"
                        ));
                    } else if let Err(m) = self.lin.check_read(&self.oracle, &back) {
                        self.fail(format!("ini{i}: COMPARE AND WRITE matched: {m}"));
                    }
                    self.lin.observe(&self.oracle, &back);
                    if let Err(m) =
                        self.lin
                            .caw_good(&self.oracle, s.lun, s.lba, s.token, expect, op.submit, t)
                    {
                        self.fail(format!("ini{i}: {m}"));
                    }
                    if let Some(rec) = op.rec {
                        self.oracle.write_good(rec, t);
                    }
                    self.inis[i].known.insert((s.lun, s.lba), s.token);
                }
                OpKind::Sync => self.oracle.flushed(s.lun, op.submit, t),
                OpKind::PrOut(_) => {}
                OpKind::PrIn => {
                    let holder = ReadReservation::decode(&r.data)
                        .ok()
                        .map(|d| d.value.reservation.map(|x| x.key));
                    if let (Some(h), Some(at)) = (holder, op.pr_epoch) {
                        self.pr.learned(at, h);
                    }
                }
            },
            TaskOutcome::Completed(r) if r.status == ScsiStatus::ReservationConflict => {
                // SPC-5 §5.14.3: a command refused for a reservation
                // conflict is not performed: its data never lands.
                self.stats.failed_commands += 1;
                if let Some(rec) = op.rec {
                    self.oracle.void(rec, t);
                }
            }
            TaskOutcome::Completed(r)
                if matches!(s.kind, OpKind::CompareAndWrite { .. })
                    && r.sense
                        .as_ref()
                        .is_some_and(|x| x.key == SenseKey::MISCOMPARE) =>
            {
                // SBC-4 §5.3: on a miscompare the write is not performed.
                self.stats.failed_commands += 1;
                if let Some(rec) = op.rec {
                    self.oracle.void(rec, t);
                }
                if let OpKind::CompareAndWrite { expect } = s.kind {
                    if let Err(m) =
                        self.lin
                            .check_miscompare(&self.oracle, s.lun, s.lba, expect, op.submit, t)
                    {
                        self.fail(format!("ini{i}: {m}"));
                    }
                }
            }
            other => {
                self.stats.failed_commands += 1;
                if let Some(rec) = op.rec {
                    let end = if matches!(other, TaskOutcome::SessionClosed) {
                        NEVER
                    } else {
                        t
                    };
                    self.oracle.write_maybe(rec, end);
                }
                retry = match other {
                    TaskOutcome::Completed(r) => {
                        r.sense
                            .as_ref()
                            .is_some_and(|s| s.key == SenseKey::UNIT_ATTENTION)
                            || r.status == ScsiStatus::Busy
                            || r.status == ScsiStatus::TaskSetFull
                    }
                    TaskOutcome::SessionClosed | TaskOutcome::DataDigestError => true,
                    _ => false,
                };
            }
        }
        if retry && op.spec.tries < 5 {
            let mut spec = op.spec.clone();
            spec.tries += 1;
            self.inis[i].retry.push_back(spec);
        }
        let at = self.now + Duration::from_micros(self.work_rng.below(500));
        self.at(at, Ev::Tick(i));
    }

    fn tmf_done(
        &mut self,
        i: usize,
        task: TaskHandle,
        function: TmfFunction,
        response: TmfResponseCode,
    ) {
        let Some((_, lun_n, _)) = self.inis[i].tmfs.remove(&task.0) else {
            return;
        };
        let t = self.tick();
        self.ua
            .function_done(i, task.0, response == TmfResponseCode::FunctionComplete, t);
        let still = self.inis[i].ops.values().any(|o| o.abort_at.is_some());
        if response != TmfResponseCode::FunctionComplete && still {
            // Escalate: ABORT TASK failed, reset the LUN; a reset failed,
            // drop the session.
            if function == TmfFunction::AbortTask {
                self.send_tmf(i, TmfFunction::LogicalUnitReset, lun_n, None);
            } else if let Some(c) = self.inis[i].core.as_mut() {
                c.close_local();
            }
        }
    }
}

impl World {
    /// The reservation model and the unit attention ledger judge a task
    /// that ended (`task` of initiator `i`, at tick `t`).
    fn judge_access(&mut self, i: usize, task: u32, op: &Op, outcome: &TaskOutcome, t: u64) {
        let s = &op.spec;
        let answered = matches!(outcome, TaskOutcome::Completed(_));
        let (status, ua) = match outcome {
            TaskOutcome::Completed(r) => (
                Some(r.status),
                r.sense
                    .as_ref()
                    .filter(|x| x.key == SenseKey::UNIT_ATTENTION)
                    .map(|x| x.asc),
            ),
            _ => (None, None),
        };
        let good = status == Some(ScsiStatus::Good);
        let conflict = status == Some(ScsiStatus::ReservationConflict);
        if let OpKind::PrOut(action) = s.kind {
            let done = answered.then_some(good);
            if let Err(m) = self.pr.out_done(i, task, action, done) {
                self.fail(format!("ini{i}: {m}"));
            }
            if matches!(action, PrAction::Preempt { .. }) {
                self.ua.function_done(i, task, good, t);
            }
        }
        if let Err(m) = self
            .ua
            .task_done(i, s.lun, op.submit, ua, good || conflict, answered)
        {
            self.fail(m);
        }
        if s.lun != 0 || !answered {
            return;
        }
        match s.kind {
            // SPC-5 §5.14.3: a Write Exclusive reservation lets every I_T
            // nexus read.
            OpKind::Read if conflict => self.fail(format!(
                "ini{i}: reservation: READ answered RESERVATION CONFLICT under a Write Exclusive reservation (SPC-5 §5.14.3)"
            )),
            OpKind::Write { .. } | OpKind::CompareAndWrite { .. } | OpKind::Sync => {
                let got = if good {
                    Access::Good
                } else if conflict {
                    Access::Conflict
                } else {
                    return;
                };
                if let Err(m) = self.pr.check_write(i, op.pr_epoch, got) {
                    self.fail(format!("ini{i}: {m}"));
                }
            }
            _ => {}
        }
    }

    /// Initiator `i` lost a task with its process (a crash).
    pub(super) fn task_lost(&mut self, i: usize, task: u32, op: &Op) {
        if let Some(r) = op.rec {
            self.oracle.write_maybe(r, NEVER);
        }
        let t = self.tick();
        self.judge_access(i, task, op, &TaskOutcome::SessionClosed, t);
    }
}

fn outcome_name(o: &TaskOutcome) -> String {
    match o {
        TaskOutcome::Completed(r) => match &r.sense {
            Some(s) => format!("{:?} {:?} {:?}", r.status, s.key, s.asc),
            None => format!("{:?}", r.status),
        },
        other => format!("{other:?}"),
    }
}
