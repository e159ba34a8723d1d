//! Task management (RFC 7143 §11.5, §11.6) and what a completed function
//! does to the tasks still outstanding (RFC 7143 §4.2.3, SAM-5 §7).

use std::time::Instant;

use rtgt_proto::pdu::{
    Lun, Opcode, Pdu, TaskManagementRequest, TaskManagementResponse, TmfFunction, TmfResponseCode,
    TTT_RESERVED,
};
use rtgt_proto::serial::Serial;
use rtgt_proto::text::SessionType;

use super::connection::Connection;
use super::event::{CloseReason, Event, TaskHandle, TaskOutcome, UsageError};
use super::reaction::Reaction;
use super::session::Session;
use super::tasks::{TaskKind, TaskTable};
use super::violation::{ProtocolViolation, ViolationKind};
use super::Initiator;

impl Initiator {
    /// Sends a task management function. `referenced` names the task of
    /// ABORT TASK (any tag may be given, outstanding or not).
    pub fn task_management(
        &mut self,
        _now: Instant,
        function: TmfFunction,
        lun: Lun,
        referenced: Option<TaskHandle>,
    ) -> Result<TaskHandle, UsageError> {
        self.state.can_start()?;
        if self.session.session_type == SessionType::Discovery {
            return Err(UsageError::DiscoverySession);
        }
        let (task, req) =
            self.session
                .tmf_request(function, lun, referenced.map(|t| t.0), &self.conn)?;
        self.conn.push_pdu(&req);
        Ok(task)
    }
}

impl Session {
    /// A task management request, recorded as a task (immediate: it carries
    /// the next CmdSN without taking it, RFC 7143 §3.2.2.1).
    pub(crate) fn tmf_request(
        &mut self,
        function: TmfFunction,
        lun: Lun,
        referenced: Option<u32>,
        conn: &Connection,
    ) -> Result<(TaskHandle, Pdu), UsageError> {
        let itt = self.tasks.alloc_itt()?;
        let cmd_sn = self.cmd_sn;
        let referenced = referenced.unwrap_or(TTT_RESERVED);
        let ref_cmd_sn = match function {
            // RFC 7143 §11.5.3: RefCmdSN is the CmdSN of the task to abort...
            TmfFunction::AbortTask => self
                .tasks
                .get(referenced)
                .and_then(|t| t.cmd_sn)
                .unwrap_or(cmd_sn),
            // ...and for ABORT TASK SET and CLEAR TASK SET the CmdSN of the
            // function itself.
            TmfFunction::AbortTaskSet | TmfFunction::ClearTaskSet => cmd_sn,
            _ => 0,
        };
        // RFC 7143 §11.5.1: the target resets address no LUN.
        let lun_field = match function {
            TmfFunction::TargetWarmReset | TmfFunction::TargetColdReset => Lun::ZERO,
            _ => lun,
        };
        let req = TaskManagementRequest {
            immediate: true,
            function,
            lun: lun_field,
            itt,
            referenced_task_tag: if function == TmfFunction::AbortTask {
                referenced
            } else {
                TTT_RESERVED
            },
            cmd_sn,
            exp_stat_sn: conn.exp_stat_sn_value(),
            ref_cmd_sn,
            ..TaskManagementRequest::default()
        };
        self.tasks.insert(
            itt,
            Some(cmd_sn),
            TaskKind::Tmf {
                function,
                lun,
                referenced,
            },
        );
        Ok((TaskHandle(itt), Pdu::TaskManagementRequest(req)))
    }

    /// A Task Management Function Response (RFC 7143 §11.6).
    pub(crate) fn on_tmf_response(&mut self, r: TaskManagementResponse) -> Reaction {
        let Some(TaskKind::Tmf {
            function,
            lun,
            referenced,
        }) = self.tasks.kind(r.itt).cloned()
        else {
            // RFC 7143 §11.6: the response carries the request's ITT.
            return Reaction::violation(
                ProtocolViolation::new(
                    ViolationKind::UnknownItt,
                    "RFC 7143 §11.6",
                    "the ITT of an outstanding task management request",
                    format!("ITT {:#010x}", r.itt),
                )
                .on(Opcode::TaskManagementResponse, r.itt),
            );
        };
        let tmf_sn = self.tasks.remove(r.itt).and_then(|t| t.cmd_sn);
        let done = r.response == TmfResponseCode::FunctionComplete;
        // RFC 7143 §4.2.3 and SAM-5 §7: once the function completed, the
        // tasks it covers are gone and no response for them follows.
        let mut re = Reaction::default();
        let affected = self.tasks.ended_by(function, lun, referenced, tmf_sn, done);
        for (itt, lost) in affected {
            let outcome = if lost {
                TaskOutcome::DataDigestError
            } else {
                TaskOutcome::Aborted {
                    function,
                    by: TaskHandle(r.itt),
                }
            };
            re.complete(itt, outcome);
        }
        re.event(Event::TmfComplete {
            task: TaskHandle(r.itt),
            function,
            response: r.response,
        });
        if done && function == TmfFunction::TargetColdReset {
            // RFC 7143 §11.5.1: after a cold reset the target closes every
            // connection.
            re.close(CloseReason::TargetColdReset);
        }
        re
    }
}

impl TaskTable {
    /// The SCSI commands a task management function sent with `tmf_sn` ends,
    /// each with whether its Data-In was lost; `done` when the function
    /// completed.
    fn ended_by(
        &self,
        function: TmfFunction,
        lun: Lun,
        referenced: u32,
        tmf_sn: Option<u32>,
        done: bool,
    ) -> Vec<(u32, bool)> {
        self.iter()
            .filter_map(|(itt, t)| match &t.kind {
                TaskKind::Scsi(s) => {
                    let hit = match function {
                        TmfFunction::AbortTask => itt == referenced,
                        // RFC 7143 §11.5.1: a task management request acts
                        // on the commands with a CmdSN lower than its own;
                        // later ones may still be answered.
                        TmfFunction::AbortTaskSet
                        | TmfFunction::ClearTaskSet
                        | TmfFunction::LogicalUnitReset => {
                            s.req.lun == lun && covered(t.cmd_sn, tmf_sn)
                        }
                        TmfFunction::TargetWarmReset | TmfFunction::TargetColdReset => {
                            covered(t.cmd_sn, tmf_sn)
                        }
                        _ => false,
                    };
                    // A task lost to a digest error ends with our ABORT TASK
                    // whatever the answer.
                    let lost_abort = s.lost && function == TmfFunction::AbortTask && hit;
                    (hit && (done || lost_abort)).then_some((itt, s.lost))
                }
                _ => None,
            })
            .collect()
    }
}

/// Whether a task sent with `task_sn` comes before a task management
/// request sent with `tmf_sn`.
fn covered(task_sn: Option<u32>, tmf_sn: Option<u32>) -> bool {
    match (task_sn, tmf_sn) {
        (Some(t), Some(m)) => Serial(t).is_before(Serial(m)),
        _ => false,
    }
}
