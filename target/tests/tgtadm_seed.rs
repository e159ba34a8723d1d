//! Debian's unmodified tgtadm drives rtgtd over tgtd's management protocol:
//! the same tgtadm commands against a real tgtd and against rtgtd (both
//! on loopback, their control sockets in a temporary folder) succeed or
//! fail alike and `show` prints the same bytes.
#![cfg(feature = "real-peers")]

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::Rtgtd;
use rtgt_initiator::client::{ClientConfig, Session};
use rtgt_initiator::InitiatorConfig;
use rtgt_peers::process::spawn_logged;
use rtgt_peers::tgtd::free_loopback_port;
use rtgt_proto::pdu::{Isid, IsidType};

/// The control port given to both (`tgtadm -C`): the sockets are
/// `$TGT_IPC_SOCKET.1`, each daemon with its own `TGT_IPC_SOCKET`.
const CONTROL_PORT: &str = "1";

/// A tgtd in the foreground on a free loopback port, its socket in `dir`.
struct Tgtd {
    child: Child,
    sock: PathBuf,
    /// Its iSCSI portal.
    addr: SocketAddr,
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
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let t = Tgtd { child, sock, addr };
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

/// Runs `tgtadm STEP` against tgtd's socket `want` and rtgtd's `got`,
/// notes in `failures` where their status, output or errors differ, and
/// gives tgtd's answer.
fn compare(want: &Path, got: &Path, step: &[&str], failures: &mut String) -> Output {
    let (want, got) = (tgtadm(want, step), tgtadm(got, step));
    let (ws, gs) = (
        String::from_utf8_lossy(&want.stdout),
        String::from_utf8_lossy(&got.stdout),
    );
    println!(
        "$ tgtadm {}\n{gs}{}",
        step.join(" "),
        String::from_utf8_lossy(&got.stderr)
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
    want
}

/// A sparse file of `len` bytes in `dir`, for a LUN.
fn backing_file(dir: &Path, len: u64) -> String {
    let path = dir.join("lun1.img");
    std::fs::File::create(&path)
        .and_then(|f| f.set_len(len))
        .expect("backing file");
    path.to_str().expect("UTF-8 path").to_owned()
}

/// rtgtd on loopback without targets, its control socket in `dir`; gives
/// the `TGT_IPC_SOCKET` for tgtadm.
fn start_rtgtd(dir: &Path) -> (Rtgtd, PathBuf) {
    let config = dir.join("rtgt.toml");
    std::fs::write(&config, "portals = [\"127.0.0.1:0\"]\n").expect("config");
    let sock = dir.join("rtgtd-socket");
    let control = format!("{}.{CONTROL_PORT}", sock.display());
    let rtgtd = Rtgtd::start(&[
        "--config",
        config.to_str().expect("UTF-8 path"),
        "--control-socket",
        &control,
    ]);
    (rtgtd, sock)
}

#[test]
fn tgtadm_sequence_shows_the_same_as_tgtd() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let lun = backing_file(dir.path(), 64 << 20);
    let tgtd = Tgtd::start(dir.path());
    let (mut rtgtd, rsock) = start_rtgtd(dir.path());
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
        "--op new --mode logicalunit --tid 1 --lun 2 -b /nonexistent/rtgt-lun.img",
        "--op new --mode logicalunit --tid 1 --lun 3 -b FILE",
        "--op delete --mode logicalunit --tid 1 --lun 2",
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
        "--op show --mode target --tid 9",
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
    let tgtd = Tgtd::start(dir.path());
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
    for line in [
        "--op show --mode target",
        "--op show --mode conn --tid 1",
        "--op show --mode conn --tid 2",
    ] {
        let step: Vec<&str> = line.split_whitespace().collect();
        compare(&tgtd.sock, &rsock, &step, &mut failures);
    }
    for s in &sessions {
        rt.block_on(s.logout()).expect("logout");
    }
    assert!(failures.is_empty(), "rtgtd differs from tgtd:\n{failures}");
    assert!(rtgtd.stop().success());
}
