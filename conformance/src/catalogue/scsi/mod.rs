//! Scenarios of the scsi area: the commands a disk target serves (SPC-5,
//! SBC-4), each with valid and invalid fields.
//!
//! A clause names the command as well as its section: section numbers move
//! between revisions of the standards, command names do not.

use crate::scenario::Scenario;

mod alua;
mod basics;
mod cache_misc;
mod capacity;
mod compare_and_write;
mod defect_atomic;
mod device;
mod inquiry;
mod lun_inventory;
mod luns;
mod mode;
mod mode_select;
mod opcodes;
mod optional;
mod orwrite;
mod pr_actions;
mod pr_matrix;
mod pr_options;
mod pr_resets;
mod prefetch;
mod report_luns;
mod reservations;
mod rw10;
mod rw16;
mod rw_small;
mod sanitize;
mod sense;
mod support;
mod task_attributes;
mod unit_attention;
mod verify;
mod verify_more;
mod vpd;
mod write_same_unmap;
mod write_verify;
mod xcopy;

/// This area's scenarios, one slice per file.
pub const SCENARIOS: &[&[Scenario]] = &[
    inquiry::SCENARIOS,
    vpd::SCENARIOS,
    capacity::SCENARIOS,
    rw10::SCENARIOS,
    rw16::SCENARIOS,
    rw_small::SCENARIOS,
    verify::SCENARIOS,
    verify_more::SCENARIOS,
    write_verify::SCENARIOS,
    orwrite::SCENARIOS,
    prefetch::SCENARIOS,
    defect_atomic::SCENARIOS,
    sanitize::SCENARIOS,
    xcopy::SCENARIOS,
    optional::SCENARIOS,
    write_same_unmap::SCENARIOS,
    compare_and_write::SCENARIOS,
    cache_misc::SCENARIOS,
    mode::SCENARIOS,
    mode_select::SCENARIOS,
    opcodes::SCENARIOS,
    basics::SCENARIOS,
    report_luns::SCENARIOS,
    task_attributes::SCENARIOS,
    luns::SCENARIOS,
    lun_inventory::SCENARIOS,
    sense::SCENARIOS,
    reservations::SCENARIOS,
    pr_options::SCENARIOS,
    pr_matrix::SCENARIOS,
    pr_actions::SCENARIOS,
    pr_resets::SCENARIOS,
    unit_attention::SCENARIOS,
    alua::SCENARIOS,
];
