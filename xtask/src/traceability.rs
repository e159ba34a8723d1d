//! `cargo xtask traceability`: writes conformance/TRACEABILITY.md, the
//! matrix of RFC 7143's target-side requirements against the conformance
//! catalogue, by running the conformance crate's `rtgt-traceability`
//! (the requirements and the rendering live there). `--check` (run by
//! `cargo xtask test`) fails when the committed file is out of date.

use crate::cmd::{cargo, command_line, workspace_root};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct TraceabilityArgs {
    /// Compare the committed file with what the generator gives, and fail if they differ
    #[arg(long)]
    check: bool,
}

fn matrix_path() -> PathBuf {
    workspace_root().join("conformance/TRACEABILITY.md")
}

/// The matrix as the generator renders it today.
fn generate() -> Result<String> {
    let mut command = cargo();
    command.args([
        "run",
        "--quiet",
        "--package",
        "rtgt-conformance",
        "--bin",
        "rtgt-traceability",
    ]);
    let shown = command_line(&command);
    println!("$ {shown}");
    let output = command
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("could not start `{shown}`"))?;
    if !output.status.success() {
        bail!("`{shown}` failed ({})", output.status);
    }
    String::from_utf8(output.stdout).with_context(|| format!("`{shown}` printed invalid UTF-8"))
}

pub fn run(args: &TraceabilityArgs) -> Result<()> {
    if args.check {
        return check();
    }
    let path = matrix_path();
    std::fs::write(&path, generate()?).with_context(|| format!("writing {}", path.display()))?;
    println!("xtask traceability: wrote {}", path.display());
    Ok(())
}

/// Fails when conformance/TRACEABILITY.md differs from the generator's output.
pub fn check() -> Result<()> {
    let path = matrix_path();
    let fresh = generate()?;
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != fresh {
        bail!(
            "{} is out of date with conformance/requirements/rfc7143.toml and the catalogue; \
             run `cargo xtask traceability` and commit the result",
            path.display()
        );
    }
    println!("xtask traceability: {} is current", path.display());
    Ok(())
}
