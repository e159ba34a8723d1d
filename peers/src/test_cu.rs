//! libiscsi's `iscsi-test-cu`: running it and reading its CUnit output into
//! one outcome per unique test (`Suite.Test`).
//!
//! A test that printed `[SKIPPED]` counts as skipped even though CUnit calls
//! it passed: a skip is never a pass.

use crate::process::command_line;
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::Command;

/// What happened to one test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    Passed,
    Skipped,
    Failed,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "failed",
        }
    }
}

/// One test's outcome and what it printed (the skip reason or the failure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResult {
    pub outcome: Outcome,
    pub output: String,
    /// Where the outcome comes from when not the main run (see
    /// [`Summary::replace_with`]).
    pub on: Option<String>,
}

/// Every unique test of a run, by `Suite.Test`, in name order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub tests: BTreeMap<String, TestResult>,
}

impl Summary {
    /// Reads the output of `iscsi-test-cu` in its default verbose mode: a
    /// `Suite: S` line, then per test `  Test: T ...` followed, on the same
    /// line or after what the test printed, by `passed` or `FAILED`. A test
    /// that ran twice under the same name keeps its worst outcome.
    pub fn parse(output: &str) -> Summary {
        let mut summary = Summary::default();
        let mut suite = String::new();
        let mut current: Option<(String, Vec<&str>)> = None;
        for line in output.lines() {
            if let Some(name) = line.strip_prefix("Suite: ") {
                suite = name.trim().to_owned();
                continue;
            }
            if let Some(rest) = line.strip_prefix("  Test: ") {
                if let Some((name, after)) = rest.split_once(" ...") {
                    let key = format!("{suite}.{}", name.trim());
                    current = Some((key, Vec::new()));
                    if let Some(outcome) = terminal(after) {
                        summary.record(current.take(), outcome);
                    } else if let Some((_, printed)) = current.as_mut() {
                        printed.push(after);
                    }
                    continue;
                }
            }
            if current.is_some() {
                match terminal(line) {
                    Some(outcome) => summary.record(current.take(), outcome),
                    None => {
                        if let Some((_, printed)) = current.as_mut() {
                            printed.push(line);
                        }
                    }
                }
            }
        }
        summary
    }

    fn record(&mut self, test: Option<(String, Vec<&str>)>, outcome: Outcome) {
        let Some((key, printed)) = test else { return };
        let output = printed
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        let outcome = if outcome == Outcome::Passed && output.contains("[SKIPPED]") {
            Outcome::Skipped
        } else {
            outcome
        };
        let entry = self.tests.entry(key).or_insert(TestResult {
            outcome,
            output: String::new(),
            on: None,
        });
        if outcome >= entry.outcome {
            *entry = TestResult {
                outcome,
                output,
                on: None,
            };
        }
    }

    /// Takes from `other` (a run of some tests on a second LU that has a
    /// property the first lacks, such as write protection) every test
    /// skipped here that ran there: its outcome there replaces the skip.
    pub fn merge_skipped(&mut self, other: &Summary) {
        for (name, theirs) in &other.tests {
            if let Some(ours) = self.tests.get_mut(name) {
                if ours.outcome == Outcome::Skipped && theirs.outcome != Outcome::Skipped {
                    *ours = theirs.clone();
                }
            }
        }
    }

    /// Puts the outcome `other` has for `name` (a run of that one test on
    /// `on`, a second LU configured for its premise) in place of this
    /// run's. False when `other` did not run it.
    pub fn replace_with(&mut self, other: &Summary, name: &str, on: &str) -> bool {
        let Some(theirs) = other.tests.get(name) else {
            return false;
        };
        let result = TestResult {
            on: Some(on.to_owned()),
            ..theirs.clone()
        };
        self.tests.insert(name.to_owned(), result);
        true
    }

    /// Sorts the tests named in `known` (expected failures): those that
    /// failed, and those that did not (a stale entry).
    pub fn known_failures(&self, known: &[String]) -> Known {
        let mut k = Known::default();
        for name in known {
            match self.tests.get(name).map(|t| t.outcome) {
                Some(Outcome::Failed) => k.failed.push(name.clone()),
                Some(_) => k.passed.push(name.clone()),
                // Not run (another test selection): neither.
                None => {}
            }
        }
        k
    }

    pub fn count(&self, outcome: Outcome) -> usize {
        self.tests.values().filter(|t| t.outcome == outcome).count()
    }

    /// `tests=N passed=P skipped=S failed=F`.
    pub fn totals(&self) -> String {
        format!(
            "tests={} passed={} skipped={} failed={}",
            self.tests.len(),
            self.count(Outcome::Passed),
            self.count(Outcome::Skipped),
            self.count(Outcome::Failed)
        )
    }

    /// One line per test, `outcome  Suite.Test`, the totals first, and for
    /// each skipped or failed test what it printed (first line).
    pub fn report(&self) -> String {
        let mut text = format!("# totals: {}\n", self.totals());
        for (name, result) in &self.tests {
            let _ = write!(text, "{:<8} {name}", result.outcome.label());
            if let Some(on) = &result.on {
                let _ = write!(text, "  (on {on})");
            }
            if result.outcome != Outcome::Passed {
                // The line that says why: [SKIPPED] or [FAILED], else the first.
                let marker = match result.outcome {
                    Outcome::Skipped => "[SKIPPED]",
                    _ => "[FAILED]",
                };
                let mut lines = result.output.lines();
                let why = lines
                    .clone()
                    .find(|l| l.contains(marker))
                    .or_else(|| lines.next())
                    .unwrap_or_default();
                let _ = write!(text, "  {why}");
            }
            text.push('\n');
        }
        text
    }
}

/// Expected failures, as [`Summary::known_failures`] found them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Known {
    /// Listed and failed.
    pub failed: Vec<String>,
    /// Listed but passed or skipped.
    pub passed: Vec<String>,
}

/// `passed` or `FAILED` alone closes a test, on the test's own line after
/// `...` or on a line of its own after what the test printed.
fn terminal(text: &str) -> Option<Outcome> {
    match text.trim() {
        "passed" => Some(Outcome::Passed),
        "FAILED" => Some(Outcome::Failed),
        _ => None,
    }
}

/// How to run the tool.
#[derive(Debug, Clone)]
pub struct Run {
    /// `iscsi://host:port/iqn/lun`
    pub url: String,
    pub initiator_name: String,
    pub initiator_name_2: String,
    /// A test name expression (`ALL`, `iSCSI`, `SCSI.Read10`, ...).
    pub tests: String,
    /// Allow destructive tests (`-d`).
    pub dataloss: bool,
    /// Allow the SANITIZE tests (`-S`).
    pub allow_sanitize: bool,
    /// A second URL to the same LU through another portal (the tool's
    /// multipath argument, for the MultipathIO tests).
    pub multipath_url: Option<String>,
}

/// Runs `iscsi-test-cu` (printing its command line) and reads its output.
pub fn run(run: &Run) -> Result<(Summary, String)> {
    let mut command = Command::new("iscsi-test-cu");
    if run.dataloss {
        command.arg("-d");
    }
    if run.allow_sanitize {
        command.arg("-S");
    }
    command
        .args(["-i", &run.initiator_name, "-I", &run.initiator_name_2])
        .args(["-t", &run.tests])
        .arg(&run.url);
    if let Some(mp) = &run.multipath_url {
        command.arg(mp);
    }
    let line = command_line(&command);
    println!("$ {line}");
    let output = command
        .output()
        .with_context(|| format!("could not start `{line}`; run `cargo xtask peers`"))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    let summary = Summary::parse(&text);
    if summary.tests.is_empty() {
        bail!("`{line}` ran no test ({}):\n{text}", output.status);
    }
    Ok((summary, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(lines: &str) -> Summary {
        Summary::parse(lines)
    }

    #[test]
    fn merge_and_known_failures() {
        let mut main = summary(
            "Suite: ReadOnly\n  Test: ReadOnlySBC ...    [SKIPPED] not write-protected\npassed\n\
             Suite: Unmap\n  Test: Simple ...FAILED\n  Test: VPD ...passed\n",
        );
        let ro = summary(
            "Suite: ReadOnly\n  Test: ReadOnlySBC ...passed\nSuite: Unmap\n  Test: VPD ...FAILED\n",
        );
        main.merge_skipped(&ro);
        // The skip is replaced; a test that ran in both keeps its outcome.
        assert_eq!(main.totals(), "tests=3 passed=2 skipped=0 failed=1");
        let other = summary("Suite: Unmap\n  Test: Simple ...passed\n");
        assert!(main.replace_with(&other, "Unmap.Simple", "lun 2"));
        assert!(!main.replace_with(&other, "Unmap.VPD", "lun 2"));
        assert_eq!(main.tests["Unmap.Simple"].outcome, Outcome::Passed);
        assert!(main
            .report()
            .contains("passed   Unmap.Simple  (on lun 2)\n"));
        assert_eq!(main.totals(), "tests=3 passed=3 skipped=0 failed=0");
        let main = summary(
            "Suite: ReadOnly\n  Test: ReadOnlySBC ...passed\n\
             Suite: Unmap\n  Test: Simple ...FAILED\n  Test: VPD ...passed\n",
        );
        let k = main.known_failures(&["Unmap.Simple".into(), "Unmap.VPD".into(), "X.Y".into()]);
        assert_eq!(k.failed, vec!["Unmap.Simple".to_string()]);
        assert_eq!(k.passed, vec!["Unmap.VPD".to_string()]);
    }
}
