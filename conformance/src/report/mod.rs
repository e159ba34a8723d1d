//! A finished run, judged against its profile, and its three renderings:
//! the text a person reads ([`text`]), JUnit XML for CI dashboards
//! ([`junit`]) and JSON for tools ([`json`]). All three keep a skip and a
//! not-applicable apart from a pass.

mod json;
mod junit;
mod text;

#[cfg(test)]
mod tests;

use crate::profile::{judge, Judgement, Profile};
use crate::runner::ScenarioReport;
use crate::scenario::Outcome;
use std::time::Duration;

/// One scenario's report and how it stands against the profile.
#[derive(Debug, Clone)]
pub struct Judged {
    pub report: ScenarioReport,
    pub judgement: Judgement,
}

/// A whole run.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// `host:port` of the target.
    pub addr: String,
    pub iqn: String,
    pub lun: u64,
    /// The profile's target kind, when the run had one.
    pub profile: Option<String>,
    /// False when the profile was never confirmed against a real run.
    pub profile_verified: bool,
    pub results: Vec<Judged>,
    pub elapsed: Duration,
}

/// Counts of outcomes and of departures from the profile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub skip: usize,
    pub not_applicable: usize,
    /// Failures the profile expects (included in `fail`).
    pub expected_failures: usize,
    /// Failures nobody expected (included in `fail`).
    pub unexpected_failures: usize,
    /// Passes the profile did not expect (included in `pass`).
    pub unexpected_passes: usize,
}

impl Counts {
    fn add(&mut self, judged: &Judged) {
        match judged.report.outcome {
            Outcome::Pass => self.pass += 1,
            Outcome::Fail { .. } => self.fail += 1,
            Outcome::Skip { .. } => self.skip += 1,
            Outcome::NotApplicable { .. } => self.not_applicable += 1,
        }
        match judged.judgement {
            Judgement::ExpectedFailure(_) => self.expected_failures += 1,
            Judgement::UnexpectedFailure => self.unexpected_failures += 1,
            Judgement::UnexpectedPass(..) => self.unexpected_passes += 1,
            Judgement::Fine | Judgement::NotExercised(_) => {}
        }
    }

    pub fn total(&self) -> usize {
        self.pass + self.fail + self.skip + self.not_applicable
    }
}

impl RunReport {
    /// Judges `reports` (in catalogue order) against `profile`.
    pub fn new(
        addr: &str,
        iqn: &str,
        lun: u64,
        profile: Option<&Profile>,
        reports: Vec<ScenarioReport>,
        elapsed: Duration,
    ) -> RunReport {
        let results = reports
            .into_iter()
            .map(|report| Judged {
                judgement: judge(profile, &report),
                report,
            })
            .collect();
        RunReport {
            addr: addr.to_owned(),
            iqn: iqn.to_owned(),
            lun,
            profile: profile.map(|p| p.target.clone()),
            profile_verified: profile.is_none_or(|p| p.verified),
            results,
            elapsed,
        }
    }

    /// Counts per area, areas in the order they first appear.
    pub fn areas(&self) -> Vec<(&'static str, Counts)> {
        let mut areas: Vec<(&'static str, Counts)> = Vec::new();
        for judged in &self.results {
            let area = judged.report.area;
            match areas.iter_mut().find(|(name, _)| *name == area) {
                Some((_, counts)) => counts.add(judged),
                None => {
                    let mut counts = Counts::default();
                    counts.add(judged);
                    areas.push((area, counts));
                }
            }
        }
        areas
    }

    pub fn totals(&self) -> Counts {
        let mut counts = Counts::default();
        for judged in &self.results {
            counts.add(judged);
        }
        counts
    }

    /// Whether every result matches the profile (without one: nothing
    /// failed). This is the exit status.
    pub fn ok(&self) -> bool {
        self.results.iter().all(|j| j.judgement.is_ok())
    }

    pub fn text(&self) -> String {
        text::render(self)
    }

    pub fn junit(&self) -> String {
        junit::render(self)
    }

    pub fn json(&self) -> String {
        json::render(self)
    }
}
