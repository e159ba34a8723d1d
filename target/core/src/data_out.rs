//! Data-Out reassembly (RFC 7143 §11.7): unsolicited and solicited
//! sequences checked for TTT, DataSN, offset, length and the F bit.

use bytes::Bytes;
use rtgt_proto::pdu::{DataOut, Opcode, Pdu, RawPdu, RejectReason, TTT_RESERVED};
use rtgt_proto::text::TaskReporting;

use super::command::condition;
use super::events::ConnId;
use super::session::Session;
use super::tasks::TaskPhase;
use super::TargetCore;

/// How a Data-Out fits its task.
enum Verdict {
    /// Taken; the task may move on.
    Taken,
    /// Refused with a Reject of this reason; the task stays.
    Reject(RejectReason),
    /// The task ends with this iSCSI condition.
    End(rtgt_proto::scsi::asc::AscAscq),
    /// Dropped without answer.
    Drop,
}

impl TargetCore {
    /// A Data-Out PDU.
    pub(crate) fn on_data_out(&mut self, conn: ConnId, d: DataOut, raw: &RawPdu) {
        let Some(serial) = self.tables.conns.session_of(conn) else {
            return;
        };
        let verdict = self
            .tables
            .sessions
            .get_mut(&serial)
            .map_or(Verdict::Drop, |s| {
                if s.target.is_none() {
                    // RFC 7143 §4.3: a discovery session takes only Text
                    // (SendTargets) and Logout; "All other requests MUST
                    // be rejected", a Data-Out too, even one no task
                    // could own.
                    Verdict::Reject(RejectReason::ProtocolError)
                } else {
                    s.take_data_out(conn, &d)
                }
            });
        match verdict {
            Verdict::Taken => self.advance_write(serial, d.itt),
            Verdict::Reject(reason) => {
                self.tables.events.peer_error(
                    conn,
                    self.tables.conns.peer_of(conn),
                    format!("Data-Out of ITT {:#x} refused", d.itt),
                );
                self.tables.reject(conn, raw, reason);
            }
            Verdict::End(asc) => {
                if let Some(s) = self.tables.sessions.get_mut(&serial) {
                    s.tasks.remove(d.itt);
                }
                self.tables
                    .conns
                    .fail_command(&mut self.tables.sessions, conn, d.itt, asc);
                self.release_held(serial);
            }
            Verdict::Drop => {
                self.tables.events.peer_error(
                    conn,
                    self.tables.conns.peer_of(conn),
                    format!("Data-Out for ended task {:#x} dropped", d.itt),
                );
            }
        }
    }

    /// A PDU failed its data digest (RFC 7143 §7.8). For a Data-Out the
    /// task keeps collecting its data, then ends with PROTOCOL SERVICE CRC
    /// ERROR; other PDUs are just discarded (the Reject was sent).
    pub(crate) fn data_digest_error(&mut self, conn: ConnId, frame: &RawPdu) {
        if frame.opcode() != Opcode::DataOut {
            // RFC 7143 §7.8: a command with immediate data follows the rule
            // of non-data PDUs: discarded, no task, no response. §7.3: its
            // CmdSN is not counted even though the header was sound; the
            // initiator plugs the gap by sending the command again (§7.2.1)
            // or by ABORT TASK with its RefCmdSN (§11.5.1).
            return;
        }
        let Ok(Pdu::DataOut(mut d)) = Pdu::decode(frame) else {
            return;
        };
        let Some(serial) = self.tables.conns.session_of(conn) else {
            return;
        };
        // The bytes are untrustworthy: account for them as zeros so the
        // sequence bookkeeping goes on.
        d.data = Bytes::from(vec![0u8; d.data.len()]);
        let itt = d.itt;
        let verdict = self
            .tables
            .sessions
            .get_mut(&serial)
            .map_or(Verdict::Drop, |s| s.take_data_out(conn, &d));
        if let Verdict::Taken = verdict {
            if let Some(t) = self
                .tables
                .sessions
                .get_mut(&serial)
                .and_then(|s| s.tasks.get_mut(itt))
            {
                t.crc_error = true;
            }
            self.advance_write(serial, itt);
        }
    }
}

impl Session {
    /// Takes a Data-Out into its task, or says why not.
    fn take_data_out(&mut self, conn: ConnId, d: &DataOut) -> Verdict {
        let Some(t) = self.tasks.get_mut(d.itt) else {
            // Unsolicited data of a task that already ended (for example
            // with a CHECK CONDITION) may still be on the wire: dropped.
            // Data for a TTT we never gave is an invalid field (RFC 7143
            // §11.17.1).
            // Under TaskReporting=FastAbort (RFC 7143 §4.2.3.4) a task set
            // function ends writes at once but leaves "all active
            // 'affected TTTs' ... valid": their Data-Out is dropped too.
            let fast = self.params.task_reporting == TaskReporting::FastAbort;
            return if d.ttt == TTT_RESERVED || fast {
                Verdict::Drop
            } else {
                Verdict::Reject(RejectReason::InvalidPduField)
            };
        };
        if t.conn != conn || t.phase == TaskPhase::Submitted || !t.write {
            // RFC 7143 §4.2.2.1 and §11.7: a task's data comes on its own
            // connection, before the command runs, for a write only.
            return Verdict::Reject(RejectReason::ProtocolError);
        }
        let len = d.data.len() as u32;
        let received = t.received();
        if d.ttt == TTT_RESERVED {
            // Unsolicited data (RFC 7143 §11.7.4: TTT 0xffffffff).
            if received >= t.unsol_end {
                // RFC 7143 §13.14, §11.4.7.2: unsolicited data beyond
                // FirstBurstLength.
                return Verdict::End(condition::INCORRECT_AMOUNT_OF_DATA);
            }
            // RFC 7143 §13.18 (DataPDUInOrder=Yes): offsets follow on.
            if d.buffer_offset != received {
                return Verdict::Reject(RejectReason::ProtocolError);
            }
            // RFC 7143 §11.7.5: DataSN counts the PDUs of the sequence.
            if d.data_sn != t.unsol_data_sn {
                return Verdict::Reject(RejectReason::ProtocolError);
            }
            if received + len > t.unsol_end {
                return Verdict::End(condition::INCORRECT_AMOUNT_OF_DATA);
            }
            t.data.extend_from_slice(&d.data);
            t.unsol_data_sn += 1;
            if d.final_bit && t.received() < t.unsol_end {
                // RFC 7143 §11.7.1: F ends the unsolicited burst; what is
                // left is solicited.
                t.unsol_end = t.received();
                t.next_r2t_offset = t.received();
            }
            return Verdict::Taken;
        }
        let Some(r) = t.r2ts.get_mut(&d.ttt) else {
            // RFC 7143 §11.7.4: the TTT must be one of our R2Ts.
            return Verdict::Reject(RejectReason::InvalidPduField);
        };
        // RFC 7143 §13.18, §13.19: in-order PDUs and sequences.
        if d.buffer_offset != r.offset + r.received || d.buffer_offset != received {
            return Verdict::Reject(RejectReason::ProtocolError);
        }
        // RFC 7143 §11.7.5: DataSN from 0 within each R2T's sequence.
        if d.data_sn != r.next_data_sn {
            return Verdict::Reject(RejectReason::ProtocolError);
        }
        // RFC 7143 §11.8.4: no more than the R2T's Desired Data Transfer
        // Length.
        if r.received + len > r.len {
            return Verdict::Reject(RejectReason::ProtocolError);
        }
        let complete = r.received + len == r.len;
        // RFC 7143 §11.7.1: F marks the last PDU of the sequence, and only
        // it.
        if d.final_bit != complete {
            return Verdict::Reject(RejectReason::ProtocolError);
        }
        r.received += len;
        r.next_data_sn += 1;
        if complete {
            t.r2ts.remove(&d.ttt);
        }
        t.data.extend_from_slice(&d.data);
        Verdict::Taken
    }
}
