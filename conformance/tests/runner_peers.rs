//! The whole catalogue against Debian's tgtd and istgt, each started on
//! loopback with the configuration the suite expects (a LUN, an incoming and
//! an outgoing CHAP account for normal and discovery sessions, every
//! initiator name allowed from 127.0.0.1),
//! through the `rtgt-conformance` program itself: every result must match
//! conformance/profiles/<target>.toml. `cargo xtask ci` runs this.
#![cfg(feature = "real-peers")]

use rtgt_peers::istgt::{Istgt, IstgtAuth, IstgtConfig};
use rtgt_peers::tgtd::{Chap, Tgtd, TgtdConfig};
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

/// Runs the suite with the profile of `kind`, printing its report; fails
/// with the lines of the report that do not match the profile. A result
/// that does not match is run up to twice more (`--retries 2`): a real
/// target's answers near a timeout can vary from run to run, and the
/// report lists such results as unsteady.
fn suite(kind: &str, portal: &str, iqn: &str, lun: u32) -> Result<(), String> {
    let reports = manifest().join("../build/conformance");
    let mut command = Command::new(env!("CARGO_BIN_EXE_rtgt-conformance"));
    command
        .args(["--target", portal, "--iqn", iqn, "--lun", &lun.to_string()])
        .args(["--chap", &format!("{USER}:{SECRET}")])
        .args(["--mutual-chap", &format!("{TARGET_USER}:{TARGET_SECRET}")])
        .args(["--initiator-name-2", INITIATOR_2])
        .args(["--jobs", "1", "--quiet-time", "500ms", "--timeout", "2s"])
        .args(["--retries", "2"])
        .arg("--profile")
        .arg(manifest().join(format!("profiles/{kind}.toml")))
        .arg("--junit")
        .arg(reports.join(format!("{kind}.xml")))
        .arg("--json")
        .arg(reports.join(format!("{kind}.json")));
    let output = command.output().expect("run rtgt-conformance");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("== {kind}\n{stdout}");
    if output.status.success() {
        return Ok(());
    }
    // The departures last, where a CI log's tail shows them.
    let departures: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("UNEXPECTED") || l.starts_with("result:"))
        .collect();
    Err(format!(
        "the {kind} run does not match profiles/{kind}.toml ({}):\n{}\n{stderr}",
        output.status,
        departures.join("\n")
    ))
}

#[test]
fn tgtd_matches_its_profile() -> Result<(), String> {
    let mut config = TgtdConfig::new("iqn.2024-01.org.rtgt.peer:tgtd");
    config.incoming = Some(Chap::new(USER, SECRET));
    config.outgoing = Some(Chap::new(TARGET_USER, TARGET_SECRET));
    config.discovery_auth = true;
    let tgtd = Tgtd::start(config).expect("start tgtd");
    suite(
        "tgtd",
        &tgtd.portal(),
        "iqn.2024-01.org.rtgt.peer:tgtd",
        rtgt_peers::tgtd::LUN,
    )
}

#[test]
fn istgt_matches_its_profile() -> Result<(), String> {
    let mut config = IstgtConfig::new("iqn.2024-01.org.rtgt.peer", "istgt");
    config.incoming = Some(Chap::new(USER, SECRET));
    config.outgoing = Some(Chap::new(TARGET_USER, TARGET_SECRET));
    config.auth = IstgtAuth::Chap;
    config.discovery_auth = IstgtAuth::Chap;
    let istgt = Istgt::start(config).expect("start istgt");
    suite(
        "istgt",
        &istgt.portal(),
        &istgt.target_iqn(),
        rtgt_peers::istgt::LUN,
    )
}
