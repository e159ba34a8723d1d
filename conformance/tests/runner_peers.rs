//! The whole catalogue against Debian's tgtd and istgt, each started on
//! loopback in the two set-ups their profiles declare, through the
//! `rtgt-conformance` program itself: every result must match
//! conformance/profiles/<target>.toml in that set-up (`--setup`).
//!
//! - "chap": a LUN, an incoming and an outgoing CHAP account for normal and
//!   discovery sessions, every initiator name allowed from 127.0.0.1; the
//!   suite logs in with CHAP and may use mutual CHAP.
//! - "plain": a LUN, no authentication on any session, every initiator
//!   address allowed (tgtadm's `-I ALL`, istgt's `Netmask ALL`); the suite
//!   is given no CHAP account.
//!
//! `cargo xtask ci` runs this.
#![cfg(feature = "real-peers")]

use rtgt_conformance::report::{verdict_differences, verdicts_from_json};
use rtgt_peers::istgt::{Istgt, IstgtAuth, IstgtConfig};
use rtgt_peers::tgtd::{Chap, Tgtd, TgtdConfig};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

const USER: &str = "rtgt-conformance";
const SECRET: &str = "incoming-secret-16";
const TARGET_USER: &str = "rtgt-peer-target";
const TARGET_SECRET: &str = "outgoing-secret-16";
const INITIATOR_2: &str = "iqn.2024-01.org.rtgt:conformance-2";

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Scenarios side by side on tgtd, as on rtgtd.
const TGTD_JOBS: &str = "4";

/// istgt instances per set-up, each with a LUN of its own (`--replica`):
/// istgt sleeps 1 s in every login to a new session while it holds the
/// lock of its connection table (`istgt_iscsi_drop_old_conns`), so one
/// istgt takes one new session a second and logins that come together wait
/// for each other past the timeout. Each instance gets one scenario at a
/// time, as with `--jobs 1`, and the instances run side by side.
const ISTGT_INSTANCES: usize = 6;

/// The set-ups of the profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setup {
    Chap,
    Plain,
}

impl Setup {
    fn name(self) -> &'static str {
        match self {
            Setup::Chap => "chap",
            Setup::Plain => "plain",
        }
    }
}

/// Runs the suite with the profile of `kind` in `setup`, printing its
/// report; fails with the lines of the report that do not match the
/// profile. A result that does not match is run up to twice more
/// (`--retries 2`): a real target's answers near a timeout can vary from
/// run to run, and the report lists such results as unsteady.
///
/// The first of `portals` is the target, the others its replicas; `jobs`
/// scenarios run side by side.
fn suite(
    kind: &str,
    setup: Setup,
    portals: &[String],
    jobs: &str,
    iqn: &str,
    lun: u32,
) -> Result<(), String> {
    let reports = manifest().join("../build/conformance");
    let name = format!("{kind}-{}", setup.name());
    let mut command = Command::new(env!("CARGO_BIN_EXE_rtgt-conformance"));
    for (index, portal) in portals.iter().enumerate() {
        command.args([if index == 0 { "--target" } else { "--replica" }, portal]);
    }
    command
        .args(["--iqn", iqn, "--lun", &lun.to_string()])
        .args(["--setup", setup.name()]);
    if setup == Setup::Chap {
        command
            .args(["--chap", &format!("{USER}:{SECRET}")])
            .args(["--mutual-chap", &format!("{TARGET_USER}:{TARGET_SECRET}")]);
    }
    command
        .args(["--initiator-name-2", INITIATOR_2])
        .args(["--jobs", jobs, "--quiet-time", "500ms", "--timeout", "2s"])
        .args(["--retries", "2"])
        // 16 MiB from LBA 2048 of the 32 MiB LUN: the 16 MiB write of
        // iscsi.large.write-read-16mib.
        .args(["--scratch-blocks", "32768"])
        .arg("--profile")
        .arg(manifest().join(format!("profiles/{kind}.toml")))
        .arg("--junit")
        .arg(reports.join(format!("{name}.xml")))
        .arg("--json")
        .arg(reports.join(format!("{name}.json")));
    let output = command.output().expect("run rtgt-conformance");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("== {name}\n{stdout}");
    if output.status.success() {
        return Ok(());
    }
    // The departures last, where a CI log's tail shows them.
    let departures: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("UNEXPECTED") || l.starts_with("result:"))
        .collect();
    Err(format!(
        "the {name} run does not match profiles/{kind}.toml ({}):\n{}\n{stderr}",
        output.status,
        departures.join("\n")
    ))
}

/// The size of the peers' LUN: room for the 16 MiB scratch range from LBA
/// 2048.
const LUN_BYTES: u64 = 32 << 20;

const TGTD_IQN: &str = "iqn.2024-01.org.rtgt.peer:tgtd";

fn start_tgtd(setup: Setup) -> Tgtd {
    let mut config = TgtdConfig::new(TGTD_IQN);
    config.lun_bytes = LUN_BYTES;
    match setup {
        Setup::Chap => {
            config.incoming = Some(Chap::new(USER, SECRET));
            config.outgoing = Some(Chap::new(TARGET_USER, TARGET_SECRET));
            config.discovery_auth = true;
        }
        Setup::Plain => config.initiator_addresses = vec!["ALL".to_owned()],
    }
    Tgtd::start(config).expect("start tgtd")
}

fn tgtd(setup: Setup) -> Result<(), String> {
    let tgtd = start_tgtd(setup);
    suite(
        "tgtd",
        setup,
        &[tgtd.portal()],
        TGTD_JOBS,
        TGTD_IQN,
        rtgt_peers::tgtd::LUN,
    )
}

/// Each scenario's verdict (outcome, reason, expected, actual; no times)
/// from a run against `portal` with `--jobs jobs` and no profile.
fn verdicts(portal: &str, jobs: &str) -> BTreeMap<String, String> {
    let json = manifest().join(format!("../build/conformance/tgtd-jobs-{jobs}.json"));
    let status = Command::new(env!("CARGO_BIN_EXE_rtgt-conformance"))
        .args(["--target", portal, "--iqn", TGTD_IQN])
        .args(["--lun", &rtgt_peers::tgtd::LUN.to_string()])
        .args(["--chap", &format!("{USER}:{SECRET}")])
        .args(["--mutual-chap", &format!("{TARGET_USER}:{TARGET_SECRET}")])
        .args(["--initiator-name-2", INITIATOR_2])
        .args([
            "--jobs",
            jobs,
            "--quiet-time",
            "500ms",
            "--timeout",
            "2s",
            "--quiet",
        ])
        .arg("--json")
        .arg(&json)
        .status()
        .expect("run rtgt-conformance");
    // Failures are tgtd's departures: the exit status says nothing here.
    let _ = status;
    let text = std::fs::read_to_string(&json).expect("the JSON report");
    verdicts_from_json(&text).expect("a JSON report")
}

/// Running scenarios side by side does not change what the suite says of
/// tgtd: `--jobs 1` and `--jobs 4` give the same verdicts.
#[test]
fn tgtd_verdicts_do_not_depend_on_jobs() {
    let tgtd = start_tgtd(Setup::Chap);
    let one = verdicts(&tgtd.portal(), "1");
    let four = verdicts(&tgtd.portal(), "4");
    let differ = verdict_differences("--jobs 1", &one, "--jobs 4", &four);
    assert!(
        differ.is_empty(),
        "verdicts depend on --jobs:\n{}",
        differ.join("\n")
    );
}

fn istgt(setup: Setup) -> Result<(), String> {
    let mut config = IstgtConfig::new("iqn.2024-01.org.rtgt.peer", "istgt");
    config.lun_bytes = LUN_BYTES;
    match setup {
        Setup::Chap => {
            config.incoming = Some(Chap::new(USER, SECRET));
            config.outgoing = Some(Chap::new(TARGET_USER, TARGET_SECRET));
            config.auth = IstgtAuth::Chap;
            config.discovery_auth = IstgtAuth::Chap;
        }
        Setup::Plain => config.netmasks = vec!["ALL".to_owned()],
    }
    let instances: Vec<Istgt> = (0..ISTGT_INSTANCES)
        .map(|_| Istgt::start(config.clone()).expect("start istgt"))
        .collect();
    let portals: Vec<String> = instances.iter().map(Istgt::portal).collect();
    suite(
        "istgt",
        setup,
        &portals,
        &ISTGT_INSTANCES.to_string(),
        &config.target_iqn(),
        rtgt_peers::istgt::LUN,
    )
}

#[test]
fn tgtd_with_chap_matches_its_profile() -> Result<(), String> {
    tgtd(Setup::Chap)
}

#[test]
fn tgtd_without_authentication_matches_its_profile() -> Result<(), String> {
    tgtd(Setup::Plain)
}

#[test]
fn istgt_with_chap_matches_its_profile() -> Result<(), String> {
    istgt(Setup::Chap)
}

#[test]
fn istgt_without_authentication_matches_its_profile() -> Result<(), String> {
    istgt(Setup::Plain)
}
