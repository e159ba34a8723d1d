//! libiscsi's whole conformance tool against rtgtd: `iscsi-test-cu -d -S
//! -t ALL` with two initiator names on a thin, removable file LUN. No test
//! may fail. (`cargo xtask ci` runs the same through `rtgt-test-cu` with a
//! second portal as the multipath URL, counts skips, and runs the ReadOnly
//! tests on a write-protected LUN.)
#![cfg(feature = "real-peers")]

mod common;

use std::time::Duration;

use common::{run, Rtgtd};

const IQN: &str = "iqn.2024-01.org.rtgt:test-cu";

#[test]
fn iscsi_test_cu_all_has_no_failure() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("rtgt.toml");
    std::fs::write(
        &cfg,
        format!(
            "portals = [\"127.0.0.1:0\"]\nstate_dir = \"{}\"\n\n\
             [[target]]\niqn = \"{IQN}\"\n\n[[target.lun]]\nlun = 0\nbackstore = \"file\"\n\
             path = \"{}\"\nsize = \"128M\"\nthin = true\nremovable = true\n",
            dir.path().join("state").display(),
            dir.path().join("lun0.img").display()
        ),
    )
    .unwrap();
    let mut d = Rtgtd::start(&["--config", cfg.to_str().unwrap()]);
    let url = format!("iscsi://{}/{IQN}/0", d.addr);
    let (_, out) = run(
        "iscsi-test-cu",
        &[
            "--dataloss",
            "--allow-sanitize",
            "--initiator-name=iqn.2024-01.org.rtgt:test-cu-1",
            "--initiator-name-2=iqn.2024-01.org.rtgt:test-cu-2",
            "--test=ALL",
            &url,
        ],
        Duration::from_secs(600),
    );
    // iscsi-test-cu exits 0 even when tests fail: read CUnit's summary,
    // `tests TOTAL RAN PASSED FAILED INACTIVE`.
    let tests = out
        .lines()
        .find(|l| l.trim_start().starts_with("tests"))
        .unwrap_or_else(|| panic!("no summary:\n{out}"));
    let n: Vec<u32> = tests
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert_eq!(n.get(3), Some(&0), "{tests}\n{out}");
    assert!(d.stop().success());
}
