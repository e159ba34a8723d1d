//! Asymmetric logical unit access: TPGS, VPD page 83h, REPORT and SET
//! TARGET PORT GROUPS, the commands each state serves, and ASYMMETRIC
//! ACCESS STATE CHANGED.

use super::*;
use crate::alua::{AccessState, AccessType, Alua, PortGroup, ACCESS_STATE_CHANGED};
use rtgt_proto::scsi::params::{StandardInquiry, TargetPortGroups};
use rtgt_proto::scsi::vpd::{Designator, Vpd, VpdPage};

/// Group 1 (this node, port 1) in `mine`, group 2 (a peer, port 2) in
/// `peer`.
fn two(access: AccessType, mine: AccessState, peer: AccessState) -> Alua {
    Alua {
        access,
        groups: vec![
            PortGroup {
                id: 2,
                state: peer,
                preferred: false,
                ports: vec![2],
                local: false,
            },
            PortGroup {
                id: 1,
                state: mine,
                preferred: true,
                ports: vec![1],
                local: true,
            },
        ],
    }
}

fn rig(alua: Alua) -> Rig {
    let mut r = Rig::new();
    r.disk.set_alua(alua);
    r.expect_ua(ACCESS_STATE_CHANGED);
    r
}

const RTPG: [u8; 12] = [0xa3, 0x0a, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0];
const READ10: [u8; 10] = [0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0];

fn rtpg(r: &mut Rig) -> TargetPortGroups {
    TargetPortGroups::decode(&r.good(&RTPG, &[], 256), false)
        .unwrap()
        .value
}

fn not_ready(r: &mut Rig, cdb: &[u8], out: &[u8], ascq: u8) {
    let rep = r.run(cdb, out, out.len().max(512) as u32);
    assert_check(&rep, SenseKey::NOT_READY, AscAscq::new(0x04, ascq));
}

#[test]
fn default_is_one_active_optimized_group_per_portal_group() {
    let mut r = Rig::new();
    let g = rtpg(&mut r);
    assert_eq!(g.groups.len(), 1);
    let g0 = &g.groups[0];
    assert_eq!(
        (g0.group, g0.asymmetric_access_state, g0.supported_states),
        (1, 0, 1)
    );
    let d = r.good(&[0x12, 0, 0, 0, 96, 0], &[], 96);
    assert_eq!(StandardInquiry::decode(&d).unwrap().value.tpgs, 1);
    // SET TARGET PORT GROUPS is not served with implicit access only.
    let rep = r.run(&[0xa4, 0x0a, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0], &[0; 8], 8);
    assert_illegal(&rep, AscAscq::new(0x20, 0x00));
}

#[test]
fn report_lists_every_group_with_its_state_ports_and_pref() {
    let mut r = rig(two(
        AccessType::Implicit,
        AccessState::ActiveOptimized,
        AccessState::Standby,
    ));
    let g = rtpg(&mut r);
    let seen: Vec<_> = g
        .groups
        .iter()
        .map(|g| (g.group, g.asymmetric_access_state, g.pref, g.ports.clone()))
        .collect();
    assert_eq!(seen, vec![(1, 0, true, vec![1]), (2, 2, false, vec![2])]);
    assert!(g.groups.iter().all(|g| g.supported_states == 0x8f));
}

#[test]
fn tpgs_follows_the_access_type_and_vpd_names_the_group() {
    for (access, tpgs) in [
        (AccessType::Implicit, 1),
        (AccessType::Explicit, 2),
        (AccessType::Both, 3),
    ] {
        let mut a = two(access, AccessState::ActiveOptimized, AccessState::Standby);
        a.groups[1].id = 7;
        let mut r = rig(a);
        let d = r.good(&[0x12, 0, 0, 0, 96, 0], &[], 96);
        assert_eq!(StandardInquiry::decode(&d).unwrap().value.tpgs, tpgs);
        let d = r.good(&[0x12, 1, 0x83, 1, 0, 0], &[], 256);
        let VpdPage::DeviceId(ids) = Vpd::decode(&d).unwrap().value.page else {
            panic!("page 83h")
        };
        let typed: Vec<_> = ids.iter().map(|i| i.typed()).collect();
        assert!(typed.contains(&Designator::TargetPortGroup(7)), "{typed:?}");
        assert!(
            typed.contains(&Designator::RelativeTargetPort(1)),
            "{typed:?}"
        );
    }
}

#[test]
fn standby_serves_only_its_list() {
    let mut r = rig(two(
        AccessType::Implicit,
        AccessState::Standby,
        AccessState::ActiveOptimized,
    ));
    // Refused: LOGICAL UNIT NOT ACCESSIBLE, TARGET PORT IN STANDBY STATE.
    not_ready(&mut r, &READ10, &[], 0x0b);
    not_ready(&mut r, &[0; 6], &[], 0x0b);
    not_ready(&mut r, &[0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0], &[0; 512], 0x0b);
    not_ready(&mut r, &[0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], &[], 0x0b);
    // Served: INQUIRY, RTPG, REQUEST SENSE, MODE SENSE, PERSISTENT
    // RESERVE IN.
    r.good(&[0x12, 0, 0, 0, 96, 0], &[], 96);
    rtpg(&mut r);
    r.good(&[0x03, 0, 0, 0, 18, 0], &[], 18);
    r.good(&[0x1a, 0, 0x3f, 0, 255, 0], &[], 255);
    r.good(&[0x5e, 0, 0, 0, 0, 0, 0, 0, 8, 0], &[], 8);
}

#[test]
fn unavailable_and_transitioning_serve_less() {
    for (state, ascq) in [
        (AccessState::Unavailable, 0x0c),
        (AccessState::Transitioning, 0x0a),
    ] {
        let mut r = rig(two(AccessType::Both, state, AccessState::ActiveOptimized));
        not_ready(&mut r, &READ10, &[], ascq);
        // MODE SENSE is a standby command only.
        not_ready(&mut r, &[0x1a, 0, 0x3f, 0, 255, 0], &[], ascq);
        not_ready(&mut r, &[0x5e, 0, 0, 0, 0, 0, 0, 0, 8, 0], &[], ascq);
        r.good(&[0x12, 0, 0, 0, 96, 0], &[], 96);
        rtpg(&mut r);
        r.good(&[0x03, 0, 0, 0, 18, 0], &[], 18);
    }
}

#[test]
fn active_non_optimized_serves_everything() {
    let mut r = rig(two(
        AccessType::Implicit,
        AccessState::ActiveNonOptimized,
        AccessState::Standby,
    ));
    r.good(&READ10, &[], 512);
    r.good(&[0; 6], &[], 0);
}

#[test]
fn a_change_of_state_raises_the_unit_attention_once() {
    let mut r = rig(two(
        AccessType::Implicit,
        AccessState::ActiveOptimized,
        AccessState::Standby,
    ));
    // The same states again: nothing to report.
    r.disk.set_alua(two(
        AccessType::Implicit,
        AccessState::ActiveOptimized,
        AccessState::Standby,
    ));
    r.good(&[0; 6], &[], 0);
    // The peer's state changes: reported, once.
    r.disk.set_alua(two(
        AccessType::Implicit,
        AccessState::ActiveOptimized,
        AccessState::Unavailable,
    ));
    r.expect_ua(ACCESS_STATE_CHANGED);
    r.good(&[0; 6], &[], 0);
    // INQUIRY does not take it (SAM-5 §5.14), a READ does, then is refused.
    r.disk.set_alua(two(
        AccessType::Implicit,
        AccessState::Standby,
        AccessState::ActiveOptimized,
    ));
    r.good(&[0x12, 0, 0, 0, 96, 0], &[], 96);
    let rep = r.run(&READ10, &[], 512);
    assert_check(&rep, SenseKey::UNIT_ATTENTION, ACCESS_STATE_CHANGED);
    not_ready(&mut r, &READ10, &[], 0x0b);
}

fn stpg(r: &mut Rig, descs: &[(u8, u16)]) -> Reply {
    let mut out = vec![0u8; 4];
    for &(state, group) in descs {
        out.extend_from_slice(&[state, 0]);
        out.extend_from_slice(&group.to_be_bytes());
    }
    let len = (out.len() as u32).to_be_bytes();
    let cdb = [0xa4, 0x0a, 0, 0, 0, 0, len[0], len[1], len[2], len[3], 0, 0];
    let n = out.len() as u32;
    r.run(&cdb, &out, n)
}

#[test]
fn set_target_port_groups_changes_local_groups_only() {
    let mut r = rig(two(
        AccessType::Explicit,
        AccessState::ActiveOptimized,
        AccessState::Standby,
    ));
    let other = nexus("init1");
    // Standby through SET TARGET PORT GROUPS: the issuer is not told.
    assert_eq!(stpg(&mut r, &[(2, 1)]).status, Status::GOOD);
    not_ready(&mut r, &READ10, &[], 0x0b);
    assert_eq!(rtpg(&mut r).groups[0].asymmetric_access_state, 2);
    // Another nexus gets ASYMMETRIC ACCESS STATE CHANGED (after its power
    // on condition).
    let mine = std::mem::replace(&mut r.nexus, other);
    r.expect_ua(AscAscq::POWER_ON_RESET);
    r.nexus = mine;
    // Back to active/optimized, served in standby.
    assert_eq!(stpg(&mut r, &[(0, 1)]).status, Status::GOOD);
    r.good(&READ10, &[], 512);
    // A peer's group, an unknown group, transitioning, offline: refused,
    // nothing changes.
    for d in [(0, 2), (0, 9), (0x0f, 1), (0x0e, 1)] {
        let rep = stpg(&mut r, &[(1, 1), d]);
        assert_illegal(&rep, AscAscq::INVALID_FIELD_IN_PARAMETER_LIST);
    }
    assert_eq!(rtpg(&mut r).groups[0].asymmetric_access_state, 0);
    // A list that is not whole descriptors.
    let cdb = [0xa4, 0x0a, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0];
    assert_illegal(
        &r.run(&cdb, &[0; 6], 6),
        AscAscq::PARAMETER_LIST_LENGTH_ERROR,
    );
    // Reserved bytes and NACA are INVALID FIELD IN CDB.
    let mut cdb = [0xa4, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    cdb[3] = 1;
    assert_field(&r.run(&cdb, &[], 0), 3, Some(0));
    cdb[3] = 0;
    cdb[11] = 0x04;
    assert_field(&r.run(&cdb, &[], 0), 11, Some(2));
    // Zero length: nothing to do.
    assert_eq!(
        r.run(&[0xa4, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], &[], 0)
            .status,
        Status::GOOD
    );
}
