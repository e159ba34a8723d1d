//! SCSI status codes (SAM-5 §5.3).
//!
//! [`Status`] is a newtype over the status byte so that values the standard
//! marks obsolete or reserved survive a decode/encode round trip unchanged.

use core::fmt;

/// The status byte a device server returns for a command (SAM-5 §5.3.1, table 41).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Status(pub u8);

impl Status {
    /// The command completed without error.
    pub const GOOD: Status = Status(0x00);
    /// Sense data describes an error or exception (SAM-5 §5.3.2).
    pub const CHECK_CONDITION: Status = Status(0x02);
    /// PRE-FETCH: the requested range fits in the cache.
    pub const CONDITION_MET: Status = Status(0x04);
    /// The logical unit is busy; the application client should retry later.
    pub const BUSY: Status = Status(0x08);
    /// Obsolete (linked commands), kept for decoding old targets.
    pub const INTERMEDIATE: Status = Status(0x10);
    /// Obsolete (linked commands), kept for decoding old targets.
    pub const INTERMEDIATE_CONDITION_MET: Status = Status(0x14);
    /// The command conflicts with a persistent or SPC-2 reservation.
    pub const RESERVATION_CONFLICT: Status = Status(0x18);
    /// Obsolete (SAM-2 COMMAND TERMINATED).
    pub const COMMAND_TERMINATED: Status = Status(0x22);
    /// The task set is full.
    pub const TASK_SET_FULL: Status = Status(0x28);
    /// An ACA condition exists.
    pub const ACA_ACTIVE: Status = Status(0x30);
    /// The command was aborted by another I_T nexus (TAS=1).
    pub const TASK_ABORTED: Status = Status(0x40);

    /// Decodes a status byte; every value is kept.
    pub const fn from_byte(b: u8) -> Self {
        Status(b)
    }

    /// The status byte on the wire.
    pub const fn to_byte(self) -> u8 {
        self.0
    }

    /// SAM-5 §5.3.1: bits 0, 6 and 7 of the status byte are reserved in
    /// current SAM; a status whose value is not in table 41 is unknown.
    pub const fn is_known(self) -> bool {
        self.name().is_some()
    }

    /// The standard's name for this status, or `None` for reserved values.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x00 => "GOOD",
            0x02 => "CHECK CONDITION",
            0x04 => "CONDITION MET",
            0x08 => "BUSY",
            0x10 => "INTERMEDIATE",
            0x14 => "INTERMEDIATE-CONDITION MET",
            0x18 => "RESERVATION CONFLICT",
            0x22 => "COMMAND TERMINATED",
            0x28 => "TASK SET FULL",
            0x30 => "ACA ACTIVE",
            0x40 => "TASK ABORTED",
            _ => return None,
        })
    }

    /// True for CHECK CONDITION, the only status that carries sense data
    /// (SAM-5 §5.3.2; iSCSI may also carry sense with other statuses).
    pub const fn has_sense(self) -> bool {
        self.0 == Self::CHECK_CONDITION.0
    }
}

impl From<u8> for Status {
    fn from(b: u8) -> Self {
        Status(b)
    }
}

impl From<Status> for u8 {
    fn from(s: Status) -> Self {
        s.0
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "reserved status {:#04x}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_sam5_table_41() {
        assert_eq!(Status::GOOD.name(), Some("GOOD"));
        assert_eq!(Status(0x02).to_string(), "CHECK CONDITION");
        assert_eq!(Status(0x04).name(), Some("CONDITION MET"));
        assert_eq!(Status(0x08).name(), Some("BUSY"));
        assert_eq!(Status(0x18).name(), Some("RESERVATION CONFLICT"));
        assert_eq!(Status(0x28).name(), Some("TASK SET FULL"));
        assert_eq!(Status(0x30).name(), Some("ACA ACTIVE"));
        assert_eq!(Status(0x40).name(), Some("TASK ABORTED"));
    }

    #[test]
    fn unknown_values_are_kept() {
        let s = Status::from_byte(0x7e);
        assert!(!s.is_known());
        assert_eq!(s.to_byte(), 0x7e);
        assert_eq!(s.to_string(), "reserved status 0x7e");
        assert!(Status::CHECK_CONDITION.has_sense());
        assert!(!Status::GOOD.has_sense());
    }
}
