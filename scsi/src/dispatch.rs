//! From CDB bytes to a checked [`Plan`]: unit attentions, the checks every
//! command shares, and dispatch to the command families.

use crate::config::DiskConfig;
use crate::medium::Medium;
use crate::mode::ModeState;
use crate::plan::Plan;
use crate::pr::Reservations;
use crate::rw::Blocks;
use crate::sanitize::SanitizeState;
use crate::sense::ua::UnitAttentions;
use crate::sense::{invalid_field, invalid_opcode, CmdResult};
use crate::task::{Command, Nexus};
use crate::xcopy::{CopyManager, PeerLu};
use bytes::Bytes;
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::cdb::{op, Cdb, CdbAnswer, CdbError, FieldPointer, RequestSense};
use rtgt_proto::scsi::sense::Sense;

/// The state of a logical unit that commands read and change: its
/// configuration and one value per concern, each owning its data.
#[derive(Debug)]
pub(crate) struct LuState {
    pub cfg: DiskConfig,
    pub mode: ModeState,
    pub ua: UnitAttentions,
    /// Persistent and SPC-2 reservations (SPC-5 §5.14, SPC-2 §5.5.1).
    pub res: Reservations,
    /// The removable medium (SBC-4 §5.13, §5.27).
    pub medium: Medium,
    /// The sanitize state (SBC-4 §4.11).
    pub sanitize: SanitizeState,
    /// The copy manager: held EXTENDED COPY results and the other logical
    /// units a copy reaches (SPC-4 §6.3, §6.18).
    pub copies: CopyManager,
    /// The target port groups and their states (SPC-5, asymmetric
    /// logical unit access).
    pub alua: crate::alua::Alua,
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

/// The first `n` bytes of the Data-Out, or INVALID FIELD IN COMMAND
/// INFORMATION UNIT when fewer arrived.
pub(crate) fn data_out(out: &Bytes, n: u64) -> CmdResult<Bytes> {
    let n = usize::try_from(n).map_err(|_| short_data_out())?;
    if out.len() < n {
        return Err(short_data_out());
    }
    Ok(out.slice(..n))
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
            medium: Medium::new(cfg.removable),
            cfg,
            mode: ModeState::default(),
            ua: UnitAttentions::default(),
            res: Reservations::default(),
            sanitize: SanitizeState::default(),
            copies: CopyManager::default(),
            alua: crate::alua::Alua::default(),
        }
    }

    /// The block commands' view of this LU.
    pub(crate) fn blocks(&self) -> Blocks<'_> {
        Blocks {
            cfg: &self.cfg,
            mode: &self.mode,
        }
    }

    /// LOGICAL UNIT RESET (SAM-5 §7.7): mode parameters go back to their
    /// defaults (rtgt saves none).
    pub(crate) fn reset(&mut self) {
        self.mode = ModeState::default();
        // SPC-2 §5.5.1: a reset releases RESERVE reservations (persistent
        // reservations survive it, SPC-5 §5.14.4).
        self.res.reset();
        // SBC-4 §5.13: a logical unit reset ends every prevention of
        // medium removal.
        self.medium.reset();
    }

    /// The I_T nexus is gone (SAM-5 §6.3.4).
    pub(crate) fn nexus_loss(&mut self, nexus: &Nexus) {
        // SPC-2 §5.5.1: an I_T nexus loss releases its RESERVE reservation.
        self.res.nexus_loss(nexus);
        // SBC-4 §5.13: the loss of an I_T nexus ends its prevention of
        // medium removal.
        self.medium.nexus_loss(nexus);
    }

    /// This LU as a copy reaches it (`lun` as [`PeerLu::lun`]).
    pub(crate) fn as_peer(&self, lun: Option<u16>) -> PeerLu {
        PeerLu {
            lun,
            naa: self.cfg.naa(),
            block_bytes: self.cfg.block_bytes(),
            blocks: self.cfg.blocks,
            write_protect: self.blocks().write_protect(),
            no_medium: !self.medium.loaded(),
        }
    }

    /// SPC-5 §6.39: the sense data of a pending unit attention (which is
    /// then cleared), or NO SENSE; in the format DESC asks for.
    fn request_sense(&mut self, nexus: &Nexus, cdb: &RequestSense) -> Plan {
        // SPC-5 §6.39: with no unit attention, the sense data describes the
        // logical unit's state: a sanitize in progress or an ejected medium
        // (SBC-4 §4.11, §4.3), else NO SENSE.
        let sense = match self.ua.take(nexus) {
            Some(code) => Sense::new(SenseKey::UNIT_ATTENTION, code),
            None if self.sanitize.running() => crate::sanitize::in_progress(),
            None if !self.medium.loaded() => crate::medium::no_medium(),
            None => Sense::new(SenseKey::NO_SENSE, AscAscq::NO_ADDITIONAL_SENSE),
        };
        let data = sense.encode_for(cdb.desc);
        Plan::data(crate::plan::cut(data, cdb.allocation_length.into()))
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
        // SPC-5, "Target port asymmetric access states": the state of the
        // command's target port group decides which commands are served.
        self.alua.check(&cmd.nexus, &cmd.cdb)?;
        // SPC-5, SET TARGET PORT GROUPS command (MAINTENANCE OUT, 0Ah).
        if opcode == Some(crate::alua::MAINTENANCE_OUT)
            && cmd.cdb.get(1).map(|b| b & 0x1f) == Some(crate::alua::SA_SET_TARGET_PORT_GROUPS)
        {
            let (nexus, out) = (&cmd.nexus, &cmd.data_out);
            return self.alua.set(&mut self.ua, nexus, &cmd.cdb, out);
        }
        // SBC-4 §4.11.2: while a sanitize runs, only INQUIRY, REPORT LUNS
        // and REQUEST SENSE are served.
        self.sanitize.check(opcode)?;
        let cdb = Cdb::decode(&cmd.cdb).map_err(cdb_error)?;
        common_checks(&cdb)?;
        // SPC-5 §5.14.3 and SPC-2 §5.5.1: a reservation held through another
        // I_T nexus may refuse the command.
        if self.res.conflict(&cmd.nexus, &cdb) {
            return Ok(Plan::conflict());
        }
        self.medium.check(&cdb)?;
        let (nexus, out) = (&cmd.nexus, &cmd.data_out);
        let cfg = &self.cfg;
        match &cdb {
            Cdb::TestUnitReady(_) => Ok(Plan::good()),
            Cdb::RequestSense(c) => Ok(self.request_sense(nexus, c)),
            Cdb::Inquiry(c) => crate::inquiry::inquiry(cfg, &self.alua, nexus, c),
            Cdb::ReportLuns(c) => crate::luns::report_luns(&[cmd.lun], c),
            Cdb::ReadCapacity10(_) => Ok(crate::capacity::read_capacity10(cfg)),
            Cdb::ReadCapacity16(c) => Ok(crate::capacity::read_capacity16(cfg, c)),
            Cdb::ModeSense6(c) => self.mode.sense(cfg, c.into()),
            Cdb::ModeSense10(c) => self.mode.sense(cfg, c.into()),
            Cdb::ModeSelect6(c) => self.mode.select(cfg, &mut self.ua, nexus, c.into(), out),
            Cdb::ModeSelect10(c) => self.mode.select(cfg, &mut self.ua, nexus, c.into(), out),
            Cdb::SynchronizeCache10(c) => self
                .blocks()
                .sync_cache(c.lba.into(), c.number_of_blocks.into()),
            Cdb::SynchronizeCache16(c) => {
                self.blocks().sync_cache(c.lba, c.number_of_blocks.into())
            }
            Cdb::StartStopUnit(c) => self.medium.start_stop(c),
            Cdb::PreventAllowMediumRemoval(c) => self.medium.prevent_allow(nexus, c),
            Cdb::WriteSame10(_) | Cdb::WriteSame16(_) => self.blocks().write_same(&cdb, out),
            Cdb::Unmap(c) => self.blocks().unmap(c, out),
            Cdb::CompareAndWrite(c) => self.blocks().compare_and_write(&cdb, c, out),
            Cdb::ReportSupportedOperationCodes(c) => crate::opcodes::report_opcodes(cfg, c),
            Cdb::PersistentReserveIn(c) => self.res.persistent_reserve_in(c, cfg.persist),
            Cdb::PersistentReserveOut(c) => {
                let persist = cfg.persist;
                self.res
                    .persistent_reserve_out(nexus, c, out, persist, &mut self.ua)
            }
            Cdb::Reserve6(_) | Cdb::Reserve10(_) => self.res.reserve_spc2(nexus, &cdb),
            Cdb::PreFetch10(_) | Cdb::PreFetch16(_) => self.blocks().prefetch(&cdb),
            Cdb::OrWrite16(_) => self.blocks().orwrite(&cdb, out),
            Cdb::WriteAtomic16(c) => self.blocks().write_atomic(&cdb, c, out),
            Cdb::GetLbaStatus(c) => self.blocks().get_lba_status(c),
            Cdb::ReadDefectData10(c) => Ok(crate::sbc_more::read_defect_data10(c)),
            Cdb::ReadDefectData12(c) => Ok(crate::sbc_more::read_defect_data12(c)),
            Cdb::FormatUnit(c) => self.blocks().format_unit(c),
            Cdb::ReportTargetPortGroups(c) => self.alua.report(nexus, c),
            Cdb::ReportSupportedTaskManagementFunctions(c) => Ok(crate::spc_more::report_tmfs(c)),
            Cdb::Release6(_) | Cdb::Release10(_) => self.res.release_spc2(nexus, &cdb),
            Cdb::ExtendedCopy(c) => self.copies.extended_copy(self.as_peer(None), c, out),
            Cdb::Sanitize(c) => {
                let plan = self.blocks().sanitize(c, out)?;
                Ok(self.sanitize.begin(plan))
            }
            Cdb::ReceiveCopyResults(c) => {
                let block_bytes = cfg.block_bytes();
                self.copies.receive_copy_results(nexus, c, block_bytes)
            }
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
            | Cdb::WriteAndVerify16(_) => self.blocks().read_write(&cdb, out),
            // SPC-5 §4.2.5.1: every other command is not supported.
            _ => Err(invalid_opcode()),
        }
    }
}

/// The commands [`LuState::command`] serves, for REPORT SUPPORTED OPERATION
/// CODES: each operation code with its service actions (none for a
/// command without).
pub(crate) const SUPPORTED: &[(u8, &[u8])] = &[
    (op::TEST_UNIT_READY, &[]),
    (op::FORMAT_UNIT, &[]),
    (op::REQUEST_SENSE, &[]),
    (op::READ_6, &[]),
    (op::WRITE_6, &[]),
    (op::INQUIRY, &[]),
    (op::MODE_SELECT_6, &[]),
    (op::MODE_SENSE_6, &[]),
    (op::START_STOP_UNIT, &[]),
    (op::PREVENT_ALLOW_MEDIUM_REMOVAL, &[]),
    (op::READ_CAPACITY_10, &[]),
    (op::READ_10, &[]),
    (op::WRITE_10, &[]),
    (op::WRITE_AND_VERIFY_10, &[]),
    (op::VERIFY_10, &[]),
    (op::PRE_FETCH_10, &[]),
    (op::SYNCHRONIZE_CACHE_10, &[]),
    (op::READ_DEFECT_DATA_10, &[]),
    (op::WRITE_SAME_10, &[]),
    (op::UNMAP, &[]),
    (op::RESERVE_6, &[]),
    (op::RELEASE_6, &[]),
    (op::RESERVE_10, &[]),
    (op::RELEASE_10, &[]),
    (op::PERSISTENT_RESERVE_IN, &[0x00, 0x01, 0x02, 0x03]),
    (
        op::PERSISTENT_RESERVE_OUT,
        &[0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07],
    ),
    (op::SANITIZE, &[0x01, 0x02, 0x1f]),
    (op::MODE_SELECT_10, &[]),
    (op::MODE_SENSE_10, &[]),
    (op::EXTENDED_COPY, &[0x00]),
    (op::RECEIVE_COPY_RESULTS, &[0x00, 0x03]),
    (op::READ_16, &[]),
    (op::COMPARE_AND_WRITE, &[]),
    (op::WRITE_16, &[]),
    (op::ORWRITE_16, &[]),
    (op::WRITE_AND_VERIFY_16, &[]),
    (op::VERIFY_16, &[]),
    (op::PRE_FETCH_16, &[]),
    (op::SYNCHRONIZE_CACHE_16, &[]),
    (op::WRITE_SAME_16, &[]),
    (op::WRITE_ATOMIC_16, &[]),
    (op::SERVICE_ACTION_IN_16, &[0x10, 0x12]),
    (op::REPORT_LUNS, &[]),
    (op::MAINTENANCE_IN, &[0x0a, 0x0c, 0x0d]),
    (op::READ_12, &[]),
    (op::WRITE_12, &[]),
    (op::WRITE_AND_VERIFY_12, &[]),
    (op::VERIFY_12, &[]),
    (op::READ_DEFECT_DATA_12, &[]),
];
