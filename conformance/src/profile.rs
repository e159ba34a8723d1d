//! Profiles: what a known external target is expected to fail, and why.
//!
//! A profile is a TOML file, one per kind of target
//! (`conformance/profiles/tgtd.toml`):
//!
//! ```toml
//! target = "tgtd"
//! description = "Debian's tgt 1.0.85 (tgtd), configured as in peers/src/tgtd.rs"
//! verified = true                  # false: written from documentation, never run
//!
//! [[setup]]                        # optional: the set-ups the profile was verified under
//! name = "chap"
//! description = "CHAP on normal and discovery sessions"
//!
//! [[setup]]
//! name = "plain"
//! description = "no authentication, one file LUN, every initiator address"
//!
//! [[expected-failure]]
//! id = "iscsi.login.unknown-target"
//! reason = "answers 0x0201 (target moved temporarily) instead of 0x0203"
//! actual = "status 0x0201"         # required: part of the answer the target gives
//! setups = ["plain"]               # optional: only in these set-ups
//!
//! [[expected-skip]]                # optional: skipped for a stated reason
//! id = "..."
//! reason = "..."
//!
//! [[expected-not-applicable]]      # optional: the target lacks the feature
//! id = "..."
//! reason = "..."
//! ```
//!
//! Every id must name a scenario of the catalogue, once per set-up. An
//! expected failure is pinned: its `actual` must occur in the failure's
//! actual answer, so that a target failing the same scenario in another way
//! is not excused. A run matches its profile when no scenario fails unless
//! the profile expects it to (in the way it pins), and no scenario the
//! profile lists passes (an unexpected pass means the target was fixed or
//! the profile is stale: either way the profile must change).
//!
//! How much a failure the profile does not excuse weighs follows from its
//! scenario's level: a MUST fails the run, a SHOULD is a warning (a failure
//! under `--strict`), a MAY is a note.

use crate::runner::ScenarioReport;
use crate::scenario::{Level, Outcome};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// What a profile says of one scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    Fail,
    Skip,
    NotApplicable,
}

impl Expected {
    pub fn label(self) -> &'static str {
        match self {
            Expected::Fail => "expected failure",
            Expected::Skip => "expected skip",
            Expected::NotApplicable => "expected n/a",
        }
    }
}

/// One profile entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    pub id: String,
    pub expected: Expected,
    pub reason: String,
    /// For an expected failure: text that must occur in the failure's
    /// actual answer for the failure to be the one expected.
    pub pin: Option<String>,
    /// The set-ups the entry holds in; empty for all of them.
    pub setups: Vec<String>,
}

impl Expectation {
    fn holds_in(&self, setup: Option<&str>) -> bool {
        self.setups.is_empty() || setup.is_some_and(|s| self.setups.iter().any(|n| n == s))
    }
}

/// A configuration of the target the profile was verified under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setup {
    pub name: String,
    pub description: String,
}

/// A parsed, checked profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The kind of target (`tgtd`).
    pub target: String,
    pub description: String,
    /// False for a profile written without a real run to confirm it.
    pub verified: bool,
    /// The set-ups it was verified under; a run names one (`--setup`).
    pub setups: Vec<Setup>,
    /// In the file's order, expected failures first.
    pub entries: Vec<Expectation>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct File {
    target: String,
    #[serde(default)]
    description: String,
    #[serde(default = "yes")]
    verified: bool,
    #[serde(default)]
    setup: Vec<SetupEntry>,
    #[serde(default)]
    expected_failure: Vec<Entry>,
    #[serde(default)]
    expected_skip: Vec<Entry>,
    #[serde(default)]
    expected_not_applicable: Vec<Entry>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetupEntry {
    name: String,
    description: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    id: String,
    reason: String,
    actual: Option<String>,
    #[serde(default)]
    setups: Vec<String>,
}

/// Why a profile cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("could not read the profile {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the profile is not valid TOML of the expected shape: {0}")]
    Syntax(String),
    #[error("the profile names {0:?}, which is no scenario id; `--list` shows them")]
    UnknownId(String),
    #[error(
        "the profile names {0:?} twice in one set-up; keep one entry per scenario, or limit \
         each to other set-ups with setups = [...]"
    )]
    Duplicate(String),
    #[error("the profile's entry for {0:?} gives no reason; say why the target departs")]
    NoReason(String),
    #[error(
        "the profile's expected failure {0:?} has no pin: add actual = \"...\" with a part of \
         the answer the target gives (the report's `actual:` line)"
    )]
    NoPin(String),
    #[error(
        "the profile's entry for {0:?} has actual = \"...\", which only an expected failure \
         takes; remove it"
    )]
    PinWithoutFailure(String),
    #[error(
        "the profile's entry for {id:?} names the set-up {setup:?}, which the profile does \
         not declare; add [[setup]] name = {setup:?} or fix the name"
    )]
    UnknownSetup { id: String, setup: String },
    #[error("the profile declares the set-up {0:?} twice; keep one")]
    DuplicateSetup(String),
    #[error(
        "the {target} profile was verified under the set-ups {declared}: say which one the \
         target is configured as with --setup NAME"
    )]
    SetupRequired { target: String, declared: String },
    #[error("--setup {setup}: the {target} profile declares no such set-up; it has {declared}")]
    NoSuchSetup {
        target: String,
        setup: String,
        declared: String,
    },
}

impl Profile {
    /// Parses `text`, checking every id against `known` (the catalogue's).
    pub fn parse(text: &str, known: &[&str]) -> Result<Profile, ProfileError> {
        let file: File = toml::from_str(text).map_err(|e| ProfileError::Syntax(e.to_string()))?;
        let mut setups: Vec<Setup> = Vec::new();
        for SetupEntry { name, description } in file.setup {
            if setups.iter().any(|s| s.name == name) {
                return Err(ProfileError::DuplicateSetup(name));
            }
            setups.push(Setup { name, description });
        }
        let mut entries: Vec<Expectation> = Vec::new();
        let groups = [
            (Expected::Fail, file.expected_failure),
            (Expected::Skip, file.expected_skip),
            (Expected::NotApplicable, file.expected_not_applicable),
        ];
        for (expected, group) in groups {
            for entry in group {
                let entry = check_entry(expected, entry, known, &setups)?;
                if entries
                    .iter()
                    .any(|e| e.id == entry.id && overlap(&e.setups, &entry.setups))
                {
                    return Err(ProfileError::Duplicate(entry.id));
                }
                entries.push(entry);
            }
        }
        Ok(Profile {
            target: file.target,
            description: file.description,
            verified: file.verified,
            setups,
            entries,
        })
    }

    /// Reads and parses the profile at `path`.
    pub fn load(path: &Path, known: &[&str]) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: path.to_owned(),
            source,
        })?;
        Profile::parse(&text, known)
    }

    /// Checks that `setup` (`--setup`) names one of the profile's set-ups,
    /// and that one is named when the profile declares any.
    pub fn check_setup(&self, setup: Option<&str>) -> Result<(), ProfileError> {
        let declared = || {
            let names: Vec<&str> = self.setups.iter().map(|s| s.name.as_str()).collect();
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        };
        match setup {
            None if !self.setups.is_empty() => Err(ProfileError::SetupRequired {
                target: self.target.clone(),
                declared: declared(),
            }),
            Some(name) if !self.setups.iter().any(|s| s.name == name) => {
                Err(ProfileError::NoSuchSetup {
                    target: self.target.clone(),
                    setup: name.to_owned(),
                    declared: declared(),
                })
            }
            _ => Ok(()),
        }
    }

    /// The entry for `id` that holds in `setup`, if any.
    pub fn expectation(&self, id: &str, setup: Option<&str>) -> Option<&Expectation> {
        self.entries
            .iter()
            .find(|e| e.id == id && e.holds_in(setup))
    }
}

fn check_entry(
    expected: Expected,
    Entry {
        id,
        reason,
        actual,
        setups,
    }: Entry,
    known: &[&str],
    declared: &[Setup],
) -> Result<Expectation, ProfileError> {
    if !known.contains(&id.as_str()) {
        return Err(ProfileError::UnknownId(id));
    }
    if reason.trim().is_empty() {
        return Err(ProfileError::NoReason(id));
    }
    let pin = match (expected, actual) {
        (Expected::Fail, Some(pin)) if !pin.trim().is_empty() => Some(pin),
        (Expected::Fail, _) => return Err(ProfileError::NoPin(id)),
        (_, Some(_)) => return Err(ProfileError::PinWithoutFailure(id)),
        (_, None) => None,
    };
    if let Some(setup) = setups
        .iter()
        .find(|name| !declared.iter().any(|s| &s.name == *name))
    {
        return Err(ProfileError::UnknownSetup {
            setup: setup.clone(),
            id,
        });
    }
    Ok(Expectation {
        id,
        expected,
        reason,
        pin,
        setups,
    })
}

/// Whether two entries' set-ups share one (no list means every set-up).
fn overlap(a: &[String], b: &[String]) -> bool {
    a.is_empty() || b.is_empty() || a.iter().any(|name| b.contains(name))
}

/// How much a failure the profile does not excuse weighs on the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    /// Fails the run: a MUST, or a SHOULD under `--strict`.
    Failure,
    /// Reported, does not fail the run: a SHOULD.
    Warning,
    /// Reported, never fails the run: a MAY.
    Note,
}

impl Weight {
    /// The weight of an unexcused failure at `level`.
    pub fn of(level: Level, strict: bool) -> Weight {
        match level {
            Level::Must => Weight::Failure,
            Level::Should if strict => Weight::Failure,
            Level::Should => Weight::Warning,
            Level::May => Weight::Note,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Weight::Failure => "failure",
            Weight::Warning => "warning",
            Weight::Note => "note",
        }
    }
}

/// A failure the profile lists, whose actual answer lacks the pin: the
/// target fails the scenario, but not in the way the profile expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The profile's reason.
    pub reason: String,
    /// The text the profile expects in the actual answer.
    pub pin: String,
}

/// What a run is judged by: the profile (if any), the set-up the target is
/// configured as, and whether SHOULD failures fail the run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rules<'a> {
    pub profile: Option<&'a Profile>,
    pub setup: Option<&'a str>,
    /// `--strict`: a SHOULD failure fails the run.
    pub strict: bool,
}

/// How one result stands against the profile (or against "everything
/// passes" when there is none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judgement {
    /// Passed, or skipped / not applicable for its stated reason, and the
    /// profile does not say otherwise.
    Fine,
    /// Failed as the profile expects; the profile's reason.
    ExpectedFailure(String),
    /// Skipped or not applicable where the profile expects a failure: the
    /// departure was not exercised in this run (an option was missing, say).
    NotExercised(String),
    /// Failed, and the profile does not excuse it (it does not list it, or
    /// lists it with a pin the actual answer lacks: `mismatch`); `weight`
    /// says, from the scenario's level, whether that fails the run.
    Unexcused {
        weight: Weight,
        mismatch: Option<Mismatch>,
    },
    /// Passed where the profile expects a failure, skip or n/a; what it
    /// expected and why.
    UnexpectedPass(Expected, String),
}

impl Judgement {
    /// Whether this result keeps the run's exit status at zero.
    pub fn is_ok(&self) -> bool {
        !matches!(
            self,
            Judgement::Unexcused {
                weight: Weight::Failure,
                ..
            } | Judgement::UnexpectedPass(..)
        )
    }

    /// How the reports name it: `fine`, `expected-failure`, `not-exercised`,
    /// `unexpected-failure`, `warning`, `note`, `unexpected-pass`.
    pub fn label(&self) -> &'static str {
        match self {
            Judgement::Fine => "fine",
            Judgement::ExpectedFailure(_) => "expected-failure",
            Judgement::NotExercised(_) => "not-exercised",
            Judgement::Unexcused { weight, .. } => match weight {
                Weight::Failure => "unexpected-failure",
                Weight::Warning => "warning",
                Weight::Note => "note",
            },
            Judgement::UnexpectedPass(..) => "unexpected-pass",
        }
    }

    /// The weight of an unexcused failure, if this is one.
    pub fn weight(&self) -> Option<Weight> {
        match self {
            Judgement::Unexcused { weight, .. } => Some(*weight),
            _ => None,
        }
    }
}

/// Judges one report.
pub fn judge(rules: &Rules, report: &ScenarioReport) -> Judgement {
    let expectation = rules
        .profile
        .and_then(|p| p.expectation(report.id, rules.setup));
    let unexcused = |mismatch| Judgement::Unexcused {
        weight: Weight::of(report.level, rules.strict),
        mismatch,
    };
    match (&report.outcome, expectation) {
        (Outcome::Pass, None) => Judgement::Fine,
        (Outcome::Pass, Some(e)) => Judgement::UnexpectedPass(e.expected, e.reason.clone()),
        (Outcome::Fail { actual, .. }, Some(e)) if e.expected == Expected::Fail => match &e.pin {
            Some(pin) if !actual.contains(pin.as_str()) => unexcused(Some(Mismatch {
                reason: e.reason.clone(),
                pin: pin.clone(),
            })),
            _ => Judgement::ExpectedFailure(e.reason.clone()),
        },
        (Outcome::Fail { .. }, _) => unexcused(None),
        (Outcome::Skip { .. } | Outcome::NotApplicable { .. }, Some(e))
            if e.expected == Expected::Fail =>
        {
            Judgement::NotExercised(e.reason.clone())
        }
        (Outcome::Skip { .. } | Outcome::NotApplicable { .. }, _) => Judgement::Fine,
    }
}

#[cfg(test)]
mod tests;
