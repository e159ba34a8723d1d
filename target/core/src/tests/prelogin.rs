//! Budgets of connections still in the login phase (RFC 7143 §6.3) and the
//! deadline for their first PDU (§6.1): idle or slow peers never keep a
//! login out, and never cost a logged-in connection.

use std::net::SocketAddr;
use std::time::Duration;

use rtgt_proto::pdu::LoginStage;

use super::harness::*;
use crate::{ConnId, Event, Limits};

/// A rig with `f` applied to the default limits.
fn rig_with(f: impl FnOnce(&mut Limits)) -> Rig {
    let mut cfg = config();
    f(&mut cfg.limits);
    Rig::with(cfg)
}

/// `n` from its own address, 198.51.100.`n`.
fn connect_alone(rig: &mut Rig, n: u64) -> ConnId {
    rig.connect_from(n, peer(n as u8))
}

fn peer(host: u8) -> SocketAddr {
    SocketAddr::from(([198, 51, 100, host], 40000))
}

/// Whether `conn` was closed for `limit`.
fn dropped_for(rig: &Rig, conn: ConnId, limit: &str) -> bool {
    rig.closed(conn)
        && rig.events.iter().any(
            |e| matches!(e, Event::LimitExceeded { conn: c, limit: l, .. } if *c == conn && *l == limit),
        )
}

/// Sends a first Login Request that leaves the login in progress.
fn start_login(rig: &mut Rig, conn: ConnId) {
    let mut req = rig.login_req(
        LoginStage::LoginOperationalNegotiation,
        LoginStage::FullFeaturePhase,
        &[("InitiatorName", INITIATOR), ("TargetName", TARGET)],
    );
    req.transit = false;
    rig.send(conn, req);
    rig.recv(conn);
    assert!(!rig.closed(conn));
}

#[test]
fn a_full_prelogin_budget_drops_the_oldest_to_admit_the_new() {
    let mut rig = rig_with(|l| l.max_prelogin_connections = 3);
    let idle: Vec<ConnId> = (1..=3).map(|n| connect_alone(&mut rig, n)).collect();
    let new = connect_alone(&mut rig, 4);
    assert!(dropped_for(&rig, idle[0], "pre-login connections"));
    assert!(!rig.closed(idle[1]) && !rig.closed(idle[2]) && !rig.closed(new));
    rig.login(new, &[]);
    assert_eq!(rig.core.session_count(), 1);
    // Logged in, it left the budget: one more fits without a drop.
    let newer = connect_alone(&mut rig, 5);
    assert!(!rig.closed(idle[1]) && !rig.closed(idle[2]) && !rig.closed(newer));
    let newest = connect_alone(&mut rig, 6);
    assert!(dropped_for(&rig, idle[1], "pre-login connections"));
    assert!(!rig.closed(newest) && !rig.closed(newer) && !rig.closed(new));
}

#[test]
fn connections_that_sent_no_login_request_go_first() {
    let mut rig = rig_with(|l| l.max_prelogin_connections = 2);
    let started = connect_alone(&mut rig, 1);
    start_login(&mut rig, started);
    let idle = connect_alone(&mut rig, 2);
    let new = connect_alone(&mut rig, 3);
    assert!(dropped_for(&rig, idle, "pre-login connections"));
    assert!(!rig.closed(started) && !rig.closed(new));
}

#[test]
fn logged_in_connections_are_never_dropped_for_the_prelogin_budget() {
    let mut rig = rig_with(|l| l.max_prelogin_connections = 2);
    let c = connect_alone(&mut rig, 1);
    rig.login(c, &[]);
    let idle: Vec<ConnId> = (2..=20).map(|n| connect_alone(&mut rig, n)).collect();
    assert!(!rig.closed(c));
    assert_eq!(rig.core.connection_count(), 3);
    for old in &idle[..idle.len() - 2] {
        assert!(dropped_for(&rig, *old, "pre-login connections"));
    }
    assert!(idle[idle.len() - 2..].iter().all(|&k| !rig.closed(k)));
    // The logged-in one still works.
    rig.clear_ua(c);
}

#[test]
fn one_address_is_capped_without_costing_the_others() {
    let mut rig = rig_with(|l| l.max_prelogin_per_address = 2);
    let a: Vec<ConnId> = (1..=2).map(|n| rig.connect_from(n, peer(1))).collect();
    let b = connect_alone(&mut rig, 9);
    let a3 = rig.connect_from(3, peer(1));
    assert!(dropped_for(&rig, a[0], "pre-login connections per address"));
    assert!(!rig.closed(a[1]) && !rig.closed(a3) && !rig.closed(b));
    // The newest of the address logs in.
    rig.login(a3, &[]);
    // Logged in, it no longer counts against its address.
    let a4 = rig.connect_from(4, peer(1));
    assert!(!rig.closed(a[1]) && !rig.closed(a4) && !rig.closed(a3));
}

#[test]
fn max_connections_still_refuses_the_newest() {
    let mut rig = rig_with(|l| {
        l.max_connections = 2;
        l.max_prelogin_connections = 1;
    });
    let c = connect_alone(&mut rig, 1);
    rig.login(c, &[]);
    let idle = connect_alone(&mut rig, 2);
    let new = connect_alone(&mut rig, 3);
    // The idle one made room in the pre-login budget; the total is 2.
    assert!(dropped_for(&rig, idle, "pre-login connections"));
    assert!(!rig.closed(new));
    rig.isid = 2;
    rig.login(new, &[]);
    let over = connect_alone(&mut rig, 4);
    assert!(dropped_for(&rig, over, "connections"));
    assert!(!rig.closed(c) && !rig.closed(new));
}

#[test]
fn no_login_request_within_the_first_pdu_deadline_closes() {
    let mut rig = rig_with(|l| l.first_pdu_timeout = Duration::from_secs(3));
    let idle = connect_alone(&mut rig, 1);
    let partial = connect_alone(&mut rig, 2);
    // Half a header is not a Login Request.
    rig.send_bytes(partial, &[0x43; 24]);
    let started = connect_alone(&mut rig, 3);
    start_login(&mut rig, started);
    rig.advance(Duration::from_secs(2));
    assert!(!rig.closed(idle) && !rig.closed(partial));
    rig.advance(Duration::from_secs(2));
    assert!(dropped_for(&rig, idle, "first PDU deadline"));
    assert!(dropped_for(&rig, partial, "first PDU deadline"));
    // The login under way keeps the whole login timeout (15 s).
    assert!(!rig.closed(started));
    rig.advance(Duration::from_secs(12));
    assert!(rig.events.iter().any(|e| matches!(
        e,
        Event::Close { conn, reason: crate::CloseReason::LoginTimeout, .. } if *conn == started
    )));
}
