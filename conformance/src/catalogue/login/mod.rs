//! Scenarios of the login phase (RFC 7143 §6.3, §11.12, §11.13).

use crate::scenario::Scenario;

mod early_pdu;
mod identity;
mod redirect;
mod required_keys;
mod response_fields;
mod sessions;
mod stage_errors;
mod stages;
mod target_name;
mod version;

/// This area's scenarios, one slice per file.
pub const SCENARIOS: &[&[Scenario]] = &[
    target_name::SCENARIOS,
    redirect::SCENARIOS,
    stages::SCENARIOS,
    stage_errors::SCENARIOS,
    version::SCENARIOS,
    identity::SCENARIOS,
    sessions::SCENARIOS,
    required_keys::SCENARIOS,
    early_pdu::SCENARIOS,
    response_fields::SCENARIOS,
];
