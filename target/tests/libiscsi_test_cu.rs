//! libiscsi's conformance tool, its iSCSI family in full, against rtgtd:
//! `iscsi-test-cu -t iSCSI` (CmdSN window, DataSN, residuals, task
//! management) with two initiator names and destructive tests allowed.
#![cfg(feature = "real-peers")]

mod common;

use std::time::Duration;

use common::{run, Rtgtd};

#[test]
fn iscsi_test_cu_iscsi_family_passes() {
    let mut d = Rtgtd::demo(&[]);
    let url = d.lun_url(None);
    let (_, out) = run(
        "iscsi-test-cu",
        &[
            "--dataloss",
            "--normal",
            "--initiator-name=iqn.2024-01.org.rtgt:test-cu-1",
            "--initiator-name-2=iqn.2024-01.org.rtgt:test-cu-2",
            "--test=iSCSI",
            &url,
        ],
        Duration::from_secs(120),
    );
    // iscsi-test-cu exits 0 even when tests fail: read its summary.
    let tests = out
        .lines()
        .find(|l| l.trim_start().starts_with("tests"))
        .unwrap_or_else(|| panic!("no summary:\n{out}"));
    let n: Vec<u32> = tests
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    // total, ran, passed, failed, inactive
    assert_eq!(n, vec![15, 15, 15, 0, 0], "{tests}\n{out}");
    assert!(d.stop().success());
}
