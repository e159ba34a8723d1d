//! CHAP (RFC 7143 §12.1.3): one-way and mutual, every algorithm, wrong
//! secrets, reflected challenges.

use rtgt_proto::chap::{self, ChapAlgorithm, ChapSecret};
use rtgt_proto::pdu::{LoginStage, LoginStatus};
use rtgt_proto::text::{self, Pair};

use super::harness::*;
use crate::{AuthConfig, ChapAccount, ConnId};

const SEC: LoginStage = LoginStage::SecurityNegotiation;
const OPER: LoginStage = LoginStage::LoginOperationalNegotiation;
const FFP: LoginStage = LoginStage::FullFeaturePhase;

fn rig_with_chap(mutual: bool) -> Rig {
    let mut cfg = config();
    cfg.targets[0].auth = AuthConfig {
        incoming: vec![
            ChapAccount::new("other", b"another-secret-1"),
            ChapAccount::new("host1", b"initiator-secret"),
        ],
        outgoing: mutual.then(|| ChapAccount::new("t0", b"target-secret-01")),
        algorithms: Vec::new(),
    };
    Rig::with(cfg)
}

/// One security request; gives the response status and pairs.
fn step(
    rig: &mut Rig,
    c: ConnId,
    transit: bool,
    keys: &[(&str, &str)],
) -> (LoginStatus, bool, Vec<Pair>) {
    let mut req = rig.login_req(SEC, OPER, keys);
    req.transit = transit;
    rig.send(c, req);
    let r = recv_as!(rig, c, LoginResponse);
    (
        r.status,
        r.transit,
        text::decode(&r.data).unwrap_or_default(),
    )
}

/// The first security request, offering AuthMethod=CHAP only.
fn offer_chap(rig: &mut Rig, c: ConnId) {
    let keys = [
        ("InitiatorName", INITIATOR),
        ("TargetName", TARGET),
        ("AuthMethod", "CHAP"),
    ];
    step(rig, c, false, &keys);
}

/// Runs CHAP up to the response; `mutual` is our challenge, if any.
fn chap(
    rig: &mut Rig,
    c: ConnId,
    alg: ChapAlgorithm,
    secret: &[u8],
    mutual: Option<&[u8]>,
) -> (LoginStatus, Vec<Pair>) {
    let (s, t, p) = step(
        rig,
        c,
        false,
        &[
            ("InitiatorName", INITIATOR),
            ("TargetName", TARGET),
            ("AuthMethod", "CHAP,None"),
        ],
    );
    assert_eq!((s, t), (LoginStatus::Success, false));
    assert_eq!(get(&p, "AuthMethod"), Some("CHAP"));
    let code = alg.code().to_string();
    let (s, _, p) = step(rig, c, false, &[("CHAP_A", &code)]);
    assert_eq!(s, LoginStatus::Success);
    assert_eq!(get(&p, "CHAP_A"), Some(code.as_str()));
    let id = chap::parse_identifier(get(&p, "CHAP_I").unwrap()).unwrap();
    let challenge = chap::parse_binary(get(&p, "CHAP_C").unwrap()).unwrap();
    let resp = alg.response(id, &ChapSecret::new(secret.to_vec()), &challenge);
    let r = chap::encode_response(&resp);
    let mut keys = vec![("CHAP_N", "host1"), ("CHAP_R", r.as_str())];
    let hex;
    if let Some(m) = mutual {
        hex = rtgt_proto::text::value::encode_hex(m);
        keys.push(("CHAP_I", "7"));
        keys.push(("CHAP_C", hex.as_str()));
    }
    let (s, _, p) = step(rig, c, true, &keys);
    (s, p)
}

/// CHAP on a new connection of a new rig whose target has no account for
/// mutual CHAP; gives the rig, the connection and the status.
fn chap_new(
    alg: ChapAlgorithm,
    secret: &[u8],
    mutual: Option<&[u8]>,
) -> (Rig, ConnId, LoginStatus) {
    let mut rig = rig_with_chap(false);
    let c = rig.connect(1);
    let (s, _) = chap(&mut rig, c, alg, secret, mutual);
    (rig, c, s)
}

#[test]
fn one_way_chap_with_every_algorithm() {
    for alg in ChapAlgorithm::ALL {
        let mut rig = rig_with_chap(false);
        let c = rig.connect(1);
        let (s, _) = chap(&mut rig, c, alg, b"initiator-secret", None);
        assert_eq!(s, LoginStatus::Success, "{alg:?}");
        let req = rig.login_req(OPER, FFP, &[]);
        rig.send(c, req);
        let r = recv_as!(rig, c, LoginResponse);
        assert_eq!(r.status, LoginStatus::Success);
        assert_ne!(r.tsih, 0);
    }
}

#[test]
fn mutual_chap_with_every_algorithm() {
    for alg in ChapAlgorithm::ALL {
        let mut rig = rig_with_chap(true);
        let c = rig.connect(1);
        let ours = [0x5au8; 16];
        let (s, p) = chap(&mut rig, c, alg, b"initiator-secret", Some(&ours));
        assert_eq!(s, LoginStatus::Success, "{alg:?}");
        assert_eq!(get(&p, "CHAP_N"), Some("t0"));
        let r = chap::parse_binary(get(&p, "CHAP_R").unwrap()).unwrap();
        assert!(alg.verify(7, &ChapSecret::new(b"target-secret-01".to_vec()), &ours, &r));
    }
}

#[test]
fn wrong_secret_is_0201() {
    let (rig, c, s) = chap_new(ChapAlgorithm::Sha256, b"wrong-secret-000", None);
    assert_eq!(s, LoginStatus::AuthenticationFailure);
    assert!(rig.closed(c));
}

#[test]
fn mutual_without_outgoing_account_is_0201() {
    let (_, _, s) = chap_new(ChapAlgorithm::Md5, b"initiator-secret", Some(&[1u8; 16]));
    assert_eq!(s, LoginStatus::AuthenticationFailure);
}

#[test]
fn reflected_challenge_is_refused() {
    let mut rig = rig_with_chap(true);
    let c = rig.connect(1);
    offer_chap(&mut rig, c);
    let (_, _, p) = step(&mut rig, c, false, &[("CHAP_A", "5")]);
    let id = chap::parse_identifier(get(&p, "CHAP_I").unwrap()).unwrap();
    let cc = get(&p, "CHAP_C").unwrap().to_string();
    let challenge = chap::parse_binary(&cc).unwrap();
    let r = chap::encode_response(&ChapAlgorithm::Md5.response(
        id,
        &ChapSecret::new(b"initiator-secret".to_vec()),
        &challenge,
    ));
    let (s, _, _) = step(
        &mut rig,
        c,
        true,
        &[
            ("CHAP_N", "host1"),
            ("CHAP_R", &r),
            ("CHAP_I", "1"),
            ("CHAP_C", &cc),
        ],
    );
    assert_eq!(s, LoginStatus::AuthenticationFailure);
}

#[test]
fn unsupported_algorithm_is_0201() {
    let mut cfg = config();
    cfg.targets[0].auth = AuthConfig {
        incoming: vec![ChapAccount::new("host1", b"initiator-secret")],
        outgoing: None,
        algorithms: vec![ChapAlgorithm::Sha256],
    };
    let mut rig = Rig::with(cfg);
    let c = rig.connect(1);
    offer_chap(&mut rig, c);
    let (s, _, _) = step(&mut rig, c, false, &[("CHAP_A", "5,6")]);
    assert_eq!(s, LoginStatus::AuthenticationFailure);
}

#[test]
fn skipping_required_chap_is_0201() {
    let mut rig = rig_with_chap(false);
    let c = rig.connect(1);
    let req = rig.login_req(
        OPER,
        FFP,
        &[("InitiatorName", INITIATOR), ("TargetName", TARGET)],
    );
    assert_eq!(rig.login_status(c, req), LoginStatus::AuthenticationFailure);
    let c = rig.connect(2);
    let (s, _, _) = step(
        &mut rig,
        c,
        true,
        &[
            ("InitiatorName", INITIATOR),
            ("TargetName", TARGET),
            ("AuthMethod", "None"),
        ],
    );
    assert_eq!(s, LoginStatus::AuthenticationFailure);
}

#[test]
fn discovery_chap_uses_the_discovery_accounts() {
    let mut cfg = config();
    cfg.discovery_auth.incoming = vec![ChapAccount::new("host1", b"discovery-secret")];
    let mut rig = Rig::with(cfg);
    let c = rig.connect(1);
    let (s, _, _) = step(
        &mut rig,
        c,
        false,
        &[
            ("InitiatorName", INITIATOR),
            ("SessionType", "Discovery"),
            ("AuthMethod", "CHAP"),
        ],
    );
    assert_eq!(s, LoginStatus::Success);
    let (_, _, p) = step(&mut rig, c, false, &[("CHAP_A", "7")]);
    let id = chap::parse_identifier(get(&p, "CHAP_I").unwrap()).unwrap();
    let ch = chap::parse_binary(get(&p, "CHAP_C").unwrap()).unwrap();
    let r = chap::encode_response(&ChapAlgorithm::Sha256.response(
        id,
        &ChapSecret::new(b"discovery-secret".to_vec()),
        &ch,
    ));
    let (s, t, _) = step(&mut rig, c, true, &[("CHAP_N", "host1"), ("CHAP_R", &r)]);
    assert_eq!((s, t), (LoginStatus::Success, true));
}
