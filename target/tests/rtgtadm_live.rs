//! Live changes beside running IO: while `rtgt-iscsi bench` reads and
//! writes a LUN of one target, Debian's tgtadm makes, changes and removes
//! another target of the same rtgtd (LUNs, ACL, accounts), `rtgtadm
//! --dump` and `--reload` run, and `persist = true` rewrites the file
//! after each change; the bench completes without an error. `cargo xtask
//! ci` builds rtgt-iscsi and names it in RTGT_ISCSI.
#![cfg(feature = "real-peers")]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::tgt::{backing_file, rtgtadm_argv, start_rtgtd_with, tgtadm, words, CONTROL_PORT};

const BUSY: &str = "iqn.2024-01.org.rtgt:bench";

/// One round of changes to target 5, each of which must succeed.
const ROUND: &[&str] = &[
    "--op new --mode target --tid 5 -T iqn.2024-01.org.rtgt:changing",
    "--op new --mode logicalunit --tid 5 --lun 1 -b FILE",
    "--op bind --mode target --tid 5 -I ALL",
    "--op new --mode account --user alice --password alice-secret-1",
    "--op bind --mode account --tid 5 --user alice",
    "--op show --mode target",
    "--op unbind --mode account --tid 5 --user alice",
    "--op delete --mode account --user alice",
    "--op delete --mode logicalunit --tid 5 --lun 1",
    "--op delete --mode target --tid 5",
];

#[test]
fn changes_leave_a_running_bench_alone() {
    let bench_bin = std::env::var("RTGT_ISCSI").unwrap_or_else(|_| {
        panic!("set RTGT_ISCSI to the rtgt-iscsi binary (cargo xtask ci does this)")
    });
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = backing_file(dir.path(), 16 << 20);
    let config = dir.path().join("rtgt.toml");
    let text = format!(
        "# live changes\nportals = [\"127.0.0.1:0\"]\npersist = true\n\n[[target]]\niqn = \"{BUSY}\"\n[[target.lun]]\nlun = 0\nbackstore = \"ram\"\nsize = \"64M\"\n"
    );
    std::fs::write(&config, text).expect("config");
    let (mut rtgtd, sock) = start_rtgtd_with(dir.path(), &config);
    let url = format!("iscsi://{}/{BUSY}/0", rtgtd.addr);
    let mut bench = Command::new(&bench_bin)
        .args([
            "bench", "--rw", "randrw", "--bs", "4096", "--qd", "8", "--time", "4", &url,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rtgt-iscsi runs");
    let deadline = Instant::now() + Duration::from_secs(30);
    // Let the bench log in first.
    std::thread::sleep(Duration::from_millis(500));
    // Rounds until the bench ends, at most 100.
    let mut rounds = 0;
    while rounds < 100 && matches!(bench.try_wait(), Ok(None)) {
        for line in ROUND {
            let out = tgtadm(&sock, &words(line, &file));
            assert!(out.status.success(), "tgtadm {line}: {out:?}");
        }
        for extra in ["--dump", "--reload"] {
            let out = rtgtadm_argv(&sock, &["-C", CONTROL_PORT, extra]);
            assert!(out.status.success(), "rtgtadm {extra}: {out:?}");
        }
        rounds += 1;
    }
    let out = bench.try_wait_output(deadline).expect("bench output");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{rounds} rounds of changes\n{said}");
    assert!(rounds >= 2, "the changes ran while the bench ran");
    assert!(
        out.status.success(),
        "bench failed:\n{said}\nrtgtd:\n{}",
        rtgtd.log_text()
    );
    assert!(said.contains("IOPS"), "no figures in:\n{said}");
    assert!(rtgtd.stop().success());
}

/// Waits for a child until `deadline`, killing it past that.
trait WaitOutput {
    fn try_wait_output(self, deadline: Instant) -> Option<std::process::Output>;
}

impl WaitOutput for std::process::Child {
    fn try_wait_output(mut self, deadline: Instant) -> Option<std::process::Output> {
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.try_wait() {
                return self.wait_with_output().ok();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.kill();
        self.wait_with_output().ok()
    }
}
