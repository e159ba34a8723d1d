//! Operation codes and service actions of the commands a disk target serves
//! (SPC-5, SBC-4), and the table naming them, for REPORT SUPPORTED OPERATION
//! CODES and for dumps.

/// Operation codes (byte 0).
pub mod op {
    #![allow(missing_docs)]
    pub const TEST_UNIT_READY: u8 = 0x00;
    pub const REQUEST_SENSE: u8 = 0x03;
    pub const FORMAT_UNIT: u8 = 0x04;
    pub const READ_6: u8 = 0x08;
    pub const WRITE_6: u8 = 0x0a;
    pub const INQUIRY: u8 = 0x12;
    pub const MODE_SELECT_6: u8 = 0x15;
    pub const RESERVE_6: u8 = 0x16;
    pub const RELEASE_6: u8 = 0x17;
    pub const MODE_SENSE_6: u8 = 0x1a;
    pub const START_STOP_UNIT: u8 = 0x1b;
    pub const PREVENT_ALLOW_MEDIUM_REMOVAL: u8 = 0x1e;
    pub const READ_CAPACITY_10: u8 = 0x25;
    pub const READ_10: u8 = 0x28;
    pub const WRITE_10: u8 = 0x2a;
    pub const WRITE_AND_VERIFY_10: u8 = 0x2e;
    pub const VERIFY_10: u8 = 0x2f;
    pub const PRE_FETCH_10: u8 = 0x34;
    pub const SYNCHRONIZE_CACHE_10: u8 = 0x35;
    pub const READ_DEFECT_DATA_10: u8 = 0x37;
    pub const WRITE_SAME_10: u8 = 0x41;
    pub const UNMAP: u8 = 0x42;
    pub const SANITIZE: u8 = 0x48;
    pub const MODE_SELECT_10: u8 = 0x55;
    pub const RESERVE_10: u8 = 0x56;
    pub const RELEASE_10: u8 = 0x57;
    pub const MODE_SENSE_10: u8 = 0x5a;
    pub const PERSISTENT_RESERVE_IN: u8 = 0x5e;
    pub const PERSISTENT_RESERVE_OUT: u8 = 0x5f;
    /// Third-party copy out: EXTENDED COPY (LID1) is service action 0x00.
    pub const EXTENDED_COPY: u8 = 0x83;
    /// Third-party copy in: RECEIVE COPY RESULTS service actions.
    pub const RECEIVE_COPY_RESULTS: u8 = 0x84;
    pub const READ_16: u8 = 0x88;
    pub const COMPARE_AND_WRITE: u8 = 0x89;
    pub const WRITE_16: u8 = 0x8a;
    pub const ORWRITE_16: u8 = 0x8b;
    pub const WRITE_AND_VERIFY_16: u8 = 0x8e;
    pub const VERIFY_16: u8 = 0x8f;
    pub const PRE_FETCH_16: u8 = 0x90;
    pub const SYNCHRONIZE_CACHE_16: u8 = 0x91;
    pub const WRITE_SAME_16: u8 = 0x93;
    pub const WRITE_ATOMIC_16: u8 = 0x9c;
    /// SERVICE ACTION IN (16): READ CAPACITY (16), GET LBA STATUS.
    pub const SERVICE_ACTION_IN_16: u8 = 0x9e;
    pub const REPORT_LUNS: u8 = 0xa0;
    /// MAINTENANCE IN: REPORT TARGET PORT GROUPS, REPORT SUPPORTED ...
    pub const MAINTENANCE_IN: u8 = 0xa3;
    pub const READ_12: u8 = 0xa8;
    pub const WRITE_12: u8 = 0xaa;
    pub const WRITE_AND_VERIFY_12: u8 = 0xae;
    pub const VERIFY_12: u8 = 0xaf;
    pub const READ_DEFECT_DATA_12: u8 = 0xb7;
}

/// Service actions (byte 1, bits 4-0), grouped by operation code.
pub mod sa {
    #![allow(missing_docs)]
    // SERVICE ACTION IN (16), 0x9e (SBC-4).
    pub const READ_CAPACITY_16: u8 = 0x10;
    pub const GET_LBA_STATUS: u8 = 0x12;
    // MAINTENANCE IN, 0xa3 (SPC-5).
    pub const REPORT_TARGET_PORT_GROUPS: u8 = 0x0a;
    pub const REPORT_SUPPORTED_OPERATION_CODES: u8 = 0x0c;
    pub const REPORT_SUPPORTED_TASK_MANAGEMENT_FUNCTIONS: u8 = 0x0d;
    // Third-party copy out, 0x83 (SPC-5).
    pub const EXTENDED_COPY_LID1: u8 = 0x00;
}

/// One command of the table: operation code, service action when the
/// command has service actions, name, CDB length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpInfo {
    /// OPERATION CODE.
    pub opcode: u8,
    /// SERVICE ACTION, for operation codes whose commands have them (REPORT
    /// SUPPORTED OPERATION CODES reports these one per service action).
    pub service_action: Option<u8>,
    /// Name as the standard spells it.
    pub name: &'static str,
    /// CDB length in bytes.
    pub cdb_len: u8,
}

const fn e(opcode: u8, service_action: Option<u8>, name: &'static str) -> OpInfo {
    let cdb_len = match cdb_len_from_group(opcode) {
        Some(l) => l as u8,
        None => 0,
    };
    OpInfo {
        opcode,
        service_action,
        name,
        cdb_len,
    }
}

/// Every command decoded here, ordered by operation code then service action.
pub const OPERATIONS: &[OpInfo] = &[
    e(0x00, None, "TEST UNIT READY"),
    e(0x03, None, "REQUEST SENSE"),
    e(0x04, None, "FORMAT UNIT"),
    e(0x08, None, "READ (6)"),
    e(0x0a, None, "WRITE (6)"),
    e(0x12, None, "INQUIRY"),
    e(0x15, None, "MODE SELECT (6)"),
    e(0x16, None, "RESERVE (6)"),
    e(0x17, None, "RELEASE (6)"),
    e(0x1a, None, "MODE SENSE (6)"),
    e(0x1b, None, "START STOP UNIT"),
    e(0x1e, None, "PREVENT ALLOW MEDIUM REMOVAL"),
    e(0x25, None, "READ CAPACITY (10)"),
    e(0x28, None, "READ (10)"),
    e(0x2a, None, "WRITE (10)"),
    e(0x2e, None, "WRITE AND VERIFY (10)"),
    e(0x2f, None, "VERIFY (10)"),
    e(0x34, None, "PRE-FETCH (10)"),
    e(0x35, None, "SYNCHRONIZE CACHE (10)"),
    e(0x37, None, "READ DEFECT DATA (10)"),
    e(0x41, None, "WRITE SAME (10)"),
    e(0x42, None, "UNMAP"),
    e(0x48, Some(0x01), "SANITIZE (OVERWRITE)"),
    e(0x48, Some(0x02), "SANITIZE (BLOCK ERASE)"),
    e(0x48, Some(0x03), "SANITIZE (CRYPTOGRAPHIC ERASE)"),
    e(0x48, Some(0x1f), "SANITIZE (EXIT FAILURE MODE)"),
    e(0x55, None, "MODE SELECT (10)"),
    e(0x56, None, "RESERVE (10)"),
    e(0x57, None, "RELEASE (10)"),
    e(0x5a, None, "MODE SENSE (10)"),
    e(0x5e, Some(0x00), "PERSISTENT RESERVE IN (READ KEYS)"),
    e(0x5e, Some(0x01), "PERSISTENT RESERVE IN (READ RESERVATION)"),
    e(
        0x5e,
        Some(0x02),
        "PERSISTENT RESERVE IN (REPORT CAPABILITIES)",
    ),
    e(0x5e, Some(0x03), "PERSISTENT RESERVE IN (READ FULL STATUS)"),
    e(0x5f, Some(0x00), "PERSISTENT RESERVE OUT (REGISTER)"),
    e(0x5f, Some(0x01), "PERSISTENT RESERVE OUT (RESERVE)"),
    e(0x5f, Some(0x02), "PERSISTENT RESERVE OUT (RELEASE)"),
    e(0x5f, Some(0x03), "PERSISTENT RESERVE OUT (CLEAR)"),
    e(0x5f, Some(0x04), "PERSISTENT RESERVE OUT (PREEMPT)"),
    e(
        0x5f,
        Some(0x05),
        "PERSISTENT RESERVE OUT (PREEMPT AND ABORT)",
    ),
    e(
        0x5f,
        Some(0x06),
        "PERSISTENT RESERVE OUT (REGISTER AND IGNORE EXISTING KEY)",
    ),
    e(
        0x5f,
        Some(0x07),
        "PERSISTENT RESERVE OUT (REGISTER AND MOVE)",
    ),
    e(
        0x5f,
        Some(0x08),
        "PERSISTENT RESERVE OUT (REPLACE LOST RESERVATION)",
    ),
    e(0x83, Some(0x00), "EXTENDED COPY (LID1)"),
    e(0x84, Some(0x00), "RECEIVE COPY RESULTS (COPY STATUS)"),
    e(0x84, Some(0x01), "RECEIVE COPY RESULTS (RECEIVE DATA)"),
    e(
        0x84,
        Some(0x03),
        "RECEIVE COPY RESULTS (OPERATING PARAMETERS)",
    ),
    e(
        0x84,
        Some(0x04),
        "RECEIVE COPY RESULTS (FAILED SEGMENT DETAILS)",
    ),
    e(0x88, None, "READ (16)"),
    e(0x89, None, "COMPARE AND WRITE"),
    e(0x8a, None, "WRITE (16)"),
    e(0x8b, None, "ORWRITE (16)"),
    e(0x8e, None, "WRITE AND VERIFY (16)"),
    e(0x8f, None, "VERIFY (16)"),
    e(0x90, None, "PRE-FETCH (16)"),
    e(0x91, None, "SYNCHRONIZE CACHE (16)"),
    e(0x93, None, "WRITE SAME (16)"),
    e(0x9c, None, "WRITE ATOMIC (16)"),
    e(0x9e, Some(0x10), "READ CAPACITY (16)"),
    e(0x9e, Some(0x12), "GET LBA STATUS"),
    e(0xa0, None, "REPORT LUNS"),
    e(0xa3, Some(0x0a), "REPORT TARGET PORT GROUPS"),
    e(0xa3, Some(0x0c), "REPORT SUPPORTED OPERATION CODES"),
    e(
        0xa3,
        Some(0x0d),
        "REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS",
    ),
    e(0xa8, None, "READ (12)"),
    e(0xaa, None, "WRITE (12)"),
    e(0xae, None, "WRITE AND VERIFY (12)"),
    e(0xaf, None, "VERIFY (12)"),
    e(0xb7, None, "READ DEFECT DATA (12)"),
];

/// GROUP CODE, the top three bits of the operation code (SPC-5 §4.2.5.1).
pub const fn group_code(opcode: u8) -> u8 {
    opcode >> 5
}

/// The CDB length the group code implies (SPC-5 §4.2.5.1): group 0 is 6
/// bytes, 1 and 2 are 10, 4 is 16, 5 is 12; group 3 (reserved, and 0x7f,
/// variable length) and groups 6-7 (vendor specific) have none.
pub const fn cdb_len_from_group(opcode: u8) -> Option<usize> {
    match group_code(opcode) {
        0 => Some(6),
        1 | 2 => Some(10),
        4 => Some(16),
        5 => Some(12),
        _ => None,
    }
}

/// True when the commands of `opcode` are told apart, or qualified, by a
/// service action in byte 1 bits 4-0.
pub fn has_service_actions(opcode: u8) -> bool {
    OPERATIONS
        .iter()
        .any(|o| o.opcode == opcode && o.service_action.is_some())
}

/// The table entry of a command; `service_action` is ignored for operation
/// codes without service actions.
pub fn lookup(opcode: u8, service_action: u8) -> Option<&'static OpInfo> {
    OPERATIONS
        .iter()
        .find(|o| o.opcode == opcode && o.service_action.is_none_or(|sa| sa == service_action))
}

/// The table entry of the command a CDB carries, from its first two bytes.
pub fn lookup_cdb(cdb: &[u8]) -> Option<&'static OpInfo> {
    let opcode = *cdb.first()?;
    let sa = cdb.get(1).map_or(0, |b| b & 0x1f);
    lookup(opcode, sa)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_lengths_follow_groups() {
        for w in OPERATIONS.windows(2) {
            assert!((w[0].opcode, w[0].service_action) < (w[1].opcode, w[1].service_action));
        }
        for o in OPERATIONS {
            assert!(matches!(o.cdb_len, 6 | 10 | 12 | 16), "{}", o.name);
        }
    }

    #[test]
    fn group_lengths() {
        assert_eq!(cdb_len_from_group(0x12), Some(6));
        assert_eq!(cdb_len_from_group(0x28), Some(10));
        assert_eq!(cdb_len_from_group(0x5a), Some(10));
        assert_eq!(cdb_len_from_group(0x7f), None);
        assert_eq!(cdb_len_from_group(0x88), Some(16));
        assert_eq!(cdb_len_from_group(0xa0), Some(12));
        assert_eq!(cdb_len_from_group(0xc0), None);
        assert_eq!(cdb_len_from_group(0xff), None);
    }

    #[test]
    fn lookups() {
        assert_eq!(lookup(op::READ_10, 0x1f).map(|o| o.name), Some("READ (10)"));
        assert_eq!(
            lookup(0x9e, 0x10).map(|o| o.name),
            Some("READ CAPACITY (16)")
        );
        assert_eq!(lookup(0x9e, 0x11), None);
        assert!(has_service_actions(0xa3));
        assert!(!has_service_actions(0x28));
        assert_eq!(lookup_cdb(&[0xa3, 0xec]).map(|o| o.cdb_len), Some(12));
        assert_eq!(lookup_cdb(&[]), None);
    }
}
