//! The iscsi-test-cu reader against a real run: libiscsi 1.19.0's
//! iscsi-test-cu (`-d -t ALL`, two initiator names) against Debian's tgtd
//! 1.0.85 with a 256 MiB file LUN, which must give the same per-test outcomes
//! as the reference run in fixtures/tgtd-1.0.85-iscsi-test-cu-reference.txt
//! (229 tests: 159 passed, 62 skipped, 8 failed).

use rtgt_peers::test_cu::{Outcome, Summary};

fn tgtd_run() -> Summary {
    Summary::parse(include_str!("fixtures/iscsi-test-cu-tgtd-1.0.85.txt"))
}

#[test]
fn totals_match_the_reference_run() {
    assert_eq!(
        tgtd_run().totals(),
        "tests=229 passed=159 skipped=62 failed=8"
    );
}

#[test]
fn skipped_is_not_passed_and_failures_keep_their_message() {
    let summary = tgtd_run();
    let unmap = &summary.tests["GetLBAStatus.UnmapSingle"];
    assert_eq!(unmap.outcome, Outcome::Skipped);
    assert!(unmap.output.contains("fully provisioned"));
    let beyond = &summary.tests["GetLBAStatus.BeyondEol"];
    assert_eq!(beyond.outcome, Outcome::Failed);
    assert!(beyond.output.contains("LBA_OUT_OF_RANGE"));
    assert_eq!(
        summary.tests["iSCSITMF.AbortTaskSimpleAsync"].outcome,
        Outcome::Passed
    );
}

#[test]
fn every_outcome_matches_the_reference_file() {
    // The reference outcomes of that run, kept with the test.
    let reference = include_str!("fixtures/tgtd-1.0.85-iscsi-test-cu-reference.txt");
    let summary = tgtd_run();
    let mut compared = 0;
    for line in reference
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (outcome, name) = line.split_once(char::is_whitespace).expect("outcome name");
        let ours = summary.tests.get(name.trim()).map(|t| t.outcome.label());
        assert_eq!(ours, Some(outcome), "{name}");
        compared += 1;
    }
    assert_eq!(compared, summary.tests.len());
}

#[test]
fn a_test_printing_a_failure_then_passed_is_parsed_per_line() {
    let text = "Suite: S\n  Test: A ...passed\n  Test: B ...    [SKIPPED] no\npassed\n  Test: C ...    [FAILED] bad\nFAILED\n    1. x.c:1 - CU_ASSERT\n";
    let summary = Summary::parse(text);
    assert_eq!(summary.totals(), "tests=3 passed=1 skipped=1 failed=1");
    assert_eq!(summary.tests["S.C"].output, "[FAILED] bad");
}
