//! [`Cdb::decode`]: dispatch on the operation code and service action.

use super::opcode::{self, op, sa};
use super::*;

impl Cdb {
    /// Decodes a CDB from the first bytes of `bytes` (bytes past the CDB's
    /// length, such as the padding of the 16-byte iSCSI CDB field, are
    /// ignored). Never panics, whatever the input.
    pub fn decode(bytes: &[u8]) -> Result<Cdb, CdbError> {
        let &opcode = bytes.first().ok_or(CdbError::Empty)?;
        let sa = bytes.get(1).map_or(0, |b| b & 0x1f);
        let bad_sa = CdbError::InvalidServiceAction {
            opcode,
            service_action: sa,
        };
        if opcode::has_service_actions(opcode) {
            // Length first, so a short CDB is not blamed on its service action.
            let needed = opcode::cdb_len_from_group(opcode).unwrap_or(0);
            if bytes.len() < needed {
                return Err(CdbError::Truncated {
                    opcode,
                    needed,
                    got: bytes.len(),
                });
            }
        }
        let cdb = match opcode {
            op::TEST_UNIT_READY => TestUnitReady::decode(bytes)?.into(),
            op::REQUEST_SENSE => RequestSense::decode(bytes)?.into(),
            op::FORMAT_UNIT => FormatUnit::decode(bytes)?.into(),
            op::READ_6 => Read6::decode(bytes)?.into(),
            op::WRITE_6 => Write6::decode(bytes)?.into(),
            op::INQUIRY => Inquiry::decode(bytes)?.into(),
            op::MODE_SELECT_6 => ModeSelect6::decode(bytes)?.into(),
            op::RESERVE_6 => Reserve6::decode(bytes)?.into(),
            op::RELEASE_6 => Release6::decode(bytes)?.into(),
            op::MODE_SENSE_6 => ModeSense6::decode(bytes)?.into(),
            op::START_STOP_UNIT => StartStopUnit::decode(bytes)?.into(),
            op::PREVENT_ALLOW_MEDIUM_REMOVAL => PreventAllowMediumRemoval::decode(bytes)?.into(),
            op::READ_CAPACITY_10 => ReadCapacity10::decode(bytes)?.into(),
            op::READ_10 => Read10::decode(bytes)?.into(),
            op::WRITE_10 => Write10::decode(bytes)?.into(),
            op::WRITE_AND_VERIFY_10 => WriteAndVerify10::decode(bytes)?.into(),
            op::VERIFY_10 => Verify10::decode(bytes)?.into(),
            op::PRE_FETCH_10 => PreFetch10::decode(bytes)?.into(),
            op::SYNCHRONIZE_CACHE_10 => SynchronizeCache10::decode(bytes)?.into(),
            op::READ_DEFECT_DATA_10 => ReadDefectData10::decode(bytes)?.into(),
            op::WRITE_SAME_10 => WriteSame10::decode(bytes)?.into(),
            op::UNMAP => Unmap::decode(bytes)?.into(),
            // SBC-4 SANITIZE: a reserved service action is INVALID FIELD IN CDB.
            op::SANITIZE => checked_sa(Sanitize::decode(bytes)?, bad_sa)?,
            op::MODE_SELECT_10 => ModeSelect10::decode(bytes)?.into(),
            op::RESERVE_10 => Reserve10::decode(bytes)?.into(),
            op::RELEASE_10 => Release10::decode(bytes)?.into(),
            op::MODE_SENSE_10 => ModeSense10::decode(bytes)?.into(),
            // SPC-5 PERSISTENT RESERVE IN: reserved service actions are invalid.
            op::PERSISTENT_RESERVE_IN => checked_sa(PersistentReserveIn::decode(bytes)?, bad_sa)?,
            // SPC-5 PERSISTENT RESERVE OUT: reserved service actions are invalid.
            op::PERSISTENT_RESERVE_OUT => checked_sa(PersistentReserveOut::decode(bytes)?, bad_sa)?,
            // SPC-5 third-party copy: only the LID1 EXTENDED COPY is served.
            op::EXTENDED_COPY => ExtendedCopy::decode(bytes)?.into(),
            // SPC-4 RECEIVE COPY RESULTS: other service actions are not served.
            op::RECEIVE_COPY_RESULTS => checked_sa(ReceiveCopyResults::decode(bytes)?, bad_sa)?,
            op::READ_16 => Read16::decode(bytes)?.into(),
            op::COMPARE_AND_WRITE => CompareAndWrite::decode(bytes)?.into(),
            op::WRITE_16 => Write16::decode(bytes)?.into(),
            op::ORWRITE_16 => OrWrite16::decode(bytes)?.into(),
            op::WRITE_AND_VERIFY_16 => WriteAndVerify16::decode(bytes)?.into(),
            op::VERIFY_16 => Verify16::decode(bytes)?.into(),
            op::PRE_FETCH_16 => PreFetch16::decode(bytes)?.into(),
            op::SYNCHRONIZE_CACHE_16 => SynchronizeCache16::decode(bytes)?.into(),
            op::WRITE_SAME_16 => WriteSame16::decode(bytes)?.into(),
            op::WRITE_ATOMIC_16 => WriteAtomic16::decode(bytes)?.into(),
            op::SERVICE_ACTION_IN_16 => match sa {
                sa::READ_CAPACITY_16 => ReadCapacity16::decode(bytes)?.into(),
                sa::GET_LBA_STATUS => GetLbaStatus::decode(bytes)?.into(),
                _ => return Err(bad_sa),
            },
            op::REPORT_LUNS => ReportLuns::decode(bytes)?.into(),
            op::MAINTENANCE_IN => match sa {
                sa::REPORT_TARGET_PORT_GROUPS => ReportTargetPortGroups::decode(bytes)?.into(),
                sa::REPORT_SUPPORTED_OPERATION_CODES => {
                    ReportSupportedOperationCodes::decode(bytes)?.into()
                }
                sa::REPORT_SUPPORTED_TASK_MANAGEMENT_FUNCTIONS => {
                    ReportSupportedTaskManagementFunctions::decode(bytes)?.into()
                }
                _ => return Err(bad_sa),
            },
            op::READ_12 => Read12::decode(bytes)?.into(),
            op::WRITE_12 => Write12::decode(bytes)?.into(),
            op::WRITE_AND_VERIFY_12 => WriteAndVerify12::decode(bytes)?.into(),
            op::VERIFY_12 => Verify12::decode(bytes)?.into(),
            op::READ_DEFECT_DATA_12 => ReadDefectData12::decode(bytes)?.into(),
            // SPC-5 §4.2.5.1: any other operation code is not supported.
            _ => return Err(CdbError::InvalidOpcode { opcode }),
        };
        Ok(cdb)
    }

    /// Like [`Cdb::decode`], but an unsupported operation code gives
    /// [`Cdb::Unknown`] holding the CDB's bytes (as many as the group code
    /// says, or all of `bytes` up to [`MAX_CDB_LEN`]), for dumps and tools.
    pub fn decode_or_unknown(bytes: &[u8]) -> Result<Cdb, CdbError> {
        match Cdb::decode(bytes) {
            Err(CdbError::InvalidOpcode { opcode }) => {
                let len = opcode::cdb_len_from_group(opcode).unwrap_or(MAX_CDB_LEN);
                let end = len.min(bytes.len());
                let rest = bytes.get(1..end).unwrap_or(&[]);
                Ok(Cdb::Unknown {
                    opcode,
                    bytes: rest.to_vec(),
                })
            }
            other => other,
        }
    }
}

/// Commands whose SERVICE ACTION is a field of their own, with values the
/// standard reserves (or rtgt does not serve).
trait OwnServiceAction: Into<Cdb> {
    fn service_action_reserved(&self) -> bool;
}

macro_rules! own_service_action {
    ($($t:ty),*) => {$(
        impl OwnServiceAction for $t {
            fn service_action_reserved(&self) -> bool {
                self.service_action.is_reserved()
            }
        }
    )*};
}
own_service_action!(
    Sanitize,
    PersistentReserveIn,
    PersistentReserveOut,
    ReceiveCopyResults
);

/// The command, or `bad_sa` (INVALID FIELD IN CDB on the SERVICE ACTION)
/// when its service action is reserved.
fn checked_sa(c: impl OwnServiceAction, bad_sa: CdbError) -> Result<Cdb, CdbError> {
    if c.service_action_reserved() {
        Err(bad_sa)
    } else {
        Ok(c.into())
    }
}
