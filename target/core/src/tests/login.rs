//! Login paths and their errors (RFC 7143 §6.3, §11.12, §11.13).

use rtgt_proto::pdu::{LoginRequest, LoginStage, LoginStatus};

use super::harness::*;
use crate::{Cidr, ConnId, Event};

const OPER: LoginStage = LoginStage::LoginOperationalNegotiation;
const FFP: LoginStage = LoginStage::FullFeaturePhase;
const SEC: LoginStage = LoginStage::SecurityNegotiation;

fn base(rig: &Rig) -> LoginRequest {
    rig.login_req(
        OPER,
        FFP,
        &[("InitiatorName", INITIATOR), ("TargetName", TARGET)],
    )
}

/// The status a new connection of `rig` gets for a first request with
/// `keys`.
fn keys_status(rig: &mut Rig, keys: &[(&str, &str)]) -> (ConnId, LoginStatus) {
    let c = rig.connect(1);
    let req = rig.login_req(OPER, FFP, keys);
    (c, rig.login_status(c, req))
}

/// The status a new connection `n` of `rig` gets for [`base`] changed by
/// `edit`.
fn base_status(rig: &mut Rig, n: u64, edit: impl FnOnce(&mut LoginRequest)) -> LoginStatus {
    let c = rig.connect(n);
    let mut req = base(rig);
    edit(&mut req);
    rig.login_status(c, req)
}

#[test]
fn one_step_login_declares_and_negotiates() {
    let mut rig = Rig::new();
    let c = rig.connect(1);
    let pairs = rig.login(
        c,
        &[
            ("MaxBurstLength", "1048576"),
            ("HeaderDigest", "CRC32C,None"),
        ],
    );
    assert_eq!(get(&pairs, "MaxBurstLength"), Some("262144"));
    // RFC 7143 §6.2.1: the first value of the offer we support.
    assert_eq!(get(&pairs, "HeaderDigest"), Some("CRC32C"));
    assert_eq!(get(&pairs, "TargetPortalGroupTag"), Some("1"));
    assert_eq!(get(&pairs, "MaxRecvDataSegmentLength"), Some("262144"));
    assert_eq!(rig.core.session_count(), 1);
    assert!(rig
        .events
        .iter()
        .any(|e| matches!(e, Event::SessionCreated { .. })));
}

#[test]
fn security_then_operational_stages() {
    let mut rig = Rig::new();
    let c = rig.connect(1);
    let req = rig.login_req(
        SEC,
        OPER,
        &[
            ("InitiatorName", INITIATOR),
            ("TargetName", TARGET),
            ("AuthMethod", "None"),
        ],
    );
    rig.send(c, req);
    let r = recv_as!(rig, c, LoginResponse);
    assert_eq!(r.status, LoginStatus::Success);
    assert!(r.transit);
    assert_eq!(r.nsg, OPER);
    assert_eq!(r.tsih, 0);
    let req = rig.login_req(OPER, FFP, &[("ImmediateData", "No")]);
    rig.send(c, req);
    let r = recv_as!(rig, c, LoginResponse);
    assert_eq!(r.status, LoginStatus::Success);
    assert_ne!(r.tsih, 0);
    assert_eq!(r.exp_cmd_sn, rig.cmd_sn);
    assert_eq!(r.max_cmd_sn, rig.cmd_sn + 31);
}

#[test]
fn missing_initiator_name_is_0207() {
    let mut rig = Rig::new();
    let (c, status) = keys_status(&mut rig, &[("TargetName", TARGET)]);
    assert_eq!(status, LoginStatus::MissingParameter);
    assert!(rig.closed(c));
}

#[test]
fn unknown_target_is_0203() {
    let mut rig = Rig::new();
    let keys = [
        ("InitiatorName", INITIATOR),
        ("TargetName", "iqn.2024-01.org.rtgt:none"),
    ];
    let (_, status) = keys_status(&mut rig, &keys);
    assert_eq!(status, LoginStatus::NotFound);
}

#[test]
fn acl_by_name_and_address_is_0202() {
    let mut cfg = config();
    cfg.targets[0].allowed_initiators = vec!["iqn.2024-01.org.rtgt:other".into()];
    let mut rig = Rig::with(cfg);
    let status = base_status(&mut rig, 1, |_| {});
    assert_eq!(status, LoginStatus::AuthorizationFailure);

    let mut cfg = config();
    cfg.targets[0].allowed_networks = vec![Cidr::parse("10.0.0.0/8").unwrap()];
    let mut rig = Rig::with(cfg);
    let status = base_status(&mut rig, 1, |_| {});
    assert_eq!(status, LoginStatus::AuthorizationFailure);
    let c2 = rig.connect_from(2, "10.1.1.1:5000".parse().unwrap());
    rig.login(c2, &[]);
}

#[test]
fn bad_session_type_is_0209() {
    let mut rig = Rig::new();
    let keys = [
        ("InitiatorName", INITIATOR),
        ("SessionType", "Weird"),
        ("TargetName", TARGET),
    ];
    let (_, status) = keys_status(&mut rig, &keys);
    assert_eq!(status, LoginStatus::SessionTypeNotSupported);
    let mut cfg = config();
    cfg.discovery_enabled = false;
    let mut rig = Rig::with(cfg);
    let keys = [("InitiatorName", INITIATOR), ("SessionType", "Discovery")];
    let (_, status) = keys_status(&mut rig, &keys);
    assert_eq!(status, LoginStatus::SessionTypeNotSupported);
}

#[test]
fn unknown_tsih_is_020a() {
    let mut rig = Rig::new();
    let status = base_status(&mut rig, 1, |req| req.tsih = 0x77);
    assert_eq!(status, LoginStatus::SessionDoesNotExist);
}

#[test]
fn unsupported_version_is_0205() {
    let mut rig = Rig::new();
    let status = base_status(&mut rig, 1, |req| {
        req.version_min = 1;
        req.version_max = 1;
    });
    assert_eq!(status, LoginStatus::UnsupportedVersion);
}

#[test]
fn stage_errors_are_0200() {
    // Reserved NSG 2.
    let mut rig = Rig::new();
    let status = base_status(&mut rig, 1, |req| req.nsg = LoginStage::Other(2));
    assert_eq!(status, LoginStatus::InitiatorError);
    // Going back from operational to security.
    let c = rig.connect(2);
    let mut req = base(&rig);
    req.transit = false;
    req.nsg = OPER;
    rig.send(c, req);
    rig.recv(c);
    let req = rig.login_req(SEC, OPER, &[]);
    assert_eq!(rig.login_status(c, req), LoginStatus::InitiatorError);
    // C and T both set.
    let status = base_status(&mut rig, 3, |req| req.continue_bit = true);
    assert_eq!(status, LoginStatus::InitiatorError);
    // A key negotiated twice.
    let c = rig.connect(4);
    let req = rig.login_req(
        OPER,
        FFP,
        &[
            ("InitiatorName", INITIATOR),
            ("TargetName", TARGET),
            ("MaxBurstLength", "512"),
            ("MaxBurstLength", "1024"),
        ],
    );
    assert_eq!(rig.login_status(c, req), LoginStatus::InitiatorError);
}

#[test]
fn changing_isid_mid_login_is_0200() {
    let mut rig = Rig::new();
    let c = rig.connect(1);
    let mut req = base(&rig);
    req.transit = false;
    rig.send(c, req);
    rig.recv(c);
    let mut req = rig.login_req(OPER, FFP, &[]);
    req.isid = isid(9);
    assert_eq!(rig.login_status(c, req), LoginStatus::InitiatorError);
}

#[test]
fn non_login_pdu_during_login_is_020b() {
    let mut rig = Rig::new();
    let c = rig.connect(1);
    let cmd = rig.read10(0, 1);
    rig.send(c, cmd);
    let r = recv_as!(rig, c, LoginResponse);
    assert_eq!(r.status, LoginStatus::InvalidDuringLogin);
    assert!(rig.closed(c));
}

#[test]
fn login_timeout_closes() {
    let mut rig = Rig::new();
    let c = rig.connect(1);
    assert!(rig.core.poll_timeout().is_some());
    rig.advance(std::time::Duration::from_secs(16));
    assert!(rig.closed(c));
}

#[test]
fn session_limit_is_0302_and_shutdown_is_0301() {
    let mut cfg = config();
    cfg.limits.max_sessions = 1;
    let mut rig = Rig::with(cfg);
    let c = rig.connect(1);
    rig.login(c, &[]);
    let c2 = rig.connect(2);
    let mut req = base(&rig);
    req.isid = isid(2);
    assert_eq!(rig.login_status(c2, req), LoginStatus::OutOfResources);

    let mut rig = Rig::new();
    let c = rig.connect(1);
    rig.send(c, {
        let mut r = base(&rig);
        r.transit = false;
        r
    });
    rig.recv(c);
    rig.core
        .shutdown(rig.now, std::time::Duration::from_secs(5));
    rig.run();
    assert!(rig.closed(c));
}

#[test]
fn continued_login_text_is_joined() {
    let mut rig = Rig::new();
    let c = rig.connect(1);
    let all = encode(&[("InitiatorName", INITIATOR), ("TargetName", TARGET)]);
    let mut first = rig.login_req(OPER, FFP, &[]);
    first.data = all.clone();
    first.transit = false;
    rig.send(c, first);
    rig.recv(c);
    let more = encode(&[("MaxBurstLength", "65536"), ("FirstBurstLength", "4096")]);
    let (a, b) = more.split_at(10);
    let mut p1 = rig.login_req(OPER, FFP, &[]);
    p1.transit = false;
    p1.continue_bit = true;
    p1.data = bytes::Bytes::copy_from_slice(a);
    rig.send(c, p1);
    let r = recv_as!(rig, c, LoginResponse);
    assert!(r.data.is_empty());
    assert!(!r.transit);
    let mut p2 = rig.login_req(OPER, FFP, &[]);
    p2.data = bytes::Bytes::copy_from_slice(b);
    rig.send(c, p2);
    let r = recv_as!(rig, c, LoginResponse);
    assert_eq!(r.status, LoginStatus::Success);
    let pairs = rtgt_proto::text::decode(&r.data).unwrap();
    assert_eq!(get(&pairs, "MaxBurstLength"), Some("65536"));
    assert_eq!(get(&pairs, "FirstBurstLength"), Some("4096"));
}

#[test]
fn moved_target_redirects_with_its_address() {
    // RFC 7143 §11.13.5: status class 1 and a TargetAddress key; the
    // connection closes as after any failed login.
    for (permanent, want) in [
        (false, LoginStatus::TargetMovedTemporarily),
        (true, LoginStatus::TargetMovedPermanently),
    ] {
        let mut cfg = config();
        cfg.targets[0].redirect = Some(crate::Redirect {
            address: "192.0.2.7:3260,1".into(),
            permanent,
        });
        let mut rig = Rig::with(cfg);
        let c = rig.connect(1);
        let req = base(&rig);
        rig.send(c, req);
        rig.run();
        let rtgt_proto::pdu::Pdu::LoginResponse(r) = rig.recv(c) else {
            panic!("expected a Login Response");
        };
        assert_eq!(r.status, want);
        let keys = rtgt_proto::text::decode(&r.data).unwrap();
        assert_eq!(get(&keys, "TargetAddress"), Some("192.0.2.7:3260,1"));
        assert!(rig.closed(c));
    }
    // Another target of the portal group is served as before.
    let mut rig = Rig::new();
    let c = rig.connect(1);
    rig.login(c, &[]);
}
