//! Scenarios of the sequencing area.

use crate::scenario::Scenario;

/// This area's scenarios, one slice per file.
pub const SCENARIOS: &[&[Scenario]] = &[];
