//! rtgt's own initiator command line against rtgtd: `rtgt-iscsi verify`
//! (write a pattern, read it back, compare) with digests and with mutual
//! CHAP, and a short `rtgt-iscsi bench`. `cargo xtask ci` builds rtgt-iscsi
//! and names it in RTGT_ISCSI.
#![cfg(feature = "real-peers")]

mod common;

use common::{rtgt_iscsi, run, Rtgtd};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn verify_with_header_and_data_digests() {
    let mut d = Rtgtd::demo(&[]);
    let url = d.lun_url(None);
    let (ok, out) = run(
        &rtgt_iscsi(),
        &[
            "verify",
            "--header-digest",
            "crc32c",
            "--data-digest",
            "crc32c",
            "--lba",
            "64",
            "--blocks",
            "4096",
            &url,
        ],
        LIMIT,
    );
    assert!(ok, "{out}\nrtgtd:\n{}", d.log_text());
    assert!(d.stop().success());
}

#[test]
fn verify_with_mutual_chap() {
    let mut d = Rtgtd::demo(&[
        "--chap",
        "alice:alice-secret-1",
        "--mutual-chap",
        "tgt:target-secret-1",
    ]);
    let url = d.lun_url(Some(("alice", "alice-secret-1")));
    let (ok, out) = run(
        &rtgt_iscsi(),
        &[
            "verify",
            "--target-user",
            "tgt",
            "--target-secret",
            "target-secret-1",
            &url,
        ],
        LIMIT,
    );
    assert!(ok, "{out}\nrtgtd:\n{}", d.log_text());
    let (refused, out) = run(
        &rtgt_iscsi(),
        &[
            "verify",
            "--target-user",
            "tgt",
            "--target-secret",
            "not-the-secret",
            &url,
        ],
        LIMIT,
    );
    assert!(
        !refused,
        "a wrong target secret must fail mutual CHAP: {out}"
    );
    assert!(d.stop().success());
}

#[test]
fn bench_reports_its_figures() {
    let mut d = Rtgtd::demo(&[]);
    let url = d.lun_url(None);
    let (ok, out) = run(
        &rtgt_iscsi(),
        &[
            "bench", "--rw", "randrw", "--bs", "4096", "--qd", "16", "--count", "4000", &url,
        ],
        LIMIT,
    );
    assert!(ok, "{out}\nrtgtd:\n{}", d.log_text());
    assert!(out.contains("iops="), "no figures in:\n{out}");
    assert!(d.stop().success());
}
