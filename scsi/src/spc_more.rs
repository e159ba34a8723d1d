//! REPORT TARGET PORT GROUPS (SPC-5 §6.36) and REPORT SUPPORTED TASK
//! MANAGEMENT FUNCTIONS (SPC-5 §6.37).

use crate::plan::{cut, Plan};
use crate::sense::{invalid_named, CmdResult};
use crate::task::Nexus;
use rtgt_proto::scsi::cdb::{Cdb, ReportSupportedTaskManagementFunctions, ReportTargetPortGroups};
use rtgt_proto::scsi::params::tpg::ALUA_ACTIVE_OPTIMIZED;
use rtgt_proto::scsi::params::{SupportedTmfs, TargetPortGroup, TargetPortGroups};

/// AO_SUP: the only asymmetric access state rtgt uses (SPC-5 table 264).
const AO_SUP: u8 = 0x01;

/// SPC-5 §6.36: rtgt puts each target portal group in its own target
/// port group, numbered by its tag (as VPD page 83h says), always
/// active/optimized; the group of the port the command came through is
/// reported with that port.
pub(crate) fn report_target_port_groups(
    nexus: &Nexus,
    c: &ReportTargetPortGroups,
) -> CmdResult<Plan> {
    let extended = match c.parameter_data_format {
        0 => None,
        // SPC-5 §6.36.2: IMPLICIT TRANSITION TIME zero, no transitions.
        1 => Some(0),
        // SPC-5 §6.36.1: other formats are reserved.
        _ => {
            return Err(invalid_named(
                &Cdb::ReportTargetPortGroups(*c),
                "parameter_data_format",
            ))
        }
    };
    let data = TargetPortGroups {
        extended,
        groups: vec![TargetPortGroup {
            asymmetric_access_state: ALUA_ACTIVE_OPTIMIZED,
            supported_states: AO_SUP,
            group: nexus.tpgt,
            ports: vec![nexus.relative_target_port],
            ..TargetPortGroup::default()
        }],
    }
    .encode();
    Ok(Plan::data(cut(data, c.allocation_length.into())))
}

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
