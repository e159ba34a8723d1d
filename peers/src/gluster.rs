//! A real GlusterFS for tests: installs Debian's `glusterfs-server` and
//! `tgt-glusterfs` (tgt's bs_glfs) when missing, starts glusterd when none
//! runs, and creates a one-brick volume in a temporary directory that is
//! stopped and deleted when dropped.
//!
//! gluster refuses bricks on loopback addresses, so the brick is on the
//! machine's first non-loopback IPv4 address (`hostname -I`); a brick on
//! the root file system needs `force`.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::process::{installed, output_shown, run_shown};

/// The Debian packages, and a file each installs.
const PACKAGES: &[(&str, &str)] = &[
    ("glusterfs-server", "/usr/sbin/glusterd"),
    ("tgt-glusterfs", "/usr/lib/tgt/backing-store/bs_glfs.so"),
];

/// How long glusterd gets to answer after it is started.
const GLUSTERD_READY: Duration = Duration::from_secs(30);

/// Installs glusterfs-server and tgt-glusterfs when missing (apt-get, as
/// root); does nothing when both are present.
pub fn ensure_installed() -> Result<()> {
    let missing: Vec<&str> = PACKAGES
        .iter()
        .filter(|(_, file)| !std::path::Path::new(file).exists())
        .map(|(package, _)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !installed("apt-get") {
        bail!(
            "apt-get not found: install {} with your package manager",
            missing.join(" ")
        );
    }
    let apt = |args: &[&str]| {
        let mut c = Command::new("apt-get");
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    run_shown(&mut apt(&["update", "-q"]))?;
    let mut install = apt(&["install", "-y", "-q", "--no-install-recommends"]);
    install.args(&missing);
    run_shown(&mut install)
}

/// The machine's first non-loopback IPv4 address, where gluster accepts a
/// brick.
pub fn brick_address() -> Result<String> {
    let out = output_shown(Command::new("hostname").arg("-I"))?;
    String::from_utf8_lossy(&out)
        .split_whitespace()
        .find(|a| {
            a.parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| !ip.is_loopback())
        })
        .map(str::to_owned)
        .context(
            "hostname -I shows no IPv4 address outside loopback: gluster needs one for its brick",
        )
}

fn gluster(args: &[&str]) -> Command {
    let mut c = Command::new("gluster");
    c.arg("--mode=script").args(args);
    c
}

fn glusterd_answers() -> bool {
    gluster(&["volume", "list"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A started one-brick volume; stopped and deleted (with its brick) when
/// dropped, and glusterd stopped if this started it.
#[derive(Debug)]
pub struct Volume {
    /// The volume's name.
    pub name: String,
    /// The volfile server's address (the brick's host).
    pub host: String,
    brick: PathBuf,
    glusterd: Option<std::process::Child>,
    dir: PathBuf,
}

impl Volume {
    /// Installs what is missing, starts glusterd if needed and creates and
    /// starts volume `name`.
    pub fn create(name: &str) -> Result<Volume> {
        ensure_installed()?;
        let host = brick_address()?;
        let glusterd = if glusterd_answers() {
            None
        } else {
            println!("$ glusterd --no-daemon");
            let child = Command::new("glusterd")
                .arg("--no-daemon")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("starting glusterd")?;
            let deadline = Instant::now() + GLUSTERD_READY;
            while !glusterd_answers() {
                if Instant::now() > deadline {
                    bail!("glusterd did not answer within {GLUSTERD_READY:?}");
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            Some(child)
        };
        let dir = std::env::temp_dir().join(format!("rtgt-gluster-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let brick = dir.join("brick");
        let mut vol = Volume {
            name: name.into(),
            host,
            brick,
            glusterd,
            dir,
        };
        // A volume of the same name left by an earlier run is removed.
        vol.remove();
        let spec = format!("{}:{}", vol.host, vol.brick.display());
        run_shown(&mut gluster(&["volume", "create", name, &spec, "force"]))?;
        run_shown(&mut gluster(&["volume", "start", name]))?;
        Ok(vol)
    }

    /// The brick directory (the volume's files as plain files).
    pub fn brick(&self) -> &std::path::Path {
        &self.brick
    }

    fn remove(&mut self) {
        let quiet = |mut c: Command| {
            let _ = c.stdout(Stdio::null()).stderr(Stdio::null()).status();
        };
        quiet(gluster(&["volume", "stop", &self.name, "force"]));
        quiet(gluster(&["volume", "delete", &self.name]));
    }
}

impl Drop for Volume {
    fn drop(&mut self) {
        self.remove();
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(mut child) = self.glusterd.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
