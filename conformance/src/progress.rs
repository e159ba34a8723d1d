//! What the suite shows while it runs, on stderr: on a terminal one line
//! rewritten in place (scenarios done of total, the one just started, pass,
//! fail, skip and n/a so far); elsewhere (CI logs) a line per tenth of the
//! run and one per failure, so a log stays short but shows where it hung.

use crate::runner::{Observer, ScenarioReport};
use crate::scenario::{Outcome, Scenario};
use std::io::{IsTerminal, Write};
use std::sync::Mutex;

/// Counts so far and the scenario last started.
#[derive(Debug, Default)]
struct State {
    pass: usize,
    fail: usize,
    skip: usize,
    not_applicable: usize,
    done: usize,
    current: &'static str,
    /// Whether the last thing written was an unfinished in-place line.
    dirty: bool,
}

/// The progress line.
#[derive(Debug)]
pub struct Progress {
    total: usize,
    live: bool,
    state: Mutex<State>,
}

impl Progress {
    /// Progress on stderr for a run of `total` scenarios; `live` rewrites
    /// one line in place (defaults to whether stderr is a terminal).
    pub fn new(total: usize) -> Progress {
        Progress::with_mode(total, std::io::stderr().is_terminal())
    }

    pub fn with_mode(total: usize, live: bool) -> Progress {
        Progress {
            total,
            live,
            state: Mutex::new(State::default()),
        }
    }

    fn line(&self, s: &State) -> String {
        format!(
            "[{}/{}] pass {} fail {} skip {} n/a {}  {}",
            s.done, self.total, s.pass, s.fail, s.skip, s.not_applicable, s.current
        )
    }

    /// Clears the in-place line, before the report is printed.
    pub fn finish(&self) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if s.dirty {
            eprint!("\r\x1b[2K");
            let _ = std::io::stderr().flush();
            s.dirty = false;
        }
    }

    fn show(&self, s: &mut State) {
        let mut line = self.line(s);
        // Keep the line on one terminal row.
        if line.chars().count() > 119 {
            line = line.chars().take(116).collect::<String>() + "...";
        }
        eprint!("\r\x1b[2K{line}");
        let _ = std::io::stderr().flush();
        s.dirty = true;
    }
}

impl Observer for Progress {
    fn started(&self, scenario: &Scenario) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.current = scenario.id;
        if self.live {
            self.show(&mut s);
        }
    }

    fn finished(&self, report: &ScenarioReport, done: usize, total: usize) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.done = done;
        match report.outcome {
            Outcome::Pass => s.pass += 1,
            Outcome::Fail { .. } => s.fail += 1,
            Outcome::Skip { .. } => s.skip += 1,
            Outcome::NotApplicable { .. } => s.not_applicable += 1,
        }
        if self.live {
            self.show(&mut s);
            return;
        }
        if let Outcome::Fail { .. } = report.outcome {
            eprintln!("fail: {}", report.id);
        }
        let tenth = total.div_ceil(10).max(1);
        if done.is_multiple_of(tenth) || done == total {
            s.current = report.id;
            eprintln!("{}", self.line(&s));
        }
    }
}
