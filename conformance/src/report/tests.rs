//! The three renderings of a small fixed run, as snapshots: one result of
//! every kind, judged against a profile, and a clean run without one.

use super::RunReport;
use crate::profile::{Profile, Rules};
use crate::runner::ScenarioReport;
use crate::scenario::{Level, Outcome};
use std::time::Duration;

fn report(
    id: &'static str,
    area: &'static str,
    level: Level,
    outcome: Outcome,
    transcript: &str,
) -> ScenarioReport {
    ScenarioReport {
        id,
        area,
        clause: "RFC 7143 §11.12.4",
        level,
        requirement: "the requirement, in the suite's words",
        outcome,
        transcript: transcript.to_owned(),
        elapsed: Duration::from_millis(12),
        earlier: Vec::new(),
    }
}

const EXCHANGE: &str = "-> target\nLogin Request CSG 0 NSG 1 T\n<- target\n\
                        Login Response status 0x0201 <redirect> & more\n";

fn mixed() -> Vec<ScenarioReport> {
    vec![
        report(
            "iscsi.login.passes",
            "login",
            Level::Must,
            Outcome::Pass,
            "",
        ),
        report(
            "iscsi.login.unexpected",
            "login",
            Level::Must,
            Outcome::fail("status 0x0203 (Not found)", "status 0x0201"),
            EXCHANGE,
        ),
        report(
            "iscsi.login.expected",
            "login",
            Level::Should,
            Outcome::fail("a Reject", "the connection closed"),
            "-> target\nNOP-Out\n-- connection closed\n",
        ),
        report(
            "iscsi.chap.needs-account",
            "chap",
            Level::Must,
            Outcome::skip("needs an incoming CHAP account (--chap USER:SECRET)"),
            "",
        ),
        report(
            "iscsi.chap.not-exercised",
            "chap",
            Level::Must,
            Outcome::skip("needs the target's CHAP account for mutual CHAP"),
            "",
        ),
        report(
            "scsi.unmap.none",
            "scsi",
            Level::May,
            Outcome::not_applicable("the LUN does not support UNMAP (LBPU=0)"),
            "",
        ),
        report("scsi.read10.fixed", "scsi", Level::Must, Outcome::Pass, ""),
        report(
            "iscsi.login.other-way",
            "login",
            Level::Must,
            Outcome::fail("a Reject", "a Text Response PDU"),
            "",
        ),
        report(
            "iscsi.text.should",
            "text",
            Level::Should,
            Outcome::fail("NotUnderstood", "the connection closed"),
            "-> target\nText Request\n-- connection closed\n",
        ),
        report(
            "iscsi.chap.may",
            "chap",
            Level::May,
            Outcome::fail("CHAP_A=7 accepted", "status 0x0200"),
            "",
        ),
    ]
}

const PROFILE: &str = r#"
target = "fixture"
[[setup]]
name = "plain"
description = "no authentication"
[[expected-failure]]
id = "iscsi.login.expected"
reason = "closes the connection instead of rejecting"
actual = "connection closed"
[[expected-failure]]
id = "iscsi.chap.not-exercised"
reason = "mutual CHAP answer is wrong"
actual = "status 0x0201"
[[expected-failure]]
id = "scsi.read10.fixed"
reason = "used to return the wrong sense"
actual = "24h/00h"
[[expected-failure]]
id = "iscsi.login.other-way"
reason = "closes the connection instead of rejecting"
actual = "the connection closed"
"#;

fn known() -> Vec<&'static str> {
    mixed().iter().map(|r| r.id).collect()
}

fn judged(strict: bool) -> RunReport {
    let profile = Profile::parse(PROFILE, &known()).unwrap();
    let rules = Rules {
        profile: Some(&profile),
        setup: Some("plain"),
        strict,
    };
    RunReport::new(
        "127.0.0.1:3260",
        "iqn.2024-01.org.rtgt:fixture",
        1,
        &rules,
        mixed(),
        Duration::from_millis(1234),
    )
}

fn profiled() -> RunReport {
    judged(false)
}

fn clean() -> RunReport {
    let reports = mixed()
        .into_iter()
        .filter(|r| !matches!(r.outcome, Outcome::Fail { .. }))
        .collect();
    RunReport::new(
        "[::1]:3260",
        "iqn.2024-01.org.rtgt:demo",
        0,
        &Rules::default(),
        reports,
        Duration::from_millis(500),
    )
}

#[test]
fn counts_and_verdict() {
    let run = profiled();
    let totals = run.totals();
    assert_eq!(
        (totals.pass, totals.fail, totals.skip, totals.not_applicable),
        (2, 5, 2, 1)
    );
    assert_eq!(totals.expected_failures, 1);
    assert_eq!(
        totals.unexpected_failures, 2,
        "one unlisted, one of another kind"
    );
    assert_eq!(totals.unexpected_passes, 1);
    assert_eq!((totals.warnings, totals.notes), (1, 1));
    assert!(!run.ok());
    let areas: Vec<_> = run.areas().into_iter().map(|(name, _)| name).collect();
    assert_eq!(areas, ["login", "chap", "scsi", "text"]);
    let levels: Vec<_> = run
        .levels()
        .into_iter()
        .map(|(level, c)| (level, c.fail, c.warnings, c.notes))
        .collect();
    assert_eq!(
        levels,
        [
            (Level::Must, 2, 0, 0),
            (Level::Should, 2, 1, 0),
            (Level::May, 1, 0, 1)
        ]
    );
    assert!(clean().ok());
}

/// A run whose only departures are a SHOULD and a MAY failure.
fn lenient(strict: bool) -> RunReport {
    let reports = mixed()
        .into_iter()
        .filter(|r| r.level != Level::Must || !matches!(r.outcome, Outcome::Fail { .. }))
        .filter(|r| r.id != "iscsi.login.expected")
        .collect();
    RunReport::new(
        "[::1]:3260",
        "iqn.2024-01.org.rtgt:demo",
        0,
        &Rules {
            strict,
            ..Rules::default()
        },
        reports,
        Duration::from_millis(500),
    )
}

#[test]
fn should_and_may_failures_do_not_fail_the_run_unless_strict() {
    let run = lenient(false);
    assert!(run.ok());
    let text = run.text();
    assert!(text.contains("FAIL iscsi.text.should (SHOULD, RFC 7143 §11.12.4): WARNING"));
    assert!(text.contains("FAIL iscsi.chap.may (MAY, RFC 7143 §11.12.4): NOTE"));
    assert!(
        text.contains(
            "by level: MUST 0 failing the run (0 expected), SHOULD 1 warning \
                       (0 expected), MAY 1 note (0 expected)"
        ),
        "{text}"
    );
    let junit = run.junit();
    assert!(junit.contains("failures=\"0\""), "{junit}");
    assert!(junit.contains("<property name=\"judgement\" value=\"warning\"/>"));
    assert!(
        junit.contains("<system-out>warning: a SHOULD failure"),
        "{junit}"
    );
    let strict = lenient(true);
    assert!(!strict.ok());
    assert_eq!(strict.totals().unexpected_failures, 1);
    assert_eq!(strict.totals().notes, 1, "a MAY never fails the run");
    assert!(strict.junit().contains("failures=\"1\""));
    let value: serde_json::Value = serde_json::from_str(&strict.json()).unwrap();
    assert_eq!(value["strict"], true);
    assert_eq!(value["levels"][1]["level"], "SHOULD");
    assert_eq!(value["levels"][1]["unexpected_failures"], 1);
}

#[test]
fn a_failure_of_another_kind_shows_the_pin_and_the_answer() {
    let text = profiled().text();
    assert!(
        text.contains("  pinned:      the connection closed\n  actual:      a Text Response PDU"),
        "{text}"
    );
    let value: serde_json::Value = serde_json::from_str(&profiled().json()).unwrap();
    let other = &value["results"][7];
    assert_eq!(other["id"], "iscsi.login.other-way");
    assert_eq!(other["judgement"], "unexpected-failure");
    assert_eq!(other["profile_pin"], "the connection closed");
}

#[test]
fn text_with_a_profile() {
    insta::assert_snapshot!(profiled().text());
}

#[test]
fn text_of_a_clean_run() {
    insta::assert_snapshot!(clean().text());
}

#[test]
fn junit() {
    insta::assert_snapshot!(profiled().junit());
}

#[test]
fn json() {
    let text = profiled().json();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["ok"], false);
    insta::assert_snapshot!(text);
}

#[test]
fn an_unsteady_result_shows_its_earlier_attempts() {
    let mut reports: Vec<ScenarioReport> = mixed()
        .into_iter()
        .filter(|r| !matches!(r.outcome, Outcome::Fail { .. }))
        .collect();
    reports[0].earlier = vec![Outcome::fail("a Login Response", "no answer within 2s")];
    let run = RunReport::new(
        "[::1]:3260",
        "iqn.2024-01.org.rtgt:demo",
        0,
        &Rules::default(),
        reports,
        Duration::from_millis(500),
    );
    assert!(run.ok());
    let text = run.text();
    assert!(text.contains("UNSTEADY iscsi.login.passes (MUST"), "{text}");
    assert!(text.contains("pass on attempt 2"), "{text}");
    assert!(text.contains("  fail: expected a Login Response; actual: no answer within 2s"));
    assert!(text.contains("unsteady: 1 result(s) matched only when run again"));
    let value: serde_json::Value = serde_json::from_str(&run.json()).unwrap();
    assert_eq!(
        value["results"][0]["earlier_attempts"][0]["actual"],
        "no answer within 2s"
    );
    assert!(value["results"][1].get("earlier_attempts").is_none());
}

#[test]
fn verdicts_compare_by_outcome_and_reason_not_by_exchange() {
    let report = |outcome: &str, exchange: &str| {
        format!(
            r#"{{"results": [
                {{"id": "a", "outcome": "pass", "judgement": "fine", "exchange": "{exchange}"}},
                {{"id": "b", "outcome": "{outcome}", "judgement": "fine", "reason": "r"}}
            ]}}"#
        )
    };
    let one = super::verdicts_from_json(&report("pass", "x")).unwrap();
    let same = super::verdicts_from_json(&report("pass", "y")).unwrap();
    assert!(super::verdict_differences("one", &one, "same", &same).is_empty());
    let other = super::verdicts_from_json(&report("fail", "x")).unwrap();
    let differ = super::verdict_differences("one", &one, "other", &other);
    assert_eq!(differ.len(), 1);
    assert!(differ[0].starts_with("b\n"), "{differ:?}");
    let mut fewer = one.clone();
    fewer.remove("a");
    assert_eq!(
        super::verdict_differences("one", &one, "fewer", &fewer).len(),
        1
    );
    assert!(super::verdicts_from_json("not json").is_err());
}
