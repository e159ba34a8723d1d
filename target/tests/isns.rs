//! rtgtd against open-isns's isnsd (RFC 4171): with `[isns]` it registers
//! its entity, targets, portal and portal groups at start (checked with
//! `isnsadm --local --list`), `rtgt-iscsi discover --isns` finds the
//! target, a target added and one removed through the control socket
//! (rtgtadm) show up in isnsd, and after SIGTERM the entity is gone;
//! started before isnsd, rtgtd retries until it registers.
//! `cargo xtask ci` installs open-isns and names rt-iscsi in RTGT_ISCSI.
#![cfg(feature = "real-peers")]

mod common;

use common::{rtgt_iscsi, run, Rtgtd};
use rtgt_peers::isnsd::Isnsd;
use std::process::Command;
use std::time::{Duration, Instant};

const FIRST: &str = "iqn.2024-01.org.rtgt:isns-first";
const ADDED: &str = "iqn.2024-01.org.rtgt:isns-added";

/// The tests run one at a time: one picks a free port for an isnsd it
/// starts later, which the other's isnsd could take meanwhile.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// How long an asynchronous registration may take to reach isnsd.
const SETTLE: Duration = Duration::from_secs(10);

fn list(isnsd: &Isnsd, kind: &str) -> String {
    let out = isnsd.list(kind).unwrap_or_else(|e| panic!("{e:#}"));
    println!("{out}");
    out
}

/// Waits until `isnsadm --list KIND` satisfies `ok`, at most [`SETTLE`].
fn until(isnsd: &Isnsd, kind: &str, what: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + SETTLE;
    loop {
        let out = list(isnsd, kind);
        if ok(&out) {
            return out;
        }
        assert!(
            Instant::now() < deadline,
            "isnsd's {kind} still not {what} after {SETTLE:?}:\n{out}\nisnsd:\n{}",
            isnsd.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn rtgtadm(sock: &std::path::Path, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_rtgtadm"))
        .env("TGT_IPC_SOCKET", sock)
        .args(["-C", "1", "--lld", "iscsi"])
        .args(args)
        .output()
        .expect("rtgtadm runs");
    assert!(
        out.status.success(),
        "rtgtadm {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// rtgtd with `[isns] server = SERVER`, one target, a control socket;
/// gives the daemon, the EID and the socket for rtgtadm.
fn start_rtgtd(dir: &std::path::Path, server: &str) -> (Rtgtd, String, std::path::PathBuf) {
    let eid = format!("rtgt-test-{}", std::process::id());
    let config = dir.join("rtgt.toml");
    std::fs::write(
        &config,
        format!(
            "portals = [\"127.0.0.1:0\"]\n\n[isns]\nserver = \"{server}\"\nentity_id = \"{eid}\"\n\n\
             [[target]]\niqn = \"{FIRST}\"\n\n[[target.lun]]\nlun = 0\nbackstore = \"ram\"\nsize = \"16M\"\n"
        ),
    )
    .expect("config");
    let sock = dir.join("rtgtd-socket");
    let control = format!("{}.1", sock.display());
    let d = Rtgtd::start(&[
        "--config",
        config.to_str().expect("UTF-8 path"),
        "--control-socket",
        &control,
    ]);
    (d, eid, sock)
}

#[test]
fn rtgtd_registers_once_isnsd_comes_up_and_stops_without_it() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let port = rtgt_peers::tgtd::free_loopback_port().expect("a free port");
    let dir = tempfile::tempdir().expect("temporary directory");
    let (mut d, eid, _) = start_rtgtd(dir.path(), &format!("127.0.0.1:{port}"));
    // Nobody listens yet: refused, retried after 1 s, 2 s, 4 s...
    let deadline = Instant::now() + SETTLE;
    while !d.log_text().contains("iSNS: connection lost; retrying") {
        assert!(
            Instant::now() < deadline,
            "no refused connection logged:\n{}",
            d.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let isnsd = Isnsd::start_on(port).unwrap_or_else(|e| panic!("{e:#}"));
    until(&isnsd, "entities", "listing rtgtd's entity", |o| {
        o.contains(&eid)
    });
    until(&isnsd, "nodes", "listing the target", |o| o.contains(FIRST));
    // With isnsd gone, rtgtd still stops at once (the deregistration's
    // connection is refused).
    drop(isnsd);
    let asked = Instant::now();
    assert!(d.stop().success(), "{}", d.log_text());
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );
    let log = d.log_text();
    assert!(log.contains("iSNS: stopped without deregistering"), "{log}");
}

#[test]
fn rtgtd_registers_updates_and_deregisters_with_isnsd() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let isnsd = Isnsd::start().unwrap_or_else(|e| panic!("{e:#}"));
    let dir = tempfile::tempdir().expect("temporary directory");
    let (mut d, eid, sock) = start_rtgtd(dir.path(), &isnsd.addr());
    let port = d.addr.port();

    // Registered at start: the entity, the target node, the portal and the
    // portal group with tag 1.
    until(&isnsd, "nodes", "listing the target", |o| o.contains(FIRST));
    let entities = list(&isnsd, "entities");
    assert!(entities.contains(&format!("\"{eid}\"")), "{entities}");
    assert!(
        entities.contains("Entity protocol = iSCSI (2)"),
        "{entities}"
    );
    let nodes = list(&isnsd, "nodes");
    assert!(nodes.contains("iSCSI node type = Target"), "{nodes}");
    let portals = list(&isnsd, "portals");
    assert!(
        portals.contains("Portal IP address = 127.0.0.1"),
        "{portals}"
    );
    assert!(
        portals.contains(&format!("Portal TCP/UDP port = {port}/tcp")),
        "{portals}"
    );
    let pgs = list(&isnsd, "portal-groups");
    assert!(
        pgs.contains(&format!("Portal group name = \"{FIRST}\"")),
        "{pgs}"
    );
    assert!(
        pgs.contains(&format!("Portal group port = {port}/tcp")),
        "{pgs}"
    );
    assert!(pgs.contains("Portal group tag = 1"), "{pgs}");

    // An initiator finds it through iSNS.
    let (ok, out) = run(
        &rtgt_iscsi(),
        &["discover", "--isns", &isnsd.addr()],
        Duration::from_secs(30),
    );
    assert!(ok, "{out}\nisnsd:\n{}", isnsd.log());
    assert!(out.contains(FIRST), "{out}");
    assert!(out.contains(&format!("127.0.0.1:{port},1")), "{out}");

    // A target added and one removed through the control socket.
    rtgtadm(
        &sock,
        &["--op", "new", "--mode", "target", "--tid", "2", "-T", ADDED],
    );
    until(&isnsd, "nodes", "listing the added target", |o| {
        o.contains(ADDED)
    });
    rtgtadm(&sock, &["--op", "delete", "--mode", "target", "--tid", "1"]);
    let nodes = until(&isnsd, "nodes", "without the removed target", |o| {
        !o.contains(FIRST)
    });
    assert!(nodes.contains(ADDED), "{nodes}");
    let (ok, out) = run(
        &rtgt_iscsi(),
        &["discover", "--isns", &isnsd.addr()],
        Duration::from_secs(30),
    );
    assert!(ok && out.contains(ADDED) && !out.contains(FIRST), "{out}");

    // rtgtd deregisters before it exits: nothing of it is left.
    assert!(d.stop().success(), "{}", d.log_text());
    let log = d.log_text();
    assert!(log.contains("iSNS: deregistered"), "{log}");
    let entities = list(&isnsd, "entities");
    assert!(!entities.contains(&eid), "{entities}");
    let nodes = list(&isnsd, "nodes");
    assert!(!nodes.contains(ADDED), "{nodes}");
    let portals = list(&isnsd, "portals");
    assert!(!portals.contains(&format!("{port}/tcp")), "{portals}");
}
