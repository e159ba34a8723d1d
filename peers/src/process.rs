//! Running external programs: every command line is printed before it runs,
//! so a failing step can be repeated by hand.

use anyhow::{bail, Context, Result};
use std::process::Command;

/// A command line as a shell would take it: `program 'arg' 'arg'`.
pub fn command_line(command: &Command) -> String {
    let quoted = |s: &std::ffi::OsStr| {
        let s = s.to_string_lossy();
        if s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,%@+".contains(c))
        {
            s.into_owned()
        } else {
            format!("'{}'", s.replace('\'', r"'\''"))
        }
    };
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(quoted)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Prints the command line, runs it, and fails with that line when it fails.
pub fn run_shown(command: &mut Command) -> Result<()> {
    let line = command_line(command);
    println!("$ {line}");
    let status = command
        .status()
        .with_context(|| format!("could not start `{line}`; run `cargo xtask peers`"))?;
    if !status.success() {
        bail!("`{line}` failed ({status})");
    }
    Ok(())
}

/// Whether `program` is an executable file in one of PATH's folders.
pub fn installed(program: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|folder| folder.join(program).is_file())
}

/// Starts a daemon in the foreground with its output in `log` (created
/// anew), printing the command line and where the log goes.
pub fn spawn_logged(command: &mut Command, log: &std::path::Path) -> Result<std::process::Child> {
    let file = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    command
        .stdin(std::process::Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file);
    let line = command_line(command);
    println!("$ {line} > {}", log.display());
    command
        .spawn()
        .with_context(|| format!("could not start `{line}`; run `cargo xtask peers`"))
}
