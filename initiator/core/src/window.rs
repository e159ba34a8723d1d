//! Sequence numbers: serial arithmetic (RFC 1982), the session's CmdSN
//! window (RFC 7143 §4.2.2.1, §3.2.2.1) and the connection's StatSN
//! acknowledgement (RFC 7143 §4.2.2.2). The checks return the violation;
//! the caller reports it.

use rtgt_proto::serial::Serial;

use super::connection::Connection;
use super::session::Session;
use super::violation::{ProtocolViolation, ViolationKind};

/// How a PDU treats the connection's StatSN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatSnUse {
    /// A response or status: StatSN must be ExpStatSN, which then advances.
    Advance,
    /// StatSN is "the next StatSN" and does not advance (R2T, unsolicited
    /// NOP-In).
    Peek,
}

impl Session {
    /// Takes the next CmdSN for a non-immediate command (RFC 7143
    /// §3.2.2.1: an immediate command carries it without taking it).
    pub(crate) fn take_cmd_sn(&mut self) -> u32 {
        let sn = self.cmd_sn;
        self.cmd_sn = self.cmd_sn.wrapping_add(1);
        sn
    }

    /// Whether the window admits one more non-immediate command (RFC 7143
    /// §3.2.2.1: CmdSN up to MaxCmdSN).
    pub(crate) fn window_open(&self) -> bool {
        Serial(self.cmd_sn).is_at_or_before(Serial(self.max_cmd_sn))
    }

    /// Takes ExpCmdSN and MaxCmdSN from a target PDU, or gives the rule they
    /// break; then neither is taken.
    pub(crate) fn update_window(&mut self, exp: u32, max: u32) -> Result<(), ProtocolViolation> {
        // RFC 7143 §4.2.2.1: MaxCmdSN - ExpCmdSN + 1 < 0 is invalid; the
        // initiator ignores both values.
        if Serial(max).is_before(Serial(exp).wrapping_sub(1)) {
            return Err(ProtocolViolation::new(
                ViolationKind::CmdSnWindow,
                "RFC 7143 §4.2.2.1",
                format!("MaxCmdSN >= ExpCmdSN - 1 = {}", exp.wrapping_sub(1)),
                format!("ExpCmdSN {exp}, MaxCmdSN {max}"),
            ));
        }
        // RFC 7143 §4.2.2.1: ExpCmdSN acknowledges every CmdSN below it;
        // it cannot pass the next CmdSN we have not yet used.
        let next = self.cmd_sn;
        if Serial(exp).is_after(Serial(next)) {
            return Err(ProtocolViolation::new(
                ViolationKind::ExpCmdSn,
                "RFC 7143 §4.2.2.1",
                format!("ExpCmdSN <= {next} (the next CmdSN unsent)"),
                format!("ExpCmdSN {exp}"),
            ));
        }
        // RFC 7143 §4.2.2.1: only values above the ones held are taken (a
        // PDU may overtake another on a different connection).
        if Serial(exp).is_after(Serial(self.exp_cmd_sn)) {
            self.exp_cmd_sn = exp;
        }
        if Serial(max).is_after(Serial(self.max_cmd_sn)) {
            self.max_cmd_sn = max;
        }
        Ok(())
    }
}

impl Connection {
    /// The gap between `stat_sn` and ExpStatSN, if any (RFC 7143 §4.2.2.2:
    /// StatSNs of a connection are consecutive; at ErrorRecoveryLevel 0 a
    /// gap cannot be recovered).
    pub(crate) fn stat_sn_gap(&self, stat_sn: u32) -> Option<ProtocolViolation> {
        let exp = self.exp_stat_sn?;
        (stat_sn != exp).then(|| {
            ProtocolViolation::new(
                ViolationKind::StatSn,
                "RFC 7143 §4.2.2.2",
                format!("StatSN {exp}"),
                format!("StatSN {stat_sn}"),
            )
        })
    }

    /// Acknowledges `stat_sn`. The first response of a connection sets the
    /// starting StatSN (RFC 7143 §11.13: the first Login Response carries
    /// it); a gap resynchronises on what the target sent.
    pub(crate) fn acknowledge(&mut self, stat_sn: u32, how: StatSnUse) {
        match how {
            StatSnUse::Advance => self.exp_stat_sn = Some(stat_sn.wrapping_add(1)),
            StatSnUse::Peek => {
                self.exp_stat_sn.get_or_insert(stat_sn);
            }
        }
    }
}
