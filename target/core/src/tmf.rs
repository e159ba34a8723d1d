//! Task management (RFC 7143 §11.5, §11.6, §4.2.3) mapped onto rtgt-scsi's
//! abort and reset calls; the response goes out once every affected task
//! is over (§4.2.3.3), or, under TaskReporting=FastAbort, without waiting
//! for the Data-Out of the affected writes (§4.2.3.4).
//!
//! Response Fence (§4.2.2.3, which ResponseFence and FastAbort promise,
//! §13.23): "the target iSCSI layer MUST ensure that the following
//! conditions are met in delivering the response message" so that it
//! comes after the responses before it and before those after it. rtgt
//! sends no response for an affected task and queues the function's
//! response on the issuing connection behind every response it sent there
//! before, so the fence holds on that connection by its order; across the
//! connections of a session it is not enforced (no wait for ExpStatSN).
//!
//! The words quoted here from §4.2.2.3, §4.2.3.4 and §13.23 are not checked
//! against a copy of RFC 7143 (those sections are not in the reference text
//! at hand); §4.2.3.3's sentence is (conformance/requirements/rfc7143.toml).

use std::collections::BTreeSet;

use rtgt_proto::pdu::{
    AsyncEvent, AsyncMessage, Lun, TaskManagementRequest, TaskManagementResponse, TmfFunction,
    TmfResponseCode,
};
use rtgt_proto::text::TaskReporting;

use super::conn::ConnTable;
use super::events::ConnId;
use super::registry::Registry;
use super::session::Session;
use super::session::SessionTable;
use super::tables::Tables;
use super::tasks::TaskPhase;
use crate::TargetId;

/// A TMF waiting for its affected tasks.
#[derive(Debug)]
pub(crate) struct PendingTmf {
    pub conn: ConnId,
    pub itt: u32,
    pub response: TmfResponseCode,
    /// (target, disk tag) of each affected task still running.
    pub waiting: BTreeSet<(TargetId, u64)>,
    /// TARGET COLD RESET: the target's sessions end after the response.
    pub cold: Option<TargetId>,
}

impl Tables {
    /// A Task Management Function Request.
    pub(crate) fn on_tmf(&mut self, conn: ConnId, t: TaskManagementRequest) {
        let Some(serial) = self.conns.session_of(conn) else {
            return;
        };
        let Some(s) = self.sessions.get(&serial) else {
            return;
        };
        let Some(target) = s.target else {
            // A discovery session has no tasks to manage.
            self.conns.tmf_answer(
                &mut self.sessions,
                conn,
                t.itt,
                TmfResponseCode::FunctionRejected,
            );
            return;
        };
        let lun = rtgt_proto::scsi::params::Lun(t.lun.0).index();
        let lun_ok = lun.is_some_and(|n| {
            self.reg
                .get(target)
                .is_some_and(|tg| tg.luns.disk(n).is_some())
        });
        let mut waiting = BTreeSet::new();
        let mut cold = None;
        let nexus = s.nexus.clone();
        let response = match t.function {
            TmfFunction::AbortTask => match self.sessions.get_mut(&serial) {
                // RFC 7143 §11.5.1: "an ABORT TASK function MUST NOT be
                // executed on a Task Management request; such a request
                // MUST result in Task Management response of 'Function
                // rejected'".
                Some(s) if s.tmfs.iter().any(|p| p.itt == t.referenced_task_tag) => {
                    TmfResponseCode::FunctionRejected
                }
                Some(s) => s.abort_task(serial, target, &t, &mut waiting, &mut self.reg),
                None => TmfResponseCode::TaskDoesNotExist,
            },
            TmfFunction::AbortTaskSet
            | TmfFunction::ClearTaskSet
            | TmfFunction::LogicalUnitReset => {
                let Some(n) = lun.filter(|_| lun_ok) else {
                    // RFC 7143 §11.6.1: response 2, LUN does not exist.
                    self.conns.tmf_answer(
                        &mut self.sessions,
                        conn,
                        t.itt,
                        TmfResponseCode::LunDoesNotExist,
                    );
                    return;
                };
                let own_only = t.function == TmfFunction::AbortTaskSet;
                let only = own_only.then_some(serial);
                let notices = self.affect((serial, conn), target, Some(n), only, &mut waiting);
                if let Some(d) = self.reg.get_mut(target).and_then(|tg| tg.luns.disk_mut(n)) {
                    match t.function {
                        // SAM-5 §7.3, §7.5, §7.7.
                        TmfFunction::AbortTaskSet => d.abort_task_set(&nexus),
                        TmfFunction::ClearTaskSet => d.clear_task_set(&nexus),
                        _ => d.lun_reset(&nexus),
                    };
                }
                self.conns.task_termination(&mut self.sessions, notices);
                TmfResponseCode::FunctionComplete
            }
            TmfFunction::TargetWarmReset | TmfFunction::TargetColdReset => {
                // RFC 7143 §11.5.1: a target reset resets every logical unit
                // of the target; a cold reset also closes every session of it
                // once the response is sent.
                let notices = self.affect((serial, conn), target, None, None, &mut waiting);
                if let Some(tg) = self.reg.get_mut(target) {
                    for n in tg.luns.luns().iter().filter_map(|l| l.index()) {
                        if let Some(d) = tg.luns.disk_mut(n) {
                            d.lun_reset(&nexus);
                        }
                    }
                }
                self.conns.task_termination(&mut self.sessions, notices);
                if t.function == TmfFunction::TargetColdReset {
                    cold = Some(target);
                }
                TmfResponseCode::FunctionComplete
            }
            // rtgt has no ACA (NACA is refused), so CLEAR ACA is not
            // supported (RFC 7143 §11.6.1 response 5).
            TmfFunction::ClearAca => TmfResponseCode::FunctionNotSupported,
            // RFC 7143 §11.6.1: at ErrorRecoveryLevel < 2 task reassignment
            // is answered 4, not supported.
            TmfFunction::TaskReassign => TmfResponseCode::ReassignmentNotSupported,
            // RFC 7143 §11.6.1: 255 for a function the target rejects.
            _ => TmfResponseCode::FunctionRejected,
        };
        let pending = PendingTmf {
            conn,
            itt: t.itt,
            response,
            waiting,
            cold,
        };
        if pending.waiting.is_empty() {
            self.tmf_finish(pending);
        } else if let Some(s) = self.sessions.get_mut(&serial) {
            s.tmfs.push(pending);
        }
    }

    /// Gathers into `waiting` the tasks a task set function or target
    /// reset of session `serial` (from connection `conn`) affects on `lun`
    /// (every LUN for `None`; `only` that session's), ends the issuing
    /// session's tasks that never reached their logical unit, and gives the
    /// connections and LUNs owed an Asynchronous Message.
    ///
    /// RFC 7143 §4.2.3.4 d), under FastAbort: the target generates "an
    /// Asynchronous Message PDU with iSCSIEvent=5" on each connection of a
    /// third-party session with an allegiant affected task "if
    /// TaskReporting=FastAbort is operational on that third-party session",
    /// and on each connection "except the issuing connection" of the
    /// issuing session with one; "one Asynchronous Message PDU MUST be
    /// issued for each such LU on each connection".
    fn affect(
        &mut self,
        (serial, conn): (u64, ConnId),
        target: TargetId,
        lun: Option<u16>,
        only: Option<u64>,
        waiting: &mut BTreeSet<(TargetId, u64)>,
    ) -> BTreeSet<(ConnId, Lun)> {
        let reporting = self
            .sessions
            .get(&serial)
            .map_or(TaskReporting::Rfc3720, |s| s.params.task_reporting);
        let fast = reporting == TaskReporting::FastAbort;
        let mut notices = BTreeSet::new();
        for (owner, itt) in self.sessions.submitted_on(target, lun, only) {
            waiting.insert((target, Session::tag(owner, itt)));
            let Some(s) = self.sessions.get(&owner) else {
                continue;
            };
            let owed =
                fast && (owner == serial || s.params.task_reporting == TaskReporting::FastAbort);
            if let Some(t) = s.tasks.get(itt).filter(|t| owed && t.conn != conn) {
                notices.insert((t.conn, t.lun));
            }
        }
        if let Some(s) = self.sessions.get_mut(&serial) {
            let ended = s.end_unsubmitted(serial, target, lun, reporting, waiting);
            notices.extend(ended.into_iter().filter(|&(c, _)| c != conn));
        }
        notices
    }

    /// An affected task is over; answers the TMFs that waited only for it.
    pub(crate) fn tmf_task_done(&mut self, target: TargetId, _lun: Option<u16>, tag: u64) {
        for p in self.sessions.tmfs_done(target, tag) {
            self.tmf_finish(p);
        }
    }

    fn tmf_finish(&mut self, p: PendingTmf) {
        self.conns
            .tmf_answer(&mut self.sessions, p.conn, p.itt, p.response);
        if let Some(target) = p.cold {
            for serial in self.sessions.of_target(target) {
                self.end_session(serial, "target cold reset");
            }
        }
    }
}

impl Session {
    /// ABORT TASK (RFC 7143 §11.5.1, SAM-5 §7.2).
    fn abort_task(
        &mut self,
        serial: u64,
        target: TargetId,
        t: &TaskManagementRequest,
        waiting: &mut BTreeSet<(TargetId, u64)>,
        reg: &mut Registry,
    ) -> TmfResponseCode {
        let itt = t.referenced_task_tag;
        match self.tasks.get(itt) {
            // Test only: with `broken-abort`, forget the task and answer at once.
            Some(task)
                if task.phase == TaskPhase::Submitted
                    && cfg!(feature = "broken-abort")
                    && rtgt_proto::mutant::on("broken-abort") =>
            {
                let _ = task;
                TmfResponseCode::FunctionComplete
            }
            Some(task) if task.phase == TaskPhase::Submitted => {
                let tag = Session::tag(serial, itt);
                waiting.insert((target, tag));
                let lun = task.lun_index();
                let nexus = self.nexus.clone();
                reg.abort_task(Some(target), lun, &nexus, tag);
                TmfResponseCode::FunctionComplete
            }
            Some(task) if task.phase == TaskPhase::Draining => {
                // Already aborted by a task set function, which waits for
                // its outstanding Data-Out.
                TmfResponseCode::FunctionComplete
            }
            Some(_) => {
                // Still collecting its Data-Out: it ends here.
                self.tasks.remove(itt);
                TmfResponseCode::FunctionComplete
            }
            None => {
                // RFC 7143 §11.5.1: a task not seen yet is looked for by its
                // RefCmdSN in the window.
                let used = self.tasks.slots_used();
                if self.window.abort_unseen(t.ref_cmd_sn, t.cmd_sn, used) {
                    TmfResponseCode::FunctionComplete
                } else {
                    TmfResponseCode::TaskDoesNotExist
                }
            }
        }
    }

    /// Ends the issuing session's tasks on `lun` (or every LUN) that never
    /// reached their logical unit. Third parties' tasks are not waited for
    /// (a MAY of §4.2.3.3).
    ///
    /// RFC3720 and ResponseFence (RFC 7143 §13.23: "When TaskReporting is
    /// not negotiated to FastAbort, the standard multi-task abort
    /// semantics in Section 4.2.3.3 MUST be used"): for ABORT TASK SET,
    /// CLEAR TASK SET, LOGICAL UNIT RESET and the target resets, the
    /// target "MUST wait for responses on currently valid Target Transfer
    /// Tags of the affected tasks from the issuing initiator": a task with
    /// R2Ts outstanding drains them first (and the function waits for
    /// it); the others end here.
    ///
    /// FastAbort (§4.2.3.4): the initiator "MUST ... Stop all outgoing
    /// transfers for the affected tasks on the issuing session", so the
    /// target does not wait for that data: it propagates the function to
    /// the logical units and answers once they have, and every affected
    /// task still collecting its data ends here, without a response. Its
    /// TTTs stay valid ("Leave all active 'affected TTTs' ... valid"): a
    /// Data-Out for them that was already on the wire is dropped silently
    /// (`data_out.rs`), not rejected. Gives the connection and LUN of each
    /// task ended so.
    fn end_unsubmitted(
        &mut self,
        serial: u64,
        target: TargetId,
        lun: Option<u16>,
        reporting: TaskReporting,
        waiting: &mut BTreeSet<(TargetId, u64)>,
    ) -> Vec<(ConnId, Lun)> {
        let mut ended = Vec::new();
        for itt in self.tasks.end_unsubmitted(lun) {
            if reporting == TaskReporting::FastAbort {
                ended.extend(self.tasks.remove(itt).map(|t| (t.conn, t.lun)));
            } else {
                waiting.insert((target, Session::tag(serial, itt)));
            }
        }
        ended
    }
}

impl ConnTable {
    /// RFC 7143 §11.9.1, AsyncEvent 5: "all active tasks for LU with
    /// matching LUN field in the Async Message PDU are being terminated";
    /// one message for each (connection, LUN) of `notices`.
    fn task_termination(&mut self, sessions: &mut SessionTable, notices: BTreeSet<(ConnId, Lun)>) {
        for (conn, lun) in notices {
            let Some(serial) = self.session_of(conn) else {
                continue;
            };
            let (exp_cmd_sn, max_cmd_sn) = sessions.window(serial);
            let msg = AsyncMessage {
                lun,
                async_event: AsyncEvent::TaskTermination,
                stat_sn: self.take_stat_sn(conn),
                exp_cmd_sn,
                max_cmd_sn,
                ..AsyncMessage::default()
            };
            self.send(conn, msg.into());
        }
    }

    fn tmf_answer(
        &mut self,
        sessions: &mut SessionTable,
        conn: ConnId,
        itt: u32,
        response: TmfResponseCode,
    ) {
        let Some(serial) = self.session_of(conn) else {
            return;
        };
        let (exp, max) = sessions.window(serial);
        let pdu = TaskManagementResponse {
            response,
            itt,
            stat_sn: self.take_stat_sn(conn),
            exp_cmd_sn: exp,
            max_cmd_sn: max,
            ..TaskManagementResponse::default()
        };
        self.send(conn, pdu.into());
    }
}
