//! Negotiation outcome tables, one per key kind (RFC 7143 §6.2, §13).

use rtgt_proto::text::{LocalConfig, NegotiationError, Negotiator, Pair, Role, Stage};

/// A target in operational stage with the RFC defaults plus `ours`.
fn target(ours: &[(&str, &str)]) -> Negotiator {
    let mut c = LocalConfig::rfc_defaults();
    for (k, v) in ours {
        c.set(k, v);
    }
    Negotiator::new(Role::Target, Stage::Operational, c)
}

/// The target's answer to one offer, as `key=value` or "" for no answer.
fn answer(n: &mut Negotiator, key: &str, offer: &str) -> String {
    let out = n.handle(&[Pair::new(key, offer)]).unwrap();
    out.responses
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Asserts the target's answer to each offer in turn: (key, offer, answer).
fn answers(n: &mut Negotiator, cases: &[(&str, &str, &str)]) {
    for (key, offer, expected) in cases {
        assert_eq!(answer(n, key, offer), *expected, "{key}={offer}");
    }
}

struct Case {
    key: &'static str,
    ours: &'static str,
    offer: &'static str,
    response: &'static str,
    /// The outcome recorded (None: the key keeps its default).
    result: Option<&'static str>,
}

const fn case(
    key: &'static str,
    ours: &'static str,
    offer: &'static str,
    response: &'static str,
    result: Option<&'static str>,
) -> Case {
    Case {
        key,
        ours,
        offer,
        response,
        result,
    }
}

#[rustfmt::skip]
const ANSWERS: &[Case] = &[
    // §6.2.1 list: the first offered value we support, else Reject.
    case("HeaderDigest", "CRC32C,None", "CRC32C,None", "HeaderDigest=CRC32C", Some("CRC32C")),
    case("HeaderDigest", "None,CRC32C", "CRC32C,None", "HeaderDigest=CRC32C", Some("CRC32C")),
    case("HeaderDigest", "None", "CRC32C,None", "HeaderDigest=None", Some("None")),
    case("DataDigest", "None", "CRC32C", "DataDigest=Reject", None),
    case("DataDigest", "CRC32C", "md5", "DataDigest=Reject", None),
    case("DataDigest", "CRC32C", "CRC 32", "DataDigest=Reject", None),
    case("TaskReporting", "FastAbort,ResponseFence,RFC3720", "ResponseFence,RFC3720", "TaskReporting=ResponseFence", Some("ResponseFence")),
    // §6.2.2 Boolean AND.
    case("ImmediateData", "Yes", "Yes", "ImmediateData=Yes", Some("Yes")),
    case("ImmediateData", "No", "Yes", "ImmediateData=No", Some("No")),
    case("ImmediateData", "Yes", "No", "ImmediateData=No", Some("No")),
    case("ImmediateData", "Yes", "yes", "ImmediateData=Reject", None),
    case("ImmediateData", "Yes", "1", "ImmediateData=Reject", None),
    // §6.2.2 Boolean OR.
    case("InitialR2T", "No", "No", "InitialR2T=No", Some("No")),
    case("InitialR2T", "Yes", "No", "InitialR2T=Yes", Some("Yes")),
    case("InitialR2T", "No", "Yes", "InitialR2T=Yes", Some("Yes")),
    case("DataPDUInOrder", "Yes", "No", "DataPDUInOrder=Yes", Some("Yes")),
    case("DataSequenceInOrder", "No", "Maybe", "DataSequenceInOrder=Reject", None),
    // §6.2.2 numerical Minimum.
    case("MaxBurstLength", "262144", "1048576", "MaxBurstLength=262144", Some("262144")),
    case("MaxBurstLength", "262144", "4096", "MaxBurstLength=4096", Some("4096")),
    case("MaxBurstLength", "262144", "0x1000", "MaxBurstLength=4096", Some("4096")),
    case("MaxBurstLength", "262144", "511", "MaxBurstLength=Reject", None),
    case("MaxBurstLength", "262144", "16777216", "MaxBurstLength=Reject", None),
    case("MaxBurstLength", "262144", "16777215", "MaxBurstLength=262144", Some("262144")),
    case("MaxBurstLength", "262144", "0512", "MaxBurstLength=Reject", None),
    case("MaxBurstLength", "262144", "big", "MaxBurstLength=Reject", None),
    case("MaxConnections", "1", "8", "MaxConnections=1", Some("1")),
    case("MaxConnections", "4", "0", "MaxConnections=Reject", None),
    case("ErrorRecoveryLevel", "2", "1", "ErrorRecoveryLevel=1", Some("1")),
    case("ErrorRecoveryLevel", "2", "3", "ErrorRecoveryLevel=Reject", None),
    case("MaxOutstandingR2T", "16", "65535", "MaxOutstandingR2T=16", Some("16")),
    case("MaxOutstandingR2T", "16", "65536", "MaxOutstandingR2T=Reject", None),
    case("DefaultTime2Retain", "20", "0", "DefaultTime2Retain=0", Some("0")),
    case("iSCSIProtocolLevel", "1", "2", "iSCSIProtocolLevel=1", Some("1")),
    case("iSCSIProtocolLevel", "1", "32", "iSCSIProtocolLevel=Reject", None),
    // §6.2.2 numerical Maximum.
    case("DefaultTime2Wait", "2", "0", "DefaultTime2Wait=2", Some("2")),
    case("DefaultTime2Wait", "2", "3600", "DefaultTime2Wait=3600", Some("3600")),
    case("DefaultTime2Wait", "2", "3601", "DefaultTime2Wait=Reject", None),
    // §13.25: obsolete markers.
    case("OFMarker", "No", "Yes", "OFMarker=Reject", None),
    case("IFMarker", "No", "No", "IFMarker=Reject", None),
    case("OFMarkInt", "2048", "1~65535", "OFMarkInt=Reject", None),
    case("IFMarkInt", "2048", "2048~8192", "IFMarkInt=Reject", None),
    // §6.2: unknown keys, extension keys.
    case("X-com.example.feature", "", "Yes", "X-com.example.feature=NotUnderstood", None),
    case("X#ietf.thing", "", "1", "X#ietf.thing=NotUnderstood", None),
    case("MadeUpKey", "", "1", "MadeUpKey=NotUnderstood", None),
    // §13.12: a declaration gets ours back, never an answer.
    case("MaxRecvDataSegmentLength", "65536", "262144", "MaxRecvDataSegmentLength=65536", None),
];

#[test]
fn target_answers() {
    for c in ANSWERS {
        let mut n = target(&[(c.key, c.ours)]);
        let got = answer(&mut n, c.key, c.offer);
        assert_eq!(
            got, c.response,
            "{}={} against ours {}",
            c.key, c.offer, c.ours
        );
        assert_eq!(n.result(c.key), c.result, "{}={}", c.key, c.offer);
        assert!(n.unanswered().is_empty());
    }
}

#[test]
fn decided_booleans_may_go_unanswered() {
    // RFC 7143 §6.2.2: AND with No and OR with Yes need no answer.
    let mut n = target(&[]).answer_decided_booleans(false);
    answers(
        &mut n,
        &[
            ("ImmediateData", "No", ""),
            ("InitialR2T", "Yes", ""),
            ("DataPDUInOrder", "No", "DataPDUInOrder=Yes"),
        ],
    );
    assert_eq!(n.result("ImmediateData"), Some("No"));
    assert_eq!(n.result("InitialR2T"), Some("Yes"));
}

#[test]
fn markers_may_be_answered_no() {
    // RFC 7143 §13.25: No is allowed for the Boolean markers, never for the intervals.
    let mut n = target(&[]).markers_answer_no(true);
    answers(
        &mut n,
        &[
            ("OFMarker", "Yes", "OFMarker=No"),
            ("OFMarkInt", "1~2", "OFMarkInt=Reject"),
        ],
    );
}

#[test]
fn discovery_session_irrelevant_keys() {
    let mut n = target(&[]);
    n.set_stage(Stage::Security);
    let out = n
        .handle(&[
            Pair::new("InitiatorName", "iqn.2024-01.org.example:host"),
            Pair::new("SessionType", "Discovery"),
        ])
        .unwrap();
    assert!(out.responses.is_empty());
    n.set_stage(Stage::Operational);
    // RFC 7143 §13: "Irrelevant when: SessionType=Discovery".
    for key in [
        "MaxConnections",
        "InitialR2T",
        "ImmediateData",
        "MaxBurstLength",
        "FirstBurstLength",
        "MaxOutstandingR2T",
        "DataPDUInOrder",
        "DataSequenceInOrder",
        "TaskReporting",
    ] {
        let v = if key.starts_with("Data") || key.starts_with("I") {
            "Yes"
        } else {
            "1024"
        };
        let v = if key == "TaskReporting" { "RFC3720" } else { v };
        assert_eq!(answer(&mut n, key, v), format!("{key}=Irrelevant"));
        assert_eq!(n.result(key), None);
    }
    // Still relevant in discovery.
    answers(
        &mut n,
        &[
            ("HeaderDigest", "None", "HeaderDigest=None"),
            ("ErrorRecoveryLevel", "0", "ErrorRecoveryLevel=0"),
            ("DefaultTime2Wait", "0", "DefaultTime2Wait=2"),
        ],
    );
}

#[test]
fn first_burst_rules() {
    // RFC 7143 §13.14: clamped to the MaxBurstLength outcome.
    let mut n = target(&[("MaxBurstLength", "16384"), ("FirstBurstLength", "65536")]);
    answers(
        &mut n,
        &[
            ("MaxBurstLength", "262144", "MaxBurstLength=16384"),
            ("FirstBurstLength", "65536", "FirstBurstLength=16384"),
        ],
    );
    assert_eq!(n.params().unwrap().first_burst_length, 16384);
    // Irrelevant when InitialR2T=Yes and ImmediateData=No.
    let mut n = target(&[("ImmediateData", "No")]);
    answer(&mut n, "InitialR2T", "Yes");
    answer(&mut n, "ImmediateData", "Yes");
    assert_eq!(
        answer(&mut n, "FirstBurstLength", "4096"),
        "FirstBurstLength=Irrelevant"
    );
}

#[test]
fn protocol_errors() {
    use NegotiationError as E;
    let err = |n: &mut Negotiator, pairs: &[(&str, &str)]| {
        let pairs: Vec<Pair> = pairs.iter().map(|(k, v)| Pair::new(*k, *v)).collect();
        n.handle(&pairs).unwrap_err()
    };
    // RFC 7143 §6.2: negotiated twice, in one PDU or across two.
    let mut n = target(&[]);
    assert_eq!(
        err(
            &mut n,
            &[("MaxBurstLength", "512"), ("MaxBurstLength", "512")]
        ),
        E::Duplicate {
            key: "MaxBurstLength".into()
        }
    );
    let mut n = target(&[]);
    n.handle(&[Pair::new("HeaderDigest", "None")]).unwrap();
    assert_eq!(
        err(&mut n, &[("HeaderDigest", "None")]),
        E::Duplicate {
            key: "HeaderDigest".into()
        }
    );
    let mut n = target(&[]);
    n.handle(&[Pair::new("X-a", "1")]).unwrap();
    assert_eq!(
        err(&mut n, &[("X-a", "1")]),
        E::Duplicate { key: "X-a".into() }
    );
    // Wrong sender: a target key from the initiator, an initiator key from the target.
    let mut n = target(&[]);
    assert_eq!(
        err(&mut n, &[("TargetAlias", "disk")]),
        E::WrongSender {
            key: "TargetAlias".into(),
            peer: Role::Initiator
        }
    );
    let mut i = Negotiator::new(Role::Initiator, Stage::Security, LocalConfig::new());
    assert_eq!(
        err(&mut i, &[("InitiatorName", "iqn.x")]),
        E::WrongSender {
            key: "InitiatorName".into(),
            peer: Role::Target
        }
    );
    // Wrong stage: each key offered in a stage that does not negotiate it.
    #[rustfmt::skip]
    let wrong_stage = [
        (Stage::Operational, "AuthMethod", "None"),
        (Stage::Operational, "CHAP_A", "5"),
        (Stage::Security, "MaxBurstLength", "512"),
        (Stage::FullFeature, "ImmediateData", "Yes"),
        (Stage::Operational, "SendTargets", "All"),
    ];
    for (stage, key, value) in wrong_stage {
        let mut n = target(&[]);
        n.set_stage(stage);
        let key = key.to_string();
        assert_eq!(err(&mut n, &[(&key, value)]), E::WrongStage { key, stage });
    }
    // MaxRecvDataSegmentLength may still be declared in full feature phase.
    let mut n = target(&[]);
    n.set_stage(Stage::FullFeature);
    assert_eq!(
        answer(&mut n, "MaxRecvDataSegmentLength", "4096"),
        "MaxRecvDataSegmentLength=8192"
    );
    // Reserved constants are not offers; bad declarations.
    type ValueError = fn(String, String) -> NegotiationError;
    let reserved: ValueError = |key, value| E::ReservedValueOffered { key, value };
    let invalid: ValueError = |key, value| E::InvalidDeclaration { key, value };
    #[rustfmt::skip]
    let bad_values = [
        (Stage::Operational, "MaxBurstLength", "Reject", reserved),
        (Stage::Operational, "MaxRecvDataSegmentLength", "511", invalid),
        (Stage::Security, "SessionType", "Normal,Discovery", invalid),
    ];
    for (stage, key, value, expected) in bad_values {
        let mut n = target(&[]);
        n.set_stage(stage);
        assert_eq!(
            err(&mut n, &[(key, value)]),
            expected(key.into(), value.into())
        );
    }
}

#[test]
fn answers_to_our_offers() {
    use NegotiationError as E;
    struct A {
        key: &'static str,
        offer: &'static str,
        answer: &'static str,
        ok: Option<&'static str>,
    }
    #[rustfmt::skip]
    let table = [
        A { key: "HeaderDigest", offer: "CRC32C,None", answer: "None", ok: Some("None") },
        A { key: "HeaderDigest", offer: "CRC32C", answer: "None", ok: None },
        A { key: "HeaderDigest", offer: "CRC32C,None", answer: "CRC32C,None", ok: None },
        A { key: "HeaderDigest", offer: "CRC32C,None", answer: "Reject", ok: Some("-") },
        A { key: "ImmediateData", offer: "Yes", answer: "No", ok: Some("No") },
        A { key: "ImmediateData", offer: "No", answer: "Yes", ok: None },
        A { key: "InitialR2T", offer: "Yes", answer: "No", ok: None },
        A { key: "InitialR2T", offer: "No", answer: "Yes", ok: Some("Yes") },
        A { key: "InitialR2T", offer: "No", answer: "Maybe", ok: None },
        A { key: "MaxBurstLength", offer: "262144", answer: "65536", ok: Some("65536") },
        // A Minimum key answered above our offer.
        A { key: "MaxBurstLength", offer: "65536", answer: "262144", ok: None },
        A { key: "MaxBurstLength", offer: "65536", answer: "256", ok: None },
        A { key: "DefaultTime2Wait", offer: "2", answer: "1", ok: None },
        A { key: "DefaultTime2Wait", offer: "2", answer: "10", ok: Some("10") },
        A { key: "TaskReporting", offer: "FastAbort,RFC3720", answer: "NotUnderstood", ok: Some("-") },
        A { key: "X-com.example.a", offer: "1", answer: "NotUnderstood", ok: Some("NotUnderstood") },
    ];
    for a in table {
        let mut i = Negotiator::new(Role::Initiator, Stage::Operational, LocalConfig::new());
        i.offer(a.key, a.offer);
        assert_eq!(
            i.unanswered().is_empty(),
            a.offer == "No" && a.key == "ImmediateData"
                || a.offer == "Yes" && a.key == "InitialR2T"
        );
        let got = i.handle(&[Pair::new(a.key, a.answer)]);
        match a.ok {
            Some(r) => {
                assert_eq!(got.map(|o| o.responses), Ok(vec![]), "{}", a.key);
                assert_eq!(
                    i.result(a.key),
                    if r == "-" { None } else { Some(r) },
                    "{}",
                    a.key
                );
                assert!(i.unanswered().is_empty());
            }
            None => assert_eq!(
                got,
                Err(E::IllegalAnswer {
                    key: a.key.into(),
                    value: a.answer.into(),
                    offered: a.offer.into()
                }),
                "{}={}",
                a.key,
                a.answer
            ),
        }
    }
    // An answer twice is a duplicate.
    let mut i = Negotiator::new(Role::Initiator, Stage::Operational, LocalConfig::new());
    i.offer("MaxBurstLength", "65536");
    i.handle(&[Pair::new("MaxBurstLength", "512")]).unwrap();
    assert_eq!(
        i.handle(&[Pair::new("MaxBurstLength", "512")]),
        Err(E::Duplicate {
            key: "MaxBurstLength".into()
        })
    );
}

#[test]
fn non_leading_connection() {
    let mut n = target(&[]).non_leading();
    answers(
        &mut n,
        &[
            ("MaxBurstLength", "4096", "MaxBurstLength=Irrelevant"),
            ("HeaderDigest", "CRC32C,None", "HeaderDigest=None"),
        ],
    );
}

#[test]
fn first_request_requirements() {
    use NegotiationError as E;
    let p = |v: &[(&str, &str)]| v.iter().map(|(k, v)| Pair::new(*k, *v)).collect::<Vec<_>>();
    assert_eq!(
        Negotiator::check_first_request(&p(&[("TargetName", "iqn.t")])),
        Err(E::MissingKey {
            key: "InitiatorName"
        })
    );
    assert_eq!(
        Negotiator::check_first_request(&p(&[("InitiatorName", "iqn.i")])),
        Err(E::MissingKey { key: "TargetName" })
    );
    assert_eq!(
        Negotiator::check_first_request(&p(&[
            ("InitiatorName", "iqn.i"),
            ("SessionType", "Discovery")
        ])),
        Ok(())
    );
}

#[test]
fn fbl_above_mbl_is_an_error() {
    // RFC 7143 §13.14, checked on the initiator side: our offers leave
    // FirstBurstLength above MaxBurstLength.
    let mut i = Negotiator::new(Role::Initiator, Stage::Operational, LocalConfig::new());
    i.offer("MaxBurstLength", "16384");
    i.offer("FirstBurstLength", "65536");
    i.handle(&[
        Pair::new("MaxBurstLength", "16384"),
        Pair::new("FirstBurstLength", "65536"),
    ])
    .unwrap();
    assert_eq!(
        i.params(),
        Err(rtgt_proto::text::ParamsError::FirstBurstExceedsMaxBurst {
            first: 65536,
            max: 16384
        })
    );
}
