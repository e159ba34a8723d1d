//! Asymmetric logical unit access through the core: the portal group's
//! relative target port names the nexus's group, every target (also one
//! added later) gets the groups, and `set_alua` raises ASYMMETRIC ACCESS
//! STATE CHANGED on the sessions.

use super::harness::*;
use rtgt_proto::pdu::ScsiStatus;
use rtgt_proto::scsi::params::TargetPortGroups;
use rtgt_proto::scsi::sense::Sense;
use rtgt_scsi::alua::{AccessState, AccessType, Alua, PortGroup};

fn groups(port: u16, state: AccessState) -> Alua {
    let group = |id: u16, state, local| PortGroup {
        id,
        state,
        preferred: false,
        ports: vec![id],
        local,
    };
    Alua {
        access: AccessType::Implicit,
        groups: vec![
            group(port, state, true),
            group(3 - port, AccessState::ActiveOptimized, false),
        ],
    }
}

const RTPG: [u8; 12] = [0xa3, 0x0a, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0];

/// The status and sense (ASC, ASCQ) of a command without data.
fn status(
    rig: &mut Rig,
    c: crate::ConnId,
    cdb: &[u8],
    edtl: u32,
) -> (ScsiStatus, Option<(u8, u8)>) {
    let cmd = rig.command(cdb, edtl, edtl > 0, false);
    rig.send(c, cmd);
    let pdus = rig.recv_all(c);
    for p in &pdus {
        match p {
            // RFC 7143 §11.7.4: GOOD may come in the last Data-In.
            rtgt_proto::pdu::Pdu::DataIn(d) if d.status_present => return (d.status, None),
            rtgt_proto::pdu::Pdu::ScsiResponse(r) => {
                let sense = r
                    .sense_data()
                    .and_then(|s| Sense::decode(s).ok())
                    .map(|s| (s.value.asc.asc, s.value.asc.ascq));
                return (r.status, sense);
            }
            _ => {}
        }
    }
    panic!("no status in {pdus:?}")
}

#[test]
fn the_portal_groups_port_and_groups_reach_every_target() {
    let mut cfg = config();
    cfg.relative_target_port = 2;
    cfg.alua = groups(2, AccessState::Standby);
    let mut rig = Rig::with(cfg);
    let c = rig.connect(1);
    rig.login(c, &[]);
    rig.clear_ua(c);
    // Port 2 is in group 2, standby: READ is refused, 04h/0Bh.
    let read = [0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0];
    assert_eq!(
        status(&mut rig, c, &read, 512),
        (ScsiStatus::CheckCondition, Some((0x04, 0x0b)))
    );
    // A target added later gets the groups too.
    let id = rig
        .core
        .add_target(target("iqn.2024-01.org.rtgt:t9", 9))
        .unwrap();
    let lu = rig.core.target(id).unwrap().luns.disk(0).unwrap();
    assert_eq!(lu.alua(), &groups(2, AccessState::Standby));

    // Active again: the session learns of it once, then READ works.
    assert!(rig.core.set_alua(groups(2, AccessState::ActiveOptimized)));
    assert!(!rig.core.set_alua(groups(2, AccessState::ActiveOptimized)));
    assert_eq!(
        status(&mut rig, c, &read, 512),
        (ScsiStatus::CheckCondition, Some((0x2a, 0x06)))
    );
    assert_eq!(status(&mut rig, c, &read, 512).0, ScsiStatus::Good);
    let cmd = rig.command(&RTPG, 256, true, false);
    rig.send(c, cmd);
    let data: Vec<u8> = rig
        .recv_all(c)
        .iter()
        .filter_map(|p| match p {
            rtgt_proto::pdu::Pdu::DataIn(d) => Some(d.data.to_vec()),
            _ => None,
        })
        .flatten()
        .collect();
    let g = TargetPortGroups::decode(&data, false).unwrap().value;
    let seen: Vec<_> = g
        .groups
        .iter()
        .map(|g| (g.group, g.asymmetric_access_state, g.ports.clone()))
        .collect();
    assert_eq!(seen, vec![(1, 0, vec![1]), (2, 0, vec![2])]);
}
