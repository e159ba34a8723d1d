//! Checks every target PDU undergoes before its handler: reserved fields
//! and fixed bits (RFC 7143 §11: reserved fields are sent as zero), padding,
//! sequence numbers, and framing errors from the stream decoder.

use std::time::Instant;

use rtgt_proto::pdu::{DecodeError, Opcode, Pdu, RawPdu, TmfFunction, ITT_RESERVED};

use super::connection::Connection;
use super::event::{CloseReason, Event, TaskOutcome};
use super::reaction::Reaction;
use super::session::Session;
use super::violation::{Flow, ProtocolViolation, ViolationKind};
use super::window::StatSnUse;
use super::Initiator;

/// The non-zero reserved fields of a target PDU (as its layout in
/// rtgt-proto names them), the fixed bits that are wrong, and the clause of
/// its PDU format.
fn reserved_problems(pdu: &Pdu) -> (Vec<String>, &'static str) {
    let mut fixed = Vec::new();
    let mut must = |name: &str, ok: bool| {
        if !ok {
            fixed.push(name.to_owned());
        }
    };
    let clause = match pdu {
        Pdu::NopIn(p) => {
            must("F=1", p.final_bit);
            "RFC 7143 §11.19"
        }
        Pdu::ScsiResponse(p) => {
            must("F=1", p.final_bit);
            "RFC 7143 §11.4"
        }
        Pdu::TaskManagementResponse(p) => {
            must("F=1", p.final_bit);
            must("no data segment", p.data.is_empty());
            "RFC 7143 §11.6"
        }
        Pdu::LoginResponse(_) => "RFC 7143 §11.13",
        Pdu::TextResponse(_) => "RFC 7143 §11.11",
        Pdu::DataIn(_) => "RFC 7143 §11.7",
        Pdu::LogoutResponse(p) => {
            must("F=1", p.final_bit);
            must("no data segment", p.data.is_empty());
            "RFC 7143 §11.15"
        }
        Pdu::ReadyToTransfer(p) => {
            must("F=1", p.final_bit);
            must("no data segment", p.data.is_empty());
            "RFC 7143 §11.8"
        }
        Pdu::AsyncMessage(p) => {
            must("F=1", p.final_bit);
            must("ITT 0xffffffff", p.itt == ITT_RESERVED);
            "RFC 7143 §11.9"
        }
        Pdu::Reject(p) => {
            must("F=1", p.final_bit);
            must("ITT 0xffffffff", p.itt == ITT_RESERVED);
            "RFC 7143 §11.17"
        }
        // No reserved-field check for the other opcodes.
        _ => return (Vec::new(), "RFC 7143 §11"),
    };
    let mut bad: Vec<String> = pdu
        .nonzero_reserved()
        .into_iter()
        .map(|(name, bytes)| format!("{name}={bytes:02x?}"))
        .collect();
    bad.extend(fixed);
    (bad, clause)
}

/// StatSN and window fields of a target PDU.
pub(crate) struct Seq {
    pub stat: Option<(u32, StatSnUse)>,
    pub window: Option<(u32, u32)>,
}

pub(crate) fn sequence(pdu: &Pdu) -> Seq {
    use StatSnUse::{Advance, Peek};
    let (stat, window) = match pdu {
        // RFC 7143 §11.19: a NOP-In with ITT 0xffffffff does not advance
        // StatSN.
        Pdu::NopIn(p) => {
            let how = if p.itt == ITT_RESERVED { Peek } else { Advance };
            (Some((p.stat_sn, how)), Some((p.exp_cmd_sn, p.max_cmd_sn)))
        }
        Pdu::ScsiResponse(p) => (
            Some((p.stat_sn, Advance)),
            Some((p.exp_cmd_sn, p.max_cmd_sn)),
        ),
        Pdu::TaskManagementResponse(p) => (
            Some((p.stat_sn, Advance)),
            Some((p.exp_cmd_sn, p.max_cmd_sn)),
        ),
        Pdu::LoginResponse(p) => {
            let ok = p.status == rtgt_proto::pdu::LoginStatus::Success;
            (
                Some((p.stat_sn, Advance)),
                ok.then_some((p.exp_cmd_sn, p.max_cmd_sn)),
            )
        }
        Pdu::TextResponse(p) => (
            Some((p.stat_sn, Advance)),
            Some((p.exp_cmd_sn, p.max_cmd_sn)),
        ),
        // RFC 7143 §11.7.3: StatSN is valid only with the S bit.
        Pdu::DataIn(p) => (
            p.status_present.then_some((p.stat_sn, Advance)),
            Some((p.exp_cmd_sn, p.max_cmd_sn)),
        ),
        Pdu::LogoutResponse(p) => (
            Some((p.stat_sn, Advance)),
            Some((p.exp_cmd_sn, p.max_cmd_sn)),
        ),
        // RFC 7143 §11.8.2: the R2T carries the next StatSN, not advanced.
        Pdu::ReadyToTransfer(p) => (Some((p.stat_sn, Peek)), Some((p.exp_cmd_sn, p.max_cmd_sn))),
        Pdu::AsyncMessage(p) => (
            Some((p.stat_sn, Advance)),
            Some((p.exp_cmd_sn, p.max_cmd_sn)),
        ),
        Pdu::Reject(p) => (
            Some((p.stat_sn, Advance)),
            Some((p.exp_cmd_sn, p.max_cmd_sn)),
        ),
        _ => (None, None),
    };
    Seq { stat, window }
}

/// The reserved fields, fixed bits and padding of a target PDU that are
/// wrong, as one violation.
pub(crate) fn reserved_violation(raw: &RawPdu, pdu: &Pdu) -> Option<ProtocolViolation> {
    let (mut bad, clause) = reserved_problems(pdu);
    // RFC 7143 §11.2.4: the data segment is padded with zero bytes.
    if raw.padding.iter().any(|&b| b != 0) {
        bad.push(format!("padding={:02x?}", raw.padding.as_ref()));
    }
    (!bad.is_empty()).then(|| {
        ProtocolViolation::new(
            ViolationKind::ReservedField,
            clause,
            "reserved fields zero and fixed bits as defined",
            bad.join(", "),
        )
        .on(raw.opcode(), raw.itt())
    })
}

impl Initiator {
    /// Checks and takes the StatSN, ExpCmdSN and MaxCmdSN of a target PDU.
    pub(crate) fn apply_sequence(&mut self, pdu: &Pdu) -> Flow {
        let seq = sequence(pdu);
        let (op, itt) = (pdu.opcode(), pdu.itt());
        if let Some((sn, how)) = seq.stat {
            if let Some(v) = self.conn.stat_sn_gap(sn) {
                self.violation(v.on(op, itt))?;
            }
            self.conn.acknowledge(sn, how);
        }
        if let Some((exp, max)) = seq.window {
            if let Err(v) = self.session.update_window(exp, max) {
                self.violation(v.on(op, itt))?;
            }
        }
        Ok(())
    }

    pub(crate) fn handle_decode_error(&mut self, _now: Instant, e: DecodeError) -> Flow {
        match e {
            DecodeError::HeaderDigest { .. } => {
                // RFC 7143 §7.8: the PDU boundaries are lost; the connection
                // must be closed.
                self.events.push_back(Event::DigestError {
                    header: true,
                    itt: None,
                });
                self.close(CloseReason::HeaderDigest);
                Ok(())
            }
            DecodeError::DataDigest { frame, .. } => {
                let itt = frame.itt();
                self.events.push_back(Event::DigestError {
                    header: false,
                    itt: Some(itt),
                });
                // The header is sound: account its sequence numbers.
                let pdu = Pdu::decode(&frame).ok();
                if let Some(pdu) = &pdu {
                    self.apply_sequence(pdu)?;
                }
                let is_scsi = self.session.tasks.scsi(itt).is_some();
                if frame.opcode() == Opcode::DataIn && is_scsi {
                    // RFC 7143 §7.8: a lost data PDU at ErrorRecoveryLevel 0
                    // ends the command: abort it.
                    let r = self.session.lose_task(itt, &self.conn);
                    return self.react(r);
                }
                // RFC 7143 §7.8: a lost response or unsolicited PDU needs a
                // Status SNACK, a connection logout or a session reset; at
                // ErrorRecoveryLevel 0 only the reset remains.
                self.close(CloseReason::DataDigest);
                Ok(())
            }
            DecodeError::DataSegmentTooLong { bhs, length, max } => {
                let raw = RawPdu::new(*bhs, Default::default(), Default::default());
                self.violation(
                    ProtocolViolation::new(
                        ViolationKind::DataSegmentTooLong,
                        "RFC 7143 §13.12",
                        format!("DataSegmentLength <= {max} (our MaxRecvDataSegmentLength)"),
                        format!("DataSegmentLength {length}"),
                    )
                    .on(raw.opcode(), raw.itt()),
                )
            }
        }
    }
}

impl Session {
    /// Marks SCSI task `itt`, whose Data-In was lost, and aborts it (RFC
    /// 7143 §7.8); without a free tag for the abort it just ends.
    fn lose_task(&mut self, itt: u32, conn: &Connection) -> Reaction {
        let lun = match self.tasks.scsi_mut(itt) {
            Some(t) if !t.lost => {
                t.lost = true;
                t.req.lun
            }
            _ => return Reaction::default(),
        };
        let mut re = Reaction::default();
        match self.tmf_request(TmfFunction::AbortTask, lun, Some(itt), conn) {
            Ok((_, req)) => re.send(req, None),
            Err(_) => re.complete(itt, TaskOutcome::DataDigestError),
        }
        re
    }
}
