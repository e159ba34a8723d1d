//! Running one scenario: its needs checked against the options, its body
//! run, and its outcome kept with the exchange that led to it.

use crate::context::{Context, Target};
use crate::scenario::{Needs, Outcome, Scenario, ScenarioError};
use std::time::{Duration, Instant};

/// One scenario's result.
#[derive(Debug, Clone)]
pub struct ScenarioReport {
    pub id: &'static str,
    pub outcome: Outcome,
    /// The PDU exchange, rendered (empty when the scenario passed).
    pub transcript: String,
    pub elapsed: Duration,
}

/// Why the options do not meet `needs`, if they do not.
pub fn unmet(needs: &Needs, target: &Target) -> Option<&'static str> {
    if (needs.chap || needs.chap_required) && target.chap.is_none() {
        return Some("needs an incoming CHAP account (--chap USER:SECRET)");
    }
    if needs.mutual_chap && target.mutual_chap.is_none() {
        return Some("needs the target's CHAP account for mutual CHAP (--mutual-chap USER:SECRET)");
    }
    if needs.second_initiator && target.initiator_name_2.is_none() {
        return Some("needs a second initiator name the target accepts (--initiator-name-2)");
    }
    if needs.destructive && !target.allow_destructive {
        return Some("writes outside the scratch range (--allow-destructive)");
    }
    None
}

/// Runs one scenario against the target. An error of the scenario's own
/// machinery is reported as a failure, with the error as what happened.
pub fn run_scenario(scenario: &Scenario, target: &Target) -> ScenarioReport {
    let started = Instant::now();
    if let Some(reason) = unmet(&scenario.needs, target) {
        return ScenarioReport {
            id: scenario.id,
            outcome: Outcome::skip(reason),
            transcript: String::new(),
            elapsed: started.elapsed(),
        };
    }
    let mut ctx = Context::new(target.clone());
    let outcome = match (scenario.run)(&mut ctx) {
        Ok(outcome) => outcome,
        Err(error) => error_outcome(&error),
    };
    let transcript = match outcome {
        Outcome::Pass => String::new(),
        _ => ctx.transcript.render(),
    };
    ScenarioReport {
        id: scenario.id,
        outcome,
        transcript,
        elapsed: started.elapsed(),
    }
}

fn error_outcome(error: &ScenarioError) -> Outcome {
    Outcome::fail("the scenario to run to its end", error.to_string())
}
