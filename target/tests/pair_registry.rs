//! Runtime changes of the target core's registry over the pair: targets
//! and LUNs added and removed, accounts and ACLs replaced while sessions
//! run (SPC-5 §6.33 REPORTED LUNS DATA HAS CHANGED, RFC 7143 §11.13.5).

mod pair;

use pair::*;
use rtgt_initiator::{
    ChapConfig, Event as IEvent, InitiatorConfig, ScsiRequest, SendTargets, TaskHandle,
};
use rtgt_proto::pdu::{Lun, ScsiStatus, TmfFunction, TmfResponseCode};
use rtgt_proto::scsi::asc::AscAscq;
use rtgt_proto::scsi::cdb::ReportLuns;
use rtgt_proto::scsi::params::ReportLuns as LunList;
use rtgt_scsi::{BlockSize, Disk, DiskConfig, RamBackstore};
use rtgt_target::{AuthConfig, ChapAccount, Cidr, RegistryError, TargetId};

const T1: TargetId = TargetId(1);

fn disk(id: u64) -> Disk {
    Disk::new(DiskConfig::new(
        id,
        &format!("SN{id:04}"),
        BlockSize::B512,
        BLOCKS,
    ))
    .expect("disk config")
}

/// Adds LUN `lun` to target `t` with a RAM store behind it.
fn add_lun(p: &mut Pair, t: TargetId, lun: u16, id: u64) {
    p.target.add_lun(t, lun, disk(id)).expect("add lun");
    p.stores
        .insert((t, lun), RamBackstore::new(BLOCKS * BS as u64));
}

fn tur(lun: u16) -> ScsiRequest {
    ScsiRequest::none(Lun::single_level(lun), &[0u8; 6])
}

fn report_luns(p: &mut Pair, l: usize) -> Vec<u16> {
    let cdb = ReportLuns {
        allocation_length: 4096,
        ..ReportLuns::default()
    }
    .encode();
    let r = p.exec_good(l, ScsiRequest::read(Lun::single_level(0), &cdb, 4096));
    let list = LunList::decode(&r.data).expect("report luns data").value;
    list.luns.iter().filter_map(|l| l.index()).collect()
}

fn asc_of(r: &rtgt_initiator::ScsiResult) -> Option<AscAscq> {
    (r.status == ScsiStatus::CheckCondition)
        .then(|| r.sense.as_ref().map(|s| s.asc))
        .flatten()
}

fn discover(p: &mut Pair) -> Vec<String> {
    let l = p.login(InitiatorConfig::discovery(INITIATOR));
    let now = p.now();
    let t = p.ini_mut(l).send_targets(now, SendTargets::All).unwrap();
    p.run();
    p.events(l)
        .iter()
        .find_map(|e| match e {
            IEvent::Discovery { task, targets } if *task == t => {
                Some(targets.iter().map(|d| d.name.clone()).collect())
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no discovery answer: {:#?}", p.events(l)))
}

fn ready(p: &mut Pair, cfg: InitiatorConfig) -> usize {
    let l = p.login(cfg);
    p.clear_ua(l);
    l
}

/// Sessions from [`INITIATOR`] and [`INITIATOR2`] to [`TARGET`], past
/// their first unit attention.
fn two_sessions(p: &mut Pair) -> (usize, usize) {
    let a = ready(p, normal());
    (a, ready(p, InitiatorConfig::normal(INITIATOR2, TARGET)))
}

#[test]
fn a_target_added_is_discovered_and_accepts_a_login() {
    let mut p = Pair::new(one_target());
    let id = p.target.add_target(target(TARGET2, 2)).unwrap();
    assert_eq!(id, TargetId(2));
    p.stores
        .insert((id, 0), RamBackstore::new(BLOCKS * BS as u64));
    assert_eq!(discover(&mut p), [TARGET, TARGET2]);
    let l = ready(&mut p, InitiatorConfig::normal(INITIATOR, TARGET2));
    p.write(l, 0, &pattern(BS, 7));
    assert_eq!(p.read(l, 0, 1), pattern(BS, 7));
    assert_eq!(
        p.target.add_target(target(TARGET2, 3)),
        Err(RegistryError::DuplicateName(TARGET2.into()))
    );
    p.assert_clean();
}

#[test]
fn a_target_with_a_session_is_removed_only_with_force() {
    let mut p = Pair::new(two_targets());
    let l = ready(&mut p, normal());
    let now = p.now();
    let err = p.target.remove_target(T1, false, now).unwrap_err();
    assert_eq!(
        err,
        RegistryError::TargetBusy {
            id: T1,
            sessions: 1
        }
    );
    assert!(err.to_string().contains("force"), "{err}");
    p.clear_ua(l);
    assert_eq!(p.target.session_count(), 1);
    let removed = p.target.remove_target(T1, true, now).unwrap();
    assert_eq!(removed.name, TARGET);
    p.run();
    assert_eq!(p.target.session_count(), 0);
    assert!(p.link_closed(l));
    // The id is gone for good; the next target gets a new one.
    assert_eq!(
        p.target.remove_target(T1, true, now).unwrap_err(),
        RegistryError::NoTarget(T1)
    );
    assert_eq!(discover(&mut p), [TARGET2]);
    assert_eq!(p.target.add_target(target(TARGET, 9)).unwrap(), TargetId(3));
    let ids: Vec<TargetId> = p.target.targets().map(|(id, _)| id).collect();
    assert_eq!(ids, [TargetId(2), TargetId(3)]);
}

#[test]
fn a_lun_added_is_reported_and_the_other_session_is_told_once() {
    let mut p = Pair::new(one_target());
    let (a, b) = two_sessions(&mut p);
    // A session that has sent no command yet.
    let quiet = p.login(InitiatorConfig::normal(
        "iqn.2024-01.org.rtgt:host3",
        TARGET,
    ));
    add_lun(&mut p, T1, 1, 11);
    assert_eq!(
        p.target.add_lun(T1, 1, disk(12)).unwrap_err(),
        RegistryError::DuplicateLun { target: T1, lun: 1 }
    );
    // SPC-5 §6.33: REPORT LUNS lists it, and clears the condition for a.
    assert_eq!(report_luns(&mut p, a), [0, 1]);
    p.exec_good(a, tur(0));
    // b is told once, then the LUN answers.
    let r = p.exec(b, tur(0));
    assert_eq!(
        asc_of(&r),
        Some(AscAscq::REPORTED_LUNS_DATA_HAS_CHANGED),
        "{r:#?}"
    );
    p.exec_good(b, tur(0));
    // The new LUN's first command per nexus reports its power on.
    assert_eq!(asc_of(&p.exec(b, tur(1))), Some(AscAscq::POWER_ON_RESET));
    p.exec_good(b, tur(1));
    // SAM-5 §5.14: its first command reports the power on, which comes
    // first; the change follows, once.
    assert_eq!(
        asc_of(&p.exec(quiet, tur(0))),
        Some(AscAscq::POWER_ON_RESET)
    );
    let r = p.exec(quiet, tur(0));
    assert_eq!(asc_of(&r), Some(AscAscq::REPORTED_LUNS_DATA_HAS_CHANGED));
    p.exec_good(quiet, tur(0));
    p.assert_clean();
}

#[test]
fn a_lun_removed_is_gone_and_the_other_session_is_told_once() {
    let mut p = Pair::new(one_target());
    add_lun(&mut p, T1, 1, 11);
    let (a, b) = two_sessions(&mut p);
    let now = p.now();
    p.target.remove_lun(T1, 1, false, now).unwrap();
    assert_eq!(
        p.target.remove_lun(T1, 1, false, now).unwrap_err(),
        RegistryError::NoLun { target: T1, lun: 1 }
    );
    assert_eq!(report_luns(&mut p, a), [0]);
    // SAM-5, incorrect logical unit selection: a LUN without a logical
    // unit answers LOGICAL UNIT NOT SUPPORTED.
    let r = p.exec(a, tur(1));
    assert_eq!(asc_of(&r), Some(AscAscq::LOGICAL_UNIT_NOT_SUPPORTED));
    let r = p.exec(b, tur(0));
    assert_eq!(asc_of(&r), Some(AscAscq::REPORTED_LUNS_DATA_HAS_CHANGED));
    p.exec_good(b, tur(0));
    p.assert_clean();
}

/// A READ on LUN 1 of one session whose backstore request is held; gives
/// the pair, the link and the read.
fn slow_read_on_lun_1() -> (Pair, usize, TaskHandle) {
    let mut p = Pair::new(one_target());
    add_lun(&mut p, T1, 1, 11);
    let l = ready(&mut p, normal());
    let _ = p.exec(l, tur(1));
    p.hold_io = true;
    let slow = p.submit(l, read_on_lun_1());
    p.run();
    assert_eq!(p.held_io.len(), 1);
    (p, l, slow)
}

fn read_on_lun_1() -> ScsiRequest {
    let mut req = read_req(0, 8);
    req.lun = Lun::single_level(1);
    req
}

#[test]
fn a_lun_with_commands_in_flight_is_removed_only_with_force() {
    let (mut p, l, slow) = slow_read_on_lun_1();
    let now = p.now();
    let err = p.target.remove_lun(T1, 1, false, now).unwrap_err();
    assert_eq!(
        err,
        RegistryError::LunBusy {
            target: T1,
            lun: 1,
            tasks: 1
        }
    );
    p.target.remove_lun(T1, 1, true, now).unwrap();
    // A new disk at the same number: the old request's completion must not
    // reach it.
    add_lun(&mut p, T1, 1, 12);
    assert_eq!(asc_of(&p.exec(l, tur(1))), Some(AscAscq::POWER_ON_RESET));
    let fresh = p.submit(l, read_on_lun_1());
    p.run();
    assert_eq!(p.held_io.len(), 2);
    assert_eq!(p.held_io[0].0.id, p.held_io[1].0.id, "the disks reuse ids");
    p.release_some(1);
    assert_eq!(p.outcome(l, slow), None, "an aborted task gets no response");
    assert_eq!(p.outcome(l, fresh), None, "the old completion was dropped");
    p.release_io();
    assert_eq!(p.result(l, fresh).status, ScsiStatus::Good);
    // The session goes on (its window slot was given back), told of the
    // changes once.
    let r = p.exec(l, tur(0));
    assert_eq!(asc_of(&r), Some(AscAscq::REPORTED_LUNS_DATA_HAS_CHANGED));
    p.exec_good(l, tur(0));
    assert_eq!(report_luns(&mut p, l), [0, 1]);
}

#[test]
fn accounts_changed_apply_to_the_next_login() {
    let mut p = Pair::new(one_target());
    let open = ready(&mut p, normal());
    let auth = |secret: &[u8]| AuthConfig {
        incoming: vec![ChapAccount::new("user", secret)],
        ..AuthConfig::default()
    };
    p.target
        .set_target_auth(T1, auth(b"old-secret-1234"))
        .unwrap();
    let chap = |secret: &[u8]| normal().with_chap(ChapConfig::one_way("user", secret));
    ready(&mut p, chap(b"old-secret-1234"));
    p.target
        .set_target_auth(T1, auth(b"new-secret-5678"))
        .unwrap();
    let old = p.start_login(chap(b"old-secret-1234"));
    assert!(p.login_error_opt(old).is_some(), "{:#?}", p.events(old));
    ready(&mut p, chap(b"new-secret-5678"));
    // The session from before the change runs on.
    p.exec_good(open, tur(0));
    assert_eq!(
        p.target
            .set_target_auth(TargetId(7), AuthConfig::default())
            .unwrap_err(),
        RegistryError::NoTarget(TargetId(7))
    );
}

#[test]
fn discovery_accounts_changed_apply_to_the_next_login() {
    let mut p = Pair::new(one_target());
    p.target.set_discovery_auth(AuthConfig {
        incoming: vec![ChapAccount::new("d", b"discovery-secret")],
        ..AuthConfig::default()
    });
    let l = p.start_login(InitiatorConfig::discovery(INITIATOR));
    assert!(p.login_error_opt(l).is_some());
    let cfg = InitiatorConfig::discovery(INITIATOR)
        .with_chap(ChapConfig::one_way("d", b"discovery-secret"));
    p.login(cfg);
}

#[test]
fn an_acl_changed_applies_to_the_next_login_and_to_discovery() {
    let mut p = Pair::new(one_target());
    let open = ready(&mut p, normal());
    p.target
        .set_target_acl(T1, vec![INITIATOR2.into()], Vec::new())
        .unwrap();
    let refused = p.start_login(normal());
    assert!(p.login_error_opt(refused).is_some());
    assert!(discover(&mut p).is_empty());
    ready(&mut p, InitiatorConfig::normal(INITIATOR2, TARGET));
    p.exec_good(open, tur(0));
    // By network: the pair's initiators come from 192.0.2.10.
    let far = Cidr::parse("10.0.0.0/8").unwrap();
    p.target.set_target_acl(T1, Vec::new(), vec![far]).unwrap();
    let refused = p.start_login(normal());
    assert!(p.login_error_opt(refused).is_some());
    let near = Cidr::parse("192.0.2.0/24").unwrap();
    p.target.set_target_acl(T1, Vec::new(), vec![near]).unwrap();
    p.login(normal());
}

#[test]
fn a_reset_waiting_for_a_removed_lun_answers() {
    let (mut p, l, _) = slow_read_on_lun_1();
    let now = p.now();
    let reset = p
        .ini_mut(l)
        .task_management(
            now,
            TmfFunction::LogicalUnitReset,
            Lun::single_level(1),
            None,
        )
        .expect("tmf");
    p.run();
    let answer = |p: &Pair| {
        p.events(l).iter().find_map(|e| match e {
            IEvent::TmfComplete { task, response, .. } if *task == reset => Some(*response),
            _ => None,
        })
    };
    // RFC 7143 §4.2.3.3: the response waits for the affected task.
    assert_eq!(answer(&p), None);
    p.target.remove_lun(T1, 1, true, now).unwrap();
    p.run();
    assert_eq!(answer(&p), Some(TmfResponseCode::FunctionComplete));
    p.release_io();
    p.exec(l, tur(0));
    p.exec_good(l, tur(0));
}
