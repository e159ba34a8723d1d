//! What the session puts on the wire for its tasks: a SCSI Command with its
//! immediate and unsolicited data (RFC 7143 §11.3, §11.7), the command sent
//! again after a Reject (§7.2.1), and Text Requests (§11.10).

use bytes::Bytes;
use rtgt_proto::pdu::{DataOut, Pdu, ScsiCommand, TextRequest, TTT_RESERVED};

use super::connection::Connection;
use super::session::{DataDirection, Session};
use super::tasks::TaskKind;

/// How many times a command rejected for a data digest error is sent again
/// before the session is given up (RFC 7143 §7.8: session recovery).
pub(crate) const MAX_RETRIES: u8 = 3;

/// What [`Session::retry_command`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Send these PDUs: the command again.
    Send(Vec<Pdu>),
    /// [`MAX_RETRIES`] retries were spent.
    Exhausted,
    /// Not an outstanding command the target never started.
    NotApplicable,
}

impl Session {
    /// SCSI task `itt` with the next CmdSN, taken unless the command is
    /// immediate (RFC 7143 §3.2.2.1): its command PDU and unsolicited
    /// Data-Out.
    pub(crate) fn issue_command(
        &mut self,
        itt: u32,
        immediate: bool,
        conn: &Connection,
    ) -> Vec<Pdu> {
        let cmd_sn = if immediate {
            self.cmd_sn
        } else {
            self.take_cmd_sn()
        };
        self.command_pdus(itt, cmd_sn, immediate, conn)
    }

    /// The command PDU of SCSI task `itt` and its unsolicited Data-Out,
    /// with `cmd_sn`; the task records what it sent.
    pub(crate) fn command_pdus(
        &mut self,
        itt: u32,
        cmd_sn: u32,
        immediate: bool,
        conn: &Connection,
    ) -> Vec<Pdu> {
        let p = self.params;
        let mrdsl = conn.max_send_data_segment_length.max(1);
        let exp_stat_sn = conn.exp_stat_sn_value();
        let Some(task) = self.tasks.get_mut(itt) else {
            return Vec::new();
        };
        task.cmd_sn = Some(cmd_sn);
        let TaskKind::Scsi(t) = &mut task.kind else {
            return Vec::new();
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
        let mut out = vec![Pdu::ScsiCommand(cmd)];
        let mut data_sn = 0;
        let mut off = imm;
        while off < unsolicited {
            let end = off.saturating_add(mrdsl).min(unsolicited);
            // RFC 7143 §11.7.5: unsolicited data carries TTT 0xffffffff;
            // §11.7.1: F marks the last PDU of the sequence.
            out.push(Pdu::DataOut(DataOut {
                final_bit: end == unsolicited,
                itt,
                ttt: TTT_RESERVED,
                exp_stat_sn,
                data_sn,
                buffer_offset: off,
                data: write.slice(off as usize..end as usize),
                ..DataOut::default()
            }));
            data_sn += 1;
            off = end;
        }
        out
    }

    /// A command the target rejected for a data digest error, to send again
    /// (RFC 7143 §7.2.1: a retry carries the original ITT, flags, CDB and
    /// CmdSN, on the same connection), with its immediate and unsolicited
    /// data. It plugs the CmdSN gap the discarded command left (§7.3).
    pub(crate) fn retry_command(&mut self, itt: u32, conn: &Connection) -> Retry {
        let Some(task) = self.tasks.get_mut(itt) else {
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
        Retry::Send(self.command_pdus(itt, cmd_sn, immediate, conn))
    }

    /// The next Text Request of exchange `itt` (non-immediate: it takes a
    /// CmdSN, RFC 7143 §11.10).
    pub(crate) fn text_request(&mut self, itt: u32, conn: &Connection) -> Option<Pdu> {
        let cmd_sn = self.take_cmd_sn();
        let task = self.tasks.get_mut(itt)?;
        task.cmd_sn = Some(cmd_sn);
        let TaskKind::Text(t) = &mut task.kind else {
            return None;
        };
        // RFC 7143 §11.10.4: the first request has TTT 0xffffffff; a
        // continuation returns the target's TTT with an empty text.
        Some(Pdu::TextRequest(TextRequest {
            final_bit: true,
            itt,
            ttt: t.ttt,
            cmd_sn,
            exp_stat_sn: conn.exp_stat_sn_value(),
            data: t.first.take().unwrap_or_default(),
            ..TextRequest::default()
        }))
    }
}
