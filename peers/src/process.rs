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

/// The error of a command that could not start: most often a program that
/// is not installed.
fn not_started(line: &str) -> String {
    format!("could not start `{line}`; is it installed? (`cargo xtask peers` installs the peers)")
}

/// Prints the command line, runs it, and fails with that line when it fails.
pub fn run_shown(command: &mut Command) -> Result<()> {
    let line = command_line(command);
    println!("$ {line}");
    let status = command.status().with_context(|| not_started(&line))?;
    if !status.success() {
        bail!("`{line}` failed ({status})");
    }
    Ok(())
}

/// Prints the command line, runs it with its output captured, and returns
/// what it wrote to stdout; fails with that line and its stderr when it fails.
pub fn output_shown(command: &mut Command) -> Result<Vec<u8>> {
    let line = command_line(command);
    println!("$ {line}");
    let output = command.output().with_context(|| not_started(&line))?;
    if !output.status.success() {
        bail!(
            "`{line}` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(output.stdout)
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
    command.spawn().with_context(|| not_started(&line))
}

/// Waits until `addr` accepts TCP connections, at most `within`; fails
/// early if `child` (the daemon called `name`) exits, quoting `log()`.
pub fn wait_listening(
    child: &mut std::process::Child,
    name: &str,
    addr: std::net::SocketAddr,
    within: std::time::Duration,
    log: impl Fn() -> String,
) -> Result<()> {
    use std::time::{Duration, Instant};
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("{name} exited early ({status}); its output:\n{}", log());
        }
        if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            anyhow::bail!(
                "{name} did not bring up {addr} within {within:?}; its output:\n{}",
                log()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Kills a daemon started for a test by its process id and reaps it.
pub fn kill_daemon(child: &mut std::process::Child, name: &str) {
    println!("{name}: stopping pid {}", child.id());
    // The child may already have exited; either way wait to reap it.
    let _ = child.kill();
    let _ = child.wait();
}
