//! `rtgtadm --import` reads seed 003's targets.conf (with its tab) into
//! rtgtd, and Debian's `tgt-admin --execute` reads the same file (tab
//! fixed) into a real tgtd and into rtgtd: `show --mode target` is the
//! same in all three. The fixture is the seed's block as written; its
//! `/dev/sdb` is replaced by a temporary file.
#![cfg(feature = "real-peers")]

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::tgt::{backing_file, check, start_rtgtd, tgtadm, Tgtd, CONTROL_PORT};

const SEED_CONF: &str = include_str!("fixtures/seed003_targets.conf");

/// Debian's `tgt-admin -C 1 --execute -c CONF` against the daemon whose
/// socket is `sock` (tgt-admin runs tgtadm, which reads TGT_IPC_SOCKET).
fn tgt_admin(sock: &Path, conf: &Path) -> Output {
    Command::new("tgt-admin")
        .env("TGT_IPC_SOCKET", sock)
        .args(["-C", CONTROL_PORT, "--execute", "-c"])
        .arg(conf)
        .stdin(Stdio::null())
        .output()
        .expect("tgt-admin runs (install tgt with `cargo xtask peers`)")
}

/// Insists that `show --mode target` on `sock` prints `want`.
fn shows_as(sock: &Path, want: &Output, after: &str) {
    let mut failures = String::new();
    let got = tgtadm(sock, &["--op", "show", "--mode", "target"]);
    check(
        &format!("show --mode target after {after}"),
        want,
        &got,
        &mut failures,
    );
    assert!(failures.is_empty(), "rtgtd differs from tgtd:\n{failures}");
}

#[test]
fn seed_targets_conf_imports_as_tgt_admin_executes_it() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let lun = backing_file(dir.path(), 32 << 20);
    assert!(
        SEED_CONF.contains("myuser\tmypass"),
        "the fixture keeps the seed's tab"
    );
    let with_tab = SEED_CONF.replace("/dev/sdb", &lun);
    let fixed = with_tab.replace('\t', " ");
    let (tab_conf, fixed_conf) = (dir.path().join("tab.conf"), dir.path().join("fixed.conf"));
    std::fs::write(&tab_conf, &with_tab).expect("conf");
    std::fs::write(&fixed_conf, &fixed).expect("conf");

    let tgtd = Tgtd::start(dir.path(), "tgtd");
    let out = tgt_admin(&tgtd.sock, &fixed_conf);
    assert!(out.status.success(), "tgt-admin on tgtd: {out:?}");
    let want = tgtadm(&tgtd.sock, &["--op", "show", "--mode", "target"]);
    let want_text = String::from_utf8_lossy(&want.stdout);
    assert!(want_text.contains("myuser (outgoing)"), "{want_text}");

    let (mut rtgtd, rsock) = start_rtgtd(dir.path());
    let control = format!("{}.{CONTROL_PORT}", rsock.display());
    let import = Command::new(env!("CARGO_BIN_EXE_rtgtadm"))
        .args(["--socket", &control, "--import"])
        .arg(&tab_conf)
        .output()
        .expect("rtgtadm runs");
    assert!(import.status.success(), "rtgtadm --import: {import:?}");
    assert!(import.stderr.is_empty(), "nothing ignored: {import:?}");
    shows_as(&rsock, &want, "rtgtadm --import");
    assert!(rtgtd.stop().success());

    // Debian's tgt-admin drives rtgtd itself. tgt-admin skips a backing
    // store another process holds open (lsof), so tgtd goes first.
    drop(tgtd);
    let dir2 = tempfile::tempdir().expect("temporary folder");
    let (mut rtgtd2, rsock2) = start_rtgtd(dir2.path());
    let out = tgt_admin(&rsock2, &fixed_conf);
    assert!(out.status.success(), "tgt-admin on rtgtd: {out:?}");
    shows_as(&rsock2, &want, "tgt-admin");
    assert!(rtgtd2.stop().success());
}
