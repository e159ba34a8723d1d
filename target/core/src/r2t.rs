//! R2T generation (RFC 7143 §11.8): up to MaxOutstandingR2T at a time, each
//! for at most MaxBurstLength bytes, in offset order (DataSequenceInOrder).

use rtgt_proto::pdu::ReadyToTransfer;

use super::conn::ConnTable;
use super::session::SessionTable;

/// One outstanding R2T: the data sequence it asked for.
#[derive(Debug, Clone)]
pub(crate) struct R2t {
    pub offset: u32,
    pub len: u32,
    /// Bytes of this sequence received.
    pub received: u32,
    /// The next DataSN in this sequence (RFC 7143 §11.7.5: from 0 per R2T).
    pub next_data_sn: u32,
}

impl ConnTable {
    /// Sends R2Ts for a task until MaxOutstandingR2T are out or all its
    /// data is asked for.
    pub fn issue_r2ts(&mut self, sessions: &mut SessionTable, serial: u64, itt: u32) {
        loop {
            let Some(s) = sessions.get_mut(&serial) else {
                return;
            };
            let max_out = usize::from(s.params.max_outstanding_r2t.max(1));
            let burst = s.params.max_burst_length.max(1);
            let ttt = s.ttt();
            let Some(t) = s.tasks.get_mut(itt) else {
                return;
            };
            // RFC 7143 §13.17: at most MaxOutstandingR2T R2Ts per task.
            if t.r2ts.len() >= max_out || t.next_r2t_offset >= t.edtl {
                return;
            }
            // RFC 7143 §13.13: a solicited sequence is at most
            // MaxBurstLength bytes.
            let len = (t.edtl - t.next_r2t_offset).min(burst);
            let offset = t.next_r2t_offset;
            t.next_r2t_offset += len;
            let r2t_sn = t.r2t_sn;
            t.r2t_sn = t.r2t_sn.wrapping_add(1);
            t.r2ts.insert(
                ttt,
                R2t {
                    offset,
                    len,
                    received: 0,
                    next_data_sn: 0,
                },
            );
            let (conn, lun) = (t.conn, t.lun);
            let (exp, max) = sessions.window(serial);
            let pdu = ReadyToTransfer {
                lun,
                itt,
                ttt,
                // RFC 7143 §11.8.3: StatSN is the next one, not advanced.
                stat_sn: self.peek_stat_sn(conn),
                exp_cmd_sn: exp,
                max_cmd_sn: max,
                r2t_sn,
                buffer_offset: offset,
                desired_data_transfer_length: len,
                ..ReadyToTransfer::default()
            };
            self.send(conn, pdu.into());
        }
    }
}
