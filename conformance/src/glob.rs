//! Choosing scenarios by id: `--filter GLOB`, where `*` stands for any run
//! of characters (dots included) and `?` for one character.
//!
//! `iscsi.chap.*` picks the CHAP area, `scsi.read*` every READ variant,
//! `*.unknown-target` one name in any area. Several filters add up.

use crate::scenario::Scenario;
use rtgt_proto::glob::matches;

/// A filter that picks every scenario matching any of its patterns.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    patterns: Vec<String>,
}

/// A `--filter` that picked nothing (most likely a typo).
#[derive(Debug, thiserror::Error)]
#[error("--filter {0:?} matches no scenario id; `--list` shows them")]
pub struct NoMatch(pub String);

impl Filter {
    pub fn new(patterns: impl IntoIterator<Item = impl Into<String>>) -> Filter {
        Filter {
            patterns: patterns.into_iter().map(Into::into).collect(),
        }
    }

    /// Whether `id` is picked (everything is when there is no pattern).
    pub fn picks(&self, id: &str) -> bool {
        self.patterns.is_empty() || self.patterns.iter().any(|p| matches(p, id))
    }

    /// The scenarios picked, in catalogue order; a pattern that picks
    /// nothing is an error.
    pub fn select(
        &self,
        scenarios: &[&'static Scenario],
    ) -> Result<Vec<&'static Scenario>, NoMatch> {
        if let Some(unused) = self
            .patterns
            .iter()
            .find(|p| !scenarios.iter().any(|s| matches(p, s.id)))
        {
            return Err(NoMatch(unused.clone()));
        }
        Ok(scenarios
            .iter()
            .copied()
            .filter(|s| self.picks(s.id))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(_: &mut crate::context::Context) -> crate::scenario::Verdict {
        Ok(crate::scenario::Outcome::Pass)
    }

    const FIXTURE: &[Scenario] = &[
        fixture("iscsi.login.a"),
        fixture("iscsi.chap.b"),
        fixture("scsi.read10.c"),
    ];

    const fn fixture(id: &'static str) -> Scenario {
        Scenario {
            id,
            clause: "RFC 7143 §1",
            level: crate::scenario::Level::Must,
            requirement: "test",
            needs: crate::scenario::Needs::NONE,
            run,
        }
    }

    fn ids(picked: &[&Scenario]) -> Vec<&'static str> {
        picked.iter().map(|s| s.id).collect()
    }

    #[test]
    fn filters_add_up_and_keep_catalogue_order() {
        let all: Vec<&'static Scenario> = FIXTURE.iter().collect();
        let none = Filter::default().select(&all).unwrap();
        assert_eq!(
            ids(&none),
            ["iscsi.login.a", "iscsi.chap.b", "scsi.read10.c"]
        );
        let two = Filter::new(["scsi.*", "iscsi.login.*"])
            .select(&all)
            .unwrap();
        assert_eq!(ids(&two), ["iscsi.login.a", "scsi.read10.c"]);
    }

    #[test]
    fn a_filter_that_picks_nothing_is_an_error() {
        let all: Vec<&'static Scenario> = FIXTURE.iter().collect();
        let error = Filter::new(["iscsi.*", "iscsi.chap"])
            .select(&all)
            .unwrap_err();
        assert_eq!(error.0, "iscsi.chap");
        assert!(error.to_string().contains("--list"));
    }
}
