//! Multipath failover across two rtgtd processes serving one LU file under
//! one target name and LU identity (same IQN and LUN, hence the same NAA
//! designator, and the same serial): node A on 127.0.0.1, target port
//! group 1, active/optimized; node B on 127.0.0.2, group 2, standby; both
//! with explicit and implicit ALUA (`access = "both"`).
//!
//! The multipath client (`MultipathSession`, what `rtgt-iscsi --multipath`
//! runs) writes a pattern with eight writes in flight; A is killed with
//! SIGKILL during the writes; the client reads the groups through B,
//! activates B's group with SET TARGET PORT GROUPS (explicit ALUA, as an
//! initiator does when its active path group is gone), sends the writes A
//! never answered again through B and goes on. Then every acknowledged
//! write is read back through B by another session and compared. The
//! check is shown to catch a lost write: a block overwritten behind the
//! client's back is reported. Then A is started again on its address
//! (active/optimized, preferred) and, once the client probes its lost
//! path, writes go through A again (failback). Last, with both nodes
//! killed, the client says no path is usable.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::tgt::{rtgtadm_argv, start_rtgtd_with, CONTROL_PORT};
use common::Rtgtd;
use rtgt_initiator::client::{ClientConfig, ClientError, MultipathSession, Session};
use rtgt_initiator::core::multipath::PathHealth;
use rtgt_initiator::InitiatorConfig;
use rtgt_proto::pdu::Lun;
use rtgt_proto::scsi::params::tpg;

const IQN: &str = "iqn.2024-01.org.rtgt:mpath";
/// Writes of `BLOCKS` 512-byte blocks, each at its own LBA range.
const WRITES: usize = 4000;
const BLOCKS: u64 = 8;
const IN_FLIGHT: usize = 8;
/// A is killed once this many writes were acknowledged.
const KILL_AFTER: usize = 300;
/// Bound on the whole write phase.
const LIMIT: Duration = Duration::from_secs(60);

/// Node `me` (group, relative port and portal group tag `me`) on
/// `address` (port 0: any), in `state`; the other node's group in
/// `peer_state`.
fn config(file: &Path, address: &str, me: u16, state: &str, peer_state: &str) -> String {
    config_with(file, address, me, state, peer_state, "both")
}

/// [`config`] with the access type `access`.
fn config_with(
    file: &Path,
    address: &str,
    me: u16,
    state: &str,
    peer_state: &str,
    access: &str,
) -> String {
    let peer = 3 - me;
    format!(
        "portals = [\"{address}\"]\ntpgt = {me}\n\
         [nop]\ninterval_secs = 0\n\
         [alua]\naccess = \"{access}\"\ngroup = {me}\nstate = \"{state}\"\nrelative_port = {me}\npreferred = {pref}\n\
         [[alua.peer]]\ngroup = {peer}\nstate = \"{peer_state}\"\nports = [{peer}]\npreferred = {ppref}\n\
         [[target]]\niqn = \"{IQN}\"\n\
         [[target.lun]]\nlun = 0\nbackstore = \"file\"\npath = \"{}\"\nserial = \"mpath-lu-0\"\n",
        file.display(),
        pref = me == 1,
        ppref = peer == 1,
    )
}

fn start(dir: &Path, text: &str) -> Rtgtd {
    start_node(dir, text).0
}

/// [`start`], also giving the control socket and the configuration file.
fn start_node(dir: &Path, text: &str) -> (Rtgtd, PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).expect("folder");
    let config = dir.join("rtgt.toml");
    std::fs::write(&config, text).expect("config");
    let (daemon, sock) = start_rtgtd_with(dir, &config);
    (daemon, sock, config)
}

/// A temporary folder with an LU file of `len` bytes in it.
fn lu_file(len: u64) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = dir.path().join("lu.img");
    std::fs::File::create(&file)
        .and_then(|f| f.set_len(len))
        .expect("LU file");
    (dir, file)
}

/// The pattern of write `i`: its LBA and a stream seeded by it.
fn pattern(i: usize) -> Bytes {
    let lba = i as u64 * BLOCKS;
    let mut b = Vec::with_capacity(BLOCKS as usize * 512);
    let mut x = lba.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    while b.len() < BLOCKS as usize * 512 {
        b.extend_from_slice(&lba.to_be_bytes());
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b.extend_from_slice(&x.to_le_bytes());
    }
    Bytes::from(b)
}

/// The acknowledged writes whose blocks do not read back through `s`.
async fn lost_writes(s: &Session, acked: &[usize]) -> Vec<usize> {
    let lun = Lun::single_level(0);
    let mut lost = Vec::new();
    for &i in acked {
        let got = s
            .read(lun, i as u64 * BLOCKS, BLOCKS as u32)
            .await
            .expect("read back through B");
        if got != pattern(i) {
            lost.push(i);
        }
    }
    lost
}

fn client_config(host: &str) -> ClientConfig {
    let ini = InitiatorConfig::normal(&format!("iqn.2024-01.org.rtgt:{host}"), IQN);
    let mut c = ClientConfig::new(ini);
    c.connect_timeout = Duration::from_secs(5);
    c.command_timeout = Some(Duration::from_secs(10));
    c
}

#[test]
fn failover_keeps_every_acknowledged_write() {
    let started = Instant::now();
    let (dir, file) = lu_file(WRITES as u64 * BLOCKS * 512);
    let a_text = config(&file, "127.0.0.1:0", 1, "active/optimized", "standby");
    let b_text = config(&file, "127.0.0.2:0", 2, "standby", "active/optimized");
    let a = start(&dir.path().join("a"), &a_text);
    let mut b = start(&dir.path().join("b"), &b_text);
    let portals = vec![a.addr.to_string(), b.addr.to_string()];
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let lun = Lun::single_level(0);
    let mp = rt
        .block_on(MultipathSession::login(
            &portals,
            client_config("mpath"),
            lun,
        ))
        .expect("multipath login");
    let state = mp.state();
    assert_eq!(
        state.paths().iter().map(|p| p.group).collect::<Vec<_>>(),
        vec![Some(1), Some(2)],
        "each path's group from VPD page 83h"
    );
    assert_eq!(
        state
            .groups()
            .iter()
            .map(|g| (g.id, g.state))
            .collect::<Vec<_>>(),
        vec![(1, tpg::ALUA_ACTIVE_OPTIMIZED), (2, tpg::ALUA_STANDBY)]
    );

    // The writes, IN_FLIGHT at a time; each records its acknowledgement.
    let next = Arc::new(AtomicUsize::new(0));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let failed = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            let (mp, next, acked, failed) =
                (mp.clone(), next.clone(), acked.clone(), failed.clone());
            rt.spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= WRITES {
                        return;
                    }
                    match mp.write(i as u64 * BLOCKS, pattern(i)).await {
                        Ok(()) => acked.lock().unwrap().push(i),
                        Err(e) => failed.lock().unwrap().push((i, e.to_string())),
                    }
                }
            })
        })
        .collect();
    let count = || acked.lock().unwrap().len();
    let deadline = Instant::now() + LIMIT;
    while count() < KILL_AFTER {
        assert!(Instant::now() < deadline, "{} writes acknowledged", count());
        std::thread::sleep(Duration::from_millis(1));
    }
    a.signal("-KILL");
    let at_kill = count();
    let killed = Instant::now();
    for w in workers {
        rt.block_on(async { tokio::time::timeout(LIMIT, w).await })
            .expect("the writes end in time")
            .expect("writer task");
    }
    let failover_done = killed.elapsed();
    let acked = acked.lock().unwrap().clone();
    let failed = failed.lock().unwrap().clone();
    let state = mp.state();
    println!(
        "acknowledged {} writes ({at_kill} when A was killed), {} failed, {} sent again; \
         paths: {:?}; writes after the kill took {failover_done:?}",
        acked.len(),
        failed.len(),
        state.retries(),
        state.paths()
    );
    assert!(failed.is_empty(), "writes failed: {failed:?}");
    assert_eq!(acked.len(), WRITES);
    assert!(at_kill < WRITES, "A was killed after the last write");
    assert!(state.retries() >= 1, "no write was in flight on A");
    assert!(
        matches!(state.paths()[0].health, PathHealth::Down(_)),
        "{:?}",
        state.paths()[0]
    );
    assert!(state.paths()[0].answered >= KILL_AFTER as u64);
    assert!(state.paths()[1].answered > 0, "nothing went through B");
    assert!(
        state
            .groups()
            .iter()
            .any(|g| g.id == 2 && g.state == tpg::ALUA_ACTIVE_OPTIMIZED),
        "B's group was activated: {:?}",
        state.groups()
    );

    // Every acknowledged write reads back through B, by another session.
    let check = rt
        .block_on(Session::login(
            &b.addr.to_string(),
            client_config("checker"),
        ))
        .expect("checker login");
    let lost = rt.block_on(lost_writes(&check, &acked));
    assert!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
    // The check catches a lost write: write 0's blocks, overwritten.
    rt.block_on(check.write(lun, 0, Bytes::from(vec![0; BLOCKS as usize * 512])))
        .expect("overwrite");
    assert_eq!(rt.block_on(lost_writes(&check, &acked)), vec![0]);
    rt.block_on(check.logout()).expect("logout");

    // Failback: A comes back on its address as it was configured
    // (active/optimized, preferred); once the client probes the lost path,
    // I/O goes through A again.
    let a_back = config(&file, &portals[0], 1, "active/optimized", "standby");
    let a2 = start(&dir.path().join("a2"), &a_back);
    assert_eq!(rt.block_on(mp.probe()), 1, "{:?}", mp.state().paths());
    let answered = || -> Vec<u64> { mp.state().paths().iter().map(|p| p.answered).collect() };
    let before = answered();
    for i in 0..8 {
        rt.block_on(mp.write(i as u64 * BLOCKS, pattern(i)))
            .expect("write after failback");
    }
    let after = answered();
    assert_eq!(
        (after[0] - before[0], after[1] - before[1]),
        (8, 0),
        "writes after failback go through A"
    );

    // With both nodes gone, the client says no path is usable.
    a2.signal("-KILL");
    b.signal("-KILL");
    let e = rt
        .block_on(mp.write(0, pattern(0)))
        .expect_err("no path is left");
    assert!(matches!(e, ClientError::NoUsablePath(_)), "{e}");
    let text = e.to_string();
    assert!(
        text.starts_with("no usable path to the logical unit: "),
        "{text}"
    );
    assert!(text.contains(&format!("{} is down", portals[0])), "{text}");
    assert!(text.contains(&format!("{} is down", portals[1])), "{text}");
    let _ = b.stop();
    println!("test took {:?}", started.elapsed());
}

/// Implicit ALUA (`access = "implicit"`): the operator swaps the states
/// with `rtgtadm --reload` on each node. With both groups standby for a
/// while the client fails with "no usable path" naming both groups as
/// standby and saying the target takes no SET TARGET PORT GROUPS; once B's
/// group is active/optimized, writes go through B. The first write after
/// the swap meets ASYMMETRIC ACCESS STATE CHANGED on A and is sent again.
/// Each group's state is read through its own node: A, reloaded first,
/// already claims B's group is active/optimized while B still says standby.
#[test]
fn implicit_switch_by_reload_moves_the_writes() {
    let (dir, file) = lu_file(1 << 20);
    let node = |me: u16, state: &str, peer_state: &str| {
        let address = ["127.0.0.1:0", "127.0.0.2:0"][usize::from(me) - 1];
        config_with(&file, address, me, state, peer_state, "implicit")
    };
    let (mut a, a_sock, a_config) = start_node(
        &dir.path().join("a"),
        &node(1, "active/optimized", "standby"),
    );
    let (mut b, b_sock, b_config) = start_node(
        &dir.path().join("b"),
        &node(2, "standby", "active/optimized"),
    );
    let reload = |sock: &Path, config: &Path, me: u16, state: &str, peer_state: &str| {
        // The address stays what the daemon listens on: reload does not
        // change portals.
        let text = node(me, state, peer_state);
        std::fs::write(config, text).expect("config");
        let out = rtgtadm_argv(sock, &["-C", CONTROL_PORT, "--reload"]);
        assert!(out.status.success(), "{out:?}");
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let portals = vec![a.addr.to_string(), b.addr.to_string()];
    let mp = rt
        .block_on(MultipathSession::login(
            &portals,
            client_config("mpath"),
            Lun::single_level(0),
        ))
        .expect("multipath login");
    let answered = || -> Vec<u64> { mp.state().paths().iter().map(|p| p.answered).collect() };
    for i in 0..16 {
        rt.block_on(mp.write(i as u64 * BLOCKS, pattern(i)))
            .expect("write through A");
    }
    assert_eq!(answered(), vec![16, 0]);

    // A to standby first (claiming B active/optimized): no usable path.
    reload(&a_sock, &a_config, 1, "standby", "active/optimized");
    let e = rt
        .block_on(mp.write(16 * BLOCKS, pattern(16)))
        .expect_err("both groups are standby");
    let text = e.to_string();
    for (portal, group) in portals.iter().zip([1, 2]) {
        let want = format!(
            "{portal} is standby (target port group {group}; the target does not take SET \
             TARGET PORT GROUPS (implicit ALUA only))"
        );
        assert!(text.contains(&want), "{text}");
    }
    // B to active/optimized: the writes go through B.
    reload(&b_sock, &b_config, 2, "active/optimized", "standby");
    for i in 16..32 {
        rt.block_on(mp.write(i as u64 * BLOCKS, pattern(i)))
            .expect("write through B");
    }
    assert_eq!(answered(), vec![16, 16]);
    assert!(mp.state().retries() >= 1, "the unit attention was not met");
    for i in 0..32 {
        let got = rt
            .block_on(mp.read(i as u64 * BLOCKS, BLOCKS as u32))
            .expect("read through B");
        assert!(got == pattern(i), "write {i} reads back otherwise");
    }
    rt.block_on(mp.logout()).expect("logout");
    assert!(a.stop().success());
    assert!(b.stop().success());
}

/// `rtgt-iscsi verify --multipath` with A down from the start: the login
/// to A is refused, B's standby group is activated, the pattern is
/// written and read back through B; with B down too, it fails with "no
/// usable path". `cargo xtask ci` builds rtgt-iscsi and names it in
/// RTGT_ISCSI.
#[cfg(feature = "real-peers")]
#[test]
fn rtgt_iscsi_multipath_uses_the_standby_node_when_the_active_one_is_down() {
    let (dir, file) = lu_file(8 << 20);
    let a_text = config(&file, "127.0.0.1:0", 1, "active/optimized", "standby");
    let b_text = config(&file, "127.0.0.2:0", 2, "standby", "active/optimized");
    let mut a = start(&dir.path().join("a"), &a_text);
    let mut b = start(&dir.path().join("b"), &b_text);
    let (pa, pb) = (a.addr.to_string(), b.addr.to_string());
    assert!(a.stop().success());
    let args = |cmd: &'static str| {
        vec![
            cmd,
            "--multipath",
            "--portal",
            pa.as_str(),
            "--portal",
            pb.as_str(),
            "--target",
            IQN,
            "--lun",
            "0",
        ]
    };
    let mut verify = args("verify");
    verify.extend(["--blocks", "1024"]);
    let limit = Duration::from_secs(60);
    let (ok, out) = common::run(&common::rtgt_iscsi(), &verify, limit);
    assert!(ok, "{out}");
    assert!(out.contains("verified 1024 blocks"), "{out}");
    assert!(
        out.contains(&format!("path {pa}: down (login failed")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "path {pb}: up, target port group 2 active/optimized, 16 commands answered"
        )),
        "{out}"
    );
    assert!(b.stop().success());
    let (ok, out) = common::run(&common::rtgt_iscsi(), &args("readcap"), limit);
    assert!(!ok, "{out}");
    assert!(
        out.contains("no usable path to the logical unit: "),
        "{out}"
    );
}
