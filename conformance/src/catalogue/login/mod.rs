//! Scenarios of the login phase (RFC 7143 §6.3, §11.12, §11.13).

use crate::scenario::Scenario;

mod target_name;

/// This area's scenarios, one slice per file.
pub const SCENARIOS: &[&[Scenario]] = &[target_name::SCENARIOS];
