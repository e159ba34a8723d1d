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
    /// Fail when more tests than this fail
    #[arg(long, default_value_t = 0)]
    max_failed: usize,
    /// Fail when more tests than this are skipped
    #[arg(long)]
    max_skipped: Option<usize>,
    /// Also write the per-test summary to this file
    #[arg(long)]
    report: Option<std::path::PathBuf>,
    /// Also write iscsi-test-cu's own output to this file
    #[arg(long)]
    log: Option<std::path::PathBuf>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let (summary, output) = test_cu::run(&Run {
        url: args.url.clone(),
        initiator_name: args.initiator_name.clone(),
        initiator_name_2: args.initiator_name_2.clone(),
        tests: args.tests.clone(),
        dataloss: args.dataloss,
    })?;
    let report = summary.report();
    print!("{report}");
    if let Some(path) = &args.report {
        std::fs::write(path, &report)?;
    }
    if let Some(path) = &args.log {
        std::fs::write(path, &output)?;
    }
    println!("iscsi-test-cu: {}", summary.totals());
    let failed = summary.count(Outcome::Failed);
    let skipped = summary.count(Outcome::Skipped);
    if failed > args.max_failed {
        bail!(
            "{failed} tests failed (allowed: {}); see the lines marked failed above",
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
