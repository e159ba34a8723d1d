//! The workload's operation generators: each tick picks the next operation
//! of the seed's mix (reads, writes, FUA writes, cache flushes, COMPARE AND
//! WRITE, UNMAP, task management), builds its command and submits it.

use super::{lun, pattern, Op, OpKind, OpSpec, COMMAND_TIMEOUT, TMF_TIMEOUT};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rtgt_initiator::{ScsiRequest, TaskHandle};
use rtgt_proto::pdu::{LogoutReason, TmfFunction};
use rtgt_proto::scsi::cdb::{
    CompareAndWrite, Read10, SynchronizeCache10, Unmap, Write10, WriteSame16,
};
use rtgt_proto::scsi::params::{UnmapDescriptor, UnmapList};

use crate::shrink::Item;
use crate::trace::HostId;

/// The operations of the mix, in its order (for the event log).
const OP_NAMES: [&str; 8] = [
    "read",
    "write",
    "write-fua",
    "sync",
    "compare-and-write",
    "unmap",
    "abort-task",
    "lun-reset",
];
use crate::world::{Ev, World};

/// The blocks COMPARE AND WRITE picks from.
const CAW_BLOCKS: u64 = 4;

impl World {
    pub(crate) fn work_tick(&mut self, i: usize) {
        if !self.inis[i].logged_in || self.inis[i].done {
            if self.inis[i].up && !self.inis[i].done {
                self.at(self.now + Duration::from_secs(1), Ev::Tick(i));
            }
            return;
        }
        let now = self.instant();
        let sim_now = self.now;
        // Command timeouts: abort, then drop the session.
        let mut abort = None;
        let mut drop_session = false;
        for (&h, op) in self.inis[i].ops.iter() {
            match op.abort_at {
                None if sim_now >= op.sent_at + COMMAND_TIMEOUT => {
                    abort = Some((h, op.spec.lun));
                    break;
                }
                Some(a) if sim_now >= a + TMF_TIMEOUT * 2 => drop_session = true,
                _ => {}
            }
        }
        if self.inis[i]
            .tmfs
            .values()
            .any(|&(_, _, at)| sim_now >= at + TMF_TIMEOUT)
        {
            drop_session = true;
        }
        if drop_session {
            self.trace.record(
                self.now,
                HostId::Initiator(i),
                "drop-session",
                &[],
                String::new,
            );
            if let Some(c) = self.inis[i].core.as_mut() {
                c.close_local();
            }
            return;
        }
        if let Some((h, l)) = abort {
            if let Some(op) = self.inis[i].ops.get_mut(&h) {
                op.abort_at = Some(sim_now);
            }
            self.send_tmf(i, TmfFunction::AbortTask, l, Some(TaskHandle(h)));
        }
        let qd = self.p.queue_depth as usize;
        while self.inis[i].logged_in && !self.inis[i].logging_out && self.inis[i].ops.len() < qd {
            let spec = match self.inis[i].retry.pop_front() {
                Some(s) => s,
                None if self.inis[i].issued < self.inis[i].budget
                    && self.now >= self.inis[i].next_issue =>
                {
                    self.inis[i].issued += 1;
                    let pace =
                        self.p.heal_at.as_micros() as u64 / u64::from(self.inis[i].budget.max(1));
                    let gap = Duration::from_micros(self.work_rng.below(2 * pace + 1));
                    self.inis[i].next_issue = self.now + gap;
                    self.at(self.now + gap, Ev::Tick(i));
                    match self.pick_op(i) {
                        Some(s) => s,
                        None => continue,
                    }
                }
                None => break,
            };
            self.submit(i, spec, now);
        }
        let h = &self.inis[i];
        if h.logged_in
            && !h.logging_out
            && h.ops.is_empty()
            && h.retry.is_empty()
            && h.issued >= h.budget
        {
            if let Some(c) = self.inis[i].core.as_mut() {
                if c.logout(now, LogoutReason::CloseSession).is_ok() {
                    self.inis[i].logging_out = true;
                }
            }
        }
        self.at(self.now + Duration::from_secs(1), Ev::Tick(i));
    }

    pub(super) fn send_tmf(
        &mut self,
        i: usize,
        f: TmfFunction,
        lun_n: u16,
        task: Option<TaskHandle>,
    ) {
        let now = self.instant();
        if let Some(c) = self.inis[i].core.as_mut() {
            if let Ok(h) = c.task_management(now, f, lun(lun_n), task) {
                self.inis[i].tmfs.insert(h.0, (f, lun_n, self.now));
            }
        }
    }

    /// Picks the next operation from the mix; task management is issued
    /// here directly and gives `None`.
    pub(super) fn pick_op(&mut self, i: usize) -> Option<OpSpec> {
        let m = self.p.mix.clone();
        let r = &mut self.work_rng;
        let weights = [
            m.read,
            m.write,
            m.write_fua,
            m.sync,
            m.compare_and_write,
            m.unmap,
            m.abort_task,
            m.lun_reset,
        ];
        let total: u32 = weights.iter().sum();
        let mut x = r.below(u64::from(total)) as u32;
        let mut which = 0;
        for (k, w) in weights.iter().enumerate() {
            if x < *w {
                which = k;
                break;
            }
            x -= w;
        }
        let lun_n = r.below(2) as u16;
        let blocks = r.range(1, self.p.max_op_blocks.min(self.p.lun_blocks));
        let lba = r.below(self.p.lun_blocks - blocks + 1);
        // COMPARE AND WRITE contends for a few lock blocks at the start of
        // the LUN, as initiators using it as a lock do (VMFS's ATS), so
        // that it meets other writes and compares of its block.
        let lba = if which == 4 { lba % CAW_BLOCKS } else { lba };
        // Each operation is an event shrinking may remove.
        self.inis[i].picked += 1;
        let n = self.inis[i].picked;
        let name = OP_NAMES.get(which).copied().unwrap_or("?");
        let at = self.now;
        let keep = self.keeps(Item::Op(i, n), || match which {
            // UNMAP goes to the thin LUN, COMPARE AND WRITE to one block.
            4 => format!("{at:?}: ini{i} {name} lun {lun_n} lba {lba} x1"),
            5 => format!("{at:?}: ini{i} {name} lun 1 lba {lba} x{blocks}"),
            6 => format!("{at:?}: ini{i} {name}"),
            7 => format!("{at:?}: ini{i} {name} lun {lun_n}"),
            _ => format!("{at:?}: ini{i} {name} lun {lun_n} lba {lba} x{blocks}"),
        });
        let h = &mut self.inis[i];
        let token = ((i as u64 + 1) << 40) | h.next_token;
        h.next_token += 1;
        let kind = match which {
            0 => OpKind::Read,
            1 => OpKind::Write { fua: false },
            2 => OpKind::Write { fua: true },
            3 => OpKind::Sync,
            4 => OpKind::CompareAndWrite {
                expect: h.known.get(&(lun_n, lba)).copied().unwrap_or(0),
            },
            5 => OpKind::Unmap,
            6 => {
                let pick = self.work_rng.index(h.ops.len().max(1));
                let target = h.ops.keys().copied().nth(pick).filter(|_| keep);
                if let Some(t) = target {
                    let l = h.ops.get(&t).map_or(0, |o| o.spec.lun);
                    self.send_tmf(i, TmfFunction::AbortTask, l, Some(TaskHandle(t)));
                }
                return None;
            }
            _ => {
                if keep {
                    self.send_tmf(i, TmfFunction::LogicalUnitReset, lun_n, None);
                }
                return None;
            }
        };
        if !keep {
            return None;
        }
        let (lun_n, blocks) = match kind {
            OpKind::Unmap => (1, blocks),
            OpKind::CompareAndWrite { .. } => (lun_n, 1),
            _ => (lun_n, blocks),
        };
        let spec = OpSpec {
            kind,
            lun: lun_n,
            lba,
            blocks,
            token,
            tries: 0,
        };
        if let OpKind::CompareAndWrite { .. } = kind {
            // A second task of this initiator contends for the same lock
            // block with the same expectation: at most one of the two may
            // match (SBC-4 §5.3).
            let h = &mut self.inis[i];
            let twin = ((i as u64 + 1) << 40) | h.next_token;
            h.next_token += 1;
            h.retry.push_back(OpSpec {
                token: twin,
                ..spec.clone()
            });
        }
        Some(spec)
    }

    pub(super) fn submit(&mut self, i: usize, spec: OpSpec, now: Instant) {
        let l = lun(spec.lun);
        let (lba, n) = (spec.lba, spec.blocks);
        let req = match spec.kind {
            OpKind::Read => {
                let cdb = Read10 {
                    lba: lba as u32,
                    transfer_length: n as u16,
                    ..Read10::default()
                };
                ScsiRequest::read(l, &cdb.encode(), (n * 512) as u32)
            }
            OpKind::Write { fua } => {
                let cdb = Write10 {
                    lba: lba as u32,
                    transfer_length: n as u16,
                    fua,
                    ..Write10::default()
                };
                ScsiRequest::write(l, &cdb.encode(), pattern(spec.token, lba, n))
            }
            OpKind::Sync => ScsiRequest::none(l, &SynchronizeCache10::default().encode()),
            OpKind::CompareAndWrite { expect } => {
                let cdb = CompareAndWrite {
                    lba,
                    number_of_blocks: 1,
                    ..CompareAndWrite::default()
                };
                let mut data = BytesMut::new();
                data.extend_from_slice(&pattern(expect, lba, 1));
                data.extend_from_slice(&pattern(spec.token, lba, 1));
                ScsiRequest::write(l, &cdb.encode(), data.freeze())
            }
            // Every other unmap is a WRITE SAME (16) of zeros with UNMAP
            // (SBC-4 §5.47): the blocks read as the LBPRZ value either way.
            OpKind::Unmap if spec.token % 2 == 0 => {
                let cdb = WriteSame16 {
                    lba,
                    number_of_blocks: n as u32,
                    unmap: true,
                    ..WriteSame16::default()
                };
                ScsiRequest::write(l, &cdb.encode(), Bytes::from_static(&[0u8; 512]))
            }
            OpKind::Unmap => {
                let list = UnmapList {
                    reserved: 0,
                    descriptors: vec![UnmapDescriptor {
                        lba,
                        blocks: n as u32,
                        reserved: 0,
                    }],
                }
                .encode();
                let cdb = Unmap {
                    parameter_list_length: list.len() as u16,
                    ..Unmap::default()
                };
                ScsiRequest::write(l, &cdb.encode(), Bytes::from(list))
            }
        };
        let Some(core) = self.inis[i].core.as_mut() else {
            self.inis[i].retry.push_front(spec);
            return;
        };
        let Ok(handle) = core.submit(now, req) else {
            self.inis[i].retry.push_front(spec);
            return;
        };
        self.stats.commands += 1;
        let t = self.tick();
        let host = HostId::Initiator(i);
        let rec = match spec.kind {
            OpKind::Write { fua } => Some(
                self.oracle
                    .submit_write(spec.token, spec.lun, lba, n, fua, host, t),
            ),
            OpKind::CompareAndWrite { .. } => Some(
                self.oracle
                    .submit_write(spec.token, spec.lun, lba, 1, false, host, t),
            ),
            OpKind::Unmap => Some(self.oracle.submit_write(
                self.oracle.unmap_token(spec.lun),
                spec.lun,
                lba,
                n,
                false,
                host,
                t,
            )),
            _ => None,
        };
        let kind = spec.kind;
        self.trace.record(self.now, host, "submit", &[], || {
            format!(
                "task {:#x} {kind:?} lun {} lba {lba} x{n}",
                handle.0, spec.lun
            )
        });
        self.inis[i].ops.insert(
            handle.0,
            Op {
                spec,
                rec,
                submit: t,
                sent_at: self.now,
                abort_at: None,
            },
        );
    }
}
