//! Completed commands back to the initiator: Data-In split at the
//! initiator's MaxRecvDataSegmentLength and MaxBurstLength with the status
//! in the final PDU when there is no sense (RFC 7143 §11.7), else a SCSI
//! Response (§11.4) with sense and residuals.

use bytes::Bytes;
use rtgt_proto::pdu::{DataIn, ScsiResponse, ScsiResponseCode, ScsiStatus};
use rtgt_scsi::{Completion, Reply, Residual};

use super::conn::ConnTable;
use super::events::ConnId;
use super::session::SessionTable;
use super::TargetCore;
use crate::TargetId;

/// What a SCSI Response reports of a command (RFC 7143 §11.4): its status,
/// sense data and residual.
pub(crate) struct Outcome<'a> {
    pub status: ScsiStatus,
    pub sense: &'a [u8],
    pub residual: Residual,
}

impl TargetCore {
    /// A command finished at its logical unit.
    pub(crate) fn on_completion(&mut self, target: TargetId, c: Completion) {
        let serial = c.tag >> 32;
        let itt = c.tag as u32;
        let lun = c.lun.index();
        self.tables.tmf_task_done(target, lun, c.tag);
        let Some(s) = self.tables.sessions.get_mut(&serial) else {
            return;
        };
        if s.target != Some(target) {
            return;
        }
        let Some(task) = s.tasks.remove(itt) else {
            return;
        };
        let Some(reply) = c.reply else {
            // SAM-5 §5.6: an aborted task gets no response.
            return;
        };
        let conn = task.conn;
        let open = self
            .tables
            .conns
            .get(&conn)
            .is_some_and(|c| c.session() == Some(serial));
        if open {
            self.tables.conns.send_reply(
                &mut self.tables.sessions,
                conn,
                serial,
                itt,
                task.lun,
                reply,
            );
        }
    }
}

impl ConnTable {
    fn send_reply(
        &mut self,
        sessions: &mut SessionTable,
        conn: ConnId,
        serial: u64,
        itt: u32,
        lun: rtgt_proto::pdu::Lun,
        r: Reply,
    ) {
        let status = ScsiStatus::from_raw(r.status.0);
        let collapse = r.sense.is_empty() && !r.data_in.is_empty();
        let mut data_sn = 0u32;
        if !r.data_in.is_empty() {
            let max_seg = self.max_send(conn, 8192).max(1);
            let burst = sessions
                .get(&serial)
                .map_or(262_144, |s| s.params.max_burst_length)
                .max(1);
            let total = r.data_in.len() as u32;
            let mut offset = 0u32;
            while offset < total {
                let in_burst = offset % burst;
                let len = max_seg.min(burst - in_burst).min(total - offset);
                let end = offset + len;
                let last = end == total;
                // RFC 7143 §11.7.1: F ends each Data-In sequence, at most
                // MaxBurstLength bytes (§13.13), and the last PDU.
                let final_bit = last || end % burst == 0;
                let (exp, max) = sessions.window(serial);
                let mut pdu = DataIn {
                    final_bit,
                    lun,
                    itt,
                    exp_cmd_sn: exp,
                    max_cmd_sn: max,
                    // RFC 7143 §11.7.5: DataSN counts the command's Data-In
                    // PDUs from 0.
                    data_sn,
                    buffer_offset: offset,
                    data: r.data_in.slice(offset as usize..end as usize),
                    ..DataIn::default()
                };
                if last && collapse {
                    // RFC 7143 §11.7.4: the status may ride on the last
                    // Data-In (S bit) when there is no sense data; the
                    // residual goes with it (§11.7.6).
                    let (u, o, n) = r.residual.fields();
                    pdu.status_present = true;
                    pdu.status = status;
                    pdu.underflow = u;
                    pdu.overflow = o;
                    pdu.residual_count = n;
                    pdu.stat_sn = self.take_stat_sn(conn);
                }
                self.send(conn, pdu.into());
                // Test only: with `broken-datasn`, DataSN is reused.
                data_sn += u32::from(
                    !(cfg!(feature = "broken-datasn") && rtgt_proto::mutant::on("broken-datasn")),
                );
                offset = end;
            }
        }
        if !collapse {
            let outcome = Outcome {
                status,
                sense: &r.sense,
                residual: r.residual,
            };
            self.send_response(sessions, conn, itt, outcome, data_sn);
        }
    }

    /// A SCSI Response (RFC 7143 §11.4).
    pub fn send_response(
        &mut self,
        sessions: &mut SessionTable,
        conn: ConnId,
        itt: u32,
        outcome: Outcome<'_>,
        exp_data_sn: u32,
    ) {
        let Some(serial) = self.session_of(conn) else {
            return;
        };
        let Outcome {
            status,
            sense,
            residual,
        } = outcome;
        let (u, o, n) = residual.fields();
        let (exp, max) = sessions.window(serial);
        let pdu = ScsiResponse {
            response: ScsiResponseCode::CommandCompleted,
            status,
            underflow: u,
            overflow: o,
            residual_count: n,
            itt,
            stat_sn: self.take_stat_sn(conn),
            exp_cmd_sn: exp,
            max_cmd_sn: max,
            // RFC 7143 §11.4.8: ExpDataSN is the number of Data-In PDUs
            // sent for the command.
            exp_data_sn,
            // RFC 7143 §11.4.7.2: SenseLength then the sense data.
            data: if sense.is_empty() {
                Bytes::new()
            } else {
                ScsiResponse::sense_segment(sense)
            },
            ..ScsiResponse::default()
        };
        self.send(conn, pdu.into());
    }
}
