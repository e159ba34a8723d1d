//! Full feature phase beyond data transfer: NOP both ways, task management,
//! logout, asynchronous logout requests, digests, discovery.

use bytes::Bytes;
use rtgt_proto::digest::to_wire;
use rtgt_proto::pdu::{
    AsyncEvent, AsyncMessage, DataIn, Digests, LogoutReason, LogoutResponse, Lun, NopIn, Pdu,
    ScsiResponse, TaskManagementResponse, TextResponse, TmfFunction, TmfResponseCode, ITT_RESERVED,
};
use rtgt_proto::text::{self, LocalConfig, Pair};

use super::*;
use crate::{CloseReason, Phase, ScsiRequest, SendTargets, TaskOutcome};

const READ10: [u8; 10] = [0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0];

#[test]
fn nop_both_ways_and_timeout() {
    let (mut ini, mut t) = logged_in(config(), target_keys());
    let h = ini.ping(t.now, Bytes::from_static(b"ping")).unwrap();
    let Pdu::NopOut(n) = &t.recv(&mut ini)[0] else {
        panic!()
    };
    assert!(n.immediate && n.ttt == u32::MAX);
    t.send(
        &mut ini,
        NopIn {
            itt: n.itt,
            ttt: u32::MAX,
            data: n.data.clone(),
            ..NopIn::default()
        },
    );
    assert!(matches!(&events(&mut ini)[0], Event::PingReply { task, .. } if *task == h));
    // The target pings with a TTT: answered with that TTT.
    t.send(
        &mut ini,
        NopIn {
            itt: ITT_RESERVED,
            ttt: 0x55,
            lun: Lun::single_level(1),
            ..NopIn::default()
        },
    );
    let Pdu::NopOut(a) = &t.recv(&mut ini)[0] else {
        panic!()
    };
    assert_eq!(
        (a.itt, a.ttt, a.lun),
        (ITT_RESERVED, 0x55, Lun::single_level(1))
    );
    // An unanswered ping kills the connection.
    ini.ping(t.now, Bytes::new()).unwrap();
    let at = ini.poll_timeout().unwrap();
    ini.handle_timeout(at);
    let ev = events(&mut ini);
    assert!(
        ev.contains(&Event::Closed(CloseReason::PingTimeout)),
        "{ev:#?}"
    );
}

#[test]
fn each_tmf_and_its_effect() {
    for function in TmfFunction::ABORTS_AND_RESETS {
        let (mut ini, mut t) = logged_in(config(), target_keys());
        let a = ini
            .submit(t.now, ScsiRequest::read(Lun::ZERO, &READ10, 512))
            .unwrap();
        let b = ini
            .submit(t.now, ScsiRequest::read(Lun::single_level(1), &READ10, 512))
            .unwrap();
        t.recv(&mut ini);
        t.ack(2);
        let h = ini
            .task_management(t.now, function, Lun::ZERO, Some(a))
            .unwrap();
        let Pdu::TaskManagementRequest(req) = &t.recv(&mut ini)[0] else {
            panic!()
        };
        assert_eq!(req.function, function);
        if function == TmfFunction::AbortTask {
            assert_eq!((req.referenced_task_tag, req.ref_cmd_sn), (a.0, 1));
        }
        t.send(
            &mut ini,
            TaskManagementResponse {
                itt: h.0,
                ..TaskManagementResponse::default()
            },
        );
        let ev = events(&mut ini);
        let aborted: Vec<_> = ev
            .iter()
            .filter_map(|e| match e {
                Event::TaskComplete {
                    task,
                    outcome: TaskOutcome::Aborted { .. },
                } => Some(*task),
                _ => None,
            })
            .collect();
        let whole_target = matches!(
            function,
            TmfFunction::TargetWarmReset | TmfFunction::TargetColdReset
        );
        assert_eq!(
            aborted,
            if whole_target { vec![a, b] } else { vec![a] },
            "{function:?}"
        );
        assert!(ev.iter().any(|e| matches!(
            e,
            Event::TmfComplete {
                response: TmfResponseCode::FunctionComplete,
                ..
            }
        )));
        assert_eq!(
            ini.phase() == Phase::Closed,
            function == TmfFunction::TargetColdReset
        );
    }
}

#[test]
fn logout_closes() {
    let (mut ini, mut t) = logged_in(config(), target_keys());
    let h = ini.logout(t.now, LogoutReason::CloseSession).unwrap();
    assert_eq!(
        ini.submit(t.now, ScsiRequest::none(Lun::ZERO, &[0; 6])),
        Err(crate::UsageError::LoggingOut)
    );
    let Pdu::LogoutRequest(r) = &t.recv(&mut ini)[0] else {
        panic!()
    };
    assert_eq!(
        (r.itt, r.reason, r.cid),
        (h.0, LogoutReason::CloseSession, 0)
    );
    t.send(
        &mut ini,
        LogoutResponse {
            itt: h.0,
            time2wait: 2,
            ..LogoutResponse::default()
        },
    );
    let ev = events(&mut ini);
    assert!(matches!(ev[0], Event::LoggedOut { time2wait: 2, .. }));
    assert_eq!(ev[1], Event::Closed(CloseReason::LoggedOut));
}

#[test]
fn unanswered_logout_closes_at_its_deadline() {
    let (mut ini, mut t) = logged_in(config(), target_keys());
    ini.logout(t.now, LogoutReason::CloseSession).unwrap();
    assert!(matches!(t.recv(&mut ini)[0], Pdu::LogoutRequest(_)));
    assert_eq!(ini.poll_timeout(), Some(t.now + secs(15)));
    ini.handle_timeout(t.now + secs(14));
    assert!(events(&mut ini).is_empty(), "not yet due");
    ini.handle_timeout(t.now + secs(15));
    let ev = events(&mut ini);
    assert_eq!(ev, [Event::Closed(CloseReason::LogoutTimeout)]);
    // An answered logout disarms nothing that could fire later.
    let (mut ini, mut t) = logged_in(config(), target_keys());
    let h = ini.logout(t.now, LogoutReason::CloseSession).unwrap();
    t.recv(&mut ini);
    t.send(
        &mut ini,
        LogoutResponse {
            itt: h.0,
            ..LogoutResponse::default()
        },
    );
    events(&mut ini);
    assert_eq!(ini.poll_timeout(), None);
}

#[test]
fn async_logout_request_is_honoured() {
    let (mut ini, mut t) = logged_in(config(), target_keys());
    let task = ini
        .submit(t.now, ScsiRequest::none(Lun::ZERO, &[0; 6]))
        .unwrap();
    t.recv(&mut ini);
    t.ack(1);
    t.send(
        &mut ini,
        AsyncMessage {
            itt: ITT_RESERVED,
            async_event: AsyncEvent::LogoutRequest,
            parameter3: 5,
            ..AsyncMessage::default()
        },
    );
    assert!(
        t.recv(&mut ini).is_empty(),
        "waits for the outstanding command"
    );
    assert_eq!(ini.poll_timeout(), Some(t.now + secs(5)));
    t.send(
        &mut ini,
        ScsiResponse {
            itt: task.0,
            ..ScsiResponse::default()
        },
    );
    let Pdu::LogoutRequest(r) = &t.recv(&mut ini)[0] else {
        panic!()
    };
    assert_eq!(r.reason, LogoutReason::CloseSession);
    // With a task that never ends, the deadline forces the logout.
    let (mut ini, mut t) = logged_in(config(), target_keys());
    ini.submit(t.now, ScsiRequest::none(Lun::ZERO, &[0; 6]))
        .unwrap();
    t.recv(&mut ini);
    t.send(
        &mut ini,
        AsyncMessage {
            itt: ITT_RESERVED,
            async_event: AsyncEvent::LogoutRequest,
            parameter3: 3,
            ..AsyncMessage::default()
        },
    );
    ini.handle_timeout(t.now + secs(3));
    assert!(matches!(t.recv(&mut ini)[0], Pdu::LogoutRequest(_)));
}

fn digest_session() -> (Initiator, Target) {
    let mut cfg = config();
    cfg.keys
        .set("HeaderDigest", "CRC32C")
        .set("DataDigest", "CRC32C");
    let (ini, mut t) = logged_in(
        cfg,
        target_keys()
            .with("HeaderDigest", "CRC32C,None")
            .with("DataDigest", "CRC32C,None"),
    );
    assert_eq!(ini.digests(), Digests::BOTH);
    t.set_digests(Digests::BOTH);
    (ini, t)
}

#[test]
fn digests_corrupted_header() {
    let (mut ini, mut t) = digest_session();
    ini.ping(t.now, Bytes::new()).unwrap();
    let Pdu::NopOut(n) = &t.recv(&mut ini)[0] else {
        panic!()
    };
    let nop = NopIn {
        itt: n.itt,
        ..NopIn::default()
    };
    let mut wire = t.stamp(nop.into()).encode(Digests::BOTH);
    wire[48] ^= 1;
    ini.handle_bytes(t.now, &wire);
    let ev = events(&mut ini);
    assert_eq!(
        ev[0],
        Event::DigestError {
            header: true,
            itt: None
        }
    );
    assert_eq!(ev[1], Event::Closed(CloseReason::HeaderDigest));
}

#[test]
fn digests_corrupted_data_in_aborts_the_task() {
    let (mut ini, mut t) = digest_session();
    let h = ini
        .submit(t.now, ScsiRequest::read(Lun::ZERO, &READ10, 8))
        .unwrap();
    t.recv(&mut ini);
    t.ack(1);
    let pdu = t.stamp(
        DataIn {
            final_bit: true,
            status_present: true,
            itt: h.0,
            data: Bytes::from_static(b"12345678"),
            ..DataIn::default()
        }
        .into(),
    );
    let mut wire = pdu.encode(Digests::BOTH);
    let n = wire.len();
    wire[n - 1] ^= 0xff;
    ini.handle_bytes(t.now, &wire);
    assert_eq!(
        events(&mut ini)[0],
        Event::DigestError {
            header: false,
            itt: Some(h.0)
        }
    );
    let Pdu::TaskManagementRequest(tmf) = &t.recv(&mut ini)[0] else {
        panic!()
    };
    assert_eq!(
        (tmf.function, tmf.referenced_task_tag),
        (TmfFunction::AbortTask, h.0)
    );
    t.send(
        &mut ini,
        TaskManagementResponse {
            itt: tmf.itt,
            response: TmfResponseCode::TaskDoesNotExist,
            ..TaskManagementResponse::default()
        },
    );
    let ev = events(&mut ini);
    assert!(
        ev.contains(&Event::TaskComplete {
            task: h,
            outcome: TaskOutcome::DataDigestError
        }),
        "{ev:#?}"
    );
    assert_eq!(ini.phase(), Phase::FullFeature);
    // The digests on what we send are right.
    ini.ping(t.now, Bytes::from_static(b"abcd")).unwrap();
    let parts = ini.poll_transmit().unwrap();
    assert_eq!(
        &parts.header[48..52],
        &to_wire(rtgt_proto::digest::crc32c(&parts.header[..48]))
    );
}

#[test]
fn discovery_with_both_continuations() {
    let mut cfg = InitiatorConfig::discovery("iqn.2024-01.test:ini");
    cfg.keys.set("MaxRecvDataSegmentLength", "8192");
    let (mut ini, mut t) = logged_in(cfg, LocalConfig::rfc_defaults().with("AuthMethod", "None"));
    assert!(ini
        .submit(t.now, ScsiRequest::none(Lun::ZERO, &[0; 6]))
        .is_err());
    let h = ini.send_targets(t.now, SendTargets::All).unwrap();
    let Pdu::TextRequest(r) = &t.recv(&mut ini)[0] else {
        panic!()
    };
    assert_eq!(
        text::decode(&r.data).unwrap(),
        vec![Pair::new("SendTargets", "All")]
    );
    let all = text::encode(&[
        Pair::new("TargetName", "iqn.2024-01.test:a"),
        Pair::new("TargetAddress", "10.0.0.1:3260,1"),
        Pair::new("TargetAddress", "[fe80::1]:3260,2"),
    ]);
    // First part with C=1, split inside a pair.
    t.ack(1);
    t.send(
        &mut ini,
        TextResponse {
            continue_bit: true,
            final_bit: false,
            itt: h.0,
            ttt: 0x77,
            data: Bytes::copy_from_slice(&all[..20]),
            ..TextResponse::default()
        },
    );
    let Pdu::TextRequest(c1) = &t.recv(&mut ini)[0] else {
        panic!()
    };
    assert!(c1.data.is_empty() && c1.ttt == 0x77);
    t.ack(1);
    // Rest, then F=0 with a TTT: more targets follow.
    t.send(
        &mut ini,
        TextResponse {
            final_bit: false,
            itt: h.0,
            ttt: 0x78,
            data: Bytes::copy_from_slice(&all[20..]),
            ..TextResponse::default()
        },
    );
    let Pdu::TextRequest(c2) = &t.recv(&mut ini)[0] else {
        panic!()
    };
    assert_eq!(c2.ttt, 0x78);
    t.ack(1);
    let last = text::encode(&[
        Pair::new("TargetName", "iqn.2024-01.test:b"),
        Pair::new("TargetAddress", "host.example:3261"),
    ]);
    t.send(
        &mut ini,
        TextResponse {
            final_bit: true,
            itt: h.0,
            ttt: u32::MAX,
            data: Bytes::from(last),
            ..TextResponse::default()
        },
    );
    let ev = events(&mut ini);
    let Event::Discovery { targets, .. } = &ev[0] else {
        panic!("{ev:#?}")
    };
    assert_eq!(targets.len(), 2);
    assert_eq!(targets[0].addresses.len(), 2);
    assert_eq!(targets[1].addresses[0].port, 3261);
}
