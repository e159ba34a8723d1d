//! `cargo xtask ci`: everything CI runs. `.ci/run` calls exactly this.

use anyhow::Result;

pub fn run() -> Result<()> {
    crate::test::run_all()?;
    crate::sim::ci()?;
    println!("xtask ci: all checks passed");
    Ok(())
}
