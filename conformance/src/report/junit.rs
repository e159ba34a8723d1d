//! JUnit XML: one `<testsuite>` per area, one `<testcase>` per scenario,
//! whose properties give its clause, its level and its judgement (as in
//! the JSON report).
//!
//! A skip is `<skipped message="...">`; a not-applicable is skipped too,
//! its message starting with `not applicable: `. A failure is `<failure>`
//! whose type says whether the profile expected it (`expected`) or not
//! (`unexpected`); a pass the profile did not expect carries a `<failure
//! type="unexpected-pass">`, so the file's failures agree with the exit
//! status once expected ones are set aside. A failure that does not fail
//! the run (a SHOULD without `--strict`, a MAY) is no `<failure>`: the
//! testcase passes, its judgement property says `warning` or `note`, and
//! its `<system-out>` begins with what was expected and what happened. The
//! exchange of every non-pass is in `<system-out>`.

use super::{Counts, Judged, RunReport};
use crate::profile::{Judgement, Weight};
use crate::scenario::Outcome;
use std::fmt::Write as _;

pub(super) fn render(run: &RunReport) -> String {
    let totals = run.totals();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
        attr(&suite_name(run)),
        totals.total(),
        failures(&totals),
        totals.skip + totals.not_applicable,
        run.elapsed.as_secs_f64()
    );
    for (area, counts) in run.areas() {
        let cases: Vec<&Judged> = run
            .results
            .iter()
            .filter(|j| j.report.area == area)
            .collect();
        let time: f64 = cases.iter().map(|j| j.report.elapsed.as_secs_f64()).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{time:.3}\">",
            attr(area),
            counts.total(),
            failures(&counts),
            counts.skip + counts.not_applicable,
        );
        for judged in cases {
            case(&mut out, judged);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// The `<failure>` elements: every failure but warnings and notes, and
/// every unexpected pass.
fn failures(c: &Counts) -> usize {
    c.fail - c.warnings - c.notes + c.unexpected_passes
}

fn suite_name(run: &RunReport) -> String {
    match &run.profile {
        Some(profile) => format!("rtgt-conformance {} ({profile} profile)", run.addr),
        None => format!("rtgt-conformance {}", run.addr),
    }
}

fn case(out: &mut String, judged: &Judged) {
    let r = &judged.report;
    let _ = write!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\">",
        attr(classname(r.id)),
        attr(r.id),
        r.elapsed.as_secs_f64()
    );
    out.push('\n');
    let _ = writeln!(
        out,
        "      <properties><property name=\"clause\" value=\"{}\"/>\
         <property name=\"level\" value=\"{}\"/>\
         <property name=\"judgement\" value=\"{}\"/></properties>",
        attr(r.clause),
        r.level,
        judged.judgement.label()
    );
    let mut system_out = String::new();
    match (&r.outcome, &judged.judgement) {
        (Outcome::Pass, Judgement::UnexpectedPass(expected, reason)) => {
            let _ = writeln!(
                out,
                "      <failure type=\"unexpected-pass\" message=\"{}\"/>",
                attr(&format!(
                    "passed, but the profile has it as an {}: {reason}",
                    expected.label()
                ))
            );
        }
        (Outcome::Pass, _) => {}
        (
            Outcome::Fail { expected, actual },
            Judgement::Unexcused {
                weight: weight @ (Weight::Warning | Weight::Note),
                ..
            },
        ) => {
            let rule = match weight {
                Weight::Warning => "a SHOULD failure, which fails the run only under --strict",
                _ => "a MAY failure, which never fails the run",
            };
            system_out = format!(
                "{}: {rule}: expected {expected}; actual {actual}\n",
                weight.label()
            );
        }
        (Outcome::Fail { expected, actual }, judgement) => {
            let (kind, prefix) = match judgement {
                Judgement::ExpectedFailure(reason) => {
                    ("expected", format!("expected by the profile ({reason}): "))
                }
                Judgement::Unexcused {
                    mismatch: Some(mismatch),
                    ..
                } => (
                    "unexpected",
                    format!(
                        "failing in another way than the profile expects ({}; pinned {:?}): ",
                        mismatch.reason, mismatch.pin
                    ),
                ),
                _ => ("unexpected", String::new()),
            };
            let _ = writeln!(
                out,
                "      <failure type=\"{kind}\" message=\"{}\">{}</failure>",
                attr(&format!("{prefix}expected {expected}; actual {actual}")),
                text(&format!("{} {}: {}", r.level, r.clause, r.requirement))
            );
        }
        (Outcome::Skip { reason }, _) => {
            let _ = writeln!(out, "      <skipped message=\"{}\"/>", attr(reason));
        }
        (Outcome::NotApplicable { reason }, _) => {
            let _ = writeln!(
                out,
                "      <skipped message=\"{}\"/>",
                attr(&format!("not applicable: {reason}"))
            );
        }
    }
    system_out.push_str(&r.transcript);
    if !system_out.is_empty() {
        let _ = writeln!(out, "      <system-out>{}</system-out>", text(&system_out));
    }
    out.push_str("    </testcase>\n");
}

/// `iscsi.login.unknown-target` -> `iscsi.login`.
fn classname(id: &str) -> &str {
    id.rsplit_once('.').map_or(id, |(group, _)| group)
}

/// Text content: markup characters escaped, characters XML 1.0 forbids
/// replaced.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// An attribute value (double-quoted): as [`text`], with quotes and line
/// breaks escaped too.
fn attr(s: &str) -> String {
    text(s)
        .replace('"', "&quot;")
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
        .replace('\t', "&#9;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_forbidden_characters() {
        assert_eq!(text("a<b>&c\u{1}\n"), "a&lt;b&gt;&amp;c\u{fffd}\n");
        assert_eq!(attr("say \"x\"\n"), "say &quot;x&quot;&#10;");
        assert_eq!(classname("iscsi.login.unknown-target"), "iscsi.login");
        assert_eq!(classname("flat"), "flat");
    }
}
