//! The profile's parsing, checks and judgement rules.

use super::*;
use std::time::Duration;

const KNOWN: &[&str] = &["iscsi.login.a", "iscsi.chap.b", "scsi.read10.c"];

const TEXT: &str = r#"
target = "tgtd"
description = "a test profile"

[[setup]]
name = "chap"
description = "CHAP on every session"

[[setup]]
name = "plain"
description = "no authentication"

[[expected-failure]]
id = "iscsi.login.a"
reason = "answers the wrong status"
actual = "status 0x0201"

[[expected-failure]]
id = "iscsi.chap.b"
reason = "answers Success without CHAP"
actual = "status 0x0000"
setups = ["plain"]

[[expected-not-applicable]]
id = "scsi.read10.c"
reason = "no READ (10) here"
"#;

fn report(id: &'static str, level: Level, outcome: Outcome) -> ScenarioReport {
    ScenarioReport {
        id,
        area: "login",
        clause: "RFC 7143 §1",
        level,
        requirement: "test",
        outcome,
        transcript: String::new(),
        elapsed: Duration::ZERO,
        earlier: Vec::new(),
    }
}

fn must(id: &'static str, outcome: Outcome) -> ScenarioReport {
    report(id, Level::Must, outcome)
}

fn rules<'a>(profile: &'a Profile, setup: &'a str) -> Rules<'a> {
    Rules {
        profile: Some(profile),
        setup: Some(setup),
        strict: false,
    }
}

const FAILURE: Judgement = Judgement::Unexcused {
    weight: Weight::Failure,
    mismatch: None,
};

#[test]
fn parses_entries_with_their_reasons_pins_and_setups() {
    let profile = Profile::parse(TEXT, KNOWN).unwrap();
    assert_eq!(profile.target, "tgtd");
    assert!(profile.verified);
    let names: Vec<_> = profile.setups.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["chap", "plain"]);
    let a = profile.expectation("iscsi.login.a", Some("chap")).unwrap();
    assert_eq!(a.expected, Expected::Fail);
    assert_eq!(a.reason, "answers the wrong status");
    assert_eq!(a.pin.as_deref(), Some("status 0x0201"));
    assert_eq!(
        profile
            .expectation("scsi.read10.c", Some("plain"))
            .map(|e| e.expected),
        Some(Expected::NotApplicable)
    );
    assert!(profile.expectation("iscsi.chap.b", Some("chap")).is_none());
    assert!(profile.expectation("iscsi.chap.b", Some("plain")).is_some());
}

#[test]
fn verified_false_is_kept() {
    let profile = Profile::parse("target = \"lio\"\nverified = false\n", KNOWN).unwrap();
    assert!(!profile.verified);
    assert!(profile.entries.is_empty());
    assert!(profile.check_setup(None).is_ok());
    assert!(matches!(
        profile.check_setup(Some("chap")),
        Err(ProfileError::NoSuchSetup { .. })
    ));
}

#[test]
fn a_profile_with_setups_needs_one_named() {
    let profile = Profile::parse(TEXT, KNOWN).unwrap();
    let error = profile.check_setup(None).unwrap_err();
    assert!(error.to_string().contains("--setup NAME"), "{error}");
    assert!(error.to_string().contains("chap, plain"), "{error}");
    assert!(profile.check_setup(Some("plain")).is_ok());
    let error = profile.check_setup(Some("ldap")).unwrap_err();
    assert!(error.to_string().contains("it has chap, plain"), "{error}");
}

#[test]
fn an_unknown_id_is_an_error() {
    let text = "target = \"x\"\n[[expected-failure]]\nid = \"iscsi.login.nope\"\n\
                reason = \"r\"\nactual = \"a\"\n";
    let error = Profile::parse(text, KNOWN).unwrap_err();
    assert!(matches!(&error, ProfileError::UnknownId(id) if id == "iscsi.login.nope"));
    assert!(error.to_string().contains("--list"));
}

fn entry(group: &str, extra: &str) -> String {
    format!("[[{group}]]\nid = \"iscsi.login.a\"\nreason = \"r\"\n{extra}")
}

#[test]
fn duplicates_missing_reasons_and_unknown_keys_are_errors() {
    let twice = format!(
        "target = \"x\"\n{}{}",
        entry("expected-failure", "actual = \"a\"\n"),
        entry("expected-skip", "")
    );
    assert!(matches!(
        Profile::parse(&twice, KNOWN),
        Err(ProfileError::Duplicate(_))
    ));
    let blank = "target = \"x\"\n[[expected-failure]]\nid = \"iscsi.login.a\"\n\
                 reason = \" \"\nactual = \"a\"\n";
    assert!(matches!(
        Profile::parse(blank, KNOWN),
        Err(ProfileError::NoReason(_))
    ));
    let typo = format!("target = \"x\"\n{}", entry("expected-failures", ""));
    assert!(matches!(
        Profile::parse(&typo, KNOWN),
        Err(ProfileError::Syntax(_))
    ));
    let no_reason = "target = \"x\"\n[[expected-failure]]\nid = \"iscsi.login.a\"\n";
    assert!(matches!(
        Profile::parse(no_reason, KNOWN),
        Err(ProfileError::Syntax(_))
    ));
}

/// A profile of the one entry `entry(group, extra)`.
fn one(group: &str, extra: &str) -> Result<Profile, ProfileError> {
    Profile::parse(&format!("target = \"x\"\n{}", entry(group, extra)), KNOWN)
}

#[test]
fn an_expected_failure_needs_a_pin_and_only_it_takes_one() {
    let error = one("expected-failure", "").unwrap_err();
    assert!(matches!(error, ProfileError::NoPin(_)));
    assert!(
        error.to_string().contains("add actual = \"...\""),
        "{error}"
    );
    assert!(matches!(
        one("expected-failure", "actual = \"\"\n"),
        Err(ProfileError::NoPin(_))
    ));
    assert!(matches!(
        one("expected-skip", "actual = \"a\"\n"),
        Err(ProfileError::PinWithoutFailure(_))
    ));
}

#[test]
fn setups_must_be_declared_and_entries_may_differ_by_setup() {
    let undeclared = format!(
        "target = \"x\"\n{}",
        entry("expected-failure", "actual = \"a\"\nsetups = [\"plain\"]\n")
    );
    let error = Profile::parse(&undeclared, KNOWN).unwrap_err();
    assert!(
        error.to_string().contains("[[setup]] name = \"plain\""),
        "{error}"
    );
    let header = "target = \"x\"\n[[setup]]\nname = \"chap\"\ndescription = \"d\"\n\
                  [[setup]]\nname = \"plain\"\ndescription = \"d\"\n";
    let per_setup = format!(
        "{header}{}{}",
        entry(
            "expected-failure",
            "actual = \"one\"\nsetups = [\"chap\"]\n"
        ),
        entry(
            "expected-failure",
            "actual = \"two\"\nsetups = [\"plain\"]\n"
        )
    );
    let profile = Profile::parse(&per_setup, KNOWN).unwrap();
    let pin = |setup| {
        profile
            .expectation("iscsi.login.a", Some(setup))
            .and_then(|e| e.pin.as_deref())
    };
    assert_eq!((pin("chap"), pin("plain")), (Some("one"), Some("two")));
    let overlapping = format!(
        "{header}{}{}",
        entry(
            "expected-failure",
            "actual = \"one\"\nsetups = [\"chap\"]\n"
        ),
        entry("expected-failure", "actual = \"two\"\n")
    );
    assert!(matches!(
        Profile::parse(&overlapping, KNOWN),
        Err(ProfileError::Duplicate(_))
    ));
    let twice = format!("{header}[[setup]]\nname = \"chap\"\ndescription = \"d\"\n");
    assert!(matches!(
        Profile::parse(&twice, KNOWN),
        Err(ProfileError::DuplicateSetup(_))
    ));
}

#[test]
fn judging_against_a_profile() {
    let profile = Profile::parse(TEXT, KNOWN).unwrap();
    let p = &rules(&profile, "chap");
    let fail = || Outcome::fail("x", "status 0x0201 (Target moved temporarily)");
    // The expected failure fails, as pinned: fine.
    assert_eq!(
        judge(p, &must("iscsi.login.a", fail())),
        Judgement::ExpectedFailure("answers the wrong status".into())
    );
    // It passes: the profile is stale.
    let pass = judge(p, &must("iscsi.login.a", Outcome::Pass));
    assert_eq!(
        pass,
        Judgement::UnexpectedPass(Expected::Fail, "answers the wrong status".into())
    );
    assert!(!pass.is_ok());
    // It could not run: not exercised, not a mismatch.
    let skipped = judge(p, &must("iscsi.login.a", Outcome::skip("no CHAP")));
    assert_eq!(
        skipped,
        Judgement::NotExercised("answers the wrong status".into())
    );
    assert!(skipped.is_ok());
    // A failure nobody expected (the entry for it holds in "plain" only).
    let unexpected = judge(p, &must("iscsi.chap.b", fail()));
    assert_eq!(unexpected, FAILURE);
    assert!(!unexpected.is_ok());
    // Expected n/a but passes: unexpected pass; expected n/a and fails:
    // an unexpected failure (only an expected failure excuses one).
    assert!(matches!(
        judge(p, &must("scsi.read10.c", Outcome::Pass)),
        Judgement::UnexpectedPass(Expected::NotApplicable, _)
    ));
    assert_eq!(judge(p, &must("scsi.read10.c", fail())), FAILURE);
    assert_eq!(
        judge(p, &must("scsi.read10.c", Outcome::not_applicable("none"))),
        Judgement::Fine
    );
}

#[test]
fn a_listed_failure_of_another_kind_is_unexpected() {
    let profile = Profile::parse(TEXT, KNOWN).unwrap();
    let other = must("iscsi.login.a", Outcome::fail("x", "the connection closed"));
    let judgement = judge(&rules(&profile, "chap"), &other);
    assert_eq!(
        judgement,
        Judgement::Unexcused {
            weight: Weight::Failure,
            mismatch: Some(Mismatch {
                reason: "answers the wrong status".into(),
                pin: "status 0x0201".into(),
            }),
        }
    );
    assert!(!judgement.is_ok());
}

#[test]
fn an_entry_holds_only_in_its_setups() {
    let profile = Profile::parse(TEXT, KNOWN).unwrap();
    let b = must("iscsi.chap.b", Outcome::fail("a refusal", "status 0x0000"));
    assert_eq!(
        judge(&rules(&profile, "plain"), &b),
        Judgement::ExpectedFailure("answers Success without CHAP".into())
    );
    assert_eq!(judge(&rules(&profile, "chap"), &b), FAILURE);
    let passes = must("iscsi.chap.b", Outcome::Pass);
    assert_eq!(judge(&rules(&profile, "chap"), &passes), Judgement::Fine);
}

#[test]
fn a_must_failure_fails_the_run() {
    let judgement = judge(&Rules::default(), &must("a.b.c", Outcome::fail("x", "y")));
    assert_eq!(judgement, FAILURE);
    assert!(!judgement.is_ok());
}

#[test]
fn a_should_failure_warns() {
    let should = report("a.b.c", Level::Should, Outcome::fail("x", "y"));
    let judgement = judge(&Rules::default(), &should);
    assert_eq!(judgement.weight(), Some(Weight::Warning));
    assert!(judgement.is_ok());
}

#[test]
fn a_should_failure_fails_the_run_under_strict() {
    let should = report("a.b.c", Level::Should, Outcome::fail("x", "y"));
    let strict = Rules {
        strict: true,
        ..Rules::default()
    };
    let judgement = judge(&strict, &should);
    assert_eq!(judgement, FAILURE);
    assert!(!judgement.is_ok());
}

#[test]
fn a_may_failure_never_fails_the_run() {
    let may = report("a.b.c", Level::May, Outcome::fail("x", "y"));
    for strict in [false, true] {
        let rules = Rules {
            strict,
            ..Rules::default()
        };
        let judgement = judge(&rules, &may);
        assert_eq!(judgement.weight(), Some(Weight::Note));
        assert!(judgement.is_ok());
    }
}

#[test]
fn a_should_failure_the_profile_lists_is_expected() {
    let profile = Profile::parse(TEXT, KNOWN).unwrap();
    let should = report(
        "iscsi.login.a",
        Level::Should,
        Outcome::fail("x", "status 0x0201"),
    );
    for strict in [false, true] {
        let rules = Rules {
            strict,
            ..rules(&profile, "chap")
        };
        assert_eq!(
            judge(&rules, &should),
            Judgement::ExpectedFailure("answers the wrong status".into())
        );
    }
    // Failing in another way, it is a warning again (a failure under --strict).
    let other = report("iscsi.login.a", Level::Should, Outcome::fail("x", "closed"));
    let judgement = judge(&rules(&profile, "chap"), &other);
    assert_eq!(judgement.weight(), Some(Weight::Warning));
}

#[test]
fn without_a_profile_only_failures_count() {
    let none = &Rules::default();
    assert_eq!(judge(none, &must("a.b.c", Outcome::Pass)), Judgement::Fine);
    assert_eq!(
        judge(none, &must("a.b.c", Outcome::skip("r"))),
        Judgement::Fine
    );
    assert_eq!(
        judge(none, &must("a.b.c", Outcome::not_applicable("r"))),
        Judgement::Fine
    );
    assert_eq!(
        judge(none, &must("a.b.c", Outcome::fail("x", "y"))),
        FAILURE
    );
}
