//! The workload's operation generators: each tick picks the next operation
//! of the seed's mix (reads, writes, FUA writes, cache flushes, COMPARE AND
//! WRITE, UNMAP, task management), builds its command and submits it.

use super::{lun, pattern, Op, OpKind, OpSpec, COMMAND_TIMEOUT, TMF_TIMEOUT};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rtgt_initiator::{ScsiRequest, TaskHandle};
use rtgt_proto::pdu::{LogoutReason, TmfFunction};
use rtgt_proto::scsi::cdb::{
    pr_type, CompareAndWrite, PersistentReserveIn, PrInAction, PrOutAction, Read10,
    SynchronizeCache10, Unmap, Write10, WriteSame16,
};
use rtgt_proto::scsi::params::{PrOutBasic, UnmapDescriptor, UnmapList};

use crate::reservation::{key_of, PrAction};

use crate::shrink::Item;
use crate::trace::HostId;

/// The operations of the mix, in its order (for the event log).
const OP_NAMES: [&str; 9] = [
    "read",
    "write",
    "write-fua",
    "sync",
    "compare-and-write",
    "unmap",
    "abort-task",
    "lun-reset",
    "persistent-reserve",
];
use crate::world::{Ev, World};

/// The blocks COMPARE AND WRITE picks from.
const CAW_BLOCKS: u64 = 4;

impl World {
    pub(crate) fn work_tick(&mut self, i: usize) {
        if !self.inis[i].logged_in || self.inis[i].done {
            if self.inis[i].up && !self.inis[i].done {
                self.periodic_tick(i);
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
        self.periodic_tick(i);
    }

    /// The once-a-second tick of initiator `i` (command timeouts, the
    /// next operation), unless one is already due: each tick would
    /// otherwise start a chain of its own, and a long run would carry one
    /// chain per operation issued.
    fn periodic_tick(&mut self, i: usize) {
        if self.inis[i].tick_due > self.now {
            return;
        }
        let at = self.now + Duration::from_secs(1);
        self.inis[i].tick_due = at;
        self.at(at, Ev::Tick(i));
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
                if f == TmfFunction::LogicalUnitReset {
                    let logged_in: Vec<usize> = (0..self.inis.len())
                        .filter(|&k| self.inis[k].logged_in)
                        .collect();
                    self.ua.reset_sent(i, h.0, lun_n, &logged_in);
                }
            }
        }
    }

    /// A persistent reservation operation of initiator `i`: mostly
    /// register, reserve, release and preempt, now and then a READ
    /// RESERVATION that lets the model learn the holder again.
    fn pick_pr(&mut self, i: usize) -> OpKind {
        let others = self.inis.len().saturating_sub(1);
        let x = self.work_rng.below(100);
        let action = match x {
            0..=24 => PrAction::Register,
            25..=49 => PrAction::Reserve,
            50..=64 => PrAction::Release,
            65..=84 if others > 0 => {
                let k = self.work_rng.index(others);
                PrAction::Preempt {
                    victim: if k >= i { k + 1 } else { k },
                }
            }
            65..=84 => PrAction::Register,
            _ => return OpKind::PrIn,
        };
        OpKind::PrOut(action)
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
            m.pr,
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
        let pr = (which == 8).then(|| self.pick_pr(i));
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
            8 => format!("{at:?}: ini{i} {name} {pr:?} lun 0"),
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
            8 => pr.unwrap_or(OpKind::PrIn),
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
            OpKind::PrOut(_) | OpKind::PrIn => (0, 1),
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
            OpKind::PrOut(action) => {
                let (key, sark, action) = match action {
                    // SPC-5 §5.14.7: REGISTER AND IGNORE EXISTING KEY takes
                    // the new key from SERVICE ACTION RESERVATION KEY, so a
                    // retry changes nothing.
                    PrAction::Register => (0, key_of(i), PrOutAction::RegisterAndIgnoreExistingKey),
                    PrAction::Reserve => (key_of(i), 0, PrOutAction::Reserve),
                    PrAction::Release => (key_of(i), 0, PrOutAction::Release),
                    PrAction::Preempt { victim } => {
                        (key_of(i), key_of(victim), PrOutAction::Preempt)
                    }
                };
                let (cdb, list) = PrOutBasic::command(action, pr_type::WRITE_EXCLUSIVE, key, sark);
                ScsiRequest::write(l, &cdb, Bytes::from(list))
            }
            OpKind::PrIn => {
                let cdb = PersistentReserveIn {
                    service_action: PrInAction::ReadReservation,
                    allocation_length: 24,
                    ..PersistentReserveIn::default()
                };
                ScsiRequest::read(l, &cdb.encode(), 24)
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
        let pr_epoch = match spec.kind {
            OpKind::PrOut(action) => {
                self.pr.out_submitted(i, handle.0);
                if let PrAction::Preempt { victim } = action {
                    let victim_in = self.inis.get(victim).is_some_and(|h| h.logged_in);
                    self.ua.preempt_sent(i, handle.0, victim, victim_in);
                }
                None
            }
            OpKind::PrIn => Some(self.pr.epoch()),
            _ => self.pr.stable(),
        };
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
                pr_epoch,
            },
        );
    }
}
