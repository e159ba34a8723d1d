//! Which commands a reservation lets through (SPC-5 §5.14.3 table "SPC
//! commands that are allowed in the presence of various reservations",
//! SBC-4 §4.17 table of SBC commands, SPC-2 §5.5.1 for RESERVE/RELEASE).

use super::{exclusive_access, registrants_type, Reservations};
use crate::task::Nexus;
use rtgt_proto::scsi::cdb::Cdb;

/// How a command is treated under a reservation held by someone else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Allowed whatever the reservation (INQUIRY, REPORT LUNS, PR IN ...).
    Always,
    /// Reads: conflict only under the exclusive access types.
    Read,
    /// Writes and medium or state changes: conflict under every type.
    Write,
}

impl Class {
    /// The class of `cdb` (SPC-5 and SBC-4 reservation tables).
    pub(crate) fn of(cdb: &Cdb) -> Class {
        match cdb {
            Cdb::Inquiry(_)
            | Cdb::ReportLuns(_)
            | Cdb::RequestSense(_)
            | Cdb::TestUnitReady(_)
            | Cdb::ReadCapacity10(_)
            | Cdb::ReadCapacity16(_)
            | Cdb::ReportSupportedOperationCodes(_)
            | Cdb::ReportSupportedTaskManagementFunctions(_)
            | Cdb::ReportTargetPortGroups(_)
            | Cdb::PersistentReserveIn(_)
            | Cdb::PersistentReserveOut(_)
            | Cdb::Release6(_)
            | Cdb::Release10(_) => Class::Always,
            // SBC-4 §5.27 table note: START STOP UNIT with START one and
            // POWER CONDITION zero is allowed, anything else conflicts.
            Cdb::StartStopUnit(c) if c.start && c.power_condition == 0 && !c.loej => Class::Always,
            // SBC-4 §5.13: PREVENT zero (allow removal) is allowed.
            Cdb::PreventAllowMediumRemoval(c) if c.prevent == 0 => Class::Always,
            Cdb::Read6(_)
            | Cdb::Read10(_)
            | Cdb::Read12(_)
            | Cdb::Read16(_)
            | Cdb::Verify10(_)
            | Cdb::Verify12(_)
            | Cdb::Verify16(_)
            | Cdb::ModeSense6(_)
            | Cdb::ModeSense10(_)
            | Cdb::PreFetch10(_)
            | Cdb::PreFetch16(_)
            | Cdb::GetLbaStatus(_)
            | Cdb::ReadDefectData10(_)
            | Cdb::ReadDefectData12(_)
            | Cdb::ReceiveCopyResults(_) => Class::Read,
            _ => Class::Write,
        }
    }
}

impl Reservations {
    /// True when a reservation makes `cdb` from `nexus` a RESERVATION
    /// CONFLICT.
    pub(crate) fn conflict(&self, nexus: &Nexus, cdb: &Cdb) -> bool {
        let class = Class::of(cdb);
        if let Some(holder) = &self.spc2 {
            // SPC-2 §5.5.1: while another I_T nexus holds a RESERVE
            // reservation, everything but INQUIRY, REPORT LUNS, REQUEST
            // SENSE and RELEASE (which then does nothing) conflicts; rtgt
            // also lets the REPORT commands through, which change nothing.
            if holder != nexus {
                let allowed = matches!(
                    cdb,
                    Cdb::Inquiry(_)
                        | Cdb::ReportLuns(_)
                        | Cdb::RequestSense(_)
                        | Cdb::Release6(_)
                        | Cdb::Release10(_)
                        | Cdb::ReportSupportedOperationCodes(_)
                        | Cdb::ReportSupportedTaskManagementFunctions(_)
                        | Cdb::ReportTargetPortGroups(_)
                );
                return !allowed;
            }
            return false;
        }
        let Some(res) = &self.pr.reservation else {
            return false;
        };
        // SPC-5 §5.14.3: the holder has full access; under the registrants
        // only and all registrants types so has every registrant.
        let access = self.pr.is_holder(nexus)
            || (registrants_type(res.pr_type) && self.pr.registration(nexus).is_some());
        if access {
            return false;
        }
        match class {
            Class::Always => false,
            Class::Read => exclusive_access(res.pr_type),
            // Test only: with `broken-pr-conflict`, a write through an I_T
            // nexus that does not hold the reservation is let through.
            Class::Write => {
                !(cfg!(feature = "broken-pr-conflict")
                    && rtgt_proto::mutant::on("broken-pr-conflict"))
            }
        }
    }
}
