//! RESERVE and RELEASE (6) and (10) (SPC-2 §7.21-§7.24), and how they
//! meet persistent reservations (SPC-3 §5.6.3, kept by SPC-5 §5.14.3).

use super::{registrants_type, Reservations};
use crate::plan::Plan;
use crate::sense::{invalid_named, CmdResult};
use crate::task::Nexus;
use rtgt_proto::scsi::cdb::Cdb;

impl Reservations {
    /// RESERVE (6) or (10).
    pub(crate) fn reserve_spc2(&mut self, nexus: &Nexus, cdb: &Cdb) -> CmdResult<Plan> {
        // SPC-2 §7.21, §7.22: extents and third-party reservations are
        // obsolete or not supported: INVALID FIELD IN CDB.
        for f in ["obsolete_1", "obsolete_1_0", "third_party", "long_id"] {
            if cdb.field_values().iter().any(|&(n, v)| n == f && v != 0) {
                return Err(invalid_named(cdb, f));
            }
        }
        if let Cdb::Reserve10(c) = cdb {
            if c.parameter_list_length != 0 {
                return Err(invalid_named(cdb, "parameter_list_length"));
            }
        }
        // SPC-3 §5.6.3: RESERVE while persistent reservations are in use
        // (a registration or a reservation) is RESERVATION CONFLICT.
        if !self.pr.registrants.is_empty() || self.pr.reservation.is_some() {
            return Ok(Plan::conflict());
        }
        match &self.spc2 {
            // SPC-2 §7.21: the holder reserving again gets GOOD.
            Some(h) if h == nexus => {}
            Some(_) => return Ok(Plan::conflict()),
            None => self.spc2 = Some(nexus.clone()),
        }
        Ok(Plan::good())
    }

    /// RELEASE (6) or (10).
    pub(crate) fn release_spc2(&mut self, nexus: &Nexus, cdb: &Cdb) -> CmdResult<Plan> {
        for f in ["obsolete_1", "obsolete_1_0", "third_party", "long_id"] {
            if cdb.field_values().iter().any(|&(n, v)| n == f && v != 0) {
                return Err(invalid_named(cdb, f));
            }
        }
        if let Some(res) = &self.pr.reservation {
            // SPC-3 §5.6.3: under a persistent reservation, RELEASE from
            // the holder, or from a registrant of a registrants only or all
            // registrants reservation, is GOOD and changes nothing; from
            // anyone else RESERVATION CONFLICT.
            let ok = self.pr.is_holder(nexus)
                || (registrants_type(res.pr_type) && self.pr.registration(nexus).is_some());
            return Ok(if ok { Plan::good() } else { Plan::conflict() });
        }
        // SPC-2 §7.23: releasing frees the holder's reservation; from any
        // other nexus it is GOOD and changes nothing.
        if self.spc2.as_ref() == Some(nexus) {
            self.spc2 = None;
        }
        Ok(Plan::good())
    }
}
