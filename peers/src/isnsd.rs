//! A throwaway instance of open-isns's `isnsd`, the iSNS server (RFC 4171)
//! rtgtd registers with, and `isnsadm` to read what it holds.
//!
//! [`Isnsd::start`] writes a configuration into a temporary folder (its
//! database, control socket and pid file there, no security, the default
//! discovery domain on, no SLP), runs `isnsd -f` on a free loopback port
//! and waits until the port accepts connections. Dropping the [`Isnsd`]
//! kills the daemon by its process id, waits for it and removes the folder.

use crate::process::{installed, spawn_logged};
use crate::tgtd::free_loopback_port;
use anyhow::{bail, Context, Result};
use std::fs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long isnsd may take to listen.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one isnsadm call may take.
const ADM_TIMEOUT: Duration = Duration::from_secs(10);

/// A running isnsd, killed when dropped.
#[derive(Debug)]
pub struct Isnsd {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Isnsd {
    /// Starts isnsd on 127.0.0.1 and a free port.
    pub fn start() -> Result<Isnsd> {
        Isnsd::start_on(free_loopback_port()?)
    }

    /// Starts isnsd on 127.0.0.1:`port`.
    pub fn start_on(port: u16) -> Result<Isnsd> {
        if !installed("isnsd") || !installed("isnsadm") {
            bail!("isnsd/isnsadm not found: run `cargo xtask peers`");
        }
        let dir = std::env::temp_dir().join(format!("rtgt-isnsd-{}-{port}", std::process::id()));
        fs::create_dir_all(dir.join("db"))
            .with_context(|| format!("creating {}", dir.display()))?;
        let d = dir.display();
        let server = format!(
            "Database = {d}/db\nBindAddress = 127.0.0.1:{port}\nControlSocket = {d}/control\n\
             PIDFile = {d}/isnsd.pid\nRegistrationPeriod = 10m\nDefaultDiscoveryDomain = 1\n\
             SLPRegister = 0\nSecurity = 0\n"
        );
        fs::write(dir.join("isnsd.conf"), server)?;
        let client = format!(
            "ServerAddress = 127.0.0.1:{port}\nControlSocket = {d}/control\nSecurity = 0\n\
             SourceName = iqn.2024-01.org.rtgt:isnsadm\n"
        );
        fs::write(dir.join("isnsadm.conf"), client)?;
        let child = spawn_logged(
            Command::new("isnsd")
                .arg("-f")
                .arg("-c")
                .arg(dir.join("isnsd.conf")),
            &dir.join("isnsd.log"),
        )?;
        let mut isnsd = Isnsd { child, port, dir };
        isnsd.wait_ready()?;
        Ok(isnsd)
    }

    fn wait_ready(&mut self) -> Result<()> {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let dir = self.dir.clone();
        crate::process::wait_listening(&mut self.child, "isnsd", addr, READY_TIMEOUT, move || {
            fs::read_to_string(dir.join("isnsd.log")).unwrap_or_default()
        })
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// isnsd's own output so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("isnsd.log")).unwrap_or_default()
    }

    /// `isnsadm -c CONF ARGS` against this isnsd (add `--local` to use its
    /// control socket), printed first, killed after [`ADM_TIMEOUT`].
    pub fn isnsadm(&self, args: &[&str]) -> Result<Output> {
        let mut command = Command::new("isnsadm");
        command
            .arg("-c")
            .arg(self.dir.join("isnsadm.conf"))
            .args(args);
        println!("$ {}", crate::process::command_line(&command));
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting isnsadm")?;
        let deadline = Instant::now() + ADM_TIMEOUT;
        while child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                bail!("isnsadm {args:?} did not finish within {ADM_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(child.wait_with_output()?)
    }

    /// `isnsadm --local --list TYPE`'s standard output.
    pub fn list(&self, kind: &str) -> Result<String> {
        let out = self.isnsadm(&["--local", "--list", kind])?;
        if !out.status.success() {
            bail!(
                "isnsadm --list {kind} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl Drop for Isnsd {
    fn drop(&mut self) {
        crate::process::kill_daemon(&mut self.child, "isnsd");
        let _ = fs::remove_dir_all(&self.dir);
    }
}
