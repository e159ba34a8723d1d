//! Ending the tasks of a [`Disk`]: their replies, and task management
//! (SAM-5 §7), which aborts them.

use super::{make_reply, Disk, Phase, Progress, Task};
use crate::task::{Completion, Nexus, Reply, Residual};
use bytes::Bytes;
use rtgt_proto::scsi::asc::AscAscq;
use rtgt_proto::scsi::sense::Sense;
use rtgt_proto::scsi::status::Status;
use std::sync::Arc;

impl Disk {
    pub(super) fn reply(
        &self,
        result: Result<Bytes, Sense>,
        out_wanted: u64,
        expected: u32,
    ) -> Reply {
        make_reply(result, out_wanted, expected, self.lu.mode.d_sense())
    }

    pub(super) fn finish(&mut self, tid: u64, result: Result<Bytes, Sense>) {
        let Some(t) = self.tasks.remove(&tid) else {
            return;
        };
        if matches!(t.progress, Progress::Sanitize) {
            self.lu.sanitize.end();
        }
        if matches!(t.phase, Phase::Detached { .. }) {
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
    pub(super) fn finish_status(&mut self, tid: u64, status: Status) {
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

    pub(super) fn drop_aborted(&mut self, tid: u64) {
        if let Some(t) = self.tasks.remove(&tid) {
            if matches!(t.progress, Progress::Sanitize) {
                self.lu.sanitize.end();
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
    pub(super) fn abort_where(&mut self, pick: impl Fn(&Task) -> bool) -> usize {
        let ids: Vec<u64> = self
            .tasks
            .iter()
            .filter(|(_, t)| {
                !matches!(t.phase, Phase::Aborted { .. } | Phase::Detached { .. }) && pick(t)
            })
            .map(|(&id, _)| id)
            .collect();
        for &id in &ids {
            let Some(t) = self.tasks.get_mut(&id) else {
                continue;
            };
            if matches!(t.progress, Progress::Sanitize) && t.phase != Phase::Queued {
                self.detach(id, None);
                continue;
            }
            let outstanding = t.phase.outstanding();
            t.phase = Phase::Aborted { outstanding };
            if outstanding == 0 {
                self.drop_aborted(id);
            }
        }
        self.schedule();
        ids.len()
    }

    /// Ends the command of a started task whose work runs on: `reply` goes
    /// out now (`None` for an aborted command), and nothing when the work
    /// ends.
    pub(super) fn detach(&mut self, tid: u64, reply: Option<Reply>) {
        let Some(t) = self.tasks.get_mut(&tid) else {
            return;
        };
        t.phase = Phase::Detached {
            outstanding: t.phase.outstanding(),
        };
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
        // Test only: with `broken-lun-reset`, the newest task is spared.
        let spared = (cfg!(feature = "broken-lun-reset")
            && rtgt_proto::mutant::on("broken-lun-reset"))
        .then(|| self.tasks.values().next_back().map(|t| t.tag))
        .flatten();
        let n = self.abort_where(|t| Some(t.tag) != spared);
        self.lu.reset();
        self.lu.ua.touch(nexus);
        // Test only: with `broken-ua-lost`, only the nexus that asked learns
        // of the reset.
        let only = (cfg!(feature = "broken-ua-lost") && rtgt_proto::mutant::on("broken-ua-lost"))
            .then_some(nexus);
        match only {
            Some(n) => self
                .lu
                .ua
                .establish_for(n, AscAscq::BUS_DEVICE_RESET_FUNCTION_OCCURRED),
            None => self
                .lu
                .ua
                .establish(None, AscAscq::BUS_DEVICE_RESET_FUNCTION_OCCURRED),
        }
        n
    }

    /// The nexus is gone (session closed, I_T NEXUS RESET, SAM-5 §6.3.4):
    /// aborts its tasks and establishes I_T NEXUS LOSS OCCURRED (29h/07h)
    /// for it, reported if the nexus comes back.
    pub fn nexus_loss(&mut self, nexus: &Nexus) -> usize {
        let n = self.abort_task_set(nexus);
        // SPC-2 §5.5.1, SBC-4 §5.13: its RESERVE reservation and its
        // prevention of medium removal end.
        self.lu.nexus_loss(nexus);
        self.lu.ua.nexus_lost(nexus);
        n
    }
}
