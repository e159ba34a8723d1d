//! Scenarios of text negotiation (RFC 7143 §6.2, §13; RFC 7144).

use crate::scenario::Scenario;

mod answer;
mod booleans;
mod coverage;
mod lists;
mod numbers;
mod special;

/// This area's scenarios, one slice per file.
pub const SCENARIOS: &[&[Scenario]] = &[
    lists::SCENARIOS,
    booleans::SCENARIOS,
    numbers::SCENARIOS,
    special::SCENARIOS,
    coverage::SCENARIOS,
];
