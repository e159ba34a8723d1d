//! A finished run, judged against its profile, and its three renderings:
//! the text a person reads ([`text`]), JUnit XML for CI dashboards
//! ([`junit`]) and JSON for tools ([`json`]). All three keep a skip and a
//! not-applicable apart from a pass.

mod json;
mod junit;

pub use json::{verdict_differences, verdicts_from_json};
mod text;

#[cfg(test)]
mod tests;

use crate::profile::{judge, Judgement, Rules, Weight};
use crate::runner::ScenarioReport;
use crate::scenario::{Level, Outcome};
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
    /// The set-up the target was configured as (`--setup`).
    pub setup: Option<String>,
    /// Whether a SHOULD failure fails the run (`--strict`).
    pub strict: bool,
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
    /// Failures nobody expected that fail the run: MUST ones, and SHOULD
    /// ones under `--strict` (included in `fail`).
    pub unexpected_failures: usize,
    /// SHOULD failures nobody expected, without `--strict` (included in `fail`).
    pub warnings: usize,
    /// MAY failures nobody expected (included in `fail`).
    pub notes: usize,
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
            Judgement::Unexcused { weight, .. } => match weight {
                Weight::Failure => self.unexpected_failures += 1,
                Weight::Warning => self.warnings += 1,
                Weight::Note => self.notes += 1,
            },
            Judgement::UnexpectedPass(..) => self.unexpected_passes += 1,
            Judgement::Fine | Judgement::NotExercised(_) => {}
        }
    }

    pub fn total(&self) -> usize {
        self.pass + self.fail + self.skip + self.not_applicable
    }
}

impl RunReport {
    /// Judges `reports` (in catalogue order) by `rules`.
    pub fn new(
        addr: &str,
        iqn: &str,
        lun: u64,
        rules: &Rules,
        reports: Vec<ScenarioReport>,
        elapsed: Duration,
    ) -> RunReport {
        let results = reports
            .into_iter()
            .map(|report| Judged {
                judgement: judge(rules, &report),
                report,
            })
            .collect();
        RunReport {
            addr: addr.to_owned(),
            iqn: iqn.to_owned(),
            lun,
            profile: rules.profile.map(|p| p.target.clone()),
            profile_verified: rules.profile.is_none_or(|p| p.verified),
            setup: rules.setup.map(str::to_owned),
            strict: rules.strict,
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

    /// Counts per level, MUST, SHOULD, MAY, each level listed whether or
    /// not the run had scenarios of it.
    pub fn levels(&self) -> Vec<(Level, Counts)> {
        [Level::Must, Level::Should, Level::May]
            .into_iter()
            .map(|level| {
                let mut counts = Counts::default();
                for judged in self.results.iter().filter(|j| j.report.level == level) {
                    counts.add(judged);
                }
                (level, counts)
            })
            .collect()
    }

    pub fn totals(&self) -> Counts {
        let mut counts = Counts::default();
        for judged in &self.results {
            counts.add(judged);
        }
        counts
    }

    /// Whether every result matches the profile (without one: no MUST
    /// failed, nor a SHOULD under `--strict`). This is the exit status.
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
