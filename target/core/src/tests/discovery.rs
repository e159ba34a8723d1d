//! Discovery sessions and SendTargets (RFC 7143 §13.3, Appendix C).

use rtgt_proto::pdu::{LoginStage, Pdu, TextRequest, TTT_RESERVED};
use rtgt_proto::text;

use super::harness::*;
use crate::ConnId;

fn discovery_login(rig: &mut Rig, c: ConnId, mrdsl: &str) {
    let req = rig.login_req(
        LoginStage::LoginOperationalNegotiation,
        LoginStage::FullFeaturePhase,
        &[
            ("InitiatorName", INITIATOR),
            ("SessionType", "Discovery"),
            ("MaxRecvDataSegmentLength", mrdsl),
        ],
    );
    rig.send(c, req);
    let r = recv_as!(rig, c, LoginResponse);
    assert_eq!(r.status, rtgt_proto::pdu::LoginStatus::Success);
    let p = text::decode(&r.data).unwrap();
    assert_eq!(get(&p, "TargetPortalGroupTag"), None);
}

fn text_req(rig: &mut Rig, keys: &[(&str, &str)]) -> TextRequest {
    let t = TextRequest {
        itt: rig.next_itt(),
        cmd_sn: rig.cmd_sn,
        data: encode(keys),
        ..TextRequest::default()
    };
    rig.cmd_sn += 1;
    t
}

fn many_targets() -> Rig {
    let mut cfg = config();
    for i in 1..40 {
        cfg.targets.push(target(
            &format!("iqn.2024-01.org.rtgt:disk-number-{i:03}"),
            100 + i,
        ));
    }
    cfg.targets[3].allowed_initiators = vec!["iqn.2024-01.org.rtgt:someone-else".into()];
    Rig::with(cfg)
}

#[test]
fn send_targets_all_filters_and_continues() {
    let mut rig = many_targets();
    let c = rig.connect(1);
    discovery_login(&mut rig, c, "512");
    let req = text_req(&mut rig, &[("SendTargets", "All")]);
    let itt = req.itt;
    rig.send(c, req);
    let mut joined = Vec::new();
    let mut parts = 0;
    loop {
        let r = recv_as!(rig, c, TextResponse);
        assert!(r.data.len() <= 512);
        assert_eq!(r.itt, itt);
        joined.extend_from_slice(&r.data);
        parts += 1;
        if r.final_bit {
            assert!(!r.continue_bit);
            assert_eq!(r.ttt, TTT_RESERVED);
            break;
        }
        assert!(r.continue_bit);
        assert_ne!(r.ttt, TTT_RESERVED);
        let next = TextRequest {
            itt,
            ttt: r.ttt,
            cmd_sn: rig.cmd_sn,
            ..TextRequest::default()
        };
        rig.cmd_sn += 1;
        rig.send(c, next);
    }
    assert!(parts > 2);
    let pairs = text::decode(&joined).unwrap();
    let names: Vec<&str> = pairs
        .iter()
        .filter(|p| p.key == "TargetName")
        .map(|p| p.value.as_str())
        .collect();
    assert_eq!(names.len(), 39);
    assert!(!names.contains(&"iqn.2024-01.org.rtgt:disk-number-003"));
    assert_eq!(get(&pairs, "TargetAddress"), Some("192.0.2.1:3260,1"));
}

#[test]
fn send_targets_by_name_and_in_a_normal_session() {
    let mut rig = many_targets();
    let c = rig.connect(1);
    discovery_login(&mut rig, c, "8192");
    let req = text_req(
        &mut rig,
        &[("SendTargets", "iqn.2024-01.org.rtgt:disk-number-007")],
    );
    rig.send(c, req);
    let r = recv_as!(rig, c, TextResponse);
    let p = text::decode(&r.data).unwrap();
    assert_eq!(p.len(), 2);
    assert_eq!(
        get(&p, "TargetName"),
        Some("iqn.2024-01.org.rtgt:disk-number-007")
    );

    let n = rig.connect(2);
    rig.login(n, &[]);
    let req = text_req(&mut rig, &[("SendTargets", "")]);
    rig.send(n, req);
    let r = recv_as!(rig, n, TextResponse);
    let p = text::decode(&r.data).unwrap();
    assert_eq!(get(&p, "TargetName"), Some(TARGET));
    let req = text_req(&mut rig, &[("SendTargets", "All")]);
    rig.send(n, req);
    let r = recv_as!(rig, n, TextResponse);
    assert_eq!(
        get(&text::decode(&r.data).unwrap(), "SendTargets"),
        Some("Reject")
    );
}

#[test]
fn a_text_request_continued_with_the_c_bit_is_answered_whole() {
    let (mut rig, c) = Rig::logged_in();
    // RFC 7143 §11.10.2: the first part has C=1 and F=0.
    let itt = rig.next_itt();
    let first = TextRequest {
        final_bit: false,
        continue_bit: true,
        itt,
        cmd_sn: rig.cmd_sn,
        data: bytes::Bytes::from_static(b"SendTar"),
        ..TextRequest::default()
    };
    rig.cmd_sn += 1;
    rig.send(c, first);
    let r = recv_as!(rig, c, TextResponse);
    assert!(!r.final_bit && !r.continue_bit && r.data.is_empty());
    assert_ne!(r.ttt, TTT_RESERVED);
    let second = TextRequest {
        itt,
        ttt: r.ttt,
        cmd_sn: rig.cmd_sn,
        data: bytes::Bytes::from_static(b"gets=\0"),
        ..TextRequest::default()
    };
    rig.cmd_sn += 1;
    rig.send(c, second);
    let r = recv_as!(rig, c, TextResponse);
    assert!(r.final_bit);
    assert_eq!(r.ttt, TTT_RESERVED);
    assert_eq!(
        get(&text::decode(&r.data).unwrap(), "TargetName"),
        Some(TARGET)
    );
}

#[test]
fn discovery_session_refuses_scsi_commands() {
    let mut rig = Rig::new();
    let c = rig.connect(1);
    discovery_login(&mut rig, c, "8192");
    let cmd = rig.read10(0, 1);
    rig.send(c, cmd);
    assert!(matches!(rig.recv(c), Pdu::Reject(_)));
}

#[test]
fn discovery_session_rejects_a_data_out() {
    // RFC 7143 §4.3: "All other requests MUST be rejected", an unsolicited
    // Data-Out (TTT 0xffffffff) naming no task included.
    let mut rig = Rig::new();
    let c = rig.connect(1);
    discovery_login(&mut rig, c, "8192");
    let d = rtgt_proto::pdu::DataOut {
        itt: 0x55,
        ttt: TTT_RESERVED,
        data: bytes::Bytes::from(vec![0u8; 512]),
        ..Default::default()
    };
    rig.send(c, d);
    assert!(matches!(rig.recv(c), Pdu::Reject(_)));
}
