//! SCSI commands (RFC 7143 §11.3): submission, immediate and unsolicited
//! data, Data-In reassembly (§11.7) and the SCSI Response (§11.4).

use std::time::Instant;

use bytes::Bytes;
use rtgt_proto::pdu::{DataIn, Opcode, ScsiResponse, ScsiResponseCode, ScsiStatus, TTT_RESERVED};
use rtgt_proto::scsi::sense::Sense;
use rtgt_proto::text::SessionType;

use super::event::{Residual, ScsiResult, TaskHandle, TaskOutcome, UsageError};
use super::reaction::Reaction;
use super::session::{DataDirection, ScsiRequest, Session};
use super::tasks::{ScsiTask, TaskKind};
use super::violation::{ProtocolViolation, ViolationKind};
use super::Initiator;

impl Initiator {
    /// Queues a SCSI command. It is sent when the CmdSN window admits it
    /// (at once if `req.immediate`); the outcome comes as
    /// [`crate::Event::TaskComplete`].
    pub fn submit(&mut self, now: Instant, req: ScsiRequest) -> Result<TaskHandle, UsageError> {
        self.state.can_start()?;
        if self.session.session_type == SessionType::Discovery {
            return Err(UsageError::DiscoverySession);
        }
        let itt = self.session.tasks.alloc_itt()?;
        let immediate = req.immediate;
        let task = ScsiTask::new(req);
        self.session
            .tasks
            .insert(itt, None, TaskKind::Scsi(Box::new(task)));
        if immediate {
            let pdus = self.session.issue_command(itt, true, &self.conn);
            self.conn.push_pdus(pdus);
        } else {
            self.session.tasks.wait(itt);
            self.pump(now);
        }
        Ok(TaskHandle(itt))
    }
}

impl Session {
    /// A violation unless `itt` names an outstanding SCSI command.
    fn expect_scsi(&self, itt: u32, op: Opcode, clause: &'static str) -> Result<(), Reaction> {
        match self.tasks.kind(itt) {
            Some(TaskKind::Scsi(_)) => Ok(()),
            _ => Err(Reaction::violation(
                ProtocolViolation::new(
                    ViolationKind::UnknownItt,
                    clause,
                    "the ITT of an outstanding SCSI command",
                    format!("ITT {itt:#010x}"),
                )
                .on(op, itt),
            )),
        }
    }

    /// A Data-In: checked (RFC 7143 §11.7), its data placed, and with S the
    /// command's status.
    pub(crate) fn on_data_in(&mut self, d: DataIn) -> Reaction {
        let itt = d.itt;
        if let Err(r) = self.expect_scsi(itt, Opcode::DataIn, "RFC 7143 §11.7") {
            return r;
        }
        let v = |kind, clause, expected: String, received: String| {
            ProtocolViolation::new(kind, clause, expected, received).on(Opcode::DataIn, itt)
        };
        let p = self.params;
        let Some(t) = self.tasks.scsi(itt) else {
            return Reaction::default();
        };
        if t.lost {
            return Reaction::default();
        }
        let is_read = matches!(t.req.data, DataDirection::Read(_));
        let (edtl, exp_sn, next_off, seq_bytes) =
            (t.edtl, t.exp_data_sn, t.next_offset, t.seq_bytes);
        let mut problems = Reaction::default();
        if !is_read {
            // RFC 7143 §11.3.1: Data-In answers a command with the R bit.
            problems.report(v(
                ViolationKind::UnexpectedPdu,
                "RFC 7143 §11.3.1",
                "no Data-In for a command without R".into(),
                "Data-In".into(),
            ));
        }
        // RFC 7143 §11.7.3: S implies F; O and U exclude each other and mean
        // something only with S. Status with S is a good status only.
        if d.status_present && !d.final_bit {
            problems.report(v(
                ViolationKind::InvalidFlags,
                "RFC 7143 §11.7.3",
                "F=1 when S=1".into(),
                "S=1 F=0".into(),
            ));
        }
        if (d.overflow || d.underflow) && !d.status_present || d.overflow && d.underflow {
            problems.report(v(
                ViolationKind::InvalidFlags,
                "RFC 7143 §11.7.3",
                "O or U only with S, never both".into(),
                format!(
                    "O={} U={} S={}",
                    u8::from(d.overflow),
                    u8::from(d.underflow),
                    u8::from(d.status_present)
                ),
            ));
        }
        if d.status_present
            && !matches!(
                d.status,
                ScsiStatus::Good | ScsiStatus::ConditionMet | ScsiStatus::Other(0x14)
            )
        {
            problems.report(v(
                ViolationKind::InvalidFlags,
                "RFC 7143 §11.7.3",
                "status with S only GOOD, CONDITION MET or INTERMEDIATE-CONDITION MET".into(),
                d.status.name().into(),
            ));
        }
        if d.acknowledge && p.error_recovery_level == 0 {
            // RFC 7143 §11.7.2: the A bit is for ErrorRecoveryLevel > 0.
            problems.report(v(
                ViolationKind::InvalidFlags,
                "RFC 7143 §11.7.2",
                "A=0 at ErrorRecoveryLevel 0".into(),
                "A=1".into(),
            ));
        }
        if !d.acknowledge && d.ttt != TTT_RESERVED {
            // RFC 7143 §11.7.5: without A the TTT is 0xffffffff.
            problems.report(v(
                ViolationKind::TargetTransferTag,
                "RFC 7143 §11.7.5",
                "TTT 0xffffffff".into(),
                format!("TTT {:#010x}", d.ttt),
            ));
        }
        if d.data_sn != exp_sn {
            // RFC 7143 §11.7.6: DataSN counts the Data-In PDUs of a command
            // from 0.
            problems.report(v(
                ViolationKind::DataSn,
                "RFC 7143 §11.7.6",
                format!("DataSN {exp_sn}"),
                format!("DataSN {}", d.data_sn),
            ));
        }
        let len = d.data.len() as u64;
        let end = u64::from(d.buffer_offset) + len;
        if p.data_pdu_in_order && d.buffer_offset != next_off {
            // RFC 7143 §13.18: with DataPDUInOrder=Yes the offsets increase
            // without gaps (§11.7.7).
            problems.report(v(
                ViolationKind::BufferOffset,
                "RFC 7143 §11.7.7",
                format!("Buffer Offset {next_off}"),
                format!("Buffer Offset {}", d.buffer_offset),
            ));
        }
        if end > u64::from(edtl) {
            // RFC 7143 §11.3.4: no more data than the Expected Data Transfer
            // Length moves; the rest is reported as overflow.
            problems.report(v(
                ViolationKind::DataOverrun,
                "RFC 7143 §11.3.4",
                format!("data within {edtl} bytes"),
                format!("bytes {}..{end}", d.buffer_offset),
            ));
        }
        if seq_bytes + len > u64::from(p.max_burst_length) {
            // RFC 7143 §13.13: a Data-In sequence carries at most
            // MaxBurstLength bytes.
            problems.report(v(
                ViolationKind::BurstLength,
                "RFC 7143 §13.13",
                format!("at most {} bytes per Data-In sequence", p.max_burst_length),
                format!("{} bytes", seq_bytes + len),
            ));
        }
        let Some(t) = self.tasks.scsi_mut(itt) else {
            return problems;
        };
        let start = (d.buffer_offset as usize).min(edtl as usize);
        let end = (end as usize).min(edtl as usize);
        if t.read_buf.len() < end {
            t.read_buf.resize(end, 0);
        }
        if let (Some(dst), Some(src)) = (t.read_buf.get_mut(start..end), d.data.get(..end - start))
        {
            dst.copy_from_slice(src);
        }
        t.exp_data_sn = d.data_sn.wrapping_add(1);
        t.next_offset = end as u32;
        t.received += len;
        t.seq_bytes = if d.final_bit { 0 } else { seq_bytes + len };
        if d.status_present {
            let rsp = ScsiResponse {
                overflow: d.overflow,
                underflow: d.underflow,
                status: d.status,
                itt,
                residual_count: d.residual_count,
                exp_data_sn: d.data_sn.wrapping_add(1),
                ..ScsiResponse::default()
            };
            self.finish(rsp, true, &mut problems);
        }
        problems
    }

    /// A SCSI Response (RFC 7143 §11.4).
    pub(crate) fn on_scsi_response(&mut self, r: ScsiResponse) -> Reaction {
        if let Err(re) = self.expect_scsi(r.itt, Opcode::ScsiResponse, "RFC 7143 §11.4") {
            return re;
        }
        let mut re = Reaction::default();
        self.finish(r, false, &mut re);
        re
    }

    /// Checks a command's status (from a SCSI Response or a Data-In with S)
    /// and ends the task.
    fn finish(&self, r: ScsiResponse, in_data_in: bool, re: &mut Reaction) {
        let itt = r.itt;
        let op = if in_data_in {
            Opcode::DataIn
        } else {
            Opcode::ScsiResponse
        };
        let Some(t) = self.tasks.scsi(itt) else {
            return;
        };
        if t.lost {
            re.complete(itt, TaskOutcome::DataDigestError);
            return;
        }
        let problems = super::r2t::response_problems(t, &r, in_data_in);
        for (kind, clause, expected, received) in problems {
            re.report(ProtocolViolation::new(kind, clause, expected, received).on(op, itt));
        }
        let residual = Residual::from_fields(r.underflow, r.overflow, r.residual_count);
        let sense_bytes = match (r.response, r.sense_data()) {
            (ScsiResponseCode::CommandCompleted, Some(s)) => Bytes::copy_from_slice(s),
            _ => Bytes::new(),
        };
        let sense = (!sense_bytes.is_empty())
            .then(|| Sense::decode(&sense_bytes).ok().map(|d| d.value))
            .flatten();
        let result = ScsiResult {
            response: r.response,
            status: r.status,
            residual,
            data: Bytes::from(t.read_buf.clone()),
            sense_bytes,
            sense,
            status_in_data_in: in_data_in,
        };
        re.complete(itt, TaskOutcome::Completed(result));
    }
}
