//! SCSI commands (RFC 7143 §11.3): submission, immediate and unsolicited
//! data, Data-In reassembly (§11.7) and the SCSI Response (§11.4).

use std::time::Instant;

use bytes::Bytes;
use rtgt_proto::pdu::{
    DataIn, DataOut, Opcode, Pdu, ScsiCommand, ScsiResponse, ScsiResponseCode, ScsiStatus,
    ITT_RESERVED, TTT_RESERVED,
};
use rtgt_proto::scsi::sense::Sense;
use rtgt_proto::text::SessionType;

use super::event::{Event, Residual, ScsiResult, TaskHandle, TaskOutcome, UsageError};
use super::session::{DataDirection, ScsiRequest, ScsiTask, Task, TaskKind};
use super::violation::{Flow, ProtocolViolation, ViolationKind};
use super::{Initiator, Phase};

/// The most read buffer reserved before any Data-In arrives.
const READ_RESERVE_MAX: usize = 16 << 20;

/// How many times a command rejected for a data digest error is sent again
/// before the session is given up (RFC 7143 §7.8: session recovery).
pub(crate) const MAX_RETRIES: u8 = 3;

/// What [`Initiator::retry_scsi`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// The command went out again.
    Sent,
    /// [`MAX_RETRIES`] retries were spent.
    Exhausted,
    /// Not an outstanding command the target never started.
    NotApplicable,
}

impl Initiator {
    /// Checks that a new task may start.
    pub(crate) fn can_start(&self) -> Result<(), UsageError> {
        match self.phase() {
            Phase::FullFeature => Ok(()),
            Phase::LoggingOut => Err(UsageError::LoggingOut),
            Phase::Closed => Err(UsageError::Closed),
            Phase::Idle | Phase::Login => Err(UsageError::NotLoggedIn),
        }
    }

    /// Queues a SCSI command. It is sent when the CmdSN window admits it
    /// (at once if `req.immediate`); the outcome comes as
    /// [`Event::TaskComplete`].
    pub fn submit(&mut self, now: Instant, req: ScsiRequest) -> Result<TaskHandle, UsageError> {
        self.can_start()?;
        if self.session.session_type == SessionType::Discovery {
            return Err(UsageError::DiscoverySession);
        }
        let itt = self.session.alloc_itt()?;
        let edtl = match &req.data {
            DataDirection::None => 0,
            DataDirection::Read(n) => *n,
            DataDirection::Write(d) => u32::try_from(d.len()).unwrap_or(u32::MAX),
        };
        let immediate = req.immediate;
        let read_len = match &req.data {
            DataDirection::Read(n) => (*n as usize).min(READ_RESERVE_MAX),
            _ => 0,
        };
        let task = ScsiTask {
            req,
            edtl,
            // Room for the whole read up front (the caller's own length, not
            // peer data), so that Data-In is copied once.
            read_buf: Vec::with_capacity(read_len),
            next_offset: 0,
            received: 0,
            seq_bytes: 0,
            exp_data_sn: 0,
            exp_r2t_sn: 0,
            unsolicited_end: 0,
            next_r2t_offset: 0,
            r2t_outstanding: 0,
            lost: false,
            retries: 0,
        };
        self.session.tasks.insert(
            itt,
            Task {
                cmd_sn: None,
                kind: TaskKind::Scsi(Box::new(task)),
            },
        );
        if immediate {
            self.issue_scsi(itt, true);
        } else {
            self.session.waiting.push_back(itt);
            self.pump(now);
        }
        Ok(TaskHandle(itt))
    }

    /// Sends a SCSI command with its immediate and unsolicited data.
    pub(crate) fn issue_scsi(&mut self, itt: u32, immediate: bool) {
        let cmd_sn = if immediate {
            self.session.cmd_sn
        } else {
            self.session.take_cmd_sn()
        };
        self.send_scsi(itt, cmd_sn, immediate);
    }

    /// Sends a command the target rejected for a data digest error again
    /// (RFC 7143 §7.2.1: a retry carries the original ITT, flags, CDB and
    /// CmdSN, on the same connection), with its immediate and unsolicited
    /// data. It plugs the CmdSN gap the discarded command left (§7.3).
    pub(crate) fn retry_scsi(&mut self, itt: u32) -> Retry {
        let Some(task) = self.session.tasks.get_mut(&itt) else {
            return Retry::NotApplicable;
        };
        let Some(cmd_sn) = task.cmd_sn else {
            return Retry::NotApplicable;
        };
        let TaskKind::Scsi(t) = &mut task.kind else {
            return Retry::NotApplicable;
        };
        // A target that answered anything for the task has started it: the
        // Reject cannot be for its command PDU.
        let started = t.received > 0 || t.exp_data_sn != 0 || t.exp_r2t_sn != 0;
        if started || t.lost {
            return Retry::NotApplicable;
        }
        if t.retries >= MAX_RETRIES {
            return Retry::Exhausted;
        }
        t.retries += 1;
        let immediate = t.req.immediate;
        self.send_scsi(itt, cmd_sn, immediate);
        Retry::Sent
    }

    /// Puts the command PDU of task `itt` and its unsolicited Data-Out on
    /// the wire with `cmd_sn`.
    fn send_scsi(&mut self, itt: u32, cmd_sn: u32, immediate: bool) {
        let p = self.session.params;
        let mrdsl = self.conn.max_send_data_segment_length.max(1);
        let exp_stat_sn = self.conn.exp_stat_sn_value();
        let Some(task) = self.session.tasks.get_mut(&itt) else {
            return;
        };
        task.cmd_sn = Some(cmd_sn);
        let TaskKind::Scsi(t) = &mut task.kind else {
            return;
        };
        let write = match &t.req.data {
            DataDirection::Write(d) => d.clone(),
            _ => Bytes::new(),
        };
        let edtl = t.edtl;
        let is_write = matches!(t.req.data, DataDirection::Write(_));
        // RFC 7143 §13.11 and §13.14: immediate data up to FirstBurstLength
        // and the target's MaxRecvDataSegmentLength; §13.10: with
        // InitialR2T=No, unsolicited Data-Out up to FirstBurstLength.
        let imm = if !is_write {
            0
        } else if p.immediate_data {
            edtl.min(p.first_burst_length).min(mrdsl)
        } else {
            0
        };
        let unsolicited = if p.initial_r2t || !is_write {
            imm
        } else {
            edtl.min(p.first_burst_length)
        };
        t.unsolicited_end = unsolicited;
        t.next_r2t_offset = unsolicited;
        let mut cmd = ScsiCommand {
            immediate,
            final_bit: unsolicited == imm,
            read: matches!(t.req.data, DataDirection::Read(_)),
            write: matches!(t.req.data, DataDirection::Write(_)),
            attr: t.req.attr,
            lun: t.req.lun,
            itt,
            expected_data_transfer_length: edtl,
            cmd_sn,
            exp_stat_sn,
            data: write.slice(..imm as usize),
            ..ScsiCommand::default()
        };
        cmd.set_cdb(&t.req.cdb);
        self.conn.push_pdu(&Pdu::ScsiCommand(cmd));
        let mut data_sn = 0;
        let mut off = imm;
        while off < unsolicited {
            let end = off.saturating_add(mrdsl).min(unsolicited);
            // RFC 7143 §11.7.5: unsolicited data carries TTT 0xffffffff;
            // §11.7.1: F marks the last PDU of the sequence.
            let out = DataOut {
                final_bit: end == unsolicited,
                itt,
                ttt: TTT_RESERVED,
                exp_stat_sn,
                data_sn,
                buffer_offset: off,
                data: write.slice(off as usize..end as usize),
                ..DataOut::default()
            };
            self.conn.push_pdu(&Pdu::DataOut(out));
            data_sn += 1;
            off = end;
        }
    }

    /// The SCSI task `itt`, or a violation for a tag naming none.
    fn scsi_task(
        &mut self,
        itt: u32,
        op: Opcode,
        clause: &'static str,
    ) -> Result<bool, super::violation::Stop> {
        match self.session.tasks.get(&itt).map(|t| &t.kind) {
            Some(TaskKind::Scsi(_)) => Ok(true),
            _ => {
                self.violation(
                    ProtocolViolation::new(
                        ViolationKind::UnknownItt,
                        clause,
                        "the ITT of an outstanding SCSI command",
                        format!("ITT {itt:#010x}"),
                    )
                    .on(op, itt),
                )?;
                Ok(false)
            }
        }
    }

    pub(crate) fn on_data_in(&mut self, d: DataIn) -> Flow {
        let itt = d.itt;
        if !self.scsi_task(itt, Opcode::DataIn, "RFC 7143 §11.7")? {
            return Ok(());
        }
        let v = |kind, clause, expected: String, received: String| {
            ProtocolViolation::new(kind, clause, expected, received).on(Opcode::DataIn, itt)
        };
        let p = self.session.params;
        let Some(TaskKind::Scsi(t)) = self.session.tasks.get(&itt).map(|t| &t.kind) else {
            return Ok(());
        };
        if t.lost {
            return Ok(());
        }
        let is_read = matches!(t.req.data, DataDirection::Read(_));
        let (edtl, exp_sn, next_off, seq_bytes) =
            (t.edtl, t.exp_data_sn, t.next_offset, t.seq_bytes);
        let mut problems = Vec::new();
        if !is_read {
            // RFC 7143 §11.3.1: Data-In answers a command with the R bit.
            problems.push(v(
                ViolationKind::UnexpectedPdu,
                "RFC 7143 §11.3.1",
                "no Data-In for a command without R".into(),
                "Data-In".into(),
            ));
        }
        // RFC 7143 §11.7.3: S implies F; O and U exclude each other and mean
        // something only with S. Status with S is a good status only.
        if d.status_present && !d.final_bit {
            problems.push(v(
                ViolationKind::InvalidFlags,
                "RFC 7143 §11.7.3",
                "F=1 when S=1".into(),
                "S=1 F=0".into(),
            ));
        }
        if (d.overflow || d.underflow) && !d.status_present || d.overflow && d.underflow {
            problems.push(v(
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
            problems.push(v(
                ViolationKind::InvalidFlags,
                "RFC 7143 §11.7.3",
                "status with S only GOOD, CONDITION MET or INTERMEDIATE-CONDITION MET".into(),
                d.status.name().into(),
            ));
        }
        if d.acknowledge && p.error_recovery_level == 0 {
            // RFC 7143 §11.7.2: the A bit is for ErrorRecoveryLevel > 0.
            problems.push(v(
                ViolationKind::InvalidFlags,
                "RFC 7143 §11.7.2",
                "A=0 at ErrorRecoveryLevel 0".into(),
                "A=1".into(),
            ));
        }
        if !d.acknowledge && d.ttt != TTT_RESERVED {
            // RFC 7143 §11.7.5: without A the TTT is 0xffffffff.
            problems.push(v(
                ViolationKind::TargetTransferTag,
                "RFC 7143 §11.7.5",
                "TTT 0xffffffff".into(),
                format!("TTT {:#010x}", d.ttt),
            ));
        }
        if d.data_sn != exp_sn {
            // RFC 7143 §11.7.6: DataSN counts the Data-In PDUs of a command
            // from 0.
            problems.push(v(
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
            problems.push(v(
                ViolationKind::BufferOffset,
                "RFC 7143 §11.7.7",
                format!("Buffer Offset {next_off}"),
                format!("Buffer Offset {}", d.buffer_offset),
            ));
        }
        if end > u64::from(edtl) {
            // RFC 7143 §11.3.4: no more data than the Expected Data Transfer
            // Length moves; the rest is reported as overflow.
            problems.push(v(
                ViolationKind::DataOverrun,
                "RFC 7143 §11.3.4",
                format!("data within {edtl} bytes"),
                format!("bytes {}..{end}", d.buffer_offset),
            ));
        }
        if seq_bytes + len > u64::from(p.max_burst_length) {
            // RFC 7143 §13.13: a Data-In sequence carries at most
            // MaxBurstLength bytes.
            problems.push(v(
                ViolationKind::BurstLength,
                "RFC 7143 §13.13",
                format!("at most {} bytes per Data-In sequence", p.max_burst_length),
                format!("{} bytes", seq_bytes + len),
            ));
        }
        for pv in problems {
            self.violation(pv)?;
        }
        let Some(TaskKind::Scsi(t)) = self.session.tasks.get_mut(&itt).map(|t| &mut t.kind) else {
            return Ok(());
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
            return self.finish_scsi(rsp, true);
        }
        Ok(())
    }

    pub(crate) fn on_scsi_response(&mut self, r: ScsiResponse) -> Flow {
        if !self.scsi_task(r.itt, Opcode::ScsiResponse, "RFC 7143 §11.4")? {
            return Ok(());
        }
        self.finish_scsi(r, false)
    }

    /// Checks a command's status (from a SCSI Response or a Data-In with S)
    /// and ends the task.
    fn finish_scsi(&mut self, r: ScsiResponse, in_data_in: bool) -> Flow {
        let itt = r.itt;
        let op = if in_data_in {
            Opcode::DataIn
        } else {
            Opcode::ScsiResponse
        };
        let Some(TaskKind::Scsi(t)) = self.session.tasks.get(&itt).map(|t| &t.kind) else {
            return Ok(());
        };
        if t.lost {
            return self.complete_scsi(itt, TaskOutcome::DataDigestError);
        }
        let problems = super::r2t::response_problems(t, &r, in_data_in);
        for (kind, clause, expected, received) in problems {
            self.violation(ProtocolViolation::new(kind, clause, expected, received).on(op, itt))?;
        }
        let Some(TaskKind::Scsi(t)) = self.session.tasks.get(&itt).map(|t| &t.kind) else {
            return Ok(());
        };
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
        self.complete_scsi(itt, TaskOutcome::Completed(result))
    }

    pub(crate) fn complete_scsi(&mut self, itt: u32, outcome: TaskOutcome) -> Flow {
        if itt != ITT_RESERVED {
            self.session.tasks.remove(&itt);
            self.session.waiting.retain(|&w| w != itt);
        }
        self.events.push_back(Event::TaskComplete {
            task: TaskHandle(itt),
            outcome,
        });
        Ok(())
    }
}
