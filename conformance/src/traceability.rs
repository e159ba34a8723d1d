//! The traceability matrix: the target-side requirements of RFC 7143 that a
//! test over TCP can observe (`requirements/rfc7143.toml`), each with the
//! catalogue scenarios that check it, rendered as `TRACEABILITY.md`.
//!
//! The requirements file is data; this module only checks it against the
//! catalogue (every scenario it names exists, ids are unique, every section
//! falls in a declared group) and renders it, deterministically: groups and
//! rows sorted by section number, compared numerically (`4.2` < `11.2`).

use crate::scenario::Scenario;
use serde::Deserialize;
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::fmt::{self, Write as _};

/// The requirements file shipped with the crate.
pub const REQUIREMENTS: &str = include_str!("../requirements/rfc7143.toml");

/// The clause prefix a scenario of RFC 7143 carries.
const RFC: &str = "RFC 7143";

/// The requirements file: the groups its tables fall into, and the
/// requirements.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirements {
    #[serde(rename = "group")]
    pub groups: Vec<Group>,
    #[serde(rename = "requirement")]
    pub requirements: Vec<Requirement>,
}

/// A run of sections rendered as one table: every section equal to or
/// below `section` (the longest matching group wins).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub section: String,
    pub title: String,
}

/// One target-side requirement of the RFC.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// Stable id: `rfc7143.11.12.4-max-version`.
    pub id: String,
    /// The section that states it: `11.12.4`.
    pub section: String,
    pub level: Strength,
    /// The requirement, in our own words.
    pub requirement: String,
    /// A few words of the RFC's text, to find the sentence.
    pub phrase: String,
    /// Whether the entry was checked against the RFC's text.
    pub checked: bool,
    /// Where the text was read (RFC 7143, or the RFC 3720 sentence it
    /// carried over).
    #[serde(default)]
    pub checked_against: Option<String>,
    /// The ids of the catalogue scenarios that observe it.
    #[serde(default)]
    pub scenarios: Vec<String>,
}

/// MUST (and MUST NOT) or SHOULD (and SHOULD NOT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Strength {
    #[serde(rename = "MUST")]
    Must,
    #[serde(rename = "SHOULD")]
    Should,
}

impl fmt::Display for Strength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strength::Must => "MUST",
            Strength::Should => "SHOULD",
        })
    }
}

/// Why the requirements file cannot be rendered.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TraceError {
    #[error("the requirements file is not valid TOML of the expected shape: {0}")]
    Syntax(String),
    #[error("requirement {requirement} names {scenario:?}, which is no scenario id; `--list` shows them")]
    UnknownScenario {
        requirement: String,
        scenario: String,
    },
    #[error("requirement id {0:?} appears twice; give each requirement its own id")]
    DuplicateId(String),
    #[error("requirement {id} has section {section:?}; write a section number such as 11.12.4")]
    BadSection { id: String, section: String },
    #[error("requirement {id} (section {section}) falls in no [[group]]; add one for its chapter")]
    NoGroup { id: String, section: String },
}

impl Requirements {
    /// Parses the file and checks it against `catalogue`.
    pub fn parse(text: &str, catalogue: &[&Scenario]) -> Result<Requirements, TraceError> {
        let file: Requirements =
            toml::from_str(text).map_err(|e| TraceError::Syntax(e.to_string()))?;
        let known: BTreeSet<&str> = catalogue.iter().map(|s| s.id).collect();
        let mut ids = BTreeSet::new();
        for r in &file.requirements {
            if !ids.insert(r.id.as_str()) {
                return Err(TraceError::DuplicateId(r.id.clone()));
            }
            if section_key(&r.section).is_none() {
                return Err(TraceError::BadSection {
                    id: r.id.clone(),
                    section: r.section.clone(),
                });
            }
            if file.group_of(&r.section).is_none() {
                return Err(TraceError::NoGroup {
                    id: r.id.clone(),
                    section: r.section.clone(),
                });
            }
            if let Some(unknown) = r.scenarios.iter().find(|s| !known.contains(s.as_str())) {
                return Err(TraceError::UnknownScenario {
                    requirement: r.id.clone(),
                    scenario: unknown.clone(),
                });
            }
        }
        Ok(file)
    }

    /// The index of the group `section` falls in: the longest group section
    /// that is `section` itself or one of its parents.
    fn group_of(&self, section: &str) -> Option<usize> {
        self.groups
            .iter()
            .enumerate()
            .filter(|(_, g)| {
                section == g.section || section.starts_with(&format!("{}.", g.section))
            })
            .max_by_key(|(_, g)| g.section.len())
            .map(|(i, _)| i)
    }

    /// The Markdown matrix.
    pub fn render(&self, catalogue: &[&Scenario]) -> String {
        let mut rows: Vec<&Requirement> = self.requirements.iter().collect();
        rows.sort_by(|a, b| by_section(&a.section, &b.section).then(a.id.cmp(&b.id)));
        let mapped: BTreeSet<&str> = rows
            .iter()
            .flat_map(|r| r.scenarios.iter().map(String::as_str))
            .collect();
        let unmapped: Vec<&&Scenario> = catalogue
            .iter()
            .filter(|s| s.clause.contains(RFC) && !mapped.contains(s.id))
            .collect();
        let count = |f: &dyn Fn(&Requirement) -> bool| rows.iter().filter(|r| f(r)).count();
        let mut out = String::new();
        out.push_str("# RFC 7143 traceability matrix\n\n");
        out.push_str(
            "Generated by `cargo xtask traceability` from `conformance/requirements/rfc7143.toml` \
             and the scenario catalogue; do not edit by hand. `cargo xtask traceability --check` \
             (part of `cargo xtask test`) fails when this file is out of date.\n\n",
        );
        let _ = writeln!(out, "| | count |\n|---|---|");
        let _ = writeln!(out, "| requirements | {} |", rows.len());
        let _ = writeln!(out, "| MUST | {} |", count(&|r| r.level == Strength::Must));
        let _ = writeln!(
            out,
            "| SHOULD | {} |",
            count(&|r| r.level == Strength::Should)
        );
        let _ = writeln!(out, "| covered | {} |", count(&|r| !r.scenarios.is_empty()));
        let _ = writeln!(
            out,
            "| not covered | {} |",
            count(&|r| r.scenarios.is_empty())
        );
        let _ = writeln!(
            out,
            "| not checked against the RFC's text | {} |",
            count(&|r| !r.checked)
        );
        let _ = writeln!(
            out,
            "| RFC 7143 scenarios that map to no requirement | {} |",
            unmapped.len()
        );
        let mut groups: Vec<usize> = rows
            .iter()
            .filter_map(|r| self.group_of(&r.section))
            .collect();
        groups.sort_by(|a, b| by_section(&self.groups[*a].section, &self.groups[*b].section));
        groups.dedup();
        for g in groups {
            let group = &self.groups[g];
            let _ = write!(
                out,
                "\n## {} {}\n\n",
                section_name(&group.section),
                group.title
            );
            out.push_str(
                "| id | section | level | requirement | scenarios |\n|---|---|---|---|---|\n",
            );
            for r in rows.iter().filter(|r| self.group_of(&r.section) == Some(g)) {
                let scenarios = if r.scenarios.is_empty() {
                    "not covered".to_owned()
                } else {
                    r.scenarios
                        .iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let unchecked = if r.checked { "" } else { " (text not checked)" };
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} | {} \"{}\"{} | {} |",
                    r.id,
                    r.section,
                    r.level,
                    cell(&r.requirement),
                    cell(&r.phrase),
                    unchecked,
                    scenarios
                );
            }
        }
        if !unmapped.is_empty() {
            out.push_str("\n## Scenarios that map to no requirement above\n\n");
            out.push_str("| scenario | level | clause |\n|---|---|---|\n");
            for s in unmapped {
                let _ = writeln!(out, "| `{}` | {} | {} |", s.id, s.level, s.clause);
            }
        }
        out
    }
}

/// Parses and renders the shipped requirements file against `catalogue`.
pub fn generate(catalogue: &[&Scenario]) -> Result<String, TraceError> {
    Ok(Requirements::parse(REQUIREMENTS, catalogue)?.render(catalogue))
}

/// A section number as numbers, appendices after the chapters:
/// `11.12.4` -> [(0, 11), (0, 12), (0, 4)], `C` -> [(1, 'C')].
fn section_key(section: &str) -> Option<Vec<(u8, u32)>> {
    section
        .split('.')
        .enumerate()
        .map(|(i, part)| match part.parse() {
            Ok(number) => Some((0, number)),
            Err(_) if i == 0 && part.len() == 1 && part.chars().all(|c| c.is_ascii_uppercase()) => {
                part.chars().next().map(|c| (1, u32::from(c)))
            }
            Err(_) => None,
        })
        .collect()
}

/// How a section is named in a heading: `§11.12`, `Appendix C`.
fn section_name(section: &str) -> String {
    if section.starts_with(|c: char| c.is_ascii_uppercase()) {
        format!("Appendix {section}")
    } else {
        format!("\u{a7}{section}")
    }
}

fn by_section(a: &str, b: &str) -> Ordering {
    section_key(a).cmp(&section_key(b))
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Level, Outcome, Verdict};

    fn run(_: &mut crate::context::Context) -> Verdict {
        Ok(Outcome::Pass)
    }

    const SET: &[Scenario] = &[
        Scenario::new(
            "iscsi.login.one",
            "RFC 7143 §11.12.4",
            Level::Must,
            "first",
            run,
        ),
        Scenario::new(
            "iscsi.login.two",
            "RFC 7143 §6.3",
            Level::Must,
            "second",
            run,
        ),
        Scenario::new(
            "scsi.read10.three",
            "SBC-4 §5.16",
            Level::Must,
            "third",
            run,
        ),
    ];

    fn catalogue() -> Vec<&'static Scenario> {
        SET.iter().collect()
    }

    const FILE: &str = r#"
[[group]]
section = "11"
title = "PDU formats"

[[group]]
section = "6"
title = "Negotiation"

[[requirement]]
id = "rfc7143.11.12.4-b"
section = "11.12.4"
level = "MUST"
requirement = "answers | within range"
phrase = "Version-max"
checked = true
scenarios = ["iscsi.login.one"]

[[requirement]]
id = "rfc7143.11.2-a"
section = "11.2"
level = "SHOULD"
requirement = "something unseen"
phrase = "reserved"
checked = false

[[requirement]]
id = "rfc7143.6.3-c"
section = "6.3"
level = "MUST"
requirement = "a stage rule"
phrase = "stage"
checked = true
"#;

    #[test]
    fn renders_counts_groups_in_numeric_order_and_unmapped_scenarios() {
        let text = Requirements::parse(FILE, &catalogue())
            .unwrap()
            .render(&catalogue());
        insta::assert_snapshot!(text);
    }

    #[test]
    fn an_unknown_scenario_id_is_an_error() {
        let file = FILE.replace("iscsi.login.one", "iscsi.login.nine");
        let error = Requirements::parse(&file, &catalogue()).unwrap_err();
        assert_eq!(
            error,
            TraceError::UnknownScenario {
                requirement: "rfc7143.11.12.4-b".into(),
                scenario: "iscsi.login.nine".into()
            }
        );
    }

    #[test]
    fn duplicate_ids_bad_sections_and_groupless_sections_are_errors() {
        let twice = FILE.replace("rfc7143.6.3-c", "rfc7143.11.2-a");
        assert!(matches!(
            Requirements::parse(&twice, &catalogue()),
            Err(TraceError::DuplicateId(id)) if id == "rfc7143.11.2-a"
        ));
        let bad = FILE.replace("\"6.3\"", "\"6.x\"");
        assert!(matches!(
            Requirements::parse(&bad, &catalogue()),
            Err(TraceError::BadSection { .. })
        ));
        let loose = FILE.replace("\"6.3\"", "\"7.1\"");
        assert!(matches!(
            Requirements::parse(&loose, &catalogue()),
            Err(TraceError::NoGroup { .. })
        ));
    }

    #[test]
    fn sections_compare_as_numbers() {
        assert_eq!(by_section("4.2.2.1", "11.2"), Ordering::Less);
        assert_eq!(by_section("11.12.4", "11.2"), Ordering::Greater);
        assert_eq!(by_section("11.12", "11.12.4"), Ordering::Less);
        assert_eq!(by_section("13.3", "C"), Ordering::Less);
        assert_eq!(section_key("C.1"), Some(vec![(1, u32::from('C')), (0, 1)]));
        assert_eq!(section_key("1.C"), None);
    }

    #[test]
    fn the_shipped_file_names_only_catalogue_scenarios() {
        let all = crate::catalogue::all();
        generate(&all).unwrap();
    }
}
