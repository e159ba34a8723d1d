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
mod tests {
    use super::*;
    use std::time::Duration;

    const KNOWN: &[&str] = &["iscsi.login.a", "iscsi.chap.b", "scsi.read10.c"];

    const TEXT: &str = r#"
target = "tgtd"
description = "a test profile"

[[setup]]
name = "chap"
description = "CHAP on every session"

[[setup]]
name = "plain"
description = "no authentication"

[[expected-failure]]
id = "iscsi.login.a"
reason = "answers the wrong status"
actual = "status 0x0201"

[[expected-failure]]
id = "iscsi.chap.b"
reason = "answers Success without CHAP"
actual = "status 0x0000"
setups = ["plain"]

[[expected-not-applicable]]
id = "scsi.read10.c"
reason = "no READ (10) here"
"#;

    fn report(id: &'static str, level: Level, outcome: Outcome) -> ScenarioReport {
        ScenarioReport {
            id,
            area: "login",
            clause: "RFC 7143 §1",
            level,
            requirement: "test",
            outcome,
            transcript: String::new(),
            elapsed: Duration::ZERO,
            earlier: Vec::new(),
        }
    }

    fn must(id: &'static str, outcome: Outcome) -> ScenarioReport {
        report(id, Level::Must, outcome)
    }

    fn rules<'a>(profile: &'a Profile, setup: &'a str) -> Rules<'a> {
        Rules {
            profile: Some(profile),
            setup: Some(setup),
            strict: false,
        }
    }

    const FAILURE: Judgement = Judgement::Unexcused {
        weight: Weight::Failure,
        mismatch: None,
    };

    #[test]
    fn parses_entries_with_their_reasons_pins_and_setups() {
        let profile = Profile::parse(TEXT, KNOWN).unwrap();
        assert_eq!(profile.target, "tgtd");
        assert!(profile.verified);
        let names: Vec<_> = profile.setups.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["chap", "plain"]);
        let a = profile.expectation("iscsi.login.a", Some("chap")).unwrap();
        assert_eq!(a.expected, Expected::Fail);
        assert_eq!(a.reason, "answers the wrong status");
        assert_eq!(a.pin.as_deref(), Some("status 0x0201"));
        assert_eq!(
            profile
                .expectation("scsi.read10.c", Some("plain"))
                .map(|e| e.expected),
            Some(Expected::NotApplicable)
        );
        assert!(profile.expectation("iscsi.chap.b", Some("chap")).is_none());
        assert!(profile.expectation("iscsi.chap.b", Some("plain")).is_some());
    }

    #[test]
    fn verified_false_is_kept() {
        let profile = Profile::parse("target = \"lio\"\nverified = false\n", KNOWN).unwrap();
        assert!(!profile.verified);
        assert!(profile.entries.is_empty());
        assert!(profile.check_setup(None).is_ok());
        assert!(matches!(
            profile.check_setup(Some("chap")),
            Err(ProfileError::NoSuchSetup { .. })
        ));
    }

    #[test]
    fn a_profile_with_setups_needs_one_named() {
        let profile = Profile::parse(TEXT, KNOWN).unwrap();
        let error = profile.check_setup(None).unwrap_err();
        assert!(error.to_string().contains("--setup NAME"), "{error}");
        assert!(error.to_string().contains("chap, plain"), "{error}");
        assert!(profile.check_setup(Some("plain")).is_ok());
        let error = profile.check_setup(Some("ldap")).unwrap_err();
        assert!(error.to_string().contains("it has chap, plain"), "{error}");
    }

    #[test]
    fn an_unknown_id_is_an_error() {
        let text = "target = \"x\"\n[[expected-failure]]\nid = \"iscsi.login.nope\"\n\
                    reason = \"r\"\nactual = \"a\"\n";
        let error = Profile::parse(text, KNOWN).unwrap_err();
        assert!(matches!(&error, ProfileError::UnknownId(id) if id == "iscsi.login.nope"));
        assert!(error.to_string().contains("--list"));
    }

    fn entry(group: &str, extra: &str) -> String {
        format!("[[{group}]]\nid = \"iscsi.login.a\"\nreason = \"r\"\n{extra}")
    }

    #[test]
    fn duplicates_missing_reasons_and_unknown_keys_are_errors() {
        let twice = format!(
            "target = \"x\"\n{}{}",
            entry("expected-failure", "actual = \"a\"\n"),
            entry("expected-skip", "")
        );
        assert!(matches!(
            Profile::parse(&twice, KNOWN),
            Err(ProfileError::Duplicate(_))
        ));
        let blank = "target = \"x\"\n[[expected-failure]]\nid = \"iscsi.login.a\"\n\
                     reason = \" \"\nactual = \"a\"\n";
        assert!(matches!(
            Profile::parse(blank, KNOWN),
            Err(ProfileError::NoReason(_))
        ));
        let typo = format!("target = \"x\"\n{}", entry("expected-failures", ""));
        assert!(matches!(
            Profile::parse(&typo, KNOWN),
            Err(ProfileError::Syntax(_))
        ));
        let no_reason = "target = \"x\"\n[[expected-failure]]\nid = \"iscsi.login.a\"\n";
        assert!(matches!(
            Profile::parse(no_reason, KNOWN),
            Err(ProfileError::Syntax(_))
        ));
    }

    /// A profile of the one entry `entry(group, extra)`.
    fn one(group: &str, extra: &str) -> Result<Profile, ProfileError> {
        Profile::parse(&format!("target = \"x\"\n{}", entry(group, extra)), KNOWN)
    }

    #[test]
    fn an_expected_failure_needs_a_pin_and_only_it_takes_one() {
        let error = one("expected-failure", "").unwrap_err();
        assert!(matches!(error, ProfileError::NoPin(_)));
        assert!(
            error.to_string().contains("add actual = \"...\""),
            "{error}"
        );
        assert!(matches!(
            one("expected-failure", "actual = \"\"\n"),
            Err(ProfileError::NoPin(_))
        ));
        assert!(matches!(
            one("expected-skip", "actual = \"a\"\n"),
            Err(ProfileError::PinWithoutFailure(_))
        ));
    }

    #[test]
    fn setups_must_be_declared_and_entries_may_differ_by_setup() {
        let undeclared = format!(
            "target = \"x\"\n{}",
            entry("expected-failure", "actual = \"a\"\nsetups = [\"plain\"]\n")
        );
        let error = Profile::parse(&undeclared, KNOWN).unwrap_err();
        assert!(
            error.to_string().contains("[[setup]] name = \"plain\""),
            "{error}"
        );
        let header = "target = \"x\"\n[[setup]]\nname = \"chap\"\ndescription = \"d\"\n\
                      [[setup]]\nname = \"plain\"\ndescription = \"d\"\n";
        let per_setup = format!(
            "{header}{}{}",
            entry(
                "expected-failure",
                "actual = \"one\"\nsetups = [\"chap\"]\n"
            ),
            entry(
                "expected-failure",
                "actual = \"two\"\nsetups = [\"plain\"]\n"
            )
        );
        let profile = Profile::parse(&per_setup, KNOWN).unwrap();
        let pin = |setup| {
            profile
                .expectation("iscsi.login.a", Some(setup))
                .and_then(|e| e.pin.as_deref())
        };
        assert_eq!((pin("chap"), pin("plain")), (Some("one"), Some("two")));
        let overlapping = format!(
            "{header}{}{}",
            entry(
                "expected-failure",
                "actual = \"one\"\nsetups = [\"chap\"]\n"
            ),
            entry("expected-failure", "actual = \"two\"\n")
        );
        assert!(matches!(
            Profile::parse(&overlapping, KNOWN),
            Err(ProfileError::Duplicate(_))
        ));
        let twice = format!("{header}[[setup]]\nname = \"chap\"\ndescription = \"d\"\n");
        assert!(matches!(
            Profile::parse(&twice, KNOWN),
            Err(ProfileError::DuplicateSetup(_))
        ));
    }

    #[test]
    fn judging_against_a_profile() {
        let profile = Profile::parse(TEXT, KNOWN).unwrap();
        let p = &rules(&profile, "chap");
        let fail = || Outcome::fail("x", "status 0x0201 (Target moved temporarily)");
        // The expected failure fails, as pinned: fine.
        assert_eq!(
            judge(p, &must("iscsi.login.a", fail())),
            Judgement::ExpectedFailure("answers the wrong status".into())
        );
        // It passes: the profile is stale.
        let pass = judge(p, &must("iscsi.login.a", Outcome::Pass));
        assert_eq!(
            pass,
            Judgement::UnexpectedPass(Expected::Fail, "answers the wrong status".into())
        );
        assert!(!pass.is_ok());
        // It could not run: not exercised, not a mismatch.
        let skipped = judge(p, &must("iscsi.login.a", Outcome::skip("no CHAP")));
        assert_eq!(
            skipped,
            Judgement::NotExercised("answers the wrong status".into())
        );
        assert!(skipped.is_ok());
        // A failure nobody expected (the entry for it holds in "plain" only).
        let unexpected = judge(p, &must("iscsi.chap.b", fail()));
        assert_eq!(unexpected, FAILURE);
        assert!(!unexpected.is_ok());
        // Expected n/a but passes: unexpected pass; expected n/a and fails:
        // an unexpected failure (only an expected failure excuses one).
        assert!(matches!(
            judge(p, &must("scsi.read10.c", Outcome::Pass)),
            Judgement::UnexpectedPass(Expected::NotApplicable, _)
        ));
        assert_eq!(judge(p, &must("scsi.read10.c", fail())), FAILURE);
        assert_eq!(
            judge(p, &must("scsi.read10.c", Outcome::not_applicable("none"))),
            Judgement::Fine
        );
    }

    #[test]
    fn a_listed_failure_of_another_kind_is_unexpected() {
        let profile = Profile::parse(TEXT, KNOWN).unwrap();
        let other = must("iscsi.login.a", Outcome::fail("x", "the connection closed"));
        let judgement = judge(&rules(&profile, "chap"), &other);
        assert_eq!(
            judgement,
            Judgement::Unexcused {
                weight: Weight::Failure,
                mismatch: Some(Mismatch {
                    reason: "answers the wrong status".into(),
                    pin: "status 0x0201".into(),
                }),
            }
        );
        assert!(!judgement.is_ok());
    }

    #[test]
    fn an_entry_holds_only_in_its_setups() {
        let profile = Profile::parse(TEXT, KNOWN).unwrap();
        let b = must("iscsi.chap.b", Outcome::fail("a refusal", "status 0x0000"));
        assert_eq!(
            judge(&rules(&profile, "plain"), &b),
            Judgement::ExpectedFailure("answers Success without CHAP".into())
        );
        assert_eq!(judge(&rules(&profile, "chap"), &b), FAILURE);
        let passes = must("iscsi.chap.b", Outcome::Pass);
        assert_eq!(judge(&rules(&profile, "chap"), &passes), Judgement::Fine);
    }

    #[test]
    fn a_must_failure_fails_the_run() {
        let judgement = judge(&Rules::default(), &must("a.b.c", Outcome::fail("x", "y")));
        assert_eq!(judgement, FAILURE);
        assert!(!judgement.is_ok());
    }

    #[test]
    fn a_should_failure_warns() {
        let should = report("a.b.c", Level::Should, Outcome::fail("x", "y"));
        let judgement = judge(&Rules::default(), &should);
        assert_eq!(judgement.weight(), Some(Weight::Warning));
        assert!(judgement.is_ok());
    }

    #[test]
    fn a_should_failure_fails_the_run_under_strict() {
        let should = report("a.b.c", Level::Should, Outcome::fail("x", "y"));
        let strict = Rules {
            strict: true,
            ..Rules::default()
        };
        let judgement = judge(&strict, &should);
        assert_eq!(judgement, FAILURE);
        assert!(!judgement.is_ok());
    }

    #[test]
    fn a_may_failure_never_fails_the_run() {
        let may = report("a.b.c", Level::May, Outcome::fail("x", "y"));
        for strict in [false, true] {
            let rules = Rules {
                strict,
                ..Rules::default()
            };
            let judgement = judge(&rules, &may);
            assert_eq!(judgement.weight(), Some(Weight::Note));
            assert!(judgement.is_ok());
        }
    }

    #[test]
    fn a_should_failure_the_profile_lists_is_expected() {
        let profile = Profile::parse(TEXT, KNOWN).unwrap();
        let should = report(
            "iscsi.login.a",
            Level::Should,
            Outcome::fail("x", "status 0x0201"),
        );
        for strict in [false, true] {
            let rules = Rules {
                strict,
                ..rules(&profile, "chap")
            };
            assert_eq!(
                judge(&rules, &should),
                Judgement::ExpectedFailure("answers the wrong status".into())
            );
        }
        // Failing in another way, it is a warning again (a failure under --strict).
        let other = report("iscsi.login.a", Level::Should, Outcome::fail("x", "closed"));
        let judgement = judge(&rules(&profile, "chap"), &other);
        assert_eq!(judgement.weight(), Some(Weight::Warning));
    }

    #[test]
    fn without_a_profile_only_failures_count() {
        let none = &Rules::default();
        assert_eq!(judge(none, &must("a.b.c", Outcome::Pass)), Judgement::Fine);
        assert_eq!(
            judge(none, &must("a.b.c", Outcome::skip("r"))),
            Judgement::Fine
        );
        assert_eq!(
            judge(none, &must("a.b.c", Outcome::not_applicable("r"))),
            Judgement::Fine
        );
        assert_eq!(
            judge(none, &must("a.b.c", Outcome::fail("x", "y"))),
            FAILURE
        );
    }
}
