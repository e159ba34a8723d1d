//! Runtime changes of the registry seen from the wire (more over the pair
//! in `target/tests/pair_registry.rs`).

use rtgt_proto::pdu::{LoginStage, Pdu};

use super::harness::*;
use crate::{ChapAccount, CloseReason, Event, RegistryError, TargetId};

#[test]
fn a_login_in_progress_ends_with_its_target() {
    let mut cfg = config();
    cfg.targets[0].auth.incoming = vec![ChapAccount::new("user", b"secret-secret")];
    let mut rig = Rig::with(cfg);
    let c = rig.connect(1);
    let req = rig.login_req(
        LoginStage::SecurityNegotiation,
        LoginStage::LoginOperationalNegotiation,
        &[
            ("InitiatorName", INITIATOR),
            ("TargetName", TARGET),
            ("AuthMethod", "CHAP"),
        ],
    );
    rig.send(c, req);
    assert!(matches!(rig.recv(c), Pdu::LoginResponse(_)));
    // No session yet: no force needed, and the login cannot go on to fall
    // back on another target's or discovery's accounts.
    let now = rig.now;
    let t = rig.core.remove_target(TargetId(1), false, now).unwrap();
    rig.run();
    assert_eq!(t.name, TARGET);
    assert!(rig.events.iter().any(|e| matches!(
        e,
        Event::Close { conn, reason: CloseReason::TargetRemoved, .. } if *conn == c
    )));
    assert_eq!(
        rig.core.remove_target(TargetId(1), false, now).unwrap_err(),
        RegistryError::NoTarget(TargetId(1))
    );
    assert_eq!(rig.core.targets().count(), 0);
}

#[test]
fn lun_numbers_stay_within_the_flat_space() {
    let mut rig = Rig::new();
    let disk = target("iqn.x", 5).luns.remove(0).unwrap();
    // SAM-5 §4.7: 14 bits of flat space.
    assert_eq!(
        rig.core.add_lun(TargetId(1), 0x4000, disk).unwrap_err(),
        RegistryError::LunOutOfRange(0x4000)
    );
}
