//! `cargo xtask tidy`: the house rules a compiler does not check.
//!
//! - The core crates (the workspace packages `rtgt-proto`, `rtgt-scsi` and
//!   every package whose name ends in `-core`) depend on no crate that does
//!   IO, reads the clock or draws OS randomness ([`tidy_deps`]).
//! - Their non-test source calls none of those either, and iterates no
//!   `HashMap`/`HashSet` ([`tidy_scan::scan_core_sources`]).
//! - No Rust source file of the repository passes [`tidy_scan::MAX_LINES`]
//!   lines ([`tidy_scan::scan_file_lengths`]).
//!
//! Each finding is printed as `path:line: what is wrong — what to do`, then
//! their count; any finding fails the command (and `cargo xtask test`).

use crate::cmd::{cargo, output_shown, workspace_root};
use crate::{tidy_deps, tidy_scan};
use anyhow::{bail, Context, Result};
use std::fmt;
use std::path::Path;

/// One broken rule, at a place in the repository.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// Path relative to the repository root, with `/` separators.
    pub path: String,
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub what: String,
    /// What to do about it.
    pub fix: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {} — {}",
            self.path, self.line, self.what, self.fix
        )
    }
}

/// `path` relative to `root`, with `/` separators, as findings name it.
pub fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Every finding of every rule in the workspace at the repository root.
pub fn check() -> Result<Vec<Finding>> {
    let root = workspace_root();
    let mut command = cargo();
    command.args(["metadata", "--format-version", "1"]);
    let stdout = output_shown(&mut command)?;
    let metadata: serde_json::Value = serde_json::from_slice(&stdout)
        .context("`cargo metadata` printed something other than JSON")?;

    let cores = tidy_deps::core_crates(&metadata)?;
    let mut findings = tidy_deps::forbidden_dependencies(&metadata, &root)?;
    for core in &cores {
        findings.extend(tidy_scan::scan_core_sources(&root, &core.dir)?);
    }
    findings.extend(tidy_scan::scan_file_lengths(&root)?);
    findings.sort();
    findings.dedup();
    let names: Vec<&str> = cores.iter().map(|c| c.name.as_str()).collect();
    println!("tidy: core crates: {}", names.join(", "));
    Ok(findings)
}

pub fn run() -> Result<()> {
    let findings = check()?;
    for finding in &findings {
        println!("{finding}");
    }
    match findings.len() {
        0 => {
            println!("tidy: 0 findings");
            Ok(())
        }
        n => bail!("tidy: {n} finding(s); fix each one above"),
    }
}
