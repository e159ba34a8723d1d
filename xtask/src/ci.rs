//! `cargo xtask ci`: everything CI runs. `.ci/run` calls exactly this.

use anyhow::Result;

pub fn run() -> Result<()> {
    crate::test::run_all()?;
    crate::real_peers_target::run()?;
    println!("xtask ci: all checks passed");
    Ok(())
}
