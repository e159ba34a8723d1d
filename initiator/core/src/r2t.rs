//! Ready To Transfer (RFC 7143 §11.8): checking each R2T against the
//! negotiated limits and answering it with Data-Out; and the rules a
//! command's final status must meet (§11.4).

use rtgt_proto::pdu::{
    DataOut, Opcode, Pdu, ReadyToTransfer, ScsiResponse, ScsiResponseCode, ScsiStatus, TTT_RESERVED,
};

use super::connection::Connection;
use super::reaction::Reaction;
use super::session::{DataDirection, Session};
use super::tasks::ScsiTask;
use super::violation::{ProtocolViolation, ViolationKind};

type Problem = (ViolationKind, &'static str, String, String);

/// What is wrong with a command's final status.
pub(crate) fn response_problems(t: &ScsiTask, r: &ScsiResponse, in_data_in: bool) -> Vec<Problem> {
    let mut out: Vec<Problem> = Vec::new();
    if r.response != ScsiResponseCode::CommandCompleted {
        // RFC 7143 §11.4.3: with a target failure the other fields carry
        // nothing to check.
        return out;
    }
    if r.bidi_overflow || r.bidi_underflow {
        // RFC 7143 §11.4.1: o and u belong to bidirectional commands.
        out.push((
            ViolationKind::InvalidFlags,
            "RFC 7143 §11.4.1",
            "o=0 u=0 for a unidirectional command".into(),
            format!(
                "o={} u={}",
                u8::from(r.bidi_overflow),
                u8::from(r.bidi_underflow)
            ),
        ));
    }
    if r.overflow && r.underflow {
        // RFC 7143 §11.4.1: O and U are mutually exclusive.
        out.push((
            ViolationKind::InvalidFlags,
            "RFC 7143 §11.4.1",
            "not both O and U".into(),
            "O=1 U=1".into(),
        ));
    }
    // RFC 7143 §11.4.5: the residual count is valid with O or U only and
    // is zero otherwise; with U it is what did not move.
    if !r.overflow && !r.underflow && r.residual_count != 0 {
        out.push((
            ViolationKind::Residual,
            "RFC 7143 §11.4.5",
            "Residual Count 0 without O or U".into(),
            format!("Residual Count {}", r.residual_count),
        ));
    }
    if !r.bidi_overflow && !r.bidi_underflow && r.bidi_read_residual_count != 0 {
        out.push((
            ViolationKind::Residual,
            "RFC 7143 §11.4.5",
            "Bidirectional Read Residual Count 0".into(),
            format!("{}", r.bidi_read_residual_count),
        ));
    }
    if (r.overflow || r.underflow) && r.residual_count == 0 {
        out.push((
            ViolationKind::Residual,
            "RFC 7143 §11.4.5",
            "a non-zero Residual Count with O or U".into(),
            "Residual Count 0".into(),
        ));
    }
    let is_read = matches!(t.req.data, DataDirection::Read(_));
    let missing = u64::from(t.edtl).saturating_sub(t.received);
    if is_read && r.underflow && u64::from(r.residual_count) != missing {
        out.push((
            ViolationKind::Residual,
            "RFC 7143 §11.4.5",
            format!("Residual Count {missing} (expected length less data received)"),
            format!("Residual Count {}", r.residual_count),
        ));
    }
    if is_read && !r.underflow && r.status == ScsiStatus::Good && missing != 0 {
        out.push((
            ViolationKind::Residual,
            "RFC 7143 §11.4.5",
            format!("U=1 with {missing} bytes not sent"),
            "U=0".into(),
        ));
    }
    let has_sense = r.sense_data().is_some_and(|s| !s.is_empty());
    if r.status == ScsiStatus::CheckCondition && !has_sense {
        // RFC 7143 §11.4.7.2: autosense is mandatory; CHECK CONDITION comes
        // with sense data.
        out.push((
            ViolationKind::Sense,
            "RFC 7143 §11.4.7.2",
            "sense data with CHECK CONDITION".into(),
            "no sense data".into(),
        ));
    }
    // RFC 7143 §11.4.7: with any other status the data segment MAY carry
    // response-related information, so it is not checked.
    // RFC 7143 §11.4.6: ExpDataSN is "the number of R2T and Data-In PDUs
    // the target has sent", and yet MUST be 0 when the target sent no
    // Data-In; a write answered with R2Ts only may thus carry 0 or the R2T
    // count. With Data-In sent, it counts them, with or without the R2Ts.
    let with_r2t = t.exp_data_sn.wrapping_add(t.exp_r2t_sn);
    let allowed = r.exp_data_sn == t.exp_data_sn || r.exp_data_sn == with_r2t;
    if !in_data_in && !allowed {
        let expected = if t.exp_r2t_sn == 0 {
            format!("ExpDataSN {}", t.exp_data_sn)
        } else {
            format!("ExpDataSN {} or {with_r2t}", t.exp_data_sn)
        };
        out.push((
            ViolationKind::ExpDataSn,
            "RFC 7143 §11.4.6",
            expected,
            format!("ExpDataSN {}", r.exp_data_sn),
        ));
    }
    out
}

impl Session {
    /// An R2T: checked, and answered with the Data-Out it asks for.
    pub(crate) fn on_r2t(&mut self, r: ReadyToTransfer, conn: &Connection) -> Reaction {
        let itt = r.itt;
        let p = self.params;
        let mrdsl = conn.max_send_data_segment_length.max(1);
        let exp_stat_sn = conn.exp_stat_sn_value();
        let v = |kind, clause, expected: String, received: String| {
            ProtocolViolation::new(kind, clause, expected, received)
                .on(Opcode::ReadyToTransfer, itt)
        };
        let t = match self.tasks.scsi(itt) {
            Some(t) if matches!(t.req.data, DataDirection::Write(_)) => t,
            _ => {
                // RFC 7143 §11.8: an R2T asks for data of an outstanding
                // write command.
                return Reaction::violation(v(
                    ViolationKind::UnknownItt,
                    "RFC 7143 §11.8",
                    "the ITT of an outstanding write command".into(),
                    format!("ITT {itt:#010x}"),
                ));
            }
        };
        let DataDirection::Write(data) = &t.req.data else {
            return Reaction::default();
        };
        let data = data.clone();
        let mut re = Reaction::default();
        if r.ttt == TTT_RESERVED {
            // RFC 7143 §11.8.4: the TTT of an R2T is a real tag.
            re.report(v(
                ViolationKind::TargetTransferTag,
                "RFC 7143 §11.8.4",
                "a TTT other than 0xffffffff".into(),
                "TTT 0xffffffff".into(),
            ));
        }
        if r.r2t_sn != t.exp_r2t_sn {
            // RFC 7143 §11.8.1: R2TSN counts the R2Ts of a command from 0.
            re.report(v(
                ViolationKind::R2tSn,
                "RFC 7143 §11.8.1",
                format!("R2TSN {}", t.exp_r2t_sn),
                format!("R2TSN {}", r.r2t_sn),
            ));
        }
        let ddtl = r.desired_data_transfer_length;
        if ddtl == 0 || ddtl > p.max_burst_length {
            // RFC 7143 §11.8.3: the desired length is not 0 and not beyond
            // MaxBurstLength (§13.13).
            re.report(v(
                ViolationKind::R2tLength,
                "RFC 7143 §11.8.3",
                format!("Desired Data Transfer Length 1..={}", p.max_burst_length),
                format!("{ddtl}"),
            ));
        }
        let end = u64::from(r.buffer_offset) + u64::from(ddtl);
        if end > u64::from(t.edtl) || r.buffer_offset < t.unsolicited_end {
            // RFC 7143 §11.8.3: the data asked for lies within the command's
            // expected length and was not already sent unsolicited.
            re.report(v(
                ViolationKind::R2tRange,
                "RFC 7143 §11.8.3",
                format!("bytes within {}..{}", t.unsolicited_end, t.edtl),
                format!("bytes {}..{end}", r.buffer_offset),
            ));
        } else if p.data_sequence_in_order && r.buffer_offset != t.next_r2t_offset {
            // RFC 7143 §13.19: with DataSequenceInOrder=Yes the sequences
            // follow each other in offset order.
            re.report(v(
                ViolationKind::R2tRange,
                "RFC 7143 §13.19",
                format!("Buffer Offset {}", t.next_r2t_offset),
                format!("Buffer Offset {}", r.buffer_offset),
            ));
        }
        if t.r2t_outstanding >= u32::from(p.max_outstanding_r2t) {
            // RFC 7143 §13.17: at most MaxOutstandingR2T R2Ts per task.
            re.report(v(
                ViolationKind::R2tOutstanding,
                "RFC 7143 §13.17",
                format!("at most {} R2Ts outstanding", p.max_outstanding_r2t),
                format!("{} outstanding", t.r2t_outstanding + 1),
            ));
        }
        let start = (r.buffer_offset as usize).min(data.len());
        let stop = (end as usize).min(data.len());
        if let Some(t) = self.tasks.scsi_mut(itt) {
            t.exp_r2t_sn = r.r2t_sn.wrapping_add(1);
            t.next_r2t_offset = stop as u32;
            if stop > start {
                t.r2t_outstanding += 1;
            }
        }
        let mut off = start;
        let mut data_sn = 0;
        while off < stop {
            let next = (off + mrdsl as usize).min(stop);
            // RFC 7143 §11.7.4-§11.7.6: TTT and LUN from the R2T, DataSN from
            // 0 within the sequence, F on its last PDU.
            let out = DataOut {
                final_bit: next == stop,
                lun: r.lun,
                itt,
                ttt: r.ttt,
                exp_stat_sn,
                data_sn,
                buffer_offset: off as u32,
                data: data.slice(off..next),
                ..DataOut::default()
            };
            let ends = (next == stop).then_some(itt);
            re.send(Pdu::DataOut(out), ends);
            data_sn += 1;
            off = next;
        }
        re
    }
}
