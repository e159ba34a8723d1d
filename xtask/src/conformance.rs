//! `cargo xtask conformance`: the conformance suite (conformance/).
//!
//! Without `--target`, builds rtgt's daemon and the suite, starts
//! `rtgtd --demo` on a free loopback port with a CHAP account and a mutual
//! CHAP account, runs every scenario against it (any other arguments go to
//! the suite: `--filter`, `--junit`, `--jobs`...), and stops it. With
//! `--target HOST:PORT` (or `--list`, `--help`), the arguments go to the
//! `rtgt-conformance` program unchanged, to test any target.
//!
//! `cargo xtask ci` runs the suite against rtgtd (everything must pass), and
//! against Debian's tgtd and istgt through conformance/tests/runner_peers.rs
//! (every result must match conformance/profiles/<target>.toml).

use crate::cmd::{build_bins, cargo, run_shown, workspace_root, Profile};
use anyhow::{bail, Context, Result};
use rtgt_conformance::report::{verdict_differences, verdicts_from_json};
use rtgt_peers::rtgtd::Rtgtd;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, clap::Args)]
pub struct ConformanceArgs {
    /// Arguments for rtgt-conformance (`--target HOST:PORT` for another target; `--help` lists them)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

/// The accounts and second initiator name rtgtd is started with.
const CHAP: &str = "rtgt-conformance:incoming-secret-16";
const MUTUAL_CHAP: &str = "rtgt-demo-target:outgoing-secret-16";
const INITIATOR_2: &str = "iqn.2024-01.org.rtgt:conformance-2";

pub fn run(args: &ConformanceArgs) -> Result<()> {
    let external = args.args.iter().any(|a| {
        matches!(a.as_str(), "--list" | "--help" | "-h" | "--version")
            || a == "--target"
            || a.starts_with("--target=")
    });
    if external {
        return run_shown(Command::new(build_suite()?).args(&args.args));
    }
    against_rtgtd(&args.args)
}

/// What `cargo xtask ci` runs: the suite against rtgtd with no profile
/// (every scenario must pass or be skipped for a stated reason), then
/// against Debian's tgtd and istgt with their profiles, in each set-up. Reports land in
/// build/conformance/.
pub fn ci() -> Result<()> {
    let reports = workspace_root().join("build/conformance");
    let junit = reports.join("rtgtd.xml");
    let json = reports.join("rtgtd.json");
    // The default run, exactly as `cargo xtask conformance` makes it, with
    // reports.
    against_rtgtd(&[
        "--junit".into(),
        junit.display().to_string(),
        "--json".into(),
        json.display().to_string(),
    ])?;
    same_verdicts_for_any_jobs(&json)?;
    // Debian's tgtd and istgt against their profiles, each in the set-ups
    // "chap" and "plain" (conformance/tests/runner_peers.rs). istgt sleeps
    // a second in each login to a new session, under a lock, and leaves 28
    // SCSI commands unanswered until the 2 s timeout: each set-up spreads
    // the scenarios over several istgt instances, one at a time on each.
    run_shown(cargo().args([
        "test",
        "--package",
        "rtgt-conformance",
        "--features",
        "real-peers",
        "--test",
        "runner_peers",
        "--",
        "--nocapture",
    ]))
}

/// Runs the suite against rtgtd again with `--jobs 1` and `--jobs 4` and
/// checks every scenario got the same verdict as in the default run
/// reported in `default_json`: running scenarios side by side must not
/// change what the suite says of a target.
fn same_verdicts_for_any_jobs(default_json: &Path) -> Result<()> {
    let expected = verdicts(default_json)?;
    for jobs in ["1", "4"] {
        let json = default_json.with_file_name(format!("rtgtd-jobs-{jobs}.json"));
        against_rtgtd(&[
            "--quiet".into(),
            "--jobs".into(),
            jobs.into(),
            "--json".into(),
            json.display().to_string(),
        ])?;
        let got = verdicts(&json)?;
        let differ = verdict_differences("default run", &expected, &format!("--jobs {jobs}"), &got);
        if !differ.is_empty() {
            bail!(
                "the verdicts depend on --jobs ({} of {} scenarios differ):\n{}",
                differ.len(),
                expected.len(),
                differ.join("\n")
            );
        }
        println!(
            "conformance: --jobs {jobs} gives the same {} verdicts",
            got.len()
        );
    }
    Ok(())
}

/// Each scenario's id and verdict from the JSON report at `json`.
fn verdicts(json: &Path) -> Result<BTreeMap<String, String>> {
    let text =
        std::fs::read_to_string(json).with_context(|| format!("reading {}", json.display()))?;
    verdicts_from_json(&text).map_err(|e| anyhow::anyhow!("{}: {e}", json.display()))
}

/// Builds the suite and returns its binary.
fn build_suite() -> Result<PathBuf> {
    Ok(
        build_bins(Profile::Debug, &[("rtgt-conformance", "rtgt-conformance")])?
            .join("rtgt-conformance"),
    )
}

/// Builds and starts rtgtd, runs the suite with `extra` arguments, stops
/// rtgtd whatever the suite's verdict.
fn against_rtgtd(extra: &[String]) -> Result<()> {
    let rtgtd = build_bins(Profile::Debug, &[("rtgt-target", "rtgtd")])?.join("rtgtd");
    let suite_binary = build_suite()?;
    let log_dir = workspace_root().join("build/conformance");
    std::fs::create_dir_all(&log_dir).with_context(|| format!("creating {}", log_dir.display()))?;
    let mut daemon = Rtgtd::demo(
        &rtgtd,
        &[
            "--chap",
            CHAP,
            "--mutual-chap",
            MUTUAL_CHAP,
            "--discovery-chap",
            CHAP,
            // Pings after 2 s idle, so iscsi.nop.target-ping sees one
            // within the suite's 5 s timeout; longer than the 1 s quiet time.
            "--nop-interval",
            "2",
            // A second LUN, for the multi-LUN scenarios (REPORT LUNS,
            // EXTENDED COPY between LUNs); the suite tests LUN 0.
            "--luns",
            "2",
            "--grace",
            "1",
            // Several connections per session and several R2Ts per task,
            // so that the multi-connection and MaxOutstandingR2T scenarios
            // run rather than being not applicable.
            "--max-connections",
            "4",
            "--max-outstanding-r2t",
            "4",
            // Commands of 16 MiB for the iscsi.large.*-16mib scenarios (and
            // no more, so scsi.read16.over-maximum-transfer-length can ask
            // for one block beyond it within its 32 MiB).
            "--max-transfer",
            "16M",
            // A second target that has moved, for iscsi.login.redirect-*.
            "--moved-target",
            "192.0.2.7:3260,1",
        ],
        &log_dir.join("rtgtd.log"),
    )?;
    let mut suite = Command::new(suite_binary);
    suite
        .args([
            "--target",
            daemon.addr(),
            "--iqn",
            daemon.iqn(),
            "--lun",
            "0",
        ])
        .args(["--chap", CHAP, "--mutual-chap", MUTUAL_CHAP])
        .args(["--initiator-name-2", INITIATOR_2])
        // 16 MiB from LBA 2048 of the 64 MiB RAM disk, for the 16 MiB
        // write of iscsi.large.write-read-16mib.
        .args(["--scratch-blocks", "32768"])
        .args(["--moved-iqn", "iqn.2024-01.org.rtgt:demo-moved"])
        .args(extra);
    let result = run_shown(&mut suite);
    // The suite's verdict first: a daemon that also failed to stop is
    // reported only when the suite itself passed.
    let stopped = daemon.stop();
    result.context("the conformance suite found departures in rtgt's own target (see above)")?;
    stopped.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::verdicts;

    #[test]
    fn verdicts_keep_outcome_and_reason_and_drop_times_and_exchanges() {
        let dir = std::env::temp_dir().join(format!("xtask-verdicts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, elapsed: u32, reason: &str| {
            let path = dir.join(name);
            let json = format!(
                r#"{{"results": [{{"id": "iscsi.a.b", "outcome": "pass", "elapsed_ms": 3}},
                   {{"id": "iscsi.a.c", "outcome": "n/a", "reason": "{reason}",
                     "elapsed_ms": {elapsed}, "transcript": "CHAP_C=0x{elapsed}"}}]}}"#
            );
            std::fs::write(&path, json).unwrap();
            verdicts(&path).unwrap()
        };
        let one = write("one.json", 5, "no ping");
        assert_eq!(one.len(), 2);
        assert_eq!(
            one,
            write("two.json", 900, "no ping"),
            "times and exchanges do not count"
        );
        assert_ne!(one, write("three.json", 5, "another reason"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
