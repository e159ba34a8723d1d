//! Every scenario, one module per area (design.md "Conformance catalogue
//! shape"). Ids are stable: a report or a profile names a scenario by id.

use crate::scenario::Scenario;

/// Scenario bodies that are one call each, differing only in arguments: a
/// table of cases, `name => body(args);`, each case its own function
/// `fn name(ctx: &mut Context) -> Verdict { body(ctx, args) }` (so its own
/// scenario).
macro_rules! cases {
    ($($name:ident => $body:ident($($arg:expr),* $(,)?);)*) => {
        $(
            fn $name(ctx: &mut $crate::context::Context) -> $crate::scenario::Verdict {
                $body(ctx, $($arg),*)
            }
        )*
    };
}

pub mod chap;
mod checks;
pub mod digest;
pub mod login;
pub mod negotiation;
pub mod scsi;
pub mod sequencing;

/// Every scenario, grouped by area, each area in its own order.
pub fn all() -> Vec<&'static Scenario> {
    [
        login::SCENARIOS,
        negotiation::SCENARIOS,
        chap::SCENARIOS,
        digest::SCENARIOS,
        sequencing::SCENARIOS,
        scsi::SCENARIOS,
    ]
    .into_iter()
    .flat_map(|area| area.iter().flat_map(|part| part.iter()))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::all;
    use std::collections::BTreeSet;

    #[test]
    fn ids_are_unique_dotted_and_lower_case() {
        let mut seen = BTreeSet::new();
        for scenario in all() {
            assert!(seen.insert(scenario.id), "duplicate id {}", scenario.id);
            assert!(
                scenario.id.split('.').count() >= 3
                    && scenario
                        .id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-._".contains(c)),
                "id {} is not of the form area.group.name in lower case",
                scenario.id
            );
            assert!(!scenario.clause.is_empty() && !scenario.requirement.is_empty());
        }
    }
}
