//! Full login negotiations between an initiator and a target negotiator,
//! recorded as transcripts (RFC 7143 §6, §12.1.3, §13).

use std::fmt::Write;

use rtgt_proto::chap::{self, Challenge, ChapAlgorithm, ChapSecret};
use rtgt_proto::text::{
    decode, encode, LocalConfig, Negotiator, OperationalParams, Pair, Role, Stage,
};

struct Login {
    i: Negotiator,
    t: Negotiator,
    log: String,
}

fn line(pairs: &[Pair]) -> String {
    pairs
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Login {
    fn new(i: LocalConfig, t: LocalConfig, stage: Stage) -> Self {
        Login {
            i: Negotiator::new(Role::Initiator, stage, i),
            t: Negotiator::new(Role::Target, stage, t),
            log: String::new(),
        }
    }

    /// Sends pairs through the codec, as on the wire.
    fn wire(pairs: &[Pair]) -> Vec<Pair> {
        decode(&encode(pairs)).unwrap()
    }

    fn i_to_t(&mut self, pairs: Vec<Pair>) -> Vec<Pair> {
        writeln!(self.log, "I->T: {}", line(&pairs)).unwrap();
        let out = self.t.handle(&Self::wire(&pairs)).unwrap();
        assert!(out.auth.is_empty() && out.queries.is_empty());
        out.responses
    }

    fn t_to_i(&mut self, pairs: Vec<Pair>) -> Vec<Pair> {
        writeln!(self.log, "T->I: {}", line(&pairs)).unwrap();
        let out = self.i.handle(&Self::wire(&pairs)).unwrap();
        assert!(out.auth.is_empty() && out.queries.is_empty());
        out.responses
    }

    /// Operational stage until neither side waits for an answer.
    fn operational(&mut self) {
        self.i.set_stage(Stage::Operational);
        self.t.set_stage(Stage::Operational);
        writeln!(self.log, "-- operational stage").unwrap();
        let mut pending = self.i.propose();
        for _ in 0..4 {
            let mut reply = self.i_to_t(pending);
            reply.extend(self.t.propose());
            pending = self.t_to_i(reply);
            if pending.is_empty()
                && self.i.unanswered().is_empty()
                && self.t.unanswered().is_empty()
            {
                break;
            }
        }
        assert!(self.i.unanswered().is_empty() && self.t.unanswered().is_empty());
    }

    fn finish(mut self) -> String {
        let pi: OperationalParams = self.i.params().unwrap();
        let pt = self.t.params().unwrap();
        assert_eq!(pi, pt, "both sides must agree");
        writeln!(self.log, "-- params\n{pi:#?}").unwrap();
        self.log
    }
}

fn initiator(kind: &str) -> LocalConfig {
    let c = LocalConfig::rfc_defaults()
        .with("InitiatorName", "iqn.2024-01.org.example:host1")
        .with("SessionType", kind);
    if kind == "Normal" {
        c.with("TargetName", "iqn.2024-01.org.example:disk1")
    } else {
        c
    }
}

fn target() -> LocalConfig {
    LocalConfig::rfc_defaults()
        .with("TargetAlias", "disk1")
        .with("TargetPortalGroupTag", "1")
}

fn security_without_auth(l: &mut Login) {
    writeln!(l.log, "-- security stage").unwrap();
    let first = l.i.propose();
    Negotiator::check_first_request(&first).unwrap();
    let mut reply = l.i_to_t(first);
    reply.extend(l.t.propose());
    assert!(l.t_to_i(reply).is_empty());
}

#[test]
fn normal_session_with_defaults() {
    let mut l = Login::new(
        initiator("Normal").with("AuthMethod", "None"),
        target(),
        Stage::Security,
    );
    security_without_auth(&mut l);
    l.operational();
    let p = l.i.params().unwrap();
    assert_eq!(p, OperationalParams::default());
    insta::assert_snapshot!(l.finish());
}

#[test]
fn normal_session_with_unusual_values() {
    let i = initiator("Normal")
        .with("AuthMethod", "None")
        .with("HeaderDigest", "CRC32C,None")
        .with("DataDigest", "CRC32C")
        .with("InitialR2T", "No")
        .with("ImmediateData", "No")
        .with("MaxRecvDataSegmentLength", "262144")
        .with("MaxBurstLength", "1048576")
        .with("FirstBurstLength", "524288")
        .with("MaxOutstandingR2T", "8")
        .with("MaxConnections", "4")
        .with("ErrorRecoveryLevel", "2")
        .with("DefaultTime2Wait", "0")
        .with("DataSequenceInOrder", "No")
        .with("TaskReporting", "FastAbort,ResponseFence,RFC3720")
        .with("iSCSIProtocolLevel", "2")
        .with("X-org.example.trace", "Yes");
    let t = target()
        .with("HeaderDigest", "None,CRC32C")
        .with("DataDigest", "None")
        .with("MaxRecvDataSegmentLength", "65536")
        .with("MaxBurstLength", "262144")
        .with("FirstBurstLength", "1048576")
        .with("InitialR2T", "No")
        .with("MaxConnections", "2")
        .with("ErrorRecoveryLevel", "1")
        .with("DataSequenceInOrder", "No")
        .with("TaskReporting", "ResponseFence,RFC3720")
        .with("iSCSIProtocolLevel", "1");
    let mut l = Login::new(i, t, Stage::Security);
    security_without_auth(&mut l);
    l.operational();
    let p = l.i.params().unwrap();
    assert_eq!(
        p.first_burst_length, 262_144,
        "clamped to MaxBurstLength:\n{}",
        l.log
    );
    insta::assert_snapshot!(l.finish());
}

#[test]
fn discovery_session() {
    let mut l = Login::new(initiator("Discovery"), target(), Stage::Operational);
    writeln!(l.log, "-- operational stage (security skipped)").unwrap();
    let mut first = l.i.propose();
    // Offer one key that is irrelevant in discovery, on purpose.
    first.push(l.i.offer("MaxBurstLength", "65536"));
    Negotiator::check_first_request(&first).unwrap();
    let mut reply = l.i_to_t(first);
    reply.extend(l.t.propose());
    assert!(l.t_to_i(reply).is_empty());
    assert!(l.i.unanswered().is_empty());
    // Full feature phase: SendTargets is handed to the discovery code.
    let mut ffp = Negotiator::new(Role::Target, Stage::FullFeature, target());
    let out = ffp.handle(&[Pair::new("SendTargets", "All")]).unwrap();
    writeln!(
        l.log,
        "-- full feature phase\nI->T: SendTargets=All\nqueries: {}",
        line(&out.queries)
    )
    .unwrap();
    assert_eq!(out.queries, vec![Pair::new("SendTargets", "All")]);
    insta::assert_snapshot!(l.finish());
}

#[test]
fn normal_session_with_mutual_chap() {
    let i_secret = ChapSecret::new(*b"initiator-secret");
    let t_secret = ChapSecret::new(*b"target-secret-12");
    let mut l = Login::new(
        initiator("Normal").with("AuthMethod", "CHAP,None"),
        target().with("AuthMethod", "CHAP"),
        Stage::Security,
    );
    writeln!(l.log, "-- security stage").unwrap();
    let first = l.i.propose();
    let mut reply = l.i_to_t(first);
    reply.extend(l.t.propose());
    assert_eq!(l.i.result("AuthMethod"), None);
    assert!(l.t_to_i(reply).is_empty());
    assert_eq!(l.i.result("AuthMethod"), Some("CHAP"));

    // Step 1: the initiator offers algorithms.
    let offered = [ChapAlgorithm::Sha256, ChapAlgorithm::Md5];
    let a = l.i.offer("CHAP_A", &chap::encode_algorithm_list(&offered));
    writeln!(l.log, "I->T: {a}").unwrap();
    let out = l.t.handle(&Login::wire(&[a])).unwrap();
    let codes = chap::parse_algorithm_list(&out.auth[0].value).unwrap();
    let alg = chap::select_algorithm(&codes, &ChapAlgorithm::ALL).unwrap();
    // Step 2: the target picks one and challenges (fixed "random" bytes).
    let t_ch = Challenge::from_random(7, &[0x11; 16]).unwrap();
    let step2 = vec![
        Pair::new("CHAP_A", alg.code().to_string()),
        Pair::new("CHAP_I", t_ch.id_value()),
        Pair::new("CHAP_C", t_ch.value_hex()),
    ];
    writeln!(l.log, "T->I: {}", line(&step2)).unwrap();
    let out = l.i.handle(&Login::wire(&step2)).unwrap();
    assert!(l.i.unanswered().is_empty());
    let alg_i = chap::parse_chosen_algorithm(&out.auth[0].value, &offered).unwrap();
    let id = chap::parse_identifier(&out.auth[1].value).unwrap();
    let c = chap::parse_binary(&out.auth[2].value).unwrap();
    // Step 3: response plus the initiator's own challenge.
    let i_ch = Challenge::from_random(9, &[0x22; 16]).unwrap();
    let step3 = vec![
        Pair::new("CHAP_N", "iqn.2024-01.org.example:host1"),
        Pair::new(
            "CHAP_R",
            chap::encode_response(&alg_i.response(id, &i_secret, &c)),
        ),
        Pair::new("CHAP_I", i_ch.id_value()),
        Pair::new("CHAP_C", i_ch.value_hex()),
    ];
    writeln!(l.log, "I->T: {}", line(&step3)).unwrap();
    let out = l.t.handle(&Login::wire(&step3)).unwrap();
    let r = chap::parse_binary(&out.auth[1].value).unwrap();
    assert!(t_ch.verify(alg, &i_secret, &r));
    let c2 = chap::parse_binary(&out.auth[3].value).unwrap();
    t_ch.check_not_reflected(&c2).unwrap();
    let id2 = chap::parse_identifier(&out.auth[2].value).unwrap();
    // Step 4: the target answers the initiator's challenge.
    let step4 = vec![
        Pair::new("CHAP_N", "iqn.2024-01.org.example:disk1"),
        Pair::new(
            "CHAP_R",
            chap::encode_response(&alg.response(id2, &t_secret, &c2)),
        ),
    ];
    writeln!(l.log, "T->I: {}", line(&step4)).unwrap();
    let out = l.i.handle(&Login::wire(&step4)).unwrap();
    assert!(i_ch.verify(
        alg_i,
        &t_secret,
        &chap::parse_binary(&out.auth[1].value).unwrap()
    ));
    l.operational();
    insta::assert_snapshot!(l.finish());
}
