//! A scenario and its outcome.
//!
//! A skip is never a pass: a scenario that cannot run against this target
//! (it needs a CHAP account the suite was not given, say) says why.

use crate::context::Context;
use std::fmt;

/// How strongly the standard states the requirement (RFC 2119).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Must,
    Should,
    May,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
        })
    }
}

/// What a scenario needs beyond a target name and a LUN. The runner skips a
/// scenario whose needs the options do not meet, saying which.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// An incoming CHAP account (`--chap USER:SECRET`).
    pub chap: bool,
    /// A target (outgoing) CHAP account for mutual CHAP (`--mutual-chap`).
    pub mutual_chap: bool,
    /// A second initiator name the target accepts (`--initiator-name-2`).
    pub second_initiator: bool,
    /// Writes outside the scratch range it restores (`--allow-destructive`).
    pub destructive: bool,
    /// A target that requires CHAP for this initiator (logins without it fail).
    pub chap_required: bool,
}

impl Needs {
    pub const NONE: Needs = Needs {
        chap: false,
        mutual_chap: false,
        second_initiator: false,
        destructive: false,
        chap_required: false,
    };
    /// The suite's CHAP account.
    pub const CHAP: Needs = Needs {
        chap: true,
        ..Needs::NONE
    };
    /// The suite's CHAP account and the target's, for mutual CHAP.
    pub const MUTUAL_CHAP: Needs = Needs {
        chap: true,
        mutual_chap: true,
        ..Needs::NONE
    };
    /// The suite's CHAP account, which the target requires.
    pub const CHAP_REQUIRED: Needs = Needs {
        chap: true,
        chap_required: true,
        ..Needs::NONE
    };
    /// A second initiator name.
    pub const SECOND_INITIATOR: Needs = Needs {
        second_initiator: true,
        ..Needs::NONE
    };
    /// Writes outside the scratch range.
    pub const DESTRUCTIVE: Needs = Needs {
        destructive: true,
        ..Needs::NONE
    };
}

/// The result of one scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail {
        expected: String,
        actual: String,
    },
    Skip {
        reason: String,
    },
    /// The requirement does not apply to this target (e.g. it does not
    /// implement the optional feature the clause is about).
    NotApplicable {
        reason: String,
    },
}

impl Outcome {
    pub fn fail(expected: impl Into<String>, actual: impl Into<String>) -> Outcome {
        Outcome::Fail {
            expected: expected.into(),
            actual: actual.into(),
        }
    }

    pub fn skip(reason: impl Into<String>) -> Outcome {
        Outcome::Skip {
            reason: reason.into(),
        }
    }

    pub fn not_applicable(reason: impl Into<String>) -> Outcome {
        Outcome::NotApplicable {
            reason: reason.into(),
        }
    }

    /// `Pass` when `ok`, else a failure with the two descriptions.
    pub fn check(ok: bool, expected: impl Into<String>, actual: impl Into<String>) -> Outcome {
        if ok {
            Outcome::Pass
        } else {
            Outcome::fail(expected, actual)
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail { .. } => "fail",
            Outcome::Skip { .. } => "skip",
            Outcome::NotApplicable { .. } => "n/a",
        }
    }
}

/// Why a scenario could not reach an outcome on its own terms: the
/// connection was refused, the target vanished, the suite's own login failed
/// where the scenario assumed it would work. Reported as a failure with the
/// error as the actual result.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("could not connect to {addr}: {source}; is the target running and listening there?")]
    Connect {
        addr: String,
        source: std::io::Error,
    },
    #[error("network error: {0}")]
    Io(#[from] std::io::Error),
    #[error("timed out after {0:?} waiting for {1}")]
    Timeout(std::time::Duration, String),
    #[error("the connection was closed while waiting for {0}")]
    Closed(String),
    #[error("the suite's own login failed: {0}")]
    Login(String),
    #[error("{0}")]
    Setup(String),
}

/// What a scenario's body returns.
pub type Verdict = Result<Outcome, ScenarioError>;

/// One requirement, checked against the target.
pub struct Scenario {
    /// Stable dotted id: `iscsi.login.version-max-too-low`, `scsi.read10.beyond-eol`.
    pub id: &'static str,
    /// The clause that states the requirement: `RFC 7143 §11.12.4`, `SBC-4 §5.16`.
    pub clause: &'static str,
    pub level: Level,
    /// The requirement, in our own words.
    pub requirement: &'static str,
    pub needs: Needs,
    pub run: fn(&mut Context) -> Verdict,
}

impl Scenario {
    /// A scenario that needs nothing beyond the target and the suite's
    /// own login (add needs with [`Scenario::needing`]).
    pub const fn new(
        id: &'static str,
        clause: &'static str,
        level: Level,
        requirement: &'static str,
        run: fn(&mut Context) -> Verdict,
    ) -> Scenario {
        Scenario {
            id,
            clause,
            level,
            requirement,
            needs: Needs::NONE,
            run,
        }
    }

    /// The same scenario with `needs`.
    pub const fn needing(self, needs: Needs) -> Scenario {
        Scenario { needs, ..self }
    }

    /// The area is the id's second component for iSCSI (`iscsi.login...` ->
    /// `login`) and `scsi` for SCSI scenarios.
    pub fn area(&self) -> &'static str {
        let mut parts = self.id.split('.');
        match (parts.next(), parts.next()) {
            (Some("iscsi"), Some(area)) => area,
            (Some(first), _) => first,
            _ => self.id,
        }
    }
}

/// The iSCSI areas whose scenarios carry data to the LUN or act on its
/// task set (see [`Scenario::runs_alone`]).
const AREAS_RUN_ALONE: &[&str] = &[
    "tmf",
    "r2t",
    "residual",
    "datain",
    "dataout",
    "large",
    "multiconn",
];

/// Whether the scenario with this id runs alone: every SCSI scenario, and
/// the iSCSI ones that write the scratch range or act on the LUN's task
/// set. They change what every session of the LUN sees (the scratch
/// blocks, reservations, mode pages, unit attentions after a reset), so
/// one running beside another could change the other's verdict. The rest,
/// which only log in, negotiate and exchange PDUs on sessions of their
/// own, run side by side (`--jobs`). A scenario that reaches the scratch
/// range without running alone fails ([`crate::runner::claim_lun`]).
pub fn runs_alone(id: &str) -> bool {
    let mut parts = id.split('.');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("iscsi"), Some("digest"), Some(name)) => name.starts_with("data-"),
        (Some("iscsi"), Some(area), _) => AREAS_RUN_ALONE.contains(&area),
        _ => true,
    }
}

impl fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scenario")
            .field("id", &self.id)
            .field("clause", &self.clause)
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}
