//! `rtgtadm --reload` and SIGHUP: rtgtd reads its edited configuration file
//! again and applies the difference; a target with a session stays (tgt's
//! rule) and the reply says so; afterwards Debian's tgtadm shows what a
//! fresh rtgtd started from the same file shows.
#![cfg(feature = "real-peers")]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::tgt::{backing_file, diff, rtgtadm_argv, start_rtgtd_with, tgtadm, CONTROL_PORT};
use rtgt_initiator::client::{ClientConfig, Session};
use rtgt_initiator::InitiatorConfig;

const HAND: &str = "iqn.2024-01.org.rtgt:hand";
const BUSY: &str = "iqn.2024-01.org.rtgt:busy";
const NEW: &str = "iqn.2024-01.org.rtgt:new";

fn header() -> String {
    "# reload test\nportals = [\"127.0.0.1:0\"]\n".into()
}

fn hand(extra: &str) -> String {
    format!("\n[[target]]\niqn = \"{HAND}\"\ntid = 1\n{extra}")
}

fn busy() -> String {
    format!("\n[[target]]\niqn = \"{BUSY}\"\ntid = 2\n[[target.lun]]\nlun = 0\nbackstore = \"ram\"\nsize = \"8M\"\n")
}

fn show(sock: &Path) -> String {
    let out = tgtadm(sock, &["--op", "show", "--mode", "target"]);
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// What a fresh rtgtd shows for the configuration `text`.
fn fresh_show(dir: &Path, text: &str) -> String {
    let sub = dir.join("fresh");
    std::fs::create_dir_all(&sub).expect("folder");
    let config = sub.join("rtgt.toml");
    std::fs::write(&config, text).expect("config");
    let (mut d, sock) = start_rtgtd_with(&sub, &config);
    let s = show(&sock);
    assert!(d.stop().success());
    s
}

#[test]
fn reload_applies_the_edited_file() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = backing_file(dir.path(), 16 << 20);
    let config = dir.path().join("rtgt.toml");
    let lun1 = "[[target.lun]]\nlun = 1\nbackstore = \"ram\"\nsize = \"8M\"\n";
    let first = format!(
        "{}{}{}",
        header(),
        hand(&format!("allow_addresses = [\"127.0.0.1\"]\n{lun1}")),
        busy()
    );
    std::fs::write(&config, &first).expect("config");
    let (mut rtgtd, sock) = start_rtgtd_with(dir.path(), &config);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let cfg = InitiatorConfig::normal("iqn.2024-01.org.rtgt:reload-host", BUSY);
    let session = rt
        .block_on(Session::login(
            &rtgtd.addr.to_string(),
            ClientConfig::new(cfg),
        ))
        .expect("login");

    // The edit: BUSY gone, NEW added (tid 3), HAND with another LUN, ACL
    // and a CHAP account.
    let lun2 = format!("[[target.lun]]\nlun = 2\nbackstore = \"file\"\npath = \"{file}\"\n");
    let hand_now = hand(&format!(
        "allow_addresses = [\"ALL\"]\n[target.chap]\nincoming = [{{ user = \"u1\", secret = \"u1-secret-123\" }}]\n{lun2}"
    ));
    let new = format!("\n[[target]]\niqn = \"{NEW}\"\ntid = 3\n{lun1}");
    let second = format!("{}{hand_now}{new}", header());
    std::fs::write(&config, &second).expect("config");
    let out = rtgtadm_argv(&sock, &["-C", CONTROL_PORT, "--reload"]);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{said}");
    assert!(out.status.success(), "{out:?}");
    for line in [
        format!("target 2 {BUSY} not removed"),
        format!("target 3 {NEW} added"),
        "target 1 lun 1 removed".into(),
        "target 1 lun 2 added".into(),
        "target 1 ACL replaced".into(),
        "target 1 CHAP accounts replaced".into(),
    ] {
        assert!(said.contains(&line), "{line:?} in:\n{said}");
    }
    rt.block_on(session.logout()).expect("logout");
    // With the session gone, the live state is the edited file plus BUSY.
    let want = fresh_show(
        dir.path(),
        &format!("{}{hand_now}{}{new}", header(), busy()),
    );
    let got = show(&sock);
    assert!(want == got, "after --reload:\n{}", diff(&want, &got));

    // SIGHUP: BUSY has no session now and goes.
    rtgtd.signal("-HUP");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !rtgtd.log_text().contains("SIGHUP: reload done") {
        assert!(
            Instant::now() < deadline,
            "no reload:\n{}",
            rtgtd.log_text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = rtgtd.log_text();
    assert!(log.contains(&format!("target 2 {BUSY} removed")), "{log}");
    let want = fresh_show(dir.path(), &second);
    let got = show(&sock);
    assert!(want == got, "after SIGHUP:\n{}", diff(&want, &got));
    assert!(rtgtd.stop().success());
}
