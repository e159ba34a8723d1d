//! Sense keys and additional sense codes (SPC-5 §4.4.8, annex F).
//!
//! [`SenseKey`] names the class of a condition; [`AscAscq`] pairs the
//! additional sense code with its qualifier. [`AscAscq::name`] looks a pair up
//! in a static table sorted by code, so a name is found by bisection.

mod table;

use core::fmt;

/// A sense key (SPC-5 §4.4.8, table 52). Only the low four bits are used on
/// the wire; the newtype keeps whatever value it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SenseKey(pub u8);

impl SenseKey {
    pub const NO_SENSE: SenseKey = SenseKey(0x0);
    pub const RECOVERED_ERROR: SenseKey = SenseKey(0x1);
    pub const NOT_READY: SenseKey = SenseKey(0x2);
    pub const MEDIUM_ERROR: SenseKey = SenseKey(0x3);
    pub const HARDWARE_ERROR: SenseKey = SenseKey(0x4);
    pub const ILLEGAL_REQUEST: SenseKey = SenseKey(0x5);
    pub const UNIT_ATTENTION: SenseKey = SenseKey(0x6);
    pub const DATA_PROTECT: SenseKey = SenseKey(0x7);
    pub const BLANK_CHECK: SenseKey = SenseKey(0x8);
    pub const VENDOR_SPECIFIC: SenseKey = SenseKey(0x9);
    pub const COPY_ABORTED: SenseKey = SenseKey(0xa);
    pub const ABORTED_COMMAND: SenseKey = SenseKey(0xb);
    /// Obsolete (EQUAL in SPC-2), reserved since SPC-3.
    pub const RESERVED_C: SenseKey = SenseKey(0xc);
    pub const VOLUME_OVERFLOW: SenseKey = SenseKey(0xd);
    pub const MISCOMPARE: SenseKey = SenseKey(0xe);
    pub const COMPLETED: SenseKey = SenseKey(0xf);

    /// The standard's name of the key (low four bits).
    pub const fn name(self) -> &'static str {
        match self.0 & 0x0f {
            0x0 => "NO SENSE",
            0x1 => "RECOVERED ERROR",
            0x2 => "NOT READY",
            0x3 => "MEDIUM ERROR",
            0x4 => "HARDWARE ERROR",
            0x5 => "ILLEGAL REQUEST",
            0x6 => "UNIT ATTENTION",
            0x7 => "DATA PROTECT",
            0x8 => "BLANK CHECK",
            0x9 => "VENDOR SPECIFIC",
            0xa => "COPY ABORTED",
            0xb => "ABORTED COMMAND",
            0xc => "RESERVED",
            0xd => "VOLUME OVERFLOW",
            0xe => "MISCOMPARE",
            _ => "COMPLETED",
        }
    }
}

impl fmt::Display for SenseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An additional sense code and its qualifier (SPC-5 §4.4.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct AscAscq {
    pub asc: u8,
    pub ascq: u8,
}

/// Declares named constants for the codes a disk target and its initiators meet.
macro_rules! codes {
    ($($name:ident = ($asc:expr, $ascq:expr);)*) => {
        impl AscAscq {
            $(pub const $name: AscAscq = AscAscq { asc: $asc, ascq: $ascq };)*
        }
    };
}

codes! {
    NO_ADDITIONAL_SENSE = (0x00, 0x00);
    OPERATION_IN_PROGRESS = (0x00, 0x16);
    LUN_NOT_READY = (0x04, 0x00);
    LUN_BECOMING_READY = (0x04, 0x01);
    LUN_NOT_READY_INIT_REQUIRED = (0x04, 0x02);
    LUN_NOT_READY_MANUAL_INTERVENTION = (0x04, 0x03);
    LUN_NOT_READY_FORMAT_IN_PROGRESS = (0x04, 0x04);
    LUN_NOT_READY_OPERATION_IN_PROGRESS = (0x04, 0x07);
    LUN_NOT_ACCESSIBLE_TRANSITION = (0x04, 0x0a);
    LUN_NOT_ACCESSIBLE_STANDBY = (0x04, 0x0b);
    LUN_NOT_ACCESSIBLE_UNAVAILABLE = (0x04, 0x0c);
    LUN_NOT_READY_OFFLINE = (0x04, 0x12);
    LUN_NOT_READY_SPACE_ALLOCATION = (0x04, 0x14);
    LUN_NOT_READY_SANITIZE_IN_PROGRESS = (0x04, 0x1b);
    LUN_COMMUNICATION_FAILURE = (0x08, 0x00);
    WRITE_ERROR = (0x0c, 0x00);
    COPY_ERROR_THIRD_PARTY = (0x0d, 0x00);
    THIRD_PARTY_DEVICE_FAILURE = (0x0d, 0x01);
    COPY_TARGET_NOT_REACHABLE = (0x0d, 0x02);
    INCORRECT_COPY_TARGET_TYPE = (0x0d, 0x03);
    COPY_TARGET_DATA_UNDERRUN = (0x0d, 0x04);
    COPY_TARGET_DATA_OVERRUN = (0x0d, 0x05);
    GUARD_CHECK_FAILED = (0x10, 0x01);
    APPLICATION_TAG_CHECK_FAILED = (0x10, 0x02);
    REFERENCE_TAG_CHECK_FAILED = (0x10, 0x03);
    UNRECOVERED_READ_ERROR = (0x11, 0x00);
    PARAMETER_LIST_LENGTH_ERROR = (0x1a, 0x00);
    MISCOMPARE_DURING_VERIFY = (0x1d, 0x00);
    INVALID_COMMAND_OPERATION_CODE = (0x20, 0x00);
    LBA_OUT_OF_RANGE = (0x21, 0x00);
    UNALIGNED_WRITE_COMMAND = (0x21, 0x04);
    MISALIGNED_WRITE_COMMAND = (0x21, 0x08);
    INVALID_FIELD_IN_CDB = (0x24, 0x00);
    LOGICAL_UNIT_NOT_SUPPORTED = (0x25, 0x00);
    INVALID_FIELD_IN_PARAMETER_LIST = (0x26, 0x00);
    PARAMETER_NOT_SUPPORTED = (0x26, 0x01);
    PARAMETER_VALUE_INVALID = (0x26, 0x02);
    THRESHOLD_PARAMETERS_NOT_SUPPORTED = (0x26, 0x03);
    INVALID_RELEASE_OF_PERSISTENT_RESERVATION = (0x26, 0x04);
    TOO_MANY_TARGET_DESCRIPTORS = (0x26, 0x06);
    UNSUPPORTED_TARGET_DESCRIPTOR_TYPE = (0x26, 0x07);
    TOO_MANY_SEGMENT_DESCRIPTORS = (0x26, 0x08);
    UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE = (0x26, 0x09);
    WRITE_PROTECTED = (0x27, 0x00);
    HARDWARE_WRITE_PROTECTED = (0x27, 0x01);
    SOFTWARE_WRITE_PROTECTED = (0x27, 0x02);
    SPACE_ALLOCATION_FAILED_WRITE_PROTECT = (0x27, 0x07);
    MEDIUM_MAY_HAVE_CHANGED = (0x28, 0x00);
    POWER_ON_RESET = (0x29, 0x00);
    POWER_ON_OCCURRED = (0x29, 0x01);
    SCSI_BUS_RESET_OCCURRED = (0x29, 0x02);
    BUS_DEVICE_RESET_FUNCTION_OCCURRED = (0x29, 0x03);
    DEVICE_INTERNAL_RESET = (0x29, 0x04);
    I_T_NEXUS_LOSS_OCCURRED = (0x29, 0x07);
    PARAMETERS_CHANGED = (0x2a, 0x00);
    MODE_PARAMETERS_CHANGED = (0x2a, 0x01);
    LOG_PARAMETERS_CHANGED = (0x2a, 0x02);
    RESERVATIONS_PREEMPTED = (0x2a, 0x03);
    RESERVATIONS_RELEASED = (0x2a, 0x04);
    REGISTRATIONS_PREEMPTED = (0x2a, 0x05);
    ASYMMETRIC_ACCESS_STATE_CHANGED = (0x2a, 0x06);
    CAPACITY_DATA_HAS_CHANGED = (0x2a, 0x09);
    COMMAND_SEQUENCE_ERROR = (0x2c, 0x00);
    COMMANDS_CLEARED_BY_ANOTHER_INITIATOR = (0x2f, 0x00);
    COMMANDS_CLEARED_BY_DEVICE_SERVER = (0x2f, 0x02);
    MEDIUM_FORMAT_CORRUPTED = (0x31, 0x00);
    THIN_PROVISIONING_SOFT_THRESHOLD_REACHED = (0x38, 0x07);
    SAVING_PARAMETERS_NOT_SUPPORTED = (0x39, 0x00);
    MEDIUM_NOT_PRESENT = (0x3a, 0x00);
    MEDIUM_NOT_PRESENT_TRAY_CLOSED = (0x3a, 0x01);
    MEDIUM_NOT_PRESENT_TRAY_OPEN = (0x3a, 0x02);
    LOGICAL_UNIT_FAILURE = (0x3e, 0x01);
    TARGET_OPERATING_CONDITIONS_CHANGED = (0x3f, 0x00);
    MICROCODE_CHANGED = (0x3f, 0x01);
    INQUIRY_DATA_HAS_CHANGED = (0x3f, 0x03);
    REPORTED_LUNS_DATA_HAS_CHANGED = (0x3f, 0x0e);
    INTERNAL_TARGET_FAILURE = (0x44, 0x00);
    INITIATOR_DETECTED_ERROR = (0x48, 0x00);
    INVALID_MESSAGE_ERROR = (0x49, 0x00);
    DATA_PHASE_ERROR = (0x4b, 0x00);
    INVALID_TARGET_PORT_TRANSFER_TAG = (0x4b, 0x01);
    TOO_MUCH_WRITE_DATA = (0x4b, 0x02);
    DATA_OFFSET_ERROR = (0x4b, 0x05);
    OVERLAPPED_COMMANDS_ATTEMPTED = (0x4e, 0x00);
    MEDIUM_REMOVAL_PREVENTED = (0x53, 0x02);
    INSUFFICIENT_RESERVATION_RESOURCES = (0x55, 0x02);
    INSUFFICIENT_RESOURCES = (0x55, 0x03);
    INSUFFICIENT_REGISTRATION_RESOURCES = (0x55, 0x04);
    FAILURE_PREDICTION_THRESHOLD_EXCEEDED = (0x5d, 0x00);
    LOW_POWER_CONDITION_ON = (0x5e, 0x00);
}

impl AscAscq {
    /// Builds a pair.
    pub const fn new(asc: u8, ascq: u8) -> Self {
        AscAscq { asc, ascq }
    }

    /// The standard's name of this pair, or `None` if it is not in the table.
    ///
    /// SPC-5 annex F: some codes take their qualifier as a parameter (40h/NNh
    /// diagnostic failure on component NN, 4Dh/NNh tagged overlapped commands,
    /// 70h/NNh decompression exception); these return the family's name.
    pub fn name(self) -> Option<&'static str> {
        if let Ok(i) = table::ASC_TABLE.binary_search_by_key(&(self.asc, self.ascq), |e| e.0) {
            return table::ASC_TABLE.get(i).map(|e| e.1);
        }
        match (self.asc, self.ascq) {
            (0x40, 0x01..=0xff) => Some("DIAGNOSTIC FAILURE ON COMPONENT NN"),
            (0x4d, _) => Some("TAGGED OVERLAPPED COMMANDS (NN = TASK TAG)"),
            (0x70, _) => Some("DECOMPRESSION EXCEPTION SHORT ALGORITHM ID OF NN"),
            // SPC-5 annex F: ASCQ 80h-FFh are vendor specific for every ASC.
            (_, 0x80..=0xff) => Some("VENDOR SPECIFIC"),
            _ => None,
        }
    }

    /// Every pair the table names, sorted by code.
    pub fn table() -> impl Iterator<Item = (AscAscq, &'static str)> {
        table::ASC_TABLE
            .iter()
            .map(|&((asc, ascq), name)| (AscAscq { asc, ascq }, name))
    }

    /// How many pairs the table holds.
    pub fn table_len() -> usize {
        table::ASC_TABLE.len()
    }
}

impl From<(u8, u8)> for AscAscq {
    fn from((asc, ascq): (u8, u8)) -> Self {
        AscAscq { asc, ascq }
    }
}

impl fmt::Display for AscAscq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02x}/{:02x}", self.asc, self.ascq)?;
        match self.name() {
            Some(n) => write!(f, " {n}"),
            None => f.write_str(" (unknown)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        let t = table::ASC_TABLE;
        assert!(t.windows(2).all(|w| w[0].0 < w[1].0), "table out of order");
        assert!(t.len() >= 150);
    }

    #[test]
    fn every_named_constant_has_a_name() {
        for c in [
            AscAscq::NO_ADDITIONAL_SENSE,
            AscAscq::INVALID_FIELD_IN_CDB,
            AscAscq::LOGICAL_UNIT_NOT_SUPPORTED,
            AscAscq::CAPACITY_DATA_HAS_CHANGED,
            AscAscq::INSUFFICIENT_REGISTRATION_RESOURCES,
            AscAscq::MISALIGNED_WRITE_COMMAND,
            AscAscq::THIN_PROVISIONING_SOFT_THRESHOLD_REACHED,
        ] {
            assert!(c.name().is_some(), "{c:?}");
        }
    }

    #[test]
    fn lookups() {
        #[rustfmt::skip]
        let names = [
            ((0x24, 0x00), Some("INVALID FIELD IN CDB")),
            ((0x21, 0x00), Some("LOGICAL BLOCK ADDRESS OUT OF RANGE")),
            ((0x3f, 0x0e), Some("REPORTED LUNS DATA HAS CHANGED")),
            ((0x29, 0x07), Some("I_T NEXUS LOSS OCCURRED")),
            ((0x40, 0x12), Some("DIAGNOSTIC FAILURE ON COMPONENT NN")),
            ((0x24, 0x90), Some("VENDOR SPECIFIC")),
            ((0x24, 0x7f), None),
        ];
        for ((asc, ascq), name) in names {
            assert_eq!(AscAscq::new(asc, ascq).name(), name, "{asc:02x}/{ascq:02x}");
        }
        assert_eq!(
            AscAscq::new(0x25, 0).to_string(),
            "25/00 LOGICAL UNIT NOT SUPPORTED"
        );
        assert_eq!(AscAscq::new(0x7f, 0x7f).to_string(), "7f/7f (unknown)");
    }

    #[test]
    fn sense_key_names() {
        assert_eq!(SenseKey::ILLEGAL_REQUEST.name(), "ILLEGAL REQUEST");
        assert_eq!(SenseKey::UNIT_ATTENTION.to_string(), "UNIT ATTENTION");
        assert_eq!(SenseKey(0xf).name(), "COMPLETED");
        assert_eq!(SenseKey(0xb).name(), "ABORTED COMMAND");
        assert_eq!(SenseKey(0x7).name(), "DATA PROTECT");
    }
}
