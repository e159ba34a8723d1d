//! Asymmetric logical unit access across two rtgtd processes serving one
//! LU file: node A (target port group 1, relative port 1) active/optimized,
//! node B (group 2, port 2) standby, each declaring the other's group.
//! REPORT TARGET PORT GROUPS through either lists both groups with their
//! states; READ through B is refused with NOT READY, 04h/0Bh, while INQUIRY
//! and REPORT TARGET PORT GROUPS answer GOOD; swapping the states with
//! `rtgtadm --reload` and SIGHUP raises ASYMMETRIC ACCESS STATE CHANGED
//! (2Ah/06h) on both nodes' sessions, and then READ works through B only.
//! With access "both" on A, SET TARGET PORT GROUPS changes A's group and
//! is refused for B's.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::tgt::{rtgtadm_argv, start_rtgtd_with, CONTROL_PORT};
use common::Rtgtd;
use rtgt_initiator::client::{ClientConfig, Session};
use rtgt_initiator::core::{ScsiRequest, ScsiResult};
use rtgt_initiator::InitiatorConfig;
use rtgt_proto::pdu::{Lun, ScsiStatus};
use rtgt_proto::scsi::asc::{AscAscq, SenseKey};
use rtgt_proto::scsi::params::TargetPortGroups;

const IQN: &str = "iqn.2024-01.org.rtgt:alua";
const STANDBY: AscAscq = AscAscq::new(0x04, 0x0b);
const CHANGED: AscAscq = AscAscq::new(0x2a, 0x06);

/// Node `me` (group and relative port `me`) in `state`, the other node's
/// group in `peer_state`, serving `file` as LUN 0, implicit access only.
fn config(file: &Path, me: u16, state: &str, peer_state: &str) -> String {
    config_with(file, me, state, peer_state, "implicit")
}

/// [`config`] with the access type `access`.
fn config_with(file: &Path, me: u16, state: &str, peer_state: &str, access: &str) -> String {
    let peer = 3 - me;
    format!(
        "portals = [\"127.0.0.1:0\"]\ntpgt = {me}\n\
         [nop]\ninterval_secs = 0\n\
         [alua]\naccess = \"{access}\"\ngroup = {me}\nstate = \"{state}\"\nrelative_port = {me}\npreferred = {pref}\n\
         [[alua.peer]]\ngroup = {peer}\nstate = \"{peer_state}\"\nports = [{peer}]\npreferred = {ppref}\n\
         [[target]]\niqn = \"{IQN}\"\n\
         [[target.lun]]\nlun = 0\nbackstore = \"file\"\npath = \"{}\"\nserial = \"alua-lu-0\"\n",
        file.display(),
        pref = me == 1,
        ppref = peer == 1,
    )
}

struct Node {
    daemon: Rtgtd,
    sock: std::path::PathBuf,
    config: std::path::PathBuf,
    session: Session,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime")
}

fn start(rt: &tokio::runtime::Runtime, dir: &Path, text: &str, host: &str) -> Node {
    std::fs::create_dir_all(dir).expect("folder");
    let config = dir.join("rtgt.toml");
    std::fs::write(&config, text).expect("config");
    let (daemon, sock) = start_rtgtd_with(dir, &config);
    let cfg = InitiatorConfig::normal(&format!("iqn.2024-01.org.rtgt:{host}"), IQN);
    let session = rt
        .block_on(Session::login(
            &daemon.addr.to_string(),
            ClientConfig::new(cfg),
        ))
        .expect("login");
    Node {
        daemon,
        sock,
        config,
        session,
    }
}

fn run(rt: &tokio::runtime::Runtime, s: &Session, req: ScsiRequest) -> ScsiResult {
    rt.block_on(s.scsi_command(req)).expect("command completes")
}

fn lun0() -> Lun {
    Lun::single_level(0)
}

/// A group as REPORT TARGET PORT GROUPS gives it: id, state, PREF, ports.
type Group = (u16, u8, bool, Vec<u16>);

fn rtpg(rt: &tokio::runtime::Runtime, s: &Session) -> (ScsiResult, Vec<Group>) {
    let cdb = [0xa3, 0x0a, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0];
    let r = run(rt, s, ScsiRequest::read(lun0(), &cdb, 256));
    let groups = if r.status == ScsiStatus::Good {
        TargetPortGroups::decode(&r.data, false)
            .expect("RTPG data decodes")
            .value
            .groups
            .into_iter()
            .map(|g| (g.group, g.asymmetric_access_state, g.pref, g.ports))
            .collect()
    } else {
        Vec::new()
    };
    (r, groups)
}

fn read(rt: &tokio::runtime::Runtime, s: &Session) -> ScsiResult {
    run(
        rt,
        s,
        ScsiRequest::read(lun0(), &[0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0], 512),
    )
}

fn inquiry(rt: &tokio::runtime::Runtime, s: &Session) -> ScsiResult {
    run(
        rt,
        s,
        ScsiRequest::read(lun0(), &[0x12, 0, 0, 0, 96, 0], 96),
    )
}

fn check(r: &ScsiResult, key: SenseKey, asc: AscAscq, what: &str) {
    let s = r.sense.as_ref().map(|s| (s.key, s.asc));
    assert_eq!(
        (r.status, s),
        (ScsiStatus::CheckCondition, Some((key, asc))),
        "{what}"
    );
}

/// Takes the power-on unit attention with TEST UNIT READY.
fn settle(rt: &tokio::runtime::Runtime, s: &Session) {
    let r = run(rt, s, ScsiRequest::none(lun0(), &[0; 6]));
    check(
        &r,
        SenseKey::UNIT_ATTENTION,
        AscAscq::POWER_ON_RESET,
        "power on",
    );
}

#[test]
fn two_nodes_report_and_enforce_their_groups() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = dir.path().join("lu.img");
    std::fs::File::create(&file)
        .and_then(|f| f.set_len(8 << 20))
        .expect("LU file");
    let rt = runtime();
    let a_text = config(&file, 1, "active/optimized", "standby");
    let b_text = config(&file, 2, "standby", "active/optimized");
    let mut a = start(&rt, &dir.path().join("a"), &a_text, "host-a");
    let mut b = start(&rt, &dir.path().join("b"), &b_text, "host-b");
    settle(&rt, &a.session);
    settle(&rt, &b.session);

    // Both nodes give the whole picture, whatever the path.
    let want = vec![(1, 0, true, vec![1]), (2, 2, false, vec![2])];
    for (name, n) in [("A", &a), ("B", &b)] {
        let (r, groups) = rtpg(&rt, &n.session);
        assert_eq!(r.status, ScsiStatus::Good, "RTPG through {name}");
        assert_eq!(groups, want, "RTPG through {name}");
        let inq = inquiry(&rt, &n.session);
        assert_eq!(inq.status, ScsiStatus::Good, "INQUIRY through {name}");
        // TPGS 01b: implicit access.
        assert_eq!((inq.data[5] >> 4) & 3, 1, "TPGS through {name}");
    }
    // A reads; B is in standby.
    let data = Bytes::from(vec![0x5a; 512]);
    let w = run(
        &rt,
        &a.session,
        ScsiRequest::write(lun0(), &[0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0], data.clone()),
    );
    assert_eq!(w.status, ScsiStatus::Good, "WRITE through A");
    assert_eq!(read(&rt, &a.session).data, data, "READ through A");
    check(
        &read(&rt, &b.session),
        SenseKey::NOT_READY,
        STANDBY,
        "READ through B",
    );
    let tur = run(&rt, &b.session, ScsiRequest::none(lun0(), &[0; 6]));
    check(
        &tur,
        SenseKey::NOT_READY,
        STANDBY,
        "TEST UNIT READY through B",
    );

    // Swap: A standby by `rtgtadm --reload`, B active/optimized by SIGHUP.
    std::fs::write(&a.config, config(&file, 1, "standby", "active/optimized")).expect("config");
    let out = rtgtadm_argv(&a.sock, &["-C", CONTROL_PORT, "--reload"]);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{out:?}");
    assert!(said.contains("target port groups set"), "{said}");
    std::fs::write(&b.config, config(&file, 2, "active/optimized", "standby")).expect("config");
    b.daemon.signal("-HUP");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !b.daemon.log_text().contains("SIGHUP: reload done") {
        assert!(
            Instant::now() < deadline,
            "no reload:\n{}",
            b.daemon.log_text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    // Each session learns of the change once: INQUIRY and RTPG do not take
    // the unit attention (SAM-5 §5.14), READ does.
    let want = vec![(1, 2, true, vec![1]), (2, 0, false, vec![2])];
    for (name, n) in [("A", &a), ("B", &b)] {
        assert_eq!(
            inquiry(&rt, &n.session).status,
            ScsiStatus::Good,
            "INQUIRY through {name}"
        );
        let (r, _) = rtpg(&rt, &n.session);
        check(
            &r,
            SenseKey::UNIT_ATTENTION,
            CHANGED,
            &format!("RTPG through {name}"),
        );
        let (r, groups) = rtpg(&rt, &n.session);
        assert_eq!(r.status, ScsiStatus::Good, "RTPG through {name}");
        assert_eq!(groups, want, "RTPG through {name} after the swap");
    }
    check(
        &read(&rt, &a.session),
        SenseKey::NOT_READY,
        STANDBY,
        "READ through A",
    );
    let r = read(&rt, &b.session);
    assert_eq!(
        (r.status, r.data),
        (ScsiStatus::Good, data),
        "READ through B after the swap"
    );

    // Explicit access on A: SET TARGET PORT GROUPS changes A's own group
    // and is refused for B's, which A does not serve.
    let text = config_with(&file, 1, "standby", "active/optimized", "both");
    std::fs::write(&a.config, text).expect("config");
    let out = rtgtadm_argv(&a.sock, &["-C", CONTROL_PORT, "--reload"]);
    assert!(out.status.success(), "{out:?}");
    let inq = inquiry(&rt, &a.session);
    assert_eq!((inq.data[5] >> 4) & 3, 3, "TPGS through A with access both");
    let stpg = |state: u8, group: u8| {
        let cdb = [0xa4, 0x0a, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0];
        let data = Bytes::from(vec![0, 0, 0, 0, state, 0, 0, group]);
        run(&rt, &a.session, ScsiRequest::write(lun0(), &cdb, data))
    };
    let r = stpg(1, 2);
    check(
        &r,
        SenseKey::ILLEGAL_REQUEST,
        AscAscq::INVALID_FIELD_IN_PARAMETER_LIST,
        "STPG of B's group through A",
    );
    assert_eq!(
        stpg(1, 1).status,
        ScsiStatus::Good,
        "STPG of A's group through A"
    );
    let (_, groups) = rtpg(&rt, &a.session);
    assert_eq!(groups[0], (1, 1, true, vec![1]), "A's group after STPG");
    assert_eq!(
        read(&rt, &a.session).status,
        ScsiStatus::Good,
        "READ through A after STPG"
    );

    rt.block_on(a.session.logout()).expect("logout");
    rt.block_on(b.session.logout()).expect("logout");
    assert!(a.daemon.stop().success());
    assert!(b.daemon.stop().success());
}
