//! Scenarios of sessions and sequencing (RFC 7143 §4.2.2, §11): command
//! numbering, status numbering, data transfer, task management, NOP, text
//! and logout.

use crate::scenario::Scenario;

pub(crate) mod blocks;
pub(crate) mod session;

/// This area's scenarios, one slice per file.
pub const SCENARIOS: &[&[Scenario]] = &[];
