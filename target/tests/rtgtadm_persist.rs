//! The live state as `rtgt.toml`: `rtgtadm --dump` after Debian's tgtadm
//! configured rtgtd, and `persist = true`, give a file that a restarted
//! rtgtd shows exactly as before (`tgtadm --op show`), with the file's
//! comments kept.
#![cfg(feature = "real-peers")]

mod common;

use std::path::Path;

use common::tgt::{
    backing_file, diff, rtgtadm_argv, start_rtgtd_with, tgtadm, words, CONTROL_PORT, SEED_STEPS,
};

/// After the seed's steps: a second target with a tid of its own, a LUN
/// of 4096-byte blocks opened with O_DIRECT, an address and a name rule,
/// an account bound nowhere and a discovery account.
const MORE_STEPS: &[&str] = &[
    "--op new --mode target --tid 3 -T iqn.2013-05.com.magedu:tsan.disk3",
    "--op new --mode logicalunit --tid 3 --lun 2 -b FILE --blocksize 4096 --bsoflags direct",
    "--op bind --mode target --tid 3 -I ALL",
    "--op bind --mode target --tid 3 --initiator-name iqn.1994-05.com.redhat:x",
    "--op new --mode account --user spare --password spare-secret-123",
    "--op new --mode account --user finder --password finder-secret-1",
    "--op bind --mode account --user finder",
];

/// What is compared before and after a restart.
const SHOWS: &[&str] = &[
    "--op show --mode target",
    "--op show --mode account",
    "--op show --mode target --tid 1",
];

fn apply(sock: &Path, steps: &[&str], file: &str) {
    for line in steps {
        let out = tgtadm(sock, &words(line, file));
        assert!(out.status.success(), "tgtadm {line}: {out:?}");
    }
}

fn shows(sock: &Path) -> Vec<String> {
    SHOWS
        .iter()
        .map(|line| {
            let step: Vec<&str> = line.split_whitespace().collect();
            let out = tgtadm(sock, &step);
            assert!(out.status.success(), "tgtadm {line}: {out:?}");
            String::from_utf8(out.stdout).expect("UTF-8")
        })
        .collect()
}

fn same(before: &[String], after: &[String]) {
    for ((line, b), a) in SHOWS.iter().zip(before).zip(after) {
        assert!(b == a, "tgtadm {line} differs:\n{}", diff(b, a));
    }
}

fn dump(sock: &Path) -> String {
    let out = rtgtadm_argv(sock, &["-C", CONTROL_PORT, "--dump"]);
    assert!(out.status.success(), "rtgtadm --dump: {out:?}");
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn dump_restarts_to_the_same_show() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let lun = backing_file(dir.path(), 64 << 20);
    let config = dir.path().join("rtgt.toml");
    std::fs::write(&config, "portals = [\"127.0.0.1:0\"]\n").expect("config");
    let (mut rtgtd, sock) = start_rtgtd_with(dir.path(), &config);
    apply(&sock, SEED_STEPS, &lun);
    apply(&sock, MORE_STEPS, &lun);
    let before = shows(&sock);
    let text = dump(&sock);
    println!("{text}");
    assert!(rtgtd.stop().success());
    let dumped = dir.path().join("dumped.toml");
    std::fs::write(&dumped, &text).expect("dump written");
    let (mut again, sock) = start_rtgtd_with(dir.path(), &dumped);
    same(&before, &shows(&sock));
    assert_eq!(dump(&sock), text, "a dump of the dump is the dump");
    assert!(again.stop().success());
}

/// A configuration with comments, a target of its own (tid 7) and
/// `persist = true`.
const COMMENTED: &str = r#"# rtgtd for the persistence test
portals = ["127.0.0.1:0"]   # loopback only
persist = true

# A target written by hand.
[[target]]
iqn = "iqn.2024-01.org.rtgt:hand" # named by hand
tid = 7
[[target.lun]]
lun = 1
backstore = "ram"   # scratch space
size = "16M"
"#;

#[test]
fn persisted_changes_survive_a_restart() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let lun = backing_file(dir.path(), 64 << 20);
    let config = dir.path().join("rtgt.toml");
    std::fs::write(&config, COMMENTED).expect("config");
    let (mut rtgtd, sock) = start_rtgtd_with(dir.path(), &config);
    apply(&sock, SEED_STEPS, &lun);
    apply(&sock, MORE_STEPS, &lun);
    apply(
        &sock,
        &[
            "--op new --mode logicalunit --tid 7 --lun 2 -b FILE",
            "--op bind --mode account --tid 7 --user spare",
            "--op new --mode target --tid 4 -T iqn.2013-05.com.magedu:gone",
            "--op delete --mode target --tid 4",
        ],
        &lun,
    );
    let before = shows(&sock);
    // Every reply came after its file was written: no restart is needed to
    // see the file as the state.
    let text = std::fs::read_to_string(&config).expect("config read");
    println!("{text}");
    for comment in [
        "# rtgtd for the persistence test",
        "# loopback only",
        "# A target written by hand.",
        "# named by hand",
        "# scratch space",
    ] {
        assert!(text.contains(comment), "{comment:?} kept:\n{text}");
    }
    assert!(!text.contains("gone"), "a deleted target leaves the file");
    assert!(rtgtd.stop().success());
    let (mut again, sock) = start_rtgtd_with(dir.path(), &config);
    same(&before, &shows(&sock));
    assert!(again.stop().success());
    assert_eq!(
        std::fs::read_to_string(&config).expect("config read"),
        text,
        "a restart without changes leaves the file"
    );
}
