//! The CmdSN window (RFC 7143 §4.2.2.1) and NOP-Out/NOP-In (§11.18,
//! §11.19).

use std::time::Duration;

use rtgt_proto::pdu::{NopOut, Pdu, ITT_RESERVED, TTT_RESERVED};

use super::harness::*;
use crate::{CloseReason, ConnId, Event};

fn ping(rig: &mut Rig, c: ConnId) -> Pdu {
    let n = NopOut {
        itt: rig.next_itt(),
        ttt: TTT_RESERVED,
        cmd_sn: rig.cmd_sn,
        immediate: true,
        data: bytes::Bytes::from_static(b"ping"),
        ..NopOut::default()
    };
    rig.send(c, n);
    rig.recv(c)
}

#[test]
fn nop_out_is_answered_with_its_data() {
    let (mut rig, c) = Rig::ready();
    let Pdu::NopIn(n) = ping(&mut rig, c) else {
        panic!()
    };
    assert_eq!(&n.data[..], b"ping");
    assert_eq!(n.ttt, TTT_RESERVED);
    assert_eq!(n.exp_cmd_sn, rig.cmd_sn);
}

#[test]
fn out_of_window_and_duplicate_commands_are_dropped() {
    let (mut rig, c) = Rig::ready();
    let Pdu::NopIn(n) = ping(&mut rig, c) else {
        panic!()
    };
    let max = n.max_cmd_sn;
    // Too high.
    let mut cmd = rig.read10(0, 1);
    cmd.cmd_sn = max.wrapping_add(1);
    rig.cmd_sn -= 1;
    rig.send(c, cmd);
    assert!(rig.nothing(c));
    // Too low (a duplicate of the last one).
    let mut cmd = rig.read10(0, 1);
    cmd.cmd_sn = rig.cmd_sn.wrapping_sub(2);
    rig.cmd_sn -= 1;
    rig.send(c, cmd);
    assert!(rig.nothing(c));
    // The highest in the window is held until the gap fills.
    let mut top = rig.read10(0, 1);
    top.cmd_sn = max;
    rig.cmd_sn -= 1;
    rig.send(c, top);
    assert!(rig.nothing(c));
    // The connection still works.
    let Pdu::NopIn(n2) = ping(&mut rig, c) else {
        panic!()
    };
    assert_eq!(n2.exp_cmd_sn, n.exp_cmd_sn);
    assert_eq!(n2.max_cmd_sn, max);
    let cmd = rig.read10(0, 1);
    rig.send(c, cmd);
    assert!(matches!(rig.recv(c), Pdu::DataIn(_)));
}

#[test]
fn immediate_commands_do_not_advance_cmd_sn() {
    let (mut rig, c) = Rig::ready();
    let mut cmd = rig.read10(0, 1);
    cmd.immediate = true;
    rig.cmd_sn -= 1;
    rig.send(c, cmd);
    let d = recv_as!(rig, c, DataIn);
    assert_eq!(d.exp_cmd_sn, rig.cmd_sn);
    let cmd = rig.read10(0, 1);
    rig.send(c, cmd);
    let d = recv_as!(rig, c, DataIn);
    assert_eq!(d.exp_cmd_sn, rig.cmd_sn);
    assert_eq!(d.max_cmd_sn, rig.cmd_sn + 31);
}

#[test]
fn max_cmd_sn_follows_commands_in_flight() {
    let (mut rig, c) = Rig::ready();
    rig.hold_io = true;
    let cmd = rig.read10(0, 1);
    rig.send(c, cmd);
    let Pdu::NopIn(n) = ping(&mut rig, c) else {
        panic!()
    };
    assert_eq!(n.max_cmd_sn, rig.cmd_sn + 30);
    rig.release_io();
    let d = recv_as!(rig, c, DataIn);
    assert_eq!(d.max_cmd_sn, rig.cmd_sn + 31);
}

#[test]
fn stat_sn_advances_per_status() {
    let (mut rig, c) = Rig::ready();
    let Pdu::NopIn(a) = ping(&mut rig, c) else {
        panic!()
    };
    let Pdu::NopIn(b) = ping(&mut rig, c) else {
        panic!()
    };
    assert_eq!(b.stat_sn, a.stat_sn.wrapping_add(1));
}

#[test]
fn nop_in_ping_is_answered_or_times_out() {
    let (mut rig, c) = Rig::ready();
    rig.advance(Duration::from_secs(11));
    let Pdu::NopIn(p) = rig.recv(c) else { panic!() };
    assert_eq!(p.itt, ITT_RESERVED);
    assert_ne!(p.ttt, TTT_RESERVED);
    let answer = NopOut {
        immediate: true,
        itt: ITT_RESERVED,
        ttt: p.ttt,
        cmd_sn: rig.cmd_sn,
        ..NopOut::default()
    };
    rig.send(c, answer);
    assert!(rig.nothing(c));
    rig.advance(Duration::from_secs(9));
    assert!(!rig.closed(c));
    // Another ping, unanswered.
    rig.advance(Duration::from_secs(2));
    assert!(matches!(rig.recv(c), Pdu::NopIn(_)));
    rig.advance(Duration::from_secs(16));
    assert!(rig.events.iter().any(|e| matches!(
        e,
        Event::Close { conn, reason: CloseReason::NopTimeout, .. } if *conn == c
    )));
    assert_eq!(rig.core.session_count(), 0);
}
