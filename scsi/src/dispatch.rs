//! From CDB bytes to a checked [`Plan`]: unit attentions, the checks every
//! command shares, and dispatch to the command families.

use crate::config::DiskConfig;
use crate::mode::ModeState;
use crate::plan::Plan;
use crate::pr::{PrState, Registrant};
use crate::sense::ua::UnitAttentions;
use crate::sense::{invalid_field, invalid_opcode, CmdResult};
use crate::task::{Command, Nexus};
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::cdb::{op, Cdb, CdbAnswer, CdbError, FieldPointer};
use rtgt_proto::scsi::sense::Sense;

/// The state of a logical unit that commands read and change.
#[derive(Debug)]
pub(crate) struct LuState {
    pub cfg: DiskConfig,
    pub mode: ModeState,
    pub ua: UnitAttentions,
    /// Persistent reservations (SPC-5 §5.14).
    pub pr: PrState,
    /// The I_T nexus holding an SPC-2 RESERVE reservation.
    pub spc2: Option<Nexus>,
    /// Registrations PREEMPT AND ABORT removed, whose tasks the disk aborts.
    pub preempted: Vec<Registrant>,
    /// The removable medium (SBC-4 §5.13, §5.27).
    pub medium: crate::medium::Medium,
    /// A SANITIZE is running (SBC-4 §4.11).
    pub sanitizing: bool,
    /// Held EXTENDED COPY results by I_T nexus and list identifier
    /// (SPC-4 §6.18.2), oldest first.
    pub copies: Vec<(Nexus, u8, rtgt_proto::scsi::params::CopyStatus)>,
    /// The other logical units of the target, which EXTENDED COPY can
    /// reach (kept by [`crate::LunMap`]).
    pub peers: Vec<crate::xcopy::PeerLu>,
}

/// The sense of a CDB that does not decode (SPC-5 §4.2.5.1, §4.2.5.2).
pub(crate) fn cdb_error(e: CdbError) -> Sense {
    match e.answer() {
        CdbAnswer::InvalidOpcode => invalid_opcode(),
        CdbAnswer::InvalidField(p) => invalid_field(p),
    }
}

/// ILLEGAL REQUEST, INVALID FIELD IN COMMAND INFORMATION UNIT (0Eh/03h):
/// the Data-Out the transport delivered (the iSCSI expected data transfer
/// length) is shorter than the CDB asks for.
pub(crate) fn short_data_out() -> Sense {
    Sense::new(SenseKey::ILLEGAL_REQUEST, AscAscq::new(0x0e, 0x03))
}

/// Checks the CONTROL byte and reserved fields every CDB has.
pub(crate) fn common_checks(cdb: &Cdb) -> CmdResult<()> {
    if let Some(c) = cdb.control() {
        let last = cdb.encode().len().saturating_sub(1) as u16;
        // SAM-5 §5.9 and SPC-5 §4.2.5: NACA one without ACA support
        // (NORMACA zero) is INVALID FIELD IN CDB.
        if c.naca {
            return Err(invalid_field(FieldPointer::bit(last, 2)));
        }
        // SAM-5 §5.2: linked commands are obsolete; LINK one is refused.
        if c.link {
            return Err(invalid_field(FieldPointer::bit(last, 0)));
        }
    }
    // SPC-5 §4.2.5 (reserved fields): a device server may check them; rtgt
    // does and answers INVALID FIELD IN CDB.
    match cdb.reserved_violation() {
        Some(p) => Err(invalid_field(p)),
        None => Ok(()),
    }
}

impl LuState {
    pub(crate) fn new(cfg: DiskConfig) -> Self {
        LuState {
            cfg,
            mode: ModeState::default(),
            ua: UnitAttentions::default(),
            pr: PrState::default(),
            spc2: None,
            preempted: Vec::new(),
            medium: crate::medium::Medium::default(),
            copies: Vec::new(),
            peers: Vec::new(),
            sanitizing: false,
        }
    }

    /// LOGICAL UNIT RESET (SAM-5 §7.7): mode parameters go back to their
    /// defaults (rtgt saves none).
    pub(crate) fn reset(&mut self) {
        self.mode = ModeState::default();
        // SPC-2 §5.5.1: a reset releases RESERVE reservations (persistent
        // reservations survive it, SPC-5 §5.14.4).
        self.spc2 = None;
        // SBC-4 §5.13: a logical unit reset ends every prevention of
        // medium removal.
        self.medium.prevent.clear();
    }

    /// Checks one command and says what it takes.
    pub(crate) fn command(&mut self, cmd: &Command) -> CmdResult<Plan> {
        let opcode = cmd.cdb.first().copied();
        match opcode {
            // SAM-5 §5.14: INQUIRY and REPORT LUNS are processed with a unit
            // attention pending and do not clear it; REQUEST SENSE reports it.
            Some(op::INQUIRY | op::REPORT_LUNS | op::REQUEST_SENSE) => self.ua.touch(&cmd.nexus),
            // SAM-5 §5.14: any other command is answered with the oldest
            // unit attention, which is then cleared.
            _ => {
                if let Some(code) = self.ua.take(&cmd.nexus) {
                    return Err(Sense::new(SenseKey::UNIT_ATTENTION, code));
                }
            }
        }
        // SBC-4 §4.11.2: while a sanitize runs, only INQUIRY, REPORT LUNS
        // and REQUEST SENSE are served.
        if self.sanitizing && !crate::sanitize::allowed_while_sanitizing(opcode) {
            return Err(crate::sanitize::in_progress());
        }
        let cdb = Cdb::decode(&cmd.cdb).map_err(cdb_error)?;
        common_checks(&cdb)?;
        // SPC-5 §5.14.3 and SPC-2 §5.5.1: a reservation held through another
        // I_T nexus may refuse the command.
        if self.reservation_conflict(&cmd.nexus, &cdb) {
            return Ok(Plan::conflict());
        }
        self.check_medium(&cdb)?;
        let out = &cmd.data_out;
        match &cdb {
            Cdb::TestUnitReady(_) => Ok(Plan::good()),
            Cdb::RequestSense(c) => self.request_sense(&cmd.nexus, c),
            Cdb::Inquiry(c) => self.inquiry(&cmd.nexus, c),
            Cdb::ReportLuns(c) => crate::luns::report_luns(&[cmd.lun], c),
            Cdb::ReadCapacity10(_) => Ok(self.read_capacity10()),
            Cdb::ReadCapacity16(c) => Ok(self.read_capacity16(c)),
            Cdb::ModeSense6(c) => self.mode_sense6(c),
            Cdb::ModeSense10(c) => self.mode_sense10(c),
            Cdb::ModeSelect6(c) => self.mode_select6(&cmd.nexus, c, out),
            Cdb::ModeSelect10(c) => self.mode_select10(&cmd.nexus, c, out),
            Cdb::SynchronizeCache10(c) => self.sync_cache(c.lba.into(), c.number_of_blocks.into()),
            Cdb::SynchronizeCache16(c) => self.sync_cache(c.lba, c.number_of_blocks.into()),
            Cdb::StartStopUnit(c) => self.start_stop(c),
            Cdb::PreventAllowMediumRemoval(c) => self.prevent_allow(&cmd.nexus, c),
            Cdb::WriteSame10(_) | Cdb::WriteSame16(_) => self.write_same(&cdb, out),
            Cdb::Unmap(c) => self.unmap(c, out),
            Cdb::CompareAndWrite(c) => self.compare_and_write(&cdb, c, out),
            Cdb::ReportSupportedOperationCodes(c) => self.report_opcodes(c),
            Cdb::PersistentReserveIn(c) => self.persistent_reserve_in(c),
            Cdb::PersistentReserveOut(c) => self.persistent_reserve_out(&cmd.nexus, c, out),
            Cdb::Reserve6(_) | Cdb::Reserve10(_) => self.reserve_spc2(&cmd.nexus, &cdb),
            Cdb::PreFetch10(_) | Cdb::PreFetch16(_) => self.prefetch(&cdb),
            Cdb::OrWrite16(_) => self.orwrite(&cdb, out),
            Cdb::WriteAtomic16(c) => self.write_atomic(&cdb, c, out),
            Cdb::GetLbaStatus(c) => self.get_lba_status(c),
            Cdb::ReadDefectData10(c) => Ok(self.read_defect_data10(c)),
            Cdb::ReadDefectData12(c) => Ok(self.read_defect_data12(c)),
            Cdb::FormatUnit(c) => self.format_unit(c),
            Cdb::ReportTargetPortGroups(c) => self.report_target_port_groups(&cmd.nexus, c),
            Cdb::ReportSupportedTaskManagementFunctions(c) => Ok(self.report_tmfs(c)),
            Cdb::Release6(_) | Cdb::Release10(_) => self.release_spc2(&cmd.nexus, &cdb),
            Cdb::ExtendedCopy(c) => self.extended_copy(c, out),
            Cdb::Sanitize(c) => {
                let mut plan = self.sanitize(c, out)?;
                if plan.access.is_some() {
                    plan.sanitize = true;
                    plan.immediate = c.immed;
                    self.sanitizing = true;
                }
                Ok(plan)
            }
            Cdb::ReceiveCopyResults(c) => self.receive_copy_results(&cmd.nexus, c),
            Cdb::Read6(_)
            | Cdb::Read10(_)
            | Cdb::Read12(_)
            | Cdb::Read16(_)
            | Cdb::Write6(_)
            | Cdb::Write10(_)
            | Cdb::Write12(_)
            | Cdb::Write16(_)
            | Cdb::Verify10(_)
            | Cdb::Verify12(_)
            | Cdb::Verify16(_)
            | Cdb::WriteAndVerify10(_)
            | Cdb::WriteAndVerify12(_)
            | Cdb::WriteAndVerify16(_) => self.read_write(&cdb, out),
            // SPC-5 §4.2.5.1: every other command is not supported.
            _ => Err(invalid_opcode()),
        }
    }
}

/// The commands [`LuState::command`] serves, as (operation code, service
/// action), for REPORT SUPPORTED OPERATION CODES.
pub(crate) const SUPPORTED: &[(u8, Option<u8>)] = &[
    (op::TEST_UNIT_READY, None),
    (op::FORMAT_UNIT, None),
    (op::REQUEST_SENSE, None),
    (op::READ_6, None),
    (op::WRITE_6, None),
    (op::INQUIRY, None),
    (op::MODE_SELECT_6, None),
    (op::MODE_SENSE_6, None),
    (op::START_STOP_UNIT, None),
    (op::PREVENT_ALLOW_MEDIUM_REMOVAL, None),
    (op::READ_CAPACITY_10, None),
    (op::READ_10, None),
    (op::WRITE_10, None),
    (op::WRITE_AND_VERIFY_10, None),
    (op::VERIFY_10, None),
    (op::PRE_FETCH_10, None),
    (op::SYNCHRONIZE_CACHE_10, None),
    (op::READ_DEFECT_DATA_10, None),
    (op::WRITE_SAME_10, None),
    (op::UNMAP, None),
    (op::RESERVE_6, None),
    (op::RELEASE_6, None),
    (op::RESERVE_10, None),
    (op::RELEASE_10, None),
    (op::PERSISTENT_RESERVE_IN, Some(0x00)),
    (op::PERSISTENT_RESERVE_IN, Some(0x01)),
    (op::PERSISTENT_RESERVE_IN, Some(0x02)),
    (op::PERSISTENT_RESERVE_IN, Some(0x03)),
    (op::PERSISTENT_RESERVE_OUT, Some(0x00)),
    (op::PERSISTENT_RESERVE_OUT, Some(0x01)),
    (op::PERSISTENT_RESERVE_OUT, Some(0x02)),
    (op::PERSISTENT_RESERVE_OUT, Some(0x03)),
    (op::PERSISTENT_RESERVE_OUT, Some(0x04)),
    (op::PERSISTENT_RESERVE_OUT, Some(0x05)),
    (op::PERSISTENT_RESERVE_OUT, Some(0x06)),
    (op::PERSISTENT_RESERVE_OUT, Some(0x07)),
    (op::SANITIZE, Some(0x01)),
    (op::SANITIZE, Some(0x02)),
    (op::SANITIZE, Some(0x1f)),
    (op::MODE_SELECT_10, None),
    (op::MODE_SENSE_10, None),
    (op::EXTENDED_COPY, Some(0x00)),
    (op::RECEIVE_COPY_RESULTS, Some(0x00)),
    (op::RECEIVE_COPY_RESULTS, Some(0x03)),
    (op::READ_16, None),
    (op::COMPARE_AND_WRITE, None),
    (op::WRITE_16, None),
    (op::ORWRITE_16, None),
    (op::WRITE_AND_VERIFY_16, None),
    (op::VERIFY_16, None),
    (op::PRE_FETCH_16, None),
    (op::SYNCHRONIZE_CACHE_16, None),
    (op::WRITE_SAME_16, None),
    (op::WRITE_ATOMIC_16, None),
    (op::SERVICE_ACTION_IN_16, Some(0x10)),
    (op::SERVICE_ACTION_IN_16, Some(0x12)),
    (op::REPORT_LUNS, None),
    (op::MAINTENANCE_IN, Some(0x0a)),
    (op::MAINTENANCE_IN, Some(0x0c)),
    (op::MAINTENANCE_IN, Some(0x0d)),
    (op::READ_12, None),
    (op::WRITE_12, None),
    (op::WRITE_AND_VERIFY_12, None),
    (op::VERIFY_12, None),
    (op::READ_DEFECT_DATA_12, None),
];
