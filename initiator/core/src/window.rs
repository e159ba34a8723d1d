//! Sequence numbers: serial arithmetic (RFC 1982), the CmdSN window
//! (RFC 7143 §4.2.2.1) and StatSN acknowledgement (RFC 7143 §4.2.2.2).

use rtgt_proto::pdu::Opcode;
use rtgt_proto::serial::Serial;

use super::violation::{Flow, ProtocolViolation, ViolationKind};
use super::Initiator;

/// How a PDU treats the connection's StatSN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatSnUse {
    /// A response or status: StatSN must be ExpStatSN, which then advances.
    Advance,
    /// StatSN is "the next StatSN" and does not advance (R2T, unsolicited
    /// NOP-In).
    Peek,
}

impl Initiator {
    /// Checks StatSN against the connection's ExpStatSN and acknowledges it.
    pub(crate) fn take_stat_sn(
        &mut self,
        stat_sn: u32,
        how: StatSnUse,
        opcode: Opcode,
        itt: u32,
    ) -> Flow {
        let Some(exp) = self.conn.exp_stat_sn else {
            // The first response of a connection sets the starting StatSN
            // (RFC 7143 §11.13: the first Login Response carries it).
            self.conn.exp_stat_sn = Some(match how {
                StatSnUse::Advance => stat_sn.wrapping_add(1),
                StatSnUse::Peek => stat_sn,
            });
            return Ok(());
        };
        if stat_sn != exp {
            // RFC 7143 §4.2.2.2: StatSNs of a connection are consecutive; at
            // ErrorRecoveryLevel 0 a gap cannot be recovered.
            self.violation(
                ProtocolViolation::new(
                    ViolationKind::StatSn,
                    "RFC 7143 §4.2.2.2",
                    format!("StatSN {exp}"),
                    format!("StatSN {stat_sn}"),
                )
                .on(opcode, itt),
            )?;
        }
        if how == StatSnUse::Advance {
            // Lenient: resynchronise on what the target sent.
            self.conn.exp_stat_sn = Some(stat_sn.wrapping_add(1));
        }
        Ok(())
    }

    /// Checks and applies ExpCmdSN and MaxCmdSN of a target PDU, then sends
    /// commands the window now admits.
    pub(crate) fn take_window(&mut self, exp: u32, max: u32, opcode: Opcode, itt: u32) -> Flow {
        // RFC 7143 §4.2.2.1: MaxCmdSN - ExpCmdSN + 1 < 0 is invalid; the
        // initiator ignores both values.
        if Serial(max).is_before(Serial(exp).wrapping_sub(1)) {
            self.violation(
                ProtocolViolation::new(
                    ViolationKind::CmdSnWindow,
                    "RFC 7143 §4.2.2.1",
                    format!("MaxCmdSN >= ExpCmdSN - 1 = {}", exp.wrapping_sub(1)),
                    format!("ExpCmdSN {exp}, MaxCmdSN {max}"),
                )
                .on(opcode, itt),
            )?;
            return Ok(());
        }
        // RFC 7143 §4.2.2.1: ExpCmdSN acknowledges every CmdSN below it;
        // it cannot pass the next CmdSN we have not yet used.
        let next = self.session.cmd_sn;
        if Serial(exp).is_after(Serial(next)) {
            self.violation(
                ProtocolViolation::new(
                    ViolationKind::ExpCmdSn,
                    "RFC 7143 §4.2.2.1",
                    format!("ExpCmdSN <= {next} (the next CmdSN unsent)"),
                    format!("ExpCmdSN {exp}"),
                )
                .on(opcode, itt),
            )?;
            return Ok(());
        }
        // RFC 7143 §4.2.2.1: only values above the ones held are taken (a
        // PDU may overtake another on a different connection).
        if Serial(exp).is_after(Serial(self.session.exp_cmd_sn)) {
            self.session.exp_cmd_sn = exp;
        }
        if Serial(max).is_after(Serial(self.session.max_cmd_sn)) {
            self.session.max_cmd_sn = max;
        }
        Ok(())
    }

    /// Whether the window admits one more non-immediate command.
    pub(crate) fn window_open(&self) -> bool {
        Serial(self.session.cmd_sn).is_at_or_before(Serial(self.session.max_cmd_sn))
    }
}
