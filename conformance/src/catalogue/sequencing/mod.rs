//! Scenarios of sessions and sequencing (RFC 7143 §4.2.2, §11): command
//! numbering, status numbering, data transfer, task management, NOP, text,
//! logout, and the recovery requests an ErrorRecoveryLevel 0 target meets.

use crate::scenario::Scenario;

mod async_events;
mod cmdsn;
mod datain;
mod dataout;
mod discovery;
mod large;
mod load;
mod logout;
mod multiconn;
mod nop;
mod pdu;
mod r2t;
mod recovery;
mod residual;
mod sendtargets;
mod snack;
mod statsn;
mod status;
mod task_reporting;
mod text;
mod tmf;
mod unsolicited;
mod wrap;

/// This area's scenarios, one slice per file.
pub const SCENARIOS: &[&[Scenario]] = &[
    cmdsn::SCENARIOS,
    wrap::SCENARIOS,
    statsn::SCENARIOS,
    datain::SCENARIOS,
    status::SCENARIOS,
    load::SCENARIOS,
    large::SCENARIOS,
    r2t::SCENARIOS,
    dataout::SCENARIOS,
    unsolicited::SCENARIOS,
    residual::SCENARIOS,
    pdu::SCENARIOS,
    nop::SCENARIOS,
    tmf::SCENARIOS,
    recovery::SCENARIOS,
    snack::SCENARIOS,
    task_reporting::SCENARIOS,
    logout::SCENARIOS,
    async_events::SCENARIOS,
    multiconn::SCENARIOS,
    text::SCENARIOS,
    discovery::SCENARIOS,
    sendtargets::SCENARIOS,
];
