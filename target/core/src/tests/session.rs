//! Logout, session and connection reinstatement, several connections per
//! session, shutdown and limits (RFC 7143 §6.3.4, §6.3.5, §11.9, §11.14).

use std::time::Duration;

use rtgt_proto::pdu::{
    AsyncEvent, LoginRequest, LoginStatus, LogoutReason, LogoutRequest, LogoutResponse,
    LogoutResponseCode, Pdu,
};

use super::harness::*;
use crate::{CloseReason, ConnId, Event};

/// Sends a Logout Request on `c` and gives the Logout Response.
fn logout(rig: &mut Rig, c: ConnId, reason: LogoutReason, cid: u16) -> LogoutResponse {
    let l = LogoutRequest {
        immediate: true,
        reason,
        itt: rig.next_itt(),
        cid,
        cmd_sn: rig.cmd_sn,
        ..LogoutRequest::default()
    };
    rig.send(c, l);
    let r = recv_as!(rig, c, LogoutResponse);
    r
}

/// A one-step login request for `target` joining session `tsih` with CID
/// `cid`.
fn join_req(rig: &Rig, target: &str, tsih: u16, cid: u16) -> LoginRequest {
    let mut req = rig.login_req(
        rtgt_proto::pdu::LoginStage::LoginOperationalNegotiation,
        rtgt_proto::pdu::LoginStage::FullFeaturePhase,
        &[("InitiatorName", INITIATOR), ("TargetName", target)],
    );
    req.tsih = tsih;
    req.cid = cid;
    req
}

fn tsih_of(rig: &Rig) -> u16 {
    rig.events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::SessionCreated { tsih, .. } => Some(*tsih),
            _ => None,
        })
        .unwrap()
}

#[test]
fn logout_close_session() {
    let (mut rig, c) = Rig::logged_in();
    let r = logout(&mut rig, c, LogoutReason::CloseSession, 0);
    assert_eq!(r.response, LogoutResponseCode::Success);
    assert_eq!((r.time2wait, r.time2retain), (2, 20));
    assert!(rig.closed(c));
    assert_eq!(rig.core.session_count(), 0);
    assert!(rig
        .events
        .iter()
        .any(|e| matches!(e, Event::SessionEnded { reason, .. } if reason == "logout")));
}

#[test]
fn logout_codes() {
    let (mut rig, c) = Rig::logged_in();
    let r = logout(&mut rig, c, LogoutReason::CloseConnection, 9);
    assert_eq!(r.response, LogoutResponseCode::CidNotFound);
    let r = logout(&mut rig, c, LogoutReason::RemoveConnectionForRecovery, 0);
    assert_eq!(r.response, LogoutResponseCode::RecoveryNotSupported);
    assert!(!rig.closed(c));
    let r = logout(&mut rig, c, LogoutReason::CloseConnection, 0);
    assert_eq!(r.response, LogoutResponseCode::Success);
    assert!(rig.closed(c));
    assert_eq!(rig.core.session_count(), 0);
}

#[test]
fn session_reinstatement_ends_the_old_session() {
    let (mut rig, c) = Rig::logged_in();
    let old = tsih_of(&rig);
    rig.clear_ua(c);
    rig.hold_io = true;
    let cmd = rig.read10(0, 1);
    rig.send(c, cmd);
    let c2 = rig.connect(2);
    rig.login(c2, &[]);
    assert_ne!(tsih_of(&rig), old);
    assert!(rig.closed(c));
    assert_eq!(rig.core.session_count(), 1);
    rig.release_io();
    // The old task ended without a status.
    assert!(rig.nothing(c));
    assert!(rig.nothing(c2));
}

#[test]
fn adding_a_connection_shares_the_window() {
    let mut rig = Rig::with_session(|s| s.max_connections = 2);
    let c1 = rig.connect(1);
    rig.login(c1, &[("MaxConnections", "2")]);
    let tsih = tsih_of(&rig);
    rig.clear_ua(c1);
    let c2 = rig.connect(2);
    let req = join_req(&rig, TARGET, tsih, 1);
    rig.send(c2, req);
    let r = recv_as!(rig, c2, LoginResponse);
    assert_eq!(r.status, LoginStatus::Success);
    assert_eq!(r.tsih, tsih);
    assert_eq!(r.exp_cmd_sn, rig.cmd_sn);
    // Commands on both connections, answered each on its own.
    let a = rig.read10(0, 1);
    let b = rig.read10(1, 1);
    // The second CmdSN arrives first: it waits for the first.
    rig.send(c2, b);
    assert!(rig.nothing(c2));
    rig.send(c1, a);
    assert!(matches!(rig.recv(c1), Pdu::DataIn(_)));
    assert!(matches!(rig.recv(c2), Pdu::DataIn(_)));
    // A third connection is over MaxConnections.
    let c3 = rig.connect(3);
    let req = join_req(&rig, TARGET, tsih, 2);
    assert_eq!(rig.login_status(c3, req), LoginStatus::TooManyConnections);
    // Closing one connection leaves the session.
    rig.core.handle_closed(c2, rig.now);
    rig.run();
    assert_eq!(rig.core.session_count(), 1);
    let a = rig.read10(0, 1);
    rig.send(c1, a);
    assert!(matches!(rig.recv(c1), Pdu::DataIn(_)));
}

#[test]
fn connection_reinstatement_replaces_the_old_connection() {
    let mut rig = Rig::new();
    let c1 = rig.connect(1);
    rig.login(c1, &[]);
    let tsih = tsih_of(&rig);
    let c2 = rig.connect(2);
    let req = join_req(&rig, TARGET, tsih, 0);
    assert_eq!(rig.login_status(c2, req), LoginStatus::Success);
    assert!(rig.events.iter().any(|e| matches!(
        e,
        Event::Close { conn, reason: CloseReason::Reinstated, .. } if *conn == c1
    )));
    assert_eq!(rig.core.session_count(), 1);
    rig.clear_ua(c2);
    let a = rig.read10(0, 1);
    rig.send(c2, a);
    assert!(matches!(rig.recv(c2), Pdu::DataIn(_)));
}

#[test]
fn tsih_of_another_target_is_0208() {
    let mut cfg = config();
    cfg.targets.push(target("iqn.2024-01.org.rtgt:t1", 2));
    let mut rig = Rig::with(cfg);
    let c1 = rig.connect(1);
    rig.login(c1, &[]);
    let tsih = tsih_of(&rig);
    let c2 = rig.connect(2);
    let req = join_req(&rig, "iqn.2024-01.org.rtgt:t1", tsih, 1);
    assert_eq!(rig.login_status(c2, req), LoginStatus::CantIncludeInSession);
}

#[test]
fn shutdown_asks_for_logout_then_closes() {
    let (mut rig, c) = Rig::logged_in();
    rig.core.shutdown(rig.now, Duration::from_secs(3));
    rig.run();
    let m = recv_as!(rig, c, AsyncMessage);
    assert_eq!(m.async_event, AsyncEvent::LogoutRequest);
    assert_eq!(m.parameter3, 3);
    let c2 = rig.connect(2);
    assert!(rig.closed(c2));
    rig.advance(Duration::from_secs(3));
    assert!(rig.closed(c));
    assert_eq!(rig.core.session_count(), 0);
}

#[test]
fn limits_cost_only_the_offending_connection() {
    let mut cfg = config();
    cfg.limits.max_connections = 2;
    cfg.limits.max_buffered_bytes = 64 * 1024;
    let mut rig = Rig::with(cfg);
    let c1 = rig.connect(1);
    rig.login(c1, &[]);
    let _c2 = rig.connect(2);
    let c3 = rig.connect(3);
    assert!(rig.events.iter().any(|e| matches!(
        e,
        Event::LimitExceeded { conn, limit: "connections", .. } if *conn == c3
    )));
    // A PDU header announcing a large data segment, sent in pieces.
    let mut cmd = rig.write10(0, 256);
    cmd.data = bytes::Bytes::from(vec![0u8; 200_000]);
    let bytes = Pdu::from(cmd).encode(Default::default());
    rig.send_bytes(c1, &bytes[..100_000]);
    assert!(rig.closed(c1));
    assert!(rig.events.iter().any(|e| matches!(
        e,
        Event::LimitExceeded {
            limit: "buffered bytes",
            ..
        }
    )));
}
