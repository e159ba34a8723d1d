//! Scenarios of sessions and sequencing (RFC 7143 §4.2.2, §11): command
//! numbering, status numbering, data transfer, task management, NOP, text
//! and logout.

use crate::scenario::Scenario;

mod cmdsn;
mod datain;
mod discovery;
mod load;
mod logout;
mod nop;
mod pdu;
mod r2t;
mod residual;
mod statsn;
mod status;
mod task_reporting;
mod text;
mod tmf;

/// This area's scenarios, one slice per file.
pub const SCENARIOS: &[&[Scenario]] = &[
    cmdsn::SCENARIOS,
    statsn::SCENARIOS,
    datain::SCENARIOS,
    status::SCENARIOS,
    load::SCENARIOS,
    r2t::SCENARIOS,
    residual::SCENARIOS,
    pdu::SCENARIOS,
    nop::SCENARIOS,
    tmf::SCENARIOS,
    task_reporting::SCENARIOS,
    logout::SCENARIOS,
    text::SCENARIOS,
    discovery::SCENARIOS,
];
