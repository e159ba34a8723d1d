//! Running the tasks of a [`Disk`]: which waiting task may start (the rules
//! of [`crate::device`]'s Ordering section), the backstore requests each
//! step issues, and the steps of each command's plan.

use super::{Disk, Half, PersistRequest, Phase, Progress};
use crate::backstore::{IoId, IoOp, IoRequest};
use crate::plan::{TaskKind, Work};
use crate::sense::IoDirection;
use crate::task::TaskAttribute;
use bytes::Bytes;

impl Disk {
    /// Starts every waiting task that no earlier task conflicts with.
    pub(super) fn schedule(&mut self) {
        let waiting: Vec<u64> = self
            .tasks
            .iter()
            .filter(|(_, t)| t.phase == Phase::Queued)
            .map(|(&id, _)| id)
            .collect();
        for id in waiting {
            let Some(t) = self.tasks.get(&id) else {
                continue;
            };
            let blocked = t.attr != TaskAttribute::HeadOfQueue
                && self.tasks.range(..id).any(|(_, e)| {
                    e.attr == TaskAttribute::Ordered
                        || t.attr == TaskAttribute::Ordered
                        || matches!((&e.plan.access, &t.plan.access), (Some(a), Some(b)) if a.conflicts(b))
                });
            if !blocked {
                self.start(id);
            }
        }
    }

    pub(super) fn issue(&mut self, tid: u64, op: IoOp, dir: IoDirection) {
        self.issue_on(tid, op, dir, None);
    }

    /// Issues `op` for task `tid`, on another LUN's backstore when `lun`.
    pub(super) fn issue_on(&mut self, tid: u64, op: IoOp, dir: IoDirection, lun: Option<u16>) {
        let id = IoId(self.next_io);
        self.next_io += 1;
        self.io_owner.insert(id, (tid, dir));
        let mut background = false;
        if let Some(t) = self.tasks.get_mut(&tid) {
            t.phase = t.phase.with_outstanding(t.phase.outstanding() + 1);
            background = matches!(t.progress, Progress::Sanitize);
        }
        self.io_out.push_back(IoRequest {
            id,
            op,
            background,
            lun,
        });
    }

    pub(super) fn start(&mut self, tid: u64) {
        let Some(t) = self.tasks.get_mut(&tid) else {
            return;
        };
        t.phase = Phase::Running { outstanding: 0 };
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
                    t.phase = t.phase.with_outstanding(t.phase.outstanding() + 1);
                }
            }
            Work::Writes(ops) if ops.is_empty() => self.finish(tid, Ok(Bytes::new())),
            Work::Writes(ops) => {
                for op in ops {
                    self.issue(tid, op, IoDirection::Write);
                }
                if let Some(t) = self
                    .tasks
                    .get(&tid)
                    .filter(|t| matches!(t.plan.kind, TaskKind::Sanitize { immediate: true }))
                {
                    let reply = self.reply(Ok(Bytes::new()), t.plan.out_wanted, t.expected_len);
                    self.detach(tid, Some(reply));
                }
            }
            Work::Copy(job) => self.copy_step(tid, &job, 0, None),
        }
    }

    /// EXTENDED COPY: reads chunk `at`, or with its bytes in `read`
    /// writes them; finishes after the last chunk.
    pub(super) fn copy_step(
        &mut self,
        tid: u64,
        job: &crate::xcopy::CopyJob,
        at: usize,
        read: Option<Bytes>,
    ) {
        let Some(chunk) = job.chunks.get(at).copied() else {
            if let Some(t) = self.tasks.get(&tid) {
                let nexus = t.nexus.clone();
                self.lu.copies.copy_done(&nexus, job, true);
            }
            self.finish(tid, Ok(Bytes::new()));
            return;
        };
        if let Some(t) = self.tasks.get_mut(&tid) {
            let half = if read.is_some() {
                Half::Writing
            } else {
                Half::Reading
            };
            t.progress = Progress::Copy { at, half };
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
    pub(super) fn step(&mut self, tid: u64) {
        let Some(t) = self.tasks.get_mut(&tid) else {
            return;
        };
        if matches!(t.phase, Phase::Aborted { .. }) {
            self.drop_aborted(tid);
            return;
        }
        // Test only: with `broken-torn`, a write that failed part way (a
        // prefix of its blocks may be on the medium) is reported done.
        let torn = cfg!(feature = "broken-torn")
            && rtgt_proto::mutant::on("broken-torn")
            && matches!(t.plan.work, Work::Writes(_));
        if let Some(sense) = t.error.take().filter(|_| !torn) {
            if let Work::Copy(job) = &t.plan.work {
                let (nexus, job) = (t.nexus.clone(), job.clone());
                self.lu.copies.copy_done(&nexus, &job, false);
            }
            self.finish(tid, Err(sense));
            return;
        }
        let read = t.read.take().unwrap_or_default();
        let (writing, copy_at) = match t.progress {
            Progress::ReadWrite(half) => (half == Half::Writing, 0),
            Progress::Copy { at, half } => (half == Half::Writing, at),
            _ => (false, 0),
        };
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
                // Test only: with `broken-caw`, a miscompare is ignored and
                // the write goes ahead.
                let ignore = cfg!(feature = "broken-caw") && rtgt_proto::mutant::on("broken-caw");
                // Test only: with `broken-caw-miscompare`, the write goes
                // ahead and MISCOMPARE is answered after it.
                let late = cfg!(feature = "broken-caw-miscompare")
                    && rtgt_proto::mutant::on("broken-caw-miscompare");
                let miscompare = crate::caw::compare(&verify, &read)
                    .err()
                    .filter(|_| !ignore);
                if writing {
                    self.finish(tid, Ok(Bytes::new()));
                } else if let Some(s) = miscompare.clone().filter(|_| !late) {
                    self.finish(tid, Err(s));
                } else {
                    if let Some(t) = self.tasks.get_mut(&tid) {
                        t.progress = Progress::ReadWrite(Half::Writing);
                        t.error = miscompare;
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
                    .and_then(|t| match &mut t.progress {
                        Progress::LbaStatus { extents } => extents.take(),
                        _ => None,
                    })
                    .unwrap_or_default();
                let data = self.lu.blocks().lba_status_data(lba, &ext, alloc);
                self.finish(tid, Ok(data));
            }
            Work::OrWrite { offset, data, fua } => {
                if writing {
                    self.finish(tid, Ok(Bytes::new()));
                } else {
                    if let Some(t) = self.tasks.get_mut(&tid) {
                        t.progress = Progress::ReadWrite(Half::Writing);
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
}
