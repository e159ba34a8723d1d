//! One complete session over the pair, both directions dumped: login with
//! mutual CHAP, a write with immediate data and an R2T, a read in several
//! Data-In, a ping, logout. Deterministic, so its snapshot is stable.

mod pair;

use bytes::Bytes;
use pair::*;
use rtgt_initiator::ChapConfig;
use rtgt_proto::chap::ChapAlgorithm;
use rtgt_proto::pdu::LogoutReason;
use rtgt_target::{AuthConfig, ChapAccount};

#[test]
fn complete_session_transcript() {
    let mut cfg = one_target();
    cfg.targets[0].auth = AuthConfig {
        incoming: vec![ChapAccount::new("host1-user", b"initiator-secret-16")],
        outgoing: Some(ChapAccount::new("disk0-user", b"target-secret-of-16")),
        algorithms: vec![ChapAlgorithm::Sha256],
    };
    let mut p = Pair::seeded(cfg, 2024);
    let mut chap = ChapConfig::one_way("host1-user", b"initiator-secret-16")
        .with_mutual(Some("disk0-user"), b"target-secret-of-16");
    chap.algorithms = vec![ChapAlgorithm::Sha256];
    let mut ini = normal_with(&[
        ("HeaderDigest", "CRC32C,None"),
        ("MaxRecvDataSegmentLength", "1024"),
        ("FirstBurstLength", "1024"),
        ("MaxBurstLength", "2048"),
    ])
    .with_chap(chap);
    ini.isid = None;
    let l = p.login(ini);
    p.clear_ua(l);
    p.write(l, 0, &pattern(4 * BS, 1));
    assert_eq!(p.read(l, 0, 4).as_ref(), pattern(4 * BS, 1).as_slice());
    let now = p.now();
    p.ini_mut(l).ping(now, Bytes::from_static(b"ping")).unwrap();
    p.run();
    let now = p.now();
    p.ini_mut(l)
        .logout(now, LogoutReason::CloseSession)
        .unwrap();
    p.run();
    assert!(p.link_closed(l));
    p.assert_clean();
    insta::assert_snapshot!(p.transcript_of(l));
}
