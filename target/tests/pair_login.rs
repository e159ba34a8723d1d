//! Login over the pair: AuthMethod=None, CHAP one-way and mutual with every
//! algorithm, wrong secrets, unknown targets, ACLs, reinstatement and added
//! connections (RFC 7143 §6, §12.1.3).

mod pair;

use pair::*;
use rtgt_initiator::{ChapConfig, Event as IEvent, InitiatorConfig, LoginError, Phase};
use rtgt_proto::chap::ChapAlgorithm;
use rtgt_proto::pdu::LoginStatus;
use rtgt_target::{AuthConfig, ChapAccount, CloseReason, Event as TEvent, PortalGroupConfig};

const USER: &str = "host1-user";
const SECRET: &[u8] = b"initiator-secret-16";
const TUSER: &str = "disk0-user";
const TSECRET: &[u8] = b"target-secret-of-16";

fn chap_target(mutual: bool, algorithms: &[ChapAlgorithm]) -> PortalGroupConfig {
    let mut cfg = one_target();
    cfg.targets[0].auth = AuthConfig {
        incoming: vec![ChapAccount::new(USER, SECRET)],
        outgoing: mutual.then(|| ChapAccount::new(TUSER, TSECRET)),
        algorithms: algorithms.to_vec(),
    };
    cfg
}

fn chap_ini(algs: &[ChapAlgorithm], mutual: bool) -> InitiatorConfig {
    let mut chap = ChapConfig::one_way(USER, SECRET);
    chap.algorithms = algs.to_vec();
    if mutual {
        chap = chap.with_mutual(Some(TUSER), TSECRET);
    }
    normal().with_chap(chap)
}

fn target_key(p: &Pair, l: usize, key: &str) -> Option<String> {
    p.events(l).iter().find_map(|e| match e {
        IEvent::LoginComplete { target_keys, .. } => target_keys
            .iter()
            .find(|k| k.key == key)
            .map(|k| k.value.clone()),
        _ => None,
    })
}

#[test]
fn auth_none_reaches_full_feature_on_both_sides() {
    let mut p = Pair::new(one_target());
    let l = p.login(normal());
    assert!(p.target_saw(|e| matches!(e,
        TEvent::SessionCreated { initiator, target: Some(t), .. }
            if initiator == INITIATOR && t == TARGET)));
    assert_eq!(p.target.session_count(), 1);
    let tsih = p.ini(l).session().tsih;
    assert_ne!(
        tsih, 0,
        "RFC 7143 §11.13.4: the final response carries a TSIH"
    );
    p.clear_ua(l);
    p.assert_clean();
}

#[test]
fn one_way_chap_with_each_algorithm() {
    for alg in ChapAlgorithm::ALL {
        let mut p = Pair::new(chap_target(false, &[alg]));
        let l = p.login(chap_ini(&[alg], false));
        assert_eq!(
            target_key(&p, l, "CHAP_A"),
            Some(alg.code().to_string()),
            "{alg:?}"
        );
        p.assert_clean();
    }
}

#[test]
fn mutual_chap_with_each_algorithm() {
    for alg in ChapAlgorithm::ALL {
        let mut p = Pair::new(chap_target(true, &[alg]));
        let l = p.login(chap_ini(&[alg], true));
        assert_eq!(
            target_key(&p, l, "CHAP_N").as_deref(),
            Some(TUSER),
            "{alg:?}"
        );
        p.assert_clean();
    }
}

#[test]
fn chap_algorithm_lists_meet_on_the_first_common_one() {
    // RFC 7143 §12.1.3: the target picks from the initiator's list, in the
    // initiator's order, one it supports.
    let cases = [
        (
            vec![ChapAlgorithm::Md5, ChapAlgorithm::Sha256],
            vec![],
            ChapAlgorithm::Md5,
        ),
        (
            vec![
                ChapAlgorithm::Sha3_256,
                ChapAlgorithm::Sha1,
                ChapAlgorithm::Md5,
            ],
            vec![ChapAlgorithm::Sha1, ChapAlgorithm::Md5],
            ChapAlgorithm::Sha1,
        ),
        (
            ChapAlgorithm::ALL.to_vec(),
            vec![ChapAlgorithm::Sha256],
            ChapAlgorithm::Sha256,
        ),
    ];
    for (offer, accepted, picked) in cases {
        let mut p = Pair::new(chap_target(true, &accepted));
        let l = p.login(chap_ini(&offer, true));
        assert_eq!(target_key(&p, l, "CHAP_A"), Some(picked.code().to_string()));
        p.assert_clean();
    }
}

/// A CHAP login offering `offered` (asking for mutual CHAP if `mutual`) to
/// a one-way CHAP target allowing `allowed` is an authentication failure,
/// the target's LoginFailed event saying `why`; no session starts.
fn chap_refused(allowed: &[ChapAlgorithm], offered: &[ChapAlgorithm], mutual: bool, why: &str) {
    let mut p = Pair::new(chap_target(false, allowed));
    let l = p.start_login(chap_ini(offered, mutual));
    assert_eq!(p.login_error(l), LoginError::AuthenticationFailure);
    assert!(p.target_saw(|e| matches!(e, TEvent::LoginFailed { why: w, .. } if w.contains(why))));
    assert_eq!(p.target.session_count(), 0);
}

#[test]
fn no_common_chap_algorithm_fails_the_login() {
    chap_refused(
        &[ChapAlgorithm::Sha256],
        &[ChapAlgorithm::Md5],
        false,
        "algorithm",
    );
}

#[test]
fn wrong_initiator_secret_is_an_authentication_failure() {
    let mut p = Pair::new(chap_target(false, &[]));
    let mut cfg = chap_ini(&ChapAlgorithm::ALL, false);
    if let rtgt_initiator::Auth::Chap(c) = &mut cfg.auth {
        c.secret = rtgt_proto::chap::ChapSecret::new(b"not-the-secret-16b".to_vec());
    }
    let l = p.start_login(cfg);
    assert_eq!(p.login_error(l), LoginError::AuthenticationFailure);
    assert!(p.target_saw(|e| matches!(
        e,
        TEvent::LoginFailed {
            status: LoginStatus::AuthenticationFailure,
            ..
        }
    )));
    assert!(p.link_closed(l));
    assert_eq!(p.target.session_count(), 0);
    assert!(p.violations().is_empty());
}

#[test]
fn unknown_chap_user_is_an_authentication_failure() {
    let mut p = Pair::new(chap_target(false, &[]));
    let mut chap = ChapConfig::one_way("someone-else", SECRET);
    chap.algorithms = vec![ChapAlgorithm::Sha256];
    let l = p.start_login(normal().with_chap(chap));
    assert_eq!(p.login_error(l), LoginError::AuthenticationFailure);
}

#[test]
fn wrong_target_secret_fails_mutual_chap_at_the_initiator() {
    let mut p = Pair::new(chap_target(true, &[]));
    let mut chap =
        ChapConfig::one_way(USER, SECRET).with_mutual(Some(TUSER), b"other-target-secret");
    chap.algorithms = vec![ChapAlgorithm::Sha256];
    let l = p.start_login(normal().with_chap(chap));
    assert!(
        matches!(p.login_error(l), LoginError::TargetAuthFailed { .. }),
        "{:#?}",
        p.events(l)
    );
    assert!(p.link_closed(l));
    assert_eq!(
        p.target.session_count(),
        0,
        "the target's session never started"
    );
}

#[test]
fn mutual_chap_against_a_target_without_an_outgoing_account_fails() {
    chap_refused(&[], &[ChapAlgorithm::Sha1], true, "mutual");
}

#[test]
fn auth_none_against_a_chap_target_is_refused() {
    let mut p = Pair::new(chap_target(false, &[]));
    let l = p.start_login(normal());
    assert_eq!(p.login_error(l), LoginError::AuthenticationFailure);
    assert!(p.link_closed(l));
    assert_eq!(p.target.session_count(), 0);
}

#[test]
fn unknown_target_is_not_found() {
    let mut p = Pair::new(one_target());
    let l = p.start_login(InitiatorConfig::normal(
        INITIATOR,
        "iqn.2024-01.org.rtgt:nope",
    ));
    assert_eq!(p.login_error(l), LoginError::NotFound);
    assert!(p.target_saw(|e| matches!(
        e,
        TEvent::LoginFailed {
            status: LoginStatus::NotFound,
            ..
        }
    )));
    assert!(p.target_saw(|e| matches!(
        e,
        TEvent::Close {
            reason: CloseReason::LoginFailed(LoginStatus::NotFound),
            ..
        }
    )));
    assert!(p.link_closed(l));
    assert!(p.violations().is_empty());
}

#[test]
fn acl_admits_only_listed_initiator_names() {
    let mut cfg = one_target();
    cfg.targets[0].allowed_initiators = vec![INITIATOR2.to_string()];
    let mut p = Pair::new(cfg);
    let l = p.start_login(normal());
    assert_eq!(p.login_error(l), LoginError::AuthorizationFailure);
    let ok = p.login(InitiatorConfig::normal(INITIATOR2, TARGET));
    p.clear_ua(ok);
    assert_eq!(p.target.session_count(), 1);
    assert!(p.violations().is_empty());
}

#[test]
fn same_isid_reinstates_the_session() {
    // RFC 7143 §6.3.5: a login with the ISID of an existing session and
    // TSIH 0 ends the old session.
    let mut p = Pair::new(one_target());
    let a = p.login(normal());
    let isid = p.ini(a).session().isid;
    let old_tsih = p.ini(a).session().tsih;
    let mut cfg = normal();
    cfg.isid = Some(isid);
    let b = p.login(cfg);
    assert_ne!(p.ini(b).session().tsih, old_tsih);
    assert!(p.link_closed(a), "the old connection is closed");
    assert_eq!(p.ini(a).phase(), Phase::Closed);
    let ended =
        p.target_saw(|e| matches!(e, TEvent::SessionEnded { tsih, .. } if *tsih == old_tsih));
    assert!(ended);
    assert_eq!(p.target.session_count(), 1);
    p.clear_ua(b);
    p.write(b, 0, &pattern(512, 1));
    assert_eq!(p.read(b, 0, 1).as_ref(), pattern(512, 1).as_slice());
    p.assert_clean();
}

#[test]
fn different_isid_makes_a_second_session() {
    let mut p = Pair::new(one_target());
    let a = p.login(normal());
    let b = p.login(normal());
    assert_ne!(p.ini(a).session().isid, p.ini(b).session().isid);
    assert_eq!(p.target.session_count(), 2);
    p.clear_ua(a);
    p.clear_ua(b);
    p.assert_clean();
}

#[test]
fn second_connection_joins_when_max_connections_allows() {
    let mut cfg = one_target();
    cfg.targets[0].session.max_connections = 2;
    let mut p = Pair::new(cfg);
    let a = p.login(normal_with(&[("MaxConnections", "2")]));
    assert_eq!(p.params(a).max_connections, 2);
    p.clear_ua(a);
    let s = p.ini(a).session().clone();
    let mut cfg = normal_with(&[("MaxConnections", "2")]);
    cfg.isid = Some(s.isid);
    cfg.tsih = s.tsih;
    cfg.cid = 1;
    cfg.initial_cmd_sn = s.cmd_sn;
    let b = p.login(cfg);
    assert!(p.target_saw(|e| matches!(e,
        TEvent::ConnectionAdded { tsih, cid: 1, .. } if *tsih == s.tsih)));
    assert_eq!(p.target.session_count(), 1);
    p.write(b, 8, &pattern(1024, 3));
    assert_eq!(p.read(b, 8, 2).as_ref(), pattern(1024, 3).as_slice());
    p.assert_clean();
}

#[test]
fn second_connection_is_refused_at_max_connections_one() {
    let mut p = Pair::new(one_target());
    let a = p.login(normal());
    let s = p.ini(a).session().clone();
    let mut cfg = normal();
    cfg.isid = Some(s.isid);
    cfg.tsih = s.tsih;
    cfg.cid = 1;
    cfg.initial_cmd_sn = s.cmd_sn;
    let b = p.start_login(cfg);
    assert_eq!(p.login_error(b), LoginError::TooManyConnections);
    assert_eq!(
        p.ini(a).phase(),
        Phase::FullFeature,
        "the first connection lives on"
    );
}

#[test]
fn unknown_tsih_is_session_does_not_exist() {
    let mut p = Pair::new(one_target());
    let mut cfg = normal();
    cfg.tsih = 0x7777;
    let l = p.start_login(cfg);
    assert_eq!(p.login_error(l), LoginError::SessionDoesNotExist);
}
