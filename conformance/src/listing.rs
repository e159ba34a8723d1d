//! `--list`: the scenarios by area, each with its level, clause,
//! requirement and needs, and a count.

use crate::scenario::{Needs, Scenario};
use std::fmt::Write as _;

/// What `needs` asks of the options, in words (`-` for nothing).
pub fn needs_words(needs: &Needs) -> String {
    let words: Vec<&str> = [
        (needs.chap, "chap"),
        (needs.chap_required, "chap-required"),
        (needs.mutual_chap, "mutual-chap"),
        (needs.second_initiator, "second-initiator"),
        (needs.destructive, "destructive"),
    ]
    .into_iter()
    .filter_map(|(set, word)| set.then_some(word))
    .collect();
    if words.is_empty() {
        "-".to_owned()
    } else {
        words.join(", ")
    }
}

/// The listing of `scenarios` (already filtered), areas in catalogue order.
pub fn render(scenarios: &[&Scenario]) -> String {
    let mut out = String::new();
    let mut areas: Vec<&str> = Vec::new();
    for s in scenarios {
        if !areas.contains(&s.area()) {
            areas.push(s.area());
        }
    }
    for area in &areas {
        let members: Vec<&&Scenario> = scenarios.iter().filter(|s| s.area() == *area).collect();
        let _ = writeln!(out, "{area} ({})", members.len());
        for s in members {
            let _ = writeln!(out, "  {}  {}  {}", s.id, s.level, s.clause);
            let _ = writeln!(out, "      {}", s.requirement);
            let needs = needs_words(&s.needs);
            if needs != "-" {
                let _ = writeln!(out, "      needs: {needs}");
            }
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{} scenarios in {} areas",
        scenarios.len(),
        areas.len()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Level, Outcome, Verdict};

    fn run(_: &mut crate::context::Context) -> Verdict {
        Ok(Outcome::Pass)
    }

    const SET: &[Scenario] = &[
        Scenario {
            id: "iscsi.chap.one",
            clause: "RFC 7143 §12.1.3",
            level: Level::Must,
            requirement: "first",
            needs: Needs {
                chap: true,
                mutual_chap: true,
                ..Needs::NONE
            },
            run,
        },
        Scenario {
            id: "scsi.read10.two",
            clause: "SBC-4 §5.16",
            level: Level::Should,
            requirement: "second",
            needs: Needs::NONE,
            run,
        },
    ];

    #[test]
    fn lists_by_area_with_needs_and_a_count() {
        let all: Vec<&Scenario> = SET.iter().collect();
        assert_eq!(
            render(&all),
            "chap (1)\n  iscsi.chap.one  MUST  RFC 7143 §12.1.3\n      first\n      \
             needs: chap, mutual-chap\n\nscsi (1)\n  scsi.read10.two  SHOULD  SBC-4 §5.16\n      \
             second\n\n2 scenarios in 2 areas\n"
        );
    }
}
