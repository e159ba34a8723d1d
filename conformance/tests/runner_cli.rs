//! The `rtgt-conformance` program's command line, without a target: the
//! listing, filters, profile errors and an unreachable target, each with
//! its exit status.

use std::process::{Command, Output};

fn suite(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rtgt-conformance"))
        .args(args)
        .output()
        .expect("run rtgt-conformance")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn list_shows_every_scenario_with_a_count() {
    let out = suite(&["--list"]);
    assert!(out.status.success());
    let listing = text(&out.stdout);
    let count = rtgt_conformance::catalogue::all().len();
    assert!(listing.contains("iscsi.login.unknown-target  MUST  RFC 7143 §11.13.5"));
    assert!(
        listing.contains(&format!("{count} scenarios in ")),
        "{listing}"
    );
}

#[test]
fn list_honours_the_filter() {
    let out = suite(&["--list", "--filter", "iscsi.login.unknown-*"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).ends_with("1 scenarios in 1 areas\n"));
}

#[test]
fn a_filter_that_picks_nothing_is_a_usage_error() {
    let out = suite(&["--list", "--filter", "iscsi.nothing.*"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("matches no scenario id"));
}

#[test]
fn a_profile_naming_an_unknown_id_is_refused() {
    let dir = std::env::temp_dir().join(format!("rtgt-conformance-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let profile = dir.join("bad.toml");
    std::fs::write(
        &profile,
        "target = \"x\"\n[[expected-failure]]\nid = \"iscsi.no.such\"\nreason = \"r\"\n",
    )
    .unwrap();
    let out = suite(&[
        "--target",
        "127.0.0.1:9",
        "--profile",
        profile.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("\"iscsi.no.such\", which is no scenario id"));
}

#[test]
fn the_shipped_profiles_name_only_known_scenarios() {
    for kind in ["tgtd", "istgt", "lio"] {
        let path = format!("{}/profiles/{kind}.toml", env!("CARGO_MANIFEST_DIR"));
        let known: Vec<&str> = rtgt_conformance::catalogue::all()
            .iter()
            .map(|s| s.id)
            .collect();
        let profile = rtgt_conformance::profile::Profile::load(path.as_ref(), &known)
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(profile.target, kind);
        assert_eq!(profile.verified, kind != "lio", "{kind}");
        let setups: Vec<&str> = profile.setups.iter().map(|s| s.name.as_str()).collect();
        let expected: &[&str] = if kind == "lio" {
            &[]
        } else {
            &["chap", "plain"]
        };
        assert_eq!(setups, expected, "{kind}");
    }
}

/// Every expected failure of a shipped profile says which clause makes it
/// a departure: its reason quotes the clause's text, or says that the text
/// was not available to quote.
#[test]
fn the_shipped_profiles_quote_their_clauses() {
    for kind in ["tgtd", "istgt", "lio"] {
        let path = format!("{}/profiles/{kind}.toml", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("the profile");
        let doc: toml::Table = text.parse().expect("TOML");
        let entries = doc
            .get("expected-failure")
            .and_then(|v| v.as_array())
            .cloned()
            .unwrap_or_default();
        for entry in entries {
            let id = entry.get("id").and_then(|v| v.as_str()).unwrap_or("?");
            let reason = entry.get("reason").and_then(|v| v.as_str()).unwrap_or("");
            // Every reason quotes the clause that makes the entry a
            // departure; an entry whose text is not at hand has no place.
            assert!(
                reason.contains('"'),
                "{kind}: the reason for {id} quotes no clause: {reason}"
            );
            assert!(
                !reason.contains("not available"),
                "{kind}: the reason for {id} rests on text not available: {reason}"
            );
        }
    }
}

#[test]
fn a_profile_with_setups_needs_setup() {
    let out = suite(&["--target", "127.0.0.1:9", "--profile", "tgtd"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("set-ups chap, plain"), "{stderr}");
    assert!(stderr.contains("--setup NAME"), "{stderr}");
    let out = suite(&[
        "--target",
        "127.0.0.1:9",
        "--profile",
        "tgtd",
        "--setup",
        "ldap",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("declares no such set-up"));
}

#[test]
fn an_unreachable_target_is_one_clear_error() {
    // Port 9 (discard) is closed on loopback here: bind it ourselves to be sure
    // nothing listens, then release it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = suite(&["--target", &format!("127.0.0.1:{port}"), "--iqn", "iqn.x:y"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("is the target running?"));
}

#[test]
fn help_explains_the_options_and_the_exit_status() {
    let out = suite(&["--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for option in [
        "--target",
        "--iqn",
        "--lun",
        "--chap",
        "--mutual-chap",
        "--initiator-name-2",
        "--filter",
        "--list",
        "--allow-destructive",
        "--profile",
        "--setup",
        "--strict",
        "MUST",
        "SHOULD",
        "MAY",
        "--junit",
        "--json",
        "--jobs",
        "--timeout",
        "--quiet-time",
        "Exit status",
    ] {
        assert!(help.contains(option), "--help lacks {option}");
    }
}
