//! Debian's unmodified tgtadm drives rtgtd over tgtd's management protocol:
//! the same tgtadm commands against a real tgtd and against rtgtd (both
//! on loopback, their control sockets in a temporary folder) succeed or
//! fail alike and `show` prints the same bytes.
#![cfg(feature = "real-peers")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::Rtgtd;
use rtgt_peers::process::spawn_logged;
use rtgt_peers::tgtd::free_loopback_port;

/// The control port given to both (`tgtadm -C`): the sockets are
/// `$TGT_IPC_SOCKET.1`, each daemon with its own `TGT_IPC_SOCKET`.
const CONTROL_PORT: &str = "1";

/// A tgtd in the foreground on a free loopback port, its socket in `dir`.
struct Tgtd {
    child: Child,
    sock: PathBuf,
}

impl Tgtd {
    fn start(dir: &Path) -> Tgtd {
        let port = free_loopback_port().expect("free port");
        let sock = dir.join("tgtd-socket");
        let child = spawn_logged(
            Command::new("tgtd")
                .env("TGT_IPC_SOCKET", &sock)
                .args(["-f", "-C", CONTROL_PORT])
                .args(["--iscsi", &format!("portal=127.0.0.1:{port}")]),
            &dir.join("tgtd.log"),
        )
        .expect("tgtd starts (install it with `cargo xtask peers`)");
        let t = Tgtd { child, sock };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !tgtadm(&t.sock, &["--op", "show", "--mode", "target"])
            .status
            .success()
        {
            assert!(Instant::now() < deadline, "tgtd did not answer tgtadm");
            std::thread::sleep(Duration::from_millis(50));
        }
        t
    }
}

impl Drop for Tgtd {
    fn drop(&mut self) {
        // tgtd ignores SIGTERM; it holds nothing to flush here.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `/usr/sbin/tgtadm -C 1 --lld iscsi ARGS` aimed at the socket `sock`.
fn tgtadm(sock: &Path, args: &[&str]) -> Output {
    Command::new("tgtadm")
        .env("TGT_IPC_SOCKET", sock)
        .args(["-C", CONTROL_PORT, "--lld", "iscsi"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("tgtadm runs (install tgt with `cargo xtask peers`)")
}

/// The lines where `a` and `b` differ.
fn diff(a: &str, b: &str) -> String {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let mut out = String::new();
    for i in 0..la.len().max(lb.len()) {
        let (x, y) = (la.get(i), lb.get(i));
        if x != y {
            out.push_str(&format!(
                "line {}:\n  tgtd : {x:?}\n  rtgtd: {y:?}\n",
                i + 1
            ));
        }
    }
    out
}

#[test]
fn tgtadm_sequence_shows_the_same_as_tgtd() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let lun = dir.path().join("lun1.img");
    std::fs::File::create(&lun)
        .and_then(|f| f.set_len(64 << 20))
        .expect("backing file");
    let lun = lun.to_str().expect("UTF-8 path").to_owned();
    let tgtd = Tgtd::start(dir.path());
    let config = dir.path().join("rtgt.toml");
    std::fs::write(&config, "portals = [\"127.0.0.1:0\"]\n").expect("config");
    let rsock = dir.path().join("rtgtd-socket");
    let control = format!("{}.{CONTROL_PORT}", rsock.display());
    let mut rtgtd = Rtgtd::start(&[
        "--config",
        config.to_str().expect("UTF-8 path"),
        "--control-socket",
        &control,
    ]);
    // FILE stands for the backing file.
    let steps = [
        "--op new --mode target --tid 1 -T iqn.2013-05.com.magedu:tsan.disk1",
        "--op show --mode target",
        "--op new --mode logicalunit --tid 1 --lun 1 -b FILE",
        "--op bind --mode target --tid 1 -I 172.16.0.0/16",
        "--op new --mode account --user christina --password 123456",
        "--op show --mode account",
        "--op bind --mode account --tid 1 --user christina",
        "--op show --mode target",
        "--op new --mode account --user clyde --password 123456",
        "--op bind --mode account --tid 1 --user clyde --outgoing",
        "--op show --mode target",
    ];
    // Then refusals, unbinding and deleting: the same answers, not
    // necessarily successes.
    let further = [
        "--op delete --mode logicalunit --tid 1 --lun 0",
        "--op new --mode target --tid 1 -T iqn.2013-05.com.magedu:other",
        "--op new --mode logicalunit --tid 1 --lun 1 -b FILE",
        "--op new --mode logicalunit --tid 2 --lun 1 -b FILE",
        "--op bind --mode account --tid 1 --user christina",
        "--op bind --mode account --tid 1 --user christina --outgoing",
        "--op bind --mode account --tid 1 --user nobody",
        "--op bind --mode account --user clyde",
        "--op unbind --mode account --tid 1 --user clyde --outgoing",
        "--op bind --mode target --tid 1 -I 172.16.0.0/16",
        "--op bind --mode target --tid 1 -I ALL",
        "--op bind --mode target --tid 1 --initiator-name iqn.1994-05.com.redhat:x",
        "--op unbind --mode target --tid 1 -I 172.16.0.0/16",
        "--op unbind --mode target --tid 1 -I 10.0.0.0/8",
        "--op show --mode target",
        "--op delete --mode account --user christina",
        "--op delete --mode account --user christina",
        "--op show --mode account",
        "--op new --mode target --tid 3 -T iqn.2013-05.com.magedu:tsan.disk3",
        "--op show --mode target",
        "--op delete --mode logicalunit --tid 1 --lun 1",
        "--op delete --mode logicalunit --tid 1 --lun 1",
        "--op delete --mode target --tid 1",
        "--op delete --mode target --tid 9",
        "--op show --mode target",
    ];
    let mut failures = String::new();
    let seed = steps.len();
    for (i, line) in steps.iter().chain(&further).enumerate() {
        let step: Vec<&str> = line
            .split_whitespace()
            .map(|w| if w == "FILE" { lun.as_str() } else { w })
            .collect();
        let step = &step;
        let want = tgtadm(&tgtd.sock, step);
        let got = tgtadm(&rsock, step);
        let (ws, gs) = (
            String::from_utf8_lossy(&want.stdout),
            String::from_utf8_lossy(&got.stdout),
        );
        println!(
            "$ tgtadm {}\n{gs}{}",
            step.join(" "),
            String::from_utf8_lossy(&got.stderr)
        );
        assert!(
            i >= seed || want.status.success(),
            "tgtd refused {step:?}: {want:?}"
        );
        if got.status != want.status || got.stdout != want.stdout || got.stderr != want.stderr {
            failures.push_str(&format!(
                "tgtadm {}\n  status tgtd {} rtgtd {}\n  stderr tgtd {:?} rtgtd {:?}\n{}",
                step.join(" "),
                want.status,
                got.status,
                String::from_utf8_lossy(&want.stderr),
                String::from_utf8_lossy(&got.stderr),
                diff(&ws, &gs)
            ));
        }
    }
    assert!(failures.is_empty(), "rtgtd differs from tgtd:\n{failures}");
    let log = rtgtd.log_text();
    assert!(
        log.contains("§12.1.3"),
        "short CHAP secrets are warned about:\n{log}"
    );
    assert!(rtgtd.stop().success());
}
