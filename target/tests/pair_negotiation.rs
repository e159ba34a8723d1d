//! Discovery and negotiation outcomes over the pair (RFC 7143 §13,
//! Appendix C): SendTargets with ACL filtering and continuation, digests
//! each way, burst lengths, unusual values.

mod pair;

use pair::*;
use rtgt_initiator::{Event as IEvent, InitiatorConfig, SendTargets};
use rtgt_proto::pdu::{Digests, Opcode};
use rtgt_proto::text::DigestKind;

fn discover(p: &mut Pair, cfg: InitiatorConfig) -> (usize, Vec<String>) {
    let l = p.login(cfg);
    let now = p.now();
    let t = p.ini_mut(l).send_targets(now, SendTargets::All).unwrap();
    p.run();
    let names = p
        .events(l)
        .iter()
        .find_map(|e| match e {
            IEvent::Discovery { task, targets } if *task == t => {
                Some(targets.iter().map(|d| d.name.clone()).collect())
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no discovery answer: {:#?}", p.events(l)));
    (l, names)
}

#[test]
fn send_targets_lists_every_target_with_its_portal() {
    let mut p = Pair::new(two_targets());
    let (l, names) = discover(&mut p, InitiatorConfig::discovery(INITIATOR));
    assert_eq!(names, [TARGET, TARGET2]);
    let addrs = p.events(l).iter().find_map(|e| match e {
        IEvent::Discovery { targets, .. } => Some(targets[0].addresses.clone()),
        _ => None,
    });
    assert_eq!(addrs.map(|a| a.len()), Some(1));
    p.assert_clean();
}

#[test]
fn send_targets_hides_targets_the_acl_refuses() {
    let mut cfg = two_targets();
    cfg.targets[1].allowed_initiators = vec![INITIATOR2.into()];
    let mut p = Pair::new(cfg);
    let (_, names) = discover(&mut p, InitiatorConfig::discovery(INITIATOR));
    assert_eq!(names, [TARGET]);
    let (_, names) = discover(&mut p, InitiatorConfig::discovery(INITIATOR2));
    assert_eq!(names, [TARGET, TARGET2]);
    p.assert_clean();
}

#[test]
fn send_targets_continues_past_a_small_max_recv_data_segment_length() {
    let mut cfg = one_target();
    for i in 0..40 {
        cfg.targets.push(target(
            &format!("iqn.2024-01.org.rtgt:many-disks-{i:03}"),
            10 + i,
        ));
    }
    let mut p = Pair::new(cfg);
    let mut ini = InitiatorConfig::discovery(INITIATOR);
    ini.keys.set("MaxRecvDataSegmentLength", "512");
    let m = p.mark();
    let (l, names) = discover(&mut p, ini);
    assert_eq!(names.len(), 41);
    assert_eq!(names[40], "iqn.2024-01.org.rtgt:many-disks-039");
    let rsp = p.count_since(m, l, Dir::ToInitiator, Opcode::TextResponse);
    assert!(
        rsp > 4,
        "{rsp} Text Responses for ~2.8 KiB at 512 bytes each"
    );
    assert!(p
        .pdus_since(m, l, Dir::ToInitiator)
        .iter()
        .all(|pdu| pdu.to_raw().data.len() <= 512));
    p.assert_clean();
}

#[test]
fn discovery_session_refuses_scsi() {
    let mut p = Pair::new(one_target());
    let l = p.login(InitiatorConfig::discovery(INITIATOR));
    let now = p.now();
    assert!(p.ini_mut(l).submit(now, read_req(0, 1)).is_err());
}

#[test]
fn digests_negotiate_each_way() {
    // (initiator's offer, target's acceptance) -> outcome.
    let cases = [
        (
            "CRC32C,None",
            vec![DigestKind::None, DigestKind::Crc32c],
            true,
        ),
        (
            "None,CRC32C",
            vec![DigestKind::None, DigestKind::Crc32c],
            false,
        ),
        ("CRC32C", vec![DigestKind::Crc32c], true),
        ("CRC32C,None", vec![DigestKind::None], false),
        ("None", vec![DigestKind::Crc32c, DigestKind::None], false),
    ];
    for (offer, accepted, on) in cases {
        for header in [true, false] {
            let mut cfg = one_target();
            if header {
                cfg.targets[0].session.header_digests = accepted.clone();
            } else {
                cfg.targets[0].session.data_digests = accepted.clone();
            }
            let mut p = Pair::new(cfg);
            let key = if header { "HeaderDigest" } else { "DataDigest" };
            let l = p.login(normal_with(&[(key, offer)]));
            let want = Digests {
                header: header && on,
                data: !header && on,
            };
            assert_eq!(
                p.ini(l).digests(),
                want,
                "{key}={offer} against {accepted:?}"
            );
            assert_eq!(p.ini(l).connection().receive_digests(), want);
            p.clear_ua(l);
            p.write_read_back(l, 0, 4, 1);
            p.assert_clean();
        }
    }
}

#[test]
fn burst_lengths_take_the_minimum() {
    let mut cfg = one_target();
    cfg.targets[0].session.max_burst_length = 65536;
    cfg.targets[0].session.first_burst_length = 16384;
    cfg.targets[0].session.initial_r2t = false;
    let mut p = Pair::new(cfg);
    let l = p.login(normal_with(&[
        ("MaxBurstLength", "131072"),
        ("FirstBurstLength", "8192"),
        ("InitialR2T", "No"),
    ]));
    let params = p.params(l);
    assert_eq!(params.max_burst_length, 65536);
    assert_eq!(params.first_burst_length, 8192);
    assert!(!params.initial_r2t);
    p.clear_ua(l);
    let d = pattern(256 << 10, 3);
    p.write(l, 0, &d);
    assert_eq!(p.read(l, 0, 512).as_ref(), d.as_slice());
    p.assert_clean();
}

#[test]
fn unusual_but_legal_values_work() {
    for keys in [
        // The smallest segments and bursts RFC 7143 §13.12-§13.14 allow.
        vec![
            ("MaxRecvDataSegmentLength", "512"),
            ("MaxBurstLength", "512"),
            ("FirstBurstLength", "512"),
        ],
        // The largest.
        vec![
            ("MaxRecvDataSegmentLength", "16777215"),
            ("MaxBurstLength", "16777215"),
            ("FirstBurstLength", "16777215"),
            ("MaxOutstandingR2T", "65535"),
        ],
        // Every default spelled out, plus keys the target may not know.
        vec![
            ("DefaultTime2Wait", "0"),
            ("DefaultTime2Retain", "0"),
            ("X-org.rtgt.unknown", "whatever"),
        ],
    ] {
        let mut p = Pair::new(one_target());
        let l = p.login(normal_with(&keys));
        p.clear_ua(l);
        let d = pattern(9 * BS, 7);
        p.write(l, 5, &d);
        assert_eq!(p.read(l, 5, 9).as_ref(), d.as_slice(), "{keys:?}");
        p.assert_clean();
    }
}

#[test]
fn out_of_range_value_is_rejected_and_the_default_holds() {
    // RFC 7143 §6.2.1: a value outside the key's range is answered Reject;
    // the key keeps its default (§13.13: 262144).
    let mut p = Pair::new(one_target());
    let l = p.login(normal_with(&[("MaxBurstLength", "16777216")]));
    let rejected = p.events(l).iter().any(|e| {
        matches!(e,
        IEvent::LoginComplete { target_keys, .. }
            if target_keys.iter().any(|k| k.key == "MaxBurstLength" && k.value == "Reject"))
    });
    assert!(rejected);
    assert_eq!(p.params(l).max_burst_length, 262_144);
    p.clear_ua(l);
    let d = pattern(1 << 20, 2);
    p.write(l, 0, &d);
    assert_eq!(p.read(l, 0, 2048).as_ref(), d.as_slice());
    p.assert_clean();
}
