//! Running external commands: each is printed before it runs, and a failure
//! names the command so it can be rerun by hand (the printing and running
//! are rtgt-peers' own, shared with the peer set-up).

use anyhow::Result;
pub use rtgt_peers::process::{command_line, installed, output_shown, run_shown};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (the parent of xtask/).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// A `cargo` command run from the workspace root, using the cargo that runs xtask.
pub fn cargo() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(workspace_root());
    command
}

/// How [`build_bins`] builds: the debug profile quietly, or release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Debug,
    Release,
}

/// Builds the binaries named as `(package, binary)` pairs in one cargo call
/// and returns the folder they are in (`build/debug` or `build/release`).
pub fn build_bins(profile: Profile, bins: &[(&str, &str)]) -> Result<PathBuf> {
    let mut command = cargo();
    command.arg("build");
    command.arg(match profile {
        Profile::Debug => "--quiet",
        Profile::Release => "--release",
    });
    for (package, bin) in bins {
        command.args(["--package", package, "--bin", bin]);
    }
    run_shown(&mut command)?;
    Ok(workspace_root().join(match profile {
        Profile::Debug => "build/debug",
        Profile::Release => "build/release",
    }))
}
