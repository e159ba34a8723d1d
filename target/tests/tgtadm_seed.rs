//! Debian's unmodified tgtadm drives rtgtd over tgtd's management protocol:
//! the same tgtadm commands against a real tgtd and against rtgtd (both
//! on loopback, their control sockets in a temporary folder) succeed or
//! fail alike and `show` prints the same bytes.
#![cfg(feature = "real-peers")]

mod common;

use std::path::Path;
use std::time::Duration;

use common::tgt::{
    backing_file, compare, start_rtgtd, tgtadm, words, Tgtd, FURTHER_STEPS, SEED_STEPS,
};
use rtgt_initiator::client::{ClientConfig, Session};
use rtgt_initiator::InitiatorConfig;
use rtgt_proto::pdu::{Isid, IsidType};

#[test]
fn tgtadm_sequence_shows_the_same_as_tgtd() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let lun = backing_file(dir.path(), 64 << 20);
    let tgtd = Tgtd::start(dir.path(), "tgtd");
    let (mut rtgtd, rsock) = start_rtgtd(dir.path());
    let mut failures = String::new();
    let seed = SEED_STEPS.len();
    for (i, line) in SEED_STEPS.iter().chain(FURTHER_STEPS).enumerate() {
        let step = &words(line, &lun);
        let want = compare(&tgtd.sock, &rsock, step, &mut failures);
        assert!(
            i >= seed || want.status.success(),
            "tgtd refused {step:?}: {want:?}"
        );
    }
    assert!(failures.is_empty(), "rtgtd differs from tgtd:\n{failures}");
    let log = rtgtd.log_text();
    assert!(
        log.contains("§12.1.3"),
        "short CHAP secrets are warned about:\n{log}"
    );
    assert!(rtgtd.stop().success());
}

/// Runs `tgtadm ARGS` against `sock` and insists it succeeds.
fn tgtadm_ok(sock: &Path, line: &str) {
    let args: Vec<&str> = line.split_whitespace().collect();
    let out = tgtadm(sock, &args);
    assert!(out.status.success(), "tgtadm {line}: {out:?}");
}

/// What tgtadm configures is what initiators get: a new target admits
/// nobody until bound, its LUN serves the file, a bound account makes
/// CHAP required, and a removed LUN is gone.
#[test]
fn targets_made_by_tgtadm_serve_initiators() {
    const IQN: &str = "iqn.2024-01.org.rtgt:tgtadm";
    const LIMIT: Duration = Duration::from_secs(30);
    let dir = tempfile::tempdir().expect("temporary folder");
    let lun = backing_file(dir.path(), 16 << 20);
    let (mut rtgtd, sock) = start_rtgtd(dir.path());
    let url = |chap: &str| format!("iscsi://{chap}{}/{IQN}/1", rtgtd.addr);
    let capacity = |chap: &str| common::run("iscsi-readcapacity16", &[&url(chap)], LIMIT);
    let portals = tgtadm(&sock, &["--op", "show", "--mode", "portal"]);
    let want = format!("Portal: {},1\n", rtgtd.addr);
    assert_eq!(String::from_utf8_lossy(&portals.stdout), want);
    tgtadm_ok(&sock, &format!("--op new --mode target --tid 1 -T {IQN}"));
    tgtadm_ok(
        &sock,
        &format!("--op new --mode logicalunit --tid 1 --lun 1 -b {lun}"),
    );
    let (ok, out) = capacity("");
    assert!(!ok, "a target without an ACL rule admits nobody: {out}");
    tgtadm_ok(&sock, "--op bind --mode target --tid 1 -I 127.0.0.1");
    let params = tgtadm(&sock, &["--op", "show", "--mode", "target", "--tid", "1"]);
    let params = String::from_utf8_lossy(&params.stdout);
    assert!(params.contains("\nMaxBurstLength=262144\n"), "{params}");
    let (ok, out) = capacity("");
    assert!(ok && out.contains("16777216"), "{out}");
    tgtadm_ok(
        &sock,
        "--op new --mode account --user alice --password alice-secret-1",
    );
    tgtadm_ok(&sock, "--op bind --mode account --tid 1 --user alice");
    let (ok, out) = capacity("");
    assert!(!ok, "a bound account makes CHAP required: {out}");
    let (ok, out) = capacity("alice%alice-secret-1@");
    assert!(ok, "{out}");
    tgtadm_ok(&sock, "--op unbind --mode account --tid 1 --user alice");
    let (ok, out) = capacity("");
    assert!(ok, "{out}");
    tgtadm_ok(&sock, "--op delete --mode logicalunit --tid 1 --lun 1");
    let (ok, out) = capacity("");
    assert!(!ok, "the LUN is gone: {out}");
    assert!(rtgtd.stop().success());
}

/// With one session logged in to target 1 of each (the same initiator
/// name and ISID, from loopback), `show --mode target` lists its I_T
/// nexus and `show --mode conn` its connection as tgtd does.
#[test]
fn sessions_show_as_tgtd_shows_them() {
    const IQN: &str = "iqn.2024-01.org.rtgt:nexus";
    const HOST: &str = "iqn.2024-01.org.rtgt:nexus-host";
    let dir = tempfile::tempdir().expect("temporary folder");
    let tgtd = Tgtd::start(dir.path(), "tgtd");
    let (mut rtgtd, rsock) = start_rtgtd(dir.path());
    // A worker thread answers the targets' pings while tgtadm runs.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let mut sessions = Vec::new();
    for (sock, addr) in [(&tgtd.sock, tgtd.addr), (&rsock, rtgtd.addr)] {
        tgtadm_ok(sock, &format!("--op new --mode target --tid 1 -T {IQN}"));
        tgtadm_ok(sock, "--op bind --mode target --tid 1 -I ALL");
        let mut cfg = InitiatorConfig::normal(HOST, IQN);
        cfg.isid = Some(Isid {
            t: IsidType::Random,
            a: 0,
            b: 0x7274,
            c: 0x67,
            d: 1,
        });
        let addr = addr.to_string();
        let login = Session::login(&addr, ClientConfig::new(cfg));
        sessions.push(rt.block_on(login).expect("login"));
    }
    let mut failures = String::new();
    let lines = [
        "--op show --mode target",
        "--op show --mode conn --tid 1",
        "--op show --mode conn --tid 2",
    ];
    compare_lines(&tgtd.sock, &rsock, &lines, &mut failures);
    for s in &sessions {
        rt.block_on(s.logout()).expect("logout");
    }
    assert!(failures.is_empty(), "rtgtd differs from tgtd:\n{failures}");
    assert!(rtgtd.stop().success());
}

/// `--op delete --mode system` as tgtd answers it: refused while a target
/// is left, then the daemon stops (tgtadm waits for its socket to close;
/// `timeout` bounds the wait).
#[test]
fn delete_system_stops_the_daemon_as_tgtd() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let tgtd = Tgtd::start(dir.path(), "tgtd");
    let (mut rtgtd, rsock) = start_rtgtd(dir.path());
    let mut failures = String::new();
    let bounded = |sock: &Path| {
        std::process::Command::new("timeout")
            .args(["30", "tgtadm", "-C", common::tgt::CONTROL_PORT])
            .args(["--lld", "iscsi", "--op", "delete", "--mode", "system"])
            .env("TGT_IPC_SOCKET", sock)
            .output()
            .expect("tgtadm runs")
    };
    let lines = [
        "--op new --mode target --tid 1 -T iqn.2024-01.org.rtgt:left",
        "--op delete --mode system",
        "--op delete --mode target --tid 1",
    ];
    compare_lines(&tgtd.sock, &rsock, &lines, &mut failures);
    let (want, got) = (bounded(&tgtd.sock), bounded(&rsock));
    common::tgt::check(
        "tgtadm --op delete --mode system",
        &want,
        &got,
        &mut failures,
    );
    assert!(want.status.success(), "tgtd stops: {want:?}");
    assert!(failures.is_empty(), "rtgtd differs from tgtd:\n{failures}");
    assert!(rtgtd.stop().success(), "rtgtd stopped cleanly");
    assert!(
        rtgtd
            .log_text()
            .contains("delete --mode system: shutting down"),
        "{}",
        rtgtd.log_text()
    );
}

/// [`compare`] for each of `lines`.
fn compare_lines(want: &Path, got: &Path, lines: &[&str], failures: &mut String) {
    for line in lines {
        let step: Vec<&str> = line.split_whitespace().collect();
        compare(want, got, &step, failures);
    }
}

/// `show --mode system` and `--mode lld` print tgtd's layout: tgtd's lines
/// less those naming what rtgtd has not (the iSER driver, backing stores
/// but `rdwr`, whose only flag is O_DIRECT in rtgtd, device types but
/// disk and controller).
#[test]
fn system_and_lld_views_follow_tgtd() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let tgtd = Tgtd::start(dir.path(), "tgtd");
    let (mut rtgtd, rsock) = start_rtgtd(dir.path());
    for sock in [&tgtd.sock, &rsock] {
        tgtadm_ok(
            sock,
            "--op new --mode target --tid 1 -T iqn.2024-01.org.rtgt:one",
        );
        tgtadm_ok(
            sock,
            "--op new --mode target --tid 3 -T iqn.2024-01.org.rtgt:three",
        );
    }
    let (mut section, mut kept) = (String::new(), String::new());
    let want = stdout(&tgtd.sock, "--op show --mode system");
    for line in want.lines() {
        if !line.starts_with(' ') {
            section = line.to_owned();
        }
        let item = line.trim();
        let keep = match section.as_str() {
            "LLDs:" => item != "iser: error",
            "Backing stores:" => line == section || item.starts_with("rdwr "),
            "Device types:" => line == section || matches!(item, "disk" | "controller"),
            _ => true,
        };
        if keep {
            kept.push_str(&line.replace("rdwr (bsoflags sync:direct)", "rdwr (bsoflags direct)"));
            kept.push('\n');
        }
    }
    let got = stdout(&rsock, "--op show --mode system");
    assert!(
        kept == got,
        "show --mode system:\n{}",
        common::tgt::diff(&kept, &got)
    );
    let want = stdout(&tgtd.sock, "--op show --mode lld").replace("    iser: error\n", "");
    let got = stdout(&rsock, "--op show --mode lld");
    assert!(
        want == got,
        "show --mode lld:\n{}",
        common::tgt::diff(&want, &got)
    );
    assert!(rtgtd.stop().success());
}

fn stdout(sock: &Path, line: &str) -> String {
    let args: Vec<&str> = line.split_whitespace().collect();
    let out = tgtadm(sock, &args);
    assert!(out.status.success(), "tgtadm {line}: {out:?}");
    String::from_utf8(out.stdout).expect("UTF-8")
}
