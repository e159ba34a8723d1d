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
//! [[expected-failure]]
//! id = "iscsi.login.unknown-target"
//! reason = "answers 0x0201 (target moved temporarily) instead of 0x0203"
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
//! Every id must name a scenario of the catalogue, once. A run matches its
//! profile when no scenario fails unless the profile expects it to, and no
//! scenario the profile lists passes (an unexpected pass means the target
//! was fixed or the profile is stale: either way the profile must change).

use crate::runner::ScenarioReport;
use crate::scenario::Outcome;
use serde::Deserialize;
use std::collections::BTreeMap;
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
    pub expected: Expected,
    pub reason: String,
}

/// A parsed, checked profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The kind of target (`tgtd`).
    pub target: String,
    pub description: String,
    /// False for a profile written without a real run to confirm it.
    pub verified: bool,
    pub entries: BTreeMap<String, Expectation>,
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
struct Entry {
    id: String,
    reason: String,
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
    #[error("the profile names {0:?} twice; keep one entry per scenario")]
    Duplicate(String),
    #[error("the profile's entry for {0:?} gives no reason; say why the target departs")]
    NoReason(String),
}

impl Profile {
    /// Parses `text`, checking every id against `known` (the catalogue's).
    pub fn parse(text: &str, known: &[&str]) -> Result<Profile, ProfileError> {
        let file: File = toml::from_str(text).map_err(|e| ProfileError::Syntax(e.to_string()))?;
        let mut entries = BTreeMap::new();
        let groups = [
            (Expected::Fail, file.expected_failure),
            (Expected::Skip, file.expected_skip),
            (Expected::NotApplicable, file.expected_not_applicable),
        ];
        for (expected, group) in groups {
            for Entry { id, reason } in group {
                if !known.contains(&id.as_str()) {
                    return Err(ProfileError::UnknownId(id));
                }
                if reason.trim().is_empty() {
                    return Err(ProfileError::NoReason(id));
                }
                if entries.contains_key(&id) {
                    return Err(ProfileError::Duplicate(id));
                }
                entries.insert(id, Expectation { expected, reason });
            }
        }
        Ok(Profile {
            target: file.target,
            description: file.description,
            verified: file.verified,
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

    pub fn expectation(&self, id: &str) -> Option<&Expectation> {
        self.entries.get(id)
    }
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
    /// Failed, and no profile entry expects it.
    UnexpectedFailure,
    /// Passed where the profile expects a failure, skip or n/a; what it
    /// expected and why.
    UnexpectedPass(Expected, String),
}

impl Judgement {
    /// Whether this result keeps the run's exit status at zero.
    pub fn is_ok(&self) -> bool {
        !matches!(
            self,
            Judgement::UnexpectedFailure | Judgement::UnexpectedPass(..)
        )
    }
}

/// Judges one report.
pub fn judge(profile: Option<&Profile>, report: &ScenarioReport) -> Judgement {
    let expectation = profile.and_then(|p| p.expectation(report.id));
    match (&report.outcome, expectation) {
        (Outcome::Pass, None) => Judgement::Fine,
        (Outcome::Pass, Some(e)) => Judgement::UnexpectedPass(e.expected, e.reason.clone()),
        (Outcome::Fail { .. }, Some(e)) if e.expected == Expected::Fail => {
            Judgement::ExpectedFailure(e.reason.clone())
        }
        (Outcome::Fail { .. }, _) => Judgement::UnexpectedFailure,
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
    use crate::scenario::Level;
    use std::time::Duration;

    const KNOWN: &[&str] = &["iscsi.login.a", "iscsi.chap.b", "scsi.read10.c"];

    const TEXT: &str = r#"
target = "tgtd"
description = "a test profile"

[[expected-failure]]
id = "iscsi.login.a"
reason = "answers the wrong status"

[[expected-not-applicable]]
id = "scsi.read10.c"
reason = "no READ (10) here"
"#;

    fn report(id: &'static str, outcome: Outcome) -> ScenarioReport {
        ScenarioReport {
            id,
            area: "login",
            clause: "RFC 7143 §1",
            level: Level::Must,
            requirement: "test",
            outcome,
            transcript: String::new(),
            elapsed: Duration::ZERO,
            earlier: Vec::new(),
        }
    }

    #[test]
    fn parses_entries_with_their_reasons() {
        let profile = Profile::parse(TEXT, KNOWN).unwrap();
        assert_eq!(profile.target, "tgtd");
        assert!(profile.verified);
        assert_eq!(
            profile.expectation("iscsi.login.a"),
            Some(&Expectation {
                expected: Expected::Fail,
                reason: "answers the wrong status".into()
            })
        );
        assert_eq!(
            profile.expectation("scsi.read10.c").map(|e| e.expected),
            Some(Expected::NotApplicable)
        );
        assert_eq!(profile.expectation("iscsi.chap.b"), None);
    }

    #[test]
    fn verified_false_is_kept() {
        let profile = Profile::parse("target = \"lio\"\nverified = false\n", KNOWN).unwrap();
        assert!(!profile.verified);
        assert!(profile.entries.is_empty());
    }

    #[test]
    fn an_unknown_id_is_an_error() {
        let text =
            "target = \"x\"\n[[expected-failure]]\nid = \"iscsi.login.nope\"\nreason = \"r\"\n";
        let error = Profile::parse(text, KNOWN).unwrap_err();
        assert!(matches!(&error, ProfileError::UnknownId(id) if id == "iscsi.login.nope"));
        assert!(error.to_string().contains("--list"));
    }

    #[test]
    fn duplicates_missing_reasons_and_unknown_keys_are_errors() {
        let twice =
            "target = \"x\"\n[[expected-failure]]\nid = \"iscsi.login.a\"\nreason = \"r\"\n\
                     [[expected-skip]]\nid = \"iscsi.login.a\"\nreason = \"r\"\n";
        assert!(matches!(
            Profile::parse(twice, KNOWN),
            Err(ProfileError::Duplicate(_))
        ));
        let blank =
            "target = \"x\"\n[[expected-failure]]\nid = \"iscsi.login.a\"\nreason = \" \"\n";
        assert!(matches!(
            Profile::parse(blank, KNOWN),
            Err(ProfileError::NoReason(_))
        ));
        let typo =
            "target = \"x\"\n[[expected-failures]]\nid = \"iscsi.login.a\"\nreason = \"r\"\n";
        assert!(matches!(
            Profile::parse(typo, KNOWN),
            Err(ProfileError::Syntax(_))
        ));
        let no_reason = "target = \"x\"\n[[expected-failure]]\nid = \"iscsi.login.a\"\n";
        assert!(matches!(
            Profile::parse(no_reason, KNOWN),
            Err(ProfileError::Syntax(_))
        ));
    }

    #[test]
    fn judging_against_a_profile() {
        let profile = Profile::parse(TEXT, KNOWN).unwrap();
        let p = Some(&profile);
        let fail = || Outcome::fail("x", "y");
        // The expected failure fails: fine.
        assert_eq!(
            judge(p, &report("iscsi.login.a", fail())),
            Judgement::ExpectedFailure("answers the wrong status".into())
        );
        // It passes: the profile is stale.
        let pass = judge(p, &report("iscsi.login.a", Outcome::Pass));
        assert_eq!(
            pass,
            Judgement::UnexpectedPass(Expected::Fail, "answers the wrong status".into())
        );
        assert!(!pass.is_ok());
        // It could not run: not exercised, not a mismatch.
        let skipped = judge(p, &report("iscsi.login.a", Outcome::skip("no CHAP")));
        assert_eq!(
            skipped,
            Judgement::NotExercised("answers the wrong status".into())
        );
        assert!(skipped.is_ok());
        // A failure nobody expected.
        let unexpected = judge(p, &report("iscsi.chap.b", fail()));
        assert_eq!(unexpected, Judgement::UnexpectedFailure);
        assert!(!unexpected.is_ok());
        // Expected n/a but passes: unexpected pass; expected n/a and fails:
        // an unexpected failure (only an expected failure excuses one).
        assert!(matches!(
            judge(p, &report("scsi.read10.c", Outcome::Pass)),
            Judgement::UnexpectedPass(Expected::NotApplicable, _)
        ));
        assert_eq!(
            judge(p, &report("scsi.read10.c", fail())),
            Judgement::UnexpectedFailure
        );
        assert_eq!(
            judge(p, &report("scsi.read10.c", Outcome::not_applicable("none"))),
            Judgement::Fine
        );
    }

    #[test]
    fn without_a_profile_only_failures_count() {
        assert_eq!(
            judge(None, &report("a.b.c", Outcome::Pass)),
            Judgement::Fine
        );
        assert_eq!(
            judge(None, &report("a.b.c", Outcome::skip("r"))),
            Judgement::Fine
        );
        assert_eq!(
            judge(None, &report("a.b.c", Outcome::not_applicable("r"))),
            Judgement::Fine
        );
        assert_eq!(
            judge(None, &report("a.b.c", Outcome::fail("x", "y"))),
            Judgement::UnexpectedFailure
        );
    }
}
