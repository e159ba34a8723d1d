//! The chap, digest and sequencing scenarios against Debian's tgtd: every
//! outcome is printed, and each must be the one expected of tgtd (a pass,
//! or a departure from RFC 7143 confirmed by reading the exchange).
//!
//! With `RTGT_RTGTD=ADDR:PORT` the same scenarios run against an `rtgtd
//! --demo` listening there, started with `--chap rtgt-user:rtgt-secret-12345
//! --mutual-chap rtgt-target:rtgt-target-secret-678 --discovery-chap
//! rtgt-user:rtgt-secret-12345`; there every scenario must pass.
#![cfg(feature = "real-peers")]

use rtgt_conformance::catalogue;
use rtgt_conformance::context::{Account, Target};
use rtgt_conformance::runner::run_scenario;
use rtgt_peers::tgtd::{Chap, Tgtd, TgtdConfig, LUN};
use std::time::Duration;

const IQN: &str = "iqn.2024-01.org.rtgt:conformance-chap";
const USER: &str = "rtgt-user";
const SECRET: &str = "rtgt-secret-12345";
const TUSER: &str = "rtgt-target";
const TSECRET: &str = "rtgt-target-secret-678";

fn start() -> Tgtd {
    let mut config = TgtdConfig::new(IQN);
    config.incoming = Some(Chap::new(USER, SECRET));
    config.outgoing = Some(Chap::new(TUSER, TSECRET));
    config.discovery_auth = true;
    config.params = vec![
        ("HeaderDigest".into(), "None,CRC32C".into()),
        ("DataDigest".into(), "None,CRC32C".into()),
        ("InitialR2T".into(), "No".into()),
    ];
    Tgtd::start(config).expect("tgtd starts (run `cargo xtask peers` to install it)")
}

fn target(tgtd: &Tgtd) -> Target {
    target_at(tgtd.portal(), IQN)
}

fn target_at(addr: String, iqn: &str) -> Target {
    Target {
        addr,
        iqn: iqn.to_owned(),
        lun: u64::from(LUN),
        initiator_name: "iqn.2024-01.org.rtgt:suite".to_owned(),
        initiator_name_2: None,
        moved_iqn: None,
        async_command: None,
        chap: Some(Account {
            user: USER.to_owned(),
            secret: SECRET.as_bytes().to_vec(),
        }),
        mutual_chap: Some(Account {
            user: TUSER.to_owned(),
            secret: TSECRET.as_bytes().to_vec(),
        }),
        allow_destructive: true,
        scratch_lba: 64,
        scratch_blocks: 256,
        timeout: Duration::from_secs(3),
        quiet: Duration::from_millis(700),
    }
}

/// Scenarios tgtd fails, each for a reason read in its exchange.
const TGTD_DEPARTURES: &[(&str, &str)] = &[
    (
        "iscsi.chap.sha256",
        "tgtd answers CHAP_A=7 but checks a SHA-1 response (it takes 7 for SHA-1): 0x0200",
    ),
    (
        "iscsi.chap.algorithm-from-list",
        "from 8,7,6,5 tgtd picks 7, then refuses the SHA-256 response (7 is SHA-1 to it)",
    ),
    (
        "iscsi.chap.mutual-sha256",
        "tgtd's CHAP_A=7 is SHA-1: the correct SHA-256 response is refused before mutual",
    ),
    (
        "iscsi.chap.mutual-identifier-out-of-range",
        "tgtd takes CHAP_I=256 (parsed into a char, so 0) and answers the challenge",
    ),
    (
        "iscsi.chap.mutual-challenge-without-identifier",
        "tgtd ignores a CHAP_C without CHAP_I and completes the login without answering it",
    ),
    (
        "iscsi.digest.header-none-first",
        "offered None,CRC32C tgtd answers CRC32C though it accepts None alone (§6.2.1)",
    ),
    (
        "iscsi.digest.data-none-first",
        "offered None,CRC32C tgtd answers CRC32C though it accepts None alone (§6.2.1)",
    ),
    (
        "iscsi.cmdsn.stale",
        "tgtd drops the connection on a CmdSN below ExpCmdSN instead of ignoring it",
    ),
    (
        "iscsi.datain.max-burst-length",
        "tgtd sends Data-In sequences longer than the negotiated MaxBurstLength",
    ),
    (
        "iscsi.r2t.first-burst-exceeded",
        "tgtd accepts unsolicited data past FirstBurstLength and ends the write GOOD",
    ),
    (
        "iscsi.text.sendtargets-current",
        "tgtd cannot take a Text Request in a normal session: it drops the connection",
    ),
    (
        "iscsi.text.unknown-key",
        "tgtd cannot take a Text Request in a normal session: it drops the connection",
    ),
    (
        "iscsi.text.continued-request",
        "tgtd cannot take a Text Request in a normal session: it drops the connection",
    ),
];

#[test]
fn chap_digest_and_sequencing_scenarios_against_tgtd() {
    let rtgtd = std::env::var("RTGT_RTGTD").ok();
    let tgtd = rtgtd.is_none().then(start);
    let (target, departures) = match (&tgtd, rtgtd) {
        (Some(tgtd), _) => (target(tgtd), TGTD_DEPARTURES),
        (None, Some(addr)) => {
            let mut t = target_at(addr, "iqn.2024-01.org.rtgt:demo");
            t.lun = 0;
            (t, &[][..])
        }
        (None, None) => unreachable!("tgtd starts when no rtgtd is given"),
    };
    let filter = std::env::var("RTGT_SCENARIO").unwrap_or_default();
    let mut unexpected = Vec::new();
    for area in [
        catalogue::chap::SCENARIOS,
        catalogue::digest::SCENARIOS,
        catalogue::sequencing::SCENARIOS,
    ] {
        for scenario in area.iter().flat_map(|part| part.iter()) {
            if !scenario.id.contains(&filter) {
                continue;
            }
            let report = run_scenario(scenario, &target);
            println!(
                "{:<52} {:<5} {:?}",
                report.id,
                report.outcome.label(),
                report.elapsed
            );
            let departure = departures.iter().any(|(id, _)| *id == report.id);
            let failed = matches!(
                report.outcome,
                rtgt_conformance::scenario::Outcome::Fail { .. }
            );
            if failed || std::env::var("RTGT_VERBOSE").is_ok() {
                println!("  {:?}\n{}", report.outcome, report.transcript);
            }
            if failed != departure {
                unexpected.push(format!("{}: {}", report.id, report.outcome.label()));
            }
        }
    }
    assert!(
        unexpected.is_empty(),
        "outcomes not expected of tgtd: {unexpected:#?}"
    );
}
