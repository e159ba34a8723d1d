//! The medium: START STOP UNIT (SBC-4 §5.27), PREVENT ALLOW MEDIUM
//! REMOVAL (SBC-4 §5.13), and the NOT READY answer of commands that need a
//! medium when a removable one is ejected.
//!
//! A disk configured removable (RMB one) starts with its medium loaded.
//! START STOP UNIT with LOEJ one ejects it (START zero) or loads it (START
//! one); while it is out, every command that reads or writes the medium or
//! its capacity answers NOT READY, MEDIUM NOT PRESENT. PREVENT ALLOW MEDIUM
//! REMOVAL records the prevention per I_T nexus; the medium is locked while
//! any nexus prevents removal, and the prevention of a nexus ends with its
//! PREVENT zero, its loss, and a logical unit reset.

use crate::plan::Plan;
use crate::sense::{invalid_named, CmdResult};
use crate::task::Nexus;
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::cdb::{Cdb, PreventAllowMediumRemoval, StartStopUnit};
use rtgt_proto::scsi::sense::Sense;
use std::collections::BTreeSet;

/// The medium of a logical unit: whether it is removable (RMB), loaded,
/// and which I_T nexuses prevent its removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Medium {
    removable: bool,
    loaded: bool,
    /// The I_T nexuses that prevent removal (SBC-4 §5.13).
    prevent: BTreeSet<Nexus>,
}

/// NOT READY, MEDIUM NOT PRESENT (SBC-4 §4.3, SPC-5 §4.4).
pub(crate) fn no_medium() -> Sense {
    Sense::new(SenseKey::NOT_READY, AscAscq::MEDIUM_NOT_PRESENT)
}

/// ILLEGAL REQUEST, MEDIUM REMOVAL PREVENTED (SBC-4 §5.27).
pub(crate) fn removal_prevented() -> Sense {
    Sense::new(SenseKey::ILLEGAL_REQUEST, AscAscq::MEDIUM_REMOVAL_PREVENTED)
}

/// True for the commands that need the medium: every command that reads
/// or writes blocks or reports the capacity or provisioning. INQUIRY,
/// REQUEST SENSE, REPORT LUNS, MODE SENSE and SELECT, the reservation
/// commands, REPORT SUPPORTED OPERATION CODES and the medium commands
/// themselves are served without one (SPC-5 §4.4, SBC-4 §4.3).
pub(crate) fn needs_medium(cdb: &Cdb) -> bool {
    cdb.block_io().is_some()
        || matches!(
            cdb,
            Cdb::TestUnitReady(_)
                | Cdb::ReadCapacity10(_)
                | Cdb::ReadCapacity16(_)
                | Cdb::SynchronizeCache10(_)
                | Cdb::SynchronizeCache16(_)
                | Cdb::PreFetch10(_)
                | Cdb::PreFetch16(_)
                | Cdb::WriteSame10(_)
                | Cdb::WriteSame16(_)
                | Cdb::Unmap(_)
                | Cdb::CompareAndWrite(_)
                | Cdb::OrWrite16(_)
                | Cdb::WriteAtomic16(_)
                | Cdb::GetLbaStatus(_)
                | Cdb::FormatUnit(_)
                | Cdb::ReadDefectData10(_)
                | Cdb::ReadDefectData12(_)
                | Cdb::Sanitize(_)
                | Cdb::ExtendedCopy(_)
        )
}

impl Medium {
    /// A loaded medium, removable or not.
    pub(crate) fn new(removable: bool) -> Self {
        Medium {
            removable,
            loaded: true,
            prevent: BTreeSet::new(),
        }
    }

    /// False while a removable medium is ejected.
    pub(crate) fn loaded(&self) -> bool {
        self.loaded
    }

    /// SBC-4 §5.13: a logical unit reset ends every prevention of removal.
    pub(crate) fn reset(&mut self) {
        self.prevent.clear();
    }

    /// SBC-4 §5.13: the loss of an I_T nexus ends its prevention.
    pub(crate) fn nexus_loss(&mut self, nexus: &Nexus) {
        self.prevent.remove(nexus);
    }

    /// NOT READY, MEDIUM NOT PRESENT for a command that needs the medium
    /// while it is ejected.
    pub(crate) fn check(&self, cdb: &Cdb) -> CmdResult<()> {
        if !self.loaded && needs_medium(cdb) {
            return Err(no_medium());
        }
        Ok(())
    }

    /// SBC-4 §5.27.
    pub(crate) fn start_stop(&mut self, cdb: &StartStopUnit) -> CmdResult<Plan> {
        let c = Cdb::StartStopUnit(*cdb);
        // SBC-4 §5.27: with a POWER CONDITION other than START_VALID (0h)
        // the device server ignores START and LOEJ. rtgt has no power
        // conditions to enter, so each value is accepted and changes
        // nothing (libiscsi's StartStopUnit.PowerCondition expects GOOD for
        // every value 1h-Fh).
        if cdb.power_condition != 0 {
            return Ok(Plan::good());
        }
        if !cdb.loej {
            // The virtual medium is always spinning: START and STOP alone
            // change nothing.
            return Ok(Plan::good());
        }
        // SBC-4 §5.27: LOEJ loads or ejects a removable medium; a disk
        // whose medium is not removable (RMB zero) has none to move.
        if !self.removable {
            return Err(invalid_named(&c, "loej"));
        }
        // SBC-4 §5.27 and §5.13: while removal is prevented the medium
        // is not ejected; rtgt keeps the tray locked for loading too.
        if !self.prevent.is_empty() {
            return Err(removal_prevented());
        }
        self.loaded = cdb.start;
        Ok(Plan::good())
    }

    /// SBC-4 §5.13: PREVENT 01b locks the medium for this I_T nexus, 00b
    /// unlocks it; 10b and 11b are obsolete.
    pub(crate) fn prevent_allow(
        &mut self,
        nexus: &Nexus,
        cdb: &PreventAllowMediumRemoval,
    ) -> CmdResult<Plan> {
        if cdb.prevent > 1 {
            return Err(invalid_named(
                &Cdb::PreventAllowMediumRemoval(*cdb),
                "prevent",
            ));
        }
        if self.removable {
            if cdb.prevent == 1 {
                self.prevent.insert(nexus.clone());
            } else {
                self.prevent.remove(nexus);
            }
        }
        Ok(Plan::good())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{BlockSize, DiskConfig};
    use crate::tests::{assert_check, assert_field, assert_illegal, nexus, Rig};
    use rtgt_proto::scsi::asc::{AscAscq, SenseKey};

    const EJECT: [u8; 6] = [0x1b, 0, 0, 0, 0x02, 0];
    const LOAD: [u8; 6] = [0x1b, 0, 0, 0, 0x03, 0];
    const PREVENT: [u8; 6] = [0x1e, 0, 0, 0, 1, 0];
    const ALLOW: [u8; 6] = [0x1e, 0, 0, 0, 0, 0];
    const TUR: [u8; 6] = [0; 6];

    fn removable() -> Rig {
        Rig::ready_with(DiskConfig::new(1, "SN1", BlockSize::B512, 64).removable(true))
    }

    #[test]
    fn rmb_follows_the_configuration() {
        let mut r = removable();
        let d = r.good(&[0x12, 0, 0, 0, 36, 0], &[], 36);
        assert_eq!(d[1] & 0x80, 0x80);
        let mut r = Rig::new();
        let d = r.good(&[0x12, 0, 0, 0, 36, 0], &[], 36);
        assert_eq!(d[1] & 0x80, 0);
        // SBC-4 §5.27: LOEJ on a fixed medium is INVALID FIELD IN CDB.
        let rep = r.run(&EJECT, &[], 0);
        assert_field(&rep, 4, Some(1));
    }

    #[test]
    fn eject_and_load() {
        let mut r = removable();
        r.good(&EJECT, &[], 0);
        let rep = r.run(&TUR, &[], 0);
        assert_check(&rep, SenseKey::NOT_READY, AscAscq::MEDIUM_NOT_PRESENT);
        let rep = r.run(&crate::tests::read10(0, 1), &[], 512);
        assert_check(&rep, SenseKey::NOT_READY, AscAscq::MEDIUM_NOT_PRESENT);
        let rep = r.run(&[0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], &[], 8);
        assert_check(&rep, SenseKey::NOT_READY, AscAscq::MEDIUM_NOT_PRESENT);
        // INQUIRY and MODE SENSE need no medium; REQUEST SENSE tells.
        r.good(&[0x12, 0, 0, 0, 36, 0], &[], 36);
        r.good(&[0x1a, 0, 0x3f, 0, 255, 0], &[], 255);
        let d = r.good(&[0x03, 0, 0, 0, 18, 0], &[], 18);
        assert_eq!((d[2] & 0x0f, d[12], d[13]), (0x02, 0x3a, 0x00));
        r.good(&LOAD, &[], 0);
        r.good(&TUR, &[], 0);
    }

    #[test]
    fn prevention_locks_the_tray_until_every_nexus_allows() {
        let mut r = removable();
        r.good(&PREVENT, &[], 0);
        let rep = r.run(&EJECT, &[], 0);
        assert_illegal(&rep, AscAscq::MEDIUM_REMOVAL_PREVENTED);
        // Another nexus cannot eject either.
        let first = r.nexus.clone();
        r.nexus = nexus("init1");
        r.ready();
        let rep = r.run(&EJECT, &[], 0);
        assert_illegal(&rep, AscAscq::MEDIUM_REMOVAL_PREVENTED);
        // Its ALLOW does not lift the first nexus's prevention.
        r.good(&ALLOW, &[], 0);
        let rep = r.run(&EJECT, &[], 0);
        assert_illegal(&rep, AscAscq::MEDIUM_REMOVAL_PREVENTED);
        r.nexus = first;
        r.good(&ALLOW, &[], 0);
        r.good(&EJECT, &[], 0);
        // Loading while prevented is refused too.
        r.good(&PREVENT, &[], 0);
        let rep = r.run(&LOAD, &[], 0);
        assert_illegal(&rep, AscAscq::MEDIUM_REMOVAL_PREVENTED);
        r.good(&ALLOW, &[], 0);
        r.good(&LOAD, &[], 0);
        // PREVENT 10b is obsolete.
        let rep = r.run(&[0x1e, 0, 0, 0, 2, 0], &[], 0);
        assert_field(&rep, 4, Some(1));
    }

    #[test]
    fn nexus_loss_and_reset_end_prevention() {
        let mut r = removable();
        r.good(&PREVENT, &[], 0);
        let n = r.nexus.clone();
        r.disk.nexus_loss(&n);
        r.expect_ua(AscAscq::I_T_NEXUS_LOSS_OCCURRED);
        r.good(&EJECT, &[], 0);
        r.good(&LOAD, &[], 0);
        r.good(&PREVENT, &[], 0);
        r.disk.lun_reset(&n);
        r.expect_ua(AscAscq::BUS_DEVICE_RESET_FUNCTION_OCCURRED);
        r.good(&EJECT, &[], 0);
        r.good(&LOAD, &[], 0);
    }

    #[test]
    fn power_conditions_ignore_loej() {
        let mut r = removable();
        for pc in 1..16u8 {
            r.good(&[0x1b, 1, 0, 0, pc << 4 | 0x02, 0], &[], 0);
            r.good(&TUR, &[], 0);
        }
    }
}
