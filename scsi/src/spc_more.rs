//! REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS (SPC-5 §6.37); REPORT
//! TARGET PORT GROUPS is in [`crate::alua`].

use crate::plan::{cut, Plan};
use rtgt_proto::scsi::cdb::ReportSupportedTaskManagementFunctions;
use rtgt_proto::scsi::params::SupportedTmfs;

/// SPC-5 §6.37: the iSCSI task management functions a target serves
/// (RFC 7143 §11.5.1): ABORT TASK, ABORT TASK SET, CLEAR TASK SET,
/// LOGICAL UNIT RESET, TARGET RESET; no ACA, no QUERY functions.
pub(crate) fn report_tmfs(c: &ReportSupportedTaskManagementFunctions) -> Plan {
    let data = SupportedTmfs {
        abort_task: true,
        abort_task_set: true,
        clear_task_set: true,
        lu_reset: true,
        target_reset: true,
        // SPC-5 §6.37.2: REPD one asks for the extended format; no
        // timeouts are reported.
        extended: c.repd.then_some([0; 12]),
        ..SupportedTmfs::default()
    }
    .encode();
    Plan::data(cut(data, c.allocation_length.into()))
}
