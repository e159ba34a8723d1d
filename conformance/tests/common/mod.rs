//! What the tests of the scenarios against real targets share: running
//! scenarios with every outcome printed, and counting the outcomes.

use rtgt_conformance::context::Target;
use rtgt_conformance::runner::{run_scenario, ScenarioReport};
use rtgt_conformance::scenario::{Outcome, Scenario};
use std::collections::BTreeSet;

/// Runs `scenarios` against `target`, printing each outcome with what a
/// failure expected and got and why a scenario did not apply, and, with
/// RTGT_TRANSCRIPTS set, each failure's transcript.
pub fn run_all<'a>(
    scenarios: impl IntoIterator<Item = &'a Scenario>,
    target: &Target,
) -> Vec<ScenarioReport> {
    let mut reports = Vec::new();
    for scenario in scenarios {
        let report = run_scenario(scenario, target);
        println!(
            "{:<5} {} ({:?})",
            report.outcome.label(),
            report.id,
            report.elapsed
        );
        match &report.outcome {
            Outcome::Fail { expected, actual } => {
                println!("      expected: {expected}\n      actual:   {actual}");
                if std::env::var_os("RTGT_TRANSCRIPTS").is_some() {
                    println!("{}", report.transcript);
                }
            }
            Outcome::Skip { reason } | Outcome::NotApplicable { reason } => {
                println!("      {reason}");
            }
            Outcome::Pass => {}
        }
        reports.push(report);
    }
    reports
}

/// Prints how many of `reports` passed, failed, were skipped and did not
/// apply, and returns the ids of the failures.
pub fn failures(reports: &[ScenarioReport]) -> BTreeSet<&'static str> {
    let mut counts = [0usize; 4];
    for report in reports {
        counts[match report.outcome {
            Outcome::Pass => 0,
            Outcome::Fail { .. } => 1,
            Outcome::Skip { .. } => 2,
            Outcome::NotApplicable { .. } => 3,
        }] += 1;
    }
    println!(
        "pass {} fail {} skip {} n/a {}",
        counts[0], counts[1], counts[2], counts[3]
    );
    reports
        .iter()
        .filter(|report| matches!(report.outcome, Outcome::Fail { .. }))
        .map(|report| report.id)
        .collect()
}
