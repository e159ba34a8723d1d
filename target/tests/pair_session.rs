//! Session-wide behaviour over the pair: CmdSN edge cases through the
//! initiator's raw access (RFC 7143 §4.2.2.1), NOP pings both ways and dead
//! connections (§11.18, §11.19), logout (§11.14) and the target's shutdown
//! Asynchronous Message (§11.9.1).

mod pair;

use std::time::Duration;

use bytes::Bytes;
use pair::*;
use rtgt_initiator::{CloseReason as ICloseReason, Event as IEvent, LoginError, TaskHandle};
use rtgt_proto::pdu::{
    AsyncEvent, LogoutReason, LogoutResponseCode, Lun, Pdu, ScsiCommand, ScsiStatus,
};
use rtgt_target::{CloseReason, Event as TEvent};

/// A pair on [`one_target`] logged in, the unit attention taken.
fn ready() -> (Pair, usize) {
    let mut p = Pair::new(one_target());
    let l = p.login(normal());
    p.clear_ua(l);
    (p, l)
}

/// A TEST UNIT READY with `cmd_sn` and a raw tag; its answer comes as
/// `Event::Received`.
fn raw_tur(p: &mut Pair, l: usize, cmd_sn: u32) -> TaskHandle {
    let tag = p.ini_mut(l).claim_raw_tag().unwrap();
    let exp_stat_sn = p.ini(l).exp_stat_sn();
    let mut c = ScsiCommand {
        itt: tag.0,
        lun: Lun::single_level(0),
        cmd_sn,
        exp_stat_sn,
        ..ScsiCommand::default()
    };
    c.set_cdb(&[0u8; 6]);
    p.ini_mut(l).send_pdu(&Pdu::ScsiCommand(c));
    p.run();
    tag
}

fn raw_answers(p: &Pair, l: usize, tag: TaskHandle) -> usize {
    p.events(l)
        .iter()
        .filter(|e| matches!(e, IEvent::Received(r) if r.itt() == tag.0))
        .count()
}

/// A ping answered, proving the connection still works.
fn ping_ok(p: &mut Pair, l: usize) {
    let now = p.now();
    let t = p
        .ini_mut(l)
        .ping(now, Bytes::from_static(b"still there?"))
        .unwrap();
    p.run();
    assert!(
        p.events(l).iter().any(|e| matches!(e,
            IEvent::PingReply { task, data, .. } if *task == t && data.as_ref() == b"still there?")),
        "{:#?}",
        p.events(l)
    );
}

/// The command `tag` got no answer, and the session still works: a ping
/// is echoed and a read returns its block.
fn assert_dropped_and_session_works(p: &mut Pair, l: usize, tag: TaskHandle, why: &str) {
    assert_eq!(raw_answers(p, l, tag), 0, "{why}");
    ping_ok(p, l);
    assert_eq!(p.read(l, 0, 1).len(), BS);
    assert!(p.violations().is_empty());
}

#[test]
fn cmd_sn_in_the_window_is_answered() {
    let (mut p, l) = ready();
    let sn = p.ini_mut(l).take_cmd_sn();
    let tag = raw_tur(&mut p, l, sn);
    assert_eq!(raw_answers(&p, l, tag), 1);
    p.assert_clean();
}

/// A TEST UNIT READY numbered `sn(next CmdSN)`, outside the window, is
/// dropped and the session goes on.
fn out_of_window_is_dropped(sn: impl FnOnce(u32) -> u32) {
    let (mut p, l) = ready();
    let sn = sn(p.ini(l).next_cmd_sn());
    let tag = raw_tur(&mut p, l, sn);
    assert_dropped_and_session_works(
        &mut p,
        l,
        tag,
        "RFC 7143 §4.2.2.1: a CmdSN outside the window is ignored",
    );
}

#[test]
fn cmd_sn_too_high_is_silently_dropped() {
    out_of_window_is_dropped(|next| next.wrapping_add(1000));
}

#[test]
fn cmd_sn_too_low_is_silently_dropped() {
    out_of_window_is_dropped(|next| next.wrapping_sub(3));
}

#[test]
fn duplicate_cmd_sn_is_silently_dropped() {
    let (mut p, l) = ready();
    let sn = p.ini_mut(l).take_cmd_sn();
    let first = raw_tur(&mut p, l, sn);
    assert_eq!(raw_answers(&p, l, first), 1);
    let again = raw_tur(&mut p, l, sn);
    assert_dropped_and_session_works(&mut p, l, again, "RFC 7143 §4.2.2.1: already received");
}

#[test]
fn duplicate_of_a_queued_cmd_sn_is_dropped_and_the_gap_fills() {
    let (mut p, l) = ready();
    let a = p.ini_mut(l).take_cmd_sn();
    let b = p.ini_mut(l).take_cmd_sn();
    // b arrives first and waits for a; a second b is a duplicate.
    let tb = raw_tur(&mut p, l, b);
    let tb2 = raw_tur(&mut p, l, b);
    assert_eq!(raw_answers(&p, l, tb), 0);
    let ta = raw_tur(&mut p, l, a);
    assert_eq!(raw_answers(&p, l, ta), 1);
    assert_eq!(raw_answers(&p, l, tb), 1);
    assert_eq!(raw_answers(&p, l, tb2), 0);
    ping_ok(&mut p, l);
    assert!(p.violations().is_empty());
}

#[test]
fn initiator_ping_is_echoed() {
    let (mut p, l) = ready();
    ping_ok(&mut p, l);
    p.assert_clean();
}

#[test]
fn target_ping_of_an_idle_connection_is_answered() {
    let (mut p, l) = ready();
    // NopConfig default: a ping after 10 s of silence, 15 s to answer.
    p.advance_by(Duration::from_secs(60));
    let pings = p
        .events(l)
        .iter()
        .filter(|e| matches!(e, IEvent::TargetPing { .. }))
        .count();
    assert!(pings >= 4, "{pings} pings in a minute");
    assert!(!p.target_saw(|e| matches!(e, TEvent::Close { .. })));
    assert_eq!(p.read(l, 0, 1).len(), BS);
    p.assert_clean();
}

#[test]
fn stalled_target_is_found_dead_by_the_initiators_ping() {
    let (mut p, l) = ready();
    p.stall(l, Dir::ToInitiator, true);
    let now = p.now();
    let t = p.ini_mut(l).ping(now, Bytes::new()).unwrap();
    p.advance_by(Duration::from_secs(11));
    assert!(p
        .events(l)
        .iter()
        .any(|e| matches!(e, IEvent::PingTimeout { task } if *task == t)));
    assert_eq!(p.closed_with(l), Some(ICloseReason::PingTimeout));
    assert_eq!(p.target.session_count(), 0, "the target saw the close");
}

#[test]
fn stalled_initiator_is_found_dead_by_the_targets_ping() {
    let (mut p, l) = ready();
    p.stall(l, Dir::ToTarget, true);
    p.advance_by(Duration::from_secs(30));
    assert!(p.target_saw(|e| matches!(
        e,
        TEvent::Close {
            reason: CloseReason::NopTimeout,
            ..
        }
    )));
    assert!(p.link_closed(l));
    assert_eq!(p.target.session_count(), 0);
    assert!(p.closed_with(l).is_some());
}

#[test]
fn logout_ends_the_session_on_both_sides() {
    let (mut p, l) = ready();
    let now = p.now();
    p.ini_mut(l)
        .logout(now, LogoutReason::CloseSession)
        .unwrap();
    p.run();
    assert!(p.events(l).iter().any(|e| matches!(
        e,
        IEvent::LoggedOut {
            response: LogoutResponseCode::Success,
            ..
        }
    )));
    assert_eq!(p.closed_with(l), Some(ICloseReason::LoggedOut));
    assert!(
        p.target_saw(|e| matches!(e, TEvent::SessionEnded { reason, .. } if reason == "logout"))
    );
    assert!(p.link_closed(l));
    assert_eq!(p.target.session_count(), 0);
    p.assert_clean();
}

#[test]
fn shutdown_async_message_is_honoured_by_the_initiator() {
    let (mut p, l) = ready();
    p.hold_io = true;
    let t = p.submit(l, read_req(0, 2));
    p.run();
    let now = p.now();
    p.target.shutdown(now, Duration::from_secs(5));
    p.run();
    assert!(p.events(l).iter().any(|e| matches!(e,
        IEvent::Async(m) if m.async_event == AsyncEvent::LogoutRequest)));
    assert!(p.events(l).iter().any(
        |e| matches!(e, IEvent::LogoutRequested { within } if *within == Duration::from_secs(5))
    ));
    // RFC 7143 §11.9.1: the initiator logs out once its tasks are done.
    assert_eq!(p.closed_with(l), None);
    p.release_io();
    assert_eq!(p.result(l, t).status, ScsiStatus::Good);
    assert!(p
        .events(l)
        .iter()
        .any(|e| matches!(e, IEvent::LoggedOut { .. })));
    assert_eq!(p.closed_with(l), Some(ICloseReason::LoggedOut));
    assert_eq!(p.target.session_count(), 0);
    // New logins are refused while shutting down.
    // New connections are refused while shutting down (closed at once, or
    // a login answered 0x0301).
    let again = p.start_login(normal());
    assert_eq!(p.ini(again).phase(), rtgt_initiator::Phase::Closed);
    assert!(p.link_closed(again));
    assert!(p
        .login_error_opt(again)
        .is_none_or(|e| e == LoginError::ServiceUnavailable));
    p.assert_clean();
}

#[test]
fn shutdown_closes_what_is_left_after_the_grace_period() {
    let (mut p, l) = ready();
    // The initiator never hears of the shutdown.
    p.stall(l, Dir::ToInitiator, true);
    let now = p.now();
    p.target.shutdown(now, Duration::from_secs(3));
    p.advance_by(Duration::from_secs(4));
    assert!(p.target_saw(|e| matches!(
        e,
        TEvent::Close {
            reason: CloseReason::Shutdown,
            ..
        }
    )));
    assert_eq!(p.target.session_count(), 0);
}
