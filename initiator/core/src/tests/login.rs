//! Login paths: None, CHAP one-way and mutual with each algorithm, wrong
//! target CHAP_R, redirects, failure statuses, skipped security stage,
//! reinstatement, and a transcript snapshot.

use bytes::Bytes;
use rtgt_proto::chap::{self, ChapAlgorithm, ChapSecret};
use rtgt_proto::pdu::{Isid, IsidType, LoginStage, LoginStatus};
use rtgt_proto::text::{self, Pair};

use super::*;
use crate::{Auth, ChapConfig, CloseReason, Host, LoginError, Phase};

#[test]
fn login_none_reaches_full_feature() {
    let (ini, t) = logged_in(config(), target_keys());
    assert_eq!(ini.phase(), Phase::FullFeature);
    assert_eq!(ini.session().tsih, 0x0a0b);
    assert_eq!(ini.session().isid.t, IsidType::Random);
    let first = login_req(&t.log[0]);
    assert_eq!(first.csg, LoginStage::SecurityNegotiation);
    assert!(first.transit);
    let pairs = text::decode(&first.data).unwrap();
    assert!(pairs.contains(&Pair::new("AuthMethod", "None")));
    assert!(pairs.contains(&Pair::new("InitiatorName", "iqn.2024-01.test:ini")));
    let second = login_req(&t.log[1]);
    assert_eq!(second.csg, LoginStage::LoginOperationalNegotiation);
    assert_eq!(second.nsg, LoginStage::FullFeaturePhase);
    // The ExpStatSN acknowledges the first response.
    assert_eq!(second.exp_stat_sn, 101);
    assert_eq!(ini.connection().exp_stat_sn, Some(102));
}

#[test]
fn login_transcript_snapshot() {
    let (_ini, t) = logged_in(config(), target_keys());
    let dump: Vec<String> = t
        .transcript
        .iter()
        .map(|(from_target, p)| {
            let who = if *from_target { "target" } else { "initiator" };
            format!("== {who}\n{}", p.dump())
        })
        .collect();
    insta::assert_snapshot!(dump.join("\n----\n"));
}

#[test]
fn skip_security_and_reuse_isid() {
    let mut cfg = config();
    cfg.skip_security = true;
    let isid = Isid::from_bytes([0x80, 1, 2, 3, 0, 9]);
    cfg.isid = Some(isid);
    let (ini, t) = logged_in(cfg, target_keys());
    let first = login_req(&t.log[0]);
    assert_eq!(first.csg, LoginStage::LoginOperationalNegotiation);
    assert_eq!(first.isid, isid);
    assert_eq!(first.tsih, 0);
    assert_eq!(ini.session().isid, isid);
}

/// The target side of CHAP, scripted by hand.
fn chap_login(cfg: ChapConfig, target_alg: ChapAlgorithm, tamper_r: bool) -> Vec<Event> {
    let (mut ini, mut t, req) = start_login(config().with_chap(cfg.clone()), 3);
    // 1: AuthMethod.
    assert!(!req.transit);
    let pairs = text::decode(&req.data).unwrap();
    assert!(pairs.contains(&Pair::new("AuthMethod", "CHAP")));
    // 2: CHAP_A.
    let req = answer_security(&mut ini, &mut t, &req, &[Pair::new("AuthMethod", "CHAP")]);
    let pairs = text::decode(&req.data).unwrap();
    assert_eq!(
        pairs,
        vec![Pair::new(
            "CHAP_A",
            chap::encode_algorithm_list(&cfg.algorithms)
        )]
    );
    let challenge = [0x11u8; 16];
    // 3: CHAP_N/CHAP_R (and our challenge).
    let req = answer_security(
        &mut ini,
        &mut t,
        &req,
        &[
            Pair::new("CHAP_A", target_alg.code().to_string()),
            Pair::new("CHAP_I", "7"),
            Pair::new("CHAP_C", text::value::encode_hex(&challenge)),
        ],
    );
    assert!(req.transit);
    let pairs = text::decode(&req.data).unwrap();
    let get = |k: &str| pairs.iter().find(|p| p.key == k).map(|p| p.value.clone());
    assert_eq!(get("CHAP_N").as_deref(), Some(cfg.user.as_str()));
    let r = chap::parse_binary(&get("CHAP_R").unwrap()).unwrap();
    assert!(target_alg.verify(7, &cfg.secret, &challenge, &r));
    let mut answer = Vec::new();
    if let Some(m) = &cfg.mutual {
        let id = chap::parse_identifier(&get("CHAP_I").unwrap()).unwrap();
        let c = chap::parse_binary(&get("CHAP_C").unwrap()).unwrap();
        let secret = if tamper_r {
            ChapSecret::new(b"wrong secret!!".to_vec())
        } else {
            m.target_secret.clone()
        };
        let resp = target_alg.response(id, &secret, &c);
        answer.push(Pair::new("CHAP_N", "target-user"));
        answer.push(Pair::new("CHAP_R", chap::encode_response(&resp)));
    }
    t.send(
        &mut ini,
        login_rsp(&req, true, LoginStage::LoginOperationalNegotiation, &answer),
    );
    if ini.phase() == Phase::Login {
        run_login(&mut ini, &mut t, target_keys());
    }
    events(&mut ini)
}

#[test]
fn chap_one_way_each_algorithm() {
    for alg in ChapAlgorithm::ALL {
        let mut cfg = ChapConfig::one_way("user", b"secret-12345");
        cfg.algorithms = vec![alg];
        let ev = chap_login(cfg, alg, false);
        assert!(
            matches!(ev.last(), Some(Event::LoginComplete { .. })),
            "{alg:?}: {ev:#?}"
        );
    }
    // Offered as a list, the target picks one of them.
    let ev = chap_login(
        ChapConfig::one_way("user", b"secret-12345"),
        ChapAlgorithm::Sha1,
        false,
    );
    assert!(matches!(ev.last(), Some(Event::LoginComplete { .. })));
}

#[test]
fn chap_mutual_each_algorithm() {
    for alg in ChapAlgorithm::ALL {
        let cfg = ChapConfig::one_way("user", b"secret-12345")
            .with_mutual(Some("target-user"), b"tsecret-12345");
        let ev = chap_login(cfg, alg, false);
        assert!(
            matches!(ev.last(), Some(Event::LoginComplete { .. })),
            "{alg:?}: {ev:#?}"
        );
    }
}

#[test]
fn chap_mutual_wrong_target_response() {
    let cfg = ChapConfig::one_way("user", b"secret-12345").with_mutual(None, b"tsecret-12345");
    let ev = chap_login(cfg, ChapAlgorithm::Md5, true);
    assert!(
        matches!(
            &ev[0],
            Event::LoginFailed(LoginError::TargetAuthFailed { .. })
        ),
        "{ev:#?}"
    );
    assert_eq!(ev.last(), Some(&Event::Closed(CloseReason::LoginFailed)));
}

#[test]
fn chap_algorithm_not_offered_is_a_violation() {
    let mut cfg = ChapConfig::one_way("user", b"secret-12345");
    cfg.algorithms = vec![ChapAlgorithm::Sha256];
    let mut ini = chap_challenged(
        config().with_chap(cfg),
        3,
        &[
            Pair::new("CHAP_A", "5"),
            Pair::new("CHAP_I", "1"),
            Pair::new("CHAP_C", "0x0102"),
        ],
    );
    let ev = events(&mut ini);
    assert!(
        matches!(&ev[0], Event::Violation(v) if v.kind == crate::ViolationKind::Chap && v.clause == "RFC 7143 §12.1.3"),
        "{ev:#?}"
    );
    assert_eq!(ini.phase(), Phase::Closed);
}

#[test]
fn redirect_is_reported_with_its_address() {
    for (status, permanent) in [
        (LoginStatus::TargetMovedTemporarily, false),
        (LoginStatus::TargetMovedPermanently, true),
    ] {
        let (mut ini, mut t, req) = start_login(config(), 1);
        let mut rsp = login_rsp(
            &req,
            false,
            LoginStage::SecurityNegotiation,
            &[Pair::new("TargetAddress", "[2001:db8::5]:3261,4")],
        );
        rsp.status = status;
        t.send(&mut ini, rsp);
        let ev = events(&mut ini);
        let Event::Redirected {
            permanent: p,
            address,
        } = &ev[0]
        else {
            panic!("{ev:#?}")
        };
        assert_eq!(*p, permanent);
        assert_eq!(address.host, Host::Ipv6("2001:db8::5".parse().unwrap()));
        assert_eq!((address.port, address.portal_group_tag), (3261, Some(4)));
        assert_eq!(ev[1], Event::Closed(CloseReason::Redirected));
    }
}

#[test]
fn every_failure_status_is_typed() {
    for raw in [
        0x0200u16, 0x0201, 0x0202, 0x0203, 0x0204, 0x0205, 0x0206, 0x0207, 0x0208, 0x0209, 0x020a,
        0x020b, 0x0300, 0x0301, 0x0302,
    ] {
        let (mut ini, mut t, req) = start_login(config(), 1);
        let mut rsp = login_rsp(&req, false, LoginStage::SecurityNegotiation, &[]);
        rsp.status = LoginStatus::from_raw(raw);
        t.send(&mut ini, rsp);
        let ev = events(&mut ini);
        let Event::LoginFailed(e) = &ev[0] else {
            panic!("{raw:#x}: {ev:#?}")
        };
        assert_eq!(e.status(), Some(LoginStatus::from_raw(raw)));
        assert_eq!(ev[1], Event::Closed(CloseReason::LoginFailed));
    }
}

#[test]
fn target_text_continuation_is_followed() {
    let (mut ini, mut t, req) = start_login(config(), 1);
    // AuthMethod=None split over two responses with C=1.
    let mut a = login_rsp(&req, false, LoginStage::SecurityNegotiation, &[]);
    a.continue_bit = true;
    a.data = Bytes::from_static(b"AuthMeth");
    t.send(&mut ini, a);
    let again = login_req(&t.recv(&mut ini)[0]);
    assert!(again.data.is_empty());
    let mut b = login_rsp(&again, true, LoginStage::LoginOperationalNegotiation, &[]);
    b.data = Bytes::from_static(b"od=None\0");
    t.send(&mut ini, b);
    run_login(&mut ini, &mut t, target_keys());
    let ev = events(&mut ini);
    assert!(
        matches!(ev.last(), Some(Event::LoginComplete { .. })),
        "{ev:#?}"
    );
}

#[test]
fn login_timeout() {
    let mut ini = Initiator::new(config(), SeededRandom::new(1));
    let t = Target::new();
    ini.login(t.now).unwrap();
    let deadline = ini.poll_timeout().unwrap();
    ini.handle_timeout(deadline);
    let ev = events(&mut ini);
    assert_eq!(ev[0], Event::LoginFailed(LoginError::Timeout));
}

#[test]
fn auth_config_defaults() {
    assert_eq!(config().auth, Auth::None);
}
