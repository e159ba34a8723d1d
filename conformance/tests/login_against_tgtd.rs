//! The login and negotiation scenarios against Debian's tgtd: every
//! scenario runs, and the ones that fail are exactly tgtd's known
//! departures from RFC 7143 (each with its reason).
#![cfg(feature = "real-peers")]

mod common;

use common::{failures, run_all};
use rtgt_conformance::catalogue::{login, negotiation};
use rtgt_conformance::context::Target;
use rtgt_conformance::runner::run_scenario;
use rtgt_conformance::scenario::{Outcome, Scenario};
use rtgt_peers::tgtd::{Tgtd, TgtdConfig};
use std::collections::BTreeSet;
use std::time::Duration;

const IQN: &str = "iqn.2001-04.org.rtgt:conformance-login";
const INITIATOR: &str = "iqn.2001-04.org.rtgt:conformance-initiator";

/// tgtd's confirmed departures among these scenarios, with the reason.
const DEPARTURES: &[(&str, &str)] = &[
    ("iscsi.login.transit-with-continue",
     "tgtd takes a Login Request with both T=1 and C=1 as an ordinary request"),
    ("iscsi.login.add-connection-over-limit",
     "tgtd admits a second connection to a session that negotiated MaxConnections=1"),
    ("iscsi.login.text-before-login",
     "tgtd answers a Text Request sent before any Login Request instead of dropping the connection"),
    ("iscsi.login.nop-out-during-login",
     "tgtd drops the connection without first sending the Login reject 0x020b"),
    ("iscsi.login.scsi-command-during-login",
     "tgtd drops the connection without first sending the Login reject 0x020b"),
    ("iscsi.login.text-during-login",
     "tgtd answers a Text Request in the middle of a login with a Text Response"),
    ("iscsi.login.logout-during-login",
     "tgtd answers a Logout Request in the middle of a login with a Logout Response"),
    ("iscsi.negotiation.task-reporting-answer-from-offer",
     "tgtd predates RFC 7143 and answers TaskReporting=NotUnderstood"),
    ("iscsi.negotiation.first-burst-not-above-max-burst",
     "tgtd answers FirstBurstLength=65536 next to MaxBurstLength=16384"),
    ("iscsi.negotiation.key-name-too-long",
     "tgtd drops a 64-character key silently instead of answering it"),
    ("iscsi.negotiation.duplicate-key-one-request",
     "tgtd negotiates a key offered twice in one Login Request instead of rejecting the login"),
    ("iscsi.negotiation.duplicate-key-two-requests",
     "tgtd renegotiates a key offered again in a later Login Request instead of rejecting the login"),
    ("iscsi.negotiation.security-key-in-operational-stage",
     "tgtd answers AuthMethod=None in the operational stage"),
    ("iscsi.negotiation.text-continuation",
     "tgtd answers the complete pairs of a Login Request with C=1 before the text is complete"),
    ("iscsi.negotiation.mrdsl-in-full-feature-text",
     "tgtd resets the connection on a full feature phase Text Request declaring MaxRecvDataSegmentLength"),
];

fn target(tgtd: &Tgtd) -> Target {
    Target {
        addr: tgtd.portal(),
        iqn: IQN.to_owned(),
        lun: 1,
        initiator_name: INITIATOR.to_owned(),
        initiator_name_2: None,
        moved_iqn: None,
        async_command: None,
        chap: None,
        mutual_chap: None,
        allow_destructive: false,
        scratch_lba: 0,
        scratch_blocks: 0,
        timeout: Duration::from_secs(3),
        quiet: Duration::from_secs(1),
    }
}

fn scenarios() -> Vec<&'static Scenario> {
    [login::SCENARIOS, negotiation::SCENARIOS]
        .into_iter()
        .flat_map(|area| area.iter().flat_map(|part| part.iter()))
        .collect()
}

#[test]
fn login_and_negotiation_scenarios_against_tgtd() {
    let tgtd = Tgtd::start(TgtdConfig::new(IQN)).expect("tgtd starts");
    let target = target(&tgtd);
    let failed = failures(&run_all(scenarios(), &target));
    let known: BTreeSet<&str> = DEPARTURES.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        failed, known,
        "the failures are exactly tgtd's known departures"
    );
}

/// With a name ACL (no address ACL), an invented initiator name is refused.
/// tgtd's departure: it refuses with 0x0203 (Not found), hiding the target,
/// where RFC 7143 §11.13.5 has 0x0202 (Authorization failure).
#[test]
fn unauthorized_initiator_against_tgtd_with_a_name_acl() {
    let mut config = TgtdConfig::new(IQN);
    config.initiator_addresses.clear();
    let tgtd = Tgtd::start(config).expect("tgtd starts");
    tgtd.tgtadm_run(&[
        "--mode",
        "target",
        "--op",
        "bind",
        "--tid",
        "1",
        "--initiator-name",
        INITIATOR,
    ])
    .expect("tgtadm binds the initiator name");
    let target = target(&tgtd);
    let scenario = scenarios()
        .into_iter()
        .find(|s| s.id == "iscsi.login.unauthorized-initiator")
        .expect("the scenario exists");
    let report = run_scenario(scenario, &target);
    println!("{} {:?}\n{}", report.id, report.outcome, report.transcript);
    assert_eq!(
        report.outcome,
        Outcome::fail(
            "status 0x0202 (Authorization failure)",
            "a Login Response with status 0x0203 (Not found)"
        )
    );
}
