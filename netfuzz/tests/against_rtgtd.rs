//! The fuzzer runs against `rtgtd --demo` for a few seconds: it executes
//! cases, and rtgt's own target survives all of them.

use rtgt_fuzz_net::{wire, Options, Target};
use std::time::Duration;

/// The rtgtd the RTGTD variable names, or the one beside this test's own
/// profile folder (build/debug/rtgtd after `cargo build -p rtgt-target
/// --bin rtgtd`).
fn rtgtd_binary() -> std::path::PathBuf {
    if let Some(path) = std::env::var_os("RTGTD") {
        return path.into();
    }
    // This test runs from <profile>/deps/.
    let exe = std::env::current_exe().expect("the test's own path");
    let profile = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("a profile folder");
    let rtgtd = profile.join("rtgtd");
    assert!(
        rtgtd.exists(),
        "{} is missing: cargo build -p rtgt-target --bin rtgtd",
        rtgtd.display()
    );
    rtgtd
}

#[test]
fn ten_seconds_against_rtgtd_find_no_crash() {
    let dir = std::env::temp_dir().join(format!("rtgt-fuzz-net-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let mut daemon = rtgt_peers::rtgtd::Rtgtd::demo(&rtgtd_binary(), &[], &dir.join("rtgtd.log"))
        .unwrap_or_else(|e| panic!("{e:#}"));
    let target = Target {
        addr: wire::resolve(daemon.addr()).expect("rtgtd's portal"),
        // Found by SendTargets, as the command line does without --iqn.
        iqn: String::new(),
        lun: 0,
        chap: None,
        timeout: Duration::from_secs(3),
    };
    let names = wire::discover(&target).expect("SendTargets");
    assert_eq!(names.first().map(String::as_str), Some(daemon.iqn()));
    let options = Options {
        target: Target {
            iqn: daemon.iqn().to_owned(),
            ..target
        },
        pid: None,
        time: Duration::from_secs(10),
        seed: 7,
        out: dir.join("findings"),
        max_execs: None,
        restart_wait: Duration::from_secs(1),
        stop_on_finding: true,
    };
    let report = rtgt_fuzz_net::run(&options).expect("the campaign runs");
    println!("{report:?}");
    assert!(report.execs > 0, "no case ran");
    assert!(
        report.findings.is_empty(),
        "rtgtd went down: {:?}",
        report.findings
    );
    assert!(
        report.signatures > 5,
        "too few distinct answers: {}",
        report.signatures
    );
    daemon
        .stop()
        .expect("rtgtd stops cleanly after the campaign");
    let _ = std::fs::remove_dir_all(&dir);
}
