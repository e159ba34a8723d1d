//! `rtgt-test-cu`: runs libiscsi's `iscsi-test-cu` against a target and
//! prints one outcome per unique test (`Suite.Test`), counting `[SKIPPED]`
//! as skipped, never as passed. Exits non-zero past the allowed failures or
//! skips.

use anyhow::{bail, Result};
use clap::Parser;
use rtgt_peers::test_cu::{self, Outcome, Run};

#[derive(Debug, Parser)]
#[command(
    name = "rtgt-test-cu",
    about = "Run libiscsi's iscsi-test-cu and summarise it per unique test"
)]
struct Args {
    /// The LUN to test: iscsi://[user[%secret]@]host[:port]/iqn/lun
    url: String,
    /// First initiator name
    #[arg(long, default_value = "iqn.2024-01.org.rtgt:test-cu-1")]
    initiator_name: String,
    /// Second initiator name (reservation and multi-initiator tests)
    #[arg(long, default_value = "iqn.2024-01.org.rtgt:test-cu-2")]
    initiator_name_2: String,
    /// Which tests: ALL, a family (SCSI, iSCSI), or FAMILY.SUITE[.TEST]
    #[arg(long, default_value = "ALL")]
    tests: String,
    /// Allow destructive tests (iscsi-test-cu -d): they write to the LUN
    #[arg(long)]
    dataloss: bool,
    /// Allow the SANITIZE tests (iscsi-test-cu -S): they erase the LUN
    #[arg(long)]
    allow_sanitize: bool,
    /// The same LUN through a second portal (the tool's multipath URL)
    #[arg(long)]
    multipath_url: Option<String>,
    /// A write-protected LUN: the ReadOnly tests, skipped on a writable
    /// LUN, run again there and their outcome replaces the skip
    #[arg(long)]
    readonly_url: Option<String>,
    /// FAMILY.SUITE.TEST=URL (repeatable): run that test again, alone, on
    /// URL (a LUN configured for a premise of the test that the main LUN
    /// does not meet, or the main LUN without the state earlier tests left)
    /// and report that outcome in place of the main run's, marked with the
    /// URL
    #[arg(long = "on", value_name = "TEST=URL")]
    on: Vec<String>,
    /// Fail when more tests than this fail
    #[arg(long, default_value_t = 0)]
    max_failed: usize,
    /// Fail when more tests than this are skipped
    #[arg(long)]
    max_skipped: Option<usize>,
    /// A test expected to fail, `Suite.Test` (repeatable): a failure of the
    /// tool itself, not counted against --max-failed; the run fails if it
    /// passes, so the list stays current
    #[arg(long = "known-failure", value_name = "SUITE.TEST")]
    known_failures: Vec<String>,
    /// Also write the per-test summary to this file
    #[arg(long)]
    report: Option<std::path::PathBuf>,
    /// Also write iscsi-test-cu's own output to this file
    #[arg(long)]
    log: Option<std::path::PathBuf>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let (mut summary, mut output) = test_cu::run(&Run {
        url: args.url.clone(),
        initiator_name: args.initiator_name.clone(),
        initiator_name_2: args.initiator_name_2.clone(),
        tests: args.tests.clone(),
        dataloss: args.dataloss,
        allow_sanitize: args.allow_sanitize,
        multipath_url: args.multipath_url.clone(),
    })?;
    if let Some(url) = &args.readonly_url {
        let (ro, text) = test_cu::run(&Run {
            url: url.clone(),
            initiator_name: args.initiator_name.clone(),
            initiator_name_2: args.initiator_name_2.clone(),
            tests: "SCSI.ReadOnly".into(),
            dataloss: args.dataloss,
            allow_sanitize: false,
            multipath_url: None,
        })?;
        summary.merge_skipped(&ro);
        output.push_str(&text);
    }
    for spec in &args.on {
        let Some((test, url)) = spec.split_once('=') else {
            bail!("--on {spec}: write FAMILY.SUITE.TEST=URL");
        };
        // The summary names tests Suite.Test, without the family.
        let Some((_, name)) = test.split_once('.') else {
            bail!("--on {spec}: write the test as FAMILY.SUITE.TEST, e.g. SCSI.Read10.Simple");
        };
        let (theirs, text) = test_cu::run(&Run {
            url: url.to_owned(),
            initiator_name: args.initiator_name.clone(),
            initiator_name_2: args.initiator_name_2.clone(),
            tests: test.to_owned(),
            dataloss: args.dataloss,
            allow_sanitize: args.allow_sanitize,
            multipath_url: None,
        })?;
        if !summary.replace_with(&theirs, name, url) {
            bail!("--on {spec}: the run on {url} has no test {name}");
        }
        output.push_str(&text);
    }
    let report = summary.report();
    print!("{report}");
    if let Some(path) = &args.report {
        std::fs::write(path, &report)?;
    }
    if let Some(path) = &args.log {
        std::fs::write(path, &output)?;
    }
    let known = summary.known_failures(&args.known_failures);
    for name in &known.failed {
        println!("known failure (a fault of the test tool): {name}");
    }
    println!(
        "iscsi-test-cu: {} (known failures: {})",
        summary.totals(),
        known.failed.len()
    );
    if !known.passed.is_empty() {
        bail!(
            "tests listed with --known-failure passed: {}; remove them from the list",
            known.passed.join(", ")
        );
    }
    let failed = summary.count(Outcome::Failed) - known.failed.len();
    let skipped = summary.count(Outcome::Skipped);
    if failed > args.max_failed {
        bail!(
            "{failed} tests failed unexpectedly (allowed: {}); see the lines marked failed above",
            args.max_failed
        );
    }
    if let Some(max) = args.max_skipped {
        if skipped > max {
            bail!(
                "{skipped} tests were skipped (allowed: {max}); see the lines marked skipped above"
            );
        }
    }
    Ok(())
}
