//! The report a person reads: a table per area and one per level, then
//! every failure with the exchange that led to it (those that fail the run
//! first, then warnings, notes and expected ones), every unexpected pass,
//! every result that matched only when run again, every skip and n/a with
//! its reason, and the verdict.

use super::{Counts, Judged, RunReport};
use crate::profile::{Judgement, Weight};
use crate::scenario::Outcome;
use std::fmt::Write as _;

pub(super) fn render(run: &RunReport) -> String {
    let mut out = String::new();
    heading(&mut out, run);
    table(&mut out, run);
    let mut failures: Vec<&Judged> = run
        .results
        .iter()
        .filter(|j| matches!(j.report.outcome, Outcome::Fail { .. }))
        .collect();
    // Failures that fail the run first: they are what needs reading; then
    // warnings, notes and the expected ones (a stable sort keeps the
    // catalogue's order within each).
    failures.sort_by_key(|j| match j.judgement.weight() {
        Some(Weight::Failure) => 0,
        Some(Weight::Warning) => 1,
        Some(Weight::Note) => 2,
        None => 3,
    });
    for judged in failures {
        failure(&mut out, judged);
    }
    for judged in &run.results {
        if let Judgement::UnexpectedPass(expected, reason) = &judged.judgement {
            let r = &judged.report;
            let _ = writeln!(
                out,
                "\nPASS {} ({}, {}): UNEXPECTED, the profile has it as an {}: {reason}\n  \
                 the target now meets the requirement, or the profile is stale: remove the entry",
                r.id,
                r.level,
                r.clause,
                expected.label()
            );
        }
    }
    for judged in run.results.iter().filter(|j| !j.report.earlier.is_empty()) {
        unsteady(&mut out, judged);
    }
    let mut first = true;
    for judged in &run.results {
        let r = &judged.report;
        let (label, reason) = match &r.outcome {
            Outcome::Skip { reason } => ("SKIP", reason),
            Outcome::NotApplicable { reason } => ("N/A ", reason),
            _ => continue,
        };
        if first {
            out.push('\n');
            first = false;
        }
        let _ = write!(out, "{label} {} ({}): {reason}", r.id, r.level);
        if let Judgement::NotExercised(why) = &judged.judgement {
            let _ = write!(
                out,
                " (the profile's expected failure was not exercised: {why})"
            );
        }
        out.push('\n');
    }
    verdict(&mut out, run);
    out
}

fn heading(out: &mut String, run: &RunReport) {
    let _ = write!(
        out,
        "rtgt conformance: {} ({}, LUN {})",
        run.addr, run.iqn, run.lun
    );
    if let Some(profile) = &run.profile {
        let _ = write!(out, ", profile {profile}");
        if !run.profile_verified {
            out.push_str(" (unverified: never confirmed against a real run)");
        }
    }
    if let Some(setup) = &run.setup {
        let _ = write!(out, ", set-up {setup}");
    }
    if run.strict {
        out.push_str(", strict (SHOULD failures fail the run)");
    }
    out.push_str("\n\n");
}

fn table(out: &mut String, run: &RunReport) {
    let areas: Vec<(String, Counts)> = run
        .areas()
        .into_iter()
        .map(|(name, counts)| (name.to_owned(), counts))
        .collect();
    let levels: Vec<(String, Counts)> = run
        .levels()
        .into_iter()
        .map(|(level, counts)| (level.to_string(), counts))
        .collect();
    let width = areas
        .iter()
        .chain(&levels)
        .map(|(name, _)| name.len())
        .chain(["total".len()])
        .max()
        .unwrap_or(5);
    let profiled = run.profile.is_some();
    let header = |out: &mut String, first: &str| {
        let _ = write!(
            out,
            "{first:<width$}  {:>5}  {:>5}  {:>5}  {:>5}  {:>5}",
            "pass", "fail", "skip", "n/a", "total"
        );
        if profiled {
            let _ = write!(out, "  {:>8}  {:>10}", "expected", "unexpected");
        } else {
            let _ = write!(out, "  {:>10}", "unexpected");
        }
        let _ = writeln!(out, "  {:>7}  {:>5}", "warning", "note");
    };
    let row = |out: &mut String, name: &str, c: &Counts| {
        let _ = write!(
            out,
            "{name:<width$}  {:>5}  {:>5}  {:>5}  {:>5}  {:>5}",
            c.pass,
            c.fail,
            c.skip,
            c.not_applicable,
            c.total()
        );
        if profiled {
            let _ = write!(
                out,
                "  {:>8}  {:>10}",
                c.expected_failures,
                c.unexpected_failures + c.unexpected_passes
            );
        } else {
            let _ = write!(out, "  {:>10}", c.unexpected_failures);
        }
        let _ = writeln!(out, "  {:>7}  {:>5}", c.warnings, c.notes);
    };
    let totals = run.totals();
    for (first, rows) in [("area", &areas), ("level", &levels)] {
        header(out, first);
        for (name, counts) in rows {
            row(out, name, counts);
        }
        row(out, "total", &totals);
        out.push('\n');
    }
    if profiled {
        out.push_str(
            "(expected: failures the profile lists, failing as it pins; unexpected: other \
             failures that fail the run, and passes of scenarios the profile lists)\n",
        );
    }
    let should = if run.strict {
        "SHOULD failures fail the run (--strict)"
    } else {
        "warning: SHOULD failures, which fail the run only under --strict"
    };
    let _ = writeln!(out, "({should}; note: MAY failures, which never do)");
}

fn failure(out: &mut String, judged: &Judged) {
    let r = &judged.report;
    let Outcome::Fail { expected, actual } = &r.outcome else {
        return;
    };
    let _ = write!(out, "\nFAIL {} ({}, {})", r.id, r.level, r.clause);
    let mut pinned = None;
    match &judged.judgement {
        Judgement::ExpectedFailure(reason) => {
            let _ = write!(out, ": expected by the profile: {reason}");
        }
        Judgement::Unexcused { weight, mismatch } => {
            out.push_str(match weight {
                Weight::Failure => ": UNEXPECTED",
                Weight::Warning => ": WARNING (a SHOULD; fails the run under --strict)",
                Weight::Note => ": NOTE (a MAY; never fails the run)",
            });
            if let Some(mismatch) = mismatch {
                let _ = write!(
                    out,
                    ", failing in another way than the profile expects ({}): its pin is not \
                     in the actual answer",
                    mismatch.reason
                );
                pinned = Some(&mismatch.pin);
            }
        }
        _ => {}
    }
    let _ = writeln!(out, "\n  requirement: {}", r.requirement);
    let _ = writeln!(out, "  expected:    {expected}");
    if let Some(pin) = pinned {
        let _ = writeln!(out, "  pinned:      {pin}");
    }
    let _ = writeln!(out, "  actual:      {actual}");
    if r.transcript.is_empty() {
        out.push_str("  exchange:    (none)\n");
    } else {
        out.push_str("  exchange:\n");
        for line in r.transcript.lines() {
            let _ = writeln!(out, "    {line}");
        }
    }
}

/// A result that matched the profile only when run again (`--retries`).
fn unsteady(out: &mut String, judged: &Judged) {
    let r = &judged.report;
    let _ = writeln!(
        out,
        "\nUNSTEADY {} ({}, {}): {} on attempt {}; the attempts before did not match:",
        r.id,
        r.level,
        r.clause,
        r.outcome.label(),
        r.earlier.len() + 1
    );
    for outcome in &r.earlier {
        let _ = match outcome {
            Outcome::Fail { expected, actual } => {
                writeln!(out, "  fail: expected {expected}; actual: {actual}")
            }
            Outcome::Skip { reason } | Outcome::NotApplicable { reason } => {
                writeln!(out, "  {}: {reason}", outcome.label())
            }
            Outcome::Pass => writeln!(out, "  pass"),
        };
    }
}

fn verdict(out: &mut String, run: &RunReport) {
    let c = run.totals();
    let seconds = run.elapsed.as_secs_f64();
    out.push('\n');
    let unsteady = run
        .results
        .iter()
        .filter(|j| !j.report.earlier.is_empty())
        .count();
    if unsteady > 0 {
        let _ = writeln!(
            out,
            "unsteady: {unsteady} result(s) matched only when run again (listed above)"
        );
    }
    if run.ok() {
        match &run.profile {
            Some(profile) => {
                let _ = writeln!(
                    out,
                    "result: OK, every result matches the {profile} profile ({}) in {seconds:.1} s",
                    plural(c.expected_failures, "expected failure")
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "result: OK, no failure that fails the run ({} skipped, {} not applicable) \
                     in {seconds:.1} s",
                    c.skip, c.not_applicable
                );
            }
        }
    } else {
        let _ = writeln!(
            out,
            "result: FAILED, {} and {} in {seconds:.1} s",
            plural(c.unexpected_failures, "unexpected failure"),
            plural(c.unexpected_passes, "unexpected pass")
        );
    }
    let _ = writeln!(
        out,
        "conformance: {} passed, {} failed, {} skipped",
        c.pass,
        c.fail,
        c.skip + c.not_applicable
    );
    let levels: Vec<String> = run
        .levels()
        .iter()
        .map(|(level, c)| {
            let departures = match c.warnings + c.notes {
                0 => format!("{} failing the run", c.unexpected_failures),
                _ if c.warnings > 0 => plural(c.warnings, "warning"),
                _ => plural(c.notes, "note"),
            };
            format!("{level} {departures} ({} expected)", c.expected_failures)
        })
        .collect();
    let _ = writeln!(out, "by level: {}", levels.join(", "));
}

/// `1 unexpected pass`, `2 unexpected passes`.
fn plural(n: usize, noun: &str) -> String {
    match (n, noun.ends_with('s')) {
        (1, _) => format!("1 {noun}"),
        (_, true) => format!("{n} {noun}es"),
        (_, false) => format!("{n} {noun}s"),
    }
}
