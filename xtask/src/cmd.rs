//! Running external commands: each is printed before it runs, and a failure
//! names the command so it can be rerun by hand.

use anyhow::{bail, Context, Result};
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

/// How a command is shown before it runs: `$ program arg arg`.
pub fn display(command: &Command) -> String {
    let mut shown = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        let arg = arg.to_string_lossy();
        if arg.contains(char::is_whitespace) || arg.is_empty() {
            shown.push_str(&format!(" '{arg}'"));
        } else {
            shown.push(' ');
            shown.push_str(&arg);
        }
    }
    shown
}

/// Prints the command, runs it with inherited stdio, and fails if it fails.
pub fn run_command(command: &mut Command) -> Result<()> {
    let shown = display(command);
    println!("$ {shown}");
    let status = command
        .status()
        .with_context(|| format!("could not start `{shown}`; is it installed?"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}

/// Whether `program` can be found on PATH.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
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
    run_command(&mut command)?;
    Ok(workspace_root().join(match profile {
        Profile::Debug => "build/debug",
        Profile::Release => "build/release",
    }))
}
