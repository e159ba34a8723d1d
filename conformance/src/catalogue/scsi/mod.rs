//! Scenarios of the scsi area: the commands a disk target serves (SPC-5,
//! SBC-4), each with valid and invalid fields.
//!
//! A clause names the command as well as its section: section numbers move
//! between revisions of the standards, command names do not.

use crate::scenario::Scenario;

mod basics;
mod cache_misc;
mod capacity;
mod compare_and_write;
mod device;
mod inquiry;
mod luns;
mod mode;
mod mode_select;
mod opcodes;
mod reservations;
mod rw10;
mod rw16;
mod rw_small;
mod sense;
mod support;
mod verify;
mod vpd;
mod write_same_unmap;

/// This area's scenarios, one slice per file.
pub const SCENARIOS: &[&[Scenario]] = &[
    inquiry::SCENARIOS,
    vpd::SCENARIOS,
    capacity::SCENARIOS,
    rw10::SCENARIOS,
    rw16::SCENARIOS,
    rw_small::SCENARIOS,
    verify::SCENARIOS,
    write_same_unmap::SCENARIOS,
    compare_and_write::SCENARIOS,
    cache_misc::SCENARIOS,
    mode::SCENARIOS,
    mode_select::SCENARIOS,
    opcodes::SCENARIOS,
    basics::SCENARIOS,
    luns::SCENARIOS,
    sense::SCENARIOS,
    reservations::SCENARIOS,
];
